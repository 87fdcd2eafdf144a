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


def test_a_second_commit_on_the_open_pull_request_passes(practice):
    repo_id, _, bob = practice
    review = bob.upload_file(path_or_fileobj=b"notes\n", path_in_repo="NOTES.md", repo_id=repo_id, create_pr=True)
    answer = bob.upload_file(
        path_or_fileobj=b"notes\nPR #1 fixed 'modle'.\n",
        path_in_repo="NOTES.md",
        repo_id=repo_id,
        revision=review.pr_revision,
    )
    ok, out = run(nb09.check_updated_pull_request, answer, repo_id, review.pr_num)
    assert ok and out.startswith("✅") and "2 commits" in out


def test_updating_a_pull_request_the_wrong_way_fails_with_a_hint(practice):
    repo_id, owner, bob = practice
    review = bob.upload_file(path_or_fileobj=b"notes\n", path_in_repo="NOTES.md", repo_id=repo_id, create_pr=True)
    ok, out = run(nb09.check_updated_pull_request, ..., repo_id, review.pr_num)
    assert not ok and out.startswith("⏳")
    ok, out = run(nb09.check_updated_pull_request, review, None, None)
    assert not ok and "no pull request" in out
    ok, out = run(nb09.check_updated_pull_request, "refs/pr/1", repo_id, review.pr_num)
    assert not ok and "CommitInfo" in out
    second = bob.upload_file(path_or_fileobj=b"n\nmodle\n", path_in_repo="NOTES.md", repo_id=repo_id, create_pr=True)
    ok, out = run(nb09.check_updated_pull_request, second, repo_id, review.pr_num)
    assert not ok and "new pull request" in out and f'revision="refs/pr/{review.pr_num}"' in out
    ok, out = run(nb09.check_updated_pull_request, review, repo_id, review.pr_num)
    assert not ok and "1 commit" in out
    one_line = bob.upload_file(
        path_or_fileobj=b"just one line\n", path_in_repo="NOTES.md", repo_id=repo_id, revision=review.pr_revision
    )
    ok, out = run(nb09.check_updated_pull_request, one_line, repo_id, review.pr_num)
    assert not ok and "1 line(s)" in out
    owner.merge_pull_request(repo_id, review.pr_num)
    ok, out = run(nb09.check_updated_pull_request, one_line, repo_id, review.pr_num)
    assert not ok and "merged" in out
