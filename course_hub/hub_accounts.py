"""Operations on people: users, organisations, tokens (`hub.accounts`). Who may ask for them is `Policy`'s."""

from __future__ import annotations

from .store import Identity, Store


class Accounts:
    """Users and organisations, their memberships and their tokens."""

    def __init__(self, store: Store):
        self._store = store

    # --- users and organisations ----------------------------------------------------------------
    def exists(self, name: str) -> bool:
        return self._store.user_exists(name)

    def get(self, name: str) -> dict | None:
        """{name, fullname, is_org} or None."""
        return self._store.get_user(name)

    def card(self, name: str) -> dict:
        """The user as the API shows a name it may not know (a deleted account): {name, fullname, is_org}."""
        return self._store.get_user(name) or {"name": name, "fullname": name, "is_org": False}

    def all(self) -> list[dict]:
        return self._store.users()

    def ensure(self, name: str, fullname: str | None = None, is_org: bool = False) -> None:
        self._store.ensure_user(name, fullname, is_org)

    def add_member(self, org: str, user: str, role: str = "write") -> None:
        self._store.add_member(org, user, role)

    def orgs_of(self, user: str) -> list[tuple[str, str]]:
        """(org, role) for each organisation `user` belongs to."""
        return self._store.orgs_of(user)

    def is_org_member(self, org: str, user: str) -> bool:
        return self._store.org_role(org, user) is not None

    # --- tokens ------------------------------------------------------------------------------------
    def create_token(self, user: str, role: str = "read", name: str | None = None) -> str:
        return self._store.create_token(user, role=role, name=name)

    def replace_token(self, user: str, role: str, name: str) -> str:
        """A new token named `name` in place of the earlier ones of that name (the user's other tokens stay)."""
        self.delete_tokens_named(user, name)
        return self._store.create_token(user, role=role, name=name)

    def delete_tokens_named(self, user: str, name: str) -> None:
        if self._store.user_exists(user):
            for old in self._store.tokens_of(user):
                if old["name"] == name:
                    self._store.delete_token(user, old["id"])

    def tokens_of(self, user: str) -> list[dict]:
        return self._store.tokens_of(user)

    def delete_token(self, user: str, token_id: str) -> bool:
        return self._store.delete_token(user, token_id)

    def token_count(self, user: str) -> int:
        return self._store.token_count(user)

    def identify_digest(self, digest: str) -> Identity | None:
        """The identity of a signed-in session (the SHA-256 of the token it signed in with)."""
        return self._store.identify_digest(digest)
