"""Dataset `hf-hands-on/digits`: the 1,797 8×8 handwritten digits that ship inside scikit-learn's wheel, as images.

The data is the test part of the UCI "Optical Recognition of Handwritten Digits" set (Alpaydin & Kaynak, 1998;
CC BY 4.0), as scikit-learn distributes it: `sklearn/datasets/data/digits.csv.gz`, 64 pixel values in 0..16 and
the digit per line. Read from the installed scikit-learn (a dependency of sentence-transformers), never imported.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import importlib.util
import random
from collections.abc import Callable
from pathlib import Path

from .cache import cached_step, files_under, key_of
from .cards import provenance, render_card
from .spec import Commit, RepoSpec

REPO_ID = "hf-hands-on/digits"
VERSION = "digits-1"  # bump when the parsing, split or parquet code changes
SOURCE = "sklearn/datasets/data/digits.csv.gz"
LABEL_NAMES = [str(d) for d in range(10)]
TEST_SHARE = 0.2  # per digit, so both splits hold every digit in the same proportion
SEED = 42

CITATION = """@misc{alpaydin1998optical,
  title  = {Optical Recognition of Handwritten Digits},
  author = {Alpaydin, E. and Kaynak, C.},
  year   = {1998},
  howpublished = {UCI Machine Learning Repository},
  doi    = {10.24432/C50P49}
}"""


def source_file() -> Path:
    """digits.csv.gz inside the installed scikit-learn (found without importing it)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("hf-hands-on/digits is built from scikit-learn's wheel: pip install scikit-learn")
    return Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"


def load_rows(path: Path) -> list[tuple[list[int], int]]:
    """(64 pixel values in 0..16, digit) per line."""
    rows = []
    for line in gzip.decompress(path.read_bytes()).decode().splitlines():
        values = [int(float(v)) for v in line.split(",")]
        rows.append((values[:64], values[64]))
    return rows


def split_rows(rows: list, seed: int = SEED) -> dict[str, list]:
    """A fixed, stratified train/test split: per digit, a seeded shuffle and the first 20% to test."""
    out: dict[str, list] = {"train": [], "test": []}
    for digit in range(10):
        mine = [r for r in rows if r[1] == digit]
        random.Random(f"{seed}-{digit}").shuffle(mine)
        n_test = round(len(mine) * TEST_SHARE)
        out["test"] += mine[:n_test]
        out["train"] += mine[n_test:]
    for name, part in out.items():
        random.Random(f"{seed}-{name}").shuffle(part)
    return out


def to_image(pixels: list[int]):
    """An 8×8 grayscale PIL image: 0..16 ink scaled to 0..255 (white ink on black, as in the source)."""
    from PIL import Image

    return Image.frombytes("L", (8, 8), bytes(round(v * 255 / 16) for v in pixels))


def features():
    from datasets import ClassLabel, Features, Image

    return Features({"image": Image(), "label": ClassLabel(names=LABEL_NAMES)})


def build_data(path: Path, out: Path) -> dict:
    """`data/{split}-00000-of-00001.parquet` under `out` (PNG bytes in an `Image` column); sizes for the card."""
    from datasets import Dataset
    from datasets.utils.logging import disable_progress_bar, enable_progress_bar, is_progress_bar_enabled

    splits = split_rows(load_rows(path))
    bars = is_progress_bar_enabled()
    disable_progress_bar()
    (out / "data").mkdir(parents=True, exist_ok=True)
    info: dict = {"splits": {}}
    for name, rows in splits.items():
        ds = Dataset.from_dict(
            {"image": [to_image(p) for p, _ in rows], "label": [d for _, d in rows]}, features=features()
        )
        file = out / "data" / f"{name}-00000-of-00001.parquet"
        ds.to_parquet(str(file))
        info["splits"][name] = {
            "num_examples": len(rows),
            "num_bytes": int(ds.data.nbytes),
            "parquet_bytes": file.stat().st_size,
            "by_digit": [sum(d == k for _, d in rows) for k in range(10)],
        }
    if bars:
        enable_progress_bar()
    return info


