"""Operations on likes and collections (`hub.social`). The caller has passed the policy's guard (`react`,
`see_collection`, `edit_collection`); which items a caller may see is `Policy.can_see` / `can_see_collection`."""

from __future__ import annotations

import re
import secrets

from .errors import Conflict, NotFound
from .store import RepoRecord, Store


def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "collection"


class Social:
    def __init__(self, store: Store):
        self._store = store

    # --- likes -----------------------------------------------------------------------------------------
    def like(self, rec: RepoRecord, user: str, liked: bool) -> int:
        """Like (or unlike) once: liking twice changes nothing. The repo's like count after it."""
        self._store.like(rec.type, rec.id, user, liked)
        return self._store.get_repo(rec.type, rec.id).likes

    def likers(self, rec: RepoRecord) -> list[str]:
        """Who likes the repo, first liker first."""
        return self._store.likers(rec.type, rec.id)

    def liked_by(self, user: str) -> list[tuple[RepoRecord, float]]:
        """(repo, when) for each repo `user` likes that still exists, newest first."""
        out = []
        for repo_type, repo_id, created in self._store.liked_by(user):
            rec = self._store.get_repo(repo_type, repo_id, follow=False)
            if rec is not None:
                out.append((rec, created))
        return out

    # --- collections ---------------------------------------------------------------------------------------
    def collection(self, slug: str) -> dict | None:
        return self._store.get_collection(slug)

    def collections(self, owner: str | None = None) -> list[dict]:
        """Every collection (or `owner`'s), last updated first."""
        return self._store.collections(owner)

    def items(self, coll: dict) -> list[dict]:
        """{item_id, type, id, note, position} in the collection's order."""
        return self._store.collection_items(coll["slug"])

    def create_collection(self, namespace: str, title: str, description: str, private: bool) -> dict:
        """A new collection; Conflict (with the existing one's `slug`) when `namespace` has one of that title."""
        existing = self._store.collection_by_title(namespace, title)
        if existing is not None:  # the body carries `slug`: create_collection(exists_ok=True) reads it
            raise Conflict(f"A collection titled {title!r} already exists in {namespace}", slug=existing["slug"])
        slug = f"{namespace}/{slugify(title)}-{secrets.token_hex(12)}"
        self._store.create_collection(slug, namespace, title, description, private)
        return self._store.get_collection(slug)

    def update_collection(self, coll: dict, **fields) -> dict:
        """`fields`: title, description, private, theme, position; a new title gives a new slug (the trailing id
        stays). The collection after it."""
        new_slug = None
        if "title" in fields:
            new_slug = f"{coll['namespace']}/{slugify(fields['title'])}-{coll['slug'].rsplit('-', 1)[-1]}"
        self._store.update_collection(coll["slug"], new_slug, **fields)
        return self._store.get_collection(new_slug or coll["slug"])

    def delete_collection(self, coll: dict) -> None:
        self._store.delete_collection(coll["slug"])

    def add_item(self, coll: dict, item_type: str, item_id: str, note: str | None) -> dict:
        """Add a (checked) item; Conflict when it is there already. The collection after it."""
        if self._store.add_collection_item(coll["slug"], item_type, item_id, note) is None:
            raise Conflict(f"{item_type} {item_id} is already in the collection {coll['slug']}")
        return self._store.get_collection(coll["slug"])

    def update_item(self, coll: dict, item: str, note: str | None, position: int | None) -> None:
        if not self._store.update_collection_item(coll["slug"], item, note, position):
            raise NotFound(f"Item {item!r} not found in {coll['slug']}")

    def delete_item(self, coll: dict, item: str) -> None:
        if not self._store.delete_collection_item(coll["slug"], item):
            raise NotFound(f"Item {item!r} not found in {coll['slug']}")
