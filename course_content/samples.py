"""`data/reviews_sample.csv` and `.jsonl` for notebook 05: 40 clear-cut snippets of the test split."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from . import inputs, snippets

PER_DOMAIN_AND_LABEL = 5  # 4 domains x 2 labels x 5 = 40 rows
MIN_ABS_RATING = 1.5  # clearly positive or negative
MAX_CHARS = 160
PROFANITY = ("fuck", "shit", "bitch", "bastard", "piss", "dick", "cunt", "whore", "slut", "damn")


def pick_samples(rows: list[snippets.Snippet]) -> list[dict[str, str]]:
    """Rows {text, label} taken in order from `rows`: short, clear-cut, no URLs, HTML entities or swearing."""
    chosen: dict[tuple[str, int], list[snippets.Snippet]] = {}
    for row in rows:
        bucket = chosen.setdefault((row.domain, row.label), [])
        ok = (
            len(bucket) < PER_DOMAIN_AND_LABEL
            and abs(row.rating) >= MIN_ABS_RATING
            and 30 <= len(row.text) <= MAX_CHARS
            and "&" not in row.text
            and "http" not in row.text
            and row.text.isascii()
            and not any(w in row.text.lower() for w in PROFANITY)
        )
        if ok:
            bucket.append(row)
    # interleave: domain by domain, alternating labels
    out = []
    for i in range(PER_DOMAIN_AND_LABEL):
        for domain in snippets.DOMAINS:
            for label in (1, 0):
                row = chosen[(domain, label)][i]
                out.append({"text": row.text, "label": snippets.LABEL_NAMES[row.label]})
    return out


def write_samples(data_dir: Path) -> list[Path]:
    """Write reviews_sample.csv and reviews_sample.jsonl (columns text, label) into `data_dir`."""
    sdist = inputs.fetch(inputs.VADER)
    test = snippets.split_snippets(snippets.load_snippets(sdist)[0])["test"]
    rows = pick_samples(test)
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["text", "label"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    csv_path = data_dir / "reviews_sample.csv"
    csv_path.write_text(buf.getvalue(), encoding="utf-8")
    jsonl_path = data_dir / "reviews_sample.jsonl"
    jsonl_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return [csv_path, jsonl_path]
