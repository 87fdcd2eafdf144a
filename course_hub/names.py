"""What a valid repo id, repo type and file path look like (400 BadRequest otherwise, before any lookup)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from .errors import BadRequest, Unprocessable
from .hubdir import REPO_TYPES

NAME_CHARS = re.compile(r"^[A-Za-z0-9._-]+$")
MAX_NAME = 96
MAX_PATH = 1000


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def name_problem(name: str) -> str | None:
    """Which rule a namespace or repo name breaks (huggingface_hub's `validate_repo_id`), or None.

    Letters, digits, '-', '_' and '.'; 1 to 96 characters; not starting or ending with '-' or '.' ('_' is fine);
    no '--' or '..'; not ending in '.git'."""
    if not name:
        return "it is empty"
    if len(name) > MAX_NAME:
        return f"it is {len(name)} characters long (the maximum is {MAX_NAME})"
    if not NAME_CHARS.match(name):
        bad = sorted({c for c in name if not re.match(r"[A-Za-z0-9._-]", c)})
        return f"it contains {', '.join(repr(c) for c in bad)}: only letters, digits, '-', '_' and '.' are allowed"
    if name[0] in "-." or name[-1] in "-.":
        return "it starts or ends with '-' or '.'"
    if "--" in name or ".." in name:
        return "it contains '--' or '..'"
    if name.endswith(".git"):
        return "it ends with '.git'"
    return None


def check_repo_id(repo_id: str, legacy: bool = False) -> tuple[str, str]:
    """'namespace/name' -> (namespace, name), or 400 BadRequest saying which rule failed.

    `legacy=True` (lookups): a single name is accepted too, as the Hub's un-namespaced models (`gpt2`) are; it is
    returned as ('', name)."""
    parts = repo_id.split("/")
    if len(parts) == 1 and legacy:
        parts = ["", parts[0]]
    elif len(parts) != 2:
        raise BadRequest(f"Invalid repo id {repo_id!r}: expected 'namespace/name'")
    for what, part in zip(("namespace", "name"), parts):
        if what == "namespace" and legacy and part == "":
            continue
        problem = name_problem(part)
        if problem:
            raise BadRequest(f"Invalid repo id {repo_id!r}: the {what} {part!r} is not valid: {problem}")
    return parts[0], parts[1]


def check_path(path: str, write: bool = False) -> str:
    """A file path inside a repo: relative, no `..`, no NUL, not inside `.git/` (400 BadRequest otherwise).

    A backslash is an ordinary character of a name (`folder\\file.txt` is stored as is, as huggingface.co does), but
    a segment that a Windows client would read as `.` or `..` (`..\\x`, `a\\..\\b`) is refused: 422 for a commit
    (`write`), as on the Hub; 400 for a read, as any other invalid path."""
    if (
        not path
        or len(path) > MAX_PATH
        or "\x00" in path
        or path.startswith("/")
        or any(seg in ("", ".", "..") for seg in path.split("/"))
        or path.split("/")[0] == ".git"
    ):
        raise BadRequest(f"Invalid path in repo: {path!r}")
    if any(seg in (".", "..") for seg in re.split(r"[/\\]", path)) or path.startswith("\\"):
        error = Unprocessable if write else BadRequest
        raise error(f"Invalid path in repo: {path!r} (a '..' or '.' segment between backslashes)")
    return path


def check_type(repo_type: str) -> str:
    if repo_type not in REPO_TYPES:
        raise BadRequest(f"Invalid repo type {repo_type!r}: must be one of {', '.join(REPO_TYPES)}")
    return repo_type
