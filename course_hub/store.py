"""Users, organisations, tokens and per-repo settings, in one SQLite file (every write is a transaction)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import string
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, fullname TEXT NOT NULL, is_org INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS members (
    org TEXT NOT NULL, user TEXT NOT NULL, role TEXT NOT NULL, PRIMARY KEY (org, user));
CREATE TABLE IF NOT EXISTS tokens (
    digest TEXT PRIMARY KEY, user TEXT NOT NULL, role TEXT NOT NULL, name TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS repos (
    type TEXT NOT NULL, id TEXT NOT NULL, private INTEGER NOT NULL DEFAULT 0, gated TEXT NOT NULL DEFAULT '',
    downloads INTEGER NOT NULL DEFAULT 0, likes INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL,
    PRIMARY KEY (type, id));
CREATE TABLE IF NOT EXISTS access (
    type TEXT NOT NULL, id TEXT NOT NULL, user TEXT NOT NULL, status TEXT NOT NULL, fields TEXT NOT NULL DEFAULT '{}',
    updated REAL NOT NULL, PRIMARY KEY (type, id, user));
CREATE TABLE IF NOT EXISTS lfs_links (
    type TEXT NOT NULL, id TEXT NOT NULL, oid TEXT NOT NULL, PRIMARY KEY (type, id, oid));
CREATE TABLE IF NOT EXISTS likes (
    type TEXT NOT NULL, id TEXT NOT NULL, user TEXT NOT NULL, created REAL NOT NULL, PRIMARY KEY (type, id, user));
CREATE TABLE IF NOT EXISTS redirects (
    type TEXT NOT NULL, old_id TEXT NOT NULL COLLATE NOCASE, new_id TEXT NOT NULL, PRIMARY KEY (type, old_id));
CREATE TABLE IF NOT EXISTS collections (
    slug TEXT PRIMARY KEY, namespace TEXT NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
    private INTEGER NOT NULL DEFAULT 0, theme TEXT NOT NULL DEFAULT 'default', position INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS collection_items (
    item_id TEXT PRIMARY KEY, slug TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, note TEXT,
    position INTEGER NOT NULL, UNIQUE (slug, type, id));
CREATE TABLE IF NOT EXISTS discussions (
    type TEXT NOT NULL, id TEXT NOT NULL, num INTEGER NOT NULL, title TEXT NOT NULL, author TEXT NOT NULL,
    is_pr INTEGER NOT NULL, status TEXT NOT NULL, created REAL NOT NULL, target TEXT,
    merge_commit TEXT, PRIMARY KEY (type, id, num));
CREATE TABLE IF NOT EXISTS discussion_events (
    event_id TEXT PRIMARY KEY, type TEXT NOT NULL, id TEXT NOT NULL, num INTEGER NOT NULL, kind TEXT NOT NULL,
    author TEXT NOT NULL, created REAL NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS discussion_events_of ON discussion_events (type, id, num);
"""
TOKEN_ALPHABET = string.ascii_letters + string.digits
ROLES = ("read", "write", "access")  # access: read, plus managing access requests (classroom demo)
ORG_ROLES = ("read", "write", "admin")
ACCESS_STATUSES = ("pending", "accepted", "rejected")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Identity:
    """Who a valid token belongs to, and what it may do."""

    user: str
    role: str  # "read" | "write" | "access"
    token_name: str

    @property
    def can_write(self) -> bool:
        return self.role == "write"


@dataclass(frozen=True)
class RepoRecord:
    type: str
    id: str
    private: bool
    gated: str | bool  # False | "auto" | "manual"
    downloads: int
    likes: int
    created: float

    @property
    def namespace(self) -> str:
        return self.id.split("/", 1)[0]


