"""helpers.xet_report against the course hub, with the real huggingface_hub + hf_xet in a subprocess (Xet on, or off
with HF_HUB_DISABLE_XET=1): the figures it prints are hf_xet's own, a re-upload sends nothing, half a file changed
sends about half, and nothing stays wrapped after the block."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

CLIENT = r"""
import json, sys
from huggingface_hub import HfApi, hf_hub_url
from huggingface_hub.utils import _xet
from helpers import xet_report
args = json.loads(sys.argv[1])
api = HfApi(token=args["token"])
out = []
for local in args["uploads"]:
    with xet_report.xet_uploads() as sent:
        api.upload_file(path_or_fileobj=local, path_in_repo="weights.bin", repo_id=args["repo"])
    out.append({"total": sent.total_bytes, "new": sent.new_bytes, "deduped": sent.deduped_bytes,
                "sent": sent.sent_bytes, "files": sent.files, "text": str(sent)})
unwrapped = not isinstance(_xet._GLOBAL_XET_HOLDER.get(), xet_report._RecordingSession)
meta = None
if args["wait"]:
    meta = xet_report.wait_until_in_xet(hf_hub_url(args["repo"], "weights.bin"), timeout=60).xet_file_data.file_hash
print(json.dumps({"reports": out, "unwrapped": unwrapped, "xet_hash": meta}))
"""


def weights(n: int, seed: int) -> bytes:
    """Model-like bytes of this file's own (the session's hub keeps every chunk other tests uploaded: tests/test_xet.py
    draws from seeds 1, 2, 3 with the same generator, so these use others)."""
    return np.random.default_rng(7000 + seed).normal(0, 0.02, n // 4).astype(np.float32).tobytes()


def run_client(hub, tmp_path: Path, repo: str, uploads: list[Path], xet: bool = True, wait: bool = False) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_DISABLE_XET"}
    if not xet:
        env["HF_HUB_DISABLE_XET"] = "1"
    env.update(HF_ENDPOINT=hub.url, HF_HOME=str(tmp_path / f"hf-home-{time.monotonic_ns()}"), PYTHONPATH=str(ROOT))
    args = {"token": hub.token("alice"), "repo": repo, "uploads": [str(p) for p in uploads], "wait": wait}
    out = subprocess.run(
        [sys.executable, "-c", CLIENT, json.dumps(args)], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_counts_what_xet_sent(hub, api, new_repo_id, tmp_path):
    repo = new_repo_id()
    api.create_repo(repo)
    first, half = tmp_path / "first.bin", tmp_path / "half.bin"
    data = weights(4_000_000, 1)
    first.write_bytes(data)
    half.write_bytes(data[:2_000_000] + weights(2_000_000, 2))  # the second half changed
    got = run_client(hub, tmp_path, repo, [first, first, half], wait=True)
    new, again, changed = got["reports"]
    assert new["files"] == 1 and new["total"] == len(data)
    assert new["new"] > 0.95 * len(data) and 0 < new["sent"] <= new["new"] + 100_000  # compressed chunks + shard
    assert again["total"] == len(data) and again["new"] == 0 and again["deduped"] == len(data)
    assert "0.0 MB of new chunks sent, 4.0 MB already on the Hub" in again["text"]
    assert 0.4 * len(data) < changed["new"] < 0.6 * len(data)  # only the changed half's chunks (and one at the seam)
    assert changed["new"] + changed["deduped"] == len(data)
    assert got["unwrapped"] and len(got["xet_hash"]) == 64


def test_says_so_when_xet_is_off(hub, api, new_repo_id, tmp_path):
    repo = new_repo_id()
    api.create_repo(repo)
    local = tmp_path / "w.bin"
    local.write_bytes(weights(400_000, 3))
    got = run_client(hub, tmp_path, repo, [local], xet=False)
    (report,) = got["reports"]
    assert report["total"] == 0 and report["text"].startswith("nothing went through Xet")
    assert got["unwrapped"]
