"""Classroom mode end to end: a roster and token sheet, a LAN hub that refuses anonymous requests, learners who
sign in with one setting (their sheet line in COURSE_HUB_URL), demo tokens, and the instructor's report."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, start_server, stop_server
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from course_hub import HubDir
from course_hub.net import ServerInfo, free_port
from course_hub.spaces.sandbox import probe

CLI = [sys.executable, "-m", "course_hub"]


def cli(hub_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args, "--hub-dir", str(hub_dir)], cwd=ROOT, capture_output=True, text=True, check=True
    )


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    """A small hub with the demo users and a gated repo, a roster of three, served with --classroom."""
    from course_hub.hub import Hub

    hub_dir = tmp_path_factory.mktemp("classroom") / "hub"
    hub = Hub(hub_dir)
    for user in ("instructor", "alice"):
        hub.store.ensure_user(user, user)
    hub.store.ensure_user("hf-hands-on", "hf-hands-on", is_org=True)
    hub.store.add_member("hf-hands-on", "instructor", "admin")
    hub.create_repo("model", "hf-hands-on/gated-demo", gated="manual")
    hub.commit("model", "hf-hands-on/gated-demo", "main", {"config.json": b"{}"}, "init", "instructor")
    hub.create_repo("model", "hf-hands-on/open-demo")
    hub.commit("model", "hf-hands-on/open-demo", "main", {"config.json": b"{}"}, "init", "instructor")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    roster = cli(hub_dir, "classroom", "roster", "3", "--url", url)
    proc, _ = start_server(hub_dir, port, hub_dir.parent / "server.log", args=("--classroom",))
    seats = list(csv.DictReader((hub_dir / "classroom" / "token-sheet.csv").open()))
    yield {
        "dir": hub_dir,
        "url": url,
        "seats": seats,
        "roster_out": roster.stdout,
        "log": hub_dir.parent / "server.log",
    }
    stop_server(proc)


def test_roster_prints_a_sheet_line_per_learner(room):
    assert [s["user"] for s in room["seats"]] == ["learner01", "learner02", "learner03"]
    for seat in room["seats"]:
        assert seat["COURSE_HUB_URL"] == f"http://{seat['user']}:{seat['token']}@{room['url'][7:]}"
        assert f"%env COURSE_HUB_URL={seat['COURSE_HUB_URL']}" in room["roster_out"]
    assert oct((room["dir"] / "classroom" / "token-sheet.csv").stat().st_mode & 0o777) == "0o600"


def test_serve_classroom_binds_the_lan_and_prints_join_instructions(room):
    info = ServerInfo.read(HubDir(room["dir"]).server_file)
    assert info.host == "0.0.0.0" and info.classroom is True
    out = room["log"].read_text()
    assert "every request needs a learner token" in out and "COURSE_HUB_URL=http://learner01:TOKEN@" in out


CLASSROOM = "classroom hub needs your token"


@pytest.mark.parametrize(
    "path, code, message",
    [
        ("/api/models", "Unauthorized", CLASSROOM),
        ("/api/models/hf-hands-on/gated-demo", "Unauthorized", CLASSROOM),
        ("/hf-hands-on/open-demo/resolve/main/config.json", "Unauthorized", CLASSROOM),
        # where huggingface.co itself refuses an anonymous caller, the learner sees the Hub's own answer
        (
            "/hf-hands-on/gated-demo/resolve/main/config.json",
            "GatedRepo",
            "You must have access to it and be authenticated",
        ),
        ("/api/whoami-v2", "InvalidCredentials", "no token was sent"),
    ],
)
def test_anonymous_requests_are_refused(room, path, code, message):
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(room["url"] + path, timeout=10)
    assert e.value.code == 401
    assert e.value.headers.get("X-Error-Code") == code and message in e.value.headers["X-Error-Message"]


def test_anonymous_writes_are_refused_before_the_body_is_read(room):
    req = urllib.request.Request(room["url"] + "/api/repos/create", data=b'{"name": "x"}', method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 401 and CLASSROOM in e.value.headers["X-Error-Message"]


def test_health_stays_open_and_a_learner_token_works(room):
    with urllib.request.urlopen(room["url"] + "/api/health", timeout=10) as r:
        assert json.load(r)["service"] == "course-hub"
    seat = room["seats"][0]
    api = HfApi(endpoint=room["url"], token=seat["token"])
    assert api.whoami()["name"] == "learner01"
    assert sorted(m.id for m in api.list_models(author="hf-hands-on")) == [
        "hf-hands-on/gated-demo",
        "hf-hands-on/open-demo",
    ]


def test_demo_tokens_are_limited(room):
    from helpers.bootstrap import classroom_token

    url, token = room["url"], room["seats"][1]["token"]
    access = classroom_token(url, token, "instructor", "write")
    who = HfApi(endpoint=url, token=access).whoami()
    assert (who["name"], who["auth"]["accessToken"]["role"]) == ("instructor", "access")
    with pytest.raises(HfHubHTTPError) as e:  # an access token cannot write
        HfApi(endpoint=url, token=access).create_repo("hf-hands-on/taken-over")
    assert e.value.response.status_code == 403
    alice = classroom_token(url, token, "alice", "read")
    assert HfApi(endpoint=url, token=alice).whoami()["name"] == "alice"
    with pytest.raises(RuntimeError, match="refused a write token of 'alice'"):
        classroom_token(url, token, "alice", "write")
    with pytest.raises(RuntimeError, match="refused a read token of 'learner03'"):
        classroom_token(url, token, "learner03", "read")


def test_a_learner_signs_in_with_one_setting_and_the_instructor_sees_what_happened(room, tmp_path):
    seat = room["seats"][2]
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("HF_ENDPOINT", "COURSE_HUB_DIR", "HF_TOKEN", "HF_HUB_DISABLE_IMPLICIT_TOKEN")
    }
    env.update(COURSE_HUB_URL=seat["COURSE_HUB_URL"], COURSE_HF_HOME=str(tmp_path / "hf-home"))
    script = """
