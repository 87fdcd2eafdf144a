"""Xet on the course hub: `hf_hub_download` of the 269 MB SmolLM2 file through Xet vs through LFS (fresh caches, the
real client, runs alternating), what the conversion of that file costs (seconds, extra bytes on disk), and the bytes
a Xet upload actually sends when a copy of that model goes to a new repo: unchanged (its base is on the hub: global
dedupe), with one region rewritten (a new head, ~1 % of the file), and with every weight nudged (bf16's last mantissa
bit flipped everywhere: what one more epoch of full fine-tuning does). Bytes sent are the CAS's own counters
(`/xet-cas/v1/stats`: xorb and shard bodies received).

`python -m benchmarks.xet [--quick]` prints the JSON; `python -m benchmarks --only xet` stores it in results.json."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .common import BENCH, PYTHON, client_env, copy_hub, course_hub, fresh_dir, median

REPO, FILE = "HuggingFaceTB/SmolLM2-135M-Instruct", "model.safetensors"
CLIENT = r"""
import json, sys, time
from huggingface_hub import HfApi, hf_hub_download
a = json.loads(sys.argv[1])
t = time.perf_counter()
if a["op"] == "download":
    hf_hub_download(a["repo"], a["file"], token=a.get("token"))
else:
    HfApi(token=a["token"]).upload_file(path_or_fileobj=a["local"], path_in_repo=a["file"], repo_id=a["repo"])
print(json.dumps({"s": time.perf_counter() - t}))
"""


def _client(url: str, home: Path, xet: bool, **args) -> float:
    env = client_env(HF_ENDPOINT=url, HF_HOME=str(home))
    if xet:
        env.pop("HF_HUB_DISABLE_XET", None)
    out = subprocess.run([PYTHON, "-c", CLIENT, json.dumps(args)], env=env, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])["s"]


def _sent(url: str) -> int:
    s = httpx.get(f"{url}/xet-cas/v1/stats").json()
    return s.get("xorb_bytes_received", 0) + s.get("shard_bytes_received", 0)


def measure(quick: bool = False) -> dict:
    from course_hub import HubDir
    from course_hub.store import Store

    work = fresh_dir(BENCH / "xet")
    hub_dir = copy_hub(Path(__file__).resolve().parents[1] / "data" / "hub", work / "hub")
    token = Store(HubDir(hub_dir).store_db).create_token("xetbench", role="write", name="benchmarks.xet")
    out: dict = {"file": f"{REPO}/{FILE}", "reps": 1 if quick else 3}
    with course_hub(hub_dir, work) as hub:
        # the first resolve starts the conversion; time it until resolve answers with X-Xet-Hash
        t = time.perf_counter()
        while "x-xet-hash" not in (h := httpx.head(f"{hub.url}/{REPO}/resolve/main/{FILE}").headers):
            time.sleep(0.2)
        out["conversion_s"] = round(time.perf_counter() - t, 1)
        size = int(h["x-linked-size"])
        xet_bytes = sum(p.stat().st_size for p in (HubDir(hub_dir).xet_dir).rglob("*") if p.is_file())
        out["mb"] = round(size / 1e6, 1)
        out["xet_store_mb"] = round(xet_bytes / 1e6, 1)  # what the conversion adds beside the LFS object
        runs: dict[str, list[float]] = {"xet": [], "lfs": []}
        for rep in range(out["reps"]):
            for kind in ("xet", "lfs") if rep % 2 == 0 else ("lfs", "xet"):
                runs[kind].append(
                    _client(
                        hub.url,
                        fresh_dir(work / f"home-{kind}-{rep}"),
                        kind == "xet",
                        op="download",
                        repo=REPO,
                        file=FILE,
                    )
                )
        for kind, xs in runs.items():
            med = median(xs)
            out[f"download_{kind}"] = {
                "runs_s": [round(x, 2) for x in xs],
                "median_s": med,
                "mb_s": round(size / 1e6 / med, 1),
            }
        # uploads through Xet: the model as it is, then changed; each to a new repo of the bench user
        weights = bytearray(next((work / "home-xet-0").rglob(FILE)).read_bytes())
        variants = {"unchanged": bytes(weights)}
        head = bytearray(weights)
        head[-len(head) // 100 :] = bytes(b ^ 0x5A for b in head[-len(head) // 100 :])
        variants["new head (1 % of the file)"] = bytes(head)
        nudged = bytearray(weights)
        start = 8 + int.from_bytes(weights[:8], "little")  # safetensors: 8-byte header length, JSON header, data
        nudged[start::2] = bytes(b ^ 1 for b in nudged[start::2])  # bf16 little-endian: low byte's last bit
        variants["every weight nudged (one more epoch)"] = bytes(nudged)
        api = httpx.Client(headers={"Authorization": f"Bearer {token}"})
        out["uploads"] = {}
        for i, (name, data) in enumerate(variants.items()):
            repo = f"xetbench/smollm2-copy-{i}"
            api.post(f"{hub.url}/api/repos/create", json={"name": repo.split("/")[1], "type": "model"})
            local = work / f"upload-{i}.safetensors"
            local.write_bytes(data)
            before = _sent(hub.url)
            s = _client(
                hub.url,
                fresh_dir(work / f"home-up-{i}"),
                True,
                op="upload",
                repo=repo,
                file=FILE,
                local=str(local),
                token=token,
            )
            sent = _sent(hub.url) - before
            out["uploads"][name] = {
                "s": round(s, 1),
                "sent_mb": round(sent / 1e6, 1),
                "sent_pct": round(100 * sent / len(data), 1),
            }
            local.unlink()
    return out


def verdicts(x: dict) -> list[tuple[str, str, str, bool | None]]:
    """benchmarks/RESULTS.md's rows (report.verdicts)."""
    dx, dl, up = x["download_xet"], x["download_lfs"], x["uploads"]
    rows = [
        (
            f"Xet: hf_hub_download of {x['mb']} MB through Xet vs LFS",
            "—",
            f"{dx['median_s']} s ({dx['mb_s']} MB/s) vs {dl['median_s']} s ({dl['mb_s']} MB/s)",
            None,
        ),
        ("Xet: converting that LFS file (first resolve)", "—", f"{x['conversion_s']} s, +{x['xet_store_mb']} MB", None),
    ]
    for name, u in up.items():
        target = {"unchanged": 1, "new head (1 % of the file)": 5}.get(name)
        rows.append(
            (
                f"Xet upload of the model to a new repo, {name}: bytes sent",
                f"< {target} % of the file" if target else "—",
                f"{u['sent_mb']} MB ({u['sent_pct']} %)",
                None if target is None else u["sent_pct"] < target,
            )
        )
    return rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    print(json.dumps(measure(ap.parse_args().quick), indent=1))
    sys.exit(0)
