"""Room for the next notebook on a small machine: when a course notebook connects, the kernels of the course's other
notebooks that sit idle are shut down through the Jupyter server's API, and the setup cell says so.

A learner opens the notebooks in order and never shuts a kernel down; each kernel keeps 0.5-1.5 GB. On Binder
(2 GB for everything) the third notebook's kernel would be killed. So on a machine of at most `SMALL_MACHINE_MB`
(Binder's `MEM_LIMIT`, a JupyterHub spawner's, a cgroup's limit, or the RAM) `connect()` ends the idle kernels
of the other `NN_*.ipynb` notebooks beside this one. A busy kernel (a cell running) and anything that is not a course
notebook are left alone; `COURSE_KEEP_KERNELS=1` turns it off. Outside a Jupyter server (papermill, nbval) it does
nothing.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from pathlib import Path

SMALL_MACHINE_MB = 6144
HUB_PROXY_NAME = "course-hub"  # the Jupyter server's path to the course hub: {base_url}course-hub/ (jupyter_proxy)
COURSE_NOTEBOOK = re.compile(r"^\d\d_[\w-]+\.ipynb$")
MiB = 2**20


def proxy_prefix() -> str | None:
    """The Jupyter server's base URL when a browser elsewhere reaches this kernel through it (JupyterHub, Binder),
    else None (a local `make lab`: the browser reaches 127.0.0.1 itself)."""
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
    return prefix if prefix and prefix.startswith("/") else None


def memory_limit_mb() -> int | None:
    """The memory this server may use: the smallest of `MEM_LIMIT` (repo2docker/Binder, JupyterHub spawners),
    `COURSE_MEMORY_LIMIT_MB`, the cgroup's limit (v2 or v1) and the machine's RAM."""
    limits = []
    if os.environ.get("MEM_LIMIT", "").isdigit():
        limits.append(int(os.environ["MEM_LIMIT"]) // MiB)
    if os.environ.get("COURSE_MEMORY_LIMIT_MB", "").isdigit():
        limits.append(int(os.environ["COURSE_MEMORY_LIMIT_MB"]))
    cgroup = _cgroup_limit()
    if cgroup:
        limits.append(cgroup // MiB)
    try:
        limits.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // MiB)
    except (ValueError, OSError, AttributeError):
        pass
    return min(limits) if limits else None


def _cgroup_limit() -> int | None:
    """This process's cgroup memory limit in bytes (v2: the smallest `memory.max` up the tree; v1: memory.stat's
    `hierarchical_memory_limit`), None if unlimited or unknown."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    found = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # v2
            folder = Path("/sys/fs/cgroup") / path.lstrip("/")
            while True:
                try:
                    value = (folder / "memory.max").read_text().strip()
                    if value.isdigit():
                        found.append(int(value))
                except OSError:
                    pass
                if folder == Path("/sys/fs/cgroup") or folder.parent == folder:
                    break
                folder = folder.parent
        elif "memory" in controllers.split(","):  # v1
            for folder in (Path("/sys/fs/cgroup/memory") / path.lstrip("/"), Path("/sys/fs/cgroup/memory")):
                try:
                    stat = (folder / "memory.stat").read_text()
                except OSError:
                    continue
                for row in stat.splitlines():
                    if row.startswith("hierarchical_memory_limit "):
                        found.append(int(row.split()[1]))
                break
    found = [v for v in found if v < 2**60]
    return min(found) if found else None


def small_machine() -> bool:
    """At most `SMALL_MACHINE_MB` for everything (Binder: 2 GB)."""
    limit = memory_limit_mb()
    return limit is not None and limit <= SMALL_MACHINE_MB


def _this_kernel_id() -> str | None:
    try:
        from ipykernel import get_connection_file

        match = re.search(r"kernel-([\w-]+)\.json$", get_connection_file())
        return match.group(1) if match else None
    except Exception:  # not in an IPython kernel  # noqa: BLE001
        return None


def _servers() -> list[dict]:
    """The running Jupyter servers this kernel can see (their runtime files), newest first."""
    try:
        from jupyter_server.serverapp import list_running_servers
    except ImportError:
        return []
    return list(list_running_servers())[::-1]


def _api(server: dict, method: str, path: str):
    url = server["url"].rstrip("/") + "/" + path.lstrip("/")
    headers = {}
    token = server.get("token") or os.environ.get("JUPYTERHUB_API_TOKEN")
    if token:
        headers["Authorization"] = f"token {token}"
    req = urllib.request.Request(url, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as r:
        raw = r.read()
    return json.loads(raw) if raw else None


def _my_server(kernel_id: str) -> tuple[dict, list[dict]] | None:
    """The server running this kernel, and its sessions."""
    for server in _servers():
        try:
            sessions = _api(server, "GET", "api/sessions")
        except (OSError, ValueError):
            continue
        if any(s.get("kernel", {}).get("id") == kernel_id for s in sessions):
            return server, sessions
    return None


def free_idle_course_kernels(force: bool = False) -> list[str]:
    """Shut down the idle kernels of the course's other notebooks (on a small machine, or if `force`); returns
    their notebooks' names. Never raises: at worst it frees nothing."""
    if os.environ.get("COURSE_KEEP_KERNELS") == "1":
        return []
    if not force and not small_machine():
        return []
    kernel_id = _this_kernel_id()
    if not kernel_id:
        return []
    try:
        found = _my_server(kernel_id)
        if not found:
            return []
        server, sessions = found
        mine = next(s for s in sessions if s["kernel"]["id"] == kernel_id)
        folder = str(Path(mine.get("path", "")).parent)
        freed = []
        for s in sessions:
            path = Path(s.get("path") or "")
            kernel = s.get("kernel") or {}
            if (
                kernel.get("id") == kernel_id
                or str(path.parent) != folder
                or not COURSE_NOTEBOOK.match(path.name)
                or kernel.get("execution_state") != "idle"
            ):
                continue
            try:
                _api(server, "DELETE", f"api/sessions/{s['id']}")
                freed.append(path.name)
            except (OSError, ValueError):
                pass
        return sorted(freed)
    except Exception:  # a server that answers oddly must not stop the setup cell  # noqa: BLE001
        return []


def release_hub_memory(hub_dir) -> bool:
    """Tell this checkout's lean course hub (a small machine) that the learner moved on: its idle Spaces sleep and
    its idle inference worker stops (SIGUSR1, see course_hub/server.py). True if a lean hub was told."""
    import signal

    if not hub_dir or not hasattr(signal, "SIGUSR1"):
        return False
    try:
        from course_hub import running_server

        info = running_server(hub_dir)
        if not info or not info.lean:  # a hub that is not lean would die of the signal
            return False
        os.kill(info.pid, signal.SIGUSR1)
        return True
    except (OSError, ValueError, KeyError):
        return False


def report(freed: list[str]) -> str:
    limit = memory_limit_mb()
    names = ", ".join(freed)
    return (
        f"Memory: this machine has {limit / 1024:.1f} GB for everything, so the idle kernels of {names} were "
        "shut down to make room (their variables are gone; run a notebook again to get them back; "
        "COURSE_KEEP_KERNELS=1 keeps them)."
    )
