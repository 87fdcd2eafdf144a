"""Operations on discussions and pull requests (`hub.community`), for the API and the website alike.

A pull request is a discussion whose changes live on `refs/pr/N` (N: its number), branched from its target
branch. The caller has passed the policy's guard (`discuss`, `propose`, `push_to_pr`, `moderate`, `merge`); these
methods check the input, change the repo and the store together (under the repo's lock), and return the event.
"""

from __future__ import annotations

import difflib
import re
import secrets
import time

from .errors import BadRequest, Conflict, NotFound, revision_not_found
from .gitrepo import ConflictError, GitRepo
from .gitrepo import RevisionNotFound as GitRevisionNotFound
from .lfs import Pointer
from .store import RepoRecord

PR_REF = re.compile(r"^refs/pr/([1-9][0-9]{0,8})$")
TITLE_MIN, TITLE_MAX = 3, 200
MAX_COMMENT = 65536
MAX_DIFF = 512 * 1024  # a PR's diff beyond this is cut (the page links to the files)


def pr_number(revision: str) -> int | None:
    """`refs/pr/N` -> N (None for any other revision)."""
    m = PR_REF.match(revision)
    return int(m.group(1)) if m else None


def check_title(value) -> str:
    if not isinstance(value, str) or not TITLE_MIN <= len(value.strip()) <= TITLE_MAX:
        raise BadRequest(f"A title must be a string of {TITLE_MIN} to {TITLE_MAX} characters")
    return value.strip()


def check_text(value, what: str, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not value.strip() and not allow_empty):
        raise BadRequest(f"`{what}` must be a non-empty string")
    if len(value) > MAX_COMMENT:
        raise BadRequest(f"`{what}` is too long (at most {MAX_COMMENT} characters)")
    return value


def _comment(raw: str, user: str, now: float | None = None) -> dict:
    return {"history": [{"raw": raw, "updatedAt": now or time.time(), "author": user}], "hidden": False}


# --- diffing -------------------------------------------------------------------------------------------------------
def changed_files(git: GitRepo, base: str, head: str) -> list[tuple[str, str | None, str | None]]:
    """(path, blob before, blob after) of every file a pull request changes (from the merge base)."""
    a = {p: e.blob for p, e in git.files(base).items()}
    b = {p: e.blob for p, e in git.files(head).items()}
    return [(p, a.get(p), b.get(p)) for p in sorted(set(a) | set(b)) if a.get(p) != b.get(p)]


def _lines(git: GitRepo, blob: str | None) -> list[str] | None:
    """A text file's lines; None for binary, LFS or huge files."""
    if blob is None:
        return []
    raw = git.blob(blob)
    if Pointer.parse(raw) or len(raw) > 1_000_000 or b"\0" in raw[:8000]:
        return None
    try:
        return raw.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def diff_base(git: GitRepo, target: str | None, head: str) -> str:
    """Where a pull request's changes start: the merge base with its target (else its own head)."""
    return (git.merge_base(target, head) if target else None) or head


def pr_diff(git: GitRepo, base: str, head: str) -> str:
    """A git-style unified diff of the pull request (binary and LFS files: one line saying they differ)."""
    parts = []
    for path, old, new in changed_files(git, base, head):
        a, b = _lines(git, old), _lines(git, new)
        header = f"diff --git a/{path} b/{path}\n"
        if a is None or b is None:
            parts.append(header + f"Binary files a/{path} and b/{path} differ\n")
            continue
        body = "".join(
            difflib.unified_diff(a, b, f"a/{path}" if old else "/dev/null", f"b/{path}" if new else "/dev/null")
        )
        parts.append(header + body + ("" if body.endswith("\n") or not body else "\n"))
    diff = "".join(parts)
    return diff if len(diff) <= MAX_DIFF else diff[:MAX_DIFF] + "\n[diff cut: too long]\n"


