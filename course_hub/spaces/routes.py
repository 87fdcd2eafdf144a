"""The Space routes: runtime, restart, pause, run logs (huggingface_hub's `get_space_runtime`, `restart_space`,
`pause_space`, `fetch_space_logs`) and the app itself at `/spaces/{owner}/{name}/app/` (`space_info(id).host`)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from datetime import datetime, timezone

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, RedirectResponse, StreamingResponse

from .. import flavour
from ..errors import ServiceUnavailable
from ..http import REPO, Ctx, route
from ..stages import SpaceStage
from . import proxy
from .runtime import SpaceManager

SPACE_API = rf"/api/spaces/{REPO}"
ALL_METHODS = "GET|POST|PUT|PATCH|DELETE|OPTIONS"
APP_RAW = re.compile(r"^/spaces/[^/]+/[^/]+/app(/.*)?$")
LOG_FOLLOW_S = 600  # a followed log stream ends after this long (the client reconnects)
RETRY_S = 10.0  # a request the app refused before reading it is sent again for this long (same run, RUNNING)
log = logging.getLogger("course_hub.spaces")


def _spaces(ctx: Ctx) -> SpaceManager:
    """The app's Space manager (`app.state.spaces`, see course_hub/app.py)."""
    return ctx.request.app.state.spaces


def _refuse_anonymous(ctx: Ctx) -> None:
    """Classroom mode: these routes start or show running code; an anonymous caller gets the 401 first."""
    if ctx.policy.anonymous_refused(ctx.ident, ctx.request.url.path):
        raise ctx.policy.token_required()


def runtime(ctx: Ctx):
    """GET /api/spaces/{id}/runtime. Asking for the runtime of a sleeping Space wakes it (it answers BUILDING)
    when the caller may use its app (not in the huggingface.co flavour: there only a visit does, flavour.py): that
    is how `gradio_client.Client("owner/space")` waits for a cold start."""
    _refuse_anonymous(ctx)
    rec = ctx.policy.see(ctx.ident, "space", ctx.repo_id)
    wake = ctx.policy.has_file_access(ctx.ident, rec) and flavour.runtime_wakes(ctx.settings)  # not on huggingface.co
    return JSONResponse(_spaces(ctx).runtime(rec, wake=wake))


def restart(ctx: Ctx):
    """POST /api/spaces/{id}/restart (`restart_space`): unpause, stop, start again at main's head."""
    rec = ctx.policy.write(ctx.ident, "space", ctx.repo_id)
    _spaces(ctx).restart(rec)
    return JSONResponse(_spaces(ctx).runtime(rec))


def pause(ctx: Ctx):
    """POST /api/spaces/{id}/pause (`pause_space`): stop it until `restart_space`."""
    rec = ctx.policy.write(ctx.ident, "space", ctx.repo_id)
    _spaces(ctx).pause(rec)
    return JSONResponse(_spaces(ctx).runtime(rec))


