"""The course hub's model: repos (git + LFS) and their metadata. Who may do what is `policy.py`'s."""
from __future__ import annotations

import hashlib
import shutil
import threading
import time
from pathlib import Path

from . import cards
from .errors import BadRequest, PreconditionFailed, RepoExists, Unprocessable, entry_not_found, revision_not_found
from .gitrepo import ConflictError, FileEntry, GitRepo, RevisionNotFound
from .hubdir import HubDir
from .lfs import LfsStore, Pointer, wants_lfs
from .names import check_path, check_repo_id, check_type
from .policy import Policy
from .store import Identity, RepoRecord, Store


class Hub:
    """Everything the HTTP layer and the CLI need, with no HTTP in it."""

    def __init__(self, hub_dir: Path | str, classroom: bool = False):
        self.dir = HubDir(hub_dir).ensure()
        self.store = Store(self.dir.store_db)
        self.lfs = LfsStore(self.dir.lfs_dir, self.dir.tmp_dir)
        self.policy = Policy(self.store, classroom)
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
                raise RepoExists(f"You already created this {repo_type} repo: {repo_id}")
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
                    raise Unprocessable(f"LFS object {content.oid} for {path} was never uploaded to {repo_id}: "
                                   "upload it through the LFS batch API of this repo first")
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
                raise PreconditionFailed(str(e)) from None
            except ValueError as e:
                raise BadRequest(str(e)) from None

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
            if not self.policy.can_see(ident, rec):
                continue
            _, meta = self.head_meta(rec)
            if meta and repo_id in cards.as_list(meta["card"].get(field)):
                out.append(rec.id)
        return out
