"""The learner's day: a real JupyterLab server, the course's notebooks run through it in order as a learner does
(each opened, "Run All Cells", its kernel left running), and the memory of everything together beside Binder's 2 GB.

Everything runs as Binder runs it: `MEM_LIMIT` set, and - where this machine lets us make a cgroup - inside a memory
cgroup limited to the same size, so an overrun is an out-of-memory kill (a dead kernel), not a number.

    python -m benchmarks.learners_day                 # all notebooks, 2048 MB
    python -m benchmarks.learners_day --limit-mb 0    # no limit: what the course takes when nothing is freed
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from .common import BENCH, ROOT, copy_hub, fresh_dir

TARGET_MB = 2048  # Binder's limit: MEM_LIMIT and the cgroup
HEADROOM_MB = 1700  # the peak PSS to stay under (issue 27): room below the limit
CGROUP_ROOT = Path("/sys/fs/cgroup/memory")
MB = 2**20


class Cgroup:
    """A cgroup-v1 memory group with a limit (Binder's kind of limit), or nothing where none can be made."""

    def __init__(self, limit_mb: int):
        self.path: Path | None = None
        if not limit_mb or not (CGROUP_ROOT / "cgroup.procs").exists():
            return
        path = CGROUP_ROOT / f"hf-hands-on-learners-day-{os.getpid()}"
        try:
            path.mkdir()
            (path / "memory.limit_in_bytes").write_text(str(limit_mb * MB))
            self.path = path
        except OSError:
            if path.exists():
                path.rmdir()

    def enter(self) -> None:  # preexec_fn of the JupyterLab server: it and everything it starts are in the group
        if self.path:
            (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def read(self, name: str) -> str:
        return (self.path / name).read_text() if self.path else ""

    def anon_bytes(self) -> int:
        """Anonymous memory charged to the group (memory.stat `total_rss` + `total_shmem`): unlike the page cache,
        the kernel cannot reclaim it, so it is what must fit under the limit."""
        values = dict(line.split() for line in self.read("memory.stat").splitlines() if " " in line)
        return int(values.get("total_rss", 0)) + int(values.get("total_shmem", 0))

    def oom_kills(self) -> int | None:
        for line in self.read("memory.oom_control").splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return None

    def close(self) -> None:
        if not self.path:
            return
        for pid in self.read("cgroup.procs").split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)


def _label(p: psutil.Process, lab_pid: int, hub_pid: int | None, hub_tree: set[int], kernels: dict[str, str]) -> str:
    try:
        cmd = " ".join(p.cmdline())
    except psutil.Error:
        return "gone"
    if p.pid == lab_pid:
        return "JupyterLab server"
    if p.pid == hub_pid:
        return "course hub"
    if "course_hub.inference.worker" in cmd:
        return "inference worker"
    if p.pid in hub_tree:
        return "Spaces"
    for kernel_id, notebook in kernels.items():
        if kernel_id in cmd:
            return f"kernel {notebook[:2]}"
    return "apps the kernels started"


class Sampler(threading.Thread):
    """Polls the total RSS (and, less often, PSS: shared pages split between processes) of JupyterLab, its kernels,
    the course hub and what they started; keeps the peak and what made it up."""

    def __init__(self, lab: subprocess.Popen, hub_dir: Path, group: Cgroup, interval: float = 0.5):
        super().__init__(daemon=True)
        self.lab, self.hub_dir, self.group, self.interval = lab, hub_dir, group, interval
        self.peak_anon = 0  # the cgroup's anonymous memory: what cannot be reclaimed, so what must fit
        self.kernels: dict[str, str] = {}
        self.peak_rss, self.peak_pss, self.peak_parts, self.now_rss = 0, 0, {}, 0
        self.mark_peak = 0
        self._halt = threading.Event()

    def _processes(self) -> tuple[list[psutil.Process], int | None, set[int]]:
        from course_hub import running_server

        procs, hub_pid, hub_tree = [], None, set()
        try:
            lab = psutil.Process(self.lab.pid)
            procs = [lab, *lab.children(recursive=True)]
        except psutil.Error:
            pass
        info = running_server(self.hub_dir)
        if info:
            try:
                hub = psutil.Process(int(info["pid"]))
                hub_pid = hub.pid
                children = hub.children(recursive=True)
                hub_tree = {c.pid for c in children}
                procs += [hub, *children]
            except psutil.Error:
                pass
        seen, unique = set(), []
        for p in procs:
            if p.pid not in seen:
                seen.add(p.pid)
                unique.append(p)
        return unique, hub_pid, hub_tree

    def run(self) -> None:
        tick = 0
        while not self._halt.is_set():
            procs, hub_pid, hub_tree = self._processes()
            parts: dict[str, int] = {}
            total = pss = 0
            for p in procs:
                try:
                    rss = p.memory_info().rss
                    if tick % 2 == 0:
                        pss += p.memory_full_info().pss
                except psutil.Error:
                    continue
                total += rss
                label = _label(p, self.lab.pid, hub_pid, hub_tree, self.kernels)
                parts[label] = parts.get(label, 0) + rss
            self.now_rss = total
            self.peak_anon = max(self.peak_anon, self.group.anon_bytes())
            if total > self.peak_rss:
                self.peak_rss, self.peak_parts = total, parts
            self.mark_peak = max(self.mark_peak, total)
            if tick % 2 == 0:
                self.peak_pss = max(self.peak_pss, pss)
            tick += 1
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def measure(limit_mb: int = TARGET_MB, only: list[str] | None = None, log=print, cell_timeout: float = 900) -> dict:
    from course_hub.net import free_port
    from tools.remote_kernel import JupyterServer, run_notebook

    work = fresh_dir(BENCH / "learners-day")
    hub_dir = copy_hub(ROOT / "data" / "hub", work / "hub")
    notebooks = sorted(p for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb") if not only or p.name[:2] in only)
    port, token = free_port(first=8890), secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}/lab-prefix/"  # a base_url, as JupyterHub and Binder give one
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "HF_", "JPY_", "JUPYTER"))}
    env.update(
        COURSE_HUB_DIR=str(hub_dir),
        COURSE_HF_HOME=str(work / "hf-home"),
        JUPYTER_RUNTIME_DIR=str(work / "runtime"),
        JUPYTER_DATA_DIR=str(work / "data"),
        IPYTHONDIR=str(work / "ipython"),
        PYTHONUNBUFFERED="1",
    )
    if limit_mb:
        env["MEM_LIMIT"] = str(limit_mb * MB)  # what Binder (repo2docker) and JupyterHub's spawners set
    group = Cgroup(limit_mb)
    if threading.current_thread() is threading.main_thread():  # a SIGTERM still stops JupyterLab and the hub
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    log_file = (work / "jupyterlab.log").open("w")
    lab = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={token}",
            "--ServerApp.base_url=/lab-prefix/",
            f"--ServerApp.root_dir={ROOT / 'notebooks'}",
            "--allow-root",
        ],
        env=env,
        cwd=ROOT / "notebooks",
        stdout=log_file,
        stderr=subprocess.STDOUT,
        preexec_fn=group.enter,
        start_new_session=True,
    )
    sampler = Sampler(lab, hub_dir, group)
    out = {"limit_mb": limit_mb, "cgroup": bool(group.path), "notebooks": {}, "errors": []}
    started = time.monotonic()
    try:
        server = JupyterServer(url, token)
        server.wait_ready(lab)
        sampler.start()
        for nb in notebooks:
            sampler.mark_peak = sampler.now_rss
            t = time.monotonic()
            session = server.open_session(nb.name)
            sampler.kernels[session["kernel"]["id"]] = nb.name
            runs = run_notebook(server, session, nb, cell_timeout=cell_timeout)
            failed = [r for r in runs if r.status != "ok"]
            alive = {s["kernel"]["id"] for s in server.sessions()}
            row = {
                "seconds": round(time.monotonic() - t, 1),
                "cells": len(runs),
                "peak_mb": round(sampler.mark_peak / MB),
                "after_mb": round(sampler.now_rss / MB),
                "kernels_alive": sum(1 for k in sampler.kernels if k in alive),
                "slowest_cells": [[r.index, r.seconds] for r in sorted(runs, key=lambda r: -r.seconds)[:3]],
            }
            if failed:
                row["error"] = f"cell {failed[0].index}: {failed[0].error}"[:300]
                out["errors"].append(f"{nb.name}: {row['error']}")
            out["notebooks"][nb.stem] = row
            log(
                f"  {nb.stem}: {row['seconds']} s, peak {row['peak_mb']} MB, after {row['after_mb']} MB, "
                f"{row['kernels_alive']} kernel(s) alive{', ' + row['error'] if failed else ''}",
                flush=True,
            )
        time.sleep(2)
    finally:
        sampler.stop()
        out["oom_kills"] = group.oom_kills()
        cg_peak = group.read("memory.max_usage_in_bytes").strip()
        out["cgroup_peak_mb"] = round(int(cg_peak) / MB) if cg_peak else None
        lab.send_signal(signal.SIGTERM)
        try:
            lab.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
        subprocess.run(
            [sys.executable, "-m", "course_hub", "--hub-dir", str(hub_dir), "stop"], capture_output=True, timeout=60
        )
        group.close()
        log_file.close()
    out.update(
        seconds=round(time.monotonic() - started),
        peak_rss_mb=round(sampler.peak_rss / MB),
        peak_pss_mb=round(sampler.peak_pss / MB),
        peak_anon_mb=round(sampler.peak_anon / MB) or None,
        at_peak_mb={k: round(v / MB) for k, v in sorted(sampler.peak_parts.items(), key=lambda kv: -kv[1])},
    )
    return out


