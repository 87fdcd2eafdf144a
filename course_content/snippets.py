"""Dataset `hf-hands-on/sentiment-snippets`: the human-rated snippets of Hutto & Gilbert (ICWSM 2014)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import inputs
from .cache import cached_step, files_under, key_of
from .cards import provenance, render_card
from .spec import Commit, RepoSpec

REPO_ID = "hf-hands-on/sentiment-snippets"
VERSION = "snippets-1"  # bump when the parsing, split or parquet code changes
TARBALL = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
# ground-truth file -> (id prefix, domain)
SOURCES = {
    "hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt": ("movie", "movie_reviews"),
    "hutto_ICWSM_2014/amazonReviewSnippets_GroundTruth.txt": ("amazon", "amazon_reviews"),
    "hutto_ICWSM_2014/nytEditorialSnippets_GroundTruth.txt": ("nyt", "nyt_editorials"),
    "hutto_ICWSM_2014/tweets_GroundTruth.txt": ("tweet", "tweets"),
}
DOMAINS = [domain for _, domain in SOURCES.values()]
NEUTRAL_BAND = 0.5  # snippets with |mean rating| < 0.5 are dropped as neutral
LABEL_NAMES = ["negative", "positive"]
SPLITS = {"train": 0.8, "validation": 0.1, "test": 0.1}  # validation/test sizes are rounded, train takes the rest
SEED = 42

CITATION = """@inproceedings{hutto2014vader,
  title     = {VADER: A Parsimonious Rule-based Model for Sentiment Analysis of Social Media Text},
  author    = {Hutto, C. J. and Gilbert, Eric},
  booktitle = {Proceedings of the Eighth International AAAI Conference on Weblogs and Social Media (ICWSM-14)},
  address   = {Ann Arbor, MI},
  year      = {2014}
}"""


@dataclass(frozen=True)
class Snippet:
    id: str
    text: str
    rating: float
    label: int  # 0 negative, 1 positive
    domain: str


def decode(raw: bytes) -> str:
    """UTF-8 if it decodes, else latin-1 (which always does)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def label_for(rating: float) -> int | None:
    """The labelling rule: None (dropped) when |rating| < 0.5, else 1 if rating > 0 else 0."""
    if abs(rating) < NEUTRAL_BAND:
        return None
    return 1 if rating > 0 else 0


def parse_ground_truth(raw: bytes, prefix: str, domain: str) -> tuple[list[Snippet], dict[str, int]]:
    """Parse one `*_GroundTruth.txt` (`id<TAB>mean rating<TAB>text` per line).

    Returns the kept snippets in file order and counts: `lines`, `kept`, `neutral` (dropped by the
    rule), `malformed` (wrong field count, rating not a number in [-4, 4], empty text, repeated id).
    Blank lines are ignored.
    """
    kept: list[Snippet] = []
    counts = {"lines": 0, "kept": 0, "neutral": 0, "malformed": 0}
    seen: set[str] = set()
    for line in decode(raw).split("\n"):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        counts["lines"] += 1
        parts = line.split("\t")
        if len(parts) != 3:
            counts["malformed"] += 1
            continue
        raw_id, raw_rating, text = parts[0].strip(), parts[1].strip(), parts[2].strip()
        try:
            rating = float(raw_rating)
        except ValueError:
            counts["malformed"] += 1
            continue
        if not raw_id or not text or not -4.0 <= rating <= 4.0 or raw_id in seen:
            counts["malformed"] += 1
            continue
        seen.add(raw_id)
        label = label_for(rating)
        if label is None:
            counts["neutral"] += 1
            continue
        kept.append(Snippet(f"{prefix}-{raw_id}", text, rating, label, domain))
        counts["kept"] += 1
    return kept, counts


def load_snippets(sdist: Path) -> tuple[list[Snippet], dict[str, dict[str, int]]]:
    """All kept snippets from the vadersentiment sdist, and per-domain counts."""
    import io
    import tarfile

    inner = inputs.read_tar_member(sdist, TARBALL)
    snippets: list[Snippet] = []
    stats: dict[str, dict[str, int]] = {}
    with tarfile.open(fileobj=io.BytesIO(inner), mode="r:gz") as tf:
        for member, (prefix, domain) in SOURCES.items():
            rows, counts = parse_ground_truth(tf.extractfile(member).read(), prefix, domain)
            snippets.extend(rows)
            stats[domain] = counts
    return snippets, stats


