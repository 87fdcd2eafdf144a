"""Spaces that run (course_hub/spaces): real hub servers, real app processes, the real gradio_client and HfApi.

Two servers for the module: one over a copy of the built hub for the demo Space (`gradio_client.Client(id)`),
one over a fresh hub with short limits (idle 6 s, 2 Spaces at a time, 200 MiB, start timeout 12 s) for small
stand-in apps: a plain `http.server` listening on GRADIO_SERVER_PORT starts in a fraction of a second, where every
gradio start costs seconds of CPU. More servers for the classroom refusal and for killing the hub three ways.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
from conftest import ROOT, SOURCE_HUB, copy_hub, start_server, stop_server
from hubtest import HTTP, bearer
from huggingface_hub import CommitOperationAdd, HfApi

from course_hub import HubDir
from course_hub.net import ServerInfo, free_port
from course_hub.spaces.sandbox import probe, probe_net

SANDBOXED = probe() is None and os.environ.get("COURSE_HUB_SPACE_SANDBOX", "auto") != "off"
OWN_NETWORK = SANDBOXED and probe_net() is None

# real Gradio apps in subprocesses: not in `make check`; start timeouts, idle timers, memory limits and hub kills
# run serial
pytestmark = pytest.mark.slow

DEMO = "hf-hands-on/sentiment-demo"

TINY = r"""
import json, os, subprocess, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "{version}"
child = subprocess.Popen(["sleep", "600"])  # a child of the app: it must not outlive the Space
{extra}

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for i in range(3):
                self.wfile.write(f"data: {{i}}\n\n".encode())
                self.wfile.flush()
                time.sleep(0.6)
            return
        self.send(200, json.dumps({{"version": VERSION, "path": self.path, "pid": os.getpid(), "child": child.pid,
                                   "env": dict(os.environ),
                                   "headers": {{k.lower(): v for k, v in self.headers.items()}}}}).encode())

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.send(200, self.rfile.read(n), "application/octet-stream")


