"""Course machinery the lessons call in one line, so that the lesson cells stay about Hugging Face.

- `fresh_start`: before a notebook creates repos, remove the copies an earlier run left - only on a course hub
  (your own or a classroom's). On huggingface.co nothing is ever deleted or overwritten: an existing repo stops
  the notebook with a message.
- `reset_gated_lesson`: notebook 04 starts logged out and without access to the gated model.
- `course_hub_only`: a cell that plays someone else (the instructor, another user) runs on a course hub only;
  elsewhere it says what to do on huggingface.co instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

COURSE_HUBS = ("local", "classroom")  # hubs the course runs; `course.mode` "online" / "custom" are not


class RepoExists(RuntimeError):
    """A repo the notebook would create already exists on a hub the course does not own."""


def fresh_start(course, repos: list[tuple[str, str]]) -> None:
    """`repos`: (repo_id, repo_type) pairs this notebook creates.

    On a course hub they are deleted, so a rerun gives the same outputs. Anywhere else (huggingface.co, another
    hub in HF_ENDPOINT) nothing is deleted; if one already exists, raise `RepoExists` saying what to do.
    """
    from huggingface_hub import HfApi

    api = HfApi(token=course.token("learner", "write"))
    names = ", ".join(repo_id for repo_id, _ in repos)
    if course.mode in COURSE_HUBS:
        for repo_id, repo_type in repos:
            api.delete_repo(repo_id, repo_type=repo_type, missing_ok=True)
        print(f"Course hub: a fresh start, {names} {'does' if len(repos) == 1 else 'do'} not exist yet.")
        return
    existing = [repo_id for repo_id, repo_type in repos if api.repo_exists(repo_id, repo_type=repo_type)]
    if existing:
        raise RepoExists(
            f"{', '.join(existing)} already exist(s) on {course.endpoint}. The course never deletes or overwrites "
            "your repos there: delete it yourself on the website (Settings > Delete this repository) if you mean "
            "to, or change the name in the cell above, then run this cell again."
        )
    print(
        f"{course.endpoint}: {names} {'does' if len(repos) == 1 else 'do'} not exist yet; this notebook creates "
        f"{'it' if len(repos) == 1 else 'them'}."
    )


def course_hub_only(course, elsewhere: str) -> bool:
    """True on a course hub (run the cell). Elsewhere print `elsewhere`, what to do on huggingface.co instead,
    and return False: there you hold only your own token (no instructor's, no other user's)."""
    if course.mode in COURSE_HUBS:
        return True
    print(f"Course hub only (you are on {course.endpoint}). {elsewhere}")
    return False


def reset_gated_lesson(course, gated: str, cache: Path) -> None:
    """Notebook 04's starting point: logged out, no `HF_TOKEN`, an empty lesson cache, and - on the course hub -
    the learner's earlier access request to `gated` taken back by its owner (on a course hub only: the owner's
    token is the course's)."""
    from huggingface_hub import HfApi, get_token, logout
    from huggingface_hub.errors import HfHubHTTPError

    if course.mode in COURSE_HUBS:
        owner = HfApi(token=course.token("instructor", "write"))
        try:
            owner.reject_access_request(gated, course.user, rejection_reason="Reset for a fresh run of the lesson")
        except HfHubHTTPError as e:
            if e.response.status_code != 404:  # 404: the learner never asked, nothing to take back
                raise
    os.environ.pop("HF_TOKEN", None)  # an HF_TOKEN from your shell would win over login() (section 3)
    if get_token() is not None:
        logout()
    shutil.rmtree(cache, ignore_errors=True)
    print(f"Logged out; {course.user} has no access to {gated}.")
