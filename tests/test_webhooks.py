"""Webhooks over real HTTP (issue 31): HfApi's create/list/get/update/enable/disable/delete_webhook and `hf webhooks`
against `/api/settings/webhooks`, and the hub POSTing the Hub's payload, with `X-Webhook-Secret`, to a real receiver
(helpers.webhook_receiver) on a push made with HfApi, a `git push`, a discussion and a comment; retried when the
receiver fails; never to an address outside loopback, never about a repo the webhook's owner cannot see."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from hubtest import git, with_credentials
from huggingface_hub.errors import HfHubHTTPError

from helpers.webhook_receiver import WebhookReceiver


@pytest.fixture
def receiver():
    with WebhookReceiver(secret="course-secret") as r:
        yield r


def test_push_with_hfapi_reaches_the_receiver(hub, api, new_repo_id, receiver):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    hook = api.create_webhook(url=receiver.url, watched=[{"type": "model", "name": repo_id}], secret="course-secret")
    try:
        assert hook.domains == ["repo", "discussion"] and not hook.disabled and hook.secret == "course-secret"
        info = api.upload_file(path_or_fileobj=b"v1", path_in_repo="a.txt", repo_id=repo_id)
        event = receiver.wait()
        assert event["headers"]["x-webhook-secret"] == "course-secret"
        assert event["headers"]["content-type"] == "application/json"
        p = event["payload"]
        assert p["event"] == {"action": "update", "scope": "repo.content"}
        assert p["repo"]["type"] == "model" and p["repo"]["name"] == repo_id and p["repo"]["headSha"] == info.oid
        assert p["repo"]["url"]["web"] == f"{hub.url}/{repo_id}"
        assert p["updatedRefs"] == [
            {"ref": "refs/heads/main", "oldSha": p["updatedRefs"][0]["oldSha"], "newSha": info.oid}
        ]
        assert p["webhook"] == {"id": hook.id, "version": 3}
        # a discussion, then a comment on it
        d = api.create_discussion(repo_id, title="Retrain?")
        p = receiver.wait(2)["payload"]
        assert p["event"] == {"action": "create", "scope": "discussion"}
        assert p["discussion"]["num"] == d.num and p["discussion"]["title"] == "Retrain?"
        assert p["discussion"]["isPullRequest"] is False and p["discussion"]["author"] == {"id": "alice"}
        api.comment_discussion(repo_id, d.num, "yes <b>now</b>")
        p = receiver.wait(3)["payload"]
        assert p["event"]["scope"] == "discussion.comment" and p["comment"]["content"] == "yes <b>now</b>"
    finally:
        api.delete_webhook(hook.id)


def test_git_push_and_a_namespace_watch(hub, api, new_repo_id, receiver, tmp_path):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    hook = api.create_webhook(
        url=receiver.url, watched=[{"type": "user", "name": "alice"}], domains=["repo"], secret="course-secret"
    )
    try:
        url = with_credentials(hub.url, "alice", hub.token("alice")) + f"/{repo_id}"
        git("clone", url, str(tmp_path / "c"))
        (tmp_path / "c" / "g.txt").write_text("pushed with git")
        git("add", "g.txt", cwd=tmp_path / "c")
        git("commit", "-m", "from git", cwd=tmp_path / "c")
        git("push", "origin", "main", cwd=tmp_path / "c")
        head = git("rev-parse", "HEAD", cwd=tmp_path / "c").stdout.strip()
        p = receiver.wait()["payload"]
        assert p["repo"]["name"] == repo_id and p["updatedRefs"][0]["ref"] == "refs/heads/main"
        assert p["updatedRefs"][0]["newSha"] == head
        api.create_discussion(repo_id, title="not watched: domains=['repo']")
        time.sleep(1.5)
        assert len(receiver.events) == 1
    finally:
        api.delete_webhook(hook.id)


def test_manage_webhooks(hub, api, bob_api, receiver, new_repo_id):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    hook = api.create_webhook(url=receiver.url, watched=[{"type": "model", "name": repo_id}])
    try:
        assert hook.id in [h.id for h in api.list_webhooks()] and hook.id not in [h.id for h in bob_api.list_webhooks()]
        with pytest.raises(HfHubHTTPError) as e:
            bob_api.get_webhook(hook.id)
        assert e.value.response.status_code == 404
        assert api.get_webhook(hook.id).url == receiver.url
        new = api.update_webhook(hook.id, domains=["discussion"], secret="course-secret")
        assert new.domains == ["discussion"] and new.secret == "course-secret"
        assert api.disable_webhook(hook.id).disabled is True
        api.create_discussion(repo_id, title="while disabled")
        assert api.enable_webhook(hook.id).disabled is False
        api.create_discussion(repo_id, title="enabled again")
        assert receiver.wait()["payload"]["discussion"]["title"] == "enabled again"
        assert [e["payload"]["discussion"]["title"] for e in receiver.events] == ["enabled again"]
        for target in ("http://192.0.2.1/hook", "http://example.invalid/hook", "file:///etc/passwd"):
            with pytest.raises(HfHubHTTPError) as e:
                api.create_webhook(url=target, watched=[{"type": "model", "name": repo_id}])
            assert e.value.response.status_code == 400, target
    finally:
        api.delete_webhook(hook.id)
    with pytest.raises(HfHubHTTPError):
        api.get_webhook(hook.id)


def test_retried_and_private_repos_stay_private(hub, api, bob_api, new_repo_id):
    repo_id = new_repo_id()
    api.create_repo(repo_id, private=True)
    with WebhookReceiver(fail_first=1) as failing, WebhookReceiver() as bobs:
        mine = api.create_webhook(url=failing.url, watched=[{"type": "model", "name": repo_id}], domains=["repo"])
        spy = bob_api.create_webhook(url=bobs.url, watched=[{"type": "user", "name": "alice"}], domains=["repo"])
        try:
            api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id)
            failing.wait(timeout=30)  # the 2nd try, a second later
            assert [e["accepted"] for e in failing.events] == [False, True]
            assert failing.events[0]["payload"] == failing.events[1]["payload"]
            time.sleep(1)
            assert bobs.events == []  # bob watches alice, but cannot see her private repo
        finally:
            api.delete_webhook(mine.id)
            bob_api.delete_webhook(spy.id)


def test_hf_webhooks_cli(hub, receiver, new_repo_id):
    token = hub.token("alice")
    env = {**os.environ, "HF_ENDPOINT": hub.url, "NO_COLOR": "1"}
    hf = [os.path.join(os.path.dirname(sys.executable), "hf"), "webhooks"]

    def run(*args):
        out = subprocess.run([*hf, *args, "--token", token], env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout

    repo_id = new_repo_id()
    made = run("create", "--url", receiver.url, "--watch", f"model:{repo_id}", "--format", "json")
    hook_id = json.loads(made)["id"]
    assert hook_id in run("list", "--format", "json")
    run("disable", hook_id)
    run("enable", hook_id)
    run("delete", hook_id, "--yes")
    assert hook_id not in run("list", "--format", "json")