def _stamp(ts: float | None = None) -> str:
    when = datetime.fromtimestamp(time.time() if ts is None else ts, timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


async def logs(ctx: Ctx):
    """GET /api/spaces/{id}/logs/{run|build} (`fetch_space_logs`): server-sent events
    `data: {"data": line, "timestamp": ...}`: what is logged so far, then new lines while the app runs or starts.
    `build` gives the course hub's own lines (checkout, requirements, restarts); `run` everything."""
    _refuse_anonymous(ctx)
    rec = await run_in_threadpool(ctx.policy.download, ctx.ident, "space", ctx.repo_id, ctx.endpoint)
    spaces = _spaces(ctx)
    path = spaces.log_path(rec.id)
    only_hub = ctx.params.get("kind") == "build"

    async def events():
        pos, started, pinged = 0, time.monotonic(), time.monotonic()
        # lines logged before this request: stamped a little earlier than now, so that a no-follow client (which
        # stops at the first line stamped after the response's Date + 1 s) reads them all
        backlog_stamp = _stamp(time.time() - 2)
        first = True
        while True:
            try:
                size = path.stat().st_size
                if size < pos:  # a new start rewrote the log
                    pos = 0
                with open(path, "rb") as f:  # noqa: ASYNC230
                    f.seek(pos)
                    chunk = f.read(size - pos)
            except OSError:
                chunk = b""
            complete = chunk[: chunk.rfind(b"\n") + 1]
            pos += len(complete)
            for line in complete.decode("utf-8", "replace").split("\n")[:-1]:  # \n only: \r is the app's text
                if only_hub and not (line.startswith("[course hub]") or line.startswith("=====")):
                    continue
                stamp = backlog_stamp if first else _stamp()
                yield f"data: {json.dumps({'data': line + chr(10), 'timestamp': stamp})}\n\n"
            first = False
            if not spaces.has_process(rec.id) or time.monotonic() - started > LOG_FOLLOW_S:
                return
            if time.monotonic() - pinged > 30:
                pinged = time.monotonic()
                yield "data: \n\n"  # keep-alive (huggingface_hub skips it)
            await asyncio.sleep(0.5)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


def _open_app(ctx: Ctx, rest: str):
    """The blocking part of a request to an app, in one thread hop: access, then a static file, or the Space's run
    (started if it sleeps)."""
    rec = ctx.policy.download(ctx.ident, "space", ctx.repo_id, ctx.endpoint)
    spaces = _spaces(ctx)
    refused = spaces.refusal(rec)
    if refused:
        raise ServiceUnavailable(f"{refused[0]}: {refused[1]}", stage=refused[0])
    sha, card, _ = spaces.card(rec)
    if card.get("sdk") == "static":
        return rec, proxy.static_file(ctx.hub, rec, sha, card, rest), None
    run = spaces.ensure(rec, use=rest)  # a use of the Space from here on: `app` ends it
    if run is None:
        raise ServiceUnavailable(
            f"{SpaceStage.PAUSED}: this Space is paused by its owner (restart it with restart_space)",
            stage=SpaceStage.PAUSED,
        )
    return rec, None, run


async def app(ctx: Ctx):
    """Any method on /spaces/{id}/app/...: a gradio Space's app through the proxy (started on the first request,
    waited for while it starts), a static Space's files."""
    _refuse_anonymous(ctx)
    raw = ctx.request.scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0] or ctx.request.url.path
    m = APP_RAW.match(raw)
    rest = (m.group(1) if m else None) or ""
    if not rest:  # /app -> /app/ (relative, so it holds behind any path prefix)
        await run_in_threadpool(ctx.policy.download, ctx.ident, "space", ctx.repo_id, ctx.endpoint)
        query = ctx.request.url.query
        return RedirectResponse("app/" + (f"?{query}" if query else ""), status_code=307)
    rec, static, run = await run_in_threadpool(_open_app, ctx, rest)
    if static is not None:
        return static
    spaces = _spaces(ctx)
    held = True  # this request counts as a use of the Space (ensure): ended once, by the proxy or at the end here
    try:
        deadline = time.monotonic() + ctx.settings.space_start_timeout + 10
        while time.monotonic() < deadline:
            if run.stage == SpaceStage.BUILDING:
                await asyncio.sleep(0.1)
            elif run.stage == SpaceStage.SLEEPING:  # put to sleep while this request waited (another Space needed
                spaces.end(rec.id, rest)  # the room, all others in use too): it wakes again, the request waits on
                held = False
                run = await run_in_threadpool(spaces.ensure, rec, rest)
                if run is None:  # paused meanwhile
                    raise ServiceUnavailable(f"{SpaceStage.PAUSED}: this Space is paused", stage=SpaceStage.PAUSED)
                held = True
            else:
                break
        if run.stage != SpaceStage.RUNNING or run.port is None:
            info = await run_in_threadpool(spaces.runtime, rec)
            log.warning(
                "503 %s %s: the Space is %s, not RUNNING (%s)", rec.id, rest, info["stage"], info.get("errorMessage")
            )
            raise ServiceUnavailable(
                f"{info['stage']}: the Space's app is not running. {info.get('errorMessage', '')}".strip(),
                stage=info["stage"],
            )
        answer = proxy.preflight(ctx.request)
        if answer is not None:
            return answer
        gen, started = run.gen, time.monotonic()
        while True:
            net = run.net
            try:
                held = False  # the proxy ends the use, answered or not
                return await proxy.forward(
                    ctx.request.app.state.upstream,
                    ctx.request,
                    run.port,
                    rest,
                    lambda: spaces.end(rec.id, rest),
                    sock=str(net.app_sock) if net is not None else None,
                )
            except httpx.HTTPError as e:
                # a connection the app (or its relay) refused, or dropped before answering a request without a
                # body: sent again while the same run is RUNNING (an app that has just started can refuse a
                # moment; its relay drops a connection it cannot pass on); a body is never sent twice
                unsent = isinstance(e, httpx.ConnectError) or (
                    isinstance(e, (httpx.RemoteProtocolError, httpx.ReadError)) and not proxy.has_body(ctx.request)
                )
                running = run.gen == gen and run.stage == SpaceStage.RUNNING
                if unsent and running and time.monotonic() - started < RETRY_S:
                    spaces.begin(rec.id, rest)
                    held = True
                    await asyncio.sleep(0.2)
                    continue
                log.warning(
                    "503 %s %s: the app did not answer through the proxy after %.1f s: %s: %s",
                    rec.id,
                    rest,
                    time.monotonic() - started,
                    type(e).__name__,
                    e,
                )
                raise ServiceUnavailable(
                    f"The Space's app did not answer ({type(e).__name__}); it may be restarting",
                    headers={"Retry-After": "2"},
                ) from None
    finally:
        if held:
            spaces.end(rec.id, rest)


ROUTES = [
    route("GET", rf"{SPACE_API}/runtime", runtime),
    route("POST", rf"{SPACE_API}/restart", restart),
    route("POST", rf"{SPACE_API}/pause", pause),
    route("GET", rf"{SPACE_API}/logs/(?P<kind>run|build)", logs, is_async=True),
    route(ALL_METHODS, rf"/spaces/{REPO}/app(?P<path>/.*)?", app, is_async=True),
]
