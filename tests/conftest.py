"""One course hub server for the whole test session, reached by the real Hugging Face clients over HTTP.

Everything here that touches the environment runs at import time, before any test module imports
huggingface_hub / datasets / transformers: those libraries read `HF_ENDPOINT` (and `HF_HOME`) into module
constants when they are imported.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from course_content.build import is_built  # noqa: E402
from course_hub import HubDir, local, net  # noqa: E402
from course_hub.settings import default_hub_dir  # noqa: E402
from helpers.gradio_tools import stop  # noqa: E402  (no Hugging Face import behind these)

# --- the environment, fixed before any Hugging Face library is imported ------------------------------------
SOURCE_HUB = default_hub_dir()  # the built course hub (honours $COURSE_HUB_DIR), read before we change it
SESSION_TMP = Path(tempfile.mkdtemp(prefix="course-hub-tests-"))
HUB_DIR = SESSION_TMP / "hub"
PORT = net.free_port()
URL = f"http://127.0.0.1:{PORT}"

for _name in (
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "HF_HUB_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_HUB_CACHE",
    "HF_DATASETS_CACHE",
    "HF_XET_CACHE",
    "HF_TOKEN_PATH",
    "COURSE_HUB_URL",
    "COURSE_HUB",
):
    os.environ.pop(_name, None)
os.environ.update(
    {
        "HF_ENDPOINT": URL,
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
        # an empty file of the session, not /dev/null: a `git lfs install` in a notebook under test writes the global
        # config, and a newer git (Debian 13's) replaces the file it writes to — /dev/null itself, once
        "GIT_CONFIG_GLOBAL": str(SESSION_TMP / "gitconfig"),
        "GCM_INTERACTIVE": "never",
    }
)
(SESSION_TMP / "gitconfig").touch()
os.environ.pop("COURSE_HUB_PAGE_SIZE", None)


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


def copy_hub(src: Path, dst: Path) -> None:
    """A private copy of a built hub (writes to it never reach the original)."""
    HubDir(src).copy_to(dst)


def start_server(
    hub_dir: Path, port: int, log_path: Path, env: dict | None = None, timeout: float = 30, args: tuple[str, ...] = ()
) -> tuple[subprocess.Popen, float]:
    """Run `python -m course_hub serve [args]` and wait for /api/health; return the process and its start
    time."""
    proc = local.start(hub_dir, port, log_path, args, env=env, cwd=ROOT)
    try:
        return proc, local.wait_healthy(f"http://127.0.0.1:{port}", proc, timeout, log_path)
    except RuntimeError:
        stop(proc)
        raise


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
        from course_hub.store import Store

        return Store(HubDir(self.dir).store_db)

    def token(self, user: str = "alice", role: str = "write") -> str:
        """A token of `user` with `role` ("read" | "write"), made once with the hub's own store."""
        key = (user, role)
        if key not in self._tokens:
            self._tokens[key] = self.store().create_token(user, role=role, name=f"tests-{user}-{role}")
        return self._tokens[key]

    def git_path(self, repo_type: str, repo_id: str) -> Path:
        return HubDir(self.dir).repo_path(repo_type, repo_id)

    def log_tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:]


@pytest.fixture(scope="session")
def hub():
    built = is_built(SOURCE_HUB) and SOURCE_HUB.resolve() != HUB_DIR.resolve()
    if built:
        copy_hub(SOURCE_HUB, HUB_DIR)
    else:
        HUB_DIR.mkdir(parents=True, exist_ok=True)
    from course_hub.store import Store

    store = Store(HubDir(HUB_DIR).store_db)
    proc, startup = start_server(HUB_DIR, PORT, SESSION_TMP / "server.log")
    try:
        running = HubServer(
            URL, HUB_DIR, PORT, proc, SESSION_TMP / "server.log", built, startup, SOURCE_HUB if built else None
        )
        for user in ("alice", "bob"):
            running.token(user, "write")
        running.token("reader", "read")
        store.add_member("acme", "alice", "admin")
        store.add_member("acme", "bob", "read")
        yield running
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


