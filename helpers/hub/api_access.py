"""Gated repos: learners ask for access; owners list, accept, reject and grant (what `HfApi` calls)."""
from __future__ import annotations

import json

from starlette.responses import JSONResponse

from .errors import HubError, bad_request, unauthorized
from .http import Ctx
from .hub import iso


def _owned_gated(ctx: Ctx):
    rec = ctx.hub.visible_record(ctx.repo_type, ctx.repo_id, ctx.ident)
    if ctx.ident is None:
        raise unauthorized("You must be authenticated to manage access requests")
    if not ctx.hub.can_manage_access(ctx.ident, rec.namespace):
        raise HubError(403, f"You cannot manage access to {rec.id}: you need a write token of its owner or of an "
                       f"admin of {rec.namespace!r}", "Forbidden")
    if not rec.gated:
        raise bad_request(f"{rec.id} is not a gated repo")
    return rec


def list_requests(ctx: Ctx):
    rec = _owned_gated(ctx)
    rows = ctx.hub.store.access_list(rec.type, rec.id, ctx.params["status"])
    out = []
    for r in rows:
        user = ctx.hub.store.get_user(r["user"]) or {"name": r["user"], "fullname": r["user"]}
        out.append({"user": {"user": user["name"], "fullname": user["fullname"], "email": None},
                    "requestId": f"{rec.type}:{rec.id}:{user['name']}", "status": r["status"],
                    "timestamp": iso(r["updated"]), "fields": json.loads(r["fields"] or "{}")})
    return JSONResponse(out)


def _user_from(ctx: Ctx) -> str:
    data = ctx.json()
    user = data.get("user")
    if not user and isinstance(data.get("requestId"), str):
        user = data["requestId"].rsplit(":", 1)[-1]
    if not isinstance(user, str) or not ctx.hub.store.user_exists(user):
        raise HubError(404, f"User {user!r} not found on the course hub", "UserNotFound")
    return user


def handle(ctx: Ctx):
    rec = _owned_gated(ctx)
    user = _user_from(ctx)
    status = ctx.json().get("status")
    if status not in ("accepted", "rejected", "pending"):
        raise bad_request("`status` must be accepted, rejected or pending")
    if ctx.hub.store.access_status(rec.type, rec.id, user) is None:
        raise HubError(404, f"{user} has not requested access to {rec.id}", "NotFound")
    ctx.hub.store.set_access(rec.type, rec.id, user, status)
    return JSONResponse({})


def grant(ctx: Ctx):
    rec = _owned_gated(ctx)
    user = _user_from(ctx)
    if ctx.hub.store.access_status(rec.type, rec.id, user) == "accepted":
        raise bad_request(f"{user} already has access to {rec.id}")
    ctx.hub.store.set_access(rec.type, rec.id, user, "accepted")
    return JSONResponse({"user": user, "status": "accepted"})


def ask_access(ctx: Ctx):
    """What the 'Agree and access repository' button on a gated repo page does (form or JSON fields)."""
    rec = ctx.hub.visible_record(ctx.repo_type, ctx.repo_id, ctx.ident)
    if ctx.ident is None:
        raise unauthorized("Log in (send your token) to ask for access")
    if not rec.gated:
        raise bad_request(f"{rec.id} is not gated: you can already download it")
    fields: dict = {}
    if ctx.body:
        ctype = ctx.request.headers.get("content-type", "")
        if "json" in ctype:
            fields = ctx.json()
        else:
            from urllib.parse import parse_qsl

            fields = dict(parse_qsl(ctx.body.decode("utf-8", "replace")))
    current = ctx.hub.store.access_status(rec.type, rec.id, ctx.ident.user)
    if current != "accepted":
        status = "accepted" if rec.gated == "auto" else "pending"
        ctx.hub.store.set_access(rec.type, rec.id, ctx.ident.user, status, json.dumps(fields, sort_keys=True)[:4000])
        current = status
    return JSONResponse({"status": current})
