"""The notebook bootstrap: point this kernel at the course hub (or huggingface.co) before any HF import.

    import helpers
    course = helpers.connect()

Order of choice: `COURSE_HUB=online` -> huggingface.co (or `COURSE_ONLINE_ENDPOINT`, a Hub that stands in for it:
the course's tests publish the course into a second course hub and run every notebook there); `HF_ENDPOINT` if already set; `COURSE_HUB_URL` (an
instructor's classroom hub); else a course hub already running for this checkout, or one started in the background.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import course_hub
from course_hub import HubDir, local_token, running_server
from course_hub.net import DEFAULT_PORT
from course_hub.settings import default_hub_dir, project_root

from . import colab, kernels, strict_warnings

ONLINE = "https://huggingface.co"
ONLINE_ENDPOINT_VAR = "COURSE_ONLINE_ENDPOINT"  # online mode against another Hub with huggingface.co's repos
HF_MODULES = ("huggingface_hub", "transformers", "datasets", "sentence_transformers", "gradio", "langchain_huggingface")
FIRST_PORT = DEFAULT_PORT  # the first port a local hub tries (then the next free one)


@dataclass
class Course:
    """Where this kernel is connected, and the tokens it may use (never printed)."""

    endpoint: str
    mode: str  # "local" | "classroom" | "online" | "custom"
    hub_dir: Path | None
    hf_home: Path
    user: str = "learner"  # you: "learner" on your own hub, your roster name on a classroom hub, your Hub user online
    classroom_token: str | None = field(default=None, repr=False)
    online_token: str | None = field(default=None, repr=False)  # HF_TOKEN as connect() found it (online, custom)
    _tokens: dict = field(default_factory=dict, repr=False)

    @property
    def is_local(self) -> bool:
        return self.mode == "local"

    def token(self, user: str = "learner", role: str = "read") -> str | None:
        """A token of `user` ("learner" is you) with `role`: made by the local course hub (kept in its dir), asked of
        the classroom hub, or `HF_TOKEN` on any other hub."""
        if self.is_local:
            return local_token(self.hub_dir, user, role)
        if self.mode != "classroom":  # online: only your own token exists (no instructor's, no alice's)
            return (self.online_token or os.environ.get("HF_TOKEN")) if user == "learner" else None
        user = self.user if user == "learner" else user
        if user == self.user and role == "write":
            return self.classroom_token
        if (user, role) not in self._tokens:
            self._tokens[(user, role)] = classroom_token(self.endpoint, self.classroom_token, user, role)
        return self._tokens[(user, role)]

    def web_url(self, path: str = "") -> str:
        """The address of a course-hub page for your browser: through the Jupyter server on JupyterHub and Binder
        (`{base_url}course-hub/…`, see helpers/jupyter_proxy.py), else the hub's own address."""
        from urllib.parse import urlsplit

        from .kernels import HUB_PROXY_NAME, proxy_prefix

        # a hub on the kernel's machine (yours, or JupyterHub's course-hub service): the tile's proxy reaches it
        on_this_machine = self.is_local or urlsplit(self.endpoint).hostname in ("127.0.0.1", "localhost")
        prefix = proxy_prefix() if on_this_machine else None
        base = f"{prefix}{HUB_PROXY_NAME}" if prefix else self.endpoint
        return f"{base}/{path.lstrip('/')}"

    def __repr__(self) -> str:
        return f"Course(endpoint={self.endpoint!r}, mode={self.mode!r})"


def classroom_token(endpoint: str, token: str, user: str, role: str) -> str:
    """Ask the classroom hub for a token (see `course_hub.api_course`)."""
    import json
    import urllib.error
    import urllib.request

    req = urllib.request.Request(
        f"{endpoint}/api/course/token",
        data=json.dumps({"user": user, "role": role}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)["token"]
    except urllib.error.HTTPError as e:
        raise RuntimeError(
            f"The classroom hub refused a {role} token of {user!r}: {e.headers.get('X-Error-Message') or e.reason}"
        ) from None


def split_classroom_url(url: str) -> tuple[str, str | None, str | None]:
    """`http://USER:TOKEN@host:port` (a token sheet line) -> (`http://host:port`, USER, TOKEN)."""
    from urllib.parse import unquote, urlsplit, urlunsplit

    parts = urlsplit(url.strip())
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "") if parts.hostname else parts.netloc
    endpoint = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
    user = unquote(parts.username) if parts.username else None
    token = unquote(parts.password) if parts.password else None
    return endpoint, user, token


