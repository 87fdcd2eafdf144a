"""Ports, probes and `server.json`: what everything that starts, finds or waits for a server on this machine uses.

    DEFAULT_PORT                     the course hub's port (`course-hub serve`, notebooks, JupyterHub's service)
    free_port(host, first)           a port nobody listens on
    answers(url, hub=False)          does url answer (any status below 500; hub=True: `{url}/api/health` is ours)
    wait_until_up(url, proc, ...)    poll `answers` until it does, the process exits or the time runs out
    ServerInfo.read(path) / write    the record a running `course-hub serve` keeps in its hub dir

Layer 0: the standard library only (servers, Spaces, helpers, tools and tests sit above it).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

DEFAULT_PORT = 8765
LOOPBACK = "127.0.0.1"
SERVICE = "course-hub"  # what a course hub's /api/health says it is

_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy


def free_port(host: str = LOOPBACK, first: int | None = None) -> int:
    """A port nobody listens on: any (the OS picks), or the first free one from `first` on."""
    for port in [0] if first is None else range(first, first + 50):
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError(f"no free port in {first}..{first + 49}")


def answers(url: str, timeout: float = 2.0, *, hub: bool = False) -> bool:
    """True when a GET of url answers with a status below 500 (no proxy: the server is on this machine). `hub`:
    url is a course hub's root and its `/api/health` must answer 200 with `{"service": "course-hub"}`."""
    try:
        with _direct.open(f"{url.rstrip('/')}/api/health" if hub else url, timeout=timeout) as r:
            return json.load(r).get("service") == SERVICE if hub else r.status < 500
    except urllib.error.HTTPError as e:
        return not hub and e.code < 500
    except (OSError, ValueError, AttributeError):
        return False


class NotUp(RuntimeError):
    """`wait_until_up` gave up: `reason` is "exited" (the process ended first) or "timeout"."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


class Cancelled(Exception):
    """`wait_until_up`'s `cancelled()` said stop (a Space stopped while it was starting)."""


def wait_until_up(
    url: str,
    proc: subprocess.Popen | None = None,
    timeout: float = 30,
    *,
    hub: bool = False,
    log_path: Path | str | None = None,
    interval: float = 0.05,
    probe_timeout: float = 1.0,
    cancelled: Callable[[], bool] | None = None,
    what: str = "the server",
) -> float:
    """Poll `answers(url, hub=hub)` until it is true; return the seconds it took. Raises `NotUp` (a RuntimeError,
    with the end of `log_path`) when `proc` exits first or `timeout` passes, `Cancelled` when `cancelled()` is true."""
    started = time.monotonic()

    def tail() -> str:
        try:
            return ":\n" + Path(log_path).read_text(errors="replace")[-3000:] if log_path else ""
        except OSError:
            return ""

    while True:
        if cancelled is not None and cancelled():
            raise Cancelled(url)
        if proc is not None and proc.poll() is not None:
            raise NotUp(f"{what} exited with code {proc.returncode}{tail()}", "exited")
        if answers(url, timeout=probe_timeout, hub=hub):
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise NotUp(f"{what} at {url} did not answer within {timeout:.0f}s{tail()}", "timeout")
        time.sleep(interval)


@dataclass(frozen=True)
class ServerInfo:
    """`server.json`: the course hub serving a hub dir (written by `course-hub serve`, removed when it stops)."""

    pid: int
    url: str
    host: str = LOOPBACK
    port: int = DEFAULT_PORT
    classroom: bool = False
    lean: bool = False  # a small machine: SIGUSR1 releases idle Spaces and inference

    @property
    def loopback_url(self) -> str:
        """The server's address from this machine (whatever host it listens on)."""
        return f"http://{LOOPBACK}:{self.port}"

    @classmethod
    def read(cls, path: Path | str) -> ServerInfo | None:
        """The record in `path`, or None when there is none or it is not one."""
        try:
            d = json.loads(Path(path).read_text())
            return cls(
                pid=int(d["pid"]),
                url=str(d["url"]),
                host=str(d.get("host", LOOPBACK)),
                port=int(d.get("port", DEFAULT_PORT)),
                classroom=bool(d.get("classroom", False)),
                lean=bool(d.get("lean", False)),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def write(self, path: Path | str) -> None:
        """Atomically (a reader never sees half a file)."""
        path = Path(path)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self)))
        os.replace(tmp, path)

    def alive(self) -> bool:
        """Its process exists and it answers as a course hub."""
        try:
            os.kill(self.pid, 0)
        except OSError:
            return False
        return answers(self.url, hub=True)

    # read like the dict `running_server` used to return (tools and notebooks index it)
    def __getitem__(self, key: str):
        return getattr(self, key)

    def get(self, key: str, default=None):
        return getattr(self, key, default)
