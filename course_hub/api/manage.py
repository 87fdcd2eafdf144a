"""Managing whole repos: move (rename/transfer), duplicate, super-squash a branch, list and delete LFS files."""

from __future__ import annotations

from starlette.responses import JSONResponse

from .. import flavour, listing
from ..errors import BadRequest, PreconditionFailed, revision_not_found
from ..gitrepo import ConflictError
from ..gitrepo import RevisionNotFound as GitRevisionNotFound
from ..http import Ctx
from ..lfs import OID_RE
from ..names import check_repo_id, check_type, iso
from ..urls import repo_url


def move_repo(ctx: Ctx):
    """`HfApi.move_repo`: POST /api/repos/move {fromRepo, toRepo, type}. The old id keeps resolving (a redirect)."""
    data = ctx.json()
    ctx.policy.signed_in(ctx.ident, "move a repo (with a write token)")
    from_id, to_id = data.get("fromRepo"), data.get("toRepo")
    if not isinstance(from_id, str) or not isinstance(to_id, str):
        raise BadRequest("`fromRepo` and `toRepo` are required ('namespace/name')")
    repo_type = check_type(data.get("type") or "model")
    check_repo_id(from_id)
    check_repo_id(to_id)
    rec = ctx.policy.move(ctx.ident, repo_type, from_id, to_id)
    if rec.id == to_id:
        raise BadRequest(f"{rec.id} is already called {to_id}")
    ctx.hub.move_repo(rec.type, rec.id, to_id)
    if rec.type == "space":  # a running app goes on under its new id
        ctx.request.app.state.spaces.moved(rec.id, ctx.hub.repo("space", to_id))
    return JSONResponse({"url": repo_url(ctx.endpoint, rec.type, to_id)})


def duplicate(ctx: Ctx):
    """`HfApi.duplicate_repo` / `duplicate_space`: POST …/{from_id}/duplicate {repository, visibility?}: the whole
    git repo is copied (every ref and commit), with the right to use the source's LFS objects."""
    data = ctx.json()
    rec = ctx.policy.duplicate(ctx.ident, ctx.repo_type, ctx.repo_id, ctx.endpoint)
    target = data.get("repository")
    if not isinstance(target, str):
        raise BadRequest("`repository` ('namespace/name') is required")
    namespace, _ = check_repo_id(target)
    ctx.policy.create(ctx.ident, namespace, f"create a {rec.type} under the namespace {namespace!r}")
    visibility = data.get("visibility")
    if visibility not in (None, "public", "private", "protected"):
        raise BadRequest("`visibility` must be public, private or protected")
    private = rec.private if visibility is None else visibility != "public"
    ctx.hub.duplicate_repo(rec.type, rec.id, target, private, ctx.ident.user)
    if rec.type == "space" and flavour.builds_on_commit(ctx.settings):  # a new Space with commits: it builds
        ctx.request.app.state.spaces.ensure(ctx.hub.repo("space", target))
    return JSONResponse({"url": repo_url(ctx.endpoint, rec.type, target)})


def super_squash(ctx: Ctx):
    """`HfApi.super_squash_history`: the branch becomes one commit with its current files."""
    rec = ctx.policy.write(ctx.ident, ctx.repo_type, ctx.repo_id)
    if ctx.params["rev"].startswith("refs/"):  # refs/pr/N, refs/convert/…: not a branch, as on huggingface.co
        raise BadRequest(f"Cannot super-squash {ctx.params['rev']!r}: only a branch can be squashed")
    message = ctx.json().get("message") or f"Super-squash branch '{ctx.params['rev']}'"
    if not isinstance(message, str):
        raise BadRequest("`message` must be a string")
    try:
        sha = ctx.hub.super_squash(rec.type, rec.id, ctx.params["rev"], message, ctx.ident.user)
    except GitRevisionNotFound:
        raise revision_not_found(rec.id, ctx.params["rev"]) from None
    except ConflictError as e:
        raise PreconditionFailed(str(e)) from None
    return JSONResponse({"commitOid": sha})


def list_lfs_files(ctx: Ctx):
    """`HfApi.list_lfs_files`: the LFS objects of the repo (part of its settings: owner or org admin)."""
    rec = ctx.policy.administer(ctx.ident, ctx.repo_type, ctx.repo_id, "list the LFS files of")
    files = [{**f, "pushedAt": iso(f["pushedAt"])} for f in ctx.hub.lfs_files(rec.type, rec.id)]
    page, headers = listing.paginate(
        files,
        ctx.query("cursor"),
        ctx.settings.page_size,
        str(ctx.request.url).split("?")[0],
        dict(ctx.request.query_params.multi_items()),
    )
    return JSONResponse(page, headers=headers)


def delete_lfs_files(ctx: Ctx):
    """`HfApi.permanently_delete_lfs_files`: {deletions: {sha: [...], rewriteHistory}}."""
    rec = ctx.policy.administer(ctx.ident, ctx.repo_type, ctx.repo_id, "delete LFS files of")
    deletions = ctx.json().get("deletions")
    shas = deletions.get("sha") if isinstance(deletions, dict) else None
    if not isinstance(shas, list) or not all(isinstance(s, str) and OID_RE.match(s) for s in shas):
        raise BadRequest("`deletions.sha` must be a list of sha256 object ids")
    ctx.hub.delete_lfs_files(rec.type, rec.id, shas)
    return JSONResponse({})
