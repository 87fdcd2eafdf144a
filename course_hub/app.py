"""The course hub's ASGI app: the route table (read top to bottom: the first pattern that matches the raw path wins)
and the one object that owns the runtime.

`create_app(settings)` returns a `CourseHub`: a `Router` whose `state` (Starlette's `app.state`, what a handler
reaches as `ctx.request.app.state`) holds everything that lives while the hub serves:

    state.hub        the model (`Hub`)
    state.spaces     the Space runtime (`SpaceManager`): processes, the watch thread
    state.inference  the inference service (`InferenceService`): the worker process, the idle watch
    state.upstream   the pooled HTTP client to the Spaces' apps (`spaces.proxy.Upstream`)
    state.secret     the hub dir's session-signing secret (the website's cookies)
    state.webhooks   the users' webhooks and the thread that delivers them (`hub_webhooks.Webhooks`)
    state.xet        Xet: the store, the CAS counters, background conversions (`xet.service.XetService`)

Nothing of it is module-level or registered with `atexit`: the ASGI lifespan's shutdown (uvicorn, or a `with
TestClient(app)`) calls `aclose()`, which stops every Space's process group, the inference worker and the threads;
`server.serve` also calls `close()` when uvicorn returns, whatever way it stopped.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State

from . import api, flavour, inference
from .http import Route, Router
from .hub import Hub
from .hub_webhooks import Webhooks
from .inference.service import InferenceService
from .settings import Settings
from .spaces import SpaceManager
from .spaces import routes as space_routes
from .spaces.proxy import Upstream
from .web import community as web_community
from .web import routes as web_routes
from .web import session as web_session
from .xet.service import XetService

ROUTES: list[Route] = [
    *api.ROUTES,  # the Hub's JSON API (course_hub/api)
    # Spaces that run: runtime, restart, pause, logs, and the app at /spaces/{owner}/{name}/app/
    *space_routes.ROUTES,
    *api.FILE_ROUTES,  # downloads, LFS and git
    # inference: the task API (/models/{id}), chat completions (/v1/...), the widget's files
    *inference.ROUTES,
]
ROUTES += web_community.ROUTES  # the website's Community tab (course_hub/web/community.py)
ROUTES += web_routes.ROUTES  # the website (course_hub/web): after every API, LFS and git route, so none is shadowed


class CourseHub(Router):
    """The app object: the route table over one hub dir, and the runtime it owns (`state`, see the module's doc).
    Made whole by `create_app`; an ASGI lifespan's startup needs nothing, its shutdown closes the runtime."""

    def __init__(self, settings: Settings):
        hub = Hub(settings.hub_dir, classroom=settings.classroom)
        hub.recover()
        super().__init__(hub, flavour.routes(ROUTES, settings), settings)  # huggingface.co's: fewer (flavour.py)
        self.state = State()
        self.state.hub = hub
        self.state.spaces = SpaceManager(hub, settings)
        self.state.inference = InferenceService(settings)
        self.state.upstream = Upstream()
        self.state.secret = hub.dir.secret()
        self.state.webhooks = Webhooks(hub)  # deliveries: a thread started by the first event, stopped by close()
        self.state.xet = XetService(hub.dir.xet_dir, hub.dir.tmp_dir)  # the CAS: store, counters, conversions
        if settings.lean:  # a small machine: a Space and the inference worker never hold memory together
            self.state.spaces.before_start.append(self.state.inference.release_if_idle)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        scope["app"] = self  # Starlette's `request.app`: handlers find the runtime as `request.app.state`
        await super().__call__(scope, receive, send)

    def session_caller(self, request):
        """A widget's caller: the website's session cookie with the page's CSRF header (web/session.py)."""
        return web_session.widget_caller(
            request.cookies, request.headers, self.state.secret, self.state.hub.accounts.identify_digest
        )

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def close(self) -> None:
        """Stop every Space's app and the inference worker (blocking; safe to call again)."""
        self.state.spaces.close()
        self.state.inference.close()
        self.state.webhooks.close()

    async def aclose(self) -> None:
        """`close`, then the proxy's client (the lifespan's shutdown, in the server's event loop)."""
        await run_in_threadpool(self.close)
        await self.state.upstream.aclose()

    def release_memory(self, why: str) -> list[str]:
        """What a hub lets go of when the learner moves on (a lean hub: SIGUSR1 from a notebook's setup cell, see
        course_hub/server.py): idle Spaces sleep, an idle inference worker stops. Returns what went."""
        gone = [f"Space {s}" for s in self.state.spaces.sleep_idle(why)]
        return gone + (["inference worker"] if self.state.inference.release_if_idle() else [])


def create_app(settings: Settings) -> CourseHub:
    """The ASGI app over `settings.hub_dir`; in classroom mode every request needs a valid token (but the few in
    `policy.OPEN_IN_CLASSROOM`)."""
    return CourseHub(settings)
