"""Self-checks for notebook 09 · Contribute: discussions and pull requests.

    helpers.checks.nb09.check_pull_request(answer, repo_id)   # your own open PR that adds NOTES.md

Each check prints ✅ / ❌ (with a hint) / ⏳ and returns a true or false `Verdict`; none raises. The check reads the
repo on the hub this kernel is connected to (`HF_ENDPOINT`), anonymously: pull requests are public.
"""

from __future__ import annotations

from . import failed, is_placeholder, never_raises, not_started, passed

FILE = "NOTES.md"


def _exists(repo_id: str, path: str, revision: str | None) -> bool:
    from huggingface_hub import HfApi

    return HfApi(token=False).file_exists(repo_id, path, revision=revision)


@never_raises
def check_pull_request(answer, repo_id: str) -> bool:
    """`answer`: what `upload_file(..., create_pr=True)` returned for a pull request adding NOTES.md to `repo_id`."""
    if is_placeholder(answer):
        return not_started("answer")
    if repo_id is None:
        return failed(
            "There is no practice repo on this hub, so there is nothing to check.",
            "Run this notebook on the course hub (the first cells make course/typo-practice).",
        )
    pr_num = getattr(answer, "pr_num", None)
    if not hasattr(answer, "oid"):
        return failed(
            f"`answer` should be what `upload_file` returns (a CommitInfo), not {type(answer).__name__}.",
            "Assign the call itself: `answer = me.upload_file(..., create_pr=True)`.",
        )
    if pr_num is None:
        return failed(
            "That commit is not a pull request: it has no PR number.",
            "Pass `create_pr=True` to `upload_file` (without it the Hub refuses, or writes to main).",
        )
    from huggingface_hub import HfApi

    details = HfApi(token=False).get_discussion_details(repo_id, pr_num)
    if not details.is_pull_request:
        return failed(f"#{pr_num} is a discussion, not a pull request.", "Use `upload_file(..., create_pr=True)`.")
    if details.status != "open":
        return failed(
            f"Pull request #{pr_num} is {details.status}; the check wants an open one.",
            "Open a new one: run your cell again (a merged or closed PR takes no more commits).",
        )
    revision = f"refs/pr/{pr_num}"
    if not _exists(repo_id, FILE, revision):
        return failed(f"Pull request #{pr_num} does not add `{FILE}`.", f'Upload with `path_in_repo="{FILE}"`.')
    if _exists(repo_id, FILE, None):
        return failed(f"`{FILE}` is already on main: the change should wait in the pull request until it is merged.")
    return passed(
        f"Pull request #{pr_num} by {details.author} adds {FILE} on {revision}; main is unchanged until a "
        "maintainer merges it."
    )