def split_snippets(snippets: list[Snippet], seed: int = SEED) -> dict[str, list[Snippet]]:
    """Seeded split stratified by domain (80/10/10 of each domain), then each split shuffled."""
    out: dict[str, list[Snippet]] = {name: [] for name in SPLITS}
    for domain in DOMAINS:
        rows = sorted((s for s in snippets if s.domain == domain), key=lambda s: s.id)
        random.Random(f"{seed}-{domain}").shuffle(rows)
        n_val = round(len(rows) * SPLITS["validation"])
        n_test = round(len(rows) * SPLITS["test"])
        out["validation"] += rows[:n_val]
        out["test"] += rows[n_val : n_val + n_test]
        out["train"] += rows[n_val + n_test :]
    for name, rows in out.items():
        rows.sort(key=lambda s: s.id)
        random.Random(f"{seed}-{name}").shuffle(rows)
    return out


def features():
    """The `datasets.Features` of every split (label is a ClassLabel)."""
    from datasets import ClassLabel, Features, Value

    return Features(
        {
            "id": Value("string"),
            "text": Value("string"),
            "rating": Value("float64"),
            "label": ClassLabel(names=LABEL_NAMES),
            "domain": Value("string"),
        }
    )


def to_dataset(rows: list[Snippet]):
    """A `datasets.Dataset` with the course features."""
    from datasets import Dataset

    columns = {name: [getattr(r, name) for r in rows] for name in ("id", "text", "rating", "label", "domain")}
    return Dataset.from_dict(columns, features=features())


def build_data(sdist: Path, out: Path) -> dict:
    """Write `data/{split}-00000-of-00001.parquet` under `out`; return sizes and counts for the card."""
    from datasets.utils.logging import disable_progress_bar, enable_progress_bar, is_progress_bar_enabled

    snippets, stats = load_snippets(sdist)
    splits = split_snippets(snippets)
    bars = is_progress_bar_enabled()
    disable_progress_bar()
    (out / "data").mkdir(parents=True, exist_ok=True)
    info: dict = {"stats": stats, "splits": {}}
    for name, rows in splits.items():
        ds = to_dataset(rows)
        path = out / "data" / f"{name}-00000-of-00001.parquet"
        ds.to_parquet(str(path))
        info["splits"][name] = {
            "num_examples": len(rows),
            "num_bytes": int(ds.data.nbytes),
            "parquet_bytes": path.stat().st_size,
            "by_domain": {d: sum(r.domain == d for r in rows) for d in DOMAINS},
            "positive": sum(r.label for r in rows),
        }
    if bars:
        enable_progress_bar()
    return info


def build(work_dir: Path, progress: Callable[[str], None] = print) -> tuple[RepoSpec, Path, dict]:
    """(spec, folder holding data/*.parquet, info) — parquet files are cached in work_dir."""
    sdist = inputs.fetch(inputs.VADER, progress)
    key = key_of(VERSION, inputs.sha256_file(sdist), SEED, SPLITS, NEUTRAL_BAND)
    folder, info = cached_step(work_dir, "sentiment-snippets", key, lambda out: build_data(sdist, out), progress)
    spec = RepoSpec(
        repo_type="dataset",
        repo_id=REPO_ID,
        commits=[
            Commit("Add parquet data files (train/validation/test)", files_under(folder)),
            Commit("Add dataset card", {"README.md": card(info, sdist.name)}),
        ],
        downloads=5000,
        likes=40,
    )
    return spec, folder, info


