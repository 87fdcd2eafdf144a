"""The website's Community tab: a repo's discussions and pull requests, one discussion's page (comments, a comment
form, close/reopen), a pull request's files changed and its merge button. Every action asks `Policy` exactly what
the API asks (`discuss`, `moderate`, `merge`) and runs the same operations (`hub.community`); user text is Markdown
through the website's sanitiser, diffs and titles are escaped by the templates."""

from __future__ import annotations

from starlette.responses import Response

from ..errors import BadRequest
from ..http import Route, route
from ..hub_community import changed_files, diff_base, pr_diff
from . import render
from .routes import REPO, Web, _common, _repo_base, page

STATUSES = ("open", "closed", "all")
KINDS = ("all", "discussion", "pull_request")


def discussions(w: Web) -> Response:
    rec = w.policy.see(w.ident, w.ctx.repo_type, w.ctx.repo_id)
    if w.ctx.request.method == "POST":
        rec, ident = w.policy.discuss(w.ident, rec.type, rec.id)
        num = w.hub.community.open(rec, ident.user, w.posted.get("title"), w.posted.get("description"))
        return w.redirect(f"{_repo_base(rec)}/discussions/{num}")
    status = w.ctx.query("status") or "open"
    kind = w.ctx.query("kind") or "all"
    if status not in STATUSES or kind not in KINDS:
        raise BadRequest(f"status is one of {', '.join(STATUSES)}; kind one of {', '.join(KINDS)}")
    rows = w.hub.community.discussions(rec)
    counts = {
        "open": sum(d["status"] in ("open", "draft") for d in rows),
        "closed": sum(d["status"] in ("closed", "merged") for d in rows),
        "all": len(rows),
    }
    rows = [
        d
        for d in rows
        if (kind == "all" or d["is_pr"] == (kind == "pull_request"))
        and (status == "all" or (d["status"] in ("closed", "merged")) == (status == "closed"))
    ]
    return w.page(
        "discussions.html",
        rows=rows,
        state=status,
        kind=kind,
        counts=counts,
        can_discuss=w.policy.allowed(w.policy.discuss, w.ident, rec.type, rec.id),
        **{**_common(w, rec, tab="community"), "title": f"Community · {rec.id}"},
    )


def discussion(w: Web) -> Response:
    rec = w.policy.see(w.ident, w.ctx.repo_type, w.ctx.repo_id)
    num = int(w.ctx.params["num"]) if len(w.ctx.params["num"]) < 10 else 0
    d = w.hub.community.found(rec, num, w.ctx.params["num"])
    here = f"{_repo_base(rec)}/discussions/{num}"
    if w.ctx.request.method == "POST":
        action, text = w.posted.get("action"), w.posted.get("comment", "")
        if action == "comment":
            rec, ident = w.policy.discuss(w.ident, rec.type, rec.id)
            w.hub.community.comment(rec, d, ident.user, text)
        elif action in ("close", "reopen"):
            rec, ident = w.policy.moderate(w.ident, rec.type, rec.id, d["author"], f"{action} #{num}")
            w.hub.community.set_status(rec, d, ident.user, "closed" if action == "close" else "open", text)
        elif action == "merge":
            rec = w.policy.merge(w.ident, rec.type, rec.id)
            w.hub.community.merge(rec, d, w.ident.user, text)
        else:
            raise BadRequest("`action` must be comment, close, reopen or merge")
        return w.redirect(here)
    events = []
    for e in w.hub.community.events(rec, num):
        item = {"kind": e["kind"], "author": e["author"], "created": e["created"], "data": e["data"]}
        if e["kind"] == "comment":
            history = e["data"]["history"]
            item["hidden"] = bool(e["data"].get("hidden"))
            item["edited"] = len(history) > 1
            item["html"] = "" if item["hidden"] else render.markdown(history[0]["raw"] if history else "")
        events.append(item)
    files, diff, conflicts = [], "", []
    if d["is_pr"]:
        git, head, target, conflicts = w.hub.community.pr_state(rec, d)
        if head:
            base = diff_base(git, target, head)
            files = [
                (p, "added" if a is None else "deleted" if b is None else "modified")
                for p, a, b in changed_files(git, base, head)
            ]
            if w.policy.has_file_access(w.ident, rec):  # a gated repo's file list is public, its contents are not
                diff = pr_diff(git, base, head)
    return w.page(
        "discussion.html",
        d=d,
        events=events,
        files=files,
        diff=diff,
        conflicts=conflicts,
        can_comment=w.policy.allowed(w.policy.discuss, w.ident, rec.type, rec.id),
        can_moderate=w.policy.allowed(w.policy.moderate, w.ident, rec.type, rec.id, d["author"], ""),
        can_merge=d["is_pr"] and w.policy.allowed(w.policy.merge, w.ident, rec.type, rec.id),
        **{**_common(w, rec, tab="community"), "title": f"#{num} {d['title']} · {rec.id}"},
    )


ROUTES: list[Route] = [
    route("GET|POST", rf"{REPO}/discussions", page(discussions), page=True),
    route("GET|POST", rf"{REPO}/discussions/(?P<num>[0-9]+)", page(discussion), page=True),
]
