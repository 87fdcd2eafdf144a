"""`make pack`: one archive for a workshop room with no (or weak) internet.

    build/pack/hf-hands-on-workshop-<platform>.tar
        course/      the course at HEAD (notebooks, helpers, Makefile, ...), from `git archive`
        wheelhouse/  a wheel of every pin of constraints.txt (the course's [lab] and [test] extras too), torch's CPU
                     build and the course
        hub/         the built course hub (repos, LFS objects, metadata; no tokens, no secrets, no logs)
        install.sh   offline install of the course and its [lab] (`pip --no-index` from wheelhouse/), then the hub into
                     course/data/hub ([test]'s wheels are there too: `pip install -e ".[test]"`
                     with the same PIP_FIND_LINKS)
        README.txt

    python -m tools.pack [--platform manylinux2014_x86_64 --python-version 3.11]   # another target machine

Weights do not compress: the archive is a plain tar.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from course_hub import HubDir

ROOT = Path(__file__).resolve().parents[1]
TORCH = "torch==2.13.0"  # the CPU build, as in the Makefile

INSTALL_SH = """#!/usr/bin/env bash
# Install the course from this pack with no network: a venv, every wheel from wheelhouse/, the built hub.
set -euo pipefail
cd "$(dirname "$0")"
HERE="$(pwd)"
PYTHON="${PYTHON:-python3}"
export PIP_NO_INDEX=1 PIP_FIND_LINKS="$HERE/wheelhouse" PIP_DISABLE_PIP_VERSION_CHECK=1
cd course
"$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet TORCH
.venv/bin/python -m pip install --quiet -c constraints.txt -e ".[lab]"
.venv/bin/python -m pip install --quiet -c constraints.txt --no-deps langchain-huggingface
touch .venv/.installed
mkdir -p data
if [ ! -e data/hub ]; then mv "$HERE/hub" data/hub; fi
.venv/bin/course-hub status > /dev/null
git lfs version > /dev/null 2>&1 || echo "Note: git-lfs is missing (notebook 01 clones a model with it): apt/brew install git-lfs"
echo "Installed. Start the course with: cd course && make lab   (instructors: see docs/instructor-guide.md)"
"""

README_TXT = """Hugging Face, hands-on: workshop pack ({platform})

Needs Python {python} on {platform}, and git with git-lfs (notebook 01 clones a model:
Debian/Ubuntu `apt install git-lfs`, macOS `brew install git-lfs`); no internet.
    bash install.sh            # about a minute: a venv in course/.venv, the course hub in course/data/hub
    cd course && make lab      # or: .venv/bin/python -m tools.lab
Classroom (one machine serves the room): see course/docs/instructor-guide.md.
"""


def platform_tag(target: str | None) -> str:
    return target or f"{sys.platform}-{platform.machine()}-py{sys.version_info.major}{sys.version_info.minor}"


def wheelhouse(dest: Path, target: str | None, python_version: str | None) -> None:
    """Every pinned dependency as a wheel: built here for this machine, or downloaded for another platform."""
    dest.mkdir(parents=True, exist_ok=True)
    pins = [
        line.strip()
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    reqs = dest.parent / "requirements-pack.txt"
    reqs.write_text("\n".join([TORCH, *pins]) + "\n")
    pip = [sys.executable, "-m", "pip"]
    if target:
        cmd = [
            *pip,
            "download",
            "-qq",
            "--no-deps",
            "--only-binary=:all:",
            "--platform",
            target,
            "--python-version",
            python_version or f"{sys.version_info.major}.{sys.version_info.minor}",
            "-d",
            str(dest),
            "-r",
            str(reqs),
        ]
    else:
        cmd = [*pip, "wheel", "-qq", "--no-deps", "-w", str(dest), "-r", str(reqs)]
    subprocess.run(cmd, check=True)
    # the course itself, and what building it from source needs if someone does
    subprocess.run([*pip, "wheel", "-qq", "--no-deps", "-w", str(dest), str(ROOT)], check=True)
    subprocess.run([*pip, "download", "-qq", "--no-deps", "-d", str(dest), "setuptools>=69", "wheel"], check=True)


def export_hub(hub_dir: Path, dest: Path) -> None:
    """The built hub without tokens, secrets, logs or build caches (`HubDir.copy_to(export=True)`), and only the
    repos the build made."""
    if not HubDir(hub_dir).is_built():
        raise SystemExit(f"the course hub is not built in {hub_dir}: run `make hub` first")
    HubDir(hub_dir).copy_to(dest, export=True)
    _keep_only_built_repos(dest)


def _keep_only_built_repos(hub_dir: Path) -> None:
    """Drop what was pushed on this machine (a learner's capstone, test repos): the pack holds the course only."""
    from course_hub.hub import Hub

    built = set(HubDir(hub_dir).build_info()["repos"])
    hub = Hub(hub_dir)
    for rec in hub.store.repos():
        if f"{rec.type}:{rec.id}" not in built:
            hub.delete_repo(rec.type, rec.id)
    hub.store.forget_credentials()  # and compacts the file
    hub.dir.secret_file.unlink(missing_ok=True)  # Hub() made one; each install makes its own


def course_tree(dest: Path) -> None:
    """The committed course at HEAD."""
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)


def make_pack(out: Path, hub_dir: Path, target: str | None = None, python_version: str | None = None) -> Path:
    tag = platform_tag(target)
    name = f"hf-hands-on-workshop-{tag}"
    stage = out / name
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    print(f"[1/4] wheelhouse for {tag}", flush=True)
    wheelhouse(stage / "wheelhouse", target, python_version)
    print("[2/4] course tree (git archive HEAD)", flush=True)
    course_tree(stage / "course")
    print(f"[3/4] hub export from {hub_dir}", flush=True)
    export_hub(hub_dir, stage / "hub")
    (stage / "install.sh").write_text(INSTALL_SH.replace("TORCH", TORCH))
    os.chmod(stage / "install.sh", 0o755)
    (stage / "README.txt").write_text(
        README_TXT.format(platform=tag, python=python_version or platform.python_version())
    )
    archive = out / f"{name}.tar"
    print(f"[4/4] archive {archive.relative_to(ROOT) if archive.is_relative_to(ROOT) else archive}", flush=True)
    tmp = archive.with_suffix(".tar.tmp")
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(stage, arcname=name)
    os.replace(tmp, archive)
    shutil.rmtree(stage)
    print(f"{archive.stat().st_size / 1e9:.2f} GB: {archive}")
    return archive


def main(argv: list[str] | None = None) -> int:
    from course_hub.settings import default_hub_dir

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=ROOT / "build" / "pack")
    p.add_argument("--hub-dir", type=Path, default=None, help="the built hub (default: $COURSE_HUB_DIR or data/hub)")
    p.add_argument(
        "--platform",
        default=None,
        help="a pip platform tag for another machine, e.g. "
        "manylinux2014_x86_64, macosx_11_0_arm64, win_amd64 (wheels only)",
    )
    p.add_argument("--python-version", default=None, help="with --platform: the target's Python, e.g. 3.11")
    args = p.parse_args(argv)
    make_pack(args.out.resolve(), (args.hub_dir or default_hub_dir()).resolve(), args.platform, args.python_version)
    return 0


if __name__ == "__main__":
    sys.exit(main())
