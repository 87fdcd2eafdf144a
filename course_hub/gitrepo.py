"""Bare git repositories: read trees and blobs, write commits, branches and tags (with dulwich, in-process)."""

from __future__ import annotations

import re
import stat
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from dulwich.objects import Blob, Commit, Tag, Tree
from dulwich.repo import Repo

SHA_RE = re.compile(r"^[0-9a-f]{40}$")
SHORT_SHA_RE = re.compile(r"^[0-9a-f]{7,39}$")
# git check-ref-format's rules for what we allow: no `..`, `//`, leading/trailing `/`, component starting with `.`,
# trailing `.`, `.lock` component suffix; plus no leading `-` (git refuses such branch names)
REF_NAME_RE = re.compile(
    r"^(?![-.])(?!.*\.\.)(?!.*/\.)(?!.*\.$)(?!/)(?!.*//)(?!.*\.lock(?:/|$))(?!.*/$)"
    r"[A-Za-z0-9._/-]{1,200}$"
)
FILE_MODE = 0o100644
DEFAULT_BRANCH = "main"


class ConflictError(Exception):
    """The branch moved since the client read it (or a ref already exists)."""


class RevisionNotFound(Exception):
    pass


@dataclass(frozen=True)
class FileEntry:
    path: str
    blob: str  # git blob sha
    mode: int


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    title: str
    message: str
    author: str
    date: float
    parents: tuple[str, ...]


def ref_of(branch: str) -> bytes:
    """A branch name, or a full `refs/...` name (a pull request's `refs/pr/N`), as the ref it names."""
    return (branch if branch.startswith("refs/") else f"refs/heads/{branch}").encode()


def valid_ref_name(name: str) -> bool:
    return bool(REF_NAME_RE.match(name)) and not name.startswith("refs/")


_FILES_CACHE: OrderedDict[tuple[str, str], dict[str, FileEntry]] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 256