def build(work_dir: Path, progress: Callable[[str], None] = print) -> tuple[RepoSpec, Path, dict]:
    """(spec, folder holding data/*.parquet, info) — cached in work_dir by the source file's hash."""
    path = source_file()
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    key = key_of(VERSION, sha, SEED, TEST_SHARE)
    folder, info = cached_step(work_dir, "digits", key, lambda out: build_data(path, out), progress)
    info = {**info, "sklearn": importlib.metadata.version("scikit-learn"), "sha256": sha}
    spec = RepoSpec(
        repo_type="dataset",
        repo_id=REPO_ID,
        commits=[
            Commit(
                "Add the digits as images (train/test parquet) and a dataset card",
                {**files_under(folder), "README.md": card(info)},
            )
        ],
        downloads=900,
        likes=9,
    )
    return spec, folder, info


def card(info: dict) -> bytes:
    splits = info["splits"]
    meta = {
        "license": "cc-by-4.0",
        "task_categories": ["image-classification"],
        "size_categories": ["1K<n<10K"],
        "pretty_name": "Handwritten digits (8×8, UCI)",
        "tags": ["digits", "mnist-like", "course"],
        "configs": [{"config_name": "default", "data_files": [{"split": n, "path": f"data/{n}-*"} for n in splits]}],
        "dataset_info": {
            "features": [
                {"name": "image", "dtype": "image"},
                {"name": "label", "dtype": {"class_label": {"names": {str(i): n for i, n in enumerate(LABEL_NAMES)}}}},
            ],
            "splits": [
                {"name": n, "num_bytes": s["num_bytes"], "num_examples": s["num_examples"]} for n, s in splits.items()
            ],
            "download_size": sum(s["parquet_bytes"] for s in splits.values()),
            "dataset_size": sum(s["num_bytes"] for s in splits.values()),
        },
    }
    rows = "\n".join(
        f"| {n} | {s['num_examples']:,} | " + " | ".join(map(str, s["by_digit"])) + " |" for n, s in splits.items()
    )
    body = f"""# Handwritten digits

1,797 handwritten digits, each an 8×8 grayscale image with its label 0–9: small enough to train an image
classifier on a laptop CPU in seconds, real enough to show what image datasets look like on the Hub (an `Image`
column holding PNG bytes, decoded to a PIL image when you index a row).

```python
from datasets import load_dataset

ds = load_dataset("{REPO_ID}")
ds["train"][0]["image"]  # a PIL.Image.Image, 8×8, mode "L"
```

## Columns

| column | type | meaning |
|---|---|---|
| `image` | Image | 8×8 PNG, grayscale; 43 writers' digits scanned and downsampled by the original authors |
| `label` | ClassLabel | the digit, `0`…`9` |

## Splits

A fixed split: for each digit, a seeded shuffle (seed {SEED}) and {int(TEST_SHARE * 100)}% to `test`.

| split | rows | {" | ".join(LABEL_NAMES)} |
|---|---|{"---|" * 10}
{rows}

## License and citation

CC BY 4.0 (UCI Machine Learning Repository). If you use it, cite:

```bibtex
{CITATION}
```

{
        provenance(
            f"Source: `{SOURCE}` in the PyPI package `scikit-learn` {info['sklearn']} (sha256 `{info['sha256'][:16]}…`), "
            "the test part of the UCI set as scikit-learn ships it.",
            "Transformation: each line's 64 values (0..16) become an 8×8 image (value × 255 / 16), the 65th is the label; "
            "split as above; written with `datasets.Dataset.to_parquet` (the `Image` and `ClassLabel` features are "
            "stored in the parquet schema metadata).",
        )
    }"""
    return render_card(meta, body)
