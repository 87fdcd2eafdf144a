"""The huggingface.co flavour (course_hub/flavour.py, `COURSE_HUB_FLAVOUR=huggingface.co`): two hubs with the same
repos served in this process (uvicorn in a thread), one as the course hub and one as huggingface.co answers, asked
with the real huggingface_hub client. `make test-online` runs the notebooks against a stand-in in this flavour."""

from __future__ import annotations

import threading
import time

import pytest
import uvicorn
from huggingface_hub import CommitOperationAdd, HfApi, InferenceClient, get_session
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError
from huggingface_hub.utils import hf_raise_for_status

from course_hub import Hub, Settings
from course_hub.app import create_app
from course_hub.net import free_port

pytestmark = pytest.mark.slow  # Space apps in subprocesses

# a tiny app that takes a moment to start listening (a real app imports gradio first): APP_STARTING shows
APP = r"""
import os, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

time.sleep(2)
ThreadingHTTPServer(("127.0.0.1", int(os.environ["GRADIO_SERVER_PORT"])), Handler).serve_forever()
"""
CARD = b"---\ntitle: Flavour\nsdk: gradio\napp_file: app.py\n---\n# A Space\n"
CHAT_CARD = b"---\nlicense: mit\npipeline_tag: text-generation\n---\n# A chat model\n"


class Served:
    """One app over the hub dir, served by uvicorn in a thread of this process."""

    def __init__(self, root, flavour: str):
        hub = Hub(root)
        hub.store.ensure_user("owner")
        self.token = hub.store.create_token("owner", role="write")
        self.stranger = hub.store.create_token("stranger", role="write")
        hub.create_repo("model", "owner/chatty", initial={"README.md": CHAT_CARD}, author="owner")
        settings = Settings(hub_dir=root, flavour=flavour, space_sandbox="off", space_warm=False, max_spaces=4)
        self.app = create_app(settings)
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(20)
        self.app.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("flavour")
    course = Served(root / "course", "course")
    like_hf = Served(root / "like-hf", "huggingface.co")
    try:
        yield {"course": course, "hf": like_hf}
    finally:
        like_hf.stop()
        course.stop()


def status(url: str, method: str = "GET", **kw) -> int:
    """The status of a request through huggingface_hub's own session; `hf_raise_for_status` judges it."""
    response = get_session().request(method, url, **kw)
    try:
        hf_raise_for_status(response)
    except HfHubHTTPError as e:
        return e.response.status_code
    return response.status_code


def test_inference_routes_are_not_on_a_huggingface_co_host(world):
    assert status(f"{world['course'].url}/v1/models") == 200
    assert status(f"{world['hf'].url}/v1/models") == 404
    assert status(f"{world['hf'].url}/inference-static/widget.js") == 404
    # 02's old cell: InferenceClient pointed at the hub's own /models/{id}
    client = InferenceClient(model=f"{world['hf'].url}/models/owner/chatty", token=world["hf"].token)
    with pytest.raises(HfHubHTTPError) as e:
        client.text_classification("I love it")
    assert e.value.response.status_code == 404
    assert "can't find the page" in (e.value.server_message or "")


def test_course_only_routes_answer_404(world):
    for served, expected in ((world["course"], 200), (world["hf"], 404)):
        auth = {"Authorization": f"Bearer {served.token}"}
        body = {"user": "owner", "role": "read"}
        assert status(f"{served.url}/api/course/token", "POST", json=body, headers=auth) == expected


def test_error_headers_are_the_hubs(world):
    """X-Error-Code only where huggingface_hub reads one (RepoNotFound, ...); X-Error-Message on every error."""
    for served, code in ((world["course"], "Forbidden"), (world["hf"], None)):
        response = get_session().post(
            f"{served.url}/api/models/owner/chatty/commit/main",
            headers={"Authorization": f"Bearer {served.stranger}", "Content-Type": "application/x-ndjson"},
            content=b'{"key": "header", "value": {"summary": "x"}}\n',
        )
        assert response.status_code == 403
        assert response.headers.get("X-Error-Code") == code
        assert response.headers.get("X-Error-Message")
    with pytest.raises(RepositoryNotFoundError):  # read from X-Error-Code: RepoNotFound, in both flavours
        HfApi(endpoint=world["hf"].url, token=world["hf"].token).model_info("owner/nothing-here")
    response = get_session().get(f"{world['hf'].url}/api/no-such-route")
    assert response.status_code == 404 and "X-Error-Code" not in response.headers


def stages_until_running(api: HfApi, repo_id: str, timeout: float = 60) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stage = api.get_space_runtime(repo_id).stage
        if not seen or seen[-1] != stage:
            seen.append(stage)
        if stage in ("RUNNING", "RUNTIME_ERROR"):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"{repo_id} never ran: {seen}")


def push(api: HfApi, repo_id: str) -> None:
    api.create_repo(repo_id, repo_type="space", space_sdk="gradio")
    ops = [CommitOperationAdd("README.md", CARD), CommitOperationAdd("app.py", APP.encode())]
    api.create_commit(repo_id, ops, commit_message="app", repo_type="space")


def test_a_push_builds_then_the_app_starts_then_runs(world):
    api = HfApi(endpoint=world["hf"].url, token=world["hf"].token)
    push(api, "owner/pushed")  # huggingface.co builds on a push: nobody asks, it starts
    seen = stages_until_running(api, "owner/pushed")
    # the checkout may be done before the first question (then it is starting already); the app takes 2 s
    assert seen in (["BUILDING", "APP_STARTING", "RUNNING"], ["APP_STARTING", "RUNNING"]), seen


def test_the_course_hub_says_building_until_running(world):
    api = HfApi(endpoint=world["course"].url, token=world["course"].token)
    push(api, "owner/course-way")
    assert api.space_info("owner/course-way").runtime.stage == "SLEEPING"  # a push does not start it here
    seen = stages_until_running(api, "owner/course-way")  # the runtime API wakes it
    assert seen == ["BUILDING", "RUNNING"], seen


def test_asking_the_runtime_does_not_wake_a_sleeping_space(world):
    hf = world["hf"]
    api = HfApi(endpoint=hf.url, token=hf.token)
    push(api, "owner/sleepy")
    stages_until_running(api, "owner/sleepy")
    hf.app.state.spaces.sleep_idle("the test puts it to sleep")
    assert api.get_space_runtime("owner/sleepy").stage == "SLEEPING"
    time.sleep(1)
    assert api.get_space_runtime("owner/sleepy").stage == "SLEEPING"  # asked twice, still asleep
    # a visit to its app wakes it (the proxy waits for the app to answer)
    visit = get_session().get(f"{hf.url}/spaces/owner/sleepy/app/", timeout=60)
    assert visit.status_code == 200 and visit.text == "ok"
    assert api.get_space_runtime("owner/sleepy").stage == "RUNNING"


def test_a_duplicated_space_builds(world):
    """duplicate_repo makes a Space with commits: huggingface.co builds it (its runtime API would not wake it)."""
    api = HfApi(endpoint=world["hf"].url, token=world["hf"].token)
    push(api, "owner/original")
    api.duplicate_repo("owner/original", to_id="owner/duplicated", repo_type="space")
    assert stages_until_running(api, "owner/duplicated")[-1] == "RUNNING"
