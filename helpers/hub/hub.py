"""The course hub's model: repos (git + LFS) and their metadata, with the Hub's read/write permission rules."""
from __future__ import annotations

import hashlib
import re
import shutil
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from . import cards
from .errors import HubError, entry_not_found, forbidden, repo_not_found, revision_not_found, unauthorized
from .gitrepo import ConflictError, FileEntry, GitRepo, RevisionNotFound
from .lfs import LfsStore, Pointer, wants_lfs
from .paths import REPO_TYPES, HubDir
from .store import Identity, RepoRecord, Store

NAME_RE = re.compile(r"^(?!.*(\.\.|--))[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$")
MAX_PATH = 1000


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def check_repo_id(repo_id: str) -> tuple[str, str]:
    parts = repo_id.split("/")
    if len(parts) != 2 or not all(NAME_RE.match(p) for p in parts):
        raise HubError(400, f"Invalid repo id {repo_id!r}: expected 'namespace/name' with letters, digits, '-', "
                       "'_' and '.', not starting or ending with '-' or '.', and no '--' or '..'", "BadRequest")
    return parts[0], parts[1]


def check_path(path: str) -> str:
    """A file path inside a repo: relative, no `..`, no NUL, not inside `.git/`."""
    if (not path or len(path) > MAX_PATH or "\x00" in path or path.startswith("/") or "\\" in path
            or any(seg in ("", ".", "..") for seg in path.split("/")) or path.split("/")[0] == ".git"):
        raise HubError(400, f"Invalid path in repo: {path!r}", "BadRequest")
    return path


def check_type(repo_type: str) -> str:
    if repo_type not in REPO_TYPES:
        raise HubError(400, f"Invalid repo type {repo_type!r}: must be one of {', '.join(REPO_TYPES)}", "BadRequest")
    return repo_type


