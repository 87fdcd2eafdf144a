"""Course-only API: a signed-in learner gets the tokens the notebooks' demonstrations need (classroom mode).

On huggingface.co you make tokens in your settings page; on a classroom hub each learner holds only their own token,
so this endpoint hands out: a new token of their own (read, or write if they hold a write token), a read token of
the demo user `alice`, and for `instructor` an `access` token that can only accept or reject access requests.
"""
from __future__ import annotations

from starlette.responses import JSONResponse

from .errors import HubError, bad_request, unauthorized
from .http import Ctx

DEMO_TOKENS = {("alice", "read"): "read", ("instructor", "read"): "read", ("instructor", "write"): "access"}


def token(ctx: Ctx):
    if ctx.ident is None:
        raise unauthorized("You must be authenticated to get a course token")
    body = ctx.json()
    user, role = body.get("user"), body.get("role", "read")
    if not isinstance(user, str) or role not in ("read", "write"):
        raise bad_request('Send {"user": NAME, "role": "read" | "write"}')
    if user == ctx.ident.user:
        if role == "write" and not ctx.ident.can_write:
            raise HubError(403, "A read token cannot make a write token", "Forbidden")
        granted = role
    elif (user, role) in DEMO_TOKENS and ctx.hub.store.user_exists(user):
        granted = DEMO_TOKENS[(user, role)]
    else:
        raise HubError(403, f"You can get tokens of your own ({ctx.ident.user!r}) and the demo tokens of "
                       f"{sorted({u for u, _ in DEMO_TOKENS})}, not a {role} token of {user!r}", "Forbidden")
    value = ctx.hub.store.create_token(user, role=granted, name=f"course-{granted}-for-{ctx.ident.user}")
    return JSONResponse({"user": user, "role": granted, "token": value})
