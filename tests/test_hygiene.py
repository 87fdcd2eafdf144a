"""No tokens and no machine paths in what the course ships: every committed file (notebook sources and outputs,
docs, data) and the executed notebook copies that `make run` / `make test` write.

Executed copies: the folders in `$COURSE_EXECUTED_DIRS` (`:`-separated, relative to the checkout; each must hold
notebooks), else `build/run`, `build/papermill-fast` and `build/papermill-online` when present. In `make test`,
test-hygiene runs last and requires build/papermill-online, the copies that test-online wrote (every notebook with
papermill, FAST, online mode, a learner's token in HF_TOKEN); since issue 24 `make test` no longer runs the separate
FAST pass (`make test-papermill`, build/papermill-fast), which is scanned too when a developer has run it.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXECUTED_DEFAULT = ("build/run", "build/papermill-fast", "build/papermill-online")
MAX_BYTES = 20 * 2**20
NOT_PREFIXED = r"(?<![\w.-])"  # a path starts a word: `https://host/home/x` is a URL path, not a machine path

TOKEN_PATTERNS = {
    # huggingface.co tokens and the course hub's own (hf_ + 34 letters/digits, course_hub/store.py create_token)
    "Hugging Face token": re.compile(r"\bhf_[A-Za-z0-9]{20,}"),
    "Bearer header": re.compile(r"\bBearer\s+[A-Za-z0-9._~+/=-]{20,}"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"),
}
PATH_PATTERNS = {
    "machine path": re.compile(NOT_PREFIXED + r"/(?:work|root)/[\w.~-]*"),
    "home folder": re.compile(NOT_PREFIXED + r"/(?:home|Users)/[\w.-]+/"),
    "Windows home folder": re.compile(r"\b[A-Za-z]:(?:\\\\|\\|/)Users(?:\\\\|\\|/)[\w.-]+"),
    "temporary path": re.compile(NOT_PREFIXED + r"/(?:tmp|var/folders|private/var)/[\w.-]+"),
}


@dataclass(frozen=True)
class Finding:
    where: str
    line: int
    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.where}:{self.line}: {self.kind}: {self.text}"


def shown(kind: str, value: str) -> str:
    """What a report may print: a secret's first characters only, a path in full."""
    return value if kind in PATH_PATTERNS or kind == "this checkout or home" else value[:6] + "…"


def known_secrets() -> list[str]:
    """Secrets this machine holds: course-hub tokens and signing key, saved HF tokens, `$HF_TOKEN`."""
    hub = Path(os.environ.get("COURSE_HUB_DIR") or ROOT / "data" / "hub")
    files = [
        *hub.glob("tokens/*"),
        hub / "secret",
        ROOT / "data" / "hub" / "secret",
        *ROOT.glob("data/hub/tokens/*"),
        *ROOT.glob("data/hf-home*/token"),
        Path.home() / ".cache" / "huggingface" / "token",
    ]
    values = {os.environ.get("HF_TOKEN", "")}
    for f in files:
        if f.is_file():
            values.add(f.read_text(errors="ignore").strip())
    return sorted(v for v in values if len(v) >= 12)


def machine_paths() -> list[str]:
    """This checkout's absolute path and the user's home (when they say something about this machine)."""
    return sorted({str(p) for p in (ROOT, Path.home()) if len(p.parts) > 2 or p == ROOT})


def scan_text(text: str, where: str, secrets: list[str] = (), paths: list[str] = ()) -> list[Finding]:
    """Every token-shaped string, known secret and absolute machine path in `text`."""
    found = []
    for n, line in enumerate(text.splitlines(), 1):
        for kind, pattern in {**TOKEN_PATTERNS, **PATH_PATTERNS}.items():
            found += [Finding(where, n, kind, shown(kind, m.group())) for m in pattern.finditer(line)]
        found += [Finding(where, n, "known secret", shown("secret", s)) for s in secrets if s in line]
        found += [Finding(where, n, "this checkout or home", p) for p in paths if p in line]
    return found


