"""The course hub inside JupyterLab: a "Course Hub" launcher tile and `{base_url}course-hub/` through the Jupyter
server (jupyter-server-proxy), for Binder, JupyterHub and any server whose browser is not on the kernel's machine.

Registered in pyproject.toml as the `jupyter_serverproxy_servers` entry point `course-hub`. When the Jupyter server
starts, `course_hub()` makes sure this checkout's course hub runs (the same server the notebooks connect to, started
in the background if needed) and tells the proxy its port. The proxy strips the prefix and sends it as
`X-Forwarded-Prefix`, so the hub's pages link under it.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from course_hub.net import DEFAULT_PORT

from .kernels import (
    HUB_PROXY_NAME,
    proxy_prefix,  # noqa: F401  (gradio_tools.browser_root and the notebooks' code use it from here)
)

NAME = HUB_PROXY_NAME  # the proxy's path: {base_url}course-hub/
ICON = Path(__file__).with_name("course-hub.svg")


def course_hub() -> dict:
    """jupyter-server-proxy's spec: proxy `{base_url}course-hub/` to the running course hub (port mode)."""
    from course_hub import HubDir
    from course_hub.settings import default_hub_dir

    from .bootstrap import ensure_server  # the plugin sits above the bootstrap; nothing below imports it

    hub_dir = default_hub_dir()
    port = DEFAULT_PORT
    classroom = os.environ.get("COURSE_HUB_URL")
    if classroom:  # a classroom hub (JupyterHub's spawn hook sets it): the tile shows it; no hub of our own
        parts = urlsplit(classroom)
        port = parts.port if parts.hostname in ("127.0.0.1", "localhost") and parts.port else port
    elif HubDir(hub_dir).exists():  # not built yet: the tile answers 502 until `make hub` and a notebook start it
        port = urlsplit(ensure_server(hub_dir)).port
    return {
        "command": [],  # the hub is not the proxy's child: notebooks use the same server and it outlives JupyterLab
        "port": port,
        "timeout": 30,
        "absolute_url": False,
        "new_browser_tab": True,
        "launcher_entry": {"title": "Course Hub", "icon_path": str(ICON), "category": "Other"},
    }
