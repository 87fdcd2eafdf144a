"""Operations on gated repos' access requests (`hub.access`): the one place they change, for the API, the website
and the CLI. The caller has passed the policy's guard (`request_access`, `manage_access`); the rules that decide an
outcome (an `auto` gate accepts at once) are `Policy`'s."""

from __future__ import annotations

import json

from .errors import BadRequest, NotFound
from .policy import Policy
from .store import RepoRecord, Store

STATUSES = ("pending", "accepted", "rejected")


class AccessRequests:
    def __init__(self, store: Store, policy: Policy):
        self._store = store
        self._policy = policy

    def status(self, rec: RepoRecord, user: str) -> str | None:
        """pending, accepted, rejected, or None (never asked)."""
        return self._store.access_status(rec.type, rec.id, user)

    def listed(self, rec: RepoRecord, status: str) -> list[dict]:
        """The requests in one list, oldest change first: {user, status, fields (a dict), updated}."""
        rows = self._store.access_list(rec.type, rec.id, status)
        for r in rows:
            try:
                r["fields"] = json.loads(r["fields"] or "{}")
            except ValueError:  # never written so; a hand-edited database
                r["fields"] = {}
        return rows

    def ask(self, rec: RepoRecord, user: str, fields: dict) -> str:
        """Record `user`'s request with the form's fields; the status it now has (an accepted one stays)."""
        if not rec.gated:
            raise BadRequest(f"{rec.id} is not gated: you can already download it")
        current = self.status(rec, user)
        if current != "accepted":
            current = "accepted" if self._policy.auto_accepts(rec) else "pending"
            self._store.set_access(rec.type, rec.id, user, current, json.dumps(fields, sort_keys=True)[:4000])
        return current

    def set_status(self, rec: RepoRecord, user: str, status) -> None:
        """Accept, reject or set back to pending the request of `user` (the Hub: 404 when it is already there)."""
        if status not in STATUSES:
            raise BadRequest("`status` must be accepted, rejected or pending")
        current = self.status(rec, user)
        if current is None:
            raise NotFound(f"{user} has not requested access to {rec.id}")
        if current == status:  # accepting twice is no no-op on the Hub
            raise NotFound(f"The access request of {user} to {rec.id} is already in the {status} list")
        self._store.set_access(rec.type, rec.id, user, status)

    def grant(self, rec: RepoRecord, user: str) -> None:
        """Give `user` access without a request (the API's grant: refused when they already have it)."""
        if self.status(rec, user) == "accepted":
            raise BadRequest(f"{user} already has access to {rec.id}")
        self._store.set_access(rec.type, rec.id, user, "accepted")

    def accept(self, rec: RepoRecord, user: str) -> None:
        """Access for `user`, whatever they had (the instructor's `course-hub access grant`)."""
        self._store.set_access(rec.type, rec.id, user, "accepted")

    def revoke(self, rec: RepoRecord, user: str) -> bool:
        """No request, no access (`course-hub access revoke`); whether there was one."""
        return self._store.remove_access(rec.type, rec.id, user)