def dataset_info_yaml(info: dict) -> dict:
    """The card's `dataset_info` block (the YAML form `datasets` writes)."""
    feats = []
    for name, feat in features().items():
        if name == "label":
            feats.append(
                {"name": name, "dtype": {"class_label": {"names": {str(i): n for i, n in enumerate(LABEL_NAMES)}}}}
            )
        else:
            feats.append({"name": name, "dtype": feat.dtype})
    splits = [
        {"name": n, "num_bytes": s["num_bytes"], "num_examples": s["num_examples"]} for n, s in info["splits"].items()
    ]
    return {
        "features": feats,
        "splits": splits,
        "download_size": sum(s["parquet_bytes"] for s in info["splits"].values()),
        "dataset_size": sum(s["num_bytes"] for s in info["splits"].values()),
    }


def card(info: dict, sdist_name: str) -> bytes:
    """README.md of the dataset repo."""
    total = sum(s["num_examples"] for s in info["splits"].values())
    meta = {
        "license": "mit",
        "language": ["en"],
        "task_categories": ["text-classification"],
        "task_ids": ["sentiment-classification"],
        "size_categories": ["10K<n<100K" if total >= 10_000 else "1K<n<10K"],
        "pretty_name": "Sentiment snippets (VADER ground truth)",
        "tags": ["sentiment", "vader", "course"],
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": name, "path": f"data/{name}-*"} for name in SPLITS],
            }
        ],
        "dataset_info": dataset_info_yaml(info),
    }
    stats = info["stats"]
    rows = "\n".join(
        f"| {d} | {stats[d]['lines']:,} | {stats[d]['neutral']:,} | {stats[d]['malformed']:,} | "
        + " | ".join(f"{info['splits'][n]['by_domain'][d]:,}" for n in SPLITS)
        + " |"
        for d in DOMAINS
    )
    totals = " | ".join(f"**{info['splits'][n]['num_examples']:,}**" for n in SPLITS)
    pos = " | ".join(f"{info['splits'][n]['positive'] / info['splits'][n]['num_examples']:.1%}" for n in SPLITS)
    body = f"""# Sentiment snippets

Short English texts — movie-review and Amazon-review snippets, New York Times editorial sentences and
tweets — each rated for sentiment by about 20 people on a scale from -4 (extremely negative) to +4
(extremely positive). They are the ground-truth sets that Hutto & Gilbert collected to evaluate VADER.
This course uses them for binary sentiment classification.

```python
from datasets import load_dataset

ds = load_dataset("{REPO_ID}")
ds["train"][0]
```

## Columns

| column | type | meaning |
|---|---|---|
| `id` | string | `<source>-<original id>`, e.g. `movie-123`, `amazon-1_1` |
| `text` | string | the snippet, as in the source file (tweets keep HTML entities such as `&amp;`) |
| `rating` | float64 | mean human rating in [-4, 4] |
| `label` | ClassLabel | `0` = negative, `1` = positive |
| `domain` | string | `movie_reviews`, `amazon_reviews`, `nyt_editorials` or `tweets` |

## Labelling rule

- Snippets whose mean rating is close to neutral, **|rating| < {NEUTRAL_BAND}**, are dropped.
- The others get `label = positive` if `rating > 0`, else `negative`.

## Splits

Each domain is shuffled with a fixed seed ({SEED}) and cut 80 / 10 / 10, so every split has the same mix
of domains; each split is then shuffled again.

| domain | source lines | dropped as neutral | malformed | train | validation | test |
|---|---|---|---|---|---|---|
{rows}
| all | | | | {totals} |
| share positive | | | | {pos} |

## License and citation

The data is distributed under the MIT license with the `vaderSentiment` package. If you use it, cite the paper:

```bibtex
{CITATION}
```

{
        provenance(
            f"Source: PyPI package `vadersentiment` {inputs.VADER.version}, source distribution `{sdist_name}` "
            f"({inputs.VADER.url}), file `{TARBALL.split('/', 1)[1]}` inside it.",
            "Files used from that tarball: " + ", ".join(f"`{m.split('/')[-1]}`" for m in SOURCES) + ".",
            "Transformation: each tab-separated line `id, mean rating, text` is parsed (UTF-8, latin-1 as fallback; "
            "malformed lines skipped and counted above), neutral snippets dropped, labels derived by the rule above, "
            "split as described, and written with `datasets.Dataset.to_parquet` (the ClassLabel feature is stored "
            "in the parquet schema metadata).",
        )
    }"""
    return render_card(meta, body)