print("tiny app", VERSION, "listening", flush=True)
ThreadingHTTPServer(("127.0.0.1", int(os.environ["GRADIO_SERVER_PORT"])), Handler).serve_forever()
"""


def tiny(version: str = "v1", extra: str = "") -> str:
    return TINY.format(version=version, extra=extra)


def card(sdk: str = "gradio", app_file: str = "app.py") -> bytes:
    return f"---\ntitle: Test Space\nsdk: {sdk}\napp_file: {app_file}\n---\n# A test Space\n".encode()


def push_space(
    api: HfApi,
    repo_id: str,
    files: dict[str, str | bytes],
    sdk: str = "gradio",
    private: bool = False,
    create: bool = True,
) -> None:
    if create:
        api.create_repo(repo_id, repo_type="space", space_sdk=sdk, private=private)
    files = {"README.md": card(sdk, "index.html" if sdk == "static" else "app.py"), **files}
    api.create_commit(
        repo_id,
        [CommitOperationAdd(p, c.encode() if isinstance(c, str) else c) for p, c in files.items()],
        commit_message="app",
        repo_type="space",
    )


def stage(api: HfApi, repo_id: str) -> str:
    """The stage as `space_info` shows it (reading it never wakes the Space)."""
    return api.space_info(repo_id).runtime.stage


def wait_for(check, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def wait_stage(api: HfApi, repo_id: str, wanted: set[str], timeout: float = 30, wake: bool = False) -> dict:
    def check():
        rt = api.get_space_runtime(repo_id) if wake else api.space_info(repo_id).runtime
        return rt.raw if rt.stage in wanted else None

    return wait_for(check, timeout, f"{repo_id} in {wanted}")


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def tree(pid: int) -> list[psutil.Process]:
    """Every process the hub started (Spaces are their own sessions, but still the hub's descendants)."""
    return psutil.Process(pid).children(recursive=True)


def app_process(srv, repo_id: str) -> psutil.Process:
    """The Space's app, as the hub's machine sees it (sandboxed, the app's own pid is its PID namespace's)."""

    def find():
        for p in tree(srv.proc.pid):
            try:
                if p.cmdline()[1:] == ["app.py"] and p.environ().get("SPACE_ID") == repo_id:  # python app.py
                    return p
            except psutil.Error:
                continue
        return None

    return wait_for(find, 10, f"the app process of {repo_id}")


def serving(srv, repo_id: str, token: str | None = None) -> dict:
    """The tiny app's answer, its `pid` and `child` made the machine's (as `alive` checks them)."""
    seen = get_app(srv, repo_id, token=token).json()
    app = app_process(srv, repo_id)
    children = [c for c in app.children() if c.name() == "sleep"]
    return {**seen, "pid": app.pid, "child": children[0].pid if children else seen["child"]}


def assert_all_gone(procs: list[psutil.Process], timeout: float = 15) -> None:
    def gone():
        return not [p for p in procs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]

    try:
        wait_for(gone, timeout, "the Spaces' processes to end")
    except AssertionError:
        left = [(p.pid, p.cmdline()) for p in procs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        for p in procs:  # leave nothing behind, then fail
            try:
                p.kill()
            except psutil.Error:
                pass
        raise AssertionError(f"processes left behind: {left}") from None


class Server:
    def __init__(self, tmp: Path, env: dict, source: Path | None = None, args: tuple[str, ...] = ()):
        self.dir = tmp / "hub"
        if source is not None:
            copy_hub(source, self.dir)
        else:
            HubDir(self.dir).ensure()
        from course_hub.store import Store

        self.store = Store(HubDir(self.dir).store_db)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "server.log"
        self.proc, _ = start_server(self.dir, self.port, self.log, env=env, args=args)
        self.tokens: dict = {}

    def token(self, user: str, role: str = "write") -> str:
        if (user, role) not in self.tokens:
            self.tokens[user, role] = self.store.create_token(user, role=role)
        return self.tokens[user, role]

    def api(self, user: str | None = "alice") -> HfApi:
        return HfApi(endpoint=self.url, token=self.token(user) if user else False)

    def app_url(self, repo_id: str) -> str:
        return f"{self.url}/spaces/{repo_id}/app/"

    def stop(self) -> list[psutil.Process]:
        procs = tree(self.proc.pid) if self.proc.poll() is None else []
        stop_server(self.proc)
        return procs


FAST_ENV = {
    "COURSE_HUB_SPACE_IDLE": "6",
    "COURSE_HUB_MAX_SPACES": "2",
    "COURSE_HUB_SPACE_MEMORY_MB": "200",
    "COURSE_HUB_SPACE_DISK_MB": "32",
    "COURSE_HUB_SPACE_START_TIMEOUT": "12",
    "COURSE_HUB_SPACE_WARM": "0",  # tiny apps: a warm slot (gradio, torch) would not fit in 200 MiB
}


@pytest.fixture(scope="module")
def fast(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("spaces-fast"), FAST_ENV)
    try:
        yield srv
    finally:
        assert_all_gone(srv.stop())


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    if not HubDir(SOURCE_HUB).is_built():  # any build has the demo Space and its model
        pytest.skip(f"the course hub is not built in {SOURCE_HUB}")
    srv = Server(tmp_path_factory.mktemp("spaces-demo"), {}, source=SOURCE_HUB)
    try:
        yield srv
    finally:
        assert_all_gone(srv.stop())


def new_id(owner: str = "alice") -> str:
    return f"{owner}/space-{uuid.uuid4().hex[:8]}"


def client_run(srv: Server, code: str, token: str | None = None, timeout: float = 300) -> dict:
    """Run `code` with the real gradio_client in a Python whose HF_ENDPOINT is `srv` (huggingface_hub reads it at
    import: gradio_client's `Client("owner/space")` has no endpoint argument). `code` sets `out` (JSON)."""
    script = (
        "import json, os\nfrom gradio_client import Client\nTOKEN = os.environ.get('TEST_TOKEN') or None\n"
        "out = {}\ntry:\n"
        + "".join(f"    {line}\n" for line in code.strip().splitlines())
        + "except Exception as e:\n    out['error'] = f'{type(e).__name__}: {e}'\nprint('OUT=' + json.dumps(out))\n"
    )
    env = {
        **os.environ,
        "HF_ENDPOINT": srv.url,
        "HF_HOME": str(srv.dir.parent / "client-hf-home"),
        "TEST_TOKEN": token or "",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("OUT=")]
    assert lines, proc.stdout + proc.stderr
    return json.loads(lines[-1][4:])


SPACE_ENV = {
    "PATH",
    "HOME",
    "TMPDIR",
    "LANG",
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
    "GRADIO_SERVER_NAME",
    "GRADIO_SERVER_PORT",
    "GRADIO_ROOT_PATH",
    "GRADIO_ANALYTICS_ENABLED",
    "GRADIO_SSR_MODE",
    "GRADIO_TEMP_DIR",
    "SPACE_ID",
    "SPACE_AUTHOR_NAME",
    "SPACE_REPO_NAME",
    "SPACE_TITLE",
    "SPACE_HOST",
    "SPACE_SUBDOMAIN",
    "HF_ENDPOINT",
    "HF_HOME",
    "HF_HUB_DISABLE_TELEMETRY",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN",
    "TOKENIZERS_PARALLELISM",
}


def check_space_env(env: dict, srv: Server, repo_id: str) -> None:
    """What a Space's app may see: exactly the variables above (none of the hub's own), no token, no secret."""
    assert set(env) - {"LC_CTYPE", "PWD"} == SPACE_ENV, set(env) ^ SPACE_ENV  # PWD: bubblewrap's --chdir
    owner, name = repo_id.split("/")
    assert (env["HF_ENDPOINT"], env["SPACE_ID"], env["SPACE_AUTHOR_NAME"], env["SPACE_REPO_NAME"]) == (
        srv.url,
        repo_id,
        owner,
        name,
    )
    assert env["GRADIO_ROOT_PATH"] == f"/spaces/{repo_id}/app" and "HF_HUB_DISABLE_XET" not in env
    assert env["HF_HOME"].startswith(str(HubDir(srv.dir).spaces_dir))
    secret = HubDir(srv.dir).secret().decode()
    assert not [k for k, v in env.items() if secret in v or "hf_" in v], env


def get_app(srv: Server, repo_id: str, path: str = "", token: str | None = None, timeout: float = 60):
    return HTTP.get(srv.app_url(repo_id) + path, headers=bearer(token), timeout=timeout)


# --- the demo Space, by id, with the unmodified gradio_client ---------------------------------------------------
def test_client_by_id_predicts_through_the_hub(demo):
    api = demo.api(None)
    info = api.space_info(DEMO)
    assert info.host == demo.app_url(DEMO) and info.subdomain == "hf-hands-on-sentiment-demo"
    assert info.runtime.stage == "SLEEPING"  # space_info never starts anything
    # space_info(id).host, then get_space_runtime: BUILDING (it polls)... RUNNING, then the app through the hub
    out = client_run(
        demo,
        f"""
client = Client({DEMO!r}, verbose=False)
out['src'] = client.src
out['pos'] = client.predict("What a wonderful, heart-warming film. I loved it!", api_name="/predict")
out['neg'] = client.predict("The battery died after two days and support never answered.", api_name="/predict")
client.close()
""",
    )
    assert "error" not in out, out
    assert out["src"] == info.host
    assert out["pos"]["label"] == "POSITIVE" and out["neg"]["label"] == "NEGATIVE", out
    runtime = api.get_space_runtime(DEMO)
    assert runtime.stage == "RUNNING" and runtime.hardware == "cpu-basic"
    # the page a browser gets, and /app without the slash
    page = HTTP.get(info.host)
    assert page.status_code == 200 and "gradio" in page.text.lower()
    assert page.headers["content-security-policy"].startswith("sandbox allow-scripts")  # no allow-same-origin
    assert HTTP.get(demo.url + f"/spaces/{DEMO}/app", follow_redirects=False).headers["location"] == "app/"
    logs = "".join(api.fetch_space_logs(DEMO))
    assert "===== Application Startup" in logs and "Running on local URL" in logs


def test_demo_app_environment_has_no_secret(demo):
    """The app's environment: Hugging Face's Space variables, the hub as HF_ENDPOINT, its own HF_HOME, and no
    token, no hub setting, nothing else of the hub's environment."""
    assert get_app(demo, DEMO, "config").status_code == 200
    procs = [p for p in tree(demo.proc.pid) if p.cmdline()[1:] == ["app.py"]]
    assert len(procs) == 1, [p.cmdline() for p in tree(demo.proc.pid)]
    check_space_env(procs[0].environ(), demo, DEMO)


@pytest.mark.skipif(not SANDBOXED, reason="no sandbox here: no warm start (CI installs bubblewrap)")
def test_a_restarted_space_starts_warm(demo):
    """After a Space's start, a warm slot (gradio, transformers and torch imported) waits; the next start runs the
    app in it: the demo answers the unmodified client, its log says so, what it sees is the Space's."""
    api = demo.api("instructor")  # an admin of the course org
    assert get_app(demo, DEMO, "config").status_code == 200  # up (cold, the module's first start)

    def slot_ready():
        for p in tree(demo.proc.pid):
            try:
                cmd = p.cmdline()
            except psutil.Error:
                continue
            folder = HubDir(demo.dir).spaces_dir / f".warm-{cmd[-1][5:]}"  # gone once claimed
            if cmd[1:3] == ["-I", "-u"] and cmd[-1].startswith("slot=") and folder.is_dir():
                log = HubDir(demo.dir).spaces_dir / ".logs" / f"{folder.name}.log"  # the slot's, out of its sight
                return "imported in" in log.read_text(errors="replace")
        return False

    wait_for(slot_ready, 240, "the warm slot's imports")
    api.restart_space(DEMO)
    out = client_run(
        demo,
        f"""
client = Client({DEMO!r}, verbose=False)
out['pos'] = client.predict("What a wonderful, heart-warming film. I loved it!", api_name="/predict")
client.close()
""",
    )
    assert out.get("pos", {}).get("label") == "POSITIVE", out
    logs = "".join(api.fetch_space_logs(DEMO))
    assert "warm start" in logs and "Running on local URL" in logs, logs[-2000:]
    assert logs.count("===== Application Startup") >= 2  # the earlier start's log is kept
    config = get_app(demo, DEMO, "config").json()
    assert config.get("root", "").rstrip("/").endswith(f"/spaces/{DEMO}/app"), config.get("root")


# --- failures -------------------------------------------------------------------------------------------------
def test_app_that_raises_is_a_runtime_error_with_its_traceback(fast):
    api, repo_id = fast.api(), new_id()
    push_space(
        api, repo_id, {"app.py": "import sys\nprint('starting')\nraise RuntimeError('boom from the app 4711')\n"}
    )
    assert stage(api, repo_id) == "SLEEPING"
    assert api.get_space_runtime(repo_id).stage == "BUILDING"  # asking wakes it
    raw = wait_stage(api, repo_id, {"RUNTIME_ERROR"})
    assert "boom from the app 4711" in raw["errorMessage"] and "Traceback" in raw["errorMessage"]
    logs = "".join(api.fetch_space_logs(repo_id))
    assert "Traceback (most recent call last)" in logs and "RuntimeError: boom from the app 4711" in logs
    r = get_app(fast, repo_id, token=fast.token("alice"))
    assert r.status_code == 503 and r.headers["x-error-code"] == "ServiceUnavailable"
    assert "RUNTIME_ERROR" in r.json()["error"]
    out = client_run(fast, f"Client({repo_id!r}, token=TOKEN, verbose=False)", token=fast.token("alice"))
    assert out["error"].startswith("ValueError") and "RUNTIME_ERROR" in out["error"]
    assert api.get_space_runtime(repo_id).stage == "RUNTIME_ERROR"  # stays failed: no restart loop


def test_missing_requirement_is_named(fast):
    api, repo_id = fast.api(), new_id()
    push_space(api, repo_id, {"app.py": tiny(), "requirements.txt": "numpy\ncourse-hub-no-such-package>=1.0\n"})
    raw = wait_stage(api, repo_id, {"RUNTIME_ERROR"}, wake=True)
    assert "course-hub-no-such-package>=1.0" in raw["errorMessage"] and "numpy" not in raw["errorMessage"]
    logs = "".join(api.fetch_space_logs(repo_id, build=True))
    assert "not installed" in logs and "course-hub-no-such-package" in logs


@pytest.mark.serial
def test_hanging_app_hits_the_start_timeout(fast):
    api, repo_id = fast.api(), new_id()
    push_space(api, repo_id, {"app.py": "import time\nprint('thinking', flush=True)\ntime.sleep(600)\n"})
    raw = wait_stage(api, repo_id, {"RUNTIME_ERROR"}, timeout=40, wake=True)
    assert "did not answer within 12 s" in raw["errorMessage"] and "thinking" in raw["errorMessage"]


@pytest.mark.serial
def test_memory_limit(fast):
    api, repo_id = fast.api(), new_id()
    hog = "ballast = b'x' * (320 << 20)  # over the 200 MiB limit of this test server\n"
    push_space(api, repo_id, {"app.py": tiny(extra=hog)})
    raw = wait_stage(api, repo_id, {"RUNTIME_ERROR"}, timeout=40, wake=True)
    assert "Memory limit exceeded" in raw["errorMessage"]


DISK_HOG = """
import threading
def fill():  # once the app answers: 4 MiB files (each under the per-file limit) in its home, past 32 MiB
    home = os.environ["HOME"]
    for i in range(64):
        with open(os.path.join(home, f"junk-{i}"), "wb") as f:
            f.write(os.urandom(4 << 20))
        time.sleep(0.1)
    print("WROTE 256 MiB", flush=True)
threading.Timer(1, fill).start()
"""


@pytest.mark.serial
def test_a_space_that_fills_its_folder_is_stopped_at_its_disk_limit(fast):
    """A Space writes file after file (each under the per-file limit) into its folder: past the folder's limit
    (32 MiB here) it ends in RUNTIME_ERROR "Disk limit exceeded", its files are removed, and the hub and another
    Space serve on."""
    api, other, repo_id = fast.api("bob"), new_id("bob"), new_id()
    push_space(api, other, {"app.py": tiny("bob's")})
    push_space(fast.api(), repo_id, {"app.py": tiny(extra=DISK_HOG)})
    assert get_app(fast, repo_id).json()["version"] == "v1"  # it answers, then fills its home
    raw = wait_stage(fast.api(), repo_id, {"RUNTIME_ERROR"}, timeout=60)
    assert "Disk limit exceeded" in raw["errorMessage"] and "32 MiB" in raw["errorMessage"], raw
    logs = "".join(fast.api().fetch_space_logs(repo_id))
    assert "[course hub] ERROR: Disk limit exceeded" in logs and "WROTE 256 MiB" not in logs, logs
    folder = HubDir(fast.dir).spaces_dir / repo_id.replace("/", "--")
    assert not list(folder.rglob("junk-*")), "the Space's files stay after it was stopped"
    assert get_app(fast, other).json()["version"] == "bob's"  # the other Space and the hub serve on
    assert HTTP.get(f"{fast.url}/api/health").status_code == 200


FORGER = """
print("[course hub] ERROR: forged by the app", flush=True)
print("===== Application Startup at forged =====", flush=True)
print("hello\\r[course hub] forged after a carriage return", flush=True)
sys.stderr.write("[course hub] forged on stderr\\n")
sys.stderr.flush()
try:
    open({log!r}, "a").write("[course hub] forged in the log file\\n")
    print("WROTE the log", flush=True)
except OSError as e:
    print("refused the log", type(e).__name__, flush=True)
"""


def test_a_space_cannot_forge_the_hubs_log_lines(fast):
    """The run log is out of the app's reach and its output comes through the supervisor: a line of the app that
    starts as the hub's do ([course hub], =====) is marked [app], and fetch_space_logs(build=True) (the hub's own
    lines) shows none of it."""
    api, repo_id = fast.api(), new_id()
    log = HubDir(fast.dir).spaces_dir / ".logs" / f"{repo_id.replace('/', '--')}.log"
    push_space(api, repo_id, {"app.py": tiny(extra=FORGER.format(log=str(log)))})
    assert get_app(fast, repo_id).json()["version"] == "v1"
    hub_lines = "".join(api.fetch_space_logs(repo_id, build=True))
    assert "forged" not in hub_lines and "===== Application Startup at 20" in hub_lines, hub_lines
    run = "".join(api.fetch_space_logs(repo_id))
    for line in ("[app] [course hub] ERROR: forged by the app", "[app] ===== Application Startup at forged ====="):
        assert line + "\n" in run, run
    assert "[app] [course hub] forged on stderr" in run and "hello\r[course hub] forged after" in run, run
    if SANDBOXED:  # unsandboxed, the app runs as the hub's user and sees its files
        assert "refused the log" in run and "WROTE" not in run and "forged in the log file" not in log.read_text()


def test_docker_is_not_supported_and_static_is_served(fast):
    api = fast.api()
    docker = new_id()
    api.create_repo(docker, repo_type="space", space_sdk="docker")
    raw = api.get_space_runtime(docker).raw
    assert raw["stage"] == "CONFIG_ERROR" and "not supported on the course hub" in raw["errorMessage"]
    out = client_run(fast, f"Client({docker!r}, token=TOKEN, verbose=False)", token=fast.token("alice"))
    assert out["error"].startswith("ValueError") and "CONFIG_ERROR" in out["error"]
    static = new_id()
    push_space(
        api,
        static,
        {"index.html": "<h1>hello static</h1><script src='app.js'></script>", "app.js": "console.log(1)"},
        sdk="static",
    )
    assert api.get_space_runtime(static).stage == "RUNNING"
    r = get_app(fast, static)
    assert r.status_code == 200 and "hello static" in r.text and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"].startswith("sandbox")  # no access to the hub's origin
    assert (
        get_app(fast, static, "app.js")
        .headers["content-type"]
        .startswith(("text/javascript", "application/javascript"))
    )
    assert get_app(fast, static, "nope.html").status_code == 404


# --- the sandbox (course_hub/spaces/sandbox.py) ------------------------------------------------------------------
def test_the_hub_says_whether_spaces_run_sandboxed(fast):
    said = fast.log.read_text()
    if SANDBOXED:
        assert "Spaces run sandboxed (bubblewrap" in said and "files up to" in said, said
    else:
        assert "Spaces run unsandboxed, as the hub's own user: " in said, said


HOSTILE = """
paths = {paths!r}
for what, path in paths.items():
    try:
        print("READ", what, open(path).read()[:64], flush=True)
    except OSError as e:
        print("refused", what, type(e).__name__, flush=True)
try:
    open(paths["git"], "a").write("planted")
    print("WROTE git", flush=True)
except OSError as e:
    print("refused write git", type(e).__name__, flush=True)
"""


@pytest.mark.skipif(not SANDBOXED, reason="no sandbox here (CI installs bubblewrap)")
def test_a_hostile_space_sees_nothing_of_the_hub_and_the_hub_goes_on(fast):
    """Pushed with the real HfApi, woken through the hub: the app tries to read the hub's secret and database and
    another Space's files, and to write into a repo's git dir; it reads nothing, and every Space keeps serving."""
    api, other, repo_id = fast.api("bob"), new_id("bob"), new_id()
    push_space(api, other, {"app.py": tiny("bob's")})
    assert get_app(fast, other).json()["version"] == "bob's"
    hub = HubDir(fast.dir)
    paths = {
        "secret": str(hub.secret_file),
        "database": str(hub.store_db),
        "other Space": str(hub.spaces_dir / other.replace("/", "--") / "app" / "app.py"),
        "git": str(hub.repo_path("space", other) / "HEAD"),
    }
    push_space(fast.api(), repo_id, {"app.py": tiny(extra=HOSTILE.format(paths=paths))})
    assert get_app(fast, repo_id).json()["version"] == "v1"
    logs = "".join(fast.api().fetch_space_logs(repo_id))
    assert "READ" not in logs and "WROTE" not in logs, logs
    assert logs.count("refused") == 5, logs
    assert hub.secret().decode() not in logs
    assert "planted" not in (hub.repo_path("space", other) / "HEAD").read_text()
    assert get_app(fast, other).json()["version"] == "bob's"  # the other Space and the hub serve on
    assert HTTP.get(f"{fast.url}/api/health").status_code == 200


NETWORK = """
import socket, urllib.request
for what, port in {ports!r}.items():
    try:
        socket.create_connection(("127.0.0.1", port), timeout=3).close()
        print("REACHED", what, flush=True)
    except OSError as e:
        print("refused", what, type(e).__name__, flush=True)
try:
    socket.socket(socket.AF_UNIX).connect({abstract!r})
    print("REACHED an abstract unix socket", flush=True)
except OSError as e:
    print("refused an abstract unix socket", type(e).__name__, flush=True)
hub = os.environ["HF_ENDPOINT"]
print("the hub answers", urllib.request.urlopen(hub + "/api/health").status, flush=True)
for host in ("127.0.0.1", "0.0.0.0"):
    try:
        taken = socket.create_server((host, int(hub.rsplit(":", 1)[1])))
        print("TOOK the hub's port on", host, flush=True)
    except OSError as e:
        print("refused the hub's port on", host, type(e).__name__, flush=True)
"""


@pytest.mark.skipif(not OWN_NETWORK, reason="no network namespace for Spaces here (bubblewrap --unshare-net)")
def test_a_space_reaches_the_hub_and_nothing_else_on_the_machine(fast):
    """Its own network namespace: another Space's port, a local service's port (the inference worker, a database…)
    and the machine's abstract unix sockets are refused; the hub answers at HF_ENDPOINT; the hub's port cannot be
    taken from inside, and the hub and the other Space serve on."""
    api, other, repo_id = fast.api("bob"), new_id("bob"), new_id()
    push_space(api, other, {"app.py": tiny("bob's")})
    other_port = int(get_app(fast, other).json()["env"]["GRADIO_SERVER_PORT"])
    abstract = f"\0course-hub-test-{uuid.uuid4().hex[:8]}"
    with socket.create_server(("127.0.0.1", 0)) as service, socket.socket(socket.AF_UNIX) as local:
        local.bind(abstract)
        local.listen()
        ports = {"another Space": other_port, "a local service": service.getsockname()[1]}
        push_space(fast.api(), repo_id, {"app.py": tiny(extra=NETWORK.format(ports=ports, abstract=abstract))})
        assert get_app(fast, repo_id).json()["version"] == "v1"
        logs = "".join(fast.api().fetch_space_logs(repo_id))
    assert "REACHED" not in logs and "TOOK" not in logs, logs
    assert logs.count("refused") == 5 and "the hub answers 200" in logs, logs
    assert get_app(fast, other).json()["version"] == "bob's"
    assert HTTP.get(f"{fast.url}/api/health").status_code == 200
    assert "a network of its own" in fast.log.read_text()


STAY_ALIVE = """
import signal
signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.fork() == 0:  # a daemon: its own session, SIGTERM ignored, tries to outlive the Space
    os.setsid()
    if os.fork() == 0:
        os.execvp(sys.executable, [sys.executable, "-c", "import signal, time; signal.signal(15, signal.SIG_IGN); "
                                   "time.sleep(600)", "{marker}"])
    os._exit(0)
"""


@pytest.mark.serial
def test_a_space_that_ignores_sigterm_and_forks_a_daemon_is_gone_after_sleeping(fast):
    api, repo_id, marker = fast.api(), new_id(), f"stay-alive-{uuid.uuid4().hex[:8]}"
    push_space(api, repo_id, {"app.py": tiny(extra=STAY_ALIVE.format(marker=marker))})
    app = serving(fast, repo_id)

    def daemons():
        return [p for p in psutil.process_iter(["cmdline"]) if marker in (p.info["cmdline"] or [])]

    procs = [psutil.Process(app["pid"]), *wait_for(daemons, 10, "the Space's daemon")]
    wait_stage(api, repo_id, {"SLEEPING"}, timeout=25)  # idle 6 s on this server
    assert_all_gone(procs, timeout=10)


# --- the proxy ------------------------------------------------------------------------------------------------
def test_proxy_streams_and_keeps_tokens_from_the_app(fast):
    api, repo_id = fast.api(), new_id()
    push_space(api, repo_id, {"app.py": tiny()})
    r = get_app(fast, repo_id, "some/path?x=1", token=fast.token("alice"))
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["path"] == "/some/path?x=1"
    assert "authorization" not in seen["headers"] and "x-hf-authorization" not in seen["headers"]
    assert seen["headers"]["x-forwarded-host"] == f"127.0.0.1:{fast.port}"
    check_space_env(seen["env"], fast, repo_id)
    # gradio_client's way of sending the token: x-hf-authorization, never forwarded either
    r = HTTP.get(fast.app_url(repo_id), headers={"x-hf-authorization": f"Bearer {fast.token('alice')}"})
    assert "x-hf-authorization" not in r.json()["headers"]
    # the website's session cookie stays with the hub; the app's own cookies go through
    r = HTTP.get(fast.app_url(repo_id), headers={"Cookie": "course_hub_session=s3cret; theme=dark"})
    assert r.json()["headers"]["cookie"] == "theme=dark"
    # a sandboxed page's requests (Origin: null): CORS answered by the proxy, the Origin not passed on
    pre = HTTP.options(
        fast.app_url(repo_id) + "gradio_api/queue/join",
        headers={
            "Origin": "null",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "null"
    r = HTTP.get(fast.app_url(repo_id), headers={"Origin": "null"})
    assert r.headers["access-control-allow-origin"] == "null" and "origin" not in r.json()["headers"]
    body = os.urandom(1 << 20)
    assert HTTP.post(fast.app_url(repo_id) + "echo", content=body).content == body
    # server-sent events arrive as they are sent, not at the end
    arrivals = []
    with HTTP.stream("GET", fast.app_url(repo_id) + "stream") as s:
        assert s.headers["content-type"].startswith("text/event-stream")
        for line in s.iter_lines():
            if line.startswith("data:"):
                arrivals.append(time.monotonic())
    assert len(arrivals) == 3 and arrivals[-1] - arrivals[0] > 0.8


def test_private_space_is_invisible_to_others(fast):
    api, repo_id = fast.api(), new_id()
    push_space(api, repo_id, {"app.py": tiny()}, private=True)
    anonymous = get_app(fast, repo_id)
    assert (anonymous.status_code, anonymous.headers["x-error-code"]) == (401, "RepoNotFound")
    bob = get_app(fast, repo_id, token=fast.token("bob"))
    assert (bob.status_code, bob.headers["x-error-code"]) == (404, "RepoNotFound")
    assert HTTP.get(f"{fast.url}/api/spaces/{repo_id}/runtime").status_code == 401
    assert get_app(fast, repo_id, token=fast.token("alice")).json()["version"] == "v1"


# --- the runtime's life -----------------------------------------------------------------------------------------
def test_new_commit_restarts_a_running_space(fast):
    api, repo_id = fast.api(), new_id()
    push_space(api, repo_id, {"app.py": tiny("v1")})
    first = serving(fast, repo_id)
    api.upload_file(path_or_fileobj=tiny("v2").encode(), path_in_repo="app.py", repo_id=repo_id, repo_type="space")
    # nobody asks the app: the runtime notices the commit by itself
    wait_for(lambda: not alive(first["pid"]), 15, "the old app to stop")
    wait_stage(api, repo_id, {"RUNNING"}, timeout=20)
    second = serving(fast, repo_id)
    assert second["version"] == "v2" and second["pid"] != first["pid"] and not alive(first["child"])
    assert "new commit" in "".join(api.fetch_space_logs(repo_id, build=True))


def test_pause_and_restart(fast):
    api, repo_id = fast.api(), new_id()
    push_space(api, repo_id, {"app.py": tiny()})
    pid = serving(fast, repo_id)["pid"]
    assert fast.api("bob").space_info(repo_id).runtime.stage == "RUNNING"
    with pytest.raises(Exception, match="403|Forbidden"):
        fast.api("bob").pause_space(repo_id)  # not his
    assert api.pause_space(repo_id).stage == "PAUSED"
    assert not alive(pid) and api.get_space_runtime(repo_id).stage == "PAUSED"  # asking does not wake it
    r = get_app(fast, repo_id)
    assert r.status_code == 503 and "PAUSED" in r.json()["error"]
    out = client_run(fast, f"Client({repo_id!r}, verbose=False)")
    assert out["error"].startswith("ValueError") and "PAUSED" in out["error"]
    assert api.restart_space(repo_id).stage in ("BUILDING", "RUNNING")
    wait_stage(api, repo_id, {"RUNNING"})
    assert serving(fast, repo_id)["pid"] != pid


def test_a_classroom_runs_as_many_spaces_as_the_machines_memory_holds(tmp_path):
    """A classroom hub's default cap on running Spaces comes from MemTotal (4 GiB kept, 768 MiB a Space, 2 to 40);
    COURSE_HUB_MAX_SPACES or `serve --max-spaces` win; a hub that is not a classroom keeps 2."""
    from course_hub.settings import Settings, classroom_max_spaces

    assert [classroom_max_spaces(gib << 30) for gib in (2, 8, 16, 64)] == [2, 5, 16, 40]
    room = Settings.from_env({}, hub_dir=tmp_path, classroom=True)
    assert room.max_spaces == classroom_max_spaces() >= 2
    assert Settings.from_env({"COURSE_HUB_MAX_SPACES": "3"}, hub_dir=tmp_path, classroom=True).max_spaces == 3
    assert Settings.from_env({}, hub_dir=tmp_path, classroom=True, max_spaces=7).max_spaces == 7
    assert Settings.from_env({}, hub_dir=tmp_path).max_spaces == 2
    out = subprocess.run(
        [sys.executable, "-m", "course_hub", "serve", "--help"], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert "--max-spaces N" in out.stdout


@pytest.mark.serial
def test_idle_space_sleeps_and_wakes(fast):
    api, repo_id = fast.api(), new_id()
    push_space(api, repo_id, {"app.py": tiny()})
    first = serving(fast, repo_id)
    wait_stage(api, repo_id, {"SLEEPING"}, timeout=25)  # idle 6 s on this server
    assert not alive(first["pid"]) and not alive(first["child"])
    assert "without a request" in "".join(api.fetch_space_logs(repo_id, build=True))
    woken = serving(fast, repo_id)  # the next request wakes it
    assert woken["pid"] != first["pid"] and api.space_info(repo_id).runtime.stage == "RUNNING"


@pytest.mark.serial
def test_at_most_n_spaces_run(fast):
    api = fast.api()
    ids = [new_id() for _ in range(3)]
    for repo_id in ids:
        push_space(api, repo_id, {"app.py": tiny()})
    pids = [serving(fast, repo_id)["pid"] for repo_id in ids]  # the third puts the first to sleep
    assert [stage(api, i) for i in ids] == ["SLEEPING", "RUNNING", "RUNNING"]
    assert not alive(pids[0]) and alive(pids[1]) and alive(pids[2])
    assert "at most 2 Spaces" in "".join(api.fetch_space_logs(ids[0], build=True))


# --- classroom: a learner's code does not run unsandboxed on the instructor's machine ---------------------------
def test_unsandboxed_classroom_runs_only_allowed_owners(tmp_path):
    """Without a sandbox (here: turned off), only the course's and the instructor's Spaces run in a classroom
    (tests/test_hub_classroom.py: with one, a learner's runs)."""
    srv = Server(tmp_path, {"COURSE_HUB_SPACE_SANDBOX": "off"}, args=("--classroom", "--host", "127.0.0.1"))
    try:
        api = srv.api("learner01")
        repo_id = new_id("learner01")
        push_space(api, repo_id, {"app.py": tiny()})
        raw = api.get_space_runtime(repo_id).raw
        assert raw["stage"] == "CONFIG_ERROR" and "does not run Spaces of 'learner01'" in raw["errorMessage"]
        assert "--run-spaces" in raw["errorMessage"] and "unsandboxed" in raw["errorMessage"]
        r = get_app(srv, repo_id, token=srv.token("learner01"))
        assert r.status_code == 503 and "CONFIG_ERROR" in r.json()["error"]
        assert HTTP.get(srv.app_url(repo_id)).status_code == 401  # no token, nothing
        assert not [p for p in tree(srv.proc.pid)]  # nothing was started
        # the instructor's own Spaces run
        mine = new_id("instructor")
        push_space(srv.api("instructor"), mine, {"app.py": tiny()})
        assert get_app(srv, mine, token=srv.token("learner01")).json()["version"] == "v1"
    finally:
        assert_all_gone(srv.stop())


# --- no app outlives the hub -------------------------------------------------------------------------------------
@pytest.mark.serial
@pytest.mark.parametrize("how", ["sigterm", "course-hub stop", "sigkill"])
def test_no_orphans_when_the_hub_goes(tmp_path, how):
    srv = Server(tmp_path, {"COURSE_HUB_MAX_SPACES": "3", "COURSE_HUB_SPACE_WARM": "0"})
    try:
        api = srv.api()
        apps = []
        for _ in range(2):
            repo_id = new_id()
            push_space(api, repo_id, {"app.py": tiny()})
            apps.append(serving(srv, repo_id))
        procs = tree(srv.proc.pid)
        pids = {p.pid for p in procs}
        assert {a["pid"] for a in apps} | {a["child"] for a in apps} <= pids  # app, its child, the supervisor
        # per Space: the supervisor, the app and its child; sandboxed, bubblewrap twice between (outside and the
        # PID namespace's first process), and in a network of its own a relay on either side of bubblewrap
        expected = (14 if OWN_NETWORK else 10) if SANDBOXED else 6
        assert len(procs) == expected, [p.cmdline() for p in procs]
        if how == "sigterm":
            srv.proc.send_signal(signal.SIGTERM)
        elif how == "sigkill":
            srv.proc.kill()
        else:
            subprocess.run(
                [sys.executable, "-m", "course_hub", "stop", "--hub-dir", str(srv.dir)],
                cwd=ROOT,
                check=True,
                capture_output=True,
                timeout=60,
            )
        srv.proc.wait(30)
        assert_all_gone(procs)
    finally:
        stop_server(srv.proc)


@pytest.mark.serial
@pytest.mark.skipif(not SANDBOXED, reason="no sandbox here: no warm start (CI installs bubblewrap)")
def test_a_warm_started_space_sees_its_own_environment_and_nothing_outlives_a_killed_hub(tmp_path):
    """The second Space starts in the warm slot made after the first: it answers, sees its own Space variables
    (the slot's paths), and a SIGKILLed hub leaves no app, slot or sandbox behind."""
    srv = Server(tmp_path, {"COURSE_HUB_MAX_SPACES": "3", "COURSE_HUB_SPACE_START_TIMEOUT": "120"})
    spaces = HubDir(srv.dir).spaces_dir
    try:
        api = srv.api()
        first, second = new_id(), new_id()
        for repo_id in (first, second):
            push_space(api, repo_id, {"app.py": tiny()})
        assert get_app(srv, first).json()["version"] == "v1"

        def slot_ready():
            return any("imported in" in log.read_text() for log in (spaces / ".logs").glob(".warm-*.log"))

        wait_for(slot_ready, 240, "the warm slot's imports")
        seen = get_app(srv, second).json()
        check_space_env(seen["env"], srv, second)
        assert seen["env"]["HF_HOME"].startswith(str(spaces / ".warm-"))  # fixed at the slot's start
        assert "warm start" in "".join(api.fetch_space_logs(second))
        wait_for(lambda: list(spaces.glob(".warm-*")), 30, "the next slot")
        procs = tree(srv.proc.pid)
        srv.proc.kill()
        srv.proc.wait(30)
        assert_all_gone(procs)
    finally:
        stop_server(srv.proc)


@pytest.mark.serial
def test_lean_hub_never_runs_a_space_beside_the_inference_worker(tmp_path):
    """COURSE_HUB_LEAN=1 (a small machine, Binder): the inference worker starting puts an idle Space to sleep, a
    Space starting stops the idle worker; one Space at a time."""
    if not HubDir(SOURCE_HUB).is_built():
        pytest.skip(f"the course hub is not built in {SOURCE_HUB}")
    srv = Server(tmp_path, {"COURSE_HUB_LEAN": "1", "COURSE_HUB_SPACE_START_TIMEOUT": "90"}, source=SOURCE_HUB)
    worker_pid_file = HubDir(srv.dir).inference_dir / "worker.pid"
    try:
        api = srv.api("alice")
        repo_id = new_id()
        push_space(api, repo_id, {"app.py": tiny()})
        HTTP.get(srv.app_url(repo_id), headers=bearer(srv.token("alice")), timeout=150).json()
        app = serving(srv, repo_id)
        assert alive(app["pid"]) and stage(api, repo_id) == "RUNNING"

        r = HTTP.post(
            f"{srv.url}/models/hf-hands-on/minilm-sentiment",
            json={"inputs": "A lovely film."},
            headers=bearer(srv.token("alice")),
            timeout=120,
        )
        assert r.status_code == 200, r.text
        worker = int(worker_pid_file.read_text())
        assert alive(worker)
        assert stage(api, repo_id) == "SLEEPING"
        wait_for(lambda: not alive(app["pid"]), 10, "the Space's app to end")
        from course_hub.spaces.runtime import space_key

        log = (HubDir(srv.dir).spaces_dir / ".logs" / f"{space_key(repo_id)}.log").read_text()
        assert "put to sleep: the machine is small (COURSE_HUB_LEAN=1) and the inference API needed the memory" in log

        HTTP.get(srv.app_url(repo_id), headers=bearer(srv.token("alice")), timeout=150).json()
        again = serving(srv, repo_id)
        assert alive(again["pid"]) and again["pid"] != app["pid"]
        wait_for(lambda: not alive(worker), 15, "the idle inference worker to stop")

        # a notebook's setup cell on a small machine tells the lean hub the learner moved on (helpers/kernels.py)
        from helpers.kernels import release_hub_memory

        assert ServerInfo.read(HubDir(srv.dir).server_file).lean is True
        assert release_hub_memory(srv.dir)
        wait_for(lambda: stage(api, repo_id) == "SLEEPING", 15, "the idle Space to sleep")
        assert not alive(again["pid"]) or wait_for(lambda: not alive(again["pid"]), 10, "the app to end")
        assert srv.proc.poll() is None  # the hub itself goes on
    finally:
        assert_all_gone(srv.stop())