def baseline(r: dict) -> dict:
    """The figures of a run without the measures, kept beside the real one."""
    last = list(r["notebooks"].values())[-1] if r["notebooks"] else {}
    return {
        "peak_pss_mb": r["peak_pss_mb"],
        "peak_rss_mb": r["peak_rss_mb"],
        "kernels": last.get("kernels_alive"),
        "errors": len(r["errors"]),
    }


def verdicts(r: dict) -> list[tuple[str, str, str, bool | None]]:
    """Met when every notebook ran, nothing was killed for memory and what the machine really held (PSS: shared
    pages split between processes) stayed under the target; the RSS sum is shown beside it."""
    held = r["peak_pss_mb"]
    ok = not r["errors"] and not r.get("oom_kills") and held <= HEADROOM_MB
    return [
        (
            "learner's day: every notebook in one JupyterLab, kernels left running",
            f"≤ {HEADROOM_MB} MB PSS under a {TARGET_MB} MB cgroup, 0 errors",
            f"{held} MB PSS ({r['peak_rss_mb']} MB RSS sum), {len(r['errors'])} errors, {r.get('oom_kills')} OOM kills",
            ok,
        )
    ]


def render(r: dict) -> list[str]:
    lines = [
        "",
        "## The learner's day: every notebook in one JupyterLab under 2 GB",
        "",
        "A real JupyterLab server (with a base_url, as on JupyterHub and Binder) opens each notebook in order "
        "and runs all its cells over the kernel's websocket, leaving its kernel running, as a learner does. "
        f"`MEM_LIMIT` is {r['limit_mb']} MB"
        + (
            " and everything runs in a memory cgroup of that size, as on Binder (an overrun kills a process)"
            if r["cgroup"]
            else " (no cgroup could be made: the limit was not enforced)"
        )
        + ". Memory counts JupyterLab, its kernels, the course hub and everything they started. The RSS sum "
        "counts a shared library's pages once per process that maps it (torch's, in every kernel, the "
        "inference worker and each Space); PSS splits shared pages between the processes, so its sum is "
        "what the machine holds; the cgroup's anonymous memory is what it could not reclaim.",
        "",
        "| notebook | seconds | peak MB (RSS sum) | after MB (RSS sum) | kernels alive after |",
        "|---|---|---|---|---|",
    ]
    for name, row in r["notebooks"].items():
        lines.append(
            f"| {name} | {row['seconds']} | {row['peak_mb']} | {row['after_mb']} | {row['kernels_alive']}"
            + (f" — **{row['error']}**" if row.get("error") else "")
            + " |"
        )
    parts = ", ".join(f"{k} {v}" for k, v in r["at_peak_mb"].items())
    lines += [
        "",
        f"Peak: **{r['peak_pss_mb']} MB PSS** (target ≤ {HEADROOM_MB} MB), {r['peak_rss_mb']} MB RSS sum, "
        f"{r.get('peak_anon_mb')} MB anonymous memory in the cgroup; out-of-memory kills: "
        f"{r.get('oom_kills')}; errors: {len(r['errors'])}; {r['seconds']} s in all. "
        f"At the RSS peak (MB): {parts}.",
    ]
    if r.get("baseline"):
        b = r["baseline"]
        lines += [
            "",
            f"Without the small-machine measures (no `MEM_LIMIT`, no cgroup: every kernel stays, the hub "
            f"not lean), the same day peaks at {b['peak_pss_mb']} MB PSS, {b['peak_rss_mb']} MB RSS sum "
            f"({b.get('kernels', '?')} kernels alive at the end).",
        ]
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit-mb", type=int, default=TARGET_MB, help="MEM_LIMIT and the cgroup's limit; 0: none")
    ap.add_argument("--only", default="", help="comma-separated notebook numbers, e.g. 00,01,02")
    ap.add_argument("--json", type=Path, help="write the result here")
    ap.add_argument("--baseline", action="store_true", help="also run it with no limit (nothing freed), to compare")
    args = ap.parse_args(argv)
    only = [x for x in args.only.split(",") if x]
    r = measure(args.limit_mb, only)
    if args.baseline:
        r["baseline"] = baseline(measure(0, only))
    print("\n".join(render(r)))
    if args.json:
        args.json.write_text(json.dumps(r, indent=1) + "\n")
    return 1 if r["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
