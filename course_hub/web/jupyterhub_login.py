"""The website's sign-in through JupyterHub, when the course hub runs as JupyterHub's service (the service's OAuth).

JupyterHub gives the managed service `course-hub` an OAuth client (`service-course-hub`, redirect URI
`/services/course-hub/oauth_callback`) and puts it in the service's environment: JUPYTERHUB_SERVICE_NAME,
JUPYTERHUB_CLIENT_ID, JUPYTERHUB_API_TOKEN (the client's secret too), JUPYTERHUB_API_URL,
JUPYTERHUB_OAUTH_CALLBACK_URL, JUPYTERHUB_BASE_URL, JUPYTERHUB_HOST. With them:

- `/login` (GET) sends the browser to JupyterHub's authorize endpoint with a random `state`, kept with the page to
  return to in a signed cookie (HttpOnly, SameSite=Lax, 10 minutes): no form, a learner signed in to JupyterHub
  comes straight back (`oauth_no_confirm`, course_hub/jupyterhub.py). `/login?with=token` is the token form.
- `/oauth_callback` checks the state against that cookie (a request this browser did not start fails), exchanges the
  code at JupyterHub's token endpoint (as `HubOAuth.token_for_code`), asks JupyterHub whose token that is (`/user`)
  and signs the browser in as `course_user(name)`: the course-hub user whose seat token the spawn hook gives the
  learner's server, so the website and the API see the same learner. Nothing the browser sends names the user.
- A sign-in may start under another prefix: the notebooks' links reach the same hub through the learner's Jupyter
  server (`/user/NAME/course-hub/`, helpers/jupyter_proxy.py). The state cookie lives at the callback's path; the
  callback sets the session cookie for both prefixes and goes back to the page under the prefix it started from.
- The session is the website's usual cookie (session.py), tied to a token named `jupyterhub-website` (write, as the
  seat's) whose value nobody sees: a new sign-in replaces it, deleting it signs the website out.

Without these variables (a laptop, a classroom hub, a hub inside a learner's server: no JUPYTERHUB_SERVICE_NAME)
`client()` is None and nothing here is used. Nothing imports jupyterhub.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from starlette.responses import RedirectResponse, Response

from ..errors import BadRequest, Forbidden, HubError, ServiceUnavailable
from ..jupyterhub import course_user
from ..store import digest
from . import session as sessions

STATE_COOKIE = "course_hub_oauth_state"
STATE_MAX_AGE = 600  # seconds from /login to the callback (HubOAuth's oauth_state_max_age)
TOKEN_NAME = "jupyterhub-website"
TIMEOUT = 10  # seconds for each call to JupyterHub's API
PREFIX_RE = re.compile(r"^(/[A-Za-z0-9._~%+-]+)*$")  # a path prefix the website runs under (web/routes.py's)
NEEDS = (
    "JUPYTERHUB_SERVICE_NAME",
    "JUPYTERHUB_CLIENT_ID",
    "JUPYTERHUB_API_TOKEN",
    "JUPYTERHUB_API_URL",
    "JUPYTERHUB_OAUTH_CALLBACK_URL",
)


@dataclass(frozen=True)
class Client:
    """The service's OAuth client, as JupyterHub configured it."""

    client_id: str
    secret: str  # the service's API token
    api_url: str  # JupyterHub's API, as the service reaches it
    redirect_uri: str  # registered with JupyterHub: sent as is
    hub_url: str  # JupyterHub's pages, as the browser reaches them ('/hub/' or 'https://host/prefix/hub/')

    @property
    def authorize_url(self) -> str:
        return self.hub_url + "api/oauth2/authorize"

    @property
    def logout_url(self) -> str:
        return self.hub_url + "logout"

    @property
    def callback_path(self) -> str:
        """Where the state cookie lives: the callback's path, whatever prefix the sign-in started under."""
        return urlsplit(self.redirect_uri).path or "/"


def client(environ=None) -> Client | None:
    """The OAuth client when the course hub runs as a JupyterHub service, else None."""
    env = os.environ if environ is None else environ
    if not all(env.get(k) for k in NEEDS):
        return None
    base = env.get("JUPYTERHUB_BASE_URL") or "/"
    return Client(
        client_id=env["JUPYTERHUB_CLIENT_ID"],
        secret=env["JUPYTERHUB_API_TOKEN"],
        api_url=env["JUPYTERHUB_API_URL"].rstrip("/"),
        redirect_uri=env["JUPYTERHUB_OAUTH_CALLBACK_URL"],
        hub_url=env.get("JUPYTERHUB_HOST", "") + base.rstrip("/") + "/hub/",
    )


def _state_cookie(state: str, nxt: str, base: str, secret: bytes) -> str:
    return sessions.seal({"s": state, "n": nxt, "b": base, "t": int(time.time())}, secret, b"oauth-state")