class GitRepo:
    """One bare repository on disk."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.repo = Repo(str(self.path))

    # --- creation ------------------------------------------------------------------------------
    @classmethod
    def init(cls, path: Path) -> GitRepo:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=False)
        repo = Repo.init_bare(str(path))
        repo.refs.set_symbolic_ref(b"HEAD", f"refs/heads/{DEFAULT_BRANCH}".encode())
        config = repo.get_config()
        config.set(b"http", b"receivepack", True)
        config.set(b"core", b"logallrefupdates", False)
        config.write_to_path()
        return cls(path)

    # --- reading -------------------------------------------------------------------------------
    def resolve(self, revision: str) -> str:
        """A branch, tag, `refs/...` name, `HEAD` (the default branch, as huggingface.co takes it: the default
        revision of the JavaScript client @huggingface/hub), full commit sha or a unique prefix of 7+ hex digits
        (after branch and tag names) -> commit sha (RevisionNotFound otherwise)."""
        if SHA_RE.match(revision):
            try:
                obj = self.repo[revision.encode()]
            except KeyError:
                raise RevisionNotFound(revision) from None
            if isinstance(obj, Commit):
                return revision
            raise RevisionNotFound(revision)
        whole = revision.startswith("refs/") or revision == "HEAD"  # git allows no branch or tag named HEAD
        candidates = [revision] if whole else [f"refs/heads/{revision}", f"refs/tags/{revision}"]
        for ref in candidates:
            try:
                sha = self.repo.refs[ref.encode()]
            except (KeyError, ValueError):
                continue
            obj = self.repo[sha]
            while isinstance(obj, Tag):
                obj = self.repo[obj.object[1]]
            return obj.id.decode()
        if SHORT_SHA_RE.match(revision):
            found = self._commit_by_prefix(revision)
            if found:
                return found
        raise RevisionNotFound(revision)

    def _commit_by_prefix(self, prefix: str) -> str | None:
        """The one commit whose sha starts with `prefix` (None when none or several do)."""
        found = None
        for sha in self.repo.object_store:
            if sha.startswith(prefix.encode()):
                if not isinstance(self.repo[sha], Commit):
                    continue
                if found is not None:
                    return None
                found = sha.decode()
        return found

    def head(self, branch: str = DEFAULT_BRANCH) -> str | None:
        try:
            return self.repo.refs[ref_of(branch)].decode()
        except KeyError:
            return None

    def files(self, commit: str) -> dict[str, FileEntry]:
        """Every file at a commit, by path (cached: commits never change)."""
        key = (str(self.path), commit)
        with _CACHE_LOCK:
            if key in _FILES_CACHE:
                _FILES_CACHE.move_to_end(key)
                return _FILES_CACHE[key]
        tree = self.repo[self.repo[commit.encode()].tree]
        out: dict[str, FileEntry] = {}
        self._walk(tree, "", out)
        with _CACHE_LOCK:
            _FILES_CACHE[key] = out
            while len(_FILES_CACHE) > _CACHE_SIZE:
                _FILES_CACHE.popitem(last=False)
        return out

    def _walk(self, tree: Tree, prefix: str, out: dict) -> None:
        for item in tree.iteritems():
            name = item.path.decode("utf-8", "surrogateescape")
            if stat.S_ISDIR(item.mode):
                self._walk(self.repo[item.sha], prefix + name + "/", out)
            elif (item.mode & 0o170000) != 0o160000:  # skip submodules
                out[prefix + name] = FileEntry(prefix + name, item.sha.decode(), item.mode)

    def blob(self, sha: str) -> bytes:
        return self.repo[sha.encode()].as_raw_string()

    def commit_info(self, sha: str) -> CommitInfo:
        c = self.repo[sha.encode()]
        message = c.message.decode("utf-8", "replace")
        return CommitInfo(
            sha=sha,
            title=message.split("\n", 1)[0],
            message=message,
            author=c.author.decode("utf-8", "replace").split(" <", 1)[0],
            date=float(c.author_time),
            parents=tuple(p.decode() for p in c.parents),
        )

    def log(self, commit: str, limit: int | None = None) -> list[CommitInfo]:
        """First-parent history from a commit, newest first."""
        out, sha = [], commit
        while sha and (limit is None or len(out) < limit):
            info = self.commit_info(sha)
            out.append(info)
            sha = info.parents[0] if info.parents else None
        return out

    def refs(self) -> tuple[dict[str, str], dict[str, str]]:
        """(branches, tags): name -> commit sha (tags peeled)."""
        branches, tags = {}, {}
        for ref in self.repo.refs.allkeys():
            name = ref.decode()
            if name.startswith("refs/heads/"):
                branches[name[len("refs/heads/") :]] = self.repo.refs[ref].decode()
            elif name.startswith("refs/tags/"):
                tags[name[len("refs/tags/") :]] = self.resolve(name)
        return branches, tags

    # --- writing -------------------------------------------------------------------------------
    def commit(
        self,
        branch: str,
        changes: dict[str, bytes | None],
        message: str,
        author: str,
        parent: str | None = None,
        date: float | None = None,
        delete_folders: tuple[str, ...] = (),
        allow_empty: bool = True,
    ) -> str:
        """Commit file changes (path -> bytes, or None to delete) on top of `branch`.

        `allow_empty=False`: when the result has the same tree as the branch head, no commit is made and the head
        is returned.
        `parent`, when given, must be the branch's current head (the Hub's `parentCommit`), else ConflictError.
        The ref moves by compare-and-swap, so two writers can't both win. `branch` may be a full `refs/...` name.
        """
        ref = ref_of(branch)
        current = self.head(branch)
        if parent is not None and parent != current:
            raise ConflictError(
                f"A commit has happened since. Please refresh and try again. "
                f"(branch {branch} is at {current}, not {parent})"
            )
        files = {p: (e.mode, e.blob.encode()) for p, e in (self.files(current).items() if current else [])}
        for folder in delete_folders:
            prefix = folder.strip("/") + "/"
            for p in [p for p in files if p.startswith(prefix)]:
                del files[p]
        store = self.repo.object_store
        for path, data in changes.items():
            if data is None:
                files.pop(path, None)
            else:
                blob = Blob.from_string(data)
                store.add_object(blob)
                files[path] = (FILE_MODE, blob.id)
        tree_id = self._write_tree(files)
        if not allow_empty and current and self.repo[current.encode()].tree == tree_id:
            return current
        c = Commit()
        c.tree = tree_id
        c.parents = [current.encode()] if current else []
        c.author = c.committer = f"{author} <{author}@users.noreply.course-hub>".encode()
        c.author_time = c.commit_time = int(date if date is not None else time.time())
        c.author_timezone = c.commit_timezone = 0
        c.encoding = b"UTF-8"
        c.message = message.encode() if message.endswith("\n") else (message + "\n").encode()
        store.add_object(c)
        old = current.encode() if current else None
        ok = self.repo.refs.set_if_equals(ref, old, c.id) if old else self.repo.refs.add_if_new(ref, c.id)
        if not ok:
            raise ConflictError(f"branch {branch} moved while committing; please retry")
        return c.id.decode()

    def squash(self, branch: str, message: str, author: str, date: float | None = None) -> str:
        """Replace the branch's history by one commit of its current tree (the ref moves by compare-and-swap)."""
        ref = f"refs/heads/{branch}".encode()
        current = self.head(branch)
        if current is None:
            raise RevisionNotFound(branch)
        c = Commit()
        c.tree = self.repo[current.encode()].tree
        c.parents = []
        c.author = c.committer = f"{author} <{author}@users.noreply.course-hub>".encode()
        c.author_time = c.commit_time = int(date if date is not None else time.time())
        c.author_timezone = c.commit_timezone = 0
        c.encoding = b"UTF-8"
        c.message = (message.rstrip("\n") + "\n").encode()
        self.repo.object_store.add_object(c)
        if not self.repo.refs.set_if_equals(ref, current.encode(), c.id):
            raise ConflictError(f"branch {branch} moved while squashing; please retry")
        return c.id.decode()

    def _write_tree(self, files: dict[str, tuple[int, bytes]]) -> bytes:
        root: dict = {}
        for path, (mode, sha) in files.items():
            node = root
            *dirs, name = path.split("/")
            for d in dirs:
                node = node.setdefault(d, {})
                if not isinstance(node, dict):
                    raise ValueError(f"{path}: a file is in the way of this folder")
            if isinstance(node.get(name), dict):
                raise ValueError(f"{path}: a folder of that name exists")
            node[name] = (mode, sha)
        return self._tree_from(root)

    def _tree_from(self, node: dict) -> bytes:
        tree = Tree()
        for name, value in node.items():
            if isinstance(value, dict):
                tree.add(name.encode(), stat.S_IFDIR, self._tree_from(value))
            else:
                tree.add(name.encode(), value[0], value[1])
        self.repo.object_store.add_object(tree)
        return tree.id

    def create_branch(self, name: str, sha: str) -> None:
        if not self.repo.refs.add_if_new(f"refs/heads/{name}".encode(), sha.encode()):
            raise ConflictError(f"Reference refs/heads/{name} already exists")

    def delete_branch(self, name: str) -> bool:
        return self._delete_ref(f"refs/heads/{name}".encode())

    def _delete_ref(self, ref: bytes) -> bool:
        """False when the ref does not exist (dulwich's remove_if_equals(ref, None) says True for a missing ref)."""
        try:
            old = self.repo.refs.read_ref(ref)
        except KeyError:
            old = None
        if old is None:
            return False
        return self.repo.refs.remove_if_equals(ref, old)

    def create_tag(
        self, name: str, sha: str, message: str | None = None, author: str = "hub", date: float | None = None
    ) -> None:
        target = sha.encode()
        if message:
            t = Tag()
            t.name = name.encode()
            t.object = (Commit, sha.encode())
            t.tagger = f"{author} <{author}@users.noreply.course-hub>".encode()
            t.tag_time = int(date if date is not None else time.time())
            t.tag_timezone = 0
            t.message = (message.rstrip("\n") + "\n").encode()
            self.repo.object_store.add_object(t)
            target = t.id
        if not self.repo.refs.add_if_new(f"refs/tags/{name}".encode(), target):
            raise ConflictError(f"Reference refs/tags/{name} already exists")

    def delete_tag(self, name: str) -> bool:
        return self._delete_ref(f"refs/tags/{name}".encode())

    # --- pull requests: refs/pr/N, merging -------------------------------------------------------
    def pr_refs(self) -> dict[int, str]:
        """Pull requests' refs: N -> the sha of `refs/pr/N`."""
        out = {}
        for ref in self.repo.refs.allkeys():
            name = ref.decode()
            if name.startswith("refs/pr/") and name[len("refs/pr/") :].isdigit():
                out[int(name[len("refs/pr/") :])] = self.repo.refs[ref].decode()
        return out

    def create_ref(self, ref: str, sha: str) -> None:
        """A new full ref (`refs/pr/N`) at `sha`; ConflictError if it exists."""
        if not self.repo.refs.add_if_new(ref.encode(), sha.encode()):
            raise ConflictError(f"Reference {ref} already exists")

    def delete_ref(self, ref: str) -> bool:
        """Delete a full ref (`refs/...`); False when it does not exist."""
        return self._delete_ref(ref.encode())

    def ancestors(self, sha: str) -> set[str]:
        seen, todo = set(), [sha]
        while todo:
            c = todo.pop()
            if c in seen:
                continue
            seen.add(c)
            todo.extend(p.decode() for p in self.repo[c.encode()].parents)
        return seen

    def merge_base(self, a: str, b: str) -> str | None:
        """The nearest commit both `a` and `b` descend from (breadth-first from `b`), or None."""
        mine = self.ancestors(a)
        seen, queue = set(), [b]
        while queue:
            c = queue.pop(0)
            if c in mine:
                return c
            if c in seen:
                continue
            seen.add(c)
            queue.extend(p.decode() for p in self.repo[c.encode()].parents)
        return None

    def merge_plan(self, target: str, source: str) -> tuple[str, dict[str, tuple[int, bytes]] | None, list[str]]:
        """How `source` merges into `target`: ("up-to-date" | "fast-forward" | "merge", the merged files for a
        merge commit, the paths changed on both sides differently (conflicts: no merge)). File-level three-way
        merge: a file changed on one side only takes that side; changed on both sides to different contents is a
        conflict (no line-level merging)."""
        if target == source or source in self.ancestors(target):
            return "up-to-date", None, []
        base = self.merge_base(target, source)
        if base == target:
            return "fast-forward", None, []
        b = {p: (e.mode, e.blob) for p, e in (self.files(base).items() if base else [])}
        o = {p: (e.mode, e.blob) for p, e in self.files(target).items()}
        t = {p: (e.mode, e.blob) for p, e in self.files(source).items()}
        merged, conflicts = {}, []
        for path in sorted(set(b) | set(o) | set(t)):
            bo, oo, to = b.get(path), o.get(path), t.get(path)
            if oo == to or to == bo:
                pick = oo
            elif oo == bo:
                pick = to
            else:
                conflicts.append(path)
                continue
            if pick is not None:  # None: deleted
                merged[path] = (pick[0], pick[1].encode())
        return "merge", (None if conflicts else merged), conflicts

    def merge(self, branch: str, source: str, message: str, author: str) -> tuple[str, list[str]]:
        """Merge commit `source` into `branch` (fast-forward when possible, else a merge commit with two
        parents); the ref moves by compare-and-swap. (new head, conflicting paths): with conflicts nothing
        moves."""
        ref = ref_of(branch)
        current = self.head(branch)
        if current is None:
            raise RevisionNotFound(branch)
        how, files, conflicts = self.merge_plan(current, source)
        if conflicts:
            return current, conflicts
        if how == "up-to-date":
            return current, []
        if how == "fast-forward":
            new = source.encode()
        else:
            c = Commit()
            c.tree = self._write_tree(files)
            c.parents = [current.encode(), source.encode()]
            c.author = c.committer = f"{author} <{author}@users.noreply.course-hub>".encode()
            c.author_time = c.commit_time = int(time.time())
            c.author_timezone = c.commit_timezone = 0
            c.encoding = b"UTF-8"
            c.message = (message.rstrip("\n") + "\n").encode()
            self.repo.object_store.add_object(c)
            new = c.id
        if not self.repo.refs.set_if_equals(ref, current.encode(), new):
            raise ConflictError(f"branch {branch} moved while merging; please retry")
        return new.decode(), []
