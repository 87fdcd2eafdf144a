"""Self-checks of notebook 09 against the real course hub: a right pull request passes, typical mistakes fail with
a precise message, none raises."""

from __future__ import annotations

import contextlib
import io

import pytest
from huggingface_hub import HfApi

from helpers.checks import nb09

CARD = b"---\nlicense: apache-2.0\n---\n# practice\n"


def run(check, *args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = check(*args)
    return result, out.getvalue()


@pytest.fixture
def practice(hub, new_repo_id):
    """A repo of alice's that bob (a stranger) contributes to."""
    repo_id = new_repo_id()
    owner = HfApi(endpoint=hub.url, token=hub.token("alice", "write"))
    owner.create_repo(repo_id)
    owner.upload_file(path_or_fileobj=CARD, path_in_repo="README.md", repo_id=repo_id)
    return repo_id, owner, HfApi(endpoint=hub.url, token=hub.token("bob", "write"))


def test_an_open_pull_request_adding_the_file_passes(practice):
    repo_id, _, bob = practice
    answer = bob.upload_file(path_or_fileobj=b"notes\n", path_in_repo="NOTES.md", repo_id=repo_id, create_pr=True)
    ok, out = run(nb09.check_pull_request, answer, repo_id)
    assert ok and out.startswith("✅") and f"#{answer.pr_num}" in out


def test_mistakes_fail_with_a_hint(practice):
    repo_id, owner, bob = practice
    ok, out = run(nb09.check_pull_request, ..., repo_id)
    assert not ok and out.startswith("⏳")
    ok, out = run(nb09.check_pull_request, "refs/pr/1", repo_id)
    assert not ok and "CommitInfo" in out
    direct = owner.upload_file(path_or_fileobj=b"x", path_in_repo="other.txt", repo_id=repo_id)
    ok, out = run(nb09.check_pull_request, direct, repo_id)
    assert not ok and "create_pr=True" in out
    wrong_file = bob.upload_file(path_or_fileobj=b"x", path_in_repo="notes.txt", repo_id=repo_id, create_pr=True)
    ok, out = run(nb09.check_pull_request, wrong_file, repo_id)
    assert not ok and "does not add `NOTES.md`" in out
    merged = bob.upload_file(path_or_fileobj=b"n\n", path_in_repo="NOTES.md", repo_id=repo_id, create_pr=True)
    owner.merge_pull_request(repo_id, merged.pr_num)
    ok, out = run(nb09.check_pull_request, merged, repo_id)
    assert not ok and "merged" in out
    ok, out = run(nb09.check_pull_request, ..., None)
    assert not ok
    ok, out = run(nb09.check_pull_request, wrong_file, None)
    assert not ok and "no practice repo" in out
