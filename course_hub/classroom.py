"""Classroom mode: one instructor machine serves the course hub to a room of learners over the LAN.

`course-hub classroom roster 30` makes learner accounts and a token sheet (one `COURSE_HUB_URL` line per learner);
`course-hub serve --classroom` binds to the LAN and refuses anonymous requests; `course-hub classroom report` shows
who asked for gated access, who pushed what, who opened which pull request, and each learner's Spaces with their stage
(as the running hub last wrote it in the Spaces dir's stages.json; SLEEPING when no hub runs).
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from .hub import Hub

ROSTER_FILE = "roster.json"  # in HubDir.classroom_dir


def lan_address() -> str:
    """This machine's address on the LAN (the interface of the default route); loopback if there is none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # UDP: picks a route, sends nothing
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def join_url(hub_url: str, user: str, token: str) -> str:
    """The one setting a learner needs: the hub's URL with their name and token in it."""
    parts = urlsplit(hub_url)
    return f"{parts.scheme}://{quote(user, safe='')}:{quote(token, safe='')}@{parts.netloc}{parts.path.rstrip('/')}"


@dataclass
class Seat:
    user: str
    token: str
    join: str


def learner_names(count: int = 0, names: list[str] | None = None, prefix: str = "learner") -> list[str]:
    if names:
        return [n.strip() for n in names if n.strip()]
    width = max(2, len(str(count)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, count + 1)]


def create_roster(hub: Hub, users: list[str], hub_url: str) -> list[Seat]:
    """Create (or reuse) each learner account and give it a new write token; remembers the roster."""
    seats = []
    for user in users:
        hub.accounts.ensure(user, user)
        token = hub.accounts.create_token(user, role="write", name="classroom")
        seats.append(Seat(user, token, join_url(hub_url, user, token)))
    path = hub.dir.classroom_dir / ROSTER_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    known = set(roster(hub))
    path.write_text(json.dumps(sorted(known | set(users)), indent=1))
    return seats


def seat(hub: Hub, user: str, hub_url: str, token_name: str) -> Seat:
    """One learner's seat, made again each time (JupyterHub's spawn hook): the account if it is new, a new write
    token named `token_name` in place of the earlier ones of that name (the user's other tokens stay), the roster."""
    hub.accounts.ensure(user, user)
    if hub.accounts.get(user)["is_org"]:
        raise ValueError(f"{user!r} is an organisation on the course hub, not a learner")
    token = hub.accounts.replace_token(user, role="write", name=token_name)
    path = hub.dir.classroom_dir / ROSTER_FILE
    known = roster(hub)
    if user not in known:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(sorted({*known, user}), indent=1))
        os.replace(tmp, path)
    return Seat(user, token, join_url(hub_url, user, token))


def roster(hub: Hub) -> list[str]:
    try:
        return json.loads((hub.dir.classroom_dir / ROSTER_FILE).read_text())
    except (OSError, ValueError):
        return []


def token_sheet(seats: list[Seat], hub_url: str) -> str:
    """A Markdown sheet to print and cut into strips: one learner per line."""
    lines = [
        f"# Course hub token sheet ({hub_url})",
        "",
        "In the first cell of any notebook (or in a terminal before `jupyter lab`), set your line:",
        "",
        "| learner | the one setting |",
        "|---|---|",
    ]
    lines += [f"| {s.user} | `%env COURSE_HUB_URL={s.join}` |" for s in seats]
    return "\n".join(lines) + "\n"


def write_sheet(hub: Hub, seats: list[Seat], hub_url: str) -> Path:
    """token-sheet.md and .csv in the hub dir's classroom/ folder, readable by the instructor only."""
    folder = hub.dir.classroom_dir
    folder.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["user", "token", "COURSE_HUB_URL"])
    writer.writerows([s.user, s.token, s.join] for s in seats)
    for name, text in (("token-sheet.md", token_sheet(seats, hub_url)), ("token-sheet.csv", buf.getvalue())):
        path = folder / name
        path.touch(mode=0o600)
        os.chmod(path, 0o600)
        path.write_text(text)
    return folder / "token-sheet.md"


def join_instructions(hub_url: str) -> str:
    return (
        f"Classroom hub at {hub_url} (every request needs a learner token)\n"
        "Learners: in the first cell of a notebook, run your line of the token sheet, e.g.\n"
        f"    %env COURSE_HUB_URL={join_url(hub_url, 'learner01', 'TOKEN')}\n"
        "Token sheet: course-hub classroom roster N  (saved in the hub dir's classroom/ folder)\n"
        "Who did what: course-hub classroom report"
    )


def report(hub: Hub) -> str:
    """Access requests to gated repos and the commits of roster learners, newest last."""
    learners = set(roster(hub))
    out = ["Access requests to gated repos:"]
    for rec in hub.repos():
        if not rec.gated:
            continue
        for status in ("pending", "accepted", "rejected"):
            for row in hub.access.listed(rec, status):
                out.append(f"  {_when(row['updated'])}  {row['user']:16} {status:9} {rec.type} {rec.id}")
    if len(out) == 1:
        out.append("  (none)")
    out.append("Pushes by learners:")
    pushes = []
    for rec in hub.repos() if learners else []:
        head = hub.git(rec.type, rec.id).head()
        for c in hub.git(rec.type, rec.id).log(head, limit=200) if head else []:
            if c.author in learners:
                pushes.append((c.date, c.author, rec.type, rec.id, c.title))
    for date, author, repo_type, repo_id, title in sorted(pushes)[-200:]:
        out.append(f"  {_when(date)}  {author:16} {repo_type:7} {repo_id}: {title}")
    if not pushes:
        out.append("  (none)")
    out.append("Pull requests by learners:")
    prs = [d for user in sorted(learners) for d in hub.community.by(user) if d["is_pr"]]
    for d in sorted(prs, key=lambda d: d["created"])[-200:]:
        out.append(
            f"  {_when(d['created'])}  {d['author']:16} {d['type']:7} {d['id']}#{d['num']} "
            f"[{d['status']}]: {d['title']}"
        )
    if not prs:
        out.append("  (none)")
    return "\n".join(out + spaces_report(hub, sorted(learners)))


def spaces_report(hub: Hub, learners: list[str]) -> list[str]:
    """Each learner's Spaces and their stage, from the running hub's stages.json (its pid alive), else SLEEPING."""
    stages, running = {}, False
    try:
        state = json.loads((hub.dir.spaces_dir / "stages.json").read_text())
        os.kill(int(state["pid"]), 0)
        stages, running = state["spaces"], True
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        paused = set(json.loads((hub.dir.spaces_dir / "paused.json").read_text()))
    except (OSError, ValueError):
        paused = set()
    out = ["Learners' Spaces:" + ("" if running else " (no course hub runs on this hub dir: every Space sleeps)")]
    mine: dict[str, list[str]] = {}
    for rec in hub.repos():
        owner = rec.id.split("/", 1)[0]
        if rec.type == "space" and owner in learners:
            mine.setdefault(owner, []).append(rec.id)
    for learner in learners:
        for repo_id in sorted(mine.get(learner, [])):
            seen = stages.get(repo_id) or {}
            stage = "PAUSED" if repo_id in paused else seen.get("stage") or "SLEEPING"
            error = f": {seen['error']}" if seen.get("error") and stage != "PAUSED" else ""
            out.append(f"  {learner:16} {repo_id:40} {stage}{error}")
        if learner not in mine:
            out.append(f"  {learner:16} (no Space)")
    if not learners:
        out.append("  (no roster)")
    return out


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))
