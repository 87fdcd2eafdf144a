"""Routes that change the hub: create/delete repos, settings, branches and tags, preupload, NDJSON commits."""

from __future__ import annotations

import base64
import binascii
import json

from starlette.responses import JSONResponse, PlainTextResponse

from .. import flavour
from ..card_meta import validate_card
from ..errors import BadRequest, Forbidden, PayloadTooLarge, RefExists, RepoExists, RevisionNotFound, revision_not_found
from ..gitmatch import DEFAULT_GITATTRIBUTES, GitIgnore, upload_mode
from ..gitrepo import ConflictError, valid_ref_name
from ..gitrepo import RevisionNotFound as GitRevisionNotFound
from ..http import Ctx, _header_safe
from ..lfs import OID_RE, Pointer
from ..names import check_path, check_repo_id, check_type
from ..urls import repo_url
from . import community, webhooks

GITATTRIBUTES = DEFAULT_GITATTRIBUTES.encode()  # what huggingface.co puts in a new repo
SPACE_SDKS = ("gradio", "streamlit", "docker", "static")


def _repo_from_body(ctx: Ctx) -> tuple[str, str, dict]:
    data = ctx.json()
    ident = ctx.policy.signed_in(ctx.ident, "create or delete a repo (with a write token)")
    name, org = data.get("name"), data.get("organization")
    if not isinstance(name, str) or not name:
        raise BadRequest("`name` is required")
    if "/" in name and not org:
        org, name = name.split("/", 1)
    repo_type = check_type(data.get("type") or "model")
    repo_id = f"{org or ident.user}/{name}"
    check_repo_id(repo_id)
    return repo_type, repo_id, data


def create_repo(ctx: Ctx):
    repo_type, repo_id, data = _repo_from_body(ctx)
    namespace = repo_id.split("/")[0]
    ctx.policy.create(ctx.ident, namespace, f"create a {repo_type} under the namespace {namespace!r}")
    private = bool(data.get("private")) or data.get("visibility") == "private"
    if repo_type == "space" and data.get("sdk") not in SPACE_SDKS:
        raise BadRequest(f"Spaces need an `sdk`, one of {', '.join(SPACE_SDKS)}")
    existing = ctx.hub.repo(repo_type, repo_id, follow=False)  # ids are unique regardless of case
    if existing is not None:  # the body carries `url`: HfApi.create_repo(exist_ok=True) reads it from the 409
        repo_id = existing.id
        url = repo_url(ctx.endpoint, repo_type, repo_id)
        raise RepoExists(f"You already created this {repo_type} repo: {repo_id}", {"X-Repo-Url": url}, url=url)
    files = {".gitattributes": GITATTRIBUTES}
    if repo_type == "space":
        files["README.md"] = (
            f"---\ntitle: {repo_id.split('/')[1]}\nsdk: {data['sdk']}\napp_file: app.py\n---\n"
        ).encode()
    ctx.hub.create_repo(repo_type, repo_id, private=private, initial=files, author=ctx.ident.user)
    url = repo_url(ctx.endpoint, repo_type, repo_id)
    return JSONResponse({"url": url, "name": repo_id, "id": repo_id})


def delete_repo(ctx: Ctx):
    repo_type, repo_id, _ = _repo_from_body(ctx)
    rec = ctx.policy.administer(ctx.ident, repo_type, repo_id, "delete")
    ctx.hub.delete_repo(rec.type, rec.id)
    return JSONResponse({})


def update_settings(ctx: Ctx):
    rec = ctx.policy.administer(ctx.ident, ctx.repo_type, ctx.repo_id, "change the settings of")
    data = ctx.json()
    private = data.get("private")
    if data.get("visibility") in ("private", "public"):
        private = data["visibility"] == "private"
    gated = data.get("gated")
    if gated not in (None, False, "auto", "manual"):
        raise BadRequest("`gated` must be false, 'auto' or 'manual'")
    ctx.hub.update_settings(rec, private=private, gated=gated)
    return JSONResponse(
        {"private": private if private is not None else rec.private, "gated": gated if gated is not None else rec.gated}
    )


def create_branch(ctx: Ctx):
    rec = ctx.policy.write(ctx.ident, ctx.repo_type, ctx.repo_id)
    branch = ctx.params["branch"]
    if not valid_ref_name(branch):
        raise BadRequest(f"Invalid reference for a branch: {branch!r}")
    data = ctx.json()
    start = data.get("startingPoint") or "main"
    if not isinstance(start, str):
        raise BadRequest("`startingPoint` must be a revision (a branch, tag or commit)")
    git, sha = ctx.hub.resolve(rec.type, rec.id, start)
    try:
        git.create_branch(branch, sha)
    except ConflictError as e:
        raise RefExists(str(e)) from None
    return JSONResponse({})


