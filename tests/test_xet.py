"""Xet on the course hub, with the real clients: huggingface_hub + hf_xet (the reference client) in a subprocess
with Xet on (this session's environment sets HF_HUB_DISABLE_XET=1), the in-process client for the LFS path, plain
HTTP for `resolve` and for the CAS routes' refusals. `/xet-cas/v1/stats` counts what the CAS served and received."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from course_hub.xet import xorb as xorb_format

CLIENT = r"""
import hashlib, json, sys
from huggingface_hub import HfApi, hf_hub_download
args = json.loads(sys.argv[1])
api = HfApi(token=args["token"])
if args["op"] == "download":
    path = hf_hub_download(args["repo"], args["file"], token=args["token"])
    print(json.dumps({"sha256": hashlib.sha256(open(path, "rb").read()).hexdigest()}))
else:
    api.upload_file(path_or_fileobj=args["local"], path_in_repo=args["file"], repo_id=args["repo"])
    print(json.dumps({}))
"""


def payload(n: int, seed: int) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.getrandbits(8) for _ in range(n // 4)) + os.urandom(n - n // 4)


def xet_client(hub, tmp_path: Path, **args) -> dict:
    """Run huggingface_hub with hf_xet on (a fresh HF_HOME, HF_HUB_DISABLE_XET unset)."""
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_DISABLE_XET"}
    env["HF_HOME"] = str(tmp_path / f"hf-home-{time.monotonic_ns()}")
    args.setdefault("token", hub.token("alice"))
    out = subprocess.run(
        [sys.executable, "-c", CLIENT, json.dumps(args)], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def stats(hub) -> dict:
    return httpx.get(f"{hub.url}/xet-cas/v1/stats").json()


def xet_headers(hub, repo: str, name: str, token: str, wait: float = 60) -> httpx.Headers:
    """HEAD resolve until the LFS file has been converted (its first request starts the conversion)."""
    deadline = time.time() + wait
    while True:
        r = httpx.head(f"{hub.url}/{repo}/resolve/main/{name}", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        if "x-xet-hash" in r.headers or time.time() > deadline:
            return r.headers
        time.sleep(0.3)


@pytest.fixture
def lfs_file(hub, api, new_repo_id, tmp_path):
    repo = new_repo_id()
    api.create_repo(repo)
    data = payload(3_000_000, 1)
    api.upload_file(path_or_fileobj=data, path_in_repo="weights.bin", repo_id=repo)  # LFS (Xet off in-process)
    return repo, data


def test_download_through_xet(hub, lfs_file, tmp_path):
    repo, data = lfs_file
    token = hub.token("alice")
    headers = xet_headers(hub, repo, "weights.bin", token)
    assert len(headers["x-xet-hash"]) == 64 and 'rel="xet-auth"' in headers["link"]
    before = stats(hub)
    got = xet_client(hub, tmp_path, op="download", repo=repo, file="weights.bin")
    after = stats(hub)
    assert got["sha256"] == hashlib.sha256(data).hexdigest()
    assert after.get("reconstructions", 0) > before.get("reconstructions", 0)
    assert after.get("xorb_ranges", 0) > before.get("xorb_ranges", 0)


def test_read_token_follows_the_download_policy(hub, lfs_file):
    repo, _ = lfs_file
    r = httpx.get(f"{hub.url}/api/models/{repo}/xet-read-token/main")  # public repo: anyone may read
    assert r.status_code == 200 and r.json()["exp"] > time.time() and r.headers["X-Xet-Cas-Url"].endswith("/xet-cas")
    r = httpx.get(f"{hub.url}/api/models/{repo}/xet-write-token/main")
    assert r.status_code == 401
    # bob may write no file of alice's, but may propose a pull request: the LFS batch API's upload policy
    r = httpx.get(
        f"{hub.url}/api/models/{repo}/xet-write-token/main", headers={"Authorization": f"Bearer {hub.token('bob')}"}
    )
    assert r.status_code == 200
    r = httpx.get(f"{hub.url}/api/models/{repo}/xet-read-token/no-such-branch")
    assert r.status_code == 404


def _read_token(hub, repo: str) -> dict:
    r = httpx.get(
        f"{hub.url}/api/models/{repo}/xet-read-token/main", headers={"Authorization": f"Bearer {hub.token('alice')}"}
    )
    assert r.status_code == 200
    return r.json()


def test_reconstruction_ranges(hub, lfs_file):
    repo, data = lfs_file
    file_hash = xet_headers(hub, repo, "weights.bin", hub.token("alice"))["x-xet-hash"]
    tok = _read_token(hub, repo)
    auth = {"Authorization": f"Bearer {tok['accessToken']}"}
    for first, last in ((0, 99), (70_000, 1_234_567), (len(data) - 10, len(data) + 500)):
        r = httpx.get(
            f"{tok['casUrl']}/v1/reconstructions/{file_hash}", headers={**auth, "Range": f"bytes={first}-{last}"}
        )
        assert r.status_code == 200, r.text
        rec = r.json()
        out = bytearray()
        for term in rec["terms"]:
            fetch = next(
                f
                for f in rec["fetch_info"][term["hash"]]
                if f["range"]["start"] <= term["range"]["start"] and f["range"]["end"] >= term["range"]["end"]
            )
            ur = fetch["url_range"]
            blob = httpx.get(fetch["url"], headers={"Range": f"bytes={ur['start']}-{ur['end']}"})
            assert blob.status_code == 206
            assert httpx.get(fetch["url"]).status_code == 403  # the signed range only
            out += b"".join(d for _, d in xorb_format.iter_chunks(blob.content))
        got = bytes(out[rec["offset_into_first_range"] :])[: last - first + 1]
        assert got == data[first : last + 1]
    r = httpx.get(f"{tok['casUrl']}/v1/reconstructions/{file_hash}", headers={**auth, "Range": f"bytes={len(data)}-"})
    assert r.status_code in (400, 416)
    r = httpx.get(
        f"{tok['casUrl']}/v1/reconstructions/{file_hash}",
        headers={**auth, "Range": f"bytes={len(data)}-{len(data) + 9}"},
    )
    assert r.status_code == 416
    assert httpx.get(f"{tok['casUrl']}/v1/reconstructions/{file_hash}").status_code == 401
