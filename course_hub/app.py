"""The course hub's route table, read top to bottom: the first pattern that matches the raw path wins."""

from __future__ import annotations

from . import (
    api_access,
    api_community,
    api_course,
    api_files,
    api_lfs,
    api_manage,
    api_read,
    api_social,
    api_write,
    git_http,
    inference,
)
from .http import ANY_REPO, PREFIX, REPO, REV, TYPE, Route, Router, route
from .hub import Hub
from .inference.service import release_if_idle
from .settings import Settings
from .spaces import SpaceManager
from .spaces import routes as space_routes
from .web import community as web_community
from .web import routes as web_routes

API = rf"/api/{TYPE}/{ANY_REPO}"
COLLECTION = r"/api/collections/(?P<slug>[^/]+/[^/]+)"
DISCUSSION = rf"{API}/discussions/(?P<num>[0-9]+)"

ROUTES: list[Route] = [
    # who am I, is it up
    route("GET", r"/api/whoami-v2", api_read.whoami),
    route("GET", r"/api/health", api_read.health),
    # creating, deleting, validating
    route("POST", r"/api/repos/create", api_write.create_repo),
    route("DELETE", r"/api/repos/delete", api_write.delete_repo),
    route("POST", r"/api/validate-yaml", api_write.validate_yaml),
    # course-only: tokens for the notebooks' demonstrations (classroom mode)
    route("POST", r"/api/course/token", api_course.token),
    # search
    route("GET", rf"/api/{TYPE}", api_read.list_repos),
    # one repo: info, files, history
    route("GET", API, api_read.repo_info),
    route("GET", rf"{API}/revision/{REV}", api_read.repo_info),
    route("GET", rf"{API}/tree/{REV}(?:/(?P<path>.*))?", api_read.tree),
    route("POST", rf"{API}/paths-info/{REV}", api_read.paths_info),
    route("GET", rf"{API}/commits/{REV}", api_read.commits),
    route("GET", rf"{API}/refs", api_read.refs),
    route("GET", rf"{API}/auth-check(?:/(?P<write>write))?", api_read.auth_check),
    # one repo: changes
    route("PUT", rf"{API}/settings", api_write.update_settings),
    route("POST", rf"{API}/branch/(?P<branch>.+)", api_write.create_branch),
    route("DELETE", rf"{API}/branch/(?P<branch>.+)", api_write.delete_branch),
    route("POST", rf"{API}/tag/{REV}", api_write.create_tag),
    route("DELETE", rf"{API}/tag/(?P<tag>.+)", api_write.delete_tag),
    route("POST", rf"{API}/preupload/{REV}", api_write.preupload),
    route("POST", rf"{API}/commit/{REV}", api_write.commit),
    # whole repos: move (rename/transfer), duplicate, squash history, LFS storage
    route("POST", r"/api/repos/move", api_manage.move_repo),
    route("POST", rf"{API}/duplicate", api_manage.duplicate),
    route("POST", rf"{API}/super-squash/{REV}", api_manage.super_squash),
    route("GET", rf"{API}/lfs-files", api_manage.list_lfs_files),
    route("POST", rf"{API}/lfs-files/batch", api_manage.delete_lfs_files),
    # likes and collections
    route("POST|DELETE", rf"{API}/like", api_social.like),
    route("GET", rf"{API}/likers", api_social.likers),
    route("GET", r"/api/users/(?P<user>[^/]+)/likes", api_social.liked_by),
    route("GET", r"/api/collections", api_social.list_collections),
    route("POST", r"/api/collections", api_social.create_collection),
    route("GET", rf"{COLLECTION}", api_social.get_collection),
    route("PATCH", rf"{COLLECTION}", api_social.update_collection),
    route("DELETE", rf"{COLLECTION}", api_social.delete_collection),
    route("POST", rf"{COLLECTION}/items", api_social.add_item),
    route("PATCH", rf"{COLLECTION}/items/(?P<item>[0-9a-f]+)", api_social.update_item),
    route("DELETE", rf"{COLLECTION}/items/(?P<item>[0-9a-f]+)", api_social.delete_item),
    # discussions and pull requests (the community tab; PR commits go through `commit` above)
    route("GET", rf"{API}/discussions", api_community.list_discussions),
    route("POST", rf"{API}/discussions", api_community.create_discussion),
    route("GET", rf"{DISCUSSION}", api_community.get_discussion),
    route("POST", rf"{DISCUSSION}/comment", api_community.comment),
    route("POST", rf"{DISCUSSION}/comment/(?P<comment>[^/]+)/edit", api_community.edit_comment),
    route("POST", rf"{DISCUSSION}/comment/(?P<comment>[^/]+)/hide", api_community.hide_comment),
    route("POST", rf"{DISCUSSION}/title", api_community.rename),
    route("POST", rf"{DISCUSSION}/status", api_community.change_status),
    route("POST", rf"{DISCUSSION}/merge", api_community.merge),
    # gated access
    route("GET", rf"{API}/user-access-request/(?P<status>pending|accepted|rejected)", api_access.list_requests),
    route("POST", rf"{API}/user-access-request/handle", api_access.handle),
    route("POST", rf"{API}/user-access-request/grant", api_access.grant),
    route("POST", rf"/{PREFIX}{REPO}/ask-access", api_access.ask_access),
    # Spaces that run: runtime, restart, pause, logs, and the app at /spaces/{owner}/{name}/app/
    *space_routes.ROUTES,
    # downloads, LFS and git
    route("GET", rf"/{PREFIX}{ANY_REPO}/resolve/{REV}/(?P<path>.+)", api_files.resolve),
    route("POST", rf"/{PREFIX}(?P<repo>[^/]+/[^/]+?)(?:\.git)?/info/lfs/objects/batch", api_lfs.batch),
    route("PUT", r"/lfs-objects/(?P<oid>[0-9a-f]{64})", api_lfs.upload, is_async=True),
    route("GET", r"/lfs-objects/(?P<oid>[0-9a-f]{64})", api_lfs.download),
    route(
        "GET|POST",
        rf"/{PREFIX}(?P<repo>[^/]+/[^/]+?)(?:\.git)?/(?P<service>info/refs|git-upload-pack|git-receive-pack)",
        git_http.git_http,
    ),
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
