"""The website's session: a signed cookie (HMAC-SHA256 with the hub dir's secret) and CSRF tokens tied to it.

The cookie holds a random nonce, the signed-in user and the SHA-256 of the token they signed in with (never the
token): each request looks the digest up, so deleting the token signs its sessions out. The website's widget calls
the inference API as the signed-in user with the cookie and the page's CSRF token in a header (`widget_caller`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..errors import Forbidden
from ..store import Identity

COOKIE = "course_hub_session"
CSRF_HEADER = "x-csrf-token"  # the widget's calls carry the page's CSRF token in it (inference/static/widget.js)
MAX_AGE = 14 * 24 * 3600


@dataclass(frozen=True)
class Session:
    nonce: str
    user: str | None = None
    digest: str | None = None  # sha256 of the token the user signed in with
    issued: float = 0.0


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, payload: str, purpose: bytes = b"session") -> str:
    return _b64(hmac.new(secret, purpose + b":" + payload.encode(), hashlib.sha256).digest())


def seal(data: dict, secret: bytes, purpose: bytes) -> str:
    """A cookie value holding `data`: base64 JSON and its HMAC for `purpose` (one purpose's value is no other's)."""
    payload = _b64(json.dumps(data, separators=(",", ":")).encode())
    return f"{payload}.{_sign(secret, payload, purpose)}"


def unseal(value: str | None, secret: bytes, purpose: bytes):
    """The data of a `seal`ed value, or None (missing, forged for this purpose, malformed)."""
    if not value or value.count(".") != 1 or len(value) > 4096:
        return None
    payload, sig = value.split(".")
    if not hmac.compare_digest(sig, _sign(secret, payload, purpose)):
        return None
    try:
        return json.loads(_unb64(payload))
    except ValueError:
        return None


def new(user: str | None = None, digest: str | None = None) -> Session:
    return Session(secrets.token_urlsafe(18), user, digest, time.time())


def dump(session: Session, secret: bytes) -> str:
    data = {"n": session.nonce, "u": session.user, "d": session.digest, "t": int(session.issued)}
    return seal(data, secret, b"session")


def load(value: str | None, secret: bytes) -> Session | None:
    """The session of a cookie value, or None (missing, forged, malformed or expired)."""
    data = unseal(value, secret, b"session")
    try:
        session = Session(str(data["n"]), data.get("u"), data.get("d"), float(data.get("t", 0)))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if time.time() - session.issued > MAX_AGE:
        return None
    return session


def csrf_token(session: Session, secret: bytes) -> str:
    return _b64(hmac.new(secret, b"csrf:" + session.nonce.encode(), hashlib.sha256).digest())


def check_csrf(session: Session | None, secret: bytes, token: str | None) -> bool:
    return bool(session and token and hmac.compare_digest(token, csrf_token(session, secret)))


def signed_in(session: Session | None, identify_digest: Callable[[str], Identity | None]) -> Identity | None:
    """The user a session is signed in as: its token (by digest) still exists and is theirs; else None."""
    if session is None or not session.digest:
        return None
    ident = identify_digest(session.digest)
    return ident if ident is not None and ident.user == session.user else None


def widget_caller(
    cookies: Mapping[str, str],
    headers: Mapping[str, str],
    secret: bytes,
    identify_digest: Callable[[str], Identity | None],
) -> Identity | None:
    """The caller of a request from the website's widget (an inference route): the session cookie's user, only
    with that session's CSRF token in `X-CSRF-Token` (the widget reads it from the page; a cross-site form can
    make the browser send the cookie, never the header). None without the header: the call is anonymous, as any
    client's without a token; 403 with a header that does not match the session."""
    token = headers.get(CSRF_HEADER)
    if not token:
        return None
    session = load(cookies.get(COOKIE), secret)
    if not check_csrf(session, secret, token):
        raise Forbidden(
            "The widget's session token does not match your session on the course hub (signed out or in "
            "elsewhere?): reload the page"
        )
    return signed_in(session, identify_digest)
