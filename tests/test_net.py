"""course_hub/net.py: free ports, the probe, the wait loop and server.json (the servers that use them have their own
real-client tests: test_hub_cli, test_spaces_runtime, test_kernels)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from course_hub import net


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        status, body = {
            "/api/health": (200, json.dumps({"service": "course-hub"}).encode()),
            "/other/api/health": (200, b'{"service": "something else"}'),
            "/broken": (503, b""),
            "/missing": (404, b""),
        }.get(self.path, (200, b"hello"))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def url():
    srv = ThreadingHTTPServer((net.LOOPBACK, net.free_port()), _Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://{net.LOOPBACK}:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_free_port_is_free_and_counts_up_from_first():
    port = net.free_port()
    with socket.socket() as s:
        s.bind((net.LOOPBACK, port))
        nxt = net.free_port(first=port)  # taken: a later one (not always port + 1: other processes take ports too)
        assert nxt > port
        with socket.socket() as t:
            t.bind((net.LOOPBACK, nxt))


def test_answers(url):
    assert net.answers(url + "/") and net.answers(url + "/missing")  # any status below 500
    assert not net.answers(url + "/broken")
    assert net.answers(url, hub=True) and net.answers(url + "/", hub=True)
    assert not net.answers(url + "/other", hub=True) and not net.answers(url + "/missing", hub=True)
    assert not net.answers(f"http://{net.LOOPBACK}:{net.free_port()}/", timeout=0.5)


def test_wait_until_up(url, tmp_path):
    assert net.wait_until_up(url, hub=True, timeout=5) >= 0
    log = tmp_path / "app.log"
    log.write_text("the app said goodbye")
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    down = f"http://{net.LOOPBACK}:{net.free_port()}/"
    with pytest.raises(net.NotUp, match="exited with code 0:\nthe app said goodbye") as e:
        net.wait_until_up(down, proc, timeout=5, log_path=log, what="the app")
    assert e.value.reason == "exited" and isinstance(e.value, RuntimeError)
    with pytest.raises(net.NotUp, match="did not answer within 0s") as e:
        net.wait_until_up(down, timeout=0.2, probe_timeout=0.2)
    assert e.value.reason == "timeout"
    with pytest.raises(net.Cancelled):
        net.wait_until_up(down, timeout=5, cancelled=lambda: True)


def test_server_info_round_trip(tmp_path):
    path = tmp_path / "server.json"
    info = net.ServerInfo(pid=123, url="http://127.0.0.1:9000", host="0.0.0.0", port=9000, classroom=True)
    info.write(path)
    assert json.loads(path.read_text()) == {
        "pid": 123,
        "url": "http://127.0.0.1:9000",
        "host": "0.0.0.0",
        "port": 9000,
        "classroom": True,
        "lean": False,
    }  # the file's shape is what notebooks and older tools read
    assert net.ServerInfo.read(path) == info and info.loopback_url == "http://127.0.0.1:9000"
    assert info["pid"] == 123 and info.get("lean") is False
    assert net.ServerInfo.read(tmp_path / "none.json") is None
    for bad in ("{", "[]", '{"url": "x"}', '{"pid": "x", "url": "y"}'):
        path.write_text(bad)
        assert net.ServerInfo.read(path) is None, bad
    assert not net.ServerInfo(pid=2**22 + 7, url="http://127.0.0.1:1").alive()
