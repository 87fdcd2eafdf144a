"""A repo that belongs to someone else, for notebook 09 to contribute to (course machinery).

`typo_repo(course)` makes `hf-hands-on/typo-practice` afresh as the course's instructor — a small model card with a
typo in it — so that every run of the lesson starts from the same repo with no discussions (its first pull request
is number 1). On huggingface.co nothing is created or deleted by a learner: the course's publisher made the repo once
(`python -m helpers.practice --endpoint URL --token ...`, after `course-hub publish`), and every learner's pull
request goes to that one repo.
"""

from __future__ import annotations

from course_hub.settings import course_org

from .lesson import COURSE_HUBS

REPO = f"{course_org()}/typo-practice"
CARD = """---
license: apache-2.0
tags:
- course
- practice
---

# typo-practice

A repo of the course organisation that you can read but not write: the place to practise contributing.
This card has a typo in the next sentence; fix it with a pull request.

This modle card describes no model at all.
"""


def typo_repo(course) -> str | None:
    """The practice repo's id, made afresh on a course hub; None elsewhere (nothing is created online)."""
    from huggingface_hub import HfApi

    if course.mode not in COURSE_HUBS:
        if HfApi(token=course.token()).repo_exists(REPO):
            print(f"{REPO} on {course.endpoint}: the course's shared practice repo (you can read it, not write).")
            return REPO
        print(
            f"{REPO} does not exist on {course.endpoint}: open a pull request to a repo of your own choice there "
            "(the calls below are the same), or run this notebook on the course hub."
        )
        return None

    if course.mode == "classroom":  # many learners share it: the instructor made it once (instructor guide)
        if HfApi(token=course.token()).repo_exists(REPO):
            return REPO
        print(f"Ask your instructor to create {REPO} (notebook 09 run once on the classroom hub's machine).")
        return None
    owner = HfApi(token=course.token("instructor", "write"))  # an admin of the course org
    owner.delete_repo(REPO, missing_ok=True)
    owner.create_repo(REPO)
    owner.upload_file(
        path_or_fileobj=CARD.encode(),
        path_in_repo="README.md",
        repo_id=REPO,
        commit_message="A card with a typo, for the pull-request lesson",
    )
    print(f"Course hub: {REPO} is ready (owned by the course org; you can read it, not write to it).")
    return REPO


def publish(endpoint: str, token: str) -> str:
    """Make the practice repo on a Hub the course is published to, once (the publisher's token; never replaced)."""
    from huggingface_hub import HfApi

    api = HfApi(endpoint=endpoint, token=token)
    if api.repo_exists(REPO):
        return f"{REPO}: up to date (exists)"
    api.create_repo(REPO)
    api.upload_file(
        path_or_fileobj=CARD.encode(),
        path_in_repo="README.md",
        repo_id=REPO,
        commit_message="A card with a typo, for the pull-request lesson",
    )
    return f"{REPO}: created"


if __name__ == "__main__":  # python -m helpers.practice --endpoint https://huggingface.co --token hf_...
    import argparse
    import os

    p = argparse.ArgumentParser(description="make notebook 09's practice repo on the Hub the course is published to")
    p.add_argument("--endpoint", required=True)
    p.add_argument("--token", default=os.environ.get("HF_TOKEN"), help="the publisher's write token ($HF_TOKEN)")
    args = p.parse_args()
    print(publish(args.endpoint, args.token))
