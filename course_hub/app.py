"""The course hub's route table, read top to bottom: the first pattern that matches the raw path wins."""

from __future__ import annotations

from . import api, inference
from .http import Route, Router
from .hub import Hub
from .inference.service import release_if_idle
from .settings import Settings
from .spaces import SpaceManager
from .spaces import routes as space_routes
from .web import community as web_community
from .web import routes as web_routes

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


def release_memory(app: Router, why: str) -> list[str]:
    """What a hub lets go of when the learner moves on (a lean hub: SIGUSR1 from a notebook's setup cell, see
    course_hub/server.py): idle Spaces sleep, an idle inference worker stops. Returns what went."""
    gone = [f"Space {s}" for s in app.hub.spaces.sleep_idle(why)]
    return gone + (["inference worker"] if release_if_idle(app.settings) else [])


def create_app(settings: Settings) -> Router:
    """The ASGI app over `settings.hub_dir`; in classroom mode every request needs a valid token (but the few in
    `policy.OPEN_IN_CLASSROOM`)."""
    hub = Hub(settings.hub_dir, classroom=settings.classroom)
    hub.recover()
    hub.spaces = SpaceManager(hub, settings)
    if settings.lean:  # a small machine: a Space and the inference worker never hold memory together
        hub.spaces.before_start.append(lambda: release_if_idle(settings))
    return Router(hub, ROUTES, settings)
