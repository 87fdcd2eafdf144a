"""The hub's small HTTP toolkit: a route table matched on the raw path, a request context, error responses."""

from __future__ import annotations

import base64
import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import flavour
from .errors import BadRequest, HubError, InternalError, InvalidCredentials, MethodNotAllowed, NotFound, PayloadTooLarge
from .hub import Hub
from .names import check_type
from .policy import Policy
from .settings import Settings
from .store import Identity

TYPE = r"(?P<type>models|datasets|spaces)"
REPO = r"(?P<repo>[^/]+/[^/]+)"
# the Hub API's own routes also take a legacy un-namespaced id (`gpt2`); two segments are tried first
ANY_REPO = r"(?P<repo>[^/]+(?:/[^/]+)?)"
PREFIX = r"(?:(?P<prefix>datasets|spaces)/)?"
REV = r"(?P<rev>[^/]+)"
log = logging.getLogger("course_hub")


@dataclass
class Ctx:
    """What a handler gets: the request, the unquoted path parameters, the body, the hub and the caller."""

    request: Request
    params: dict[str, str]
    body: bytes
    hub: Hub
    ident: Identity | None
    endpoint: str
    settings: Settings

    @property
    def policy(self) -> Policy:
        return self.hub.policy

    @property
    def repo_type(self) -> str:
        if "type" in self.params:
            return check_type(self.params["type"][:-1])
        return {"datasets": "dataset", "spaces": "space"}.get(self.params.get("prefix") or "", "model")

    @property
    def repo_id(self) -> str:
        return self.params["repo"]

    def query(self, name: str, default: str | None = None) -> str | None:
        return self.request.query_params.get(name, default)

    def query_list(self, name: str) -> list[str]:
        return self.request.query_params.getlist(name)

    def flag(self, name: str) -> bool:
        return (self.query(name) or "").lower() in ("1", "true", "yes")

    def json(self) -> dict:
        try:
            data = json.loads(self.body or b"{}")
        except (ValueError, UnicodeDecodeError) as e:
            raise BadRequest(f"Request body is not valid JSON: {e}") from None
        if not isinstance(data, dict):
            raise BadRequest("Request body must be a JSON object")
        return data


@dataclass(frozen=True)
class Route:
    methods: tuple[str, ...]
    pattern: str
    handler: Callable
    is_async: bool = False  # async handlers read the body themselves (streaming uploads)
    page: bool = False  # a website page (course_hub.web): finds its caller (session cookie), asks for sign-in
    # also called by the website's widget: without a token, the session cookie with the page's CSRF token in a header
    # identifies the caller (`Router.session_caller`)
    widget: bool = False
    regex: re.Pattern = field(init=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "regex", re.compile("^" + self.pattern + "$"))


def route(
    methods: str, pattern: str, handler: Callable, is_async: bool = False, page: bool = False, widget: bool = False
) -> Route:
    return Route(tuple(methods.split("|")), pattern, handler, is_async, page, widget)


