"""The Hub's HTTP API: JSON routes (`ROUTES`) and the file routes (`FILE_ROUTES`: downloads, LFS, git), in the order
`app.ROUTES` reads them (the Space routes go between the two, as before the package existed: a Space named `resolve`
or `tree` keeps its routes). Handlers ask `Policy`, call the `Hub`'s operations, and shape the answer."""

from __future__ import annotations

from ..http import ANY_REPO, PREFIX, REPO, REV, TYPE, Route, route
from . import access, community, course, files, git_http, lfs, manage, read, social, webhooks, write, xet

API = rf"/api/{TYPE}/{ANY_REPO}"
COLLECTION = r"/api/collections/(?P<slug>[^/]+/[^/]+)"
DISCUSSION = rf"{API}/discussions/(?P<num>[0-9]+)"

ROUTES: list[Route] = [
    # who am I, is it up
    route("GET", r"/api/whoami-v2", read.whoami),
    route("GET", r"/api/health", read.health),
    # creating, deleting, validating
    route("POST", r"/api/repos/create", write.create_repo),
    route("DELETE", r"/api/repos/delete", write.delete_repo),
    route("POST", r"/api/validate-yaml", write.validate_yaml),
    # webhooks (api/webhooks.py; deliveries: hub_webhooks.py)
    route("GET", r"/api/settings/webhooks", webhooks.list_webhooks),
    route("POST", r"/api/settings/webhooks", webhooks.create),
    route("GET", webhooks.ID, webhooks.get),
    route("POST", webhooks.ID, webhooks.update),
    route("DELETE", webhooks.ID, webhooks.delete),
    route("POST", webhooks.ID + "/enable", webhooks.enable),
    route("POST", webhooks.ID + "/disable", webhooks.disable),
    # course-only: tokens for the notebooks' demonstrations (classroom mode)
    route("POST", r"/api/course/token", course.token),
    # search
    route("GET", rf"/api/{TYPE}", read.list_repos),
    # one repo: info, files, history
    route("GET", API, read.repo_info),
    route("GET", rf"{API}/revision/{REV}", read.repo_info),
    route("GET", rf"{API}/tree/{REV}(?:/(?P<path>.*))?", read.tree),
    route("POST", rf"{API}/paths-info/{REV}", read.paths_info),
    route("GET", rf"{API}/commits/{REV}", read.commits),
    route("GET", rf"{API}/refs", read.refs),
    route("GET", rf"{API}/auth-check(?:/(?P<write>write))?", read.auth_check),
    # one repo: changes
    route("PUT", rf"{API}/settings", write.update_settings),
    route("POST", rf"{API}/branch/(?P<branch>.+)", write.create_branch),
    route("DELETE", rf"{API}/branch/(?P<branch>.+)", write.delete_branch),
    route("POST", rf"{API}/tag/{REV}", write.create_tag),
    route("DELETE", rf"{API}/tag/(?P<tag>.+)", write.delete_tag),
    route("POST", rf"{API}/preupload/{REV}", write.preupload),
    route("POST", rf"{API}/commit/{REV}", write.commit),
    # Xet: tokens for the CAS (api.xet), and the CAS itself
    route("GET", rf"{API}/xet-read-token/{REV}", xet.read_token),
    route("GET", rf"{API}/xet-write-token/{REV}", xet.write_token),
    route("GET", rf"{xet.CAS}/v1/reconstructions/(?P<hash>[^/]+)", xet.reconstruction),
    route("GET", rf"{xet.CAS}/v1/xorb-data/(?P<hash>[0-9a-f]{{64}})", xet.xorb_data),
    route("POST", rf"{xet.CAS}/v1/xorbs/(?P<prefix>[^/]+)/(?P<hash>[^/]+)", xet.upload_xorb, is_async=True),
    route("POST", rf"{xet.CAS}/v1/shards", xet.upload_shard),
    route("GET", rf"{xet.CAS}/v1/chunks/(?P<prefix>[^/]+)/(?P<hash>[^/]+)", xet.dedupe),
    route("GET", rf"{xet.CAS}/v1/stats", xet.stats),
    # whole repos: move (rename/transfer), duplicate, squash history, LFS storage
    route("POST", r"/api/repos/move", manage.move_repo),
    route("POST", rf"{API}/duplicate", manage.duplicate),
    route("POST", rf"{API}/super-squash/{REV}", manage.super_squash),
    route("GET", rf"{API}/lfs-files", manage.list_lfs_files),
    route("POST", rf"{API}/lfs-files/batch", manage.delete_lfs_files),
    # likes and collections
    route("POST|DELETE", rf"{API}/like", social.like),
    route("GET", rf"{API}/likers", social.likers),
    route("GET", r"/api/users/(?P<user>[^/]+)/likes", social.liked_by),
    route("GET", r"/api/collections", social.list_collections),
    route("POST", r"/api/collections", social.create_collection),
    route("GET", rf"{COLLECTION}", social.get_collection),
    route("PATCH", rf"{COLLECTION}", social.update_collection),
    route("DELETE", rf"{COLLECTION}", social.delete_collection),
    route("POST", rf"{COLLECTION}/items", social.add_item),
    route("PATCH", rf"{COLLECTION}/items/(?P<item>[0-9a-f]+)", social.update_item),
    route("DELETE", rf"{COLLECTION}/items/(?P<item>[0-9a-f]+)", social.delete_item),
    # discussions and pull requests (the community tab; PR commits go through `commit` above)
    route("GET", rf"{API}/discussions", community.list_discussions),
    route("POST", rf"{API}/discussions", community.create_discussion),
    route("GET", rf"{DISCUSSION}", community.get_discussion),
    route("POST", rf"{DISCUSSION}/comment", community.comment),
    route("POST", rf"{DISCUSSION}/comment/(?P<comment>[^/]+)/edit", community.edit_comment),
    route("POST", rf"{DISCUSSION}/comment/(?P<comment>[^/]+)/hide", community.hide_comment),
    route("POST", rf"{DISCUSSION}/title", community.rename),
    route("POST", rf"{DISCUSSION}/status", community.change_status),
    route("POST", rf"{DISCUSSION}/merge", community.merge),
    # gated access
    route("GET", rf"{API}/user-access-request/(?P<status>pending|accepted|rejected)", access.list_requests),
    route("POST", rf"{API}/user-access-request/handle", access.handle),
    route("POST", rf"{API}/user-access-request/grant", access.grant),
    route("POST", rf"/{PREFIX}{REPO}/ask-access", access.ask_access),
]

FILE_ROUTES: list[Route] = [
    # downloads, LFS and git
    route("GET", rf"/{PREFIX}{ANY_REPO}/resolve/{REV}/(?P<path>.+)", files.resolve),
    route("POST", rf"/{PREFIX}(?P<repo>[^/]+/[^/]+?)(?:\.git)?/info/lfs/objects/batch", lfs.batch),
    route("PUT", r"/lfs-objects/(?P<oid>[0-9a-f]{64})", lfs.upload, is_async=True),
    route("GET", r"/lfs-objects/(?P<oid>[0-9a-f]{64})", lfs.download),
    route(
        "GET|POST",
        rf"/{PREFIX}(?P<repo>[^/]+/[^/]+?)(?:\.git)?/(?P<service>info/refs|git-upload-pack|git-receive-pack)",
        git_http.git_http,
    ),
]
