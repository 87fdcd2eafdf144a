"""Google Colab: install the course into the runtime once, keeping Colab's own torch, and work from its notebooks.

Each notebook's setup cell clones the course repository into the runtime and puts it on `sys.path`; then
`helpers.connect()` calls `prepare()` when it runs on Colab, and builds the course hub on the first connect of the
runtime (`COURSE_AUTO_BUILD`).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

MARKER = ".colab-installed"
COURSE_DIR = Path(__file__).resolve().parents[1]  # the clone this module was imported from


def on_colab() -> bool:
    """True in a Google Colab runtime (its kernel imports `google.colab` at start)."""
    return "google.colab" in sys.modules


def install_command(course_dir: Path) -> list[str]:
    """`pip install -e` of the course that pins the torch already installed, so pip never replaces it."""
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "-e", str(course_dir)]
    try:
        cmd.append(f"torch=={version('torch')}")
    except PackageNotFoundError:
        pass  # no torch at all: pip installs the one pyproject.toml asks for
    return cmd


def prepare(course_dir: str | Path = COURSE_DIR) -> Path:
    """Install the course from `course_dir` (once per runtime), make it importable and cd into its notebooks."""
    course_dir = Path(course_dir).resolve()
    marker = course_dir / MARKER
    if not marker.exists():
        print("Installing the course and its libraries into this runtime (once, about a minute)...", flush=True)
        subprocess.run(install_command(course_dir), check=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "langchain-huggingface"], check=True
        )
        marker.write_text("installed\n")
    if str(course_dir) not in sys.path:
        sys.path.insert(0, str(course_dir))
    importlib.invalidate_caches()
    os.environ.setdefault("COURSE_AUTO_BUILD", "1")
    os.chdir(course_dir / "notebooks")
    return course_dir
