"""The community tab's API: discussions and pull requests, as huggingface_hub 2.x calls them.

A pull request is a discussion whose changes live on `refs/pr/N` (N: its number), branched from its target branch;
anyone who can read the repo's files may open one (`create_commit(create_pr=True)`), its author and the repo's
writers may add commits to it (`create_commit(revision="refs/pr/N")`), only writers merge it. Every decision is a
`Policy` method (`discuss`, `propose`, `push_to_pr`, `moderate`, `merge`); the JSON shapes are those
huggingface_hub's `community.py` parses (it raises on a missing field).
"""

from __future__ import annotations

import difflib
import re
import secrets
import time

from starlette.responses import JSONResponse

from ..errors import BadRequest, Conflict, NotFound, revision_not_found
from ..gitrepo import SHA_RE, ConflictError, GitRepo
from ..gitrepo import RevisionNotFound as GitRevisionNotFound
from ..http import Ctx
from ..lfs import Pointer
from ..markdown import markdown
from ..names import iso
from ..policy import repo_url

PR_REF = re.compile(r"^refs/pr/([1-9][0-9]{0,8})$")
PAGE = 50  # discussions per page (`p=`), as on huggingface.co
TITLE_MIN, TITLE_MAX = 3, 200
MAX_COMMENT = 65536
MAX_DIFF = 512 * 1024  # a PR's diff beyond this is cut (the page links to the files)


def pr_number(revision: str) -> int | None:
    """`refs/pr/N` -> N (None for any other revision)."""
    m = PR_REF.match(revision)
    return int(m.group(1)) if m else None


# --- JSON shapes ---------------------------------------------------------------------------------------------------
def _user(ctx: Ctx, name: str, namespace: str) -> dict:
    user = ctx.hub.store.get_user(name) or {"name": name, "fullname": name}
    return {
        "name": user["name"],
        "fullname": user["fullname"],
        "type": "user",
        "avatarUrl": "",
        "isPro": False,
        "isHf": False,
        "isMod": False,
        "isOwner": name == namespace,
        "isOrgMember": ctx.hub.store.org_role(namespace, name) is not None,
    }


def event_json(ctx: Ctx, namespace: str, e: dict) -> dict:
    data = e["data"]
    if e["kind"] == "comment":
        latest = (
            data["history"][0] if data["history"] else {"raw": "", "updatedAt": e["created"], "author": e["author"]}
        )
        raw = "" if data.get("hidden") else latest["raw"]
        out = {
            "edited": len(data["history"]) > 1,
            "hidden": bool(data.get("hidden")),
            "latest": {
                "raw": raw,
                "html": markdown(raw),
                "updatedAt": iso(latest["updatedAt"]),
                "author": {"name": latest["author"]},
            },
            "numEdits": max(0, len(data["history"]) - 1),
            "editors": sorted({h["author"] for h in data["history"]}),
            "history": []
            if data.get("hidden")
            else [
                {
                    "raw": h["raw"],
                    "html": markdown(h["raw"]),
                    "updatedAt": iso(h["updatedAt"]),
                    "author": {"name": h["author"]},
                }
                for h in data["history"]
            ],
            "reactions": [],
            "isReport": False,
        }
    else:
        out = data
    return {
        "id": e["event_id"],
        "type": e["kind"],
        "createdAt": iso(e["created"]),
        "author": _user(ctx, e["author"], namespace),
        "data": out,
    }


def discussion_json(ctx: Ctx, rec, d: dict, comments: int | None = None) -> dict:
    out = {
        "num": d["num"],
        "title": d["title"],
        "status": d["status"],
        "createdAt": iso(d["created"]),
        "isPullRequest": d["is_pr"],
        "author": _user(ctx, d["author"], rec.namespace),
        "repo": {"name": rec.id, "type": rec.type},
        "pinned": False,
        "topReactions": [],
        "numReactionUsers": 0,
        "url": f"{repo_url(ctx.endpoint, rec.type, rec.id)}/discussions/{d['num']}",
    }
    if comments is not None:
        out["numComments"] = comments
    return out


