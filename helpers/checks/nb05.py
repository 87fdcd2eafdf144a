"""Self-checks for notebook 05 (datasets)."""

from __future__ import annotations

import math

from . import failed, is_placeholder, never_raises, not_started, passed


def _column(ds, name) -> list:
    return list(ds[name])


def _label_counts(labels) -> dict:
    counts: dict = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    return counts


@never_raises
def check_stratified_split(answer, train, domain: str = "amazon_reviews", test_size: float = 0.2) -> bool:
    """`answer`: a DatasetDict with `train` and `test`, the `domain` rows of `train` split 80/20, stratified by label."""
    if is_placeholder(answer):
        return not_started("answer")
    try:
        from datasets import Dataset
    except ImportError:  # pragma: no cover - datasets is a course dependency
        return failed("The `datasets` library is not installed.")
    if isinstance(answer, Dataset):
        return failed(
            "`answer` is a single Dataset; expected a DatasetDict with `train` and `test`.",
            "`train_test_split(...)` returns a DatasetDict: assign its result, not one of its splits.",
        )
    if not hasattr(answer, "keys") or set(answer.keys()) != {"train", "test"}:
        keys = sorted(answer.keys()) if hasattr(answer, "keys") else type(answer).__name__
        return failed(
            f"`answer` should have exactly the splits `train` and `test`, not {keys}.",
            "Use `.train_test_split(test_size=0.2, ...)` on the filtered dataset.",
        )
    parts = {name: answer[name] for name in ("train", "test")}
    for name, part in parts.items():
        if not isinstance(part, Dataset):
            return failed(f"`answer['{name}']` is a {type(part).__name__}, not a Dataset.")
        for col in ("id", "label", "domain"):
            if col not in part.column_names:
                return failed(
                    f"`answer['{name}']` has no `{col}` column (it has {part.column_names}).",
                    "Keep the dataset's columns: filter and split, do not remove columns.",
                )
    for name, part in parts.items():
        others = sorted(set(_column(part, "domain")) - {domain})
        if others:
            return failed(
                f"`answer['{name}']` also holds rows of {others}.",
                f"Filter first: `.filter(lambda row: row['domain'] == '{domain}')`.",
            )
    source_domains = _column(train, "domain")
    source_ids = [i for i, d in zip(_column(train, "id"), source_domains) if d == domain]
    n = len(source_ids)
    train_ids, test_ids = _column(parts["train"], "id"), _column(parts["test"], "id")
    if set(train_ids) & set(test_ids):
        return failed(
            f"{len(set(train_ids) & set(test_ids))} rows are in both `train` and `test`.",
            "A split never shares rows: use `train_test_split` rather than two separate `select`s.",
        )
    if sorted(train_ids + test_ids) != sorted(source_ids):
        return failed(
            f"Together, `train` and `test` have {len(train_ids) + len(test_ids)} rows; the {domain} rows "
            f"of the train split are {n}.",
            f"Split all the {domain} rows of `ds['train']` (no slicing, no other split).",
        )
    expected_test = math.ceil(test_size * n)
    if abs(len(test_ids) - expected_test) > 1:
        share = len(test_ids) / n if n else 0
        return failed(
            f"`test` has {len(test_ids)} rows ({share:.0%}), expected about {expected_test} (20%).",
            "Pass `test_size=0.2` (a fraction) to `train_test_split`.",
        )
    overall = _label_counts(label for label, d in zip(_column(train, "label"), source_domains) if d == domain)
    test_counts = _label_counts(_column(parts["test"], "label"))
    for label, count in sorted(overall.items()):
        expected = count * len(test_ids) / n
        if abs(test_counts.get(label, 0) - expected) > 1.0:
            return failed(
                f"Label {label} is {test_counts.get(label, 0)} of the {len(test_ids)} test rows; a stratified "
                f"split has about {expected:.0f}.",
                'Pass `stratify_by_column="label"` so both parts keep the label balance.',
            )
    pos = test_counts.get(1, 0) / len(test_ids) if test_ids else 0
    return passed(
        f"{len(train_ids)} train / {len(test_ids)} test rows of {domain}, disjoint, with the same label "
        f"balance ({pos:.1%} positive in test)."
    )


@never_raises
def check_tweets_with_n_words(answer, train) -> bool:
    """`answer`: the tweets of `train` with every column kept plus `n_words` = number of whitespace-separated words."""
    if is_placeholder(answer):
        return not_started("answer")
    try:
        from datasets import Dataset
    except ImportError:  # pragma: no cover
        return failed("The `datasets` library is not installed.")
    if not isinstance(answer, Dataset):
        return failed(
            f"`answer` is a {type(answer).__name__}; expected a Dataset.",
            "`filter` and `map` each return a new Dataset: assign the result of the last one.",
        )
    missing = [c for c in train.column_names if c not in answer.column_names]
    if missing:
        return failed(
            f"`answer` lost the column(s) {missing}.",
            "`map` keeps the columns unless you pass `remove_columns`: return only the new column.",
        )
    if "n_words" not in answer.column_names:
        return failed(
            f"`answer` has no `n_words` column (columns: {answer.column_names}).",
            "Return a dict from the mapped function: `{'n_words': ...}`.",
        )
    domains = sorted(set(_column(answer, "domain")))
    if domains != ["tweets"]:
        return failed(
            f"`answer` holds rows of {domains}; expected only tweets.",
            "Filter with `lambda row: row['domain'] == 'tweets'`.",
        )
    n_tweets = sum(d == "tweets" for d in _column(train, "domain"))
    if len(answer) != n_tweets:
        return failed(
            f"`answer` has {len(answer)} rows; the train split has {n_tweets} tweets.",
            "Start from `ds['train']` and keep every tweet (no slicing).",
        )
    texts, counts = _column(answer, "text"), _column(answer, "n_words")
    for text, n in zip(texts, counts):
        want = len(text.split())
        if n != want:
            if n == len(text):
                hint = "That is the number of characters: split the text into words first, `len(text.split())`."
            elif isinstance(n, list):
                hint = "In a batched map, `batch['text']` is a list: return one count per text."
            else:
                hint = "Count the words with `len(text.split())`."
            return failed(f"`n_words` is {n!r} for {text[:40]!r}…, expected {want}.", hint)
    mean = sum(counts) / len(counts) if counts else 0
    return passed(f"{len(answer)} tweets with an `n_words` column (on average {mean:.1f} words per tweet).")