# Tiers (pyproject.toml's markers; `make check` runs `-m "not slow and not serial"`). Most modules mark their own
# tests; these are given here, for folders and modules that other parts of the project edit (tests/jupyterhub, the
# notebooks' checks, the kernels' tests). A name here that no longer exists fails the collection.
PATH_MARKERS = {"tests/jupyterhub": ("slow", "serial", "notebooks")}  # ten learners' kernels on one machine
TEST_MARKERS = {
    # SmolLM2 generating token by token: about two minutes between them on two cores
    "tests/test_checks_nb03.py::test_greedy_right_answer_passes_and_equals_generate": ("slow",),
    "tests/test_checks_nb03.py::test_greedy_typical_mistakes_get_their_hint": ("slow",),
    "tests/test_checks_nb02.py::test_similar_right_answer_passes_and_others_fail": ("slow",),
    "tests/test_checks_nb02.py::test_scores_typical_mistakes_get_their_hint": ("slow",),
    # the course's models and its Space end to end
    "tests/test_course_content.py::test_space_clones_and_answers_through_gradio_client": ("slow",),
    "tests/test_course_content.py::test_chat_model_answers_a_factual_question": ("slow",),
    "tests/test_course_content.py::test_image_task_end_to_end": ("slow",),
    # a Jupyter server and real kernels; what is freed depends on the machine's memory
    "tests/test_kernels.py::test_setup_frees_the_other_idle_course_kernels_only": ("slow", "serial"),
    "tests/test_kernels.py::test_nothing_is_freed_when_the_learner_says_so_or_the_machine_is_big": ("slow", "serial"),
    # real kernels (papermill, nbclient) and a pytest of its own
    "tests/test_strict_warnings.py::test_strict_run_fails_on_a_transformers_deprecation": ("slow",),
    "tests/test_strict_warnings.py::test_without_strict_the_same_notebook_only_warns": ("slow",),
    "tests/test_strict_warnings.py::test_strict_catches_warnings_attributed_to_the_cell_and_spares_others": ("slow",),
    "tests/test_strict_warnings.py::test_pytest_config_fails_a_test_on_a_transformers_deprecation": ("slow",),
}


def _tiers(config, items) -> None:
    """Add PATH_MARKERS and TEST_MARKERS to the collected items; a TEST_MARKERS name whose module was collected
    whole but which is not there (renamed, removed) is an error, so that a slow test never slips into `make check`
    unmarked."""
    seen, modules = set(), set()
    for item in items:
        rel = Path(item.path).resolve().relative_to(ROOT).as_posix() if ROOT in Path(item.path).parents else ""
        node = f"{rel}::{item.originalname}" if rel else ""
        modules.add(rel)
        marks = [m for folder, ms in PATH_MARKERS.items() if rel.startswith(folder + "/") for m in ms]
        if node in TEST_MARKERS:
            seen.add(node)
            marks += TEST_MARKERS[node]
        for mark in marks:
            item.add_marker(mark)
    if any("::" in arg for arg in config.args) or config.option.keyword:
        return  # a selection of tests by name: the rest was never collected
    gone = [n for n in TEST_MARKERS if n.split("::")[0] in modules and n not in seen]
    if gone:
        raise pytest.UsageError(f"tests/conftest.py TEST_MARKERS names tests that do not exist: {gone}")


def pytest_collection_modifyitems(config, items):
    """Tiers (see TEST_MARKERS); content tests need the built course hub, without it they skip."""
    _tiers(config, items)
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


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium for the browser tests (Playwright never downloads a browser)."""
    path = shutil.which("chromium")
    if not path:
        pytest.fail("Debian's `chromium` is not installed (apt-get install chromium; .ci/run does it)")
    return path