import helpers
course = helpers.connect()
from huggingface_hub import HfApi, whoami
print("whoami:", whoami()["name"], "| course.user:", course.user)
api = HfApi()
api.create_repo(f"{course.user}/capstone")
api.upload_file(path_or_fileobj=b"hello", path_in_repo="notes.txt", repo_id=f"{course.user}/capstone",
                commit_message="My first push")
from huggingface_hub import get_session, constants
from huggingface_hub.utils import build_hf_headers
r = get_session().post(f"{constants.ENDPOINT}/hf-hands-on/gated-demo/ask-access", headers=build_hf_headers(), data={})
print("ask-access:", r.status_code)
owner = HfApi(token=course.token("instructor", "write"))
print("pending:", [r.username for r in owner.list_pending_access_requests("hf-hands-on/gated-demo")])
print("read role:", whoami(token=course.token("learner"))["auth"]["accessToken"]["role"])
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Signed in as learner03" in out.stdout
    assert f"Connected to the classroom hub at {room['url']}" in out.stdout
    assert "whoami: learner03 | course.user: learner03" in out.stdout
    assert "ask-access: 200" in out.stdout and "pending: ['learner03']" in out.stdout
    assert "read role: read" in out.stdout
    assert seat["token"] not in out.stdout + out.stderr  # the sheet line is never echoed back
    report = cli(room["dir"], "classroom", "report").stdout
    assert "learner03" in report and "pending" in report and "hf-hands-on/gated-demo" in report
    assert "learner03/capstone: My first push" in report


