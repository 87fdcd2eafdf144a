"""Run the course hub: uvicorn on loopback by default, with a `server.json` so notebooks can find it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from .hubdir import HubDir
from .settings import Settings

DEFAULT_PORT = 8765


def free_port(host: str = "127.0.0.1", first: int | None = None) -> int:
    """A port nobody listens on: any (the OS picks), or the first free one from `first` on."""
    for port in [0] if first is None else range(first, first + 50):
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError(f"no free port in {first}..{first + 49}")


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
    started = time.monotonic()
    tail = lambda: Path(log_path).read_text(errors="replace")[-3000:] if log_path else ""
    while not answers(url, timeout=1):
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the course hub exited with {proc.returncode}:\n{tail()}")
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"the course hub at {url} did not answer within {timeout:.0f}s:\n{tail()}")
        time.sleep(0.05)
    return time.monotonic() - started


def running_server(hub_dir: Path | str) -> dict | None:
    """The server recorded in `server.json` if its process is alive and answers, else None."""
    info_file = HubDir(hub_dir).server_file
    try:
        info = json.loads(info_file.read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError):
        return None
    return info if answers(info["url"]) else None


def answers(url: str, timeout: float = 2.0) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/api/health", timeout=timeout) as r:
            return json.load(r).get("service") == "course-hub"
    except (OSError, ValueError):
        return False


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
        lifespan="off",
        timeout_graceful_shutdown=5,
    )  # a stream still open (chat, a Space) holds stop at most 5 s
    server = uvicorn.Server(config)
    info_file = hub_dir.server_file
    tmp = info_file.with_suffix(".tmp")
    tmp.write_text(
        json.dumps(
            {"pid": os.getpid(), "url": url, "host": host, "port": port, "classroom": classroom, "lean": settings.lean}
        )
    )  # lean: SIGUSR1 releases idle Spaces and inference
    os.replace(tmp, info_file)
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
            from .app import release_memory

            signal.signal(
                signal.SIGUSR1,
                lambda *_: threading.Thread(
                    target=release_memory, args=(app, "the learner moved on to another notebook"), daemon=True
                ).start(),
            )
    try:
        server.run()
    finally:
        try:
            if json.loads(info_file.read_text()).get("pid") == os.getpid():
                info_file.unlink()
        except (OSError, ValueError):
            pass
    sys.exit(0)
