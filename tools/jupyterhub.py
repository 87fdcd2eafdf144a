"""A real JupyterHub on this machine for the test and the benchmark (tests/jupyterhub/, benchmarks/jupyterhub.py).

`LocalJupyterHub(workdir, hub_dir)` starts `jupyterhub -f tests/jupyterhub/jupyterhub_test_config.py` (the deploy
config with DummyAuthenticator and SimpleLocalProcessSpawner) with configurable-http-proxy from
build/jupyterhub/node_modules (`make test-jupyterhub` installs it), all on loopback. Learners log in through
JupyterHub's login form, their servers are started through the REST API, and `run_notebook` executes a notebook's
code cells (all, or some) through the proxy: the Jupyter server's sessions API and the kernel's websocket
(tools/remote_kernel.KernelChannel), as JupyterLab does; any failure is a CellError that names the learner.
`stop()` stops JupyterHub with SIGTERM and returns the processes that outlived it (none, if all is well).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from course_hub.net import free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "tests" / "jupyterhub" / "jupyterhub_test_config.py"
CHP = ROOT / "build" / "jupyterhub" / "node_modules" / ".bin" / "configurable-http-proxy"
BIN = Path(sys.executable).parent


class CellError(RuntimeError):
    pass


class LocalJupyterHub:
    def __init__(self, workdir: Path, hub_dir: Path, idle_timeout: int = 3600):
        self.state = Path(workdir)
        self.state.mkdir(parents=True, exist_ok=True)
        self.hub_dir = Path(hub_dir)
        self.port, self.hub_port, self.api_port, self.course_port = (free_port() for _ in range(4))
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin_token = secrets.token_hex(32)
        self.log_path = self.state / "jupyterhub.log"
        self.proc: subprocess.Popen | None = None
        self.idle_timeout = idle_timeout
        self.tokens: dict[str, str] = {}
        self.connects: list[float] = []  # each kernel websocket's handshake, in seconds (open_kernel)
        self.reconnects: dict[str, int] = {}  # kernel websockets that dropped and were opened again, per learner

    # --- life cycle -------------------------------------------------------------------------------------------
    def start(self, timeout: float = 120) -> LocalJupyterHub:

        if not CHP.exists():
            raise RuntimeError(f"configurable-http-proxy is not installed in {CHP.parent}: run `make test-jupyterhub`")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "COURSE_", "JUPYTERHUB_", "GIT_"))}
        env.update(
            COURSE_JH_STATE=str(self.state),
            COURSE_JH_PORT=str(self.port),
            COURSE_JH_HUB_PORT=str(self.hub_port),
            COURSE_JH_PROXY_API_PORT=str(self.api_port),
            COURSE_JH_CHP=str(CHP),
            COURSE_JH_ADMIN_TOKEN=self.admin_token,
            COURSE_HUB_DIR=str(self.hub_dir),
            COURSE_HUB_PORT=str(self.course_port),
            COURSE_PYTHON=sys.executable,
            COURSE_IDLE_TIMEOUT=str(self.idle_timeout),
            PATH=f"{BIN}:{os.environ.get('PATH', '')}",
        )
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [str(BIN / "jupyterhub"), "-f", str(CONFIG)],
                cwd=self.state,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        # the course hub's health through JupyterHub's proxy: JupyterHub, its proxy and the service are all up
        wait_until_up(
            f"{self.url}/services/course-hub",
            self.proc,
            timeout,
            hub=True,
            log_path=self.log_path,
            interval=0.5,
            probe_timeout=2,
            what="JupyterHub and its course-hub service",
        )
        return self

    def course_hub_health(self) -> bool:
        import httpx

        try:
            r = httpx.get(f"{self.url}/services/course-hub/api/health", timeout=2)
            return r.status_code == 200 and r.json().get("service") == "course-hub"
        except (httpx.HTTPError, ValueError):
            return False

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def processes(self) -> list:
        """JupyterHub and everything it started (proxy, services, servers, kernels, the hub's workers)."""
        import psutil

        if self.proc is None:
            return []
        try:
            top = psutil.Process(self.proc.pid)
            return [top, *top.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def stop(self, timeout: float = 90) -> list[str]:
        """SIGTERM to JupyterHub (it stops the services, the servers and the proxy); the processes left after it."""
        import psutil

        if self.proc is None:
            return []
        before = self.processes()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        _, alive = psutil.wait_procs([p for p in before if p.pid != self.proc.pid], timeout=15)
        alive += [p for p in self.strays() if p not in alive]
        left = []
        for p in alive:
            try:
                left.append(f"{p.pid} {' '.join(p.cmdline())[:200]}")
            except psutil.Error:
                continue
        for p in alive:  # so that a failed test leaves nothing either
            try:
                p.kill()
            except psutil.Error:
                pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            left.append(f"{self.proc.pid} jupyterhub itself")
        self.proc = None
        return left

    def strays(self) -> list:
        """Any process of this machine started for this JupyterHub (its folder or hub dir in the command line)."""
        import psutil

        marks = (str(self.state), str(self.hub_dir))
        found = []
        for p in psutil.process_iter(["pid", "cmdline", "cwd"]):
            try:
                text = " ".join(p.info["cmdline"] or []) + " " + (p.info["cwd"] or "")
            except psutil.Error:
                continue
            if p.pid != os.getpid() and any(m in text for m in marks):
                found.append(p)
        return found

    # --- the REST API ---------------------------------------------------------------------------------------------
    def api(self, method: str, path: str, token: str | None = None, **kw):
        import httpx

        r = httpx.request(
            method,
            f"{self.url}/hub/api{path}",
            timeout=60,
            headers={"Authorization": f"token {token or self.admin_token}"},
            **kw,
        )
        if r.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:300]}")
        return r.json() if r.content else None

    def login(self, user: str) -> None:
        """The login form, as a browser sends it (DummyAuthenticator: any password); then a token for the API."""
        import httpx

        with httpx.Client(base_url=self.url, timeout=60) as browser:
            browser.get("/hub/login")
            xsrf = browser.cookies.get("_xsrf")
            r = browser.post("/hub/login", data={"username": user, "password": "any", "_xsrf": xsrf or ""})
            if r.status_code not in (200, 302) or not any(k.startswith("jupyterhub-") for k in browser.cookies):
                raise RuntimeError(f"login of {user} failed: {r.status_code} {r.text[:300]}")
        self.tokens[user] = self.api("POST", f"/users/{user}/tokens", json={"note": "test", "expires_in": 7200})[
            "token"
        ]

    def spawn(self, user: str) -> None:
        r = self.api("POST", f"/users/{user}/server", token=self.tokens[user], json={})
        del r

    def wait_ready(self, users: list[str], timeout: float = 300) -> dict[str, float]:
        """Seconds until each server is ready (JupyterHub's `ready`)."""
        started, ready = time.monotonic(), {}
        while len(ready) < len(users):
            for user in users:
                if user in ready:
                    continue
                model = self.api("GET", f"/users/{user}")
                server = (model.get("servers") or {}).get("")
                if server and server.get("ready"):
                    ready[user] = time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise RuntimeError(
                    f"servers not ready after {timeout:.0f}s: {sorted(set(users) - set(ready))}\n{self.log_tail()}"
                )
            time.sleep(1)
        return ready

    def stop_server(self, user: str, timeout: float = 120) -> None:
        self.api("DELETE", f"/users/{user}/server")
        deadline = time.monotonic() + timeout
        while (self.api("GET", f"/users/{user}").get("servers") or {}).get(""):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{user}'s server did not stop")
            time.sleep(0.5)

    # --- a learner's Jupyter server, through the proxy ------------------------------------------------------------
    def server_api(self, user: str, method: str, path: str, **kw):
        import httpx

        r = httpx.request(
            method,
            f"{self.url}/user/{quote(user)}/api{path}",
            timeout=60,
            headers={"Authorization": f"token {self.tokens[user]}"},
            **kw,
        )
        if r.status_code >= 400:
            raise RuntimeError(f"{user}: {method} {path}: {r.status_code} {r.text[:300]}")
        return r.json() if r.content else None

    def open_kernel(self, user: str, path: str) -> Kernel:
        """A new notebook session of `user` for `path` and its kernel's websocket (the handshake ends once the new
        kernel has started: `Kernel.connect_seconds`, kept in `self.connects`)."""
        session = self.server_api(
            user,
            "POST",
            "/sessions",
            json={"path": path, "type": "notebook", "name": "", "kernel": {"name": "python3"}},
        )
        try:
            kernel = Kernel(self, user, session)
        except Exception as e:  # the websocket's handshake failed: named with the learner, the session goes
            import httpx

            try:
                self.server_api(user, "DELETE", f"/sessions/{session['id']}")
            except (RuntimeError, httpx.HTTPError):
                pass  # the server is gone too: the error below says what failed first
            raise CellError(f"{user}: opening the kernel of {path}: {type(e).__name__}: {e}") from e
        self.connects.append(kernel.channel.connect_seconds)
        return kernel

    def run_notebook(
        self,
        user: str,
        notebook: Path,
        path: str,
        parameters: str = "FAST = True\nCOURSE_HUB = None",
        timeout: float = 300,
        cells: list[int] | None = None,
    ) -> list[str]:
        """The code cells of `notebook` (all, or those at the indices `cells`, counted among code cells) in a new
        kernel of `user`'s server (its cwd: `path`'s folder), the parameters cell replaced by `parameters`; the kernel
        is shut down after. Returns the cells' text output. Raises CellError on the first cell that fails."""
        code = [c for c in json.loads(Path(notebook).read_text())["cells"] if c["cell_type"] == "code"]
        kernel = self.open_kernel(user, path)
        outputs = []
        try:
            for n, cell in enumerate(code):
                if cells is not None and n not in cells:
                    continue
                source = (
                    parameters if "parameters" in cell.get("metadata", {}).get("tags", []) else "".join(cell["source"])
                )
                outputs.append(kernel.execute(source, timeout, label=f"{notebook.name} cell {n}"))
        finally:
            kernel.close()
        return outputs