def delete_branch(ctx: Ctx):
    rec = ctx.policy.write(ctx.ident, ctx.repo_type, ctx.repo_id)
    branch = ctx.params["branch"]
    if branch == "main":
        raise Forbidden("Cannot delete refs/heads/main: it is the repo's default branch")
    if not ctx.hub.git(rec.type, rec.id).delete_branch(branch):
        raise revision_not_found(rec.id, branch)
    return JSONResponse({})


def create_tag(ctx: Ctx):
    """The revision is checked before the tag's name, as on the Hub (an unknown revision: RevisionNotFound)."""
    rec = ctx.policy.write(ctx.ident, ctx.repo_type, ctx.repo_id)
    data = ctx.json()
    git, sha = ctx.hub.resolve(rec.type, rec.id, ctx.params["rev"])
    tag = data.get("tag")
    if not isinstance(tag, str) or not valid_ref_name(tag):
        raise BadRequest(f"Invalid tag name {tag!r}")
    try:
        git.create_tag(tag, sha, data.get("message"), ctx.ident.user)
    except ConflictError as e:
        raise RefExists(str(e)) from None
    return JSONResponse({})


def delete_tag(ctx: Ctx):
    rec = ctx.policy.write(ctx.ident, ctx.repo_type, ctx.repo_id)
    if not ctx.hub.git(rec.type, rec.id).delete_tag(ctx.params["tag"]):
        raise revision_not_found(rec.id, ctx.params["tag"])
    return JSONResponse({})


def preupload(ctx: Ctx):
    """For each file: `uploadMode` from the repo's `.gitattributes` at that revision and the size rule,
    `shouldIgnore` from its `.gitignore` (or the `gitIgnore` text the client sends), and the `oid` of the file
    already there, so that the client skips unchanged files. For a pull request (`create_pr=1`, `refs/pr/N`):
    anyone who may propose one."""
    rec = (
        community.may_propose(ctx)
        if community.wants_pr(ctx)
        else ctx.policy.write(ctx.ident, ctx.repo_type, ctx.repo_id)
    )
    data = ctx.json()
    files = data.get("files")
    if not isinstance(files, list):
        raise BadRequest("`files` must be a list of {path, size, sample}")
    git = ctx.hub.git(rec.type, rec.id)
    try:
        sha = git.resolve(ctx.params["rev"])
    except GitRevisionNotFound:
        sha = None  # a branch the commit will create (create_pr) or refuse: nothing to compare with
    attributes = ctx.hub.attributes(git, sha) if sha else None
    ignore = data.get("gitIgnore")
    if ignore is not None and not isinstance(ignore, str):
        raise BadRequest("`gitIgnore` must be the text of a .gitignore file")
    gitignore = GitIgnore(ignore) if ignore is not None else (ctx.hub.gitignore(git, sha) if sha else None)
    out = []
    for f in files:
        if (
            not isinstance(f, dict)
            or not isinstance(f.get("path"), str)
            or not isinstance(f.get("size"), int)
            or isinstance(f.get("size"), bool)
            or f["size"] < 0
        ):
            raise BadRequest("each file needs a string `path` and an integer `size`")
        path = check_path(f["path"], write=True)
        if (
            f["size"] > ctx.settings.max_upload
        ):  # before any byte is stored, by Xet (xorbs come before the shard) or LFS
            raise PayloadTooLarge(
                f"{path} is {f['size']} bytes: larger than this hub takes in one file ({ctx.settings.max_upload} bytes,"
                " COURSE_HUB_MAX_UPLOAD)"
            )
        item = {
            "path": path,
            "uploadMode": upload_mode(path, f["size"], attributes),
            "shouldIgnore": bool(gitignore and gitignore.ignored(path)),
        }
        oid = ctx.hub.remote_oid(git, sha, path) if sha else None
        if oid:
            item["oid"] = oid
        out.append(item)
    return JSONResponse({"files": out, "commitOid": sha or git.head()})


