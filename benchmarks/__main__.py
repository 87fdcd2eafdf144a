"""`python -m benchmarks` (`make bench`): course run, setup, and the course hub against nginx and olah.

python -m benchmarks                       # everything; writes benchmarks/results.json and RESULTS.md
python -m benchmarks --only downloads,latency --quick   # a part, fewer runs (updates those sections)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

SECTIONS = (
    "course",
    "learners_day",
    "setup",
    "downloads",
    "latency",
    "classroom",
    "web",
    "spaces",
    "inference",
    "room",
    "xet",
)
PACKAGES = ("huggingface_hub", "datasets", "transformers", "torch", "starlette", "uvicorn", "papermill")


def machine(started: float, load_start: str) -> dict:
    from . import peers
    from .common import ROOT

    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor(),
    )
    mem = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    versions = {}
    for p in PACKAGES:
        try:
            versions[p] = version(p)
        except PackageNotFoundError:
            versions[p] = "absent"
    versions.update({"nginx": peers.nginx_version(), "olah": peers.olah_version()})
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem / 2**20, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": versions,
        "commit": commit,
        "wall_s": time.monotonic() - started,
        "load_start": load_start,
        "load_end": _load(),
    }


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def relative_paths(text: str) -> str:
    """This checkout as `.`, the home folder as `~` (committed results name no machine paths)."""
    from .common import ROOT

    return text.replace(str(ROOT), ".").replace(str(Path.home()), "~")


def ensure_nginx() -> None:
    from .peers import NGINX

    if not shutil.which(NGINX):
        print("nginx is missing: apt-get install -y nginx-light", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "nginx-light"], check=True)


def peers_sections(todo: set[str], quick: bool) -> dict:
    from . import classroom, downloads, latency, peers
    from .common import BENCH, ROOT, copy_hub, course_hub

    out = {}
    hub_dir = copy_hub(ROOT / "data" / "hub", BENCH / "hub")
    with course_hub(hub_dir, BENCH) as hub:
        if todo & {"downloads", "latency"}:
            ensure_nginx()
            with peers.nginx(hub.url, hub_dir) as nginx, peers.olah(hub_dir) as olah:
                servers = {"course hub": hub.url, "nginx": nginx.url, "olah": olah.url}
                if "downloads" in todo:
                    print("downloads ...", flush=True)
                    out["downloads"] = downloads.measure(servers, reps=2 if quick else 5)
                if "latency" in todo:
                    print("latency ...", flush=True)
                    out["latency"] = latency.measure(servers, calls_per_client={1: 20, 30: 3} if quick else None)
        if "web" in todo:
            from . import web

            print("web ...", flush=True)
            out["web"] = web.measure(hub.url, calls_per_client={1: 20, 30: 3} if quick else None)
        if "spaces" in todo:
            from . import spaces

            print("spaces ...", flush=True)
            out["spaces"] = spaces.measure(hub.url, hub.proc.pid, calls=10 if quick else 30, hub_dir=hub_dir)
        if "classroom" in todo:
            print("classroom ...", flush=True)
            out["classroom"] = classroom.measure(hub.url, learners=30, reps=1 if quick else 2)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated, of {', '.join(SECTIONS)}")
    ap.add_argument("--quick", action="store_true", help="fewer runs (a smoke test, not for RESULTS.md)")
    ap.add_argument("--course-runs", type=int, default=3)
    ap.add_argument("--report", action="store_true", help="only rewrite RESULTS.md from results.json")
    args = ap.parse_args(argv)
    todo = set(args.only.split(","))
    if todo - set(SECTIONS):
        ap.error(f"unknown sections: {', '.join(todo - set(SECTIONS))}")

    from course_content.build import is_built

    from . import course_run, report, setup_time
    from .common import BENCH, ROOT

    if not is_built(ROOT / "data" / "hub"):
        print("the course hub is not built: run `make hub` first", file=sys.stderr)
        return 2
    results_file = ROOT / "benchmarks" / "results.json"
    if args.report:
        (ROOT / "benchmarks" / "RESULTS.md").write_text(report.render(json.loads(results_file.read_text())))
        return 0
    BENCH.mkdir(parents=True, exist_ok=True)
    started, load_start = time.monotonic(), _load()
    timings = {}
    results = json.loads(results_file.read_text()) if results_file.exists() and todo != set(SECTIONS) else {}
    if "course" in todo:
        print(f"course run x{1 if args.quick else args.course_runs} ...", flush=True)
        results["course"] = course_run.measure(1 if args.quick else args.course_runs)
        timings["course"] = round(time.monotonic() - started)
    if "learners_day" in todo:  # JupyterLab and every notebook under Binder's 2 GB (benchmarks/learners_day.py)
        from . import learners_day

        print("learner's day ...", flush=True)
        t = time.monotonic()
        results["learners_day"] = learners_day.measure(log=print)
        if not args.quick:  # the same day with nothing freed: what the measures save
            print("learner's day without the small-machine measures ...", flush=True)
            results["learners_day"]["baseline"] = learners_day.baseline(learners_day.measure(0, log=print))
        timings["learners_day"] = round(time.monotonic() - t)
    if "setup" in todo:
        print("setup from a clean clone ...", flush=True)
        t = time.monotonic()
        results["setup"] = setup_time.measure(cold_reps=1, noop_reps=3 if args.quick else 5)
        timings["setup"] = round(time.monotonic() - t)
    if "inference" in todo:  # its own hub, transformers serve beside it (benchmarks/inference.py)
        from . import inference

        print("inference ...", flush=True)
        t = time.monotonic()
        results["inference"] = inference.measure(args.quick)
        timings["inference"] = round(time.monotonic() - t)
    if "room" in todo:  # 30 learners' six actions at once, then doubled until one fails (benchmarks/room.py)
        from . import room

        print("room ...", flush=True)
        t = time.monotonic()
        results["room"] = room.measure(double=not args.quick)
        timings["room"] = round(time.monotonic() - t)
    if "xet" in todo:  # SmolLM2 through Xet vs LFS, bytes a Xet upload sends (benchmarks/xet.py)
        from . import xet

        print("xet ...", flush=True)
        t = time.monotonic()
        results["xet"] = xet.measure(args.quick)
        timings["xet"] = round(time.monotonic() - t)
    t = time.monotonic()
    results.update(peers_sections(todo, args.quick))
    timings["peers"] = round(time.monotonic() - t)
    results["machine"] = {**machine(started, load_start), "section_s": timings}
    results["quick"] = args.quick
    results = json.loads(relative_paths(json.dumps(results)))  # error messages may name files of this machine
    results_file.write_text(json.dumps(results, indent=1) + "\n")
    (ROOT / "benchmarks" / "RESULTS.md").write_text(report.render(results))
    failed = [w for w, _, _, ok in report.verdicts(results) if ok is False]
    print(
        f"wrote benchmarks/RESULTS.md in {time.monotonic() - started:.0f} s; "
        f"{len(failed)} target(s) missed{': ' + '; '.join(failed) if failed else ''}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