def course_home(name: str) -> Path:
    root = project_root()
    base = root / "data" if root else Path.home() / ".cache" / "hf-hands-on"
    return base / name


def connect(hub: str | None = None, quiet: bool = False) -> Course:
    """Set `HF_ENDPOINT` and a course `HF_HOME`, then print versions and the connection. Downloads and uploads go
    through Xet, as from huggingface.co (`HF_HUB_DISABLE_XET=1` in the learner's own environment: the Git LFS path).

    `hub` ("local" or "online") overrides the `COURSE_HUB` environment variable. On Colab it first installs the
    course into the runtime (once) and works from its notebooks folder (`helpers.colab.prepare`).
    """
    if colab.on_colab():
        colab.prepare()
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
                "Restart the kernel (Kernel > Restart) and run the setup cell first."
            )
    os.environ["HF_ENDPOINT"] = endpoint
    os.environ.setdefault("HF_HUB_DISABLE_UPDATE_CHECK", "1")  # `!hf …` cells: no "new version" hints in outputs
    bin_dir = str(Path(sys.executable).parent)  # `!hf …` runs this kernel's CLI (a kernel's PATH may lack its bin/)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    home_name = {"online": "hf-home-online", "classroom": "hf-home-classroom"}.get(mode, "hf-home")
    hf_home = Path(os.environ.get("COURSE_HF_HOME") or course_home(home_name))
    os.environ["HF_HOME"] = str(hf_home)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    if os.environ.get("COURSE_CI") or os.environ.get("CI"):
        os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
        os.environ["HF_DATASETS_DISABLE_PROGRESS_BARS"] = "1"
        os.environ["TQDM_DISABLE"] = "1"
        os.environ["NO_COLOR"] = "1"  # `!hf …` cells: no raw ANSI colour codes in the saved outputs
        # Trainer(push_to_hub=True) turns huggingface_hub's bars back on after train(); the variable above wins
        # and huggingface_hub says so in a warning (CI only, with a machine path in it): not the lesson's
        import warnings

        warnings.filterwarnings("ignore", message="Cannot enable progress bars", category=UserWarning)
    course = Course(endpoint=endpoint, mode=mode, hub_dir=hub_dir, hf_home=hf_home)
    if mode == "classroom":
        _, user, token = split_classroom_url(os.environ["COURSE_HUB_URL"])
        if not (user and token):
            raise ValueError(
                "COURSE_HUB_URL needs your name and token: copy your line of the token sheet, "
                "http://NAME:TOKEN@HOST:PORT"
            )
        course.user, course.classroom_token = user, token
        _save_login(hf_home, token)
        _git_sends_token(endpoint, token)
    if mode in ("online", "custom"):
        _online_user(course)
    ignored = mode == "local" and os.environ.pop("HF_TOKEN", None) is not None
    freed = kernels.free_idle_course_kernels()  # a small machine (Binder: 2 GB): the other notebooks' idle kernels
    if freed and mode == "local":  # ... and what the hub ran for them (idle Spaces, the inference worker)
        kernels.release_hub_memory(hub_dir)
    if not quiet:
        _report(course)
        if freed:
            print(kernels.report(freed))
        if ignored:
            print("Note: HF_TOKEN is a huggingface.co token; it is not sent to the course hub.")
    return course


