"""One course hub server for the whole test session, reached by the real Hugging Face clients over HTTP.

Everything here that touches the environment runs at import time, before any test module imports
huggingface_hub / datasets / transformers: those libraries read `HF_ENDPOINT` (and `HF_HOME`) into module
constants when they are imported.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from helpers.gradio_tools import stop  # noqa: E402  (no Hugging Face import behind these)
from helpers.hub.build import is_built  # noqa: E402
from helpers.hub.paths import default_hub_dir  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the environment, fixed before any Hugging Face library is imported ------------------------------------
SOURCE_HUB = default_hub_dir()  # the built course hub (honours $COURSE_HUB_DIR), read before we change it
SESSION_TMP = Path(tempfile.mkdtemp(prefix="course-hub-tests-"))
HUB_DIR = SESSION_TMP / "hub"
PORT = _free_port()
URL = f"http://127.0.0.1:{PORT}"

for _name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE",
              "HF_HUB_CACHE", "HF_DATASETS_CACHE", "HF_XET_CACHE", "HF_TOKEN_PATH", "COURSE_HUB_URL", "COURSE_HUB"):
    os.environ.pop(_name, None)
os.environ.update({
    "HF_ENDPOINT": URL,
    "HF_HUB_DISABLE_XET": "1",
    "HF_HOME": str(SESSION_TMP / "hf-home"),
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "TOKENIZERS_PARALLELISM": "false",
    # anything that asks for "the" hub dir gets the session's copy, never the real data/hub
    "COURSE_HUB_DIR": str(HUB_DIR),
    # git: no user config, no credential helpers, never prompt
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GCM_INTERACTIVE": "never",
})
os.environ.pop("COURSE_HUB_PAGE_SIZE", None)

# files of a built hub that must not be shared with the original: the database (copied), runtime files and logs
# (skipped)
_SKIP = {"server.json", "server.tmp", "tmp", ".build"}
_COPY = {"tokens"}


def file_state(root: Path) -> dict:
    """(inode, size, mtime) of every file under `root` (what writes to a copy must not change in the original)."""
    out = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            p = Path(dirpath) / name
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            out[str(p.relative_to(root))] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return out


def _link_or_copy(src, dst) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system (a tmpfs /tmp): a real copy
        shutil.copy2(src, dst)


def copy_hub(src: Path, dst: Path) -> None:
    """A private copy of a built hub: hard links for git objects and LFS files (never rewritten in place:
    git and the hub write new files and rename), real copies of the database and tokens."""
    dst.mkdir(parents=True)
    for item in src.iterdir():
        if item.name in _SKIP or item.name.startswith("hub.sqlite3") or item.name.endswith(".log"):
            continue
        target = dst / item.name
        if item.name in _COPY:
            shutil.copytree(item, target) if item.is_dir() else shutil.copy2(item, target)
        elif item.is_dir():
            shutil.copytree(item, target, copy_function=_link_or_copy)
        else:
            _link_or_copy(item, target)
    if (src / "hub.sqlite3").exists():
        with sqlite3.connect(src / "hub.sqlite3") as a, sqlite3.connect(dst / "hub.sqlite3") as b:
            a.backup(b)  # consistent even with a WAL file next to it
        a.close()
        b.close()


def start_server(hub_dir: Path, port: int, log_path: Path, env: dict | None = None,
                 timeout: float = 30, args: tuple[str, ...] = ()) -> tuple[subprocess.Popen, float]:
    """Run `python -m helpers.hub.cli serve [args]` and wait for /api/health; return the process and its start
    time."""
    log = open(log_path, "ab")
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "helpers.hub.cli", "serve", "--hub-dir", str(hub_dir),
                             "--port", str(port), *args], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})})
    log.close()
    deadline = started + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the course hub exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1) as r:
                if json.load(r).get("service") == "course-hub":
                    return proc, time.monotonic() - started
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"the course hub did not answer in {timeout}s:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.05)


def stop_server(proc: subprocess.Popen) -> None:
    stop(proc)


@dataclass
class HubServer:
    """The running test hub: its URL, its directory, and tokens of its users."""

    url: str
    dir: Path
    port: int
    proc: subprocess.Popen
    log: Path
    built: bool
    startup_s: float
    source: Path | None = None  # the built hub this one is a copy of
    _tokens: dict = field(default_factory=dict)

    def store(self):
        from helpers.hub.store import Store

        return Store(self.dir / "hub.sqlite3")

    def token(self, user: str = "alice", role: str = "write") -> str:
        """A token of `user` with `role` ("read" | "write"), made once with the hub's own store."""
        key = (user, role)
        if key not in self._tokens:
            self._tokens[key] = self.store().create_token(user, role=role, name=f"tests-{user}-{role}")
        return self._tokens[key]

    def git_path(self, repo_type: str, repo_id: str) -> Path:
        return self.dir / "repos" / f"{repo_type}s" / f"{repo_id}.git"

    def log_tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:]


