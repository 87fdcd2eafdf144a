"""Run the course hub: uvicorn on loopback by default, with a `server.json` so notebooks can find it.

The server only: what starts, finds or waits for one from outside (`start`, `wait_healthy`, `running_server`,
`ensure_server`) is `course_hub.local`, over `course_hub.net` (ports, the probe, the wait loop, `ServerInfo`).
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from .hubdir import HubDir
from .local import running_server, start, wait_healthy  # noqa: F401  (older imports: cli, tests/conftest.py, tools)
from .net import DEFAULT_PORT, ServerInfo, free_port
from .settings import Settings

__all__ = ["serve"]


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
    print(app.state.spaces.sandbox_line(), flush=True)
    if classroom:
        from .classroom import join_instructions, lan_address

        lan = lan_address() if host in ("0.0.0.0", "::") else shown
        print(join_instructions(f"http://{lan}:{port}"), flush=True)
    elif not quiet:
        print(f"point the clients at it with: export HF_ENDPOINT={url}", flush=True)
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
