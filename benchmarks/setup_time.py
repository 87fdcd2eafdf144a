"""Setup from a clean clone: `make setup` (fresh .venv; pip's inputs cached or local) then `make hub` (build
inputs cached in ~/.cache/hf-hands-on/inputs), and `make hub` again with nothing to do."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

from .common import BENCH, ROOT, median

TARGET_COLD_S = 360
TARGET_NOOP_S = 5
TARGET_BUILD_S = 180  # `course-hub build` into a fresh hub dir (issue 27), on a quiet 2-core machine


def _env() -> dict:
    """The clone's own defaults: no hub dir, venv or make flags inherited from the `make bench` around us."""
    drop = ("COURSE_HUB_DIR", "VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "PYTHONPATH")
    return {k: v for k, v in os.environ.items() if k not in drop}


def _make(clone, target: str) -> tuple[float, str | None]:
    started = time.perf_counter()
    proc = subprocess.run(["make", "-C", str(clone), target], env=_env(), capture_output=True, text=True)
    took = time.perf_counter() - started
    return took, (None if proc.returncode == 0 else f"make {target} exited {proc.returncode}: {proc.stderr[-1500:]}")


def measure(cold_reps: int = 1, noop_reps: int = 5, keep: bool = False) -> dict:
    clone = BENCH / "clone"
    cold, errors = [], []
    for _ in range(cold_reps):
        shutil.rmtree(clone, ignore_errors=True)
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        setup_s, err1 = _make(clone, "setup")
        hub_s, err2 = _make(clone, "hub") if not err1 else (0.0, None)
        errors += [e for e in (err1, err2) if e]
        cold.append({"setup_s": round(setup_s, 1), "hub_s": round(hub_s, 1), "total_s": round(setup_s + hub_s, 1)})
        built = clone / "data" / "hub" / "build.json"  # the build's own time per step and per repo
        build = json.loads(built.read_text()).get("timings") if built.is_file() else None
    noop = []
    if not errors:
        for _ in range(noop_reps):
            took, err = _make(clone, "hub")
            noop.append(round(took, 2))
            if err:
                errors.append(err)
    if not keep:
        shutil.rmtree(clone, ignore_errors=True)
    return {
        "cold_reps": cold_reps,
        "cold_runs": cold,
        "cold_s": median([c["total_s"] for c in cold]),
        "setup_s": median([c["setup_s"] for c in cold]),
        "hub_build_s": median([c["hub_s"] for c in cold]),
        "noop_reps": noop_reps,
        "noop_runs_s": noop,
        "noop_s": median(noop),
        "errors": errors,
        "build": build if cold_reps else None,
    }


def verdicts(r: dict) -> list[tuple[str, str, str, bool | None]]:
    """The cold build's own total (build.json's timings: the content steps and every commit)."""
    b = r["build"]
    return [
        (
            "`course-hub build` into a fresh hub dir (cold)",
            f"≤ {TARGET_BUILD_S} s on a quiet 2-core machine",
            f"{b['total_s']} s (content {b['content_s']} s{_cpu(b)})",
            b["total_s"] <= TARGET_BUILD_S,
        )
    ]


def _cpu(b: dict) -> str:
    """The build's CPU seconds (build.json has them since issue 27) and the wall time two idle cores would need."""
    if not b.get("cpu_s"):
        return ""
    return f"; {b['cpu_s']} CPU-s, so ≥ {b['cpu_s'] / 2:.0f} s on two idle cores"


def render(r: dict) -> list[str]:
    b = r["build"]
    lines = [
        "",
        "## The course hub's build, step by step",
        "",
        f"`make hub` in the fresh clone above: **{b['total_s']} s in all** (target ≤ {TARGET_BUILD_S} s on a quiet "
        f"2-core machine{_cpu(b)}), {b['content_s']} s making the content (the torch steps run side by side, each in "
        "a child with the pinned kernels: its own CPU time beside it), the rest committing the repos.",
        "",
        "| step | seconds | its child's CPU s |",
        "|---|---|---|",
    ]
    lines += [f"| {k} | {v['seconds']} | {v['cpu_s'] or '—'} |" for k, v in b["steps"].items()]
    lines += ["", "| repo committed | seconds |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in b["commit_s"].items()]
    return lines
