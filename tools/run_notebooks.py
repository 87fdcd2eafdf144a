"""Execute the course notebooks in fresh kernels and report wall time and peak memory per notebook.

python -m tools.run_notebooks --out build/run          # papermill, default parameters (make run)
python -m tools.run_notebooks --fast --out build/fast  # papermill with FAST=True (make test-papermill)
python -m tools.run_notebooks --in-place               # re-execute and save notebooks/ (make notebooks)
COURSE_HUB=online HF_TOKEN=... python -m tools.run_notebooks --online --out build/online  # against a Hub
    (make test-online runs it with --fast against a stand-in hub: make test's one papermill run)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
BUDGET_S = {"08_capstone_fine_tune_and_share": 150}
DEFAULT_BUDGET_S = 60
BUDGET_MB = 1536


class PeakRSS(threading.Thread):
    """Polls the RSS of this process's children (the kernel and what it starts), excluding the course hub."""

    def __init__(self, interval: float = 0.2):
        super().__init__(daemon=True)
        self.interval, self.peak, self._halt = interval, 0, threading.Event()

    def run(self):
        me = psutil.Process()
        while not self._halt.is_set():
            total, hub_tree = 0, set()
            children = me.children(recursive=True)
            for p in children:  # the course hub and what it runs (inference worker, Spaces) are not the notebook's
                try:
                    if "course_hub" in p.cmdline():
                        hub_tree |= {p.pid, *(c.pid for c in p.children(recursive=True))}
                except psutil.Error:
                    pass
            for p in children:
                try:
                    if p.pid not in hub_tree:
                        total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._halt.wait(self.interval)

    def stop(self) -> int:
        self._halt.set()
        self.join()
        return self.peak


def execute_papermill(src: Path, dest: Path, parameters: dict) -> None:
    import papermill as pm

    # relative paths: papermill records them in the executed copy's metadata (no machine paths in build/)
    pm.execute_notebook(
        os.path.relpath(src),
        os.path.relpath(dest),
        parameters=parameters,
        cwd=str(NOTEBOOKS),
        kernel_name="python3",
        progress_bar=False,
        request_save_on_cell_execute=False,
    )


def execute_in_place(src: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(src, as_version=4)
    NotebookClient(
        nb, timeout=900, kernel_name="python3", record_timing=False, resources={"metadata": {"path": str(NOTEBOOKS)}}
    ).execute()
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
    nbformat.write(nb, src)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, help="folder for executed copies and the report")
    ap.add_argument("--fast", action="store_true", help="run with FAST=True (smaller data, fewer steps)")
    ap.add_argument("--in-place", action="store_true", help="save outputs back into notebooks/")
    ap.add_argument(
        "--online",
        action="store_true",
        help="online mode (COURSE_HUB=online; COURSE_ONLINE_ENDPOINT for a stand-in): no course hub",
    )
    ap.add_argument("notebooks", nargs="*", help="names to run (default: all)")
    args = ap.parse_args(argv)
    if not args.in_place and not args.out:
        ap.error("give --out DIR or --in-place")

    from course_hub.settings import default_hub_dir
    from helpers.bootstrap import ensure_server

    if args.online:
        os.environ["COURSE_HUB"] = "online"
    else:
        ensure_server(default_hub_dir())  # started here, so it is not counted in a notebook's memory
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        paths = [p for p in paths if any(n in p.name for n in args.notebooks)]
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    rows, failed = [], []
    for src in paths:
        monitor = PeakRSS()
        monitor.start()
        started = time.monotonic()
        error = None
        try:
            if args.in_place:
                execute_in_place(src)
            else:
                execute_papermill(src, args.out / src.name, {"FAST": args.fast})
        except Exception as e:  # report every notebook, then fail  # noqa: BLE001
            error = f"{type(e).__name__}: {str(e).strip().splitlines()[-1] if str(e).strip() else ''}"
            failed.append(src.name)
        wall, peak = time.monotonic() - started, monitor.stop() / 2**20
        budget = BUDGET_S.get(src.stem, DEFAULT_BUDGET_S)
        rows.append(
            {
                "notebook": src.name,
                "wall_s": round(wall, 1),
                "peak_rss_mb": round(peak),
                "budget_s": budget,
                "within_budget": wall <= budget and peak <= BUDGET_MB,
                "error": error,
            }
        )
        print(f"{src.name:45} {wall:6.1f} s {peak:7.0f} MB  {'FAILED: ' + error if error else 'ok'}", flush=True)
    total = sum(r["wall_s"] for r in rows)
    if args.out:
        (args.out / "report.json").write_text(
            json.dumps({"fast": args.fast, "total_s": round(total, 1), "notebooks": rows}, indent=1)
        )
        lines = [
            "| notebook | wall (s) | budget (s) | peak RSS (MB) | budget (MB) | status |",
            "|---|---|---|---|---|---|",
        ]
        for r in rows:
            status = "FAILED" if r["error"] else ("ok" if r["within_budget"] else "over budget")
            lines.append(
                f"| {r['notebook']} | {r['wall_s']} | {r['budget_s']} | {r['peak_rss_mb']} | {BUDGET_MB} | {status} |"
            )
        lines.append(f"| **total** | {total:.1f} | 300 | | | |")
        (args.out / "report.md").write_text("\n".join(lines) + "\n")
        print(f"report: {args.out / 'report.md'}")
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
