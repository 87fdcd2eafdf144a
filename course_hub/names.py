"""What a valid repo id, repo type and file path look like (400 BadRequest otherwise, before any lookup)."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from .errors import BadRequest
from .hubdir import REPO_TYPES

NAME_RE = re.compile(r"^(?!.*(\.\.|--))[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$")
MAX_PATH = 1000


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def check_repo_id(repo_id: str) -> tuple[str, str]:
    parts = repo_id.split("/")
    if len(parts) != 2 or not all(NAME_RE.match(p) for p in parts):
        raise BadRequest(f"Invalid repo id {repo_id!r}: expected 'namespace/name' with letters, digits, '-', "
                       "'_' and '.', not starting or ending with '-' or '.', and no '--' or '..'")
    return parts[0], parts[1]


def check_path(path: str) -> str:
    """A file path inside a repo: relative, no `..`, no NUL, not inside `.git/`."""
    if (not path or len(path) > MAX_PATH or "\x00" in path or path.startswith("/") or "\\" in path
            or any(seg in ("", ".", "..") for seg in path.split("/")) or path.split("/")[0] == ".git"):
        raise BadRequest(f"Invalid path in repo: {path!r}")
    return path


def check_type(repo_type: str) -> str:
    if repo_type not in REPO_TYPES:
        raise BadRequest(f"Invalid repo type {repo_type!r}: must be one of {', '.join(REPO_TYPES)}")
    return repo_type
