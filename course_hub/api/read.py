"""Read-only API routes: whoami, repo info, search, tree, paths-info, commits, refs, auth-check."""

from __future__ import annotations

import html
from urllib.parse import parse_qs

from starlette.responses import JSONResponse

from .. import __version__, listing
from ..errors import BadRequest, entry_not_found
from ..http import Ctx
from ..markdown import markdown
from ..names import check_path


def whoami(ctx: Ctx):
    ident = ctx.policy.signed_in(ctx.ident, "ask who you are (whoami)")
    user = ctx.hub.accounts.get(ident.user)
    orgs = [
        {"type": "org", "name": org, "fullname": org, "roleInOrg": role}
        for org, role in ctx.hub.accounts.orgs_of(ctx.ident.user)
    ]
    return JSONResponse(
        {
            "type": "user",
            "id": listing.object_id("user", user["name"]),
            "name": user["name"],
            "fullname": user["fullname"],
            "email": None,
            "emailVerified": False,
            "isPro": False,
            "orgs": orgs,
            "auth": {
                "type": "access_token",
                "accessToken": {"displayName": ctx.ident.token_name, "role": ctx.ident.role},
            },
        }
    )


def repo_info(ctx: Ctx):
    rec = ctx.policy.see(ctx.ident, ctx.repo_type, ctx.repo_id)
    git, sha = ctx.hub.resolve(rec.type, rec.id, ctx.params.get("rev", "main"))
    expand = ctx.query_list("expand") or None
    info = listing.repo_info(
        ctx.hub,
        rec,
        git,
        sha,
        ctx.ident,
        blobs=ctx.flag("blobs"),
        expand=expand,
        endpoint=ctx.endpoint,
        runtime=ctx.request.app.state.spaces,
    )
    if expand is None or "xetEnabled" in expand:
        info["xetEnabled"] = True  # every repo: its LFS files download through Xet too (api/xet.py)
    return JSONResponse(info)


def list_repos(ctx: Ctx):
    repo_type = ctx.repo_type
    full = ctx.flag("full") or bool(ctx.query_list("expand"))
    card = ctx.flag("cardData")
    rows = listing.search_repos(
        ctx.hub,
        ctx.ident,
        repo_type,
        runtime=ctx.request.app.state.spaces,
        searches=ctx.query_list("search"),
        filters=ctx.query_list("filter"),
        author=ctx.query("author"),
        pipeline_tag=ctx.query("pipeline_tag"),
        gated=(ctx.query("gated") or "").lower(),
        models=ctx.query_list("models"),
        datasets=ctx.query_list("datasets"),
        sort=ctx.query("sort"),
        descending=ctx.query("direction", "-1") != "1",
        spaces=repo_type == "model" and bool(ctx.query_list("expand")),
    )
    for info in rows:
        if not full:
            info.pop("siblings", None)
        if not card:
            info.pop("cardData", None)
    return listing.paged(ctx, rows, f"/api/{repo_type}s")


def tree(ctx: Ctx):
    rec = ctx.policy.see(ctx.ident, ctx.repo_type, ctx.repo_id)  # gated: the list is public
    rev = ctx.params["rev"]
    git, sha = ctx.hub.resolve(rec.type, rec.id, rev)
    folder = ctx.params.get("path", "").strip("/")
    if folder:
        check_path(folder)
    try:
        entries = listing.tree_entries(git, sha, folder, ctx.flag("recursive"))
    except KeyError:
        raise entry_not_found(rec.id, rev, folder, {"X-Repo-Commit": sha}) from None
    # files whose LFS object was deleted (`permanently_delete_lfs_files`) leave the list, as on huggingface.co
    entries = [e for e in entries if "lfs" not in e or ctx.hub.lfs_usable(rec.type, rec.id, e["lfs"]["oid"], e["size"])]
    size = ctx.settings.page_size if not ctx.flag("expand") else min(ctx.settings.page_size, 50)
    page, headers = listing.paginate(
        entries,
        ctx.query("cursor"),
        size,
        str(ctx.request.url).split("?")[0],
        dict(ctx.request.query_params.multi_items()),
    )
    if ctx.flag("expand"):
        lasts = listing.last_commits(git, sha, [e["path"] for e in page])
        for e in page:
            if e["path"] in lasts:
                e["lastCommit"] = lasts[e["path"]]
    return JSONResponse(page, headers={**headers, "X-Repo-Commit": sha})


