"""A classroom's Spaces (issue 26): 30 learners each push their own small Gradio Space with the real HfApi and call it
through the hub with the real gradio_client, a few at a time as a room does. The hub runs them sandboxed (each in a
network of its own where the machine allows), at most MAX_SPACES at once: the least recently used go to sleep and
wake on the next request. 0 errors; nothing of theirs runs once the hub stops.

The cheapest app that is still a Gradio Space (gradio only, no model), started from the hub's warm interpreter where
one waits; its time is printed (a loaded 2-core machine: a few minutes).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time

import psutil
import pytest
from conftest import ROOT, start_server, stop_server
from huggingface_hub import CommitOperationAdd, HfApi

from course_hub import HubDir
from course_hub.net import free_port
from course_hub.spaces.sandbox import probe

pytestmark = [
    pytest.mark.room,  # make test-room runs it alone (it is in make test-hub too)
    pytest.mark.slow,
    pytest.mark.serial,  # 30 Gradio apps: the whole machine
    pytest.mark.skipif(probe() is not None, reason=f"no sandbox here: {probe()} (CI installs bubblewrap)"),
]

LEARNERS, MAX_SPACES, AT_ONCE = 30, 4, 2

APP = """import os
import gradio as gr

gr.Interface(lambda s: f"{os.environ['SPACE_AUTHOR_NAME']}: {s}", "text", "text", api_name="echo").launch()
"""
README = b"---\ntitle: My Space\nsdk: gradio\napp_file: app.py\n---\n"

# one client process for the room (gradio_client reads HF_ENDPOINT at import), a thread per learner at a time
CLIENTS = r"""
import json, sys, time
from concurrent.futures import ThreadPoolExecutor
from gradio_client import Client

seats, at_once = json.loads(sys.argv[1]), int(sys.argv[2])

def call(seat):
    started = time.monotonic()
    try:
        out = Client(seat["repo"], token=seat["token"], verbose=False).predict("hello", api_name="/echo")
        return {"repo": seat["repo"], "out": out, "s": round(time.monotonic() - started, 1)}
    except Exception as e:
        return {"repo": seat["repo"], "error": f"{type(e).__name__}: {e}", "s": round(time.monotonic() - started, 1)}

with ThreadPoolExecutor(at_once) as pool:
    print("OUT=" + json.dumps(list(pool.map(call, seats))), flush=True)
"""


def clients(url: str, hf_home: str, seats: list[dict], at_once: int) -> list[dict]:
    env = {**os.environ, "HF_ENDPOINT": url, "HF_HOME": hf_home, "GRADIO_ANALYTICS_ENABLED": "False"}
    proc = subprocess.run(
        [sys.executable, "-c", CLIENTS, json.dumps(seats), str(at_once)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("OUT=")]
    assert lines, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(lines[-1][4:])


def run_log(hub_dir, repo_id: str) -> str:
    """The last lines of a Space's run log (what the hub and the app said)."""
    try:
        text = (HubDir(hub_dir).spaces_dir / ".logs" / f"{repo_id.replace('/', '--')}.log").read_text(errors="replace")
    except OSError as e:
        return f"{repo_id}: no run log ({e})"
    return f"{repo_id}:\n" + "\n".join(text.splitlines()[-25:])


def test_thirty_learners_push_and_run_their_own_spaces(tmp_path):
    started = time.monotonic()
    hub_dir, port = tmp_path / "hub", free_port()
    url = f"http://127.0.0.1:{port}"
    subprocess.run(
        [sys.executable, "-m", "course_hub", "classroom", "roster", str(LEARNERS), "--url", url, "--hub-dir", hub_dir],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    seats = list(csv.DictReader((hub_dir / "classroom" / "token-sheet.csv").open()))
    assert len(seats) == LEARNERS
    env = {"COURSE_HUB_MAX_SPACES": str(MAX_SPACES), "COURSE_HUB_SPACE_SANDBOX": "on"}
    log = tmp_path / "server.log"
    proc, _ = start_server(hub_dir, port, log, env=env, args=("--classroom", "--host", "127.0.0.1"))
    try:
        assert "Spaces run sandboxed" in log.read_text()
        room = []
        for seat in seats:  # each learner pushes their own Space with their own token
            api = HfApi(endpoint=url, token=seat["token"])
            repo_id = f"{seat['user']}/my-space"
            api.create_repo(repo_id, repo_type="space", space_sdk="gradio")
            api.create_commit(
                repo_id,
                [CommitOperationAdd("README.md", README), CommitOperationAdd("app.py", APP.encode())],
                commit_message="my Space",
                repo_type="space",
            )
            room.append({"repo": repo_id, "token": seat["token"], "user": seat["user"]})
        pushed = time.monotonic()
        # every learner calls their Space, a few at a time; then the first two again: asleep by now, woken
        answers = clients(url, str(tmp_path / "hf-home"), room + room[:2], AT_ONCE)
        errors = [a for a in answers if "error" in a or a["out"] != f"{a['repo'].split('/')[0]}: hello"]
        refused = [line for line in log.read_text().splitlines() if "503 " in line or "error while serving" in line]
        if refused:  # the app route's 503s and the hub's errors, with their reasons (the log says why)
            print("\nthe hub said:\n" + "\n".join(refused[-40:]))
        assert not errors, (errors, refused[-40:], [run_log(hub_dir, a["repo"]) for a in errors[:3]])
        api = HfApi(endpoint=url, token=seats[0]["token"])
        stages = [api.space_info(s["repo"]).runtime.stage for s in room]
        assert stages.count("RUNNING") <= MAX_SPACES and stages[0] == "RUNNING", stages
        slept = "".join(api.fetch_space_logs(room[2]["repo"], build=True))
        assert f"at most {MAX_SPACES} Spaces run at a time" in slept, slept
        said = [a["s"] for a in answers]
        print(
            f"\n{LEARNERS} learners: pushed in {pushed - started:.0f} s, every Space answered in "
            f"{time.monotonic() - pushed:.0f} s (a learner's call: median {sorted(said)[len(said) // 2]:.1f} s, "
            f"slowest {max(said):.1f} s)"
        )
    finally:
        procs = psutil.Process(proc.pid).children(recursive=True) if proc.poll() is None else []
        stop_server(proc)
    deadline = time.monotonic() + 15
    while (left := [p for p in procs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.2)
    for p in left:
        p.kill()
    assert not left, f"processes left after the hub stopped: {[(p.pid, p.cmdline()) for p in left]}"
    spaces = HubDir(hub_dir).spaces_dir
    assert not list(spaces.glob(".warm-*")) and not (spaces / "stages.json").exists()
