"""Course-only API: a signed-in learner gets the tokens the notebooks' demonstrations need (classroom mode).

On huggingface.co you make tokens in your settings page; on a classroom hub each learner holds only their own token,
so this endpoint hands out: a new token of their own (read, or write if they hold a write token), a read token of
the demo user `alice`, and for `instructor` an `access` token that can only accept or reject access requests.
"""

from __future__ import annotations

from starlette.responses import JSONResponse

from ..errors import BadRequest
from ..http import Ctx


def token(ctx: Ctx):
    ctx.policy.signed_in(ctx.ident, "get a course token")
    body = ctx.json()
    user, role = body.get("user"), body.get("role", "read")
    if not isinstance(user, str) or role not in ("read", "write"):
        raise BadRequest('Send {"user": NAME, "role": "read" | "write"}')
    granted = ctx.policy.token_for(ctx.ident, user, role)
    value = ctx.hub.accounts.create_token(user, role=granted, name=f"course-{granted}-for-{ctx.ident.user}")
    return JSONResponse({"user": user, "role": granted, "token": value})