def committed_files() -> list[Path]:
    """Files git tracks, plus new files it does not ignore (what the next commit may carry)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: no list of committed files")
    return [ROOT / p for p in sorted(set(out.decode().split("\0"))) if p and (ROOT / p).is_file()]


def executed_dirs() -> list[Path]:
    if os.environ.get("COURSE_EXECUTED_DIRS"):
        dirs = [ROOT / d for d in os.environ["COURSE_EXECUTED_DIRS"].split(os.pathsep) if d]
        missing = [str(d) for d in dirs if not list(d.glob("*.ipynb"))]
        assert not missing, f"COURSE_EXECUTED_DIRS names folders without executed notebooks: {missing}"
        return dirs
    return [ROOT / d for d in EXECUTED_DEFAULT if (ROOT / d).is_dir()]


def scan_files(files: list[Path]) -> list[Finding]:
    secrets, paths = known_secrets(), machine_paths()
    found = []
    for f in files:
        if f.stat().st_size <= MAX_BYTES:
            found += scan_text(
                f.read_bytes().decode("utf-8", errors="ignore"), str(f.relative_to(ROOT)), secrets, paths
            )
    return found


def report(found: list[Finding]) -> str:
    return f"{len(found)} token(s) or machine path(s):\n" + "\n".join(map(str, found[:40]))


# --- the scanner can fail ---------------------------------------------------------------------------------------------


def test_scanner_finds_a_course_hub_token_a_bearer_header_and_machine_paths(tmp_path):
    from course_hub.store import Store

    token = Store(tmp_path / "hub.sqlite3").create_token("learner", role="write")
    # built from parts, so that this file does not hold what it looks for
    bearer = "Authorization: " + "Bearer " + "a1B2c3D4" * 3
    paths = [
        "/".join(["", "work", "main", "data", "hf-home"]),
        "/".join(["", "home", "alice", "notes.txt"]),
        "/".join(["", "tmp", "tmpa1b2c3", "model"]),
        "/".join(["", "Users", "bob", "x"]),
        "C:" + "\\\\Users" * 2,
    ]
    sample = (
        f'{{"text": ["whoami with {token}\\n", "curl -H \'{bearer}\'\\n", "saved to {paths[0]}\\n", '
        f'"see {", ".join(paths[1:])}"]}}\n{ROOT}/notebooks\nsecret: not-shaped-like-a-token-42'
    )
    found = scan_text(sample, "sample.ipynb", secrets=["not-shaped-like-a-token-42"], paths=[str(ROOT)])
    kinds = [f.kind for f in found]
    assert kinds.count("Hugging Face token") == 1 and "Bearer header" in kinds and "known secret" in kinds
    assert {"machine path", "home folder", "temporary path", "Windows home folder", "this checkout or home"} <= set(
        kinds
    )
    assert token not in report(found), "a report must not print the secret it found"


def test_scanner_allows_prose_placeholders_and_urls():
    sample = (
        "Install Chromium (`/usr/bin/chromium`); the cache lives in `~/.cache/huggingface/hub`.\n"
        "A bad token: `Bearer hf_doesnotexist`; an f-string: f'Bearer {token}'; `hf_…` tokens.\n"
        "http://127.0.0.1:PORT/home/models and https://huggingface.co/root/tmp/x; the sanitizer regex /tmp/[a-z]+\n"
    )
    assert scan_text(sample, "README.md") == []


# --- what the course ships -------------------------------------------------------------------------------------------


def test_committed_files_hold_no_tokens_or_machine_paths():
    files = committed_files()
    assert any(f.suffix == ".ipynb" for f in files) and any(f.name == "README.md" for f in files)
    found = scan_files(files)
    assert not found, report(found)


def test_executed_notebooks_hold_no_tokens_or_machine_paths():
    dirs = executed_dirs()
    if not dirs:
        pytest.skip("no executed copies yet (make test-online / make test-papermill / make run write them)")
    found = scan_files([p for d in dirs for p in sorted(d.rglob("*")) if p.is_file()])
    assert not found, report(found) + "\n(stale copies? re-run `make test-online` / `make test-papermill` / `make run`)"
