"""Gated repos: learners ask for access; owners list, accept, reject and grant (what `HfApi` calls)."""

from __future__ import annotations

import json

from starlette.responses import JSONResponse

from ..errors import BadRequest, NotFound, UserNotFound
from ..http import Ctx
from ..names import iso


def _owned_gated(ctx: Ctx):
    rec = ctx.policy.manage_access(ctx.ident, ctx.repo_type, ctx.repo_id)
    if not rec.gated:
        raise BadRequest(f"{rec.id} is not a gated repo")
    return rec


def list_requests(ctx: Ctx):
    rec = _owned_gated(ctx)
    rows = ctx.hub.store.access_list(rec.type, rec.id, ctx.params["status"])
    out = []
    for r in rows:
        user = ctx.hub.store.get_user(r["user"]) or {"name": r["user"], "fullname": r["user"]}
        out.append(
            {
                "user": {"user": user["name"], "fullname": user["fullname"], "email": None},
                "requestId": f"{rec.type}:{rec.id}:{user['name']}",
                "status": r["status"],
                "timestamp": iso(r["updated"]),
                "fields": json.loads(r["fields"] or "{}"),
            }
        )
    return JSONResponse(out)


def _user_from(ctx: Ctx) -> str:
    data = ctx.json()
    user = data.get("user")
    if not user and isinstance(data.get("requestId"), str):
        user = data["requestId"].rsplit(":", 1)[-1]
    if not isinstance(user, str) or not ctx.hub.store.user_exists(user):
        raise UserNotFound(f"User {user!r} not found on the course hub")
    return user


def handle(ctx: Ctx):
    rec = _owned_gated(ctx)
    user = _user_from(ctx)
    set_status(ctx.hub, rec, user, ctx.json().get("status"))
    return JSONResponse({})


def set_status(hub, rec, user: str, status) -> None:
    """Accept, reject or set back to pending the request of `user` (the caller passed `policy.manage_access`)."""
    if status not in ("accepted", "rejected", "pending"):
        raise BadRequest("`status` must be accepted, rejected or pending")
    current = hub.store.access_status(rec.type, rec.id, user)
    if current is None:
        raise NotFound(f"{user} has not requested access to {rec.id}")
    if current == status:  # the Hub: 404 when the request is already in that list (accepting twice is no no-op)
        raise NotFound(f"The access request of {user} to {rec.id} is already in the {status} list")
    hub.store.set_access(rec.type, rec.id, user, status)


def grant(ctx: Ctx):
    rec = _owned_gated(ctx)
    user = _user_from(ctx)
    if ctx.hub.store.access_status(rec.type, rec.id, user) == "accepted":
        raise BadRequest(f"{user} already has access to {rec.id}")
    ctx.hub.store.set_access(rec.type, rec.id, user, "accepted")
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
    return JSONResponse({"status": ask(ctx.hub, rec, ident.user, fields)})


def ask(hub, rec, user: str, fields: dict) -> str:
    """Record `user`'s request (the caller passed `policy.request_access`); the status it now has."""
    if not rec.gated:
        raise BadRequest(f"{rec.id} is not gated: you can already download it")
    current = hub.store.access_status(rec.type, rec.id, user)
    if current != "accepted":
        status = "accepted" if rec.gated == "auto" else "pending"
        hub.store.set_access(rec.type, rec.id, user, status, json.dumps(fields, sort_keys=True)[:4000])
        current = status
    return current