def _choose_endpoint() -> tuple[str, str, Path | None]:
    choice = os.environ.get("COURSE_HUB", "local").lower()
    if choice == "online":
        return (os.environ.get(ONLINE_ENDPOINT_VAR) or ONLINE).rstrip("/"), "online", None
    if os.environ.get("HF_ENDPOINT") and os.environ["HF_ENDPOINT"].rstrip("/") != ONLINE:
        endpoint = os.environ["HF_ENDPOINT"].rstrip("/")
        hub_dir = default_hub_dir()
        server = running_server(hub_dir) if hub_dir.exists() else None
        return endpoint, ("local" if server and server.url == endpoint else "custom"), (hub_dir if server else None)
    if os.environ.get("COURSE_HUB_URL"):
        return split_classroom_url(os.environ["COURSE_HUB_URL"])[0], "classroom", None
    if choice != "local":
        raise ValueError(f"COURSE_HUB must be 'local' or 'online', not {choice!r}")
    hub_dir = default_hub_dir()
    return ensure_server(hub_dir), "local", hub_dir


def _online_user(course: Course) -> None:
    """Online: your token is `HF_TOKEN` (kept: notebook 04 logs out and unsets it), your name the Hub's answer to
    it, so that `f"{course.user}/..."` is a repo id in your own namespace."""
    course.online_token = os.environ.get("HF_TOKEN")
    if not course.online_token:
        return
    from huggingface_hub import HfApi

    try:
        course.user = HfApi(endpoint=course.endpoint, token=course.online_token).whoami()["name"]
    except Exception as e:  # noqa: BLE001  (a bad token must not stop the setup cell; the lesson shows the error)
        print(f"Note: {course.endpoint} did not accept HF_TOKEN ({type(e).__name__}); you are not signed in.")


def ensure_server(hub_dir: Path, timeout: float = 30) -> str:
    """The URL of this hub dir's running server; starts one in the background if there is none
    (`course_hub.ensure_server`: it outlives this kernel). `COURSE_AUTO_BUILD=1` builds the hub first."""
    if os.environ.get("COURSE_AUTO_BUILD") == "1":
        build_if_needed(hub_dir)
    # a small machine (Binder's 2 GB): the hub runs lean (one Space at a time, never beside the inference worker)
    return course_hub.ensure_server(hub_dir, timeout, lean=kernels.small_machine(), first_port=FIRST_PORT)


def build_if_needed(hub_dir: Path) -> None:
    """Build the course hub into `hub_dir` unless it is built (Colab, Binder: the first run of a fresh machine)."""
    if HubDir(hub_dir).is_built():
        return
    print("Building the course hub on this machine (first run only, about 3 minutes)...", flush=True)
    subprocess.run(
        [sys.executable, "-m", "course_hub", "build", "--hub-dir", str(hub_dir)], check=True, stdin=subprocess.DEVNULL
    )


def _save_login(hf_home: Path, token: str) -> None:
    """Log in to the classroom hub the way `huggingface_hub.login()` does: the token file in HF_HOME."""
    path = hf_home / "token"
    if path.is_file() and path.read_text().strip() == token:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(token)


def _git_sends_token(endpoint: str, token: str) -> None:
    """`git clone` of the classroom hub's repos sends the learner's token (git config from the environment, so
    nothing is written to disk and the URL in the notebook stays the Hub's)."""
    n = int(os.environ.get("GIT_CONFIG_COUNT", "0"))
    key = f"http.{endpoint}/.extraHeader"
    if any(os.environ.get(f"GIT_CONFIG_KEY_{i}") == key for i in range(n)):
        return
    os.environ.update(
        {
            "GIT_CONFIG_COUNT": str(n + 1),
            f"GIT_CONFIG_KEY_{n}": key,
            f"GIT_CONFIG_VALUE_{n}": f"Authorization: Bearer {token}",
        }
    )


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
    if course.mode == "classroom" or (course.mode in ("online", "custom") and course.online_token):
        print(f"Signed in as {course.user}" + ("" if course.mode == "classroom" else " (HF_TOKEN)"))
    where = {
        "local": "the course hub",
        "classroom": "the classroom hub",
        "online": "huggingface.co" if course.endpoint == ONLINE else "a stand-in for huggingface.co",
        "custom": "the hub in HF_ENDPOINT",
    }[course.mode]
    print(f"Connected to {where} at {course.endpoint}")
