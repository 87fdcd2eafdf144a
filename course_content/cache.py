"""Build steps cached in work_dir: one folder per step, named by a hash of everything the step reads."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import numerics

DONE = ".done.json"  # written last: a folder without it is an interrupted build and is rebuilt
# in every key: 2 = the info is stored in its own order (a hit returned it key-sorted, so a cached build wrote other
# dataset cards than a fresh one: splits in another order, another commit)
FORMAT = 2
# step -> {"seconds": wall time, "cpu_s": its torch child's CPU time (None: no child), "cached": a hit}, this process
TIMINGS: dict[str, dict] = {}


def key_of(*parts: Any) -> str:
    """Short stable hash of JSON-serialisable parts (input hashes, hyperparameters, code versions)."""
    blob = json.dumps([FORMAT, *parts], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def cached_step(
    work_dir: Path, step: str, key: str, build: Callable[[Path], dict | None], progress: Callable[[str], None] = print
) -> tuple[Path, dict]:
    """Return (folder, info) for `step` at `key`, running `build(tmp_folder)` only on a cache miss.

    `build` fills the folder it is given and may return a JSON-able dict (e.g. metrics) that is
    stored beside the files and returned on later hits. Older keys of the same step are removed.
    """
    root = Path(work_dir) / step
    folder = root / key
    marker = folder / DONE
    if marker.is_file():
        TIMINGS[step] = {"seconds": 0.0, "cpu_s": None, "cached": True}
        return folder, json.loads(marker.read_text())["info"]
    progress(f"[{step}] building (key {key})")
    started, numerics.child_cpu.seconds = time.monotonic(), 0.0
    tmp = root / f".tmp-{key}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    info = build(tmp) or {}
    for path in tmp.rglob("*"):
        if path.is_file():
            os.chmod(path, 0o644)  # safetensors writes 0600
    (tmp / DONE).write_text(json.dumps({"key": key, "info": info}, indent=2))  # the info's own order: hits = misses
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    for old in root.iterdir():
        if old.name != key:
            shutil.rmtree(old, ignore_errors=True)
    cpu = numerics.child_cpu.seconds
    took = time.monotonic() - started
    TIMINGS[step] = {"seconds": round(took, 1), "cpu_s": round(cpu, 1) if cpu else None, "cached": False}
    progress(f"[{step}] built in {took:.0f} s" + (f" (its child: {cpu:.0f} s CPU)" if cpu else ""))
    return folder, info


def files_under(folder: Path, prefix: str = "") -> dict[str, Path]:
    """Repo path -> local file for every file under `folder` (sorted; the cache marker excluded)."""
    out: dict[str, Path] = {}
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and path.name != DONE:
            out[prefix + path.relative_to(folder).as_posix()] = path
    return out
