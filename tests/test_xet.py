"""Xet on the course hub, with the real clients: huggingface_hub + hf_xet (the reference client) in a subprocess
with Xet on (HF_HUB_DISABLE_XET unset) or off (=1, the LFS path), whatever the session's environment says; plain HTTP
for `resolve` and for the CAS routes' refusals. `/xet-cas/v1/stats` counts what the CAS served and received."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
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
    """Model-like bytes: float32 weights (hf_xet compresses them byte-grouped, BG4-LZ4)."""
    return np.random.default_rng(seed).normal(0, 0.02, n // 4).astype(np.float32).tobytes()


def xet_client(hub, tmp_path: Path, xet: bool = True, **args) -> dict:
    """Run huggingface_hub in a fresh HF_HOME with hf_xet on (HF_HUB_DISABLE_XET unset) or off (=1: LFS)."""
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_DISABLE_XET"}
    if not xet:
        env["HF_HUB_DISABLE_XET"] = "1"
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
    local = tmp_path / "weights.bin"
    local.write_bytes(data)
    xet_client(hub, tmp_path, xet=False, op="upload", repo=repo, file="weights.bin", local=str(local))  # over LFS
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
    assert httpx.get(f"{hub.url}/api/models/{repo}").json()["xetEnabled"] is True  # as on huggingface.co
    assert httpx.get(f"{hub.url}/api/models/{repo}", params={"expand": "xetEnabled"}).json()["xetEnabled"] is True
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


@contextmanager
def own_hub(tmp_path: Path, env: dict):
    """An empty hub of the test's own, served with `env`: (url, alice's write token, its HubDir); stopped after."""
    from conftest import start_server, stop_server

    from course_hub import HubDir, net
    from course_hub.store import Store

    hub_dir, port = HubDir(tmp_path / "hub").ensure(), net.free_port()
    token = Store(hub_dir.store_db).create_token("alice", role="write", name="own-hub")
    proc, _ = start_server(hub_dir.root, port, tmp_path / "server.log", env=env)
    try:
        yield f"http://127.0.0.1:{port}", token, hub_dir
    finally:
        stop_server(proc)


def test_xet_tokens_expire(tmp_path):
    """A hub whose Xet tokens live 1 s: the CAS refuses one once it has expired (401), a fresh one works."""
    with own_hub(tmp_path, {"COURSE_HUB_XET_TOKEN_LIFETIME": "1"}) as (url, token, _):
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.post(f"{url}/api/repos/create", json={"name": "exp", "type": "model"}, headers=auth).is_success
        tok = httpx.get(f"{url}/api/models/alice/exp/xet-write-token/main", headers=auth).json()
        dedupe = f"{tok['casUrl']}/v1/chunks/default-merkledb/{'0' * 64}"
        assert httpx.get(dedupe, headers={"Authorization": f"Bearer {tok['accessToken']}"}).status_code == 404
        time.sleep(max(0, tok["exp"] - time.time()) + 1.2)
        r = httpx.get(dedupe, headers={"Authorization": f"Bearer {tok['accessToken']}"})
        assert r.status_code == 401 and "expired" in r.json()["error"]
        fresh = httpx.get(f"{url}/api/models/alice/exp/xet-write-token/main", headers=auth).json()["accessToken"]
        assert httpx.get(dedupe, headers={"Authorization": f"Bearer {fresh}"}).status_code == 404


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


def test_upload_through_xet_serves_every_protocol(hub, api, new_repo_id, tmp_path):
    repo = new_repo_id()
    api.create_repo(repo)
    data = payload(4_000_000, 2)
    local = tmp_path / "model.bin"
    local.write_bytes(data)
    before = stats(hub)
    xet_client(hub, tmp_path, op="upload", repo=repo, file="model.bin", local=str(local))
    mid = stats(hub)
    assert mid.get("shards", 0) > before.get("shards", 0)
    sent = mid.get("xorb_bytes_received", 0) - before.get("xorb_bytes_received", 0)
    assert sent > 1_000_000
    sha = hashlib.sha256(data).hexdigest()
    # LFS (HF_HUB_DISABLE_XET=1: the LFS batch API and resolve's plain GET), plain resolve, git's view
    assert xet_client(hub, tmp_path, xet=False, op="download", repo=repo, file="model.bin")["sha256"] == sha
    info = api.get_paths_info(repo, ["model.bin"])[0]
    assert info.lfs is not None and info.lfs.sha256 == sha
    plain = httpx.get(f"{hub.url}/{repo}/resolve/main/model.bin", headers={"Authorization": f"Bearer {hub.token()}"})
    assert plain.content == data and "x-xet-hash" in plain.headers
    assert xet_client(hub, tmp_path, op="download", repo=repo, file="model.bin")["sha256"] == sha
    # one more epoch: a few bytes change; dedup sends a small part of the file
    changed = bytearray(data)
    changed[2_000_000:2_000_100] = os.urandom(100)
    local.write_bytes(bytes(changed))
    xet_client(hub, tmp_path, op="upload", repo=repo, file="model.bin", local=str(local))
    after = stats(hub)
    resent = after.get("xorb_bytes_received", 0) - mid.get("xorb_bytes_received", 0)
    assert 0 < resent < len(data) // 10, (resent, after)
    plain = httpx.get(f"{hub.url}/{repo}/resolve/main/model.bin", headers={"Authorization": f"Bearer {hub.token()}"})
    assert plain.content == bytes(changed)


def _xet_files(hub) -> set:
    root = Path(hub.dir) / "xet"
    return {str(p.relative_to(root)) for p in root.rglob("*")} if root.exists() else set()


def test_cas_refuses_bad_input_and_stores_nothing(hub, lfs_file):
    from course_hub.xet import shard as shard_format
    from course_hub.xet.hashing import to_hex

    repo, _ = lfs_file
    w = httpx.get(
        f"{hub.url}/api/models/{repo}/xet-write-token/main", headers={"Authorization": f"Bearer {hub.token('alice')}"}
    ).json()
    cas, auth = w["casUrl"], {"Authorization": f"Bearer {w['accessToken']}"}
    h, blob, _ = xorb_format.build([os.urandom(20_000), os.urandom(30_000)])
    name = to_hex(h)
    other = to_hex(xorb_format.build([os.urandom(100)])[0])
    before = _xet_files(hub)
    cases = [
        httpx.post(f"{cas}/v1/xorbs/default/{'z' * 64}", content=blob, headers=auth),  # not a hash
        httpx.post(f"{cas}/v1/xorbs/default/{other}", content=blob, headers=auth),  # another hash
        httpx.post(f"{cas}/v1/xorbs/default/{name}", content=blob[:-10], headers=auth),  # truncated
        httpx.post(f"{cas}/v1/xorbs/default/{name}", content=b"\x07" + blob[1:], headers=auth),  # bad version
        httpx.post(f"{cas}/v1/xorbs/default/{name}", content=blob, headers={"Authorization": "Bearer xet_x.y"}),
        httpx.post(f"{cas}/v1/xorbs/default/{name}", content=blob),
        httpx.post(f"{cas}/v1/shards", content=b"not a shard", headers=auth),
    ]
    # a shard whose file names a xorb that was never uploaded
    fake = bytearray(shard_format.HEADER_TAG + (2).to_bytes(8, "little") + (200).to_bytes(8, "little"))
    fake += bytes(32) + (shard_format.WITH_VERIFICATION | shard_format.WITH_METADATA).to_bytes(4, "little")
    fake += (1).to_bytes(4, "little") + bytes(8)
    fake += h + bytes(4) + (50_000).to_bytes(4, "little") + (0).to_bytes(4, "little") + (2).to_bytes(4, "little")
    fake += bytes(48) + bytes(48) + shard_format.BOOKEND + shard_format.BOOKEND
    cases.append(httpx.post(f"{cas}/v1/shards", content=bytes(fake), headers=auth))
    cases.append(httpx.post(f"{cas}/v1/shards", content=bytes(fake[:100]), headers=auth))  # truncated
    read = _read_token(hub, repo)
    cases.append(  # a read token cannot upload
        httpx.post(
            f"{cas}/v1/xorbs/default/{name}", content=blob, headers={"Authorization": f"Bearer {read['accessToken']}"}
        )
    )
    cases.append(httpx.get(f"{cas}/v1/reconstructions/{'0' * 64}", headers=auth))  # unknown file
    cases.append(httpx.get(f"{cas}/v1/chunks/default-merkledb/{'0' * 64}", headers=auth))  # unknown chunk
    statuses = [r.status_code for r in cases]
    assert statuses == [400, 400, 400, 400, 401, 401, 400, 400, 400, 403, 404, 404], statuses
    assert _xet_files(hub) == before


@pytest.mark.parametrize("xet", [True, False], ids=["xet", "lfs"])
def test_an_oversize_file_is_refused_before_anything_is_stored(tmp_path, xet):
    """A file over COURSE_HUB_MAX_UPLOAD: preupload answers 413 with the limit, through Xet (whose xorbs would otherwise
    be stored before the shard is refused) as through LFS; no xorb, no LFS object, no commit."""
    with own_hub(tmp_path, {"COURSE_HUB_MAX_UPLOAD": "1000000"}) as (url, token, hub_dir):
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.post(f"{url}/api/repos/create", json={"name": "big", "type": "model"}, headers=auth).is_success
        local = tmp_path / "big.bin"
        local.write_bytes(payload(2_000_000, 3))
        env = {k: v for k, v in os.environ.items() if k != "HF_HUB_DISABLE_XET"}
        env.update(HF_ENDPOINT=url, HF_HOME=str(tmp_path / "hf-home"))
        if not xet:
            env["HF_HUB_DISABLE_XET"] = "1"
        args = {"token": token, "op": "upload", "repo": "alice/big", "file": "big.bin", "local": str(local)}
        out = subprocess.run(
            [sys.executable, "-c", CLIENT, json.dumps(args)], env=env, capture_output=True, text=True, timeout=300
        )
        assert out.returncode != 0 and "413" in out.stderr and "COURSE_HUB_MAX_UPLOAD" in out.stderr, out.stderr[-2000:]
        stored = [p for d in (hub_dir.xet_dir, hub_dir.lfs_dir) if d.exists() for p in d.rglob("*") if p.is_file()]
        assert stored == []
        files = httpx.get(f"{url}/api/models/alice/big", headers=auth).json()["siblings"]
        assert [f["rfilename"] for f in files] == [".gitattributes"]
