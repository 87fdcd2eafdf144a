"""Small helpers for running a Gradio app next to a notebook: a free port, waiting for the server, stopping it.

The lesson's own calls stay in the notebook (`subprocess.Popen([sys.executable, "app.py"], ...)`,
`gradio_client.Client(url).predict(...)`, `demo.launch(...)`); these only prepare the room.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from course_hub import net
from course_hub.net import answers, free_port  # noqa: F401  (the notebooks' `gradio_tools.free_port`)

LOCALHOST = "127.0.0.1"


def browser_root(port: int) -> str | None:
    """Where a learner's browser reaches an app on `port` of the kernel's machine when it is not that machine
    (JupyterHub, Binder: `{base_url}proxy/{port}`, through jupyter-server-proxy), else None (open 127.0.0.1).
    Pass it to `demo.launch(root_path=...)` (or `GRADIO_ROOT_PATH`) so the app's own links go through the proxy."""
    from .jupyter_proxy import proxy_prefix

    prefix = proxy_prefix()
    return f"{prefix}proxy/{port}" if prefix else None


def browser_url(port: int) -> str:
    """The address to open in your browser for an app on `port` (see `browser_root`)."""
    return (browser_root(port) or f"http://{LOCALHOST}:{port}") + "/"


def wait_until_up(
    url: str, process: subprocess.Popen | None = None, timeout: float = 90, log: str | Path | None = None
) -> str:
    """Poll `url` until the app answers (any status below 500); return `url` (`course_hub.net.wait_until_up`).

    Raises RuntimeError (with the end of `log`, if given) when `process` exits first or `timeout` passes.
    """
    net.wait_until_up(url, process, timeout, log_path=log, interval=0.2, probe_timeout=1.0, what="the app")
    return url


def stop(process: subprocess.Popen, timeout: float = 10) -> int:
    """Stop a process started with Popen: terminate, wait, kill if needed; return its exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    return process.returncode