def commit(ctx: Ctx):
    """NDJSON: a `header` line, then `file` / `lfsFile` / `deletedFile` / `deletedFolder` lines."""
    if community.wants_pr(ctx):  # create_pr=1 or refs/pr/N: readers propose; community decides, commits
        community.may_propose(ctx)
        header, changes, folders = parse_ndjson(ctx.body)
        return community.commit_pr(ctx, header, changes, folders)
    rec = ctx.policy.write(ctx.ident, ctx.repo_type, ctx.repo_id)
    branch = ctx.params["rev"]
    header, changes, folders = parse_ndjson(ctx.body)
    git = ctx.hub.git(rec.type, rec.id)
    before = git.head(branch)
    if before is None:
        raise RevisionNotFound(f"Invalid rev id: {branch} is not a branch of {rec.id}")
    summary = str(header.get("summary") or "Upload files").strip() or "Upload files"
    description = str(header.get("description") or "").strip()
    message = summary + ("\n\n" + description if description else "")
    parent = header.get("parentCommit")
    sha = ctx.hub.commit(
        rec.type,
        rec.id,
        branch,
        changes,
        message,
        ctx.ident.user,
        parent=parent,
        delete_folders=tuple(folders),
        allow_empty=False,
    )  # nothing changed: no new commit
    webhooks.emit_push(ctx, rec, [(f"refs/heads/{branch}", before, sha)])
    if sha and rec.type == "space" and branch == "main" and flavour.builds_on_commit(ctx.settings):
        ctx.request.app.state.spaces.ensure(rec)  # huggingface.co builds a Space on every push (flavour.py)
    return JSONResponse(
        {
            "commitUrl": repo_url(ctx.endpoint, rec.type, rec.id, "commit", sha),
            "commitOid": sha,
            "pullRequestUrl": None,
        }
    )


def parse_ndjson(body: bytes) -> tuple[dict, dict, list[str]]:
    header, changes, folders = None, {}, []
    for n, line in enumerate(body.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            key, value = item["key"], item["value"]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise BadRequest(f'NDJSON line {n} is not a {{"key", "value"}} JSON object') from None
        if not isinstance(value, dict):
            raise BadRequest(f"NDJSON line {n}: `value` must be an object")
        if key == "header":
            header = value
            continue
        path = value.get("path")
        if not isinstance(path, str):
            raise BadRequest(f"NDJSON line {n}: `path` is required")
        path = path.rstrip("/") if key == "deletedFolder" else path  # the client sends "folder/"
        check_path(path, write=True)
        if key == "file":
            if value.get("encoding", "base64") != "base64" or not isinstance(value.get("content"), str):
                raise BadRequest(f"NDJSON line {n}: `file` needs base64 `content`")
            try:
                changes[path] = base64.b64decode(value["content"], validate=True)
            except (binascii.Error, ValueError):
                raise BadRequest(f"NDJSON line {n}: content is not valid base64") from None
        elif key == "lfsFile":
            oid, size = value.get("oid"), value.get("size")  # no `size`: a copy of a stored object
            if (
                value.get("algo", "sha256") != "sha256"
                or not isinstance(oid, str)
                or not OID_RE.match(oid)
                or (size is not None and (not isinstance(size, int) or size < 0))
            ):
                raise BadRequest(f"NDJSON line {n}: `lfsFile` needs algo sha256, a hex `oid` and an integer `size`")
            changes[path] = Pointer(oid, size)
        elif key == "deletedFile":
            changes[path] = None
        elif key == "deletedFolder":
            folders.append(path)
        else:
            raise BadRequest(f"NDJSON line {n}: unsupported operation {key!r}")
    if header is None:
        raise BadRequest("The commit has no `header` line")
    return header, changes, folders


def validate_yaml(ctx: Ctx):
    """`{"content", "repoType"}` -> 200 `{"errors": [], "warnings": [...]}` or 400 with the errors; plain text
    for a client that asks for it (`ModelCard.validate()` sends `Accept: text/plain` and raises the text)."""
    data = ctx.json()
    content = data.get("content")
    if not isinstance(content, str):
        raise BadRequest("`content` must be a string")
    repo_type = data.get("repoType") or "model"
    if repo_type not in ("model", "dataset", "space"):
        raise BadRequest(f"Invalid repoType {repo_type!r}: must be one of model, dataset, space")
    errors, warnings = validate_card(content, repo_type)
    status = 400 if errors else 200
    headers = (
        {"X-Error-Code": "BadRequest", "X-Error-Message": _header_safe("Invalid card metadata: " + "; ".join(errors))}
        if errors
        else None
    )
    accept = ctx.request.headers.get("accept", "")
    if "text/plain" in accept and "json" not in accept:
        text = "\n".join(f"- {m}" for m in errors) if errors else "OK"
        return PlainTextResponse(text, status_code=status, headers=headers)
    return JSONResponse(
        {"errors": [{"message": p} for p in errors], "warnings": [{"message": w} for w in warnings]},
        status_code=status,
        headers=headers,
    )
