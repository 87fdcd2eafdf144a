"""Gated repos: learners ask for access; owners list, accept, reject and grant (what `HfApi` calls)."""

from __future__ import annotations

from starlette.responses import JSONResponse

from ..errors import BadRequest, UserNotFound
from ..http import Ctx
from ..names import iso


def _owned_gated(ctx: Ctx):
    rec = ctx.policy.manage_access(ctx.ident, ctx.repo_type, ctx.repo_id)
    if not rec.gated:
        raise BadRequest(f"{rec.id} is not a gated repo")
    return rec


def list_requests(ctx: Ctx):
    rec = _owned_gated(ctx)
    out = []
    for r in ctx.hub.access.listed(rec, ctx.params["status"]):
        user = ctx.hub.accounts.card(r["user"])
        out.append(
            {
                "user": {"user": user["name"], "fullname": user["fullname"], "email": None},
                "requestId": f"{rec.type}:{rec.id}:{user['name']}",
                "status": r["status"],
                "timestamp": iso(r["updated"]),
                "fields": r["fields"],
            }
        )
    return JSONResponse(out)


def _user_from(ctx: Ctx) -> str:
    data = ctx.json()
    user = data.get("user")
    if not user and isinstance(data.get("requestId"), str):
        user = data["requestId"].rsplit(":", 1)[-1]
    if not isinstance(user, str) or not ctx.hub.accounts.exists(user):
        raise UserNotFound(f"User {user!r} not found on the course hub")
    return user


def handle(ctx: Ctx):
    rec = _owned_gated(ctx)
    user = _user_from(ctx)
    ctx.hub.access.set_status(rec, user, ctx.json().get("status"))
    return JSONResponse({})


def grant(ctx: Ctx):
    rec = _owned_gated(ctx)
    user = _user_from(ctx)
    ctx.hub.access.grant(rec, user)
    return JSONResponse({"user": user, "status": "accepted"})


def ask_access(ctx: Ctx):
    """What the 'Agree and access repository' button on a gated repo page does (form or JSON fields)."""
    rec, ident = ctx.policy.request_access(ctx.ident, ctx.repo_type, ctx.repo_id)
    if not rec.gated:
        raise BadRequest(f"{rec.id} is not gated: you can already download it")
    fields: dict = {}
    if ctx.body:
        ctype = ctx.request.headers.get("content-type", "")
        if "json" in ctype:
            fields = ctx.json()
        else:
            from urllib.parse import parse_qsl

            fields = dict(parse_qsl(ctx.body.decode("utf-8", "replace")))
    return JSONResponse({"status": ctx.hub.access.ask(rec, ident.user, fields)})
