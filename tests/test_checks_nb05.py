"""The self-checks of notebook 05: right answers pass, typical wrong answers fail with a helpful message.

They run on a small in-memory dataset with the columns of `hf-hands-on/sentiment-snippets` (no hub needed).
"""

from __future__ import annotations

import pytest

from helpers.checks import nb05


@pytest.fixture(scope="module")
def train():
    from datasets import ClassLabel, Dataset, Features, Value

    rows = []
    # amazon: 70 positive, 30 negative (imbalanced, so an unstratified test part drifts); tweets and movies too
    for i in range(100):
        rows.append(
            (
                f"amazon-{i}",
                f"amazon text number {i} is {'good' if i % 10 < 7 else 'bad'}",
                2.0 if i % 10 < 7 else -2.0,
                1 if i % 10 < 7 else 0,
                "amazon_reviews",
            )
        )
    for i in range(40):
        rows.append((f"tweet-{i}", " ".join(["word"] * (i % 7 + 1)), 1.0, i % 2, "tweets"))
    for i in range(30):
        rows.append((f"movie-{i}", f"a film {i}", -1.0, i % 2, "movie_reviews"))
    features = Features(
        {
            "id": Value("string"),
            "text": Value("string"),
            "rating": Value("float64"),
            "label": ClassLabel(names=["negative", "positive"]),
            "domain": Value("string"),
        }
    )
    columns = {name: [r[k] for r in rows] for k, name in enumerate(features)}
    return Dataset.from_dict(columns, features=features).shuffle(seed=0).flatten_indices()


def amazon(train):
    return train.filter(lambda row: row["domain"] == "amazon_reviews")


# --- check_domain_stratified ------------------------------------------------------------------------------


def test_domain_stratified_right_answer_passes(train, capsys):
    answer = train.class_encode_column("domain").train_test_split(test_size=0.5, seed=42, stratify_by_column="domain")
    assert nb05.check_domain_stratified(answer, train, test_size=0.5)
    assert capsys.readouterr().out.startswith("✅")


def test_domain_stratified_mistakes_fail_with_a_hint(train, capsys):
    assert not nb05.check_domain_stratified(..., train)
    assert capsys.readouterr().out.startswith("⏳")
    by_label = train.train_test_split(test_size=0.5, seed=42, stratify_by_column="label")
    assert not nb05.check_domain_stratified(by_label, train, test_size=0.5)
    out = capsys.readouterr().out
    assert out.startswith("❌ The domains' shares differ") and "class_encode_column" in out
    assert not nb05.check_domain_stratified(amazon(train).train_test_split(test_size=0.5, seed=42), train, 0.5)
    assert "Split all of `train`" in capsys.readouterr().out
    assert not nb05.check_domain_stratified(train.train_test_split(test_size=0.2, seed=42), train, 0.5)
    assert "Pass `test_size=0.5`" in capsys.readouterr().out
    assert not nb05.check_domain_stratified(train, train, 0.5)
    assert "DatasetDict" in capsys.readouterr().out


# --- check_max_length ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tokenizer(hub):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained("sentence-transformers/all-MiniLM-L6-v2")


@pytest.mark.content
def test_max_length_right_answer_passes_and_others_fail(train, tokenizer, capsys):
    import math

    counts = sorted(len(ids) for ids in tokenizer(list(train["text"]))["input_ids"])
    best = counts[math.ceil(0.95 * len(counts)) - 1]
    assert nb05.check_max_length(best, train, tokenizer)
    assert capsys.readouterr().out.startswith(f"✅ max_length={best} keeps")
    smaller = max(c for c in counts if c < best)
    assert not nb05.check_max_length(smaller, train, tokenizer)
    assert "should" in capsys.readouterr().out
    assert not nb05.check_max_length(best + 10, train, tokenizer)
    assert "a smaller value" in capsys.readouterr().out
    for wrong in ("45", 45.0, True):
        assert not nb05.check_max_length(wrong, train, tokenizer)
        assert "whole number" in capsys.readouterr().out
    assert not nb05.check_max_length(..., train, tokenizer)
    assert capsys.readouterr().out.startswith("⏳")
