"""The files a model runs from: a folder per (repo, commit) under the hub dir's `inference/` cache, made from the
hub's own git repos (small files written out, LFS files hard-linked from its store). Never from the network."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..hub import Hub
from ..lfs import Pointer
from ..store import RepoRecord

# weights in formats the worker never reads (the safetensors beside them are enough)
SKIP_DIRS = ("onnx/", "openvino/", "coreml/", "tflite/")
SKIP_SUFFIXES = (".gguf", ".onnx", ".h5", ".msgpack", ".ot", ".tflite", ".mlmodel")


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def snapshot(hub: Hub, rec: RepoRecord, sha: str) -> Path:
    """The folder holding `rec` at commit `sha`, made once (atomically: built beside it, then renamed in)."""
    base = hub.dir.inference_dir / "snapshots" / f"{rec.type}s" / rec.id
    folder = base / sha
    if folder.is_dir():
        return folder
    base.mkdir(parents=True, exist_ok=True)
    tmp = base / f".{sha}.{os.getpid()}.{os.urandom(4).hex()}"
    tmp.mkdir()
    try:
        git = hub.git(rec.type, rec.id)
        files = git.files(sha)
        has_safetensors = any(p.endswith(".safetensors") for p in files)
        for path, entry in files.items():
            if (
                path.startswith(SKIP_DIRS)
                or path.endswith(SKIP_SUFFIXES)
                or ".." in path.split("/")
                or path.startswith("/")
                or (has_safetensors and path.endswith((".bin", ".pt", ".pth")))
            ):
                continue
            dst = tmp / path
            dst.parent.mkdir(parents=True, exist_ok=True)
            raw = git.blob(entry.blob)
            pointer = Pointer.parse(raw)
            if pointer is not None:
                if hub.lfs_usable(rec.type, rec.id, pointer.oid, pointer.size):
                    _link_or_copy(hub.lfs.path(pointer.oid), dst)
            else:
                dst.write_bytes(raw)
        try:
            os.rename(tmp, folder)
        except OSError:  # another request made it first
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in base.iterdir():  # older commits of the same repo: their links only take inodes
        if old.name != sha and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
    return folder
