"""What `course-hub build` puts on the hub: repos described as data, committed by the builder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

FileContent = bytes | Path


@dataclass
class Commit:
    """One commit: files to add or replace (repo path -> bytes or a local file), paths to delete."""

    message: str
    files: dict[str, FileContent] = field(default_factory=dict)
    deletes: list[str] = field(default_factory=list)


@dataclass
class RepoSpec:
    """A repo on the course hub and the commits that make its `main` branch, oldest first."""

    repo_type: str  # "model" | "dataset" | "space"
    repo_id: str  # "namespace/name"
    commits: list[Commit]
    private: bool = False
    gated: bool | str = False  # False | "auto" | "manual"
    tags: dict[str, int] = field(default_factory=dict)  # tag name -> index into commits
    downloads: int = 0  # starting counter, so sort="downloads" has something to sort
    likes: int = 0