# --- reading -------------------------------------------------------------------------------------------------------
def list_discussions(ctx: Ctx):
    """`?type=all|discussion|pull_request&status=all|open|closed&author=&p=` -> one page of 50, newest first."""
    rec = ctx.policy.see(ctx.ident, ctx.repo_type, ctx.repo_id)
    kind, status, author = ctx.query("type") or "all", ctx.query("status") or "all", ctx.query("author")
    if kind not in ("all", "discussion", "pull_request") or status not in ("all", "open", "closed"):
        raise BadRequest("`type` must be all|discussion|pull_request and `status` all|open|closed")
    try:
        page = max(0, int(ctx.query("p") or 0))
    except ValueError:
        raise BadRequest("`p` must be a page number") from None
    rows = ctx.hub.store.discussions(rec.type, rec.id)
    closed = sum(1 for d in rows if d["status"] in ("closed", "merged"))
    rows = [
        d
        for d in rows
        if (kind == "all" or d["is_pr"] == (kind == "pull_request"))
        and (status == "all" or (d["status"] in ("closed", "merged")) == (status == "closed"))
        and (author is None or d["author"] == author)
    ]
    start = page * PAGE
    return JSONResponse(
        {
            "discussions": [discussion_json(ctx, rec, d, d["comments"]) for d in rows[start : start + PAGE]],
            "count": len(rows),
            "start": start,
            "numClosedDiscussions": closed,
        }
    )


def _num(ctx: Ctx) -> int:
    try:
        num = int(ctx.params["num"])
    except ValueError:
        raise BadRequest("A discussion number is a positive integer") from None
    if not 0 < num < 10**9:
        raise BadRequest("A discussion number is a positive integer")
    return num


def _discussion(ctx: Ctx, rec) -> dict:
    d = ctx.hub.store.discussion(rec.type, rec.id, _num(ctx))
    if d is None:
        raise NotFound(f"Discussion #{ctx.params['num']} of {rec.id} not found")
    return d


def details(ctx: Ctx, rec, d: dict, with_diff: bool = True) -> dict:
    """A discussion with its events; a pull request with its target (`changes.base`), merge commit, conflicting
    files and diff."""
    out = discussion_json(ctx, rec, d)
    out["events"] = [
        event_json(ctx, rec.namespace, e) for e in ctx.hub.store.discussion_events(rec.type, rec.id, d["num"])
    ]
    if d["is_pr"]:
        git = ctx.hub.git(rec.type, rec.id)
        head = git.head(f"refs/pr/{d['num']}")
        changes = {"base": f"refs/heads/{d['target']}", "head": f"refs/pr/{d['num']}"}
        if d["merge_commit"]:
            changes["mergeCommitId"] = d["merge_commit"]
        out["changes"] = changes
        target = git.head(d["target"])
        conflicts: list[str] = []
        if head and target and d["status"] in ("open", "draft"):
            conflicts = git.merge_plan(target, head)[2]
        out["filesWithConflicts"] = conflicts
        if with_diff and head and ctx.policy.has_file_access(ctx.ident, rec):  # a gated repo's contents stay gated
            base = (git.merge_base(target, head) if target else None) or head
            out["diff"] = pr_diff(git, base, head)
    return out


def get_discussion(ctx: Ctx):
    rec = ctx.policy.see(ctx.ident, ctx.repo_type, ctx.repo_id)
    return JSONResponse(details(ctx, rec, _discussion(ctx, rec), with_diff=ctx.flag("diff")))


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


# --- writing -------------------------------------------------------------------------------------------------------
def _title(value) -> str:
    if not isinstance(value, str) or not TITLE_MIN <= len(value.strip()) <= TITLE_MAX:
        raise BadRequest(f"A title must be a string of {TITLE_MIN} to {TITLE_MAX} characters")
    return value.strip()


def _text(value, what: str, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not value.strip() and not allow_empty):
        raise BadRequest(f"`{what}` must be a non-empty string")
    if len(value) > MAX_COMMENT:
        raise BadRequest(f"`{what}` is too long (at most {MAX_COMMENT} characters)")
    return value