class Hub:
    """Everything the HTTP layer and the CLI need, with no HTTP in it."""

    def __init__(self, hub_dir: Path | str):
        self.dir = HubDir(hub_dir).ensure()
        self.store = Store(self.dir.store_db)
        self.lfs = LfsStore(self.dir.lfs_dir, self.dir.tmp_dir)
        self._repo_locks: dict[tuple[str, str], threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._meta_cache: dict[tuple[str, str, str], dict] = {}
        if self.store.schema_version() < 1:
            self._link_existing_lfs()

    def recover(self, tmp_age_s: float = 600) -> list[Path]:
        """Before serving: clear what a killed process left half-done. A git `*.lock` file (a ref or loose object
        being written) would refuse every later write of that ref or object; temp files of unfinished uploads
        only take space. Everything else is written to a temp file and renamed, so it is whole or absent."""
        stale = list((self.dir.root / "repos").glob("*/*/*.git/**/*.lock"))
        cutoff = time.time() - tmp_age_s
        stale += [p for p in self.dir.tmp_dir.iterdir() if p.is_file() and p.stat().st_mtime < cutoff]
        for p in stale:
            p.unlink(missing_ok=True)
        return stale

    # --- LFS objects: one shared store, but a repo may only use the objects uploaded to it ---------------
    def _link_existing_lfs(self) -> None:
        """Once per hub dir made before per-repo links: each repo may use the objects its pointers name."""
        for rec in self.store.repos():
            path = self.dir.repo_path(rec.type, rec.id)
            if not path.is_dir():
                continue
            store = GitRepo(path).repo.object_store
            oids = set()
            for sha in store:
                type_num, raw = store.get_raw(sha)
                pointer = Pointer.parse(raw) if type_num == 3 else None
                if pointer:
                    oids.add(pointer.oid)
            self.store.link_lfs(rec.type, rec.id, oids)
        self.store.schema_version(1)

    def lfs_usable(self, repo_type: str, repo_id: str, oid: str, size: int | None = None) -> bool:
        """The object is stored and was uploaded to (or committed in) this repo: the same answer whether it is
        missing or only belongs to another repo, so a sha256 never reveals another repo's files."""
        return self.lfs.has(oid, size) and self.store.lfs_linked(repo_type, repo_id, oid)

    # --- identity and permissions -----------------------------------------------------------
    def identify(self, token: str | None) -> Identity | None:
        """None for anonymous; 401 for a token the hub does not know."""
        if not token:
            return None
        ident = self.store.identify(token)
        if ident is None:
            raise unauthorized("Invalid credentials in Authorization header: this token is not valid on the "
                               "course hub (create one with `course-hub token create USER`)")
        return ident

    def is_member(self, ident: Identity | None, namespace: str) -> bool:
        return ident is not None and (ident.user == namespace or self.store.org_role(namespace, ident.user) is not None)

    def can_write_namespace(self, ident: Identity | None, namespace: str) -> bool:
        if ident is None or not ident.can_write:
            return False
        return ident.user == namespace or self.store.org_role(namespace, ident.user) in ("write", "admin")

    def is_admin(self, ident: Identity | None, namespace: str) -> bool:
        if ident is None or not ident.can_write:
            return False
        return ident.user == namespace or self.store.org_role(namespace, ident.user) == "admin"

    def can_manage_access(self, ident: Identity | None, namespace: str) -> bool:
        """Accept/reject access requests: a write token of an admin, or an 'access' token (classroom demos)."""
        if ident is None or ident.role not in ("write", "access"):
            return False
        return ident.user == namespace or self.store.org_role(namespace, ident.user) == "admin"

    def visible_record(self, repo_type: str, repo_id: str, ident: Identity | None) -> RepoRecord:
        """The repo if it exists and this identity may see it; private repos of others are 404."""
        check_type(repo_type)
        check_repo_id(repo_id)
        rec = self.store.get_repo(repo_type, repo_id)
        if rec is None or (rec.private and not self.is_member(ident, rec.namespace)):
            raise repo_not_found(repo_type, repo_id, anonymous=ident is None)
        return rec

    def check_files_access(self, rec: RepoRecord, ident: Identity | None, endpoint: str) -> None:
        """Gated repos: anonymous -> 401 GatedRepo, not on the list -> 403 GatedRepo (the Hub's own words)."""
        if not rec.gated or self.is_member(ident, rec.namespace):
            return
        kind = {"model": "model", "dataset": "dataset", "space": "space"}[rec.type]
        url = f"{endpoint}/{'' if rec.type == 'model' else rec.type + 's/'}{rec.id}"
        if ident is None:
            raise HubError(401, f"Access to {kind} {rec.id} is restricted. You must have access to it and be "
                           "authenticated to access it. Please log in.", "GatedRepo")
        if self.store.access_status(rec.type, rec.id, ident.user) != "accepted":
            raise HubError(403, f"Access to {kind} {rec.id} is restricted and you are not in the authorized list. "
                           f"Visit {url} to ask for access.", "GatedRepo")

    def readable(self, repo_type: str, repo_id: str, ident: Identity | None, endpoint: str) -> RepoRecord:
        rec = self.visible_record(repo_type, repo_id, ident)
        self.check_files_access(rec, ident, endpoint)
        return rec

    def writable(self, repo_type: str, repo_id: str, ident: Identity | None) -> RepoRecord:
        rec = self.visible_record(repo_type, repo_id, ident)
        self.require_write(ident, rec.namespace, f"write to {repo_type} {repo_id}")
        return rec

    def require_write(self, ident: Identity | None, namespace: str, what: str) -> None:
        if ident is None:
            raise unauthorized(f"You must be authenticated to {what}: pass a write token")
        if not ident.can_write:
            raise forbidden(f"You cannot {what}: your token has the 'read' role; use a 'write' token")
        if not self.can_write_namespace(ident, namespace):
            raise forbidden(f"You cannot {what}: {ident.user!r} has no write access to the namespace {namespace!r}")

    # --- repos ---------------------------------------------------------------------------------
    def git(self, repo_type: str, repo_id: str) -> GitRepo:
        return GitRepo(self.dir.repo_path(repo_type, repo_id))

    def repo_lock(self, repo_type: str, repo_id: str) -> threading.Lock:
        with self._locks_lock:
            return self._repo_locks.setdefault((repo_type, repo_id), threading.Lock())

    def create_repo(self, repo_type: str, repo_id: str, private: bool = False, gated: str | bool = False,
                    downloads: int = 0, likes: int = 0, created: float | None = None,
                    initial: dict[str, bytes] | None = None, author: str = "hub") -> None:
        """A new bare repo (with an `initial` commit when given), registered in the store only once complete."""
        check_type(repo_type)
        namespace, _ = check_repo_id(repo_id)
        with self.repo_lock(repo_type, repo_id):
            if self.store.get_repo(repo_type, repo_id) is not None:
                raise HubError(409, f"You already created this {repo_type} repo: {repo_id}", "RepoExists")
            if not self.store.user_exists(namespace):
                self.store.ensure_user(namespace)
            path = self.dir.repo_path(repo_type, repo_id)
            if path.exists():  # left over from a crash before the store write: start clean
                shutil.rmtree(path)
            git = GitRepo.init(path)
            if initial:
                git.commit("main", initial, "initial commit", author)
            self.store.add_repo(repo_type, repo_id, private, gated, downloads, likes, created)

    def delete_repo(self, repo_type: str, repo_id: str) -> None:
        self.store.delete_repo(repo_type, repo_id)
        path = self.dir.repo_path(repo_type, repo_id)
        if path.exists():
            trash = self.dir.tmp_dir / f"deleted-{hashlib.sha1(str(path).encode()).hexdigest()}-{time.time_ns()}"
            path.rename(trash)
            shutil.rmtree(trash, ignore_errors=True)

    def resolve(self, repo_type: str, repo_id: str, revision: str) -> tuple[GitRepo, str]:
        git = self.git(repo_type, repo_id)
        try:
            return git, git.resolve(revision)
        except RevisionNotFound:
            raise revision_not_found(repo_id, revision) from None

    def entry(self, git: GitRepo, sha: str, repo_id: str, revision: str, path: str) -> FileEntry:
        entry = git.files(sha).get(path)
        if entry is None:
            raise entry_not_found(repo_id, revision, path, {"X-Repo-Commit": sha})
        return entry

    # --- writing -------------------------------------------------------------------------------
    def commit(self, repo_type: str, repo_id: str, branch: str, files: dict[str, bytes | Path | Pointer | None],
               message: str, author: str, parent: str | None = None, date: float | None = None,
               delete_folders: tuple[str, ...] = ()) -> str:
        """Commit changes: bytes/Path content (big or weight files go to LFS), Pointers to LFS objects that
        must already be stored, None to delete."""
        changes: dict[str, bytes | None] = {}
        for path, content in files.items():
            check_path(path)
            if content is None:
                changes[path] = None
            elif isinstance(content, Pointer):
                if not self.lfs_usable(repo_type, repo_id, content.oid, content.size):
                    raise HubError(422, f"LFS object {content.oid} for {path} was never uploaded to {repo_id}: "
                                   "upload it through the LFS batch API of this repo first", "BadRequest")
                if content.size is None:  # copies (CommitOperationCopy) name the object without its size
                    content = Pointer(content.oid, self.lfs.path(content.oid).stat().st_size)
                changes[path] = content.encode()
            elif isinstance(content, Path):
                size = content.stat().st_size
                changes[path] = (self._put_lfs(repo_type, repo_id, self.lfs.put_file(content))
                                 if wants_lfs(path, size) else content.read_bytes())
            else:
                changes[path] = (self._put_lfs(repo_type, repo_id, self.lfs.put_bytes(content))
                                 if wants_lfs(path, len(content)) else content)
        with self.repo_lock(repo_type, repo_id):
            try:
                return self.git(repo_type, repo_id).commit(branch, changes, message, author, parent, date,
                                                           delete_folders)
            except ConflictError as e:
                raise HubError(412, str(e), "PreconditionFailed") from None
            except ValueError as e:
                raise HubError(400, str(e), "BadRequest") from None

    def _put_lfs(self, repo_type: str, repo_id: str, pointer: Pointer) -> bytes:
        self.store.link_lfs(repo_type, repo_id, [pointer.oid])
        return pointer.encode()

    # --- metadata --------------------------------------------------------------------------------
    def meta(self, repo_type: str, repo_id: str, git: GitRepo, sha: str) -> dict:
        """Card data, tags and file list at a commit (cached: commits never change)."""
        key = (repo_type, repo_id, sha)
        if key not in self._meta_cache:
            files = git.files(sha)
            readme = files.get("README.md")
            card = cards.card_data(git.blob(readme.blob) if readme else None)
            names = sorted(files)
            info = git.commit_info(sha)
            self._meta_cache[key] = {"card": card, "files": names, "tags": cards.derive_tags(repo_type, card, names),
                                     "date": info.date}
            if len(self._meta_cache) > 1024:
                self._meta_cache.pop(next(iter(self._meta_cache)))
        return self._meta_cache[key]

    def head_meta(self, rec: RepoRecord) -> tuple[str | None, dict | None]:
        git = self.git(rec.type, rec.id)
        sha = git.head()
        return (sha, self.meta(rec.type, rec.id, git, sha)) if sha else (None, None)

    def spaces_using(self, repo_type: str, repo_id: str, ident: Identity | None) -> list[str]:
        """Spaces whose card names this model (`models:`) or dataset (`datasets:`)."""
        field = "models" if repo_type == "model" else "datasets"
        out = []
        for rec in self.store.repos("space"):
            if rec.private and not self.is_member(ident, rec.namespace):
                continue
            _, meta = self.head_meta(rec)
            if meta and repo_id in cards.as_list(meta["card"].get(field)):
                out.append(rec.id)
        return out
