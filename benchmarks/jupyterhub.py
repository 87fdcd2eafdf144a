"""`make bench-jupyterhub`: N learners on a real JupyterHub (deploy/jupyterhub/, as tests/jupyterhub runs it), all
running notebook 01 at the same instant through the proxy (sessions API + kernel websocket).

    python -m benchmarks.jupyterhub                 # 10, then 30 learners; updates benchmarks/RESULTS.md
    python -m benchmarks.jupyterhub --learners 10   # one size

For each size: errors (target 0), the slowest learner (kernel start + every code cell of notebook 01, FAST), the
peak resident memory of JupyterHub's whole process tree (proxy, course hub and its workers, every server and
kernel; psutil, sampled every 0.5 s) and the machine's peak used memory (total - available), and what was used
before JupyterHub started. Writes benchmarks/results-jupyterhub.json and the "JupyterHub" section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.jupyterhub import LocalJupyterHub  # noqa: E402

WORK = ROOT / "build" / "bench" / "jupyterhub"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
JSON = ROOT / "benchmarks" / "results-jupyterhub.json"
NOTEBOOK = ROOT / "notebooks" / "01_hub_models.ipynb"
START, END = "<!-- jupyterhub:start -->", "<!-- jupyterhub:end -->"
MB = 1024 * 1024
GUARD_MB = 3072  # the machine's available memory below this: stop JupyterHub (other work shares the machine)


class Sampler(threading.Thread):
    """Peak RSS of JupyterHub's tree and peak used memory of the machine, every `every` seconds."""

    def __init__(self, jh: LocalJupyterHub, every: float = 0.5):
        super().__init__(daemon=True)
        self.jh, self.every, self.done = jh, every, threading.Event()
        self.tree_peak = self.system_peak = 0
        self.tripped: str | None = None

    def run(self) -> None:
        import psutil

        while not self.done.is_set():
            rss = 0
            for p in self.jh.processes():
                try:
                    rss += p.memory_info().rss
                except psutil.Error:
                    pass
            vm = psutil.virtual_memory()
            self.tree_peak = max(self.tree_peak, rss)
            self.system_peak = max(self.system_peak, vm.total - vm.available)
            if vm.available < GUARD_MB * MB and self.tripped is None:
                kernels = [p for p in self.jh.processes() if "ipykernel" in " ".join(p.cmdline())]
                for p in kernels:  # first relief: the kernels; then JupyterHub stops the rest
                    try:
                        p.kill()
                    except psutil.Error:
                        pass
                kernels = len(kernels)
                self.tripped = (
                    f"stopped: the machine's available memory fell below {GUARD_MB} MB "
                    f"({(vm.total - vm.available) / MB:.0f} MB used, {kernels} kernels running)"
                )
                self.jh.stop()
                return
            self.done.wait(self.every)


