"""The notebook bootstrap: point this kernel at the course hub (or huggingface.co) before any HF import.

    import helpers
    course = helpers.connect()

Order of choice: `COURSE_HUB=online` -> huggingface.co; `HF_ENDPOINT` if already set; `COURSE_HUB_URL` (an
instructor's classroom hub); else a course hub already running for this checkout, or one started in the background.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import strict_warnings
from .hub.paths import default_hub_dir, project_root

ONLINE = "https://huggingface.co"
HF_MODULES = ("huggingface_hub", "transformers", "datasets", "sentence_transformers", "gradio", "langchain_huggingface")
FIRST_PORT = 8765


@dataclass
class Course:
    """Where this kernel is connected, and the tokens it may use (never printed)."""

    endpoint: str
    mode: str  # "local" | "classroom" | "online" | "custom"
    hub_dir: Path | None
    hf_home: Path

    @property
    def is_local(self) -> bool:
        return self.mode == "local"

    def token(self, user: str = "learner", role: str = "read") -> str | None:
        """A token for `user` on the local course hub (created once, kept in the hub dir), or `HF_TOKEN`."""
        if not self.is_local:
            return os.environ.get("HF_TOKEN")
        return local_token(self.hub_dir, user, role)

    def __repr__(self) -> str:
        return f"Course(endpoint={self.endpoint!r}, mode={self.mode!r})"


def local_token(hub_dir: Path, user: str, role: str = "read") -> str:
    """The saved token of a course-hub user, made with the hub's own token store on first use."""
    from .hub.store import Store

    path = Path(hub_dir) / "tokens" / f"{user}-{role}"
    if path.is_file():
        token = path.read_text().strip()
        if Store(Path(hub_dir) / "hub.sqlite3").identify(token):
            return token
    path.parent.mkdir(parents=True, exist_ok=True)
    token = Store(Path(hub_dir) / "hub.sqlite3").create_token(user, role=role, name=f"course-{role}")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(token)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return token


def course_home(name: str) -> Path:
    root = project_root()
    base = root / "data" if root else Path.home() / ".cache" / "hf-hands-on"
    return base / name


def connect(hub: str | None = None, quiet: bool = False) -> Course:
    """Set `HF_ENDPOINT`, `HF_HUB_DISABLE_XET` and a course `HF_HOME`, then print versions and the connection.

    `hub` ("local" or "online") overrides the `COURSE_HUB` environment variable.
    """
    strict_warnings.install_if_requested()  # COURSE_STRICT_WARNINGS=1: a Hugging Face deprecation fails the cell
    if hub:
        os.environ["COURSE_HUB"] = hub
    endpoint, mode, hub_dir = _choose_endpoint()
    imported = [m for m in HF_MODULES if m in sys.modules]
    if imported:
        current = sys.modules["huggingface_hub"].constants.ENDPOINT if "huggingface_hub" in imported else None
        if current != endpoint.rstrip("/"):
            raise RuntimeError(
                f"{', '.join(imported)} was imported before helpers.connect(), so it still talks to {current}. "
                "Restart the kernel (Kernel > Restart) and run the setup cell first.")
    os.environ["HF_ENDPOINT"] = endpoint
    os.environ["HF_HUB_DISABLE_XET"] = "1"
    hf_home = Path(os.environ.get("COURSE_HF_HOME") or course_home("hf-home" if mode != "online" else "hf-home-online"))
    os.environ["HF_HOME"] = str(hf_home)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    if os.environ.get("COURSE_CI") or os.environ.get("CI"):
        os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
        os.environ["HF_DATASETS_DISABLE_PROGRESS_BARS"] = "1"
        os.environ["TQDM_DISABLE"] = "1"
    course = Course(endpoint=endpoint, mode=mode, hub_dir=hub_dir, hf_home=hf_home)
    ignored = mode == "local" and os.environ.pop("HF_TOKEN", None) is not None
    if not quiet:
        _report(course)
        if ignored:
            print("Note: HF_TOKEN is a huggingface.co token; it is not sent to the course hub.")
    return course


def _choose_endpoint() -> tuple[str, str, Path | None]:
    choice = os.environ.get("COURSE_HUB", "local").lower()
    if choice == "online":
        return ONLINE, "online", None
    if os.environ.get("HF_ENDPOINT") and os.environ["HF_ENDPOINT"].rstrip("/") != ONLINE:
        endpoint = os.environ["HF_ENDPOINT"].rstrip("/")
        hub_dir = default_hub_dir()
        from .hub.server import running_server

        server = running_server(hub_dir) if hub_dir.exists() else None
        return endpoint, ("local" if server and server["url"] == endpoint else "custom"), \
            (hub_dir if server else None)
    if os.environ.get("COURSE_HUB_URL"):
        return os.environ["COURSE_HUB_URL"].rstrip("/"), "classroom", None
    if choice != "local":
        raise ValueError(f"COURSE_HUB must be 'local' or 'online', not {choice!r}")
    hub_dir = default_hub_dir()
    return ensure_server(hub_dir), "local", hub_dir


def ensure_server(hub_dir: Path, timeout: float = 30) -> str:
    """The URL of this hub dir's running server; starts one in the background if there is none."""
    from .hub.server import answers, running_server

    if not (hub_dir / "hub.sqlite3").exists():
        raise RuntimeError(f"The course hub has not been built yet ({hub_dir}). In a terminal, run `make lab` "
                           "(or `course-hub build`), or set COURSE_HUB=online to use huggingface.co.")
    server = running_server(hub_dir)
    if server:
        return server["url"]
    port = _free_port_from(FIRST_PORT)
    log = open(hub_dir / "server.log", "ab")
    subprocess.Popen([sys.executable, "-m", "helpers.hub.cli", "serve", "--hub-dir", str(hub_dir), "--port", str(port)],
                     stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                     cwd=str(hub_dir))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(url, timeout=1):
            return url
        time.sleep(0.1)
    raise RuntimeError(f"The course hub did not start within {timeout:.0f}s; see {hub_dir / 'server.log'}")


def _free_port_from(port: int) -> int:
    import socket

    for p in range(port, port + 50):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p))
                return p
            except OSError:
                continue
    raise RuntimeError(f"no free port in {port}..{port + 49}")


def _report(course: Course) -> None:
    import platform
    from importlib.metadata import PackageNotFoundError, version

    names = ["huggingface_hub", "transformers", "datasets", "torch"]
    parts = []
    for n in names:
        try:
            parts.append(f"{n} {version(n)}")
        except PackageNotFoundError:
            parts.append(f"{n} (not installed)")
    print(f"Python {platform.python_version()} | " + " | ".join(parts))
    where = {"local": "the course hub", "classroom": "the classroom hub", "online": "huggingface.co",
             "custom": "the hub in HF_ENDPOINT"}[course.mode]
    print(f"Connected to {where} at {course.endpoint}")
