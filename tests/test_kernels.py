"""helpers.kernels: on a small machine a course notebook's setup shuts down the course's other idle kernels.

A real Jupyter server (with a base_url, as on JupyterHub and Binder) and real kernels; notebooks are driven over the
kernel websocket as a browser tab drives them (tools/remote_kernel.py).
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

import pytest
from conftest import ROOT

from course_hub.net import free_port
from tools.remote_kernel import JupyterServer, run_notebook


def notebook(path: Path, *cells: str) -> Path:
    path.write_text(
        json.dumps(
            {
                "cells": [
                    {"cell_type": "code", "source": c, "metadata": {}, "outputs": [], "execution_count": None}
                    for c in cells
                ],
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )
    return path


@pytest.fixture
def jupyter(tmp_path):
    """A Jupyter server over tmp_path/notebooks whose kernels believe the machine has 2 GB (MEM_LIMIT)."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    port, token = free_port(first=8990), secrets.token_hex(8)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JPY_", "JUPYTER", "COURSE_KEEP"))}
    env.update(
        MEM_LIMIT=str(2 * 2**30),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTER_DATA_DIR=str(tmp_path / "data"),
        IPYTHONDIR=str(tmp_path / "ipython"),
        PYTHONPATH=str(ROOT),
    )
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
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
            f"--ServerApp.root_dir={folder}",
            "--allow-root",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = JupyterServer(f"http://127.0.0.1:{port}/user/learner/", token)
    try:
        try:
            server.wait_ready(proc, timeout=60)
        except RuntimeError as e:
            raise AssertionError(f"{e}\n{(tmp_path / 'server.log').read_text()}") from None
        yield server, folder
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


FREE = "from helpers import kernels\nfreed = kernels.free_idle_course_kernels()\nprint(freed)"


def open_and_run(server, folder, name, *cells):
    session = server.open_session(name)
    runs = run_notebook(server, session, notebook(folder / name, *cells))
    assert [r.status for r in runs] == ["ok"] * len(runs), runs
    return session


def alive(server) -> dict[str, str]:
    return {s["path"]: s["kernel"]["execution_state"] for s in server.sessions()}


def test_setup_frees_the_other_idle_course_kernels_only(jupyter):
    server, folder = jupyter
    open_and_run(server, folder, "00_welcome.ipynb", "x = 1")
    open_and_run(server, folder, "my_notes.ipynb", "y = 2")  # not a course notebook: kept
    busy = server.open_session("02_busy.ipynb")  # a cell still running: kept
    import threading

    slow = notebook(folder / "02_busy.ipynb", "import time; time.sleep(10)")
    runner = threading.Thread(target=run_notebook, args=(server, busy, slow), daemon=True)
    runner.start()
    deadline = time.monotonic() + 20
    while alive(server).get("02_busy.ipynb") != "busy":
        assert time.monotonic() < deadline, alive(server)
        time.sleep(0.2)

    open_and_run(
        server,
        folder,
        "01_hub_models.ipynb",
        FREE,
        "assert freed == ['00_welcome.ipynb'], freed",
        "print(kernels.report(freed))",
    )
    sessions = alive(server)
    assert "00_welcome.ipynb" not in sessions
    assert {"my_notes.ipynb", "02_busy.ipynb", "01_hub_models.ipynb"} <= set(sessions)
    runner.join(30)


def test_nothing_is_freed_when_the_learner_says_so_or_the_machine_is_big(jupyter):
    server, folder = jupyter
    open_and_run(server, folder, "00_welcome.ipynb", "x = 1")
    ram_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    big = "os.environ['MEM_LIMIT'] = str(64 * 2**30)\n" + FREE + "\nassert freed == [] and not kernels.small_machine()"
    open_and_run(
        server,
        folder,
        "01_hub_models.ipynb",
        "import os\nos.environ['COURSE_KEEP_KERNELS'] = '1'\n" + FREE,
        "assert freed == []",
        "del os.environ['COURSE_KEEP_KERNELS']",
        *([big] if ram_mb > 6144 else []),
    )  # a big machine (by MEM_LIMIT and RAM) keeps every kernel
    assert {"00_welcome.ipynb", "01_hub_models.ipynb"} <= set(alive(server))


def test_memory_limit_reads_binder_and_cgroup_limits(monkeypatch):
    from helpers import kernels

    monkeypatch.delenv("COURSE_MEMORY_LIMIT_MB", raising=False)
    monkeypatch.setenv("MEM_LIMIT", str(2 * 2**30))
    assert kernels.memory_limit_mb() == 2048 and kernels.small_machine()
    monkeypatch.setenv("MEM_LIMIT", str(512 * 2**30))
    monkeypatch.setenv("COURSE_MEMORY_LIMIT_MB", "3000")
    assert kernels.memory_limit_mb() == 3000
    monkeypatch.delenv("COURSE_MEMORY_LIMIT_MB")
    limit = kernels.memory_limit_mb()
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    assert limit <= ram  # never more than the machine has


def test_outside_a_jupyter_server_nothing_happens():
    from helpers import kernels

    assert kernels.free_idle_course_kernels(force=True) == []  # pytest is no kernel
