"""The website's session: a signed cookie (HMAC-SHA256 with the hub dir's secret) and CSRF tokens tied to it.

The cookie holds a random nonce, the signed-in user and the SHA-256 of the token they signed in with (never the
token): each request looks the digest up, so deleting the token signs its sessions out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

COOKIE = "course_hub_session"
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


def _sign(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, b"session:" + payload.encode(), hashlib.sha256).digest())


def new(user: str | None = None, digest: str | None = None) -> Session:
    return Session(secrets.token_urlsafe(18), user, digest, time.time())


def dump(session: Session, secret: bytes) -> str:
    payload = _b64(
        json.dumps(
            {"n": session.nonce, "u": session.user, "d": session.digest, "t": int(session.issued)},
            separators=(",", ":"),
        ).encode()
    )
    return f"{payload}.{_sign(secret, payload)}"


def load(value: str | None, secret: bytes) -> Session | None:
    """The session of a cookie value, or None (missing, forged, malformed or expired)."""
    if not value or value.count(".") != 1 or len(value) > 4096:
        return None
    payload, sig = value.split(".")
    if not hmac.compare_digest(sig, _sign(secret, payload)):
        return None
    try:
        data = json.loads(_unb64(payload))
        session = Session(str(data["n"]), data.get("u"), data.get("d"), float(data.get("t", 0)))
    except (ValueError, KeyError, TypeError):
        return None
    if time.time() - session.issued > MAX_AGE:
        return None
    return session


def csrf_token(session: Session, secret: bytes) -> str:
    return _b64(hmac.new(secret, b"csrf:" + session.nonce.encode(), hashlib.sha256).digest())


def check_csrf(session: Session | None, secret: bytes, token: str | None) -> bool:
    return bool(session and token and hmac.compare_digest(token, csrf_token(session, secret)))
