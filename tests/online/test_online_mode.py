"""Online mode where every repo exists: the course published into a second course hub that stands in for
huggingface.co, then every notebook run there with papermill as a learner whose only credential is `HF_TOKEN`.

The stand-in answers as huggingface.co does (`course-hub serve --like-huggingface-co`, course_hub/flavour.py): no
inference or course-only routes on its host, Spaces that build on a push and go BUILDING -> APP_STARTING -> RUNNING,
a runtime API that does not wake a sleeping Space, the Hub's X-Error-Code set; a cell that works on a course hub
only fails here. It starts empty (not built): a publisher who administers the `course` org (and the upstream orgs, which
huggingface.co has already) and a separate learner who is nobody special. `course-hub publish` pushes the built
repos into it over HTTP, twice (the second run makes no commit); then `tools.run_notebooks --fast` runs every
notebook with `COURSE_HUB=online COURSE_ONLINE_ENDPOINT=<stand-in> HF_TOKEN=<learner's token>`, writing the executed
copies to build/papermill-online (scanned by `make test-hygiene`).

Since issue 24 this is `make test`'s one papermill run: papermill with parameters (FAST, and the setup cell's
COURSE_HUB through the environment), each executed copy checked here and then scanned for tokens and machine paths by
test-hygiene. The separate FAST run against the course hub (`make test-papermill`, build/papermill-fast) is a
developer's target now; nbval (test-notebooks) is the other run of every notebook, against the course hub.

`make test-online` (a few minutes: the notebooks).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import ROOT, SESSION_TMP, SOURCE_HUB, start_server, stop_server

from course_content.build import ORGS, is_built
from course_hub import HubDir, server
from course_hub.settings import course_org

pytestmark = [pytest.mark.slow, pytest.mark.serial]

OUT = ROOT / "build" / "papermill-online"
HF_HOME = ROOT / "build" / "online-hf-home"  # in the checkout, as data/hf-home is: paths print relative
LEARNER = "ada"  # not "learner": the notebooks must use course.user, whoever you are


@dataclass
class StandIn:
    """The stand-in hub; its tokens stay out of reprs (pytest prints a failing test's arguments)."""

    url: str
    dir: Path
    store: object = field(repr=False)
    publisher: str = field(repr=False)
    learner: str = field(repr=False)


@pytest.fixture(scope="module")
def standin():
    if not is_built(SOURCE_HUB):
        pytest.skip(f"the course hub is not built in {SOURCE_HUB} (run `course-hub build`)")
    hub_dir = SESSION_TMP / "standin"
    hub_dir.mkdir()
    port = server.free_port()
    proc, _ = start_server(hub_dir, port, SESSION_TMP / "standin.log", args=("--like-huggingface-co",))
    try:
        from course_hub.store import Store

        store = Store(HubDir(hub_dir).store_db)
        publisher = store.create_token("publisher", role="write", name="publish")
        for org in ORGS:  # the course org, and the upstream orgs that huggingface.co has anyway
            store.add_member(org, "publisher", "admin")
        learner = store.create_token(LEARNER, role="write", name="course")
        yield StandIn(f"http://127.0.0.1:{port}", hub_dir, store, publisher, learner)
    finally:
        stop_server(proc)


def publish(standin, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
    env.pop("HF_TOKEN", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "course_hub",
            "publish",
            "--hub-dir",
            str(SOURCE_HUB),
            "--endpoint",
            standin.url,
            *extra,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def published(standin):
    """The course published into the stand-in (and notebook 09's practice repo, as the publisher makes it)."""
    first = publish(standin, "--token", standin.publisher, "--upstream")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "new commit(s)" in first.stdout
    practice = subprocess.run(
        [sys.executable, "-m", "helpers.practice", "--endpoint", standin.url, "--token", standin.publisher],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert practice.returncode == 0 and "created" in practice.stdout, practice.stdout + practice.stderr
    return standin


def test_the_standin_answers_as_huggingface_co(standin):
    """Not a second course hub: the course hub's own routes are not there (test_flavour_huggingface.py has the rest)."""
    from huggingface_hub import get_session

    assert get_session().get(f"{standin.url}/v1/models").status_code == 404
    assert get_session().post(f"{standin.url}/models/{course_org()}/minilm-sentiment", json={}).status_code == 404


def test_publish_refuses_a_bad_token_and_a_stranger(standin):
    bad = publish(standin, "--token", "hf_" + "x" * 30)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "refused the token (401)" in bad.stderr
    stranger = publish(standin, "--token", standin.store.create_token("stranger", role="write"))
    assert stranger.returncode == 1 and f"is not a member of the organisation {course_org()!r}" in stranger.stderr
    reader = publish(standin, "--token", standin.store.create_token("publisher", role="read"))
    assert reader.returncode == 1 and "read token" in reader.stderr


def test_publish_is_idempotent_and_complete(published):
    standin = published
    again = publish(standin, "--token", standin.publisher, "--upstream")
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.rstrip().endswith("up to date: no new commits"), again.stdout

    from huggingface_hub import HfApi

    api = HfApi(endpoint=standin.url, token=standin.learner)
    built = HubDir(SOURCE_HUB).build_info()["repos"]
    org = course_org()
    for entry in built:
        repo_type, repo_id = entry.split(":", 1)
        if repo_id.startswith("alice/"):  # another user's private repo: never published
            assert not api.repo_exists(repo_id, repo_type=repo_type)
            continue
        info = api.repo_info(repo_id, repo_type=repo_type)
        assert not info.private
        if repo_id == f"{org}/gated-sentiment":
            assert info.gated == "auto"
    tags = {t.name for t in api.list_repo_refs(f"{org}/minilm-sentiment").tags}
    assert "v1.0" in tags
    titles = [c.title for c in api.list_repo_commits(f"{org}/minilm-sentiment")]
    assert titles[:2] == ["Add evaluation results", "Add fine-tuned model"]
    assert api.space_info(f"{org}/sentiment-demo").sdk == "gradio"


@pytest.mark.notebooks
@pytest.mark.timeout(1800)  # ten notebooks: about 5 minutes on a quiet machine, twice that on a busy one
def test_every_notebook_runs_online(published):
    """papermill, FAST=True, online mode pointed at the stand-in, the learner's token in HF_TOKEN only."""
    standin = published
    shutil.rmtree(HF_HOME, ignore_errors=True)  # the learner's login of an earlier run (a token of a gone hub)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "COURSE_HUB"))}
    env.update(
        COURSE_HUB="online",
        COURSE_ONLINE_ENDPOINT=standin.url,
        HF_TOKEN=standin.learner,
        COURSE_HF_HOME=str(HF_HOME),
        COURSE_CI="1",
        COURSE_STRICT_WARNINGS="1",
        GIT_CONFIG_GLOBAL=str(SESSION_TMP / "empty-gitconfig"),
    )
    (SESSION_TMP / "empty-gitconfig").touch()  # not /dev/null: a chroot's bind mount once left a file there
    out = subprocess.run(
        [sys.executable, "-m", "tools.run_notebooks", "--fast", "--online", "--out", str(OUT.relative_to(ROOT))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-6000:]
    executed = sorted(OUT.glob("[0-9][0-9]_*.ipynb"))
    assert len(executed) == len(sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
    for path in executed:
        text = path.read_text()
        assert standin.learner not in text and standin.publisher not in text, f"a token in {path.name}"
        setup = next(c for c in json.loads(text)["cells"] if "helpers.connect(" in "".join(c["source"]))
        printed = "".join("".join(o.get("text", "")) for o in setup.get("outputs", []))  # nbformat: a list of lines
        assert "a stand-in for huggingface.co" in printed and f"Signed in as {LEARNER}" in printed, path.name
    # what the learner made there is in the learner's namespace
    from huggingface_hub import HfApi

    mine = {m.id for m in HfApi(endpoint=standin.url).list_models(author=LEARNER)}
    assert f"{LEARNER}/minilm-sentiment-capstone" in mine
    shutil.rmtree(HF_HOME, ignore_errors=True)  # it holds the learner's login
