"""The community tab's API: discussions and pull requests, as huggingface_hub 2.x calls them.

A pull request is a discussion whose changes live on `refs/pr/N` (N: its number), branched from its target branch;
anyone who can read the repo's files may open one (`create_commit(create_pr=True)`), its author and the repo's
writers may add commits to it (`create_commit(revision="refs/pr/N")`), only writers merge it. Every decision is a
`Policy` method (`discuss`, `propose`, `push_to_pr`, `moderate`, `merge`), every change an operation of
`hub.community` (course_hub/hub_community.py, which the website calls too); the JSON shapes are those
huggingface_hub's `community.py` parses (it raises on a missing field).
"""

from __future__ import annotations

from starlette.responses import JSONResponse

from ..errors import BadRequest, revision_not_found
from ..gitrepo import SHA_RE
from ..http import Ctx
from ..hub_community import TITLE_MAX, diff_base, pr_diff, pr_number
from ..markdown import markdown
from ..names import iso
from ..urls import repo_url
from . import webhooks

PAGE = 50  # discussions per page (`p=`), as on huggingface.co


# --- JSON shapes ---------------------------------------------------------------------------------------------------
def _user(ctx: Ctx, name: str, namespace: str) -> dict:
    user = ctx.hub.accounts.card(name)
    return {
        "name": user["name"],
        "fullname": user["fullname"],
        "type": "user",
        "avatarUrl": "",
        "isPro": False,
        "isHf": False,
        "isMod": False,
        "isOwner": name == namespace,
        "isOrgMember": ctx.hub.accounts.is_org_member(namespace, name),
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
        "url": repo_url(ctx.endpoint, rec.type, rec.id, "discussions", str(d["num"])),
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
    rows = ctx.hub.community.discussions(rec)
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
    return ctx.hub.community.found(rec, _num(ctx), ctx.params["num"])


def details(ctx: Ctx, rec, d: dict, with_diff: bool = True) -> dict:
    """A discussion with its events; a pull request with its target (`changes.base`), merge commit, conflicting
    files and diff."""
    out = discussion_json(ctx, rec, d)
    out["events"] = [event_json(ctx, rec.namespace, e) for e in ctx.hub.community.events(rec, d["num"])]
    if d["is_pr"]:
        git, head, target, conflicts = ctx.hub.community.pr_state(rec, d)
        changes = {"base": f"refs/heads/{d['target']}", "head": f"refs/pr/{d['num']}"}
        if d["merge_commit"]:
            changes["mergeCommitId"] = d["merge_commit"]
        out["changes"] = changes
        out["filesWithConflicts"] = conflicts
        if with_diff and head and ctx.policy.has_file_access(ctx.ident, rec):  # a gated repo's contents stay gated
            out["diff"] = pr_diff(git, diff_base(git, target, head), head)
    return out


def get_discussion(ctx: Ctx):
    rec = ctx.policy.see(ctx.ident, ctx.repo_type, ctx.repo_id)
    return JSONResponse(details(ctx, rec, _discussion(ctx, rec), with_diff=ctx.flag("diff")))


# --- writing -------------------------------------------------------------------------------------------------------
def create_discussion(ctx: Ctx):
    """`{title, description, pullRequest}`: a discussion, or a draft pull request whose `refs/pr/N` starts at the
    target branch's head (commits come with `create_commit(revision="refs/pr/N")`)."""
    data = ctx.json()
    is_pr = bool(data.get("pullRequest"))
    if is_pr:
        rec, ident = ctx.policy.propose(ctx.ident, ctx.repo_type, ctx.repo_id, ctx.endpoint)
    else:
        rec, ident = ctx.policy.discuss(ctx.ident, ctx.repo_type, ctx.repo_id)
    num = ctx.hub.community.open(rec, ident.user, data.get("title"), data.get("description"), is_pr)
    webhooks.emit_discussion(ctx, rec, num, "create")
    return JSONResponse(details(ctx, rec, ctx.hub.community.get(rec, num), with_diff=False))


def comment(ctx: Ctx):
    rec, ident = ctx.policy.discuss(ctx.ident, ctx.repo_type, ctx.repo_id)
    d = _discussion(ctx, rec)
    e = ctx.hub.community.comment(rec, d, ident.user, ctx.json().get("comment"))
    webhooks.emit_discussion(ctx, rec, d["num"], "create", e)
    return JSONResponse({"newMessage": event_json(ctx, rec.namespace, e)})


def _comment_event(ctx: Ctx, rec, d: dict) -> dict:
    return ctx.hub.community.comment_of(rec, d, ctx.params["comment"], ctx.params["comment"])


def edit_comment(ctx: Ctx):
    """`{content}`: only the comment's author edits it (the old text stays in its history)."""
    rec = ctx.policy.see(ctx.ident, ctx.repo_type, ctx.repo_id)
    d = _discussion(ctx, rec)
    e = _comment_event(ctx, rec, d)
    rec, ident = ctx.policy.moderate(ctx.ident, rec.type, rec.id, e["author"], "edit this comment", writers=False)
    e = ctx.hub.community.edit_comment(e, ident.user, ctx.json().get("content"))
    return JSONResponse({"updatedComment": event_json(ctx, rec.namespace, e)})


def hide_comment(ctx: Ctx):
    """The comment's author or a writer hides it: its text is gone for good (history included)."""
    rec = ctx.policy.see(ctx.ident, ctx.repo_type, ctx.repo_id)
    d = _discussion(ctx, rec)
    e = _comment_event(ctx, rec, d)
    rec, ident = ctx.policy.moderate(ctx.ident, rec.type, rec.id, e["author"], "hide this comment")
    e = ctx.hub.community.hide_comment(e, ident.user)
    return JSONResponse({"updatedComment": event_json(ctx, rec.namespace, e)})


def rename(ctx: Ctx):
    """`{title}`: the discussion's author or a writer."""
    rec = ctx.policy.see(ctx.ident, ctx.repo_type, ctx.repo_id)
    d = _discussion(ctx, rec)
    rec, ident = ctx.policy.moderate(ctx.ident, rec.type, rec.id, d["author"], f"rename discussion #{d['num']}")
    e = ctx.hub.community.rename(rec, d, ident.user, ctx.json().get("title"))
    return JSONResponse({"newTitle": event_json(ctx, rec.namespace, e)})


def change_status(ctx: Ctx):
    """`{status: open|closed, comment?}`: the discussion's author or a writer; a merged pull request stays merged."""
    rec = ctx.policy.see(ctx.ident, ctx.repo_type, ctx.repo_id)
    d = _discussion(ctx, rec)
    rec, ident = ctx.policy.moderate(
        ctx.ident, rec.type, rec.id, d["author"], f"close or reopen discussion #{d['num']}"
    )
    data = ctx.json()
    e = ctx.hub.community.set_status(rec, d, ident.user, data.get("status"), data.get("comment"))
    webhooks.emit_discussion(ctx, rec, d["num"], "update")
    return JSONResponse({"newStatus": event_json(ctx, rec.namespace, e)})


def merge(ctx: Ctx):
    """Writers merge an open (or draft) pull request into its target branch: a fast-forward when the branch has
    not moved, else a merge commit; files changed on both sides: 409 and nothing moves."""
    rec = ctx.policy.merge(ctx.ident, ctx.repo_type, ctx.repo_id)
    d = _discussion(ctx, rec)
    data = ctx.json() if ctx.body else {}
    e, sha = ctx.hub.community.merge(rec, d, ctx.ident.user, data.get("comment"))
    webhooks.emit_discussion(ctx, rec, d["num"], "update")
    return JSONResponse({"newStatus": event_json(ctx, rec.namespace, e), "mergeCommitId": sha})


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
        num, sha = hub.community.open_pr_with_commit(
            rec,
            ident.user,
            rev,
            start,
            lambda ref: hub.commit(
                rec.type, rec.id, ref, changes, message, ident.user, delete_folders=tuple(folders), allow_empty=True
            ),
            summary,
            description,
        )
        webhooks.emit_discussion(ctx, rec, num, "create")  # a pull request opened by a commit
    else:
        rec = ctx.policy.see(ctx.ident, ctx.repo_type, ctx.repo_id)
        d = hub.community.get(rec, num)
        if d is None or not d["is_pr"]:
            raise revision_not_found(rec.id, rev)
        rec, ident = ctx.policy.push_to_pr(ctx.ident, rec.type, rec.id, ctx.endpoint, d["author"])
        sha = hub.community.add_pr_commit(
            rec,
            d,
            ident.user,
            lambda ref: hub.commit(
                rec.type,
                rec.id,
                ref,
                changes,
                message,
                ident.user,
                parent=header.get("parentCommit"),
                delete_folders=tuple(folders),
                allow_empty=False,
            ),
            summary,
        )
    return JSONResponse(
        {
            "commitUrl": repo_url(ctx.endpoint, rec.type, rec.id, "commit", sha),
            "commitOid": sha,
            "pullRequestUrl": repo_url(ctx.endpoint, rec.type, rec.id, "discussions", str(num)),
        }
    )
