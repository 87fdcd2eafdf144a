"""tools.remote_kernel.KernelChannel against a real Jupyter server and real kernels: what a wait means.

The JupyterHub test once failed with `WebSocketTimeoutException: Connection timed out` (no cell named: it came from
opening a learner's kernel, not from a cell). Jupyter Server answers a kernel websocket's handshake only once the new
kernel has answered `kernel_info` (jupyter_server's ZMQChannelsWebsocketConnection.prepare, bounded by its
kernel_info_timeout of 60 s), so the handshake lasts as long as the kernel's start: tens of seconds on a loaded
machine, where the client gave it the 30 s timeout of a read. Here a kernel that takes seconds to start (a real
ipykernel behind `sleep`, as on a busy machine) is waited for although one read waits less; and a silent cell, a dead
kernel, a closed connection and a server that stops answering are told apart, each in seconds.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT

from course_hub.net import free_port
from tools.remote_kernel import JupyterServer, KernelChannel, KernelConnectionLost

pytestmark = pytest.mark.slow  # Jupyter servers and kernels

START_DELAY = 4.0  # the slow kernel's start: longer than a read's wait (POLL below), as a start under load is


class Server:
    """A Jupyter server (base_url /user/learner/, as on JupyterHub) with the kernels `python3` and `slow`."""

    def __init__(self, tmp: Path):
        spec = tmp / "data" / "kernels" / "slow"
        spec.mkdir(parents=True)
        launch = f'sleep {START_DELAY}; exec "$0" -m ipykernel_launcher -f "$1"'
        argv = ["sh", "-c", launch, sys.executable, "{connection_file}"]
        (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "slow", "language": "python"}))
        (tmp / "notebooks").mkdir()
        port, token = free_port(first=9020), secrets.token_hex(8)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JPY_", "JUPYTER", "MEM_LIMIT"))}
        env.update(
            JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
            JUPYTER_DATA_DIR=str(tmp / "data"),
            IPYTHONDIR=str(tmp / "ipython"),
            PYTHONPATH=str(ROOT),
        )
        self.log = tmp / "server.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "jupyter",
                    "server",
                    "--no-browser",
                    f"--port={port}",
                    "--ServerApp.ip=127.0.0.1",
                    f"--IdentityProvider.token={token}",
                    "--ServerApp.base_url=/user/learner/",
                    f"--ServerApp.root_dir={tmp / 'notebooks'}",
                    "--allow-root",
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.api = JupyterServer(f"http://127.0.0.1:{port}/user/learner/", token)
        try:
            self.api.wait_ready(self.proc, timeout=60)
        except RuntimeError as e:
            self.stop()
            raise AssertionError(f"{e}\n{self.log.read_text()}") from None

    def channel(self, name: str, kernel: str = "python3", **kw) -> KernelChannel:
        session = self.api.open_session(name, kernel)
        self.kernel_id = session["kernel"]["id"]
        url = self.api.kernel_ws_url(self.kernel_id, session["id"])
        return KernelChannel(url, self.api._auth(), poll=POLL, **kw)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.send_signal(signal.SIGTERM)  # the server shuts its kernels down (they run in their own sessions)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


POLL = 0.5  # one read's wait, short so that a wrong "timed out" would show within the test's seconds


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path)
    try:
        yield s
    finally:
        s.stop()


def test_a_kernel_slow_to_start_is_waited_for_and_a_silent_cell_is_not_an_error(server):
    channel = server.channel("slow.ipynb", kernel="slow")
    try:
        # the handshake took the kernel's start, far longer than a read's wait, and did not time out
        assert channel.connect_seconds >= START_DELAY > 4 * POLL, channel.connect_seconds
        done = channel.execute("import time\ntime.sleep(3)\nprint('still here')", timeout=60)
        assert (done.status, done.text) == ("ok", "still here\n"), done
        assert done.seconds >= 3  # six reads in a row came back empty: "nothing yet", not a dead connection
    finally:
        channel.close()


def test_a_kernel_that_dies_fails_its_cell_at_once(server):
    channel = server.channel("dies.ipynb")
    try:
        done = channel.execute("import os\nos._exit(1)", timeout=120)
        assert (done.status, done.ename) == ("error", "DeadKernel"), done
        assert done.seconds < 60, "the server's restart message ends the cell, not its timeout"
        assert channel.execute("print('restarted')", timeout=60).text == "restarted\n", "the same websocket goes on"
    finally:
        channel.close()


def test_a_closed_connection_is_not_a_silent_cell(server):
    channel = server.channel("closed.ipynb")
    try:
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)  # the server stops (its kernels too) while the cell is silent
        with pytest.raises(KernelConnectionLost, match="closed|lost"):
            channel.execute("import time\ntime.sleep(300)", timeout=600)
        assert time.monotonic() - started < 60, "the server's stop ends the wait, not the cell or its timeout"
    finally:
        channel.close()


def test_a_server_that_stops_answering_is_a_dead_connection(server):
    channel = server.channel("hung.ipynb", ping_timeout=2)
    try:
        server.proc.send_signal(signal.SIGSTOP)  # the connection stays open, nothing answers on it
        started = time.monotonic()
        with pytest.raises(KernelConnectionLost, match="answered no websocket ping"):
            channel.execute("print('never answered')", timeout=120)
        assert time.monotonic() - started < 30
    finally:
        server.proc.send_signal(signal.SIGCONT)
        channel.close()


COUNTED = "n = globals().get('n', 0) + 1\nprint('run', n, flush=True)\n"  # prints how often the cell ran


def test_a_connection_dropped_under_a_running_cell_is_opened_again_and_nothing_is_lost(server):
    """The JupyterHub test once lost a learner's websocket mid-cell ("Connection to remote host was lost"): the
    channel opens it again with the same session_id and Jupyter Server replays what the kernel printed meanwhile."""
    channel = server.channel("dropped.ipynb")
    try:
        dropper = threading.Timer(1.5, lambda: channel.ws.sock.shutdown(socket.SHUT_RDWR))
        dropper.start()
        done = channel.execute(COUNTED + "import time\ntime.sleep(4)\nprint('after the drop')", timeout=120)
        dropper.join()
        assert (done.status, done.text) == ("ok", "run 1\nafter the drop\n"), done
        assert channel.reconnects == 1
        assert channel.execute("print('next cell')", timeout=60).text == "next cell\n"
    finally:
        channel.close()


def test_a_request_lost_with_the_connection_is_sent_again_once(server):
    channel = server.channel("unsent.ipynb")
    try:
        channel.ws.sock.shutdown(socket.SHUT_RDWR)  # the request cannot go out: it never reaches the kernel
        done = channel.execute(COUNTED, timeout=120)
        assert (done.status, done.text, channel.reconnects) == ("ok", "run 1\n", 1), done
    finally:
        channel.close()


def test_a_connection_that_keeps_dropping_fails_the_cell(server):
    channel = server.channel("flaky.ipynb", reconnects=0)
    try:
        channel.ws.sock.shutdown(socket.SHUT_RDWR)
        with pytest.raises(KernelConnectionLost, match="lost"):
            channel.execute("print('never')", timeout=60)
    finally:
        channel.close()