class Community:
    """`hub`: the Hub (its git repos, locks and commits; its store)."""

    def __init__(self, hub):
        self._hub = hub
        self._store = hub.store

    # --- reading ---------------------------------------------------------------------------------------
    def discussions(self, rec: RepoRecord) -> list[dict]:
        """The repo's discussions and pull requests, newest first, each with its `comments` count."""
        return self._store.discussions(rec.type, rec.id)

    def get(self, rec: RepoRecord, num: int) -> dict | None:
        return self._store.discussion(rec.type, rec.id, num)

    def found(self, rec: RepoRecord, num: int, shown: str | None = None) -> dict:
        """The discussion, or 404 (`shown`: the number as the caller wrote it)."""
        d = self.get(rec, num)
        if d is None:
            raise NotFound(f"Discussion #{shown if shown is not None else num} of {rec.id} not found")
        return d

    def by(self, author: str) -> list[dict]:
        """Every discussion and pull request `author` opened (the classroom's report)."""
        return self._store.discussions_by(author)

    def events(self, rec: RepoRecord, num: int) -> list[dict]:
        return self._store.discussion_events(rec.type, rec.id, num)

    def comment_of(self, rec: RepoRecord, d: dict, comment_id: str, shown: str) -> dict:
        """A comment event of this discussion, or 404."""
        cid = comment_id.lower()
        e = self._store.discussion_event(cid) if re.fullmatch(r"[0-9a-f]{24}", cid) else None
        mine = {x["event_id"] for x in self.events(rec, d["num"]) if x["kind"] == "comment"}
        if e is None or e["event_id"] not in mine:
            raise NotFound(f"Comment {shown!r} not found in discussion #{d['num']} of {rec.id}")
        return e

    def pr_state(self, rec: RepoRecord, d: dict) -> tuple[GitRepo, str | None, str | None, list[str]]:
        """A pull request's (git repo, head of refs/pr/N, head of its target, files that conflict if open)."""
        git = self._hub.git(rec.type, rec.id)
        head = git.head(f"refs/pr/{d['num']}")
        target = git.head(d["target"])
        conflicts: list[str] = []
        if head and target and d["status"] in ("open", "draft"):
            conflicts = git.merge_plan(target, head)[2]
        return git, head, target, conflicts

    # --- writing ---------------------------------------------------------------------------------------
    def open(self, rec: RepoRecord, user: str, title, description, is_pr: bool = False) -> int:
        """A new discussion, or a draft pull request at main's head; its number."""
        title = check_title(title)
        description = check_text(description or "", "description", allow_empty=True)
        hub = self._hub
        git = hub.git(rec.type, rec.id)
        target = git.head("main")
        if is_pr and target is None:
            raise BadRequest(f"{rec.id} has no main branch to open a pull request against")
        with hub.repo_lock(rec.type, rec.id):
            num = self._store.create_discussion(
                rec.type,
                rec.id,
                title,
                user,
                is_pr,
                "draft" if is_pr else "open",
                "main" if is_pr else None,
                [("comment", _comment(description, user))],
                after=max(git.pr_refs(), default=0),
            )
            if is_pr:
                git.create_ref(f"refs/pr/{num}", target)
        return num

    def comment(self, rec: RepoRecord, d: dict, user: str, raw) -> dict:
        """A new comment; the event."""
        raw = check_text(raw, "comment")
        return self._store.add_discussion_event(rec.type, rec.id, d["num"], "comment", user, _comment(raw, user))

    def edit_comment(self, e: dict, user: str, raw) -> dict:
        """A new version of the comment (the old text stays in its history); the event."""
        raw = check_text(raw, "content")
        data = e["data"]
        if data.get("hidden"):
            raise BadRequest("This comment is hidden: it cannot be edited")
        data["history"].insert(0, {"raw": raw, "updatedAt": time.time(), "author": user})
        return self._store.update_discussion_event(e["event_id"], data)

    def hide_comment(self, e: dict, user: str) -> dict:
        """The comment's text is gone for good (history included); the event."""
        data = {
            "history": [
                {
                    "raw": "",
                    "updatedAt": e["data"]["history"][0]["updatedAt"] if e["data"]["history"] else e["created"],
                    "author": e["author"],
                }
            ],
            "hidden": True,
            "hiddenBy": user,
        }
        return self._store.update_discussion_event(e["event_id"], data)

    def rename(self, rec: RepoRecord, d: dict, user: str, title) -> dict:
        title = check_title(title)
        return self._store.add_discussion_event(
            rec.type, rec.id, d["num"], "title-change", user, {"from": d["title"], "to": title}, title=title
        )

    def set_status(self, rec: RepoRecord, d: dict, user: str, status, note=None) -> dict:
        """Close or reopen, after an optional comment; the event."""
        if status not in ("open", "closed"):
            raise BadRequest("`status` must be 'open' or 'closed'")
        if d["status"] == "merged":
            raise BadRequest(f"Pull request #{d['num']} is merged: its status cannot change")
        if isinstance(note, str) and note.strip():
            self.comment(rec, d, user, note)
        return self._store.add_discussion_event(
            rec.type, rec.id, d["num"], "status-change", user, {"status": status}, status=status
        )

    def merge(self, rec: RepoRecord, d: dict, user: str, note=None) -> tuple[dict, str]:
        """Merge into the target branch: a fast-forward when it has not moved, else a merge commit; files changed
        on both sides: 409 and nothing moves. (the status-change event, the new head of the target)."""
        if not d["is_pr"]:
            raise BadRequest(f"#{d['num']} is a discussion, not a pull request: there is nothing to merge")
        if d["status"] not in ("open", "draft"):
            raise BadRequest(f"Pull request #{d['num']} is {d['status']}: only an open pull request can be merged")
        hub = self._hub
        git = hub.git(rec.type, rec.id)
        head = git.head(f"refs/pr/{d['num']}")
        if head is None:
            raise NotFound(f"refs/pr/{d['num']} of {rec.id} is missing")
        with hub.repo_lock(rec.type, rec.id):
            try:
                sha, conflicts = git.merge(d["target"], head, f"Merge refs/pr/{d['num']}: {d['title']}", user)
            except GitRevisionNotFound:
                raise revision_not_found(rec.id, d["target"]) from None
            except ConflictError as e:
                raise Conflict(str(e)) from None
        if conflicts:
            raise Conflict(
                f"Pull request #{d['num']} cannot be merged into {d['target']}: these files changed on both "
                f"sides: {', '.join(conflicts[:20])}. Update the pull request (commit to refs/pr/{d['num']}) "
                "and try again"
            )
        if isinstance(note, str) and note.strip():
            self.comment(rec, d, user, note)
        e = self._store.add_discussion_event(
            rec.type, rec.id, d["num"], "status-change", user, {"status": "merged"}, status="merged", merge_commit=sha
        )
        return e, sha

    # --- commits that open or update a pull request ------------------------------------------------------
    def open_pr_with_commit(
        self, rec: RepoRecord, user: str, target: str, start: str, commit, summary: str, description: str
    ) -> tuple[int, str]:
        """A new open pull request from `start` (a commit of `target`) holding one commit, made by
        `commit(ref) -> sha` on a scratch ref first: a refused commit leaves no discussion behind. (N, sha)."""
        hub = self._hub
        git = hub.git(rec.type, rec.id)
        scratch = f"refs/pr-new/{secrets.token_hex(8)}"
        git.create_ref(scratch, start)
        try:
            sha = commit(scratch)
            with hub.repo_lock(rec.type, rec.id):
                num = self._store.create_discussion(
                    rec.type,
                    rec.id,
                    summary,
                    user,
                    True,
                    "open",
                    target,
                    [("comment", _comment(description, user)), ("commit", {"subject": summary, "oid": sha})],
                    after=max(git.pr_refs(), default=0),
                )
                git.create_ref(f"refs/pr/{num}", sha)
        finally:
            git.delete_ref(scratch)
        return num, sha

    def add_pr_commit(self, rec: RepoRecord, d: dict, user: str, commit, summary: str) -> str:
        """One more commit on an open (or draft) pull request, made by `commit(ref) -> sha` on `refs/pr/N`; a
        commit that changes something gets its event (a draft becomes open). The head after it."""
        if d["status"] not in ("open", "draft"):
            raise BadRequest(f"Pull request #{d['num']} is {d['status']}: reopen it before adding commits")
        ref = f"refs/pr/{d['num']}"
        before = self._hub.git(rec.type, rec.id).head(ref)
        sha = commit(ref)
        if sha != before:
            self._record_commit(rec, d, user, summary, sha)
        return sha

    def _record_commit(self, rec: RepoRecord, d: dict, user: str, summary: str, sha: str) -> None:
        self._store.add_discussion_event(
            rec.type,
            rec.id,
            d["num"],
            "commit",
            user,
            {"subject": summary, "oid": sha},
            **({"status": "open"} if d["status"] == "draft" else {}),
        )
