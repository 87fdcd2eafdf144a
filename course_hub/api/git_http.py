"""`git clone` / `git push` over HTTP: the hub checks the token, then hands the request to `git http-backend`."""

from __future__ import annotations

import contextlib
import gzip
import os
import subprocess

from starlette.responses import Response

from ..errors import BadRequest, GitFailed, HubError
from ..http import Ctx
from . import webhooks
from .files import moved


def git_http(ctx: Ctx):
    hub = ctx.hub
    service = ctx.params["service"]
    pushing = service == "git-receive-pack" or ctx.query("service") == "git-receive-pack"
    basic = {"WWW-Authenticate": 'Basic realm="course hub"'}
    try:
        rec = (
            ctx.policy.write(ctx.ident, ctx.repo_type, ctx.repo_id)
            if pushing
            else ctx.policy.download(ctx.ident, ctx.repo_type, ctx.repo_id, ctx.endpoint)
        )
    except HubError as e:
        if ctx.ident is None and e.status in (401, 403, 404):  # let git ask for credentials, then retry
            raise type(e)(e.message, {**e.headers, **basic}, status=401) from None
        raise
    if redirect := moved(ctx, rec):  # a renamed repo's old URL: git follows the 307 (its first request)
        return redirect
    body = ctx.body
    if ctx.request.headers.get("content-encoding") == "gzip":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError):
            raise BadRequest("Request body is not valid gzip") from None
    repo_path = hub.dir.repo_path(rec.type, rec.id)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_PROJECT_ROOT": str(repo_path.parent),
        "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": f"/{repo_path.name}/{service}",
        "QUERY_STRING": ctx.request.url.query,
        "REQUEST_METHOD": ctx.request.method,
        "CONTENT_TYPE": ctx.request.headers.get("content-type", ""),
        "CONTENT_LENGTH": str(len(body)),
        "GIT_PROTOCOL": ctx.request.headers.get("git-protocol", ""),
        "REMOTE_USER": ctx.ident.user if ctx.ident else "anonymous",
        "REMOTE_ADDR": "127.0.0.1",
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(hub.dir.root),
    }
    refs = _refs(hub, rec) if service == "git-receive-pack" else None  # a push: what moved goes to webhooks
    with hub.repo_lock(rec.type, rec.id) if pushing else contextlib.nullcontext():
        proc = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, timeout=600)
    if refs is not None:
        after = _refs(hub, rec)
        webhooks.emit_push(ctx, rec, [(r, refs.get(r), after.get(r)) for r in sorted(set(refs) | set(after))])
    head, _, payload = proc.stdout.partition(b"\r\n\r\n")
    if not _:
        head, _, payload = proc.stdout.partition(b"\n\n")
    status, headers = 200, {}
    for line in head.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = int(value.strip().split()[0])
        elif name:
            headers[name.strip()] = value.strip()
    if proc.returncode != 0 and status == 200:  # git refused what the client sent (an empty or broken request)
        raise GitFailed("git could not serve this request: " + proc.stderr.decode("utf-8", "replace")[-500:])
    return Response(payload, status_code=status, headers=headers)


def _refs(hub, rec) -> dict[str, str]:
    branches, tags = hub.git(rec.type, rec.id).refs()
    return {**{f"refs/heads/{n}": s for n, s in branches.items()}, **{f"refs/tags/{n}": s for n, s in tags.items()}}
