"""`/api/settings/webhooks`: a user's webhooks (`HfApi.create_webhook`, `list_webhooks`, `get_webhook`,
`update_webhook`, `enable_webhook`, `disable_webhook`, `delete_webhook`, and `hf webhooks`), with a write token;
`emit_*`: what the write handlers call after a push or a discussion event (deliveries: `hub_webhooks`)."""

from __future__ import annotations

from starlette.responses import JSONResponse

from ..errors import Forbidden
from ..http import Ctx
from ..hub_webhooks import discussion_payload, push_payload


def _hooks(ctx: Ctx):
    return ctx.request.app.state.webhooks


def _owner(ctx: Ctx) -> str:
    ident = ctx.policy.signed_in(ctx.ident, "manage webhooks")
    if not ident.can_write:
        raise Forbidden(f"You cannot manage webhooks: your token has the '{ident.role}' role; use a 'write' token")
    return ident.user


def list_webhooks(ctx: Ctx):
    return JSONResponse(_hooks(ctx).list(_owner(ctx)))


def create(ctx: Ctx):
    return JSONResponse({"webhook": _hooks(ctx).create(_owner(ctx), ctx.json())})


def get(ctx: Ctx):
    return JSONResponse({"webhook": _hooks(ctx).get(_owner(ctx), ctx.params["id"])})


def update(ctx: Ctx):
    return JSONResponse({"webhook": _hooks(ctx).update(_owner(ctx), ctx.params["id"], ctx.json())})


def enable(ctx: Ctx):
    return JSONResponse({"webhook": _hooks(ctx).set_disabled(_owner(ctx), ctx.params["id"], False)})


def disable(ctx: Ctx):
    return JSONResponse({"webhook": _hooks(ctx).set_disabled(_owner(ctx), ctx.params["id"], True)})


def delete(ctx: Ctx):
    _hooks(ctx).delete(_owner(ctx), ctx.params["id"])
    return JSONResponse({"success": True})


# --- events (called by the handlers that change a repo or its discussions) ---------------------------------------
def emit_push(ctx: Ctx, rec, updated: list[tuple[str, str | None, str | None]]) -> None:
    """After a commit or a `git push`: [(ref, old sha, new sha)] of the refs it moved (none: nothing is sent)."""
    updated = [u for u in updated if u[1] != u[2]]
    if updated:
        head = ctx.hub.git(rec.type, rec.id).head("main")
        _hooks(ctx).emit(rec, "repo", push_payload(rec, ctx.endpoint, updated, head))


def emit_discussion(ctx: Ctx, rec, num: int, action: str, comment: dict | None = None) -> None:
    d = ctx.hub.community.get(rec, num)
    if d is not None:
        _hooks(ctx).emit(rec, "discussion", discussion_payload(rec, ctx.endpoint, d, action, comment))


ID = r"/api/settings/webhooks/(?P<id>[0-9a-f]{24})"
