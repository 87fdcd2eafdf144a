"""Small helpers shared by the hub tests (no fixtures here: those live in conftest.py)."""

from __future__ import annotations

import hashlib
import http.client
import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx

SHA40 = r"^[0-9a-f]{40}$"


def git_blob_sha(data: bytes) -> str:
    """The git object id of a blob with this content (what the Hub's ETag is for regular files)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def prefix(repo_type: str) -> str:
    return {"model": "", "dataset": "datasets/", "space": "spaces/"}[repo_type]


def raw_request(
    url: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 30
):
    """An HTTP request sent exactly as written: no normalisation of `..`, no re-quoting (http.client).

    Returns (status, headers as a case-insensitive-by-lowercasing dict, body bytes)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        hdrs = dict(headers or {})
        if body is not None:
            hdrs.setdefault("Content-Length", str(len(body)))
        for k, v in hdrs.items():
            conn.putheader(k, v)
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def bearer(token: str | None) -> dict:
    return {"Authorization": f"Bearer {token}"} if token else {}


def git(
    *args: str, cwd: Path | str | None = None, check: bool = True, timeout: float = 60, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run the real `git` binary, isolated from any user/system configuration and never prompting."""
    full_env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_ASKPASS": "/bin/false",
        "SSH_ASKPASS": "/bin/false",
        **(env or {}),
    }
    full_env.setdefault("GIT_CONFIG_GLOBAL", os.devnull)  # tests/conftest.py sets an empty file of the session
    cmd = [
        "git",
        "-c",
        "credential.helper=",
        "-c",
        "user.name=Test",
        "-c",
        "user.email=test@example.com",
        "-c",
        "init.defaultBranch=main",
        "-c",
        "protocol.version=2",
        *args,
    ]
    proc = subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def with_credentials(url: str, user: str, token: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{user}:{token}@{parts.netloc}"


# One client for the raw HTTP checks: creating an httpx client costs ~50 ms (its SSL context), a request ~5 ms.
HTTP = httpx.Client(timeout=60)