def measure(learners: int, hub_source: Path) -> dict:
    import psutil

    from course_hub import HubDir

    base = WORK / f"n{learners}"
    shutil.rmtree(base, ignore_errors=True)
    HubDir(hub_source).copy_to(base / "hub")
    vm = psutil.virtual_memory()
    baseline = vm.total - vm.available
    jh = LocalJupyterHub(base / "state", base / "hub")
    users = [f"learner{i:02d}" for i in range(1, learners + 1)]
    result = {"learners": learners, "notebook": NOTEBOOK.name, "system_used_before_mb": round(baseline / MB)}
    sampler = Sampler(jh)
    try:
        jh.start()
        sampler.start()
        t0 = time.monotonic()
        with ThreadPoolExecutor(min(learners, 16)) as pool:
            list(pool.map(jh.login, users))
            list(pool.map(jh.spawn, users))
        ready = jh.wait_ready(users, timeout=600)
        result["servers_ready_s"] = round(time.monotonic() - t0, 1)
        idle_tree = sum(p.memory_info().rss for p in jh.processes())
        result["tree_idle_mb"] = round(idle_tree / MB)
        barrier = threading.Barrier(learners)

        def learner(user: str) -> tuple[float, str | None]:
            barrier.wait()
            started = time.monotonic()
            try:
                jh.run_notebook(user, NOTEBOOK, f"hf-hands-on/notebooks/{NOTEBOOK.name}", timeout=900)
                return time.monotonic() - started, None
            except Exception as e:  # noqa: BLE001
                return time.monotonic() - started, f"{user}: {type(e).__name__}: {str(e)[:300]}"

        t1 = time.monotonic()
        with ThreadPoolExecutor(learners) as pool:
            runs = list(pool.map(learner, users))
        wall = time.monotonic() - t1
        errors = [e for _, e in runs if e]
        times = sorted(t for t, e in runs if not e)
        result.update(
            errors=len(errors),
            first_error=errors[0] if errors else None,
            wall_s=round(wall, 1),
            slowest_s=round(max(t for t, _ in runs), 1),
            median_s=round(times[len(times) // 2], 1) if times else None,
            slowest_ready_s=round(max(ready.values()), 1),
        )
    finally:
        sampler.done.set()
        if sampler.is_alive():
            sampler.join()
        left = jh.stop()
        result["left_behind"] = len(left)
    result["stopped"] = sampler.tripped
    result.update(
        tree_peak_mb=round(sampler.tree_peak / MB),
        system_peak_mb=round(sampler.system_peak / MB),
        per_learner_peak_mb=round(sampler.tree_peak / MB / learners),
    )
    shutil.rmtree(base, ignore_errors=True)
    return result


def render(data: dict) -> str:
    lines = [
        START,
        "## JupyterHub: learners running notebook 01 at once (`make bench-jupyterhub`)",
        "",
        f"{data['date']}; {data['machine']}. JupyterHub {data['jupyterhub']} with configurable-http-proxy, "
        "the course hub as its service (classroom mode), SimpleLocalProcessSpawner, every learner's server "
        "and kernel on this machine; notebook 01 (FAST) started by every learner at the same instant through "
        "the proxy (sessions API + kernel websocket). Peak RSS: JupyterHub's whole process tree (proxy, "
        "course hub, servers, kernels), sampled every 0.5 s; machine: total - available, other work included.",
        "",
        "| learners | errors | slowest learner (s) | median (s) | servers ready (s) | tree idle (MB) "
        "| tree peak (MB) | per learner (MB) | machine used before → peak (MB) | left behind |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in data["runs"]:
        lines.append(
            f"| {r['learners']} | {r['errors']} | {r.get('slowest_s')} | {r.get('median_s')} | "
            f"{r.get('servers_ready_s')} | {r.get('tree_idle_mb')} | {r['tree_peak_mb']} | "
            f"{r['per_learner_peak_mb']} | {r['system_used_before_mb']} → {r['system_peak_mb']} | "
            f"{r['left_behind']} |"
        )
    lines += [f"\n{r['learners']} learners: {r['stopped']}." for r in data["runs"] if r.get("stopped")]
    errs = [r["first_error"] for r in data["runs"] if r.get("first_error") and not r.get("stopped")]
    if errs:
        lines += ["", "First error: `" + errs[0].replace("`", "'")[:300] + "`"]
    lines += ["", "Target: 0 errors and nothing left behind. The instructor guide's sizing table quotes these.", END]
    return "\n".join(lines) + "\n"


def write_results(data: dict) -> None:
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmarks\n"
    section = render(data)
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) + 1 :]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text)
    JSON.write_text(json.dumps(data, indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    import platform
    from importlib.metadata import version

    import psutil

    from course_hub.settings import default_hub_dir

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--learners", default="10,30", help="comma-separated sizes (default 10,30)")
    args = p.parse_args(argv)
    source = default_hub_dir()
    sizes = [int(n) for n in args.learners.split(",")]
    data = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.1f} GB RAM, "
        f"Python {platform.python_version()}",
        "jupyterhub": version("jupyterhub"),
        "runs": [],
    }
    if JSON.exists():  # keep the other sizes' figures when one size is re-run
        old = {r["learners"]: r for r in json.loads(JSON.read_text()).get("runs", [])}
        data["runs"] = [old[n] for n in sorted(old) if n not in sizes]
    for n in sizes:
        r = measure(n, source)
        print(json.dumps(r), flush=True)
        data["runs"].append(r)
    data["runs"].sort(key=lambda r: r["learners"])
    write_results(data)
    print(render(data))
    return 0 if all(r["errors"] == 0 and r["left_behind"] == 0 for r in data["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