def token_from(request: Request) -> str | None:
    """The token from `Authorization: Bearer …`, or the password of HTTP Basic auth (what git sends)."""
    # gradio_client sends the token as `x-hf-authorization` to a Space's app (the app never sees it)
    auth = request.headers.get("authorization") or request.headers.get("x-hf-authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise InvalidCredentials("Malformed Basic authorization header") from None
        return password or (user if user.startswith("hf_") else None)
    return None


def error_response(err: HubError, method: str, settings: Settings | None = None) -> Response:
    headers = {"X-Error-Message": _header_safe(err.message), **err.headers}
    code = flavour.error_code(err.code, settings)  # huggingface.co sends a few codes only
    if code:
        headers["X-Error-Code"] = code
    if method == "HEAD":
        return Response(status_code=err.status, headers=headers)
    return JSONResponse({"error": err.message, **err.body}, status_code=err.status, headers=headers)


def _header_safe(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ").encode("latin-1", "replace").decode("latin-1")[:2000].strip()


class Router:
    """Match `raw_path` against the route table top to bottom; HEAD falls back to GET routes."""

    def __init__(self, hub: Hub, routes: list[Route], settings: Settings):
        self.hub = hub
        self.routes = routes
        self.settings = settings
        self.max_body = settings.max_body

    def match(self, method: str, raw_path: str) -> tuple[Route, dict] | tuple[None, bool]:
        path_matched = False
        for r in self.routes:
            m = r.regex.match(raw_path)
            if not m:
                continue
            path_matched = True
            if method in r.methods or (method == "HEAD" and "GET" in r.methods):
                params = {k: unquote(v) for k, v in m.groupdict().items() if v is not None}
                return r, params
        return None, path_matched

    def session_caller(self, request: Request) -> Identity | None:
        """The website's signed-in user behind a widget's call (a `Route.widget` without a token); the app object
        knows the website's sessions (course_hub/app.py). Here: nobody."""
        return None

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        raw_path = scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0] or scope["path"]
        root = self.settings.root_path  # a proxy that keeps its prefix (JupyterHub's /services/course-hub/)
        if root and (raw_path == root or raw_path.startswith(root + "/")):
            raw_path = raw_path[len(root) :] or "/"
            scope = {
                **scope,
                "raw_path": scope.get("raw_path", b"")[len(root) :] or b"/",
                "path": unquote(raw_path),
                "course_hub.prefix": root,
            }
        request = Request(scope, receive)
        method = request.method
        request_id = uuid.uuid4().hex  # on every answer, as the Hub's X-Request-Id (clients print it in errors)
        try:
            response = await self._dispatch(request, method, raw_path)
        except HubError as e:
            response = error_response(e, method, self.settings)
        except Exception as e:  # a bug: say so plainly, keep serving
            log.exception("error while serving %s %s (request %s)", method, raw_path, request_id)
            response = error_response(
                InternalError(f"Internal error in the course hub: {type(e).__name__}: {e}"), method, self.settings
            )
        response.headers["X-Request-Id"] = request_id
        await response(scope, receive, send)

    async def _dispatch(self, request: Request, method: str, raw_path: str) -> Response:
        if "\x00" in unquote(raw_path) or "%00" in raw_path:
            raise BadRequest("NUL byte in path")
        r, params = self.match(method, raw_path)
        if r is None:
            if params:
                raise MethodNotAllowed(f"Method {method} not allowed on {raw_path}")
            raise NotFound(flavour.not_found_message(raw_path, self.settings))
        policy = self.hub.policy
        # the Xet CAS (api.xet) checks its own short-lived tokens, not the hub's
        xet = raw_path.startswith("/xet-cas/")
        token = None if xet else token_from(request)
        ident = await run_in_threadpool(policy.identify, token) if token else None
        if ident is None and token is None and r.widget:
            ident = await run_in_threadpool(self.session_caller, request)
        # classroom: nothing is served without a token; a GET keeps the refusal the Hub itself would give (a gated
        # repo's 401 GatedRepo, a 404), anything else that would succeed gets the classroom's 401
        anonymous = policy.anonymous_refused(ident, raw_path) and not r.page
        if anonymous and method not in ("GET", "HEAD"):
            raise policy.token_required()
        endpoint = (
            f"{request.url.scheme}://{request.headers.get('host', 'localhost')}"
            f"{request.scope.get('course_hub.prefix', '')}"
        )
        ctx = Ctx(request, params, b"", self.hub, ident, endpoint, self.settings)
        if r.is_async:
            response = await r.handler(ctx)
            if anonymous:
                raise policy.token_required()
            return response
        declared = int(request.headers.get("content-length") or 0)
        if declared > self.max_body:
            raise PayloadTooLarge(f"Request body too large ({declared} bytes; the limit is {self.max_body})")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > self.max_body:
                raise PayloadTooLarge(f"Request body too large (the limit is {self.max_body} bytes)")
        ctx.body = bytes(body)
        response = await run_in_threadpool(r.handler, ctx)
        if anonymous:
            raise policy.token_required()
        return response
