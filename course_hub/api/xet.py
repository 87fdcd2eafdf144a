"""Xet on the course hub (huggingface.co/docs/xet): the Hub's token routes (`xet-read-token`, `xet-write-token`, with
the access policy of downloads and LFS uploads), the `X-Xet-*` headers `resolve` adds for a converted LFS file, and
the CAS API under `/xet-cas` (reconstructions with byte ranges, xorb uploads checked against their hash, shard uploads
that register files, global dedupe queries, and signed xorb range reads).

One store, two protocols: a file uploaded through Xet is reassembled into the LFS store (sha256-checked) when its
shard arrives, so LFS, plain `resolve` and git serve it; an LFS file is converted to xorbs in the background on its
first `resolve`, which then answers with `X-Xet-Hash` (the first download goes through LFS, as for a file the Hub has
not migrated yet). The counters at `/xet-cas/v1/stats` say what the CAS served and received."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import tempfile
import time

from starlette.responses import JSONResponse, Response

from ..errors import BadRequest, EntryNotFound, Forbidden, InvalidCredentials, PayloadTooLarge, RangeNotSatisfiable
from ..http import Ctx
from ..xet import ShardError, XetStore, XorbError, from_hex
from ..xet import shard as shard_format
from ..xet.service import XetService
from ..xet.xorb import MAX_XORB

CAS = "/xet-cas"
TOKEN_LIFETIME = int(os.environ.get("COURSE_HUB_XET_TOKEN_LIFETIME", 3600))
URL_LIFETIME = 3600
RANGE_RE = re.compile(r"^bytes=(\d+)-(\d+)$")


def service(ctx: Ctx) -> XetService:
    return ctx.request.app.state.xet  # the app owns it (course_hub/app.py)


def store(ctx: Ctx) -> XetStore:
    return service(ctx).cas


# --- tokens ---
def _sign(ctx: Ctx, text: str) -> str:
    return hmac.new(ctx.hub.dir.secret(), f"xet:{text}".encode(), hashlib.sha256).hexdigest()


def _token(ctx: Ctx, scope: str, rec) -> tuple[str, int]:
    exp = int(time.time()) + TOKEN_LIFETIME
    payload = base64.urlsafe_b64encode(f"{scope}\n{rec.type}\n{rec.id}\n{exp}".encode()).decode().rstrip("=")
    return f"xet_{payload}.{_sign(ctx, payload)}", exp


def _check_token(ctx: Ctx, scope: str) -> tuple[str, str]:
    """The repo (type, id) a valid `Authorization: Bearer xet_…` token was issued for; 401/403 otherwise."""
    auth = ctx.request.headers.get("authorization", "")
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    payload, _, sig = token[4:].partition(".")
    if not token.startswith("xet_") or not hmac.compare_digest(_sign(ctx, payload), sig):
        raise InvalidCredentials("A Xet token from /api/{type}s/{id}/xet-read-token/{rev} is needed")
    try:
        have, repo_type, repo_id, exp = base64.urlsafe_b64decode(payload + "==").decode().split("\n")
    except ValueError:
        raise InvalidCredentials("Malformed Xet token") from None
    if int(exp) < time.time():
        raise InvalidCredentials("This Xet token has expired (ask the Hub for a new one)")
    if scope == "write" and have != "write":
        raise Forbidden("This Xet token is read-only (a write token is needed)")
    return repo_type, repo_id


def _token_response(ctx: Ctx, scope: str, rec) -> Response:
    token, exp = _token(ctx, scope, rec)
    cas = f"{ctx.endpoint}{CAS}"
    headers = {"X-Xet-Cas-Url": cas, "X-Xet-Access-Token": token, "X-Xet-Token-Expiration": str(exp)}
    return JSONResponse({"accessToken": token, "exp": exp, "casUrl": cas}, headers=headers)


def read_token(ctx: Ctx):
    rec = ctx.policy.download(ctx.ident, ctx.repo_type, ctx.repo_id, ctx.endpoint)
    ctx.hub.resolve(rec.type, rec.id, ctx.params["rev"])  # RevisionNotFound as for a download
    return _token_response(ctx, "read", rec)


def write_token(ctx: Ctx):
    return _token_response(ctx, "write", ctx.policy.upload_objects(ctx.ident, ctx.repo_type, ctx.repo_id, ctx.endpoint))


# --- resolve ---
def resolve_headers(ctx: Ctx, rec, sha: str, oid: str) -> dict:
    """The Xet headers of an LFS file that has been converted; otherwise start its conversion and add none."""
    xs = store(ctx)
    file_hex = xs.file_of_sha256(oid)
    if file_hex is None:
        service(ctx).convert_in_background(oid, ctx.hub.lfs.path(oid))
        return {}
    prefix = {"model": "models", "dataset": "datasets", "space": "spaces"}[rec.type]
    refresh = f"{ctx.endpoint}/api/{prefix}/{rec.id}/xet-read-token/{sha}"
    return {"X-Xet-Hash": file_hex, "X-Xet-Refresh-Route": refresh, "Link": f'<{refresh}>; rel="xet-auth"'}


# --- CAS ---
def _hash_param(ctx: Ctx, name: str = "hash") -> bytes:
    try:
        return from_hex(ctx.params[name])
    except ValueError:
        raise BadRequest(f"{ctx.params[name]!r} is not a Xet hash (64 lowercase hex characters)") from None


def reconstruction(ctx: Ctx):
    repo_type, repo_id = _check_token(ctx, "read")
    _hash_param(ctx)
    xs = store(ctx)
    record = xs.file_record(ctx.params["hash"])
    if record is None or not ctx.hub.lfs_usable(repo_type, repo_id, record["sha256"], record["size"]):
        raise EntryNotFound(f"No file {ctx.params['hash']} in this repository's Xet storage")
    first, last = 0, record["size"] - 1
    if rng := ctx.request.headers.get("range"):
        m = RANGE_RE.match(rng.strip())
        if not m:
            raise BadRequest(f"Malformed Range header {rng!r}")
        first, last = int(m.group(1)), min(int(m.group(2)), record["size"] - 1)
        if first >= record["size"] or first > int(m.group(2)):
            raise RangeNotSatisfiable("Range not satisfiable", {"Content-Range": f"bytes */{record['size']}"})
    if record["size"] == 0:
        return JSONResponse({"offset_into_first_range": 0, "terms": [], "fetch_info": {}})
    offset, terms = xs.reconstruction(record, first, last)
    fetch: dict[str, list] = {}
    exp = int(time.time()) + URL_LIFETIME
    for name, start, end, _ in terms:
        offsets = xs.xorb_index(name)["offsets"]
        lo, hi = offsets[start], offsets[end] - 1
        sig = _sign(ctx, f"{name}:{lo}:{hi}:{exp}")
        url = f"{ctx.endpoint}{CAS}/v1/xorb-data/{name}?lo={lo}&hi={hi}&exp={exp}&sig={sig}"
        fetch.setdefault(name, []).append(
            {"range": {"start": start, "end": end}, "url": url, "url_range": {"start": lo, "end": hi}}
        )
    service(ctx).count(reconstructions=1)
    return JSONResponse(
        {
            "offset_into_first_range": offset,
            "terms": [{"hash": n, "unpacked_length": u, "range": {"start": s, "end": e}} for n, s, e, u in terms],
            "fetch_info": fetch,
        }
    )


def xorb_data(ctx: Ctx):
    """A signed byte range of a xorb (the URL says which; the `Range` header must ask for exactly that)."""
    name = ctx.params["hash"]
    try:
        lo, hi, exp = int(ctx.query("lo", "")), int(ctx.query("hi", "")), int(ctx.query("exp", ""))
    except ValueError:
        raise Forbidden("This xorb URL is not valid (ask for a new reconstruction)") from None
    good = _sign(ctx, f"{name}:{lo}:{hi}:{exp}")
    if not hmac.compare_digest(good, ctx.query("sig", "")) or exp < time.time():
        raise Forbidden("This xorb URL is not valid or has expired (ask for a new reconstruction)")
    if ctx.request.headers.get("range", "").strip() != f"bytes={lo}-{hi}":
        raise Forbidden("A xorb URL is read with the Range header of its url_range")
    path = store(ctx).xorb_path(name)
    size = path.stat().st_size if path.is_file() else 0
    if hi >= size:
        raise RangeNotSatisfiable("Range not satisfiable", {"Content-Range": f"bytes */{size}"})
    with open(path, "rb") as f:
        f.seek(lo)
        data = f.read(hi - lo + 1)
    service(ctx).count(xorb_ranges=1)
    service(ctx).count(xorb_bytes_sent=len(data))
    return Response(
        data,
        status_code=206,
        media_type="application/octet-stream",
        headers={"Content-Range": f"bytes {lo}-{hi}/{size}"},
    )


async def upload_xorb(ctx: Ctx):
    from starlette.concurrency import run_in_threadpool

    _check_token(ctx, "write")
    if ctx.params["prefix"] != "default":
        raise BadRequest("The xorb prefix is `default`")
    _hash_param(ctx)
    body = bytearray()
    async for part in ctx.request.stream():
        body += part
        if len(body) > MAX_XORB + 1024 * 1024:
            raise PayloadTooLarge("A xorb is at most 64 MiB")
    try:
        inserted = await run_in_threadpool(store(ctx).put_uploaded_xorb, ctx.params["hash"], bytes(body))
    except XorbError as e:
        raise BadRequest(f"Xorb rejected: {e}") from None
    service(ctx).count(xorbs_uploaded=1)
    service(ctx).count(xorb_bytes_received=len(body))
    return JSONResponse({"was_inserted": inserted})


def upload_shard(ctx: Ctx):
    """Register a shard's files: checked against the stored xorbs, reassembled into the LFS store (sha256-checked)
    and linked to the token's repo; nothing is stored when any file fails."""
    repo_type, repo_id = _check_token(ctx, "write")
    xs = store(ctx)
    try:
        files, _xorbs = shard_format.parse(ctx.body)
        records = xs.check_shard(files, _xorbs)
    except ShardError as e:
        raise BadRequest(f"Shard rejected: {e}") from None
    for record in records:
        if record["size"] > ctx.settings.max_upload:
            raise PayloadTooLarge(f"File larger than {ctx.settings.max_upload} bytes")
    oids = []
    for record in records:
        oid = record["sha256"]
        if not ctx.hub.lfs.has(oid, record["size"]):
            fd, tmp = tempfile.mkstemp(dir=ctx.hub.dir.tmp_dir, prefix="xet-file-")
            try:
                with os.fdopen(fd, "wb") as f:
                    xs.write_file(record, f)
                with open(tmp, "rb") as f:
                    ctx.hub.lfs.put_stream(f, oid, record["size"])
            except ValueError as e:
                raise BadRequest(f"Shard rejected: the file's sha256 does not match its content ({e})") from None
            finally:
                os.path.exists(tmp) and os.unlink(tmp)
        oids.append(oid)
    for record in records:
        xs.register(record)
    ctx.hub.link_lfs(repo_type, repo_id, oids)
    service(ctx).count(shards=1)
    service(ctx).count(shard_bytes_received=len(ctx.body))
    return JSONResponse({"result": 1})


def dedupe(ctx: Ctx):
    _check_token(ctx, "read")
    if ctx.params["prefix"] not in ("default-merkledb", "default"):  # the spec's name; hf_xet 1.8 sends `default`
        raise BadRequest("The global dedupe prefix is `default-merkledb`")
    _hash_param(ctx)
    service(ctx).count(dedupe_queries=1)
    answer = store(ctx).dedupe_shard(ctx.params["hash"])
    if answer is None:
        raise EntryNotFound("Chunk not tracked by global deduplication")
    service(ctx).count(dedupe_hits=1)
    return Response(answer, media_type="application/octet-stream")


def stats(ctx: Ctx):
    """What this process's CAS served and received (the tests and `benchmarks/xet.py` read it)."""
    return JSONResponse(dict(service(ctx).stats))
