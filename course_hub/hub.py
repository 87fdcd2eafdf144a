"""The course hub's model: repos (git + LFS) and their metadata. Who may do what is `policy.py`'s."""

from __future__ import annotations

import hashlib
import shutil
import threading
import time
from pathlib import Path

from . import card_meta
from .errors import BadRequest, PreconditionFailed, RepoExists, Unprocessable, entry_not_found, revision_not_found
from .gitmatch import GitIgnore, LfsAttributes, upload_mode
from .gitrepo import ConflictError, FileEntry, GitRepo, RevisionNotFound
from .hub_access import AccessRequests
from .hub_accounts import Accounts
from .hub_community import Community
from .hub_social import Social
from .hubdir import HubDir
from .lfs import LfsStore, Pointer
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
        # the operations the API, the website, the CLI and the classroom call (nothing above the model touches
        # the store: tests/test_architecture.py); git and metadata operations are this class's own methods
        self.accounts = Accounts(self.store)
        self.access = AccessRequests(self.store, self.policy)
        self.social = Social(self.store)
        self.community = Community(self)
        self._repo_locks: dict[tuple[str, str], threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._meta_cache: dict[tuple[str, str, str], dict] = {}
        if self.store.schema_version() < 1:
            self._link_existing_lfs()

    def recover(self, tmp_age_s: float = 600) -> list[Path]:
        """Before serving: clear what a killed process left half-done. A git `*.lock` file (a ref or loose object
        being written) would refuse every later write of that ref or object; temp files of unfinished uploads
        only take space. Everything else is written to a temp file and renamed, so it is whole or absent."""
        stale = list(self.dir.repos_dir.glob("*/*/*.git/**/*.lock"))
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
    def repo(self, repo_type: str, repo_id: str, follow: bool = True) -> RepoRecord | None:
        """The repo's record, found in any case (and, with `follow`, through the redirect a move left); no access
        check: that is `policy.see`'s."""
        return self.store.get_repo(repo_type, repo_id, follow=follow)

    def repos(self, repo_type: str | None = None) -> list[RepoRecord]:
        return self.store.repos(repo_type)

    def update_settings(self, rec: RepoRecord, private: bool | None = None, gated: str | bool | None = None) -> None:
        self.store.update_repo(rec.type, rec.id, private=private, gated=gated)

    def count_download(self, repo_type: str, repo_id: str) -> None:
        self.store.count_download(repo_type, repo_id)

    def link_lfs(self, repo_type: str, repo_id: str, oids) -> None:
        """The repo may use these LFS objects from now on (uploaded to it, or proven by their bytes)."""
        self.store.link_lfs(repo_type, repo_id, oids)

    def git(self, repo_type: str, repo_id: str) -> GitRepo:
        return GitRepo(self.dir.repo_path(repo_type, repo_id))

    def repo_lock(self, repo_type: str, repo_id: str) -> threading.Lock:
        with self._locks_lock:
            return self._repo_locks.setdefault((repo_type, repo_id), threading.Lock())

    def create_repo(
        self,
        repo_type: str,
        repo_id: str,
        private: bool = False,
        gated: str | bool = False,
        downloads: int = 0,
        likes: int = 0,
        created: float | None = None,
        initial: dict[str, bytes] | None = None,
        author: str = "hub",
    ) -> None:
        """A new bare repo (with an `initial` commit when given), registered in the store only once complete."""
        check_type(repo_type)
        namespace, _ = check_repo_id(repo_id)
        with self.repo_lock(repo_type, repo_id):
            if self.store.get_repo(repo_type, repo_id, follow=False) is not None:
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
            self.store.forget_redirect(repo_type, repo_id)

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
    def commit(
        self,
        repo_type: str,
        repo_id: str,
        branch: str,
        files: dict[str, bytes | Path | Pointer | None],
        message: str,
        author: str,
        parent: str | None = None,
        date: float | None = None,
        delete_folders: tuple[str, ...] = (),
        allow_empty: bool = True,
    ) -> str:
        """Commit changes: bytes/Path content (LFS when the branch's `.gitattributes` or the size says so),
        Pointers to LFS objects that must already be stored, None to delete. `allow_empty=False`: a commit that
        would change nothing is not made (the branch head is returned)."""
        git = self.git(repo_type, repo_id)
        head = git.head(branch)
        attributes = self.attributes(git, head) if head else None
        changes: dict[str, bytes | None] = {}
        for path, content in files.items():
            check_path(path)
            if content is None:
                changes[path] = None
            elif isinstance(content, Pointer):
                if not self.lfs_usable(repo_type, repo_id, content.oid, content.size):
                    raise Unprocessable(
                        f"LFS object {content.oid} for {path} was never uploaded to {repo_id}: "
                        "upload it through the LFS batch API of this repo first"
                    )
                if content.size is None:  # copies (CommitOperationCopy) name the object without its size
                    content = Pointer(content.oid, self.lfs.path(content.oid).stat().st_size)
                changes[path] = content.encode()
            elif isinstance(content, Path):
                size = content.stat().st_size
                changes[path] = (
                    self._put_lfs(repo_type, repo_id, self.lfs.put_file(content))
                    if upload_mode(path, size, attributes) == "lfs"
                    else content.read_bytes()
                )
            else:
                changes[path] = (
                    self._put_lfs(repo_type, repo_id, self.lfs.put_bytes(content))
                    if upload_mode(path, len(content), attributes) == "lfs"
                    else content
                )
        with self.repo_lock(repo_type, repo_id):
            try:
                return self.git(repo_type, repo_id).commit(
                    branch, changes, message, author, parent, date, delete_folders, allow_empty
                )
            except ConflictError as e:
                raise PreconditionFailed(str(e)) from None
            except ValueError as e:
                raise BadRequest(str(e)) from None

    def attributes(self, git: GitRepo, sha: str) -> LfsAttributes | None:
        """The LFS rules of the repo's `.gitattributes` at a commit (None: it has none)."""
        text = self._text_at(git, sha, ".gitattributes")
        return None if text is None else LfsAttributes(text)

    def gitignore(self, git: GitRepo, sha: str) -> GitIgnore | None:
        text = self._text_at(git, sha, ".gitignore")
        return None if text is None else GitIgnore(text)

    def _text_at(self, git: GitRepo, sha: str, path: str) -> str | None:
        entry = git.files(sha).get(path)
        if entry is None:
            return None
        raw = git.blob(entry.blob)
        return None if Pointer.parse(raw) else raw[:1_000_000].decode("utf-8", "replace")

    def remote_oid(self, git: GitRepo, sha: str, path: str) -> str | None:
        """What preupload tells the client about a file already there: the sha256 of an LFS file, the git blob
        sha of a regular one (huggingface_hub compares it with its own and skips unchanged files)."""
        entry = git.files(sha).get(path)
        if entry is None:
            return None
        pointer = Pointer.parse(git.blob(entry.blob))
        return pointer.oid if pointer else entry.blob

    # --- moving, copying, squashing, LFS storage ---------------------------------------------------------
    def move_repo(self, repo_type: str, from_id: str, to_id: str) -> None:
        """Rename or transfer: the bare repo moves, the store's rows follow, the old id redirects."""
        check_repo_id(to_id)
        namespace = to_id.split("/")[0]
        with self.repo_lock(repo_type, from_id), self.repo_lock(repo_type, to_id):
            existing = self.store.get_repo(repo_type, to_id, follow=False)
            if existing is not None and existing.id.lower() != from_id.lower():
                raise RepoExists(f"You already created this {repo_type} repo: {existing.id}")
            if not self.store.user_exists(namespace):
                self.store.ensure_user(namespace)
            src, dest = self.dir.repo_path(repo_type, from_id), self.dir.repo_path(repo_type, to_id)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if src != dest:
                src.rename(dest)  # same filesystem: atomic; a case-only rename on a case-insensitive one too
            try:
                self.store.move_repo(repo_type, from_id, to_id)
            except BaseException:
                if src != dest:
                    dest.rename(src)
                raise
            self._meta_cache.clear()

    def duplicate_repo(self, repo_type: str, from_id: str, to_id: str, private: bool, author: str) -> None:
        """A copy of the whole git repo (every branch, tag and commit) that may use the source's LFS objects."""
        namespace, _ = check_repo_id(to_id)
        with self.repo_lock(repo_type, to_id):
            if self.store.get_repo(repo_type, to_id, follow=False) is not None:
                raise RepoExists(f"You already created this {repo_type} repo: {to_id}")
            if not self.store.user_exists(namespace):
                self.store.ensure_user(namespace)
            dest = self.dir.repo_path(repo_type, to_id)
            if dest.exists():
                shutil.rmtree(dest)
            tmp = self.dir.tmp_dir / f"dup-{time.time_ns()}"
            with self.repo_lock(repo_type, from_id):
                shutil.copytree(self.dir.repo_path(repo_type, from_id), tmp, symlinks=True)
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp.rename(dest)
            self.store.link_lfs(repo_type, to_id, self.store.lfs_links_of(repo_type, from_id))
            self.store.add_repo(repo_type, to_id, private)
            self.store.forget_redirect(repo_type, to_id)

    def super_squash(self, repo_type: str, repo_id: str, branch: str, message: str, author: str) -> str:
        """The branch becomes one commit with its current files and no parent (other refs keep theirs)."""
        with self.repo_lock(repo_type, repo_id):
            return self.git(repo_type, repo_id).squash(branch, message, author)

    def lfs_files(self, repo_type: str, repo_id: str) -> list[dict]:
        """Every LFS object a ref's history of this repo points to: the first path and commit that used it."""
        git = self.git(repo_type, repo_id)
        branches, tags = git.refs()
        linked = self.store.lfs_links_of(repo_type, repo_id)
        found: dict[str, dict] = {}
        pointers: dict[str, Pointer | None] = {}  # blob sha -> its pointer (each blob read once)
        for ref, sha in [*sorted(branches.items()), *sorted(tags.items())]:
            for c in reversed(git.log(sha)):
                for path, entry in git.files(c.sha).items():
                    if entry.blob not in pointers:
                        raw = git.blob(entry.blob) if entry.mode & 0o170000 == 0o100000 else b""
                        pointers[entry.blob] = Pointer.parse(raw)
                    pointer = pointers[entry.blob]
                    if pointer and pointer.oid not in found and pointer.oid in linked:
                        found[pointer.oid] = {
                            "fileOid": pointer.oid,
                            "oid": pointer.oid,
                            "filename": path,
                            "size": pointer.size,
                            "pushedAt": c.date,
                            "ref": f"refs/heads/{ref}" if ref in branches else f"refs/tags/{ref}",
                        }
        return sorted(found.values(), key=lambda f: (f["pushedAt"], f["filename"]))

    def delete_lfs_files(self, repo_type: str, repo_id: str, oids: list[str]) -> int:
        """The objects stop being this repo's (files that point to them answer 404); bytes no repo uses any more
        leave the store. Git history is not rewritten."""
        mine = self.store.lfs_links_of(repo_type, repo_id)
        gone = self.store.unlink_lfs(repo_type, repo_id, [o for o in oids if o in mine])
        for oid in gone:
            self.lfs.path(oid).unlink(missing_ok=True)
        return len(gone)

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
            card = card_meta.card_data(git.blob(readme.blob) if readme else None)
            names = sorted(files)
            info = git.commit_info(sha)
            self._meta_cache[key] = {
                "card": card,
                "files": names,
                "tags": card_meta.derive_tags(repo_type, card, names),
                "date": info.date,
            }
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
            if meta and repo_id in card_meta.as_list(meta["card"].get(field)):
                out.append(rec.id)
        return out