def _comment(raw: str, user: str, now: float | None = None) -> dict:
    return {"history": [{"raw": raw, "updatedAt": now or time.time(), "author": user}], "hidden": False}


def create_discussion(ctx: Ctx):
    """`{title, description, pullRequest}`: a discussion, or a draft pull request whose `refs/pr/N` starts at the
    target branch's head (commits come with `create_commit(revision="refs/pr/N")`)."""
    data = ctx.json()
    is_pr = bool(data.get("pullRequest"))
    if is_pr:
        rec, ident = ctx.policy.propose(ctx.ident, ctx.repo_type, ctx.repo_id, ctx.endpoint)
    else:
        rec, ident = ctx.policy.discuss(ctx.ident, ctx.repo_type, ctx.repo_id)
    num = open_discussion(ctx.hub, rec, ident.user, data.get("title"), data.get("description"), is_pr)
    return JSONResponse(details(ctx, rec, ctx.hub.store.discussion(rec.type, rec.id, num), with_diff=False))


def open_discussion(hub, rec, user: str, title, description, is_pr: bool = False) -> int:
    """A new discussion, or a draft pull request at main's head (the caller was allowed by `Policy.discuss` /
    `Policy.propose`); its number."""
    title = _title(title)
    description = _text(description or "", "description", allow_empty=True)
    git = hub.git(rec.type, rec.id)
    target = git.head("main")
    if is_pr and target is None:
        raise BadRequest(f"{rec.id} has no main branch to open a pull request against")
    with hub.repo_lock(rec.type, rec.id):
        num = hub.store.create_discussion(
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


def comment(ctx: Ctx):
    rec, ident = ctx.policy.discuss(ctx.ident, ctx.repo_type, ctx.repo_id)
    d = _discussion(ctx, rec)
    e = add_comment(ctx.hub, rec, d, ident.user, ctx.json().get("comment"))
    return JSONResponse({"newMessage": event_json(ctx, rec.namespace, e)})


def add_comment(hub, rec, d: dict, user: str, raw) -> dict:
    """A new comment (the caller was allowed by `Policy.discuss`); the event."""
    raw = _text(raw, "comment")
    return hub.store.add_discussion_event(rec.type, rec.id, d["num"], "comment", user, _comment(raw, user))


def _comment_event(ctx: Ctx, rec, d: dict) -> dict:
    cid = ctx.params["comment"].lower()
    e = ctx.hub.store.discussion_event(cid) if re.fullmatch(r"[0-9a-f]{24}", cid) else None
    mine = {
        x["event_id"] for x in ctx.hub.store.discussion_events(rec.type, rec.id, d["num"]) if x["kind"] == "comment"
    }
    if e is None or e["event_id"] not in mine:
        raise NotFound(f"Comment {ctx.params['comment']!r} not found in discussion #{d['num']} of {rec.id}")
    return e


def edit_comment(ctx: Ctx):
    """`{content}`: only the comment's author edits it (the old text stays in its history)."""
    rec = ctx.policy.see(ctx.ident, ctx.repo_type, ctx.repo_id)
    d = _discussion(ctx, rec)
    e = _comment_event(ctx, rec, d)
    rec, ident = ctx.policy.moderate(ctx.ident, rec.type, rec.id, e["author"], "edit this comment", writers=False)
    raw = _text(ctx.json().get("content"), "content")
    data = e["data"]
    if data.get("hidden"):
        raise BadRequest("This comment is hidden: it cannot be edited")
    data["history"].insert(0, {"raw": raw, "updatedAt": time.time(), "author": ident.user})
    e = ctx.hub.store.update_discussion_event(e["event_id"], data)
    return JSONResponse({"updatedComment": event_json(ctx, rec.namespace, e)})


def hide_comment(ctx: Ctx):
    """The comment's author or a writer hides it: its text is gone for good (history included)."""
    rec = ctx.policy.see(ctx.ident, ctx.repo_type, ctx.repo_id)
    d = _discussion(ctx, rec)
    e = _comment_event(ctx, rec, d)
    rec, ident = ctx.policy.moderate(ctx.ident, rec.type, rec.id, e["author"], "hide this comment")
    data = {
        "history": [
            {
                "raw": "",
                "updatedAt": e["data"]["history"][0]["updatedAt"] if e["data"]["history"] else e["created"],
                "author": e["author"],
            }
        ],
        "hidden": True,
        "hiddenBy": ident.user,
    }
    e = ctx.hub.store.update_discussion_event(e["event_id"], data)
    return JSONResponse({"updatedComment": event_json(ctx, rec.namespace, e)})


def rename(ctx: Ctx):
    """`{title}`: the discussion's author or a writer."""
    rec = ctx.policy.see(ctx.ident, ctx.repo_type, ctx.repo_id)
    d = _discussion(ctx, rec)
    rec, ident = ctx.policy.moderate(ctx.ident, rec.type, rec.id, d["author"], f"rename discussion #{d['num']}")
    title = _title(ctx.json().get("title"))
    e = ctx.hub.store.add_discussion_event(
        rec.type, rec.id, d["num"], "title-change", ident.user, {"from": d["title"], "to": title}, title=title
    )
    return JSONResponse({"newTitle": event_json(ctx, rec.namespace, e)})


def change_status(ctx: Ctx):
    """`{status: open|closed, comment?}`: the discussion's author or a writer; a merged pull request stays merged."""
    rec = ctx.policy.see(ctx.ident, ctx.repo_type, ctx.repo_id)
    d = _discussion(ctx, rec)
    rec, ident = ctx.policy.moderate(
        ctx.ident, rec.type, rec.id, d["author"], f"close or reopen discussion #{d['num']}"
    )
    data = ctx.json()
    e = set_status(ctx.hub, rec, d, ident.user, data.get("status"), data.get("comment"))
    return JSONResponse({"newStatus": event_json(ctx, rec.namespace, e)})


def set_status(hub, rec, d: dict, user: str, status, note=None) -> dict:
    """Close or reopen (the caller was allowed by `Policy.moderate`), after an optional comment; the event."""
    if status not in ("open", "closed"):
        raise BadRequest("`status` must be 'open' or 'closed'")
    if d["status"] == "merged":
        raise BadRequest(f"Pull request #{d['num']} is merged: its status cannot change")
    if isinstance(note, str) and note.strip():
        add_comment(hub, rec, d, user, note)
    return hub.store.add_discussion_event(
        rec.type, rec.id, d["num"], "status-change", user, {"status": status}, status=status
    )


def merge(ctx: Ctx):
    """Writers merge an open (or draft) pull request into its target branch: a fast-forward when the branch has
    not moved, else a merge commit; files changed on both sides: 409 and nothing moves."""
    rec = ctx.policy.merge(ctx.ident, ctx.repo_type, ctx.repo_id)
    d = _discussion(ctx, rec)
    data = ctx.json() if ctx.body else {}
    e, sha = merge_pr(ctx.hub, rec, d, ctx.ident.user, data.get("comment"))
    return JSONResponse({"newStatus": event_json(ctx, rec.namespace, e), "mergeCommitId": sha})


def merge_pr(hub, rec, d: dict, user: str, note=None) -> tuple[dict, str]:
    """Merge (the caller was allowed by `Policy.merge`): (the status-change event, the new head of the target)."""
    if not d["is_pr"]:
        raise BadRequest(f"#{d['num']} is a discussion, not a pull request: there is nothing to merge")
    if d["status"] not in ("open", "draft"):
        raise BadRequest(f"Pull request #{d['num']} is {d['status']}: only an open pull request can be merged")
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
        add_comment(hub, rec, d, user, note)
    e = hub.store.add_discussion_event(
        rec.type, rec.id, d["num"], "status-change", user, {"status": "merged"}, status="merged", merge_commit=sha
    )
    return e, sha


# --- commits that open or update a pull request (called by write.commit) ----------------------------------------
def wants_pr(ctx: Ctx) -> bool:
    """A commit or preupload for a pull request: `?create_pr=1`, or a revision `refs/pr/N`."""
    return ctx.flag("create_pr") or pr_number(ctx.params.get("rev", "")) is not None


def may_propose(ctx: Ctx):
    """Who may preupload for a pull request (the commit itself decides the rest)."""
    return ctx.policy.propose(ctx.ident, ctx.repo_type, ctx.repo_id, ctx.endpoint)[0]


def commit_pr(ctx: Ctx, header: dict, changes: dict, folders: list[str]):
    """`create_pr=1`: a new pull request whose `refs/pr/N` starts at the target branch (or `parentCommit`) and
    holds this commit (its summary: the title; its description: the first comment); revision `refs/pr/N`: one
    more commit on that open pull request."""
    hub, rev = ctx.hub, ctx.params["rev"]
    summary = str(header.get("summary") or "Upload files").strip()[:TITLE_MAX] or "Upload files"
    description = str(header.get("description") or "").strip()
    message = summary + ("\n\n" + description if description else "")
    num = pr_number(rev)
    if ctx.flag("create_pr"):
        if num is not None:
            raise BadRequest(f"{rev} is already a pull request: commit to it without create_pr")
        rec, ident = ctx.policy.propose(ctx.ident, ctx.repo_type, ctx.repo_id, ctx.endpoint)
        git = hub.git(rec.type, rec.id)
        target = git.head(rev) if not rev.startswith("refs/") else None
        if target is None:
            raise revision_not_found(rec.id, rev)
        start = header.get("parentCommit") or target
        if not isinstance(start, str) or not SHA_RE.match(start) or start not in git.ancestors(target):
            raise BadRequest(f"parentCommit must be a commit of {rev}")
        scratch = f"refs/pr-new/{secrets.token_hex(8)}"  # the commit first: a refused one leaves no discussion
        git.create_ref(scratch, start)
        try:
            sha = hub.commit(
                rec.type, rec.id, scratch, changes, message, ident.user, delete_folders=tuple(folders), allow_empty=True
            )
            with hub.repo_lock(rec.type, rec.id):
                num = hub.store.create_discussion(
                    rec.type,
                    rec.id,
                    summary,
                    ident.user,
                    True,
                    "open",
                    rev,
                    [("comment", _comment(description, ident.user)), ("commit", {"subject": summary, "oid": sha})],
                    after=max(git.pr_refs(), default=0),
                )
                git.create_ref(f"refs/pr/{num}", sha)
        finally:
            git.delete_ref(scratch)
    else:
        rec = ctx.policy.see(ctx.ident, ctx.repo_type, ctx.repo_id)
        d = hub.store.discussion(rec.type, rec.id, num)
        if d is None or not d["is_pr"]:
            raise revision_not_found(rec.id, rev)
        rec, ident = ctx.policy.push_to_pr(ctx.ident, rec.type, rec.id, ctx.endpoint, d["author"])
        if d["status"] not in ("open", "draft"):
            raise BadRequest(f"Pull request #{num} is {d['status']}: reopen it before adding commits")
        git = hub.git(rec.type, rec.id)
        before = git.head(rev)
        sha = hub.commit(
            rec.type,
            rec.id,
            rev,
            changes,
            message,
            ident.user,
            parent=header.get("parentCommit"),
            delete_folders=tuple(folders),
            allow_empty=False,
        )
        if sha != before:
            hub.store.add_discussion_event(
                rec.type,
                rec.id,
                num,
                "commit",
                ident.user,
                {"subject": summary, "oid": sha},
                **({"status": "open"} if d["status"] == "draft" else {}),
            )
    url = repo_url(ctx.endpoint, rec.type, rec.id)
    return JSONResponse(
        {"commitUrl": f"{url}/commit/{sha}", "commitOid": sha, "pullRequestUrl": f"{url}/discussions/{num}"}
    )