@pytest.fixture(scope="session")
def hub():
    built = is_built(SOURCE_HUB) and SOURCE_HUB.resolve() != HUB_DIR.resolve()
    if built:
        copy_hub(SOURCE_HUB, HUB_DIR)
    else:
        HUB_DIR.mkdir(parents=True, exist_ok=True)
    from helpers.hub.store import Store

    store = Store(HUB_DIR / "hub.sqlite3")
    server = None
    proc, startup = start_server(HUB_DIR, PORT, SESSION_TMP / "server.log")
    try:
        server = HubServer(URL, HUB_DIR, PORT, proc, SESSION_TMP / "server.log", built, startup,
                           SOURCE_HUB if built else None)
        for user in ("alice", "bob"):
            server.token(user, "write")
        server.token("reader", "read")
        store.add_member("acme", "alice", "admin")
        store.add_member("acme", "bob", "read")
        yield server
    finally:
        stop_server(proc)


def pytest_unconfigure(config):
    """The session's temp dir goes at the end (COURSE_HUB_TESTS_KEEP=1 keeps it, with the server's log)."""
    if os.environ.get("COURSE_HUB_TESTS_KEEP") == "1":
        print(f"\ncourse hub test files kept in {SESSION_TMP}")
    else:
        shutil.rmtree(SESSION_TMP, ignore_errors=True)


def pytest_configure(config):
    # huggingface_hub's LFS upload passes bytes as `data=`: httpx2's deprecation notice, not ours
    config.addinivalue_line("filterwarnings", "ignore:Use 'content=<...>' to upload raw bytes:DeprecationWarning")


def pytest_collection_modifyitems(config, items):
    """Content tests need the built course hub; without it they skip."""
    if is_built(SOURCE_HUB):
        return
    skip = pytest.mark.skip(reason=f"the course hub is not built in {SOURCE_HUB} (run `course-hub build`)")
    for item in items:
        if "content" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test that used the hub gets the server's log (its warnings and tracebacks) in the report."""
    report = yield
    if report.failed and "hub" in getattr(item, "fixturenames", ()):
        log = SESSION_TMP / "server.log"
        text = log.read_text(errors="replace")[-4000:] if log.exists() else ""
        if text.strip():
            report.sections.append(("course hub server log (tail)", text))
    return report


@pytest.fixture(scope="session")
def api(hub):
    """HfApi as alice (write token)."""
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=hub.token("alice", "write"))


@pytest.fixture(scope="session")
def bob_api(hub):
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=hub.token("bob", "write"))


@pytest.fixture(scope="session")
def anon_api(hub):
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=False)


@pytest.fixture
def new_repo_id(request):
    """A factory of fresh repo ids, unique per call: `new_repo_id()` -> 'alice/<test>-<hex>'."""
    stem = "".join(c if c.isalnum() else "-" for c in request.node.name.lower())
    stem = "-".join(p for p in stem.split("-") if p)[:40].strip("-") or "repo"

    def make(namespace: str = "alice", prefix: str | None = None) -> str:
        return f"{namespace}/{prefix or stem}-{uuid.uuid4().hex[:8]}"

    return make
