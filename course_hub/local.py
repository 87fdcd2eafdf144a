"""The course hub on this machine, from a client's side: find its server, start one, wait for it, its tokens.

    running_server(hub_dir)              the `ServerInfo` in the hub dir's server.json when that server answers
    start(hub_dir, port, log_path, ...)  `python -m course_hub serve` in a child process
    wait_healthy(url, proc, timeout)     wait until a course hub answers at url (`net.wait_until_up`, hub=True)
    ensure_server(hub_dir, ...)          the running server's URL; starts one in the background if there is none
    local_token(hub_dir, user, role)     a user's saved token (made with the hub's token store on first use)

What the notebooks (`helpers.connect`), the Jupyter tile, the CLI, tools, tests and benchmarks use; the server itself
is `server.serve`. Layer 0: the hub dir's layout, the store (for tokens) and `net` only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .hubdir import HubDir
from .net import DEFAULT_PORT, LOOPBACK, ServerInfo, free_port, wait_until_up

SERVER_LOG = "server.log"  # in the hub dir: the output of a server `ensure_server` started


def running_server(hub_dir: Path | str) -> ServerInfo | None:
    """The server recorded in `server.json` if its process is alive and answers, else None."""
    info = ServerInfo.read(HubDir(hub_dir).server_file)
    return info if info is not None and info.alive() else None


def start(
    hub_dir: Path | str,
    port: int,
    log_path: Path | str,
    args: tuple[str, ...] = (),
    env: dict | None = None,
    detach: bool = False,
    cwd: Path | str | None = None,
) -> subprocess.Popen:
    """`python -m course_hub serve` over hub_dir in a child process, its output appended to log_path. `detach`
    puts it in its own session, so it outlives the caller (a notebook kernel); else the caller stops it."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "course_hub", "serve", "--hub-dir", str(hub_dir), "--port", str(port), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=detach,
            cwd=cwd,
            env=None if env is None else {**os.environ, **env},
        )


def wait_healthy(
    url: str, proc: subprocess.Popen | None = None, timeout: float = 30, log_path: Path | str | None = None
) -> float:
    """Wait until the course hub at url answers /api/health; return the seconds it took. Raises RuntimeError
    (`net.NotUp`, with the log's tail) if proc exits or the time runs out."""
    return wait_until_up(url, proc, timeout, hub=True, log_path=log_path, what="the course hub")


def ensure_server(
    hub_dir: Path | str, timeout: float = 30, *, lean: bool = False, first_port: int = DEFAULT_PORT
) -> str:
    """The URL of this hub dir's running server; starts one in the background if there is none (on the first free
    port from `first_port`, detached: it outlives the caller; `lean`: COURSE_HUB_LEAN=1, for a small machine)."""
    hub_dir = Path(hub_dir)
    if not HubDir(hub_dir).exists():
        raise RuntimeError(
            f"The course hub has not been built yet ({hub_dir}). In a terminal, run `make lab` "
            "(or `course-hub build`), or set COURSE_HUB=online to use huggingface.co."
        )
    running = running_server(hub_dir)
    if running:
        return running.url
    port = free_port(first=first_port)
    log = hub_dir / SERVER_LOG
    proc = start(hub_dir, port, log, env={"COURSE_HUB_LEAN": "1"} if lean else None, detach=True, cwd=hub_dir)
    url = f"http://{LOOPBACK}:{port}"
    try:
        wait_healthy(url, proc, timeout)
    except RuntimeError:
        raise RuntimeError(f"The course hub did not start within {timeout:.0f}s; see {log}") from None
    return url


def local_token(hub_dir: Path | str, user: str, role: str = "read") -> str:
    """The saved token of a course-hub user (`tokens/` in the hub dir), made with the hub's own token store on first
    use (and again when the saved one was deleted)."""
    from .store import Store

    layout = HubDir(hub_dir)
    store = Store(layout.store_db)
    path = layout.token_file(user, role)
    if path.is_file():
        token = path.read_text().strip()
        if store.identify(token):
            return token
    path.parent.mkdir(parents=True, exist_ok=True)
    token = store.create_token(user, role=role, name=f"course-{role}")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(token)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return token
