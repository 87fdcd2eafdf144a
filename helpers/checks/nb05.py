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


def _domain_names(ds) -> list[str]:
    """The `domain` column as strings (a ClassLabel column, after `class_encode_column`, holds integers)."""
    values = _column(ds, "domain")
    feature = ds.features.get("domain")
    if hasattr(feature, "int2str"):
        return [feature.int2str(v) for v in values]
    return [str(v) for v in values]


def _shares(names: list[str]) -> dict:
    counts = _label_counts(names)
    return {k: counts[k] / len(names) for k in sorted(counts)}


@never_raises
def check_domain_stratified(answer, train, test_size: float = 0.1) -> bool:
    """`answer`: `train` split into `train` and `test` (a `test_size` share) with every domain's share the same in
    both parts, within the one row that rounding allows."""
    if is_placeholder(answer):
        return not_started("answer")
    if not hasattr(answer, "keys") or set(answer.keys()) != {"train", "test"}:
        what = sorted(answer.keys()) if hasattr(answer, "keys") else type(answer).__name__
        return failed(
            f"`answer` should be a DatasetDict with the splits `train` and `test`, not {what}.",
            "`train_test_split(test_size=0.1, ...)` returns one: assign its result.",
        )
    n_train, n_test = len(answer["train"]), len(answer["test"])
    if n_train + n_test != len(train):
        return failed(
            f"The two parts hold {n_train + n_test} rows; `train` has {len(train)}.",
            "Split all of `train`: no filter, no slice.",
        )
    want_test = round(len(train) * test_size)
    if abs(n_test - want_test) > 1:
        return failed(
            f"`test` has {n_test} rows, not {test_size:.0%} of {len(train)} ({want_test}).",
            f"Pass `test_size={test_size}`.",
        )
    ids_train, ids_test = set(_column(answer["train"], "id")), set(_column(answer["test"], "id"))
    if ids_train & ids_test:
        return failed(f"{len(ids_train & ids_test)} rows are in both parts.", "Split once, with `train_test_split`.")
    whole, test = _shares(_domain_names(train)), _shares(_domain_names(answer["test"]))
    worst = max(whole, key=lambda d: abs(whole[d] - test.get(d, 0.0)))
    if abs(whole[worst] - test.get(worst, 0.0)) > 1.5 / n_test:
        return failed(
            f"The domains' shares differ: {worst} is {whole[worst]:.1%} of `train` but {test.get(worst, 0.0):.1%} "
            "of your `test`.",
            '`stratify_by_column="domain"` keeps every domain\'s share; it needs a ClassLabel column, and '
            '`domain` holds strings: `train.class_encode_column("domain")` turns it into one first.',
        )
    return passed(
        f"{n_train} / {n_test} rows; every domain has the same share in both parts (the smallest, "
        f"{min(whole, key=whole.get)}, {whole[min(whole, key=whole.get)]:.1%}). Stratifying by `label` alone would "
        "not promise that."
    )


def _token_counts(train, tokenizer) -> list[int]:
    return [len(ids) for ids in tokenizer(_column(train, "text"))["input_ids"]]


@never_raises
def check_max_length(answer, train, tokenizer, share: float = 0.95) -> bool:
    """`answer`: the smallest `max_length` (in tokens of `tokenizer`, special tokens included) at which at least
    `share` of the texts of `train` are not truncated."""
    if is_placeholder(answer):
        return not_started("answer")
    if isinstance(answer, bool) or not isinstance(answer, int):
        return failed(
            f"`answer` should be a whole number of tokens, not {type(answer).__name__}.", "For example `answer = 48`."
        )
    counts = sorted(_token_counts(train, tokenizer))
    best = counts[math.ceil(share * len(counts)) - 1]
    fit = sum(c <= answer for c in counts) / len(counts)
    if answer == best:
        return passed(
            f"max_length={answer} keeps {fit:.1%} of the texts whole; the longest has {counts[-1]} tokens. "
            f"Padding a batch to {counts[-1]} instead would cost {counts[-1] / answer:.1f}x the memory per row."
        )
    hint = (
        "Count the tokens of every text with one `map(..., batched=True)`: "
        '`{"n_tokens": [len(ids) for ids in tokenizer(batch["text"])["input_ids"]]}` (no truncation: '
        "`tokenize` of section 5 cuts at 64), then take the value at 95 % of the sorted counts."
    )
    if fit < share:
        return failed(f"At max_length={answer}, only {fit:.1%} of the texts fit; {share:.0%} should.", hint)
    return failed(f"max_length={answer} keeps {fit:.1%} whole, but a smaller value still keeps {share:.0%}.", hint)