class Store:
    """Thin, explicit access to the metadata tables."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()  # one connection per thread, reused (opening one costs ~1 ms)
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
            if "last_used" not in {row[1] for row in db.execute("PRAGMA table_info(tokens)")}:
                try:  # hub dirs made before the website's token list
                    db.execute("ALTER TABLE tokens ADD COLUMN last_used REAL")
                except sqlite3.OperationalError:  # another process added it first
                    pass
        finally:
            db.close()

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA synchronous=NORMAL")  # WAL: a killed process loses nothing committed
            self._local.db = db
        return db

    @contextmanager
    def _db(self, write: bool = True):
        """A transaction: writers take the write lock up front (no lock upgrades, no deadlocks); readers don't."""
        db = self._connection()
        try:
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    # --- users and organisations -------------------------------------------------------------
    def ensure_user(self, name: str, fullname: str | None = None, is_org: bool = False) -> None:
        with self._db() as db:
            db.execute(
                "INSERT OR IGNORE INTO users (name, fullname, is_org) VALUES (?, ?, ?)",
                (name, fullname or name, int(is_org)),
            )

    def user_exists(self, name: str) -> bool:
        with self._db(write=False) as db:
            return db.execute("SELECT 1 FROM users WHERE name=?", (name,)).fetchone() is not None

    def get_user(self, name: str) -> dict | None:
        with self._db(write=False) as db:
            row = db.execute("SELECT name, fullname, is_org FROM users WHERE name=?", (name,)).fetchone()
        return None if row is None else {"name": row[0], "fullname": row[1], "is_org": bool(row[2])}

    def users(self) -> list[dict]:
        with self._db(write=False) as db:
            rows = db.execute("SELECT name, fullname, is_org FROM users ORDER BY name").fetchall()
        return [{"name": n, "fullname": f, "is_org": bool(o)} for n, f, o in rows]

    def add_member(self, org: str, user: str, role: str = "write") -> None:
        if role not in ORG_ROLES:
            raise ValueError(f"role must be one of {ORG_ROLES}")
        self.ensure_user(org, is_org=True)
        self.ensure_user(user)
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO members (org, user, role) VALUES (?, ?, ?)", (org, user, role))

    def orgs_of(self, user: str) -> list[tuple[str, str]]:
        with self._db(write=False) as db:
            return db.execute("SELECT org, role FROM members WHERE user=? ORDER BY org", (user,)).fetchall()

    def org_role(self, org: str, user: str) -> str | None:
        with self._db(write=False) as db:
            row = db.execute("SELECT role FROM members WHERE org=? AND user=?", (org, user)).fetchone()
        return row[0] if row else None

    # --- tokens --------------------------------------------------------------------------------
    def create_token(self, user: str, role: str = "read", name: str | None = None) -> str:
        """Create the user if needed and return a new `hf_…` token; only its SHA-256 is stored."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        self.ensure_user(user)
        if self.get_user(user)["is_org"]:
            raise ValueError(f"{user!r} is an organisation; tokens belong to users")
        token = "hf_" + "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(34))
        with self._db() as db:
            db.execute(
                "INSERT INTO tokens (digest, user, role, name, created) VALUES (?, ?, ?, ?, ?)",
                (digest(token), user, role, name or f"{user}-{role}", time.time()),
            )
        return token

    def identify(self, token: str) -> Identity | None:
        """The identity behind a token, or None for an unknown one."""
        return self.identify_digest(digest(token))

    def identify_digest(self, d: str) -> Identity | None:
        """`identify` by the token's SHA-256 (what the website's signed session cookie holds, never the token);
        notes when the token was last used (at most once a minute: reads stay reads)."""
        with self._db(write=False) as db:
            row = db.execute("SELECT digest, user, role, name, last_used FROM tokens WHERE digest=?", (d,)).fetchone()
        if row is None or not hmac.compare_digest(row[0], d):
            return None
        now = time.time()
        if row[4] is None or now - row[4] > 60:
            with self._db() as db:
                db.execute("UPDATE tokens SET last_used=? WHERE digest=?", (now, d))
        return Identity(user=row[1], role=row[2], token_name=row[3])

    def tokens_of(self, user: str) -> list[dict]:
        """A user's tokens for the settings page: id (a digest prefix), name, role, created, last used."""
        with self._db(write=False) as db:
            rows = db.execute(
                "SELECT digest, name, role, created, last_used FROM tokens WHERE user=? ORDER BY created", (user,)
            ).fetchall()
        return [{"id": d[:16], "name": n, "role": r, "created": c, "last_used": u} for d, n, r, c, u in rows]

    def delete_token(self, user: str, token_id: str) -> bool:
        """Delete one of `user`'s tokens by its id from `tokens_of` (16 hex characters)."""
        if len(token_id) != 16 or any(c not in "0123456789abcdef" for c in token_id):
            return False
        with self._db() as db:
            return (
                db.execute("DELETE FROM tokens WHERE user=? AND substr(digest, 1, 16)=?", (user, token_id)).rowcount > 0
            )

    def token_count(self, user: str) -> int:
        with self._db(write=False) as db:
            return db.execute("SELECT COUNT(*) FROM tokens WHERE user=?", (user,)).fetchone()[0]

    # --- repos ---------------------------------------------------------------------------------
    def add_repo(
        self,
        repo_type: str,
        repo_id: str,
        private: bool = False,
        gated: str | bool = False,
        downloads: int = 0,
        likes: int = 0,
        created: float | None = None,
    ) -> bool:
        """Register a repo; False if it was already there."""
        with self._db() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO repos (type, id, private, gated, downloads, likes, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (repo_type, repo_id, int(private), gated or "", downloads, likes, created or time.time()),
            )
            return cur.rowcount == 1

    def get_repo(self, repo_type: str, repo_id: str, follow: bool = True) -> RepoRecord | None:
        """The repo of this id: exactly, else case-insensitively (ids are unique regardless of case, as on the
        Hub), else — with `follow` — through the redirect a rename or transfer left behind."""
        cols = "SELECT type, id, private, gated, downloads, likes, created FROM repos "
        with self._db(write=False) as db:
            row = (
                db.execute(cols + "WHERE type=? AND id=?", (repo_type, repo_id)).fetchone()
                or db.execute(cols + "WHERE type=? AND id=? COLLATE NOCASE", (repo_type, repo_id)).fetchone()
            )
            if row is None and follow:
                moved = db.execute(
                    "SELECT new_id FROM redirects WHERE type=? AND old_id=?", (repo_type, repo_id)
                ).fetchone()
                if moved:
                    row = db.execute(cols + "WHERE type=? AND id=?", (repo_type, moved[0])).fetchone()
        return _repo(row) if row else None

    def repos(self, repo_type: str | None = None) -> list[RepoRecord]:
        sql = "SELECT type, id, private, gated, downloads, likes, created FROM repos"
        with self._db(write=False) as db:
            if repo_type:
                rows = db.execute(sql + " WHERE type=? ORDER BY id", (repo_type,)).fetchall()
            else:
                rows = db.execute(sql + " ORDER BY type, id").fetchall()
        return [_repo(r) for r in rows]

    def update_repo(
        self, repo_type: str, repo_id: str, *, private: bool | None = None, gated: str | bool | None = None
    ) -> None:
        with self._db() as db:
            if private is not None:
                db.execute("UPDATE repos SET private=? WHERE type=? AND id=?", (int(private), repo_type, repo_id))
            if gated is not None:
                db.execute("UPDATE repos SET gated=? WHERE type=? AND id=?", (gated or "", repo_type, repo_id))

    def delete_repo(self, repo_type: str, repo_id: str) -> None:
        with self._db() as db:
            for table in ("repos", "access", "lfs_links", "likes", "discussions", "discussion_events"):
                db.execute(f"DELETE FROM {table} WHERE type=? AND id=?", (repo_type, repo_id))
            db.execute("DELETE FROM redirects WHERE type=? AND new_id=?", (repo_type, repo_id))
            db.execute("DELETE FROM collection_items WHERE type=? AND id=?", (repo_type, repo_id))

    def move_repo(self, repo_type: str, old_id: str, new_id: str) -> None:
        """Rename or transfer: every row of the repo follows it, and the old id redirects to the new one."""
        with self._db() as db:
            for table in (
                "repos",
                "access",
                "lfs_links",
                "likes",
                "collection_items",
                "discussions",
                "discussion_events",
            ):
                db.execute(f"UPDATE {table} SET id=? WHERE type=? AND id=?", (new_id, repo_type, old_id))
            db.execute("UPDATE redirects SET new_id=? WHERE type=? AND new_id=?", (new_id, repo_type, old_id))
            db.execute("DELETE FROM redirects WHERE type=? AND old_id=?", (repo_type, new_id))
            db.execute(
                "INSERT OR REPLACE INTO redirects (type, old_id, new_id) VALUES (?, ?, ?)", (repo_type, old_id, new_id)
            )

    def forget_redirect(self, repo_type: str, repo_id: str) -> None:
        """A new repo takes an id that used to redirect: the redirect goes."""
        with self._db() as db:
            db.execute("DELETE FROM redirects WHERE type=? AND old_id=?", (repo_type, repo_id))

    # --- likes ---------------------------------------------------------------------------------
    def like(self, repo_type: str, repo_id: str, user: str, liked: bool) -> bool:
        """Like (or unlike) once; the repo's count follows. True when something changed."""
        with self._db() as db:
            if liked:
                changed = (
                    db.execute(
                        "INSERT OR IGNORE INTO likes (type, id, user, created) VALUES (?, ?, ?, ?)",
                        (repo_type, repo_id, user, time.time()),
                    ).rowcount
                    == 1
                )
            else:
                changed = (
                    db.execute(
                        "DELETE FROM likes WHERE type=? AND id=? AND user=?", (repo_type, repo_id, user)
                    ).rowcount
                    == 1
                )
            if changed:
                db.execute(
                    "UPDATE repos SET likes=MAX(0, likes+?) WHERE type=? AND id=?",
                    (1 if liked else -1, repo_type, repo_id),
                )
            return changed

    def likers(self, repo_type: str, repo_id: str) -> list[str]:
        with self._db(write=False) as db:
            return [
                r[0]
                for r in db.execute(
                    "SELECT user FROM likes WHERE type=? AND id=? ORDER BY created, user", (repo_type, repo_id)
                )
            ]

    def liked_by(self, user: str) -> list[tuple[str, str, float]]:
        with self._db(write=False) as db:
            return db.execute(
                "SELECT type, id, created FROM likes WHERE user=? ORDER BY created DESC", (user,)
            ).fetchall()

    # --- which LFS objects each repo may use (the object store is shared; reading is per repo) ----------
    def link_lfs(self, repo_type: str, repo_id: str, oids) -> None:
        with self._db() as db:
            db.executemany(
                "INSERT OR IGNORE INTO lfs_links (type, id, oid) VALUES (?, ?, ?)",
                [(repo_type, repo_id, oid) for oid in oids],
            )

    def schema_version(self, set_to: int | None = None) -> int:
        """SQLite's `user_version`: 1 once the LFS links of repos built before them are recorded."""
        with self._db() as db:
            if set_to is not None:
                db.execute(f"PRAGMA user_version={int(set_to)}")
            return db.execute("PRAGMA user_version").fetchone()[0]

    def forget_credentials(self) -> None:
        """Every token and access grant gone, and the file compacted (a copy made for another machine)."""
        with self._db() as db:
            db.execute("DELETE FROM tokens")
            db.execute("DELETE FROM access")  # access granted on this machine is not the next one's
        self._connection().execute("VACUUM")

    def lfs_linked(self, repo_type: str, repo_id: str, oid: str) -> bool:
        with self._db(write=False) as db:
            return (
                db.execute(
                    "SELECT 1 FROM lfs_links WHERE type=? AND id=? AND oid=?", (repo_type, repo_id, oid)
                ).fetchone()
                is not None
            )

    def lfs_links_of(self, repo_type: str, repo_id: str) -> set[str]:
        with self._db(write=False) as db:
            return {r[0] for r in db.execute("SELECT oid FROM lfs_links WHERE type=? AND id=?", (repo_type, repo_id))}

    def unlink_lfs(self, repo_type: str, repo_id: str, oids) -> list[str]:
        """Take objects away from a repo; the ones no repo uses any more (to delete from the store)."""
        oids = list(oids)
        with self._db() as db:
            db.executemany(
                "DELETE FROM lfs_links WHERE type=? AND id=? AND oid=?", [(repo_type, repo_id, oid) for oid in oids]
            )
            return [oid for oid in oids if db.execute("SELECT 1 FROM lfs_links WHERE oid=?", (oid,)).fetchone() is None]

    def count_download(self, repo_type: str, repo_id: str) -> None:
        with self._db() as db:
            db.execute("UPDATE repos SET downloads=downloads+1 WHERE type=? AND id=?", (repo_type, repo_id))

    # --- collections -------------------------------------------------------------------------
    _COLL = "SELECT slug, namespace, title, description, private, theme, position, created, updated FROM collections"

    def create_collection(
        self, slug: str, namespace: str, title: str, description: str = "", private: bool = False
    ) -> None:
        now = time.time()
        with self._db() as db:
            position = db.execute(
                "SELECT COALESCE(MAX(position)+1, 0) FROM collections WHERE namespace=?", (namespace,)
            ).fetchone()[0]
            db.execute(
                "INSERT INTO collections (slug, namespace, title, description, private, position, created, "
                "updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (slug, namespace, title, description, int(private), position, now, now),
            )

    def get_collection(self, slug: str) -> dict | None:
        with self._db(write=False) as db:
            row = db.execute(self._COLL + " WHERE slug=? COLLATE NOCASE", (slug,)).fetchone()
        return _collection(row) if row else None

    def collection_by_title(self, namespace: str, title: str) -> dict | None:
        with self._db(write=False) as db:
            row = db.execute(self._COLL + " WHERE namespace=? AND title=?", (namespace, title)).fetchone()
        return _collection(row) if row else None

    def collections(self, namespace: str | None = None) -> list[dict]:
        with self._db(write=False) as db:
            rows = db.execute(
                self._COLL + (" WHERE namespace=? COLLATE NOCASE" if namespace else "") + " ORDER BY updated DESC",
                (namespace,) if namespace else (),
            ).fetchall()
        return [_collection(r) for r in rows]

    def update_collection(self, slug: str, new_slug: str | None = None, **fields) -> None:
        """`fields`: title, description, private, theme, position; `new_slug` when the title changed."""
        with self._db() as db:
            for key, value in fields.items():
                if key not in ("title", "description", "private", "theme", "position"):
                    raise ValueError(key)
                db.execute(
                    f"UPDATE collections SET {key}=? WHERE slug=?", (int(value) if key == "private" else value, slug)
                )
            db.execute("UPDATE collections SET updated=? WHERE slug=?", (time.time(), slug))
            if new_slug and new_slug != slug:
                db.execute("UPDATE collections SET slug=? WHERE slug=?", (new_slug, slug))
                db.execute("UPDATE collection_items SET slug=? WHERE slug=?", (new_slug, slug))
                db.execute("UPDATE collection_items SET id=? WHERE type='collection' AND id=?", (new_slug, slug))

    def delete_collection(self, slug: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM collections WHERE slug=?", (slug,))
            db.execute("DELETE FROM collection_items WHERE slug=?", (slug,))
            db.execute("DELETE FROM collection_items WHERE type='collection' AND id=?", (slug,))

    def add_collection_item(self, slug: str, item_type: str, item_id: str, note: str | None) -> str | None:
        """The new item's id, or None when the collection already holds it."""
        with self._db() as db:
            position = db.execute(
                "SELECT COALESCE(MAX(position)+1, 0) FROM collection_items WHERE slug=?", (slug,)
            ).fetchone()[0]
            key = secrets.token_hex(12)
            cur = db.execute(
                "INSERT OR IGNORE INTO collection_items (item_id, slug, type, id, note, position) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (key, slug, item_type, item_id, note, position),
            )
            if cur.rowcount == 1:
                db.execute("UPDATE collections SET updated=? WHERE slug=?", (time.time(), slug))
                return key
            return None

    def collection_items(self, slug: str) -> list[dict]:
        with self._db(write=False) as db:
            rows = db.execute(
                "SELECT item_id, type, id, note, position FROM collection_items WHERE slug=? ORDER BY position, rowid",
                (slug,),
            ).fetchall()
        return [{"item_id": k, "type": t, "id": i, "note": n, "position": p} for k, t, i, n, p in rows]

    def update_collection_item(
        self, slug: str, item_id: str, note: str | None = None, position: int | None = None
    ) -> bool:
        items = self.collection_items(slug)
        if not any(it["item_id"] == item_id for it in items):
            return False
        with self._db() as db:
            if note is not None:
                db.execute("UPDATE collection_items SET note=? WHERE item_id=?", (note, item_id))
            if position is not None:  # move it there, the others keep their order
                order = [it["item_id"] for it in items if it["item_id"] != item_id]
                order.insert(max(0, min(position, len(order))), item_id)
                db.executemany(
                    "UPDATE collection_items SET position=? WHERE item_id=?", [(i, key) for i, key in enumerate(order)]
                )
            db.execute("UPDATE collections SET updated=? WHERE slug=?", (time.time(), slug))
        return True

    def delete_collection_item(self, slug: str, item_id: str) -> bool:
        with self._db() as db:
            gone = db.execute("DELETE FROM collection_items WHERE slug=? AND item_id=?", (slug, item_id)).rowcount == 1
            if gone:
                db.execute("UPDATE collections SET updated=? WHERE slug=?", (time.time(), slug))
            return gone

    # --- gated access --------------------------------------------------------------------------
    def set_access(self, repo_type: str, repo_id: str, user: str, status: str, fields: str = "{}") -> None:
        if status not in ACCESS_STATUSES:
            raise ValueError(f"status must be one of {ACCESS_STATUSES}")
        with self._db() as db:
            db.execute(
                "INSERT INTO access (type, id, user, status, fields, updated) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (type, id, user) DO UPDATE SET status=excluded.status, updated=excluded.updated",
                (repo_type, repo_id, user, status, fields, time.time()),
            )

    def remove_access(self, repo_type: str, repo_id: str, user: str) -> bool:
        with self._db() as db:
            return (
                db.execute("DELETE FROM access WHERE type=? AND id=? AND user=?", (repo_type, repo_id, user)).rowcount
                == 1
            )

    def access_status(self, repo_type: str, repo_id: str, user: str) -> str | None:
        with self._db(write=False) as db:
            row = db.execute(
                "SELECT status FROM access WHERE type=? AND id=? AND user=?", (repo_type, repo_id, user)
            ).fetchone()
        return row[0] if row else None

    def access_list(self, repo_type: str, repo_id: str, status: str) -> list[dict]:
        with self._db(write=False) as db:
            rows = db.execute(
                "SELECT user, status, fields, updated FROM access WHERE type=? AND id=? AND status=? ORDER BY updated",
                (repo_type, repo_id, status),
            ).fetchall()
        return [{"user": u, "status": s, "fields": f, "updated": t} for u, s, f, t in rows]

    # --- discussions and pull requests (course_hub/api/community.py) ---------------------------------------------
    _DISC = "SELECT type, id, num, title, author, is_pr, status, created, target, merge_commit FROM discussions"

    def create_discussion(
        self,
        repo_type: str,
        repo_id: str,
        title: str,
        author: str,
        is_pr: bool,
        status: str,
        target: str | None,
        events: list[tuple[str, dict]],
        after: int = 0,
    ) -> int:
        """A new discussion (or pull request) numbered after the repo's last one (and after `after`: the highest
        `refs/pr/N` already in its git repo, e.g. copied by duplicate_repo), with its first events (`(kind, data)`,
        by `author`); its number."""
        now = time.time()
        with self._db() as db:
            num = db.execute(
                "SELECT MAX(COALESCE(MAX(num), 0), ?) + 1 FROM discussions WHERE type=? AND id=?",
                (after, repo_type, repo_id),
            ).fetchone()[0]
            db.execute(
                "INSERT INTO discussions (type, id, num, title, author, is_pr, status, created, target) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (repo_type, repo_id, num, title, author, int(is_pr), status, now, target),
            )
            for kind, data in events:
                self._add_event(db, repo_type, repo_id, num, kind, author, data, now)
        return num

    @staticmethod
    def _add_event(db, repo_type, repo_id, num, kind, author, data, now=None) -> str:
        event_id = secrets.token_hex(12)
        db.execute(
            "INSERT INTO discussion_events (event_id, type, id, num, kind, author, created, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event_id,
                repo_type,
                repo_id,
                num,
                kind,
                author,
                now if now is not None else time.time(),
                json.dumps(data),
            ),
        )
        return event_id

    def add_discussion_event(
        self, repo_type: str, repo_id: str, num: int, kind: str, author: str, data: dict, **changes
    ) -> dict:
        """Append an event; `changes` (title, status, merge_commit) update the discussion in the same
        transaction. The new event."""
        with self._db() as db:
            for key, value in changes.items():
                if key not in ("title", "status", "merge_commit"):
                    raise ValueError(key)
                db.execute(
                    f"UPDATE discussions SET {key}=? WHERE type=? AND id=? AND num=?", (value, repo_type, repo_id, num)
                )
            event_id = self._add_event(db, repo_type, repo_id, num, kind, author, data)
        return self.discussion_event(event_id)

    def update_discussion_event(self, event_id: str, data: dict) -> dict:
        with self._db() as db:
            db.execute("UPDATE discussion_events SET data=? WHERE event_id=?", (json.dumps(data), event_id))
        return self.discussion_event(event_id)

    def discussion(self, repo_type: str, repo_id: str, num: int) -> dict | None:
        with self._db(write=False) as db:
            row = db.execute(self._DISC + " WHERE type=? AND id=? AND num=?", (repo_type, repo_id, num)).fetchone()
        return _discussion(row) if row else None

    def discussions(self, repo_type: str, repo_id: str) -> list[dict]:
        """Newest first, each with its number of comments."""
        with self._db(write=False) as db:
            rows = db.execute(self._DISC + " WHERE type=? AND id=? ORDER BY num DESC", (repo_type, repo_id)).fetchall()
            counts = dict(
                db.execute(
                    "SELECT num, COUNT(*) FROM discussion_events WHERE type=? AND id=? AND kind='comment' GROUP BY num",
                    (repo_type, repo_id),
                ).fetchall()
            )
        return [{**_discussion(r), "comments": counts.get(r[2], 0)} for r in rows]

    def discussions_by(self, author: str) -> list[dict]:
        """Every discussion and pull request `author` opened, on any repo (the classroom's report)."""
        with self._db(write=False) as db:
            rows = db.execute(self._DISC + " WHERE author=? ORDER BY created", (author,)).fetchall()
        return [_discussion(r) for r in rows]

    def discussion_events(self, repo_type: str, repo_id: str, num: int) -> list[dict]:
        with self._db(write=False) as db:
            rows = db.execute(
                "SELECT event_id, kind, author, created, data FROM discussion_events WHERE type=? AND "
                "id=? AND num=? ORDER BY created, rowid",
                (repo_type, repo_id, num),
            ).fetchall()
        return [_event(r) for r in rows]

    def discussion_event(self, event_id: str) -> dict | None:
        with self._db(write=False) as db:
            row = db.execute(
                "SELECT event_id, kind, author, created, data FROM discussion_events WHERE event_id=?", (event_id,)
            ).fetchone()
        return _event(row) if row else None


def _discussion(row) -> dict:
    t, i, num, title, author, is_pr, status, created, target, merge_commit = row
    return {
        "type": t,
        "id": i,
        "num": num,
        "title": title,
        "author": author,
        "is_pr": bool(is_pr),
        "status": status,
        "created": created,
        "target": target,
        "merge_commit": merge_commit,
    }


def _event(row) -> dict:
    event_id, kind, author, created, data = row
    return {"event_id": event_id, "kind": kind, "author": author, "created": created, "data": json.loads(data)}


def _collection(row) -> dict:
    slug, namespace, title, description, private, theme, position, created, updated = row
    return {
        "slug": slug,
        "namespace": namespace,
        "title": title,
        "description": description,
        "private": bool(private),
        "theme": theme,
        "position": position,
        "created": created,
        "updated": updated,
    }


def _repo(row) -> RepoRecord:
    t, i, p, g, d, lk, c = row
    return RepoRecord(type=t, id=i, private=bool(p), gated=g or False, downloads=d, likes=lk, created=c)
