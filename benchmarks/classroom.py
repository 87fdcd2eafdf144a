"""A classroom: N learners (processes, each with its own empty cache) released at the same instant, each doing
`snapshot_download` of MiniLM and `load_dataset` of the course snippets, as notebooks 01 and 05 do.

Worker side: `python -m benchmarks.classroom URL ROOT INDEX`, one phase `go`.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

from .common import BENCH, Workers, client_env, median

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DATASET = "hf-hands-on/sentiment-snippets"


def measure(url: str, learners: int = 30, reps: int = 2) -> dict:
    runs = []
    for rep in range(reps):
        root = BENCH / "classroom" / f"rep{rep}"
        shutil.rmtree(root, ignore_errors=True)
        with Workers(learners, "benchmarks.classroom", [url, str(root)], client_env(HF_ENDPOINT=url)) as w:
            results, wall = w.phase()
        times = [r["s"] for r in results if "s" in r]
        errors = [r["error"] for r in results if "error" in r]
        total = sum(r.get("bytes", 0) for r in results)
        runs.append(
            {
                "learners": learners,
                "errors": len(errors),
                "first_error": errors[0] if errors else None,
                "wall_s": round(wall, 2),
                "slowest_s": round(max(times), 2) if times else None,
                "median_learner_s": median(times),
                "mb_total": round(total / 1e6, 1),
                "aggregate_mb_s": round(total / 1e6 / wall, 1),
            }
        )
        shutil.rmtree(root, ignore_errors=True)
    return {
        "model": MODEL,
        "dataset": DATASET,
        "reps": reps,
        "runs": runs,
        "errors": sum(r["errors"] for r in runs),
        "slowest_s": median([r["slowest_s"] for r in runs if r["slowest_s"] is not None]),
        "aggregate_mb_s": median([r["aggregate_mb_s"] for r in runs]),
    }


# --- worker ------------------------------------------------------------------------------------------------------
def _worker(root: Path, index: str) -> None:
    home = root / f"learner{index}"
    os.environ["HF_HOME"] = str(home)  # before the imports: both libraries read it once
    from datasets import load_dataset
    from huggingface_hub import snapshot_download

    from .common import dir_bytes, worker_loop

    def run(words: list[str]) -> dict:
        started = time.perf_counter()
        snapshot_download(MODEL, token=False)
        ds = load_dataset(DATASET, token=False)
        took = time.perf_counter() - started
        if not ds["train"].num_rows:
            raise RuntimeError("the dataset came back empty")
        return {"s": took, "bytes": dir_bytes(home / "hub")}

    worker_loop(run)


if __name__ == "__main__":
    _worker(Path(sys.argv[2]), sys.argv[3])