class Kernel:
    """A kernel's websocket (`/user/NAME/api/kernels/ID/channels`) through the proxy (tools/remote_kernel.py)."""

    def __init__(self, hub: LocalJupyterHub, user: str, session: dict):
        from .remote_kernel import KernelChannel

        self.hub, self.user, self.session = hub, user, session
        self.kernel_id = session["kernel"]["id"]
        url = f"ws://127.0.0.1:{hub.port}/user/{quote(user)}/api/kernels/{self.kernel_id}/channels"
        self.channel = KernelChannel(url, {"Authorization": f"token {hub.tokens[user]}"}, username=user)

    def execute(self, code: str, timeout: float = 300, label: str = "") -> str:
        from .remote_kernel import KernelConnectionLost

        try:
            done = self.channel.execute(code, timeout)
        except KernelConnectionLost as e:
            raise CellError(
                f"{self.user}: {label}: {e}\nJupyterHub's log, last lines:\n{self.hub.log_tail(3000)}"
            ) from e
        finally:
            self.hub.reconnects[self.user] = self.hub.reconnects.get(self.user, 0) + self.channel.reconnects
            self.channel.reconnects = 0
        if done.status == "timeout":
            raise CellError(f"{self.user}: {label} did not finish within {timeout:.0f}s")
        if done.status == "error":
            raise CellError(f"{self.user}: {label}: {done.ename}: {done.evalue}\n{done.traceback[-2000:]}")
        return done.text

    def close(self) -> None:
        try:
            self.channel.close()
        finally:
            self.hub.server_api(self.user, "DELETE", f"/sessions/{self.session['id']}")
