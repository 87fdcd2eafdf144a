"""`course-hub build`: commit the course's repos (from `course_content`) into a hub dir, deterministically."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from course_hub import HubDir
from course_hub.gitmatch import DEFAULT_GITATTRIBUTES
from course_hub.hub import Hub
from course_hub.settings import DEFAULT_ORG, course_org

from .cache import TIMINGS

BASE_DATE = 1767225600  # 2026-01-01T00:00:00Z: fixed commit dates make fixed commit SHAs
DAY = 86400
USERS = {"learner": "A course learner", "instructor": "The course instructor", "alice": "Alice (another learner)"}
ORG = course_org()  # pyproject.toml's [tool.hf-hands-on] org: the course's own repos live there ("hf-hands-on")
ORGS = {
    ORG: [("instructor", "admin")],
    "sentence-transformers": [("instructor", "admin")],
    "HuggingFaceTB": [("instructor", "admin")],
}


def build_key() -> str:
    """Changes when the code that makes the content changes."""
    h = hashlib.sha256()
    here = Path(__file__).parent
    for p in sorted(here.glob("*.py")):
        h.update(p.name.encode() + p.read_bytes())
    h.update(ORG.encode())  # another org: other repo ids
    return h.hexdigest()[:16]


def is_built(hub_dir: Path | str) -> bool:
    """Built by this version of the build code (a change to it means a rebuild)."""
    return HubDir(hub_dir).is_built(key=build_key())


GITATTRIBUTES = DEFAULT_GITATTRIBUTES.encode()  # what huggingface.co writes into a new repo
COLLECTION = (ORG, "Hugging Face, hands-on", "Every public repo the course's notebooks use")


def collect(hub: Hub, specs) -> str:
    """The course's public repos as one collection of the `course` org (`HfApi.get_collection(slug)`); the slug
    is fixed, as the commit SHAs are."""
    namespace, title, description = COLLECTION
    slug = f"{namespace}/hugging-face-hands-on-{hashlib.sha1(title.encode()).hexdigest()[:24]}"
    if hub.store.get_collection(slug) is not None:
        hub.store.delete_collection(slug)
    hub.store.create_collection(slug, namespace, title, description)
    for spec in specs:
        if not spec.private:
            hub.store.add_collection_item(slug, spec.repo_type, spec.repo_id, None)
    return slug


def with_org(specs, org: str):
    """The specs with the course's own repos (`hf-hands-on/…`) under `org` instead, in their ids and in the text of
    their files (cards, the Space's code, configs) — a publisher who owns another organisation on huggingface.co."""
    if org == DEFAULT_ORG:
        return specs
    import re
    from dataclasses import replace

    names = sorted(
        (s.repo_id.split("/", 1)[1] for s in specs if s.repo_id.startswith(f"{DEFAULT_ORG}/")), key=len, reverse=True
    )
    pattern = re.compile(rf"(?<![\w.-]){DEFAULT_ORG}/({'|'.join(map(re.escape, names))})(?![\w.-])".encode())

    def text(content):
        if (content.stat().st_size if isinstance(content, Path) else len(content)) > 1 << 20:
            return content  # weights, Parquet: no ids in them
        data = content.read_bytes() if isinstance(content, Path) else content
        if b"\0" in data[:8192]:
            return content
        new = pattern.sub(rb"%s/\1" % org.encode(), data)
        return content if new == data else new

    out = []
    for s in specs:
        repo_id = f"{org}/{s.repo_id.split('/', 1)[1]}" if s.repo_id.startswith(f"{DEFAULT_ORG}/") else s.repo_id
        commits = [replace(c, files={p: text(v) for p, v in c.files.items()}) for c in s.commits]
        out.append(replace(s, repo_id=repo_id, commits=commits))
    return out


def build(hub_dir: Path | str, force: bool = False, progress=print) -> None:
    hub_dir = Path(hub_dir)
    if not force and is_built(hub_dir):
        progress(f"course hub already built in {hub_dir} (use --force to rebuild)")
        return
    from . import build_specs

    started, cpu_started = time.monotonic(), cpu_seconds()
    hub = Hub(hub_dir)
    for name, fullname in USERS.items():
        hub.store.ensure_user(name, fullname)
    for org, members in ORGS.items():
        hub.store.ensure_user(org, org, is_org=True)
        for user, role in members:
            hub.store.add_member(org, user, role)
    specs = with_org(build_specs(hub.dir.root / ".build", progress), ORG)
    content_s, committed = time.monotonic() - started, {}
    for n, spec in enumerate(specs):
        commit_started = time.monotonic()
        progress(f"[{n + 1}/{len(specs)}] committing {spec.repo_type} {spec.repo_id}")
        if hub.store.get_repo(spec.repo_type, spec.repo_id) is not None:
            hub.delete_repo(spec.repo_type, spec.repo_id)
        created = BASE_DATE + n * DAY
        hub.create_repo(
            spec.repo_type,
            spec.repo_id,
            private=spec.private,
            gated=spec.gated,
            downloads=spec.downloads,
            likes=spec.likes,
            created=created,
        )
        author = spec.repo_id.split("/")[0]
        shas = []
        for i, commit in enumerate(spec.commits):
            files = dict(commit.files)
            if i == 0 and not any(".gitattributes" in c.files for c in spec.commits):
                files[".gitattributes"] = GITATTRIBUTES  # as huggingface.co's: a plain git clone gets the LFS files
            files.update({p: None for p in commit.deletes})
            shas.append(
                hub.commit(spec.repo_type, spec.repo_id, "main", files, commit.message, author, date=created + i * 3600)
            )
        git = hub.git(spec.repo_type, spec.repo_id)
        for tag, index in spec.tags.items():
            git.create_tag(tag, shas[index], f"Release {tag}", author, date=created + index * 3600)
        committed[f"{spec.repo_type}:{spec.repo_id}"] = round(time.monotonic() - commit_started, 1)
    collect(hub, specs)
    marker = hub.dir.build_marker
    tmp = marker.with_suffix(".tmp")
    repos = [f"{s.repo_type}:{s.repo_id}" for s in specs]
    refs = commit_refs(hub, repos)
    timings = {
        "total_s": round(time.monotonic() - started, 1),
        "content_s": round(content_s, 1),  # the steps below, side by side, and every card
        # CPU time of the build and its children (user + system): hardly moved by other load, unlike the wall time
        "cpu_s": round(cpu_seconds() - cpu_started, 1),
        "steps": dict(sorted(TIMINGS.items())),
        "commit_s": committed,
    }
    info = {"key": build_key(), "repos": repos, "fingerprint": fingerprint(refs), "refs": refs, "timings": timings}
    tmp.write_text(json.dumps(info, indent=1))
    os.replace(tmp, marker)
    progress(
        f"course hub built in {time.monotonic() - started:.0f}s: {hub.dir.root} (fingerprint {info['fingerprint']}: "
        "the same on every x86-64 machine)"
    )


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its children that have ended."""
    import resource

    return sum(
        u.ru_utime + u.ru_stime for u in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def commit_refs(hub: Hub, repos: list[str]) -> dict[str, dict[str, str]]:
    """`type:id` -> {"refs/heads/main": sha, "refs/tags/v1.0": sha, ...}: what the build committed, by name."""
    out = {}
    for repo in repos:
        repo_type, repo_id = repo.split(":", 1)
        branches, tags = hub.git(repo_type, repo_id).refs()
        out[repo] = {
            **{f"refs/heads/{b}": sha for b, sha in branches.items()},
            **{f"refs/tags/{t}": sha for t, sha in tags.items()},
        }
    return out


def fingerprint(refs: dict) -> str:
    """One short hash of every commit the build made: two builds with the same fingerprint wrote the same bytes."""
    return hashlib.sha256(json.dumps(refs, sort_keys=True).encode()).hexdigest()[:16]
