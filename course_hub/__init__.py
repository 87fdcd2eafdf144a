"""The course hub: a local server that speaks the Hugging Face Hub's HTTP API over local git repositories.

Public API (what `helpers`, `tools`, tests and benchmarks use):

    from course_hub import Hub, HubDir, Settings, default_hub_dir
    from course_hub import ensure_server, local_token, running_server   # a hub on this machine (course_hub.local)
    from course_hub.local import start, wait_healthy
    from course_hub.net import DEFAULT_PORT, ServerInfo, free_port, answers, wait_until_up

It imports nothing of the course's other packages, and no torch, transformers or datasets: `course-hub build`
loads `course_content` (which does) only when it runs.
"""

__version__ = "0.1.0"

from .hubdir import HubDir
from .local import ensure_server, local_token, running_server
from .settings import Settings, default_hub_dir


def __getattr__(name: str):
    if name == "Hub":  # the server's model: starlette-free, but it opens the database; imported on first use
        from .hub import Hub

        return Hub
    raise AttributeError(name)


__all__ = [
    "Hub",
    "HubDir",
    "Settings",
    "default_hub_dir",
    "ensure_server",
    "local_token",
    "running_server",
    "__version__",
]