def paths_info(ctx: Ctx):
    rec = ctx.policy.see(ctx.ident, ctx.repo_type, ctx.repo_id)  # gated: the list is public
    git, sha = ctx.hub.resolve(rec.type, rec.id, ctx.params["rev"])
    ctype = ctx.request.headers.get("content-type", "")
    if "json" in ctype:
        data = ctx.json()
        paths, expand = data.get("paths") or [], bool(data.get("expand"))
    else:
        form = parse_qs(ctx.body.decode("utf-8", "replace"))
        paths, expand = form.get("paths", []), (form.get("expand", ["false"])[0].lower() == "true")
    if not isinstance(paths, list):
        raise BadRequest("`paths` must be a list")
    files = git.files(sha)
    out = []
    for p in paths:
        p = str(p).strip("/")
        check_path(p)
        if p in files:
            out.append(listing.file_entry(git, files[p]))
        elif any(f.startswith(p + "/") for f in files):
            out.append(
                next(
                    e
                    for e in listing.tree_entries(git, sha, p.rsplit("/", 1)[0] if "/" in p else "", False)
                    if e["path"] == p
                )
            )
    if expand:
        lasts = listing.last_commits(git, sha, [e["path"] for e in out])
        for e in out:
            e["lastCommit"] = lasts.get(e["path"])
    return JSONResponse(out, headers={"X-Repo-Commit": sha})


def commits(ctx: Ctx):
    rec = ctx.policy.see(ctx.ident, ctx.repo_type, ctx.repo_id)
    git, sha = ctx.hub.resolve(rec.type, rec.id, ctx.params["rev"])
    history = [listing.commit_json(c) for c in git.log(sha)]
    try:
        page_no = int(ctx.query("p", "0"))
    except ValueError:
        raise BadRequest("Invalid page number") from None
    size = listing.COMMITS_PAGE
    page = history[page_no * size : (page_no + 1) * size]
    if "formatted" in ctx.query_list("expand[]"):  # list_repo_commits(formatted=True): the title and message as HTML
        for c in page:
            c["formatted"] = {
                "title": html.escape(c["title"]),
                "message": markdown(c["message"]) if c["message"] else "",
            }
    headers = {"X-Total-Count": str(len(history))}
    if (page_no + 1) * size < len(history):
        base = str(ctx.request.url).split("?")[0]
        headers["Link"] = f'<{base}?p={page_no + 1}>; rel="next"'
    return JSONResponse(page, headers=headers)


def refs(ctx: Ctx):
    rec = ctx.policy.see(ctx.ident, ctx.repo_type, ctx.repo_id)
    branches, tags = ctx.hub.git(rec.type, rec.id).refs()
    out = {
        "branches": [{"name": n, "ref": f"refs/heads/{n}", "targetCommit": s} for n, s in sorted(branches.items())],
        "tags": [{"name": n, "ref": f"refs/tags/{n}", "targetCommit": s} for n, s in sorted(tags.items())],
        "converts": [],
    }
    if ctx.flag("include_prs"):
        out["pullRequests"] = [
            {"name": f"refs/pr/{n}", "ref": f"refs/pr/{n}", "targetCommit": s}
            for n, s in sorted(ctx.hub.git(rec.type, rec.id).pr_refs().items())
        ]
    return JSONResponse(out)


def auth_check(ctx: Ctx):
    """`…/auth-check` (may I read it?) and `…/auth-check/write` (may I push to it? — `auth_check(write=True)`)."""
    ctx.policy.download(ctx.ident, ctx.repo_type, ctx.repo_id, ctx.endpoint)
    if ctx.params.get("write"):
        ctx.policy.write(ctx.ident, ctx.repo_type, ctx.repo_id)
    return JSONResponse({"access": "granted"})


def health(ctx: Ctx):
    return JSONResponse(
        {"status": "ok", "service": "course-hub", "version": __version__, "repos": len(ctx.hub.repos())}
    )
