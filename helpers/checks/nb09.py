"""Self-checks for notebook 09 · Contribute: discussions and pull requests.

    helpers.checks.nb09.check_updated_pull_request(answer, repo_id, pr_num)   # a second commit on your open PR

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
def check_updated_pull_request(answer, repo_id: str, pr_num: int, word: str = "modle") -> bool:
    """`answer`: what `upload_file` returned when you pushed a second version of NOTES.md to your open pull request
    `pr_num` (its ref, `revision="refs/pr/N"`), a version with at least two lines, one of them naming `word`."""
    if is_placeholder(answer):
        return not_started("answer")
    if repo_id is None or pr_num is None:
        return failed(
            "There is no pull request to update on this hub.",
            "Run the cell above first: it opens the pull request that the maintainer reviews.",
        )
    if not hasattr(answer, "oid"):
        return failed(
            f"`answer` should be what `upload_file` returns (a CommitInfo), not {type(answer).__name__}.",
            "Assign the call itself: `answer = me.upload_file(...)`.",
        )
    revision = f"refs/pr/{pr_num}"
    if getattr(answer, "pr_num", None) not in (None, pr_num):
        return failed(
            f"You opened a new pull request, #{answer.pr_num}: the maintainer now reviews two.",
            f'Push to the open one instead: `revision="{revision}"` (`review.pr_revision`), without `create_pr`.',
        )
    from huggingface_hub import HfApi, hf_hub_download

    api = HfApi(token=False)
    details = api.get_discussion_details(repo_id, pr_num)
    if details.status != "open":
        return failed(f"Pull request #{pr_num} is {details.status}.", "Run the cell above again: it opens a new one.")
    commits = [e for e in details.events if e.type == "commit"]
    if len(commits) < 2:
        return failed(
            f"Pull request #{pr_num} still has {len(commits)} commit: your upload did not land on it.",
            f'Pass `revision="{revision}"` to `upload_file` (without it, the Hub refuses a write to main).',
        )
    notes = open(hf_hub_download(repo_id, FILE, revision=revision, token=False), encoding="utf-8").read()
    lines = [line for line in notes.splitlines() if line.strip()]
    if len(lines) < 2 or not any(word in line for line in lines):
        return failed(
            f"{FILE} on {revision} has {len(lines)} line(s) and does not name the word '{word}' on one of them.",
            f"Upload the whole new file: the old line, then a line such as 'PR #1 fixed \"{word}\".'",
        )
    if _exists(repo_id, FILE, None):
        return failed(f"`{FILE}` is on main: the change should wait in the pull request until it is merged.")
    return passed(
        f"Pull request #{pr_num} now has {len(commits)} commits; the maintainer sees your new {FILE} in the same "
        "review, and main is unchanged until it is merged."
    )
