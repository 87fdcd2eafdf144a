"""Run a notebook through a Jupyter server the way a browser tab does: a session over the REST API, then each code
cell as an `execute_request` on the kernel's websocket (no nbclient, no file written).

    server = JupyterServer("http://127.0.0.1:8888/", token)
    session = server.open_session("01_hub_models.ipynb")
    results = run_notebook(server, session, Path("notebooks/01_hub_models.ipynb"))

Used by the learner's-day benchmark (benchmarks/learners_day.py), the JupyterHub harness (tools/jupyterhub.py) and
tests/test_kernels.py; works behind a base_url or a proxy prefix. `KernelChannel` waits for the websocket's handshake
as long as Jupyter Server may hold it (until a new kernel has started), then tells a silent cell (reads that time out,
pings answered), a dead kernel (the server's "restarting"/"dead" status) and a dead connection (closed, or pings
unanswered) apart; tests/test_remote_kernel.py checks each against a real Jupyter server.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


@dataclass
class CellRun:
    index: int
    seconds: float
    status: str  # "ok" | "error" | "timeout"
    error: str = ""


@dataclass
class JupyterServer:
    """A Jupyter server's REST API at `base_url` (ending in /), authenticated with its token."""

    base_url: str
    token: str
    headers: dict = field(default_factory=dict)

    def _auth(self) -> dict:
        return {"Authorization": f"token {self.token}", **self.headers}

    def request(self, method: str, path: str, body: dict | None = None, timeout: float = 60):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.base_url + path.lstrip("/"),
            data=data,
            method=method,
            headers={"Content-Type": "application/json", **self._auth()},
        )
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def wait_ready(self, proc, timeout: float = 90) -> None:
        """Wait until the server (started as `proc`) answers `api/status`; RuntimeError if it exits or times out."""
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the Jupyter server exited with {proc.returncode}")
            try:
                self.request("GET", "api/status", timeout=2)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the Jupyter server did not answer within {timeout:.0f} s") from None
                time.sleep(0.3)

    def sessions(self) -> list[dict]:
        return self.request("GET", "api/sessions")

    def open_session(self, path: str, kernel: str = "python3") -> dict:
        """A notebook session (and its kernel), as opening the notebook in JupyterLab makes one."""
        return self.request(
            "POST",
            "api/sessions",
            {"path": path, "name": Path(path).name, "type": "notebook", "kernel": {"name": kernel}},
        )

    def kernel_ws_url(self, kernel_id: str, session_id: str) -> str:
        base = self.base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        return f"{base}api/kernels/{kernel_id}/channels?session_id={session_id}"


def _message(session_id: str, code: str, username: str = "learner") -> dict:
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "username": username,
            "session": session_id,
            "msg_type": "execute_request",
            "version": "5.3",
            "date": datetime.now(timezone.utc).isoformat(),
        },
        "parent_header": {},
        "metadata": {},
        "channel": "shell",
        "buffers": [],
        "content": {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
    }


@dataclass
class Execution:
    status: str  # "ok" | "error" | "timeout"
    text: str = ""  # stream output and the text/plain of results and displays
    ename: str = ""
    evalue: str = ""
    traceback: str = ""
    seconds: float = 0.0


# How long the client waits, and what a wait that ends without a message means (the JupyterHub test once failed with
# "WebSocketTimeoutException: Connection timed out" while a learner's new kernel started on a loaded machine: the
# handshake then shared the 30 s timeout of every read).
CONNECT_TIMEOUT = 120.0  # the handshake: Jupyter Server answers it once the new kernel has answered kernel_info, or
# after its own kernel_info_timeout (60 s) at the latest; a kernel starting on a busy machine takes tens of seconds
POLL = 5.0  # one read's wait: a read that times out means "no message yet" (a cell may be silent for minutes)
PING_TIMEOUT = 60.0  # a websocket ping unanswered this long (no frame at all came back): the connection is dead


RECONNECTS = 3  # per cell: a connection lost more often than this while one cell runs is a real failure


class KernelConnectionLost(ConnectionError):
    """The kernel's websocket was closed or stopped answering pings: no cell can run on it any more.

    `recoverable`: the connection dropped (closed, reset) rather than hung, so a new one may be opened."""

    def __init__(self, message: str, recoverable: bool = True):
        super().__init__(message)
        self.recoverable = recoverable