def test_classroom_url_without_a_token_is_a_clear_error(room, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("HF_ENDPOINT", "COURSE_HUB_DIR")}
    env.update(COURSE_HUB_URL=room["url"], COURSE_HF_HOME=str(tmp_path / "hf-home"))
    out = subprocess.run(
        [sys.executable, "-c", "import helpers; helpers.connect()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0 and "COURSE_HUB_URL needs your name and token" in out.stderr


LEARNER_APP = """
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

found = {}
for what, path in PATHS.items():
    try:
        found[what] = open(path).read()[:64]
    except OSError as e:
        found[what] = "refused " + type(e).__name__
print("found", found, flush=True)
PAGE = ("learner app; " + "; ".join(f"{k}: {v}" for k, v in found.items())).encode()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)


ThreadingHTTPServer(("127.0.0.1", int(os.environ["GRADIO_SERVER_PORT"])), Handler).serve_forever()
"""


@pytest.mark.slow
@pytest.mark.skipif(probe() is not None, reason=f"no sandbox here: {probe()} (CI installs bubblewrap)")
def test_a_learners_space_runs_sandboxed_and_reads_nothing_of_the_hub(room):
    """Issue 26, part 2: a classroom hub whose Spaces run sandboxed runs a learner's Space by default; the app,
    pushed with the real HfApi, tries to read the hub's secret and database and shows what it got on its page."""
    from huggingface_hub import CommitOperationAdd

    assert "Spaces run sandboxed" in room["log"].read_text()
    hub = HubDir(room["dir"])
    secret = hub.secret().decode()
    seat = room["seats"][0]
    api = HfApi(endpoint=room["url"], token=seat["token"])
    repo_id = "learner01/my-first-space"
    api.create_repo(repo_id, repo_type="space", space_sdk="gradio")
    app = LEARNER_APP.replace("PATHS", repr({"secret": str(hub.secret_file), "database": str(hub.store_db)}))
    readme = b"---\ntitle: Mine\nsdk: gradio\napp_file: app.py\n---\n"
    api.create_commit(
        repo_id,
        [CommitOperationAdd("README.md", readme), CommitOperationAdd("app.py", app.encode())],
        commit_message="my app",
        repo_type="space",
    )
    req = urllib.request.Request(
        f"{room['url']}/spaces/{repo_id}/app/", headers={"Authorization": f"Bearer {seat['token']}"}
    )
    with urllib.request.urlopen(req, timeout=120) as r:
        page = r.read().decode()
    assert page.startswith("learner app; ") and "secret: refused" in page and "database: refused" in page, page
    assert secret not in page and secret not in "".join(api.fetch_space_logs(repo_id))
    assert api.get_space_runtime(repo_id).stage == "RUNNING"
    # the hub serves on, for everyone
    assert HfApi(endpoint=room["url"], token=room["seats"][1]["token"]).whoami()["name"] == "learner02"
    # one Space per learner: learner01's second Space puts the first to sleep
    second = "learner01/my-second-space"
    api.create_repo(second, repo_type="space", space_sdk="gradio")
    api.create_commit(
        second,
        [CommitOperationAdd("README.md", readme), CommitOperationAdd("app.py", app.encode())],
        commit_message="my app",
        repo_type="space",
    )
    req = urllib.request.Request(
        f"{room['url']}/spaces/{second}/app/", headers={"Authorization": f"Bearer {seat['token']}"}
    )
    with urllib.request.urlopen(req, timeout=120) as r:
        assert r.read().decode().startswith("learner app; ")
    assert api.space_info(repo_id).runtime.stage == "SLEEPING"
    assert "one Space per learner" in "".join(api.fetch_space_logs(repo_id, build=True))

    # the instructor's report: each learner's Spaces and their stage, as the running hub wrote it
    def report() -> str:
        return cli(room["dir"], "classroom", "report").stdout.split("Learners' Spaces:", 1)[1]

    def row(text: str, repo_id: str) -> str:
        return next(line.split() for line in text.splitlines() if repo_id in line)

    deadline = time.monotonic() + 15
    while row(text := report(), second)[2:] != ["RUNNING"] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert row(text, second) == ["learner01", second, "RUNNING"], text
    assert row(text, repo_id) == ["learner01", repo_id, "SLEEPING"], text
    assert "learner02 (no Space)" in " ".join(text.split()) and "no course hub runs" not in text, text
    api.pause_space(second)  # nothing left running once the module's hub stops
    assert row(report(), second)[2] == "PAUSED"
