"""Run the course hub: uvicorn on loopback by default, with a `server.json` so notebooks can find it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from .hubdir import HubDir
from .net import DEFAULT_PORT, ServerInfo, free_port, wait_until_up
from .settings import Settings

# the client side (ports, the probe, the wait loop, server.json) lives in net.py; these names stay for the tools,
# tests and notebooks that import them from here
__all__ = ["DEFAULT_PORT", "ServerInfo", "free_port", "running_server", "serve", "start", "wait_healthy"]


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
    (with the log's tail) if proc exits or the time runs out."""
    return wait_until_up(url, proc, timeout, hub=True, log_path=log_path, what="the course hub")


def running_server(hub_dir: Path | str) -> ServerInfo | None:
    """The server recorded in `server.json` if its process is alive and answers, else None."""
    info = ServerInfo.read(HubDir(hub_dir).server_file)
    return info if info is not None and info.alive() else None


def serve(settings: Settings, host: str = "127.0.0.1", port: int = DEFAULT_PORT, quiet: bool = False) -> None:
    import uvicorn

    from .app import create_app

    hub_dir = HubDir(settings.hub_dir).ensure()
    classroom = settings.classroom
    if port == 0:
        port = free_port(host)
    app = create_app(settings)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}"
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=30,
        lifespan="on",  # its shutdown stops the Spaces and the inference worker (app.CourseHub.aclose)
        timeout_graceful_shutdown=5,
    )  # a stream still open (chat, a Space) holds stop at most 5 s
    server = uvicorn.Server(config)
    info_file = hub_dir.server_file
    ServerInfo(pid=os.getpid(), url=url, host=host, port=port, classroom=classroom, lean=settings.lean).write(info_file)
    print(f"course hub serving {hub_dir.root} at {url}  (Ctrl+C to stop)", flush=True)
    if classroom:
        from .classroom import join_instructions, lan_address

        lan = lan_address() if host in ("0.0.0.0", "::") else shown
        print(join_instructions(f"http://{lan}:{port}"), flush=True)
    elif not quiet:
        print(f"point the clients at it with: export HF_ENDPOINT={url} HF_HUB_DISABLE_XET=1", flush=True)
    # uvicorn re-raises the SIGTERM it shut down for once it is done: exit normally instead, so that the cleanup
    # below runs (with the default handler the process dies on the spot and leaves a stale server.json)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        if settings.lean and hasattr(signal, "SIGUSR1"):  # a small machine: a notebook's setup cell says "moved on"
            signal.signal(
                signal.SIGUSR1,
                lambda *_: threading.Thread(
                    target=app.release_memory, args=("the learner moved on to another notebook",), daemon=True
                ).start(),
            )
    try:
        server.run()
    finally:
        app.close()  # done already by the lifespan's shutdown, unless uvicorn stopped before it ran
        info = ServerInfo.read(info_file)
        if info is not None and info.pid == os.getpid():
            try:
                info_file.unlink()
            except OSError:
                pass
    sys.exit(0)
