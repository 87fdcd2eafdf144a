"""The layout of one hub dir, known here and nowhere else: database, tokens, logs, LFS objects, repos, tmp."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

REPO_TYPES = ("model", "dataset", "space")

# made while serving or building, never copied
RUNTIME = {"server.json", "server.tmp", "tmp", ".build", "inference", "spaces"}
# credentials and a classroom's roster: copied into a private copy (tests, benchmarks), never exported (the pack)
PRIVATE = {"tokens", "secret", "classroom"}


def _link_or_copy(src, dst) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system (a tmpfs /tmp): a real copy
        shutil.copy2(src, dst)


class HubDir:
    """One hub dir. Git objects and LFS files are never rewritten in place (new files are renamed in), so copies
    share them as hard links."""

    def __init__(self, root: Path | str):
        self.root = Path(root).resolve()

    def __fspath__(self) -> str:
        return str(self.root)

    def __truediv__(self, name: str) -> Path:
        return self.root / name

    store_db = property(lambda self: self.root / "hub.sqlite3")
    lfs_dir = property(lambda self: self.root / "lfs")
    xet_dir = property(lambda self: self.root / "xet")  # xorbs, file reconstructions (course_hub.xet)
    tmp_dir = property(lambda self: self.root / "tmp")
    repos_dir = property(lambda self: self.root / "repos")
    tokens_dir = property(lambda self: self.root / "tokens")  # the notebooks' saved tokens (one file a user+role)
    logs_dir = property(lambda self: self.root / "logs")
    spaces_dir = property(lambda self: self.root / "spaces")  # running Spaces: checkout, run log, HF_HOME
    inference_dir = property(lambda self: self.root / "inference")  # model snapshots (hard links) and the worker
    classroom_dir = property(lambda self: self.root / "classroom")
    server_file = property(lambda self: self.root / "server.json")
    secret_file = property(lambda self: self.root / "secret")
    build_marker = property(lambda self: self.root / "build.json")

    def repo_path(self, repo_type: str, repo_id: str) -> Path:
        assert repo_type in REPO_TYPES
        return self.repos_dir / f"{repo_type}s" / f"{repo_id}.git"

    def token_file(self, user: str, role: str) -> Path:
        return self.tokens_dir / f"{user}-{role}"

    def exists(self) -> bool:
        return self.store_db.exists()

    def build_info(self) -> dict | None:
        """What `course-hub build` recorded (its code's key and the repos it made), or None if never built."""
        try:
            return json.loads(self.build_marker.read_text())
        except (OSError, ValueError):
            return None

    def is_built(self, key: str | None = None) -> bool:
        """Built by `course-hub build` (by the build code whose key is `key`, when given)."""
        info = self.build_info()
        return info is not None and (key is None or info.get("key") == key)

    def ensure(self) -> HubDir:
        for d in (self.root, self.lfs_dir, self.tmp_dir, self.repos_dir):
            d.mkdir(parents=True, exist_ok=True)
        if not self.secret_file.exists():
            import secrets

            tmp = self.secret_file.with_suffix(".tmp")
            tmp.write_text(secrets.token_hex(32))
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.secret_file)
        return self

    def secret(self) -> bytes:
        return self.secret_file.read_text().strip().encode()

    def copy_to(self, dest: Path | str, export: bool = False) -> HubDir:
        """A copy that writes never reach this hub: hard links for git objects and LFS files, a consistent copy of
        the database (SQLite's backup API: a running server does not matter), no runtime files or logs.
        `export=True` (the workshop pack) also leaves out tokens, the secret and the roster, and forgets every
        token and access grant in the copied database."""
        dest = HubDir(dest)
        shutil.rmtree(dest.root, ignore_errors=True)
        dest.root.mkdir(parents=True)
        skip = RUNTIME | (PRIVATE if export else set())
        for item in self.root.iterdir():
            if (
                item.name in skip
                or item.name.startswith("hub.sqlite3")
                or item.name.endswith(".log")
                or item.name == "logs"
            ):
                continue
            target = dest.root / item.name
            if item.name in PRIVATE:  # small and rewritten in place: real copies
                shutil.copytree(item, target) if item.is_dir() else shutil.copy2(item, target)
            elif item.is_dir():
                shutil.copytree(item, target, copy_function=_link_or_copy)
            else:
                _link_or_copy(item, target)
        if self.store_db.exists():
            src, out = sqlite3.connect(self.store_db), sqlite3.connect(dest.store_db)
            try:
                src.backup(out)
            finally:
                src.close()
                out.close()
            if export:
                from .store import Store

                Store(dest.store_db).forget_credentials()
        return dest
