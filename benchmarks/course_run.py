"""The course, end to end: every notebook in a fresh kernel via papermill (`tools.run_notebooks`, as `make run`),
against a private copy of the built hub and an empty Hugging Face cache, as a newcomer's first run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path

from course_hub import HubDir
from course_hub.net import ServerInfo

from .common import BENCH, PYTHON, ROOT, client_env, copy_hub, fresh_dir, median

BUDGET_TOTAL_S = 300


def first_output_s(executed: Path) -> float | None:
    """Seconds from papermill's start (kernel launch included) to the end of the first cell that shows output."""
    nb = json.loads(executed.read_text())
    start = datetime.fromisoformat(nb["metadata"]["papermill"]["start_time"])
    for cell in nb["cells"]:
        if cell.get("outputs"):
            end = cell["metadata"].get("papermill", {}).get("end_time")
            return round((datetime.fromisoformat(end) - start).total_seconds(), 2) if end else None
    return None


def _stop_hub(hub_dir: Path) -> None:
    """The hub that run_notebooks started in the background for this copy."""
    info = ServerInfo.read(HubDir(hub_dir).server_file)
    try:
        if info:
            os.kill(info.pid, signal.SIGTERM)
    except OSError:
        pass


def one_run(i: int) -> dict:
    hub = copy_hub(ROOT / "data" / "hub", BENCH / "course-hub-copy")
    home = fresh_dir(BENCH / "course-hf-home")
    out = fresh_dir(BENCH / "course-run" / str(i))
    env = client_env(COURSE_HUB_DIR=str(hub), COURSE_HF_HOME=str(home), COURSE_CI="1")
    env.pop("HF_HUB_DISABLE_IMPLICIT_TOKEN")  # as a learner's kernel: the bootstrap decides
    try:
        proc = subprocess.run(
            [PYTHON, "-m", "tools.run_notebooks", "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True
        )
    finally:
        _stop_hub(hub)
    report = json.loads((out / "report.json").read_text()) if (out / "report.json").exists() else {"notebooks": []}
    nb00 = next(iter(sorted(out.glob("00_*.ipynb"))), None)
    return {
        "rc": proc.returncode,
        "stderr_tail": proc.stderr[-1500:] if proc.returncode else "",
        "total_s": report.get("total_s"),
        "notebooks": report["notebooks"],
        "first_output_s": first_output_s(nb00) if nb00 else None,
    }


def measure(reps: int, budget_s: float = 540) -> dict:
    """Up to `reps` runs; no new run once `budget_s` is spent (on a loaded machine n is smaller, and says so)."""
    runs, started = [], time.monotonic()
    while len(runs) < reps and (not runs or time.monotonic() - started < budget_s):
        runs.append(one_run(len(runs)))
    reps = len(runs)
    names = [r["notebook"] for r in runs[0]["notebooks"]]
    per_nb = []
    for name in names:
        rows = [r for run in runs for r in run["notebooks"] if r["notebook"] == name]
        per_nb.append(
            {
                "notebook": name,
                "wall_s": median([r["wall_s"] for r in rows]),
                "peak_rss_mb": median([r["peak_rss_mb"] for r in rows]),
                "budget_s": rows[0]["budget_s"],
                "errors": [r["error"] for r in rows if r["error"]],
                "runs_wall_s": [r["wall_s"] for r in rows],
            }
        )
    return {
        "reps": reps,
        "notebooks": per_nb,
        "total_s": median([r["total_s"] for r in runs if r["total_s"] is not None]),
        "runs_total_s": [r["total_s"] for r in runs],
        "peak_rss_mb": max((n["peak_rss_mb"] for n in per_nb), default=None),
        "first_output_s": median([r["first_output_s"] for r in runs if r["first_output_s"] is not None]),
        "failed_runs": [{"rc": r["rc"], "stderr_tail": r["stderr_tail"]} for r in runs if r["rc"]],
    }
