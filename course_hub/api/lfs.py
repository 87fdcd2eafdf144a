"""The Git LFS batch API and the signed object URLs it hands out (clients PUT/GET them without a token)."""

from __future__ import annotations

import hashlib
import hmac
import os
import tempfile
import time
from urllib.parse import quote

from starlette.responses import FileResponse, JSONResponse

from ..errors import BadRequest, EntryNotFound, Forbidden, PayloadTooLarge
from ..http import Ctx
from ..lfs import OID_RE

URL_LIFETIME = 3600


def _sign(secret: bytes, action: str, oid: str, size: int, expires: int, repo: str) -> str:
    return hmac.new(secret, f"{action}:{oid}:{size}:{expires}:{repo}".encode(), hashlib.sha256).hexdigest()


def _href(ctx: Ctx, rec, action: str, oid: str, size: int) -> str:
    """A URL for one object of one repo (`repo=type:id`: an upload links the object to that repo)."""
    expires = int(time.time()) + URL_LIFETIME
    repo = f"{rec.type}:{rec.id}"
    sig = _sign(ctx.hub.dir.secret(), action, oid, size, expires, repo)
    return (
        f"{ctx.endpoint}/lfs-objects/{oid}?size={size}&expires={expires}&action={action}"
        f"&repo={quote(repo, safe='')}&sig={sig}"
    )


def batch(ctx: Ctx):
    data = ctx.json()
    operation = data.get("operation")
    objects = data.get("objects")
    if operation not in ("upload", "download") or not isinstance(objects, list):
        raise BadRequest("LFS batch needs `operation` (upload|download) and a list of `objects`")
    if operation == "upload":
        rec = ctx.policy.upload_objects(ctx.ident, ctx.repo_type, ctx.repo_id, ctx.endpoint)
    else:
        rec = ctx.policy.download(ctx.ident, ctx.repo_type, ctx.repo_id, ctx.endpoint)
    out = []
    for obj in objects:
        oid, size = (obj.get("oid"), obj.get("size")) if isinstance(obj, dict) else (None, None)
        if not isinstance(oid, str) or not OID_RE.match(oid) or not isinstance(size, int) or size < 0:
            raise BadRequest("each LFS object needs a sha256 hex `oid` and an integer `size`")
        item = {"oid": oid, "size": size, "authenticated": True}
        if operation == "upload":
            if size > ctx.settings.max_upload:
                item["error"] = {"code": 413, "message": f"object larger than {ctx.settings.max_upload} bytes"}
            elif not ctx.hub.lfs_usable(rec.type, rec.id, oid, size):  # stored for another repo:
                item["actions"] = {"upload": {"href": _href(ctx, rec, "upload", oid, size), "expires_in": URL_LIFETIME}}
        elif ctx.hub.lfs_usable(rec.type, rec.id, oid, size):
            item["actions"] = {"download": {"href": _href(ctx, rec, "download", oid, size), "expires_in": URL_LIFETIME}}
        else:
            item["error"] = {"code": 404, "message": "Object does not exist"}
        out.append(item)
    return JSONResponse(
        {"transfer": "basic", "objects": out, "hash_algo": "sha256"}, media_type="application/vnd.git-lfs+json"
    )


def _check_signature(ctx: Ctx, action: str) -> tuple[str, int, str]:
    oid, repo = ctx.params["oid"], ctx.query("repo", "")
    try:
        size, expires = int(ctx.query("size", "")), int(ctx.query("expires", ""))
    except ValueError:
        raise Forbidden("This LFS URL is not valid (ask the batch API for a new one)") from None
    good = _sign(ctx.hub.dir.secret(), action, oid, size, expires, repo)
    if ctx.query("action") != action or not hmac.compare_digest(good, ctx.query("sig", "")) or expires < time.time():
        raise Forbidden("This LFS URL is not valid or has expired (ask the batch API for a new one)")
    return oid, size, repo


async def upload(ctx: Ctx):
    """PUT a signed object: streamed to a temp file, checked against its sha256 and size, then stored."""
    from starlette.concurrency import run_in_threadpool

    oid, size, repo = _check_signature(ctx, "upload")
    declared = int(ctx.request.headers.get("content-length") or -1)
    if declared > ctx.settings.max_upload:
        raise PayloadTooLarge(f"Object too large (limit {ctx.settings.max_upload} bytes)")
    fd, tmp = tempfile.mkstemp(dir=ctx.hub.dir.tmp_dir, prefix="upload-")
    try:
        received = 0
        with os.fdopen(fd, "wb") as f:
            async for chunk in ctx.request.stream():
                received += len(chunk)
                if received > size:
                    raise BadRequest(f"Received more than the announced {size} bytes")
                f.write(chunk)
        with open(tmp, "rb") as f:  # noqa: ASYNC230
            try:
                await run_in_threadpool(ctx.hub.lfs.put_stream, f, oid, size)
            except ValueError as e:
                raise BadRequest(f"Upload rejected: {e}") from None
        repo_type, _, repo_id = repo.partition(":")
        await run_in_threadpool(ctx.hub.link_lfs, repo_type, repo_id, [oid])  # the bytes prove possession
    finally:
        if os.path.exists(tmp):  # noqa: ASYNC240
            os.unlink(tmp)
    return JSONResponse({})


def download(ctx: Ctx):
    oid, size, _ = _check_signature(ctx, "download")
    if not ctx.hub.lfs.has(oid, size):
        raise EntryNotFound("Object does not exist")
    return FileResponse(ctx.hub.lfs.path(oid), media_type="application/octet-stream")
