"""Cold-cache downloads with the real client: `hf_hub_download` of the largest safetensors file and
`snapshot_download` of MiniLM, from each server in turn, a fresh empty cache every time.

Worker side: `python -m benchmarks.downloads CACHE_ROOT INDEX`, phases `go URL file|snapshot`.
"""

from __future__ import annotations

import itertools
import shutil
import sys
import time
from pathlib import Path

from .common import BENCH, Workers, client_env, dir_bytes, median

LARGEST = ("HuggingFaceTB/SmolLM2-135M-Instruct", "model.safetensors")
SNAPSHOT = "sentence-transformers/all-MiniLM-L6-v2"
KINDS = ("file", "snapshot")


def measure(servers: dict[str, str], reps: int) -> dict:
    """{kind: {server: {"runs_s", "median_s", "mb", "mb_s", "errors"}}}; servers take turns within each rep."""
    cache_root = BENCH / "download-caches"
    runs = {k: {s: [] for s in servers} for k in KINDS}
    sizes, errors = {}, {k: {s: [] for s in servers} for k in KINDS}
    names = list(servers)
    with Workers(1, "benchmarks.downloads", [str(cache_root)], client_env()) as w:
        for rep, kind in itertools.product(range(reps), KINDS):
            for name in names[rep % len(names) :] + names[: rep % len(names)]:  # rotate who goes first
                [res], _ = w.phase(servers[name], kind)
                if "error" in res:
                    errors[kind][name].append(res["error"])
                else:
                    runs[kind][name].append(res["s"])
                    sizes[kind] = res["bytes"]
    out = {}
    for kind in KINDS:
        out[kind] = {}
        for name in names:
            med = median(runs[kind][name])
            mb = sizes.get(kind, 0) / 1e6
            out[kind][name] = {
                "runs_s": [round(x, 3) for x in runs[kind][name]],
                "median_s": med,
                "mb": round(mb, 1),
                "mb_s": round(mb / med, 1) if med else None,
                "errors": errors[kind][name],
            }
    shutil.rmtree(cache_root, ignore_errors=True)
    return {
        "what": {"file": f"hf_hub_download {LARGEST[0]} {LARGEST[1]}", "snapshot": f"snapshot_download {SNAPSHOT}"},
        "reps": reps,
        "results": out,
    }


# --- worker ------------------------------------------------------------------------------------------------------
def _worker(cache_root: Path) -> None:
    from huggingface_hub import hf_hub_download, snapshot_download

    from .common import fresh_dir, worker_loop

    def run(words: list[str]) -> dict:
        url, kind = words
        cache = fresh_dir(cache_root / "cache")
        started = time.perf_counter()
        if kind == "file":
            hf_hub_download(LARGEST[0], LARGEST[1], endpoint=url, cache_dir=cache, token=False)
        else:
            snapshot_download(SNAPSHOT, endpoint=url, cache_dir=cache, token=False)
        took = time.perf_counter() - started
        return {"s": took, "bytes": dir_bytes(cache)}

    worker_loop(run)


if __name__ == "__main__":
    _worker(Path(sys.argv[1]))
