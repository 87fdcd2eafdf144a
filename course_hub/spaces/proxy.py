"""The reverse proxy in front of a running Space's app (HTTP, streamed both ways: gradio's queue answers with
server-sent events), and the file server of `sdk: static` Spaces.

Gradio 6 (server and gradio_client) uses plain HTTP and SSE only, no websockets, so there is no websocket proxy.
An app in a network of its own (sandbox.Net) is reached through its unix socket (one pooled client per socket).
The app never sees the caller's hub token (`Authorization`, `x-hf-authorization` are dropped) nor a forged
`X-Forwarded-*` header (the proxy sets its own, so gradio builds its URLs under the Space's app path).
"""

from __future__ import annotations

import mimetypes
import os

import httpx
from starlette.responses import FileResponse, Response, StreamingResponse

from ..errors import NotFound
from ..lfs import Pointer

DROP_REQUEST = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "authorization",
    "x-hf-authorization",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-forwarded-for",
    "x-forwarded-port",
    "forwarded",
    "x-gradio-server",
}
DROP_RESPONSE = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "date",
    "server",
}
# A Space's pages (static files and the app's HTML) get an opaque origin: their scripts run, but cannot act on the
# hub's origin as the visitor (its session cookie is not sent, its answers cannot be read). The app's own requests
# from such a page come with `Origin: null`; the proxy answers their CORS itself (no credentials).
SANDBOX_CSP = "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads"
STATIC_CSP = SANDBOX_CSP
HUB_COOKIE_PREFIX = "course_hub"  # the website's session: never forwarded to a Space's app


class Upstream:
    """The pooled client to every Space's app (no proxies), one per app object (`app.state.upstream`): made on first
    use, in the server's event loop; closed by the ASGI lifespan's shutdown."""

    def __init__(self):
        self._client: httpx.AsyncClient | None = None
        self._unix: dict[str, httpx.AsyncClient] = {}  # an app in its own network: by its unix socket's path

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                trust_env=False,
                follow_redirects=False,
                timeout=httpx.Timeout(30.0, read=None),
                limits=httpx.Limits(max_connections=256, max_keepalive_connections=32),
            )
        return self._client

    async def at(self, sock: str | None) -> httpx.AsyncClient:
        """The client to the app behind unix socket `sock` (None: the TCP pool); clients of sockets that are gone
        (their app stopped: each start has a new socket) are closed here."""
        if sock is None:
            return self.client
        client = self._unix.get(sock)
        if client is None:  # made and stored before any await: two requests to a new socket share one client
            client = self._unix[sock] = httpx.AsyncClient(
                transport=httpx.AsyncHTTPTransport(uds=sock),
                trust_env=False,
                follow_redirects=False,
                timeout=httpx.Timeout(30.0, read=None),
            )
            gone = [self._unix.pop(s) for s in list(self._unix) if s != sock and not os.path.exists(s)]  # noqa: ASYNC240  a stat
            for old in gone:  # popped before the first await: another request cannot pop (or use) them again
                await old.aclose()
        return client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
        clients, self._unix = list(self._unix.values()), {}
        for client in clients:
            await client.aclose()


async def forward(pool: Upstream, request, port: int, rest: str, on_end, sock: str | None = None) -> Response:
    """Send the request to the app on `port` (through unix socket `sock` when it has a network of its own) at path
    `rest` (raw, with its query) through `pool`'s client and stream the answer back; `on_end()` runs once when the
    answer is done or the caller went away."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    url = f"http://127.0.0.1:{port}{rest}" + (f"?{query}" if query else "")
    null_origin = request.headers.get("origin") == "null"
    headers = [
        (k, v)
        for k, v in request.headers.items()
        if k.lower() not in DROP_REQUEST and not (null_origin and k.lower() == "origin")
    ]
    headers = [(k, _without_hub_cookies(v) if k.lower() == "cookie" else v) for k, v in headers]
    headers = [(k, v) for k, v in headers if v]
    headers += [
        ("x-forwarded-host", request.headers.get("host", "localhost")),
        ("x-forwarded-proto", request.url.scheme),
        ("x-forwarded-for", request.client.host if request.client else "127.0.0.1"),
    ]
    has_body_ = has_body(request)
    ended = []

    def end():
        if not ended:
            ended.append(True)
            on_end()

    try:
        client = await pool.at(sock)
        upstream = await client.send(
            client.build_request(request.method, url, headers=headers, content=request.stream() if has_body_ else None),
            stream=True,
        )
    except BaseException:  # not answered (an httpx error, or cancelled: the caller went away): the use ends here
        end()
        raise
    out_headers = [
        (k.encode("latin-1"), v.encode("latin-1"))
        for k, v in upstream.headers.multi_items()
        if k.lower() not in DROP_RESPONSE and not k.lower().startswith("access-control-")
    ]
    if upstream.headers.get("content-type", "").startswith("text/html"):
        out_headers.append((b"content-security-policy", SANDBOX_CSP.encode()))
    if null_origin:
        out_headers.append((b"access-control-allow-origin", b"null"))

    async def body():
        try:
            if request.method != "HEAD":
                async for chunk in upstream.aiter_raw():
                    yield chunk
        finally:
            await upstream.aclose()
            end()

    response = StreamingResponse(body(), status_code=upstream.status_code)
    response.raw_headers = out_headers
    return response


def has_body(request) -> bool:
    """Whether the request sends a body (streamed to the app: it cannot be sent twice)."""
    return request.method not in ("GET", "HEAD", "OPTIONS") or "content-length" in request.headers


def _without_hub_cookies(cookie: str) -> str:
    parts = [c.strip() for c in cookie.split(";")]
    return "; ".join(c for c in parts if c and not c.split("=", 1)[0].strip().startswith(HUB_COOKIE_PREFIX))


def preflight(request) -> Response | None:
    """The CORS preflight of a sandboxed page's request (`Origin: null`): answered here, never by the app."""
    if (
        request.method != "OPTIONS"
        or request.headers.get("origin") != "null"
        or "access-control-request-method" not in request.headers
    ):
        return None
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": "null",
            "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
            "Access-Control-Allow-Headers": request.headers.get("access-control-request-headers", "*"),
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        },
    )


def static_file(hub, rec, sha: str, card: dict, rest: str) -> Response:
    """A file of a static Space at its head commit (`/` is the card's `app_file`, else index.html)."""
    path = rest.lstrip("/")
    if not path:  # the card's app_file when it is a page (a new Space's card says app.py), else index.html
        page = str(card.get("app_file") or "")
        path = page if page.endswith((".html", ".htm")) else "index.html"
    elif path.endswith("/"):
        path += "index.html"
    git = hub.git(rec.type, rec.id)
    entry = git.files(sha).get(path)
    if entry is None:
        raise NotFound(f"{path!r} is not a file of the static Space {rec.id}")
    headers = {"Content-Security-Policy": STATIC_CSP, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    media = mimetypes.guess_type(path)[0] or "application/octet-stream"
    data = git.blob(entry.blob)
    pointer = Pointer.parse(data)
    if pointer and hub.lfs.has(pointer.oid):
        return FileResponse(hub.lfs.path(pointer.oid), media_type=media, headers=headers)
    return Response(data, media_type=media, headers=headers)