class KernelChannel:
    """One websocket to a kernel (`…/api/kernels/ID/channels`, Jupyter's JSON protocol), as a browser tab holds.

    A silent cell, a dead kernel and a dead connection are three different things here: reads wait `poll` seconds
    at a time until the cell's own deadline (a read that times out is "nothing yet"); while nothing comes, the
    channel pings the server, and only a ping left unanswered for `ping_timeout` seconds, or a closed connection,
    raises KernelConnectionLost; a kernel that dies (the server says "restarting" or "dead") fails its cell at once.

    A connection that drops while a cell runs is opened again, as JupyterLab does: with the same `session_id`, so
    Jupyter Server replays what the kernel sent meanwhile (MappingKernelManager's buffering); a `kernel_info`
    probe, answered after the cell's own reply (a kernel answers its shell requests in order), then tells whether
    the request had reached the kernel (else it is sent again) or its reply was lost with the old connection (an
    error that says so). At most `reconnects` times per cell; a server that stops answering is not reconnected to.
    """

    def __init__(
        self,
        ws_url: str,
        headers: dict,
        username: str = "learner",
        connect_timeout: float = CONNECT_TIMEOUT,
        poll: float = POLL,
        ping_timeout: float = PING_TIMEOUT,
        reconnects: int = RECONNECTS,
    ):
        parts = urlsplit(ws_url)
        query = dict(parse_qsl(parts.query))
        self.session_id = query.setdefault("session_id", uuid.uuid4().hex)  # JupyterLab's client id, in the URL
        self.url = urlunsplit(parts._replace(query=urlencode(query)))
        self.headers, self.username, self.connect_timeout = headers, username, connect_timeout
        self.poll, self.ping_timeout, self.max_reconnects = poll, ping_timeout, reconnects
        self.reconnects = 0  # connections opened again over the channel's life
        started = time.monotonic()
        self.ws = self._connect(connect_timeout)
        self.connect_seconds = round(time.monotonic() - started, 2)  # the kernel's start, mostly
        self._heard = time.monotonic()  # the last frame from the server: a message, a ping or a pong
        self._pinged: float | None = None  # when the ping still unanswered went out
        self._restarted = False  # the kernel died under a cell: the next cell waits until the new one is heard

    def _connect(self, timeout: float):
        import websocket  # websocket-client, a dependency of jupyter_server

        header = [f"{k}: {v}" for k, v in self.headers.items()]
        return websocket.create_connection(self.url, header=header, timeout=timeout)

    def reconnect(self, deadline: float) -> None:
        """A new websocket in place of a dropped one (same session_id): a few tries, a second or two apart."""
        import websocket

        try:
            self.ws.close(timeout=1)
        except (websocket.WebSocketException, OSError):
            pass
        last: Exception | None = None
        for wait in (0.5, 2.0, 4.0):
            time.sleep(wait)
            left = min(self.connect_timeout, deadline - time.monotonic())
            if left <= 0:
                break
            try:
                self.ws = self._connect(left)
            except (websocket.WebSocketException, OSError) as e:
                last = e
                continue
            self.reconnects += 1
            self._heard, self._pinged = time.monotonic(), None
            return
        raise KernelConnectionLost(
            f"the kernel's websocket is lost and could not be opened again: {type(last).__name__}: {last}",
            recoverable=False,
        )

    def _send(self, payload: str = "", ping: bool = False) -> None:
        """A message (or a ping); a send that cannot go out within `ping_timeout` is a lost connection too."""
        import websocket

        self.ws.settimeout(self.ping_timeout)
        try:
            if ping:
                self.ws.ping()
            else:
                self.ws.send(payload)
        except (websocket.WebSocketException, OSError) as e:
            raise KernelConnectionLost(f"the kernel's websocket is lost: {type(e).__name__}: {e}") from e

    def _receive(self, wait: float) -> dict | None:
        """The next kernel message, or None when none came within `wait` seconds (not an error)."""
        import websocket

        self.ws.settimeout(max(0.05, wait))
        try:
            opcode, data = self.ws.recv_data(control_frame=True)
        except websocket.WebSocketTimeoutException:
            self._still_there()
            return None
        except (websocket.WebSocketException, OSError) as e:
            raise KernelConnectionLost(f"the kernel's websocket is lost: {type(e).__name__}: {e}") from e
        self._heard, self._pinged = time.monotonic(), None
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
            why = data[2:].decode(errors="replace")
            raise KernelConnectionLost(
                f"the server closed the kernel's websocket (code {code}{', ' + why if why else ''})"
            )
        if opcode != websocket.ABNF.OPCODE_TEXT:
            return None  # a ping (answered by websocket-client), a pong, a message with binary buffers
        return json.loads(data)

    def _still_there(self) -> None:
        """Nothing came within one read: ping the server, or give up if the last ping went unanswered too long."""
        now = time.monotonic()
        if self._pinged is None:
            self._pinged = now
            self._send(ping=True)
        elif now - self._pinged > self.ping_timeout:
            raise KernelConnectionLost(
                f"the server answered no websocket ping for {now - self._pinged:.0f} s "
                f"(last heard {now - self._heard:.0f} s ago)",
                recoverable=False,
            )

    def execute(self, code: str, timeout: float = 300) -> Execution:
        """Run `code` as a cell; wait for its reply and for the kernel to go idle, until `timeout` seconds.

        Raises KernelConnectionLost when the websocket closes or stops answering and cannot be resumed (see the
        class); a kernel that dies while the cell runs makes an "error" Execution (ename "DeadKernel")."""
        if self._restarted:
            self.wait_ready(timeout)
        msg = _message(self.session_id, code, self.username)
        started = time.monotonic()
        deadline, out = started + timeout, Execution("ok")
        text, replied, idle, seen = [], False, False, False
        to_send, probes, lost = True, set(), 0
        while not (replied and idle):
            left = deadline - time.monotonic()
            if left <= 0:
                out.status, out.evalue = "timeout", f"no reply within {timeout:.0f} s"
                break
            try:
                if to_send:
                    self._send(json.dumps(msg))
                    to_send = False
                reply = self._receive(min(self.poll, left))
            except KernelConnectionLost as e:
                if not e.recoverable or lost >= self.max_reconnects:
                    raise
                lost += 1
                self.reconnect(deadline)
                probe = _message(self.session_id, "", self.username)
                probe["header"]["msg_type"], probe["content"] = "kernel_info_request", {}
                probes.add(probe["header"]["msg_id"])
                to_send = False
                self._send(json.dumps(probe))
                continue
            if reply is None:
                continue
            kind, content = reply["header"]["msg_type"], reply["content"]
            parent = reply.get("parent_header", {}).get("msg_id")
            if kind == "status" and content.get("execution_state") in ("restarting", "dead"):
                # the server's own message (no parent): the kernel process died; this cell will never be answered
                out.status, out.ename, self._restarted = "error", "DeadKernel", True
                out.evalue = f"the kernel died while the cell ran (the server says {content['execution_state']!r})"
                break
            if parent in probes:
                if kind == "kernel_info_reply" and not replied:
                    # answered after this cell's reply would have been: the request, or its reply, was lost
                    if seen:
                        raise KernelConnectionLost(
                            "the cell ran, but its reply was lost with the kernel's dropped websocket", False
                        )
                    to_send = True  # it never reached the kernel: send it again
                elif kind == "status" and content.get("execution_state") == "idle" and replied:
                    idle = True  # the probe's own "idle" comes after this cell's (iopub is in order)
                continue
            if parent != msg["header"]["msg_id"]:
                continue
            seen = True
            if kind == "stream":
                text.append(content.get("text", ""))
            elif kind in ("execute_result", "display_data"):
                text.append(content.get("data", {}).get("text/plain", ""))
            elif kind == "error":
                out.status, out.ename, out.evalue = "error", content.get("ename", ""), content.get("evalue", "")
                out.traceback = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(content.get("traceback", [])))
            elif kind == "execute_reply":
                replied = True
                if content.get("status") == "error" and out.status == "ok":
                    out.status, out.ename, out.evalue = "error", content.get("ename", ""), content.get("evalue", "")
            elif kind == "status" and content.get("execution_state") == "idle":
                idle = True
        out.text, out.seconds = "".join(text), round(time.monotonic() - started, 2)
        return out

    def wait_ready(self, timeout: float = 60) -> None:
        """Until the kernel answers on its output channel too. After a (re)start, output the kernel sends before
        the server has subscribed to the new kernel's iopub socket is lost (ZeroMQ's slow joiner: a cell would
        seem to print nothing), so ask `kernel_info` until its status message comes back, as JupyterLab does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = _message(self.session_id, "", self.username)
            msg["header"]["msg_type"], msg["content"] = "kernel_info_request", {}
            self._send(json.dumps(msg))
            until = min(deadline, time.monotonic() + 1.0)
            while (left := until - time.monotonic()) > 0:
                reply = self._receive(min(self.poll, left))
                if (
                    reply
                    and reply.get("channel") == "iopub"
                    and reply.get("parent_header", {}).get("msg_id") == (msg["header"]["msg_id"])
                ):
                    self._restarted = False
                    return
        raise KernelConnectionLost(f"the restarted kernel sent no output within {timeout:.0f} s")

    def close(self) -> None:
        self.ws.close()


def code_cells(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text())["cells"]
    return [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in cells
        if c["cell_type"] == "code"
    ]


def run_notebook(
    server: JupyterServer, session: dict, notebook: Path, cell_timeout: float = 300, stop_on_error: bool = True
) -> list[CellRun]:
    """Execute the notebook's code cells in the session's kernel, in order, as "Run All Cells" does."""
    channel = KernelChannel(server.kernel_ws_url(session["kernel"]["id"], uuid.uuid4().hex), server._auth())
    runs: list[CellRun] = []
    try:
        for i, code in enumerate(code_cells(notebook)):
            if not code.strip():
                continue
            done = channel.execute(code, cell_timeout)
            error = f"{done.ename}: {done.evalue}" if done.status == "error" else done.evalue
            runs.append(CellRun(i, done.seconds, done.status, error if done.status != "ok" else ""))
            if done.status != "ok" and stop_on_error:
                break
    finally:
        channel.close()
    return runs