def _load_state(value: str | None, secret: bytes) -> dict | None:
    """The state cookie's {s: state, n: next page, b: prefix}, or None (missing, forged, malformed or older than STATE_MAX_AGE)."""
    data = sessions.unseal(value, secret, b"oauth-state")
    try:
        fresh = time.time() - float(data["t"]) <= STATE_MAX_AGE
        return {"s": str(data["s"]), "n": str(data["n"]), "b": str(data.get("b", ""))} if fresh else None
    except (ValueError, KeyError, TypeError):
        return None


def start(w, jh: Client, nxt: str) -> Response:
    """GET /login: to JupyterHub's authorize endpoint, with a new state (in a cookie of this browser). `nxt`: the
    page to return to, a path under `w.base`."""
    state = secrets.token_urlsafe(24)
    query = urlencode(
        {"client_id": jh.client_id, "redirect_uri": jh.redirect_uri, "response_type": "code", "state": state}
    )
    response = w.finish(RedirectResponse(w.location(f"{jh.authorize_url}?{query}"), status_code=303))
    response.headers["Cache-Control"] = "no-store"
    _cookie(w, response, STATE_COOKIE, _state_cookie(state, nxt, w.base, w.secret), STATE_MAX_AGE, jh.callback_path)
    return response


def _cookie(w, response: Response, name: str, value: str, max_age: int, path: str) -> None:
    secure = w.ctx.request.url.scheme == "https"
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True, samesite="lax", secure=secure)


def finish(w, jh: Client, safe_next) -> Response:
    """GET /oauth_callback: check the state, exchange the code, sign the browser in as JupyterHub's user.
    `safe_next(path)`: the page to go to after (a path on this site). The state cookie goes in every case."""
    try:
        user, started = _signed_in_user(w, jh)
        token = w.hub.accounts.replace_token(user, role="write", name=TOKEN_NAME)
        w.cookie = sessions.new(user, digest(token))  # a fresh nonce: a session is never reused across sign-ins
        w.set_cookie = sessions.dump(w.cookie, w.secret)  # under this prefix (Web.finish)
        back = started["b"] if PREFIX_RE.match(started["b"]) else w.base
        response = w.finish(RedirectResponse(back + safe_next(started["n"]), status_code=303))
        if back != w.base:  # started under the learner's Jupyter server's prefix: signed in there too
            _cookie(w, response, sessions.COOKIE, w.set_cookie, sessions.MAX_AGE, back + "/")
    except HubError as e:
        response = w.error(e)
    response.headers["Cache-Control"] = "no-store"
    response.delete_cookie(STATE_COOKIE, path=jh.callback_path)
    return response


def _signed_in_user(w, jh: Client) -> tuple[str, dict]:
    """(the course-hub user, the state cookie's data) of a callback whose state and code JupyterHub's flow made."""
    query = w.ctx.query
    started = _load_state(w.ctx.request.cookies.get(STATE_COOKIE), w.secret)
    state = query("state") or ""
    if started is None or not hmac.compare_digest(state.encode(), started["s"].encode()):
        raise BadRequest(
            "This sign-in did not start in this browser or has expired (the OAuth state does not match): "
            "open the course hub again to sign in through JupyterHub"
        )
    if query("error"):
        raise Forbidden(f"JupyterHub did not sign you in ({query('error')[:100]}): open the course hub again")
    code = query("code") or ""
    if not code:
        raise BadRequest("JupyterHub sent no sign-in code: open the course hub again to sign in")
    name = _jupyterhub_user(jh, code)
    user = course_user(name)
    w.hub.accounts.ensure(user, user)
    if w.hub.accounts.get(user)["is_org"]:
        raise Forbidden(f"{user!r} is an organisation on the course hub, not a learner: ask the instructor")
    return user, started


def _jupyterhub_user(jh: Client, code: str) -> str:
    """JupyterHub's name for the user the code was given to (its token endpoint, then `/user` with that token)."""
    import httpx

    try:
        with httpx.Client(timeout=TIMEOUT, trust_env=False, follow_redirects=False) as http:
            r = http.post(
                jh.api_url + "/oauth2/token",
                data={
                    "client_id": jh.client_id,
                    "client_secret": jh.secret,
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": jh.redirect_uri,
                },
                headers={"Accept": "application/json"},
            )
            if r.status_code in (400, 401, 403):
                raise BadRequest(
                    "JupyterHub did not accept this sign-in (the code is wrong, expired or already used): "
                    "open the course hub again to sign in"
                )
            r.raise_for_status()
            access = r.json()["access_token"]
            me = http.get(jh.api_url + "/user", headers={"Authorization": f"Bearer {access}"})
            me.raise_for_status()
            model = me.json()
    except (httpx.HTTPError, ValueError, KeyError) as e:
        raise ServiceUnavailable(f"JupyterHub's API did not answer the sign-in ({type(e).__name__}): try again") from e
    if model.get("kind", "user") != "user" or not isinstance(model.get("name"), str) or not model["name"]:
        raise Forbidden("JupyterHub's sign-in is not a user's: open the course hub again to sign in")
    return model["name"]
