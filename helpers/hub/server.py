"""Run the course hub: uvicorn on loopback by default, with a `server.json` so notebooks can find it."""
from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
from pathlib import Path

from .paths import HubDir

DEFAULT_PORT = 8765


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


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


def serve(hub_dir: Path | str, host: str = "127.0.0.1", port: int = DEFAULT_PORT, quiet: bool = False,
          classroom: bool = False) -> None:
    import uvicorn

    from .app import create_app

    hub_dir = HubDir(hub_dir).ensure()
    if port == 0:
        port = free_port(host)
    app = create_app(hub_dir.root, classroom=classroom)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}"
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            timeout_keep_alive=30, lifespan="off")
    server = uvicorn.Server(config)
    info_file = hub_dir.server_file
    tmp = info_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "url": url, "host": host, "port": port, "classroom": classroom}))
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
    try:
        server.run()
    finally:
        try:
            if json.loads(info_file.read_text()).get("pid") == os.getpid():
                info_file.unlink()
        except (OSError, ValueError):
            pass
    sys.exit(0)
