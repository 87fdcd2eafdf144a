"""Where the course hub keeps its files."""
from __future__ import annotations

import os
from pathlib import Path

REPO_TYPES = ("model", "dataset", "space")


def project_root() -> Path | None:
    """The course checkout that holds this package (editable install), if any."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir() else None


def default_hub_dir() -> Path:
    """`$COURSE_HUB_DIR`, else `data/hub/` in the course checkout, else a folder in the user's cache."""
    if os.environ.get("COURSE_HUB_DIR"):
        return Path(os.environ["COURSE_HUB_DIR"]).expanduser().resolve()
    root = project_root()
    if root is not None:
        return root / "data" / "hub"
    return Path.home() / ".cache" / "hf-hands-on" / "hub"


class HubDir:
    """The layout of one hub dir: bare git repos, LFS objects, the metadata store."""

    def __init__(self, root: Path | str):
        self.root = Path(root).resolve()

    @property
    def store_db(self) -> Path:
        return self.root / "hub.sqlite3"

    @property
    def lfs_dir(self) -> Path:
        return self.root / "lfs"

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    @property
    def server_file(self) -> Path:
        return self.root / "server.json"

    @property
    def secret_file(self) -> Path:
        return self.root / "secret"

    def repo_path(self, repo_type: str, repo_id: str) -> Path:
        assert repo_type in REPO_TYPES
        return self.root / "repos" / f"{repo_type}s" / f"{repo_id}.git"

    def ensure(self) -> "HubDir":
        for d in (self.root, self.lfs_dir, self.tmp_dir, self.root / "repos"):
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
