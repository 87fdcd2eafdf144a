"""File downloads: `/{[datasets|spaces/]}{repo}/resolve/{rev}/{path}` with the headers the Hub clients need."""

from __future__ import annotations

import mimetypes
import re

from starlette.background import BackgroundTask
from starlette.responses import FileResponse, RedirectResponse, Response

from ..errors import BadRequest, EntryNotFound, RangeNotSatisfiable
from ..http import Ctx
from ..lfs import Pointer
from ..names import check_path
from . import xet

RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
UNCOUNTED = {"README.md", ".gitattributes"}


def moved(ctx: Ctx, rec) -> RedirectResponse | None:
    """A renamed or transferred repo's old id in a `resolve` or git URL: 307 to the same URL under its new id (as
    huggingface.co answers; a different case of the same id is not a move)."""
    if rec.id.lower() == ctx.repo_id.lower():
        return None
    raw = ctx.request.scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0]
    path = re.sub(rf"/{re.escape(ctx.repo_id)}(?=[/.]|$)", lambda _: f"/{rec.id}", raw, count=1, flags=re.I)
    query = ctx.request.url.query
    return RedirectResponse(ctx.settings.root_path + path + (f"?{query}" if query else ""), status_code=307)


def resolve(ctx: Ctx):
    hub = ctx.hub
    rec = ctx.policy.download(ctx.ident, ctx.repo_type, ctx.repo_id, ctx.endpoint)
    if redirect := moved(ctx, rec):
        return redirect
    rev, path = ctx.params["rev"], check_path(ctx.params["path"])
    git, sha = hub.resolve(rec.type, rec.id, rev)
    entry = hub.entry(git, sha, rec.id, rev, path)
    raw = git.blob(entry.blob)
    pointer = Pointer.parse(raw)
    headers = {
        "X-Repo-Commit": sha,
        "Accept-Ranges": "bytes",
        "Content-Type": mimetypes.guess_type(path)[0] or "application/octet-stream",
        # a pushed .html or .svg opened in a browser runs nothing on the hub's origin (the website's session)
        "Content-Security-Policy": "default-src 'none'; sandbox allow-downloads",
        "X-Content-Type-Options": "nosniff",
    }
    is_download = ctx.request.method == "GET" and "range" not in ctx.request.headers
    # counted once the body is sent (a database write is not the client's wait; the Hub's counts lag too)
    count = BackgroundTask(hub.count_download, rec.type, rec.id) if is_download and path not in UNCOUNTED else None
    if pointer is not None:
        if not hub.lfs_usable(rec.type, rec.id, pointer.oid, pointer.size):
            raise EntryNotFound(
                f"The LFS object of {path} is missing from the course hub's store "
                "(rebuild the hub with `course-hub build`)",
                {"X-Repo-Commit": sha},
            )
        headers.update(
            {"ETag": f'"{pointer.oid}"', "X-Linked-Etag": f'"{pointer.oid}"', "X-Linked-Size": str(pointer.size)}
        )
        headers.update(xet.resolve_headers(ctx, rec, sha, pointer.oid))
        return LfsFileResponse(
            hub.lfs.path(pointer.oid), headers=headers, media_type=headers["Content-Type"], background=count
        )
    headers["ETag"] = f'"{entry.blob}"'
    return bytes_response(raw, headers, ctx.request.headers.get("range"), count)


class LfsFileResponse(FileResponse):
    """Reads of 1 MiB instead of 64 KiB: each read is a hop to a worker thread and back (uvicorn has no
    sendfile), so big files go 2-4x faster."""

    chunk_size = 1024 * 1024


def bytes_response(
    data: bytes, headers: dict, range_header: str | None, background: BackgroundTask | None = None
) -> Response:
    """200 with the whole content, or 206 for a single `Range: bytes=a-b` (416 when it can't be satisfied)."""
    if not range_header:
        return Response(data, headers=headers, background=background)
    m = RANGE_RE.match(range_header.strip())
    if not m or (not m.group(1) and not m.group(2)):
        raise BadRequest(f"Malformed Range header {range_header!r}")
    size = len(data)
    if m.group(1):
        start = int(m.group(1))
        end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
    else:
        start, end = max(0, size - int(m.group(2))), size - 1
    if start >= size or start > end:
        raise RangeNotSatisfiable("Range not satisfiable", {"Content-Range": f"bytes */{size}"})
    headers = {**headers, "Content-Range": f"bytes {start}-{end}/{size}"}
    return Response(data[start : end + 1], status_code=206, headers=headers)
