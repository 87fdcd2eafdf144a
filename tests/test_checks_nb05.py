"""The self-checks of notebook 05: right answers pass, typical wrong answers fail with a helpful message.

They run on a small in-memory dataset with the columns of `course/sentiment-snippets` (no hub needed).
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


def tweets(train):
    return train.filter(lambda row: row["domain"] == "tweets")


# --- check_stratified_split -------------------------------------------------------------------------------


def test_stratified_split_right_answer_passes(train, capsys):
    answer = amazon(train).train_test_split(test_size=0.2, seed=42, stratify_by_column="label")
    assert nb05.check_stratified_split(answer, train)
    out = capsys.readouterr().out
    assert "✅" in out and "80 train / 20 test" in out


def test_stratified_split_placeholder_is_not_started(train, capsys):
    assert not nb05.check_stratified_split(..., train)
    assert "⏳" in capsys.readouterr().out


def test_unstratified_split_fails_on_label_balance(train, capsys):
    from datasets import DatasetDict

    part = amazon(train)
    labels = list(part["label"])
    order = [i for i in range(len(part)) if labels[i] == 0] + [i for i in range(len(part)) if labels[i] == 1]
    # the 20 test rows: all negative, as an unlucky unstratified split would drift
    answer = DatasetDict({"train": part.select(order[20:]), "test": part.select(order[:20])})
    assert not nb05.check_stratified_split(answer, train)
    out = capsys.readouterr().out
    assert "❌" in out and "stratify_by_column" in out


def test_split_without_filter_fails(train, capsys):
    answer = train.train_test_split(test_size=0.2, seed=42, stratify_by_column="label")
    assert not nb05.check_stratified_split(answer, train)
    assert "Filter first" in capsys.readouterr().out


def test_single_dataset_instead_of_dict_fails(train, capsys):
    answer = amazon(train).train_test_split(test_size=0.2, seed=42, stratify_by_column="label")["train"]
    assert not nb05.check_stratified_split(answer, train)
    assert "DatasetDict" in capsys.readouterr().out


def test_wrong_test_size_fails(train, capsys):
    answer = amazon(train).train_test_split(test_size=0.5, seed=42, stratify_by_column="label")
    assert not nb05.check_stratified_split(answer, train)
    assert "test_size=0.2" in capsys.readouterr().out


def test_split_of_a_slice_fails(train, capsys):
    answer = amazon(train).select(range(50)).train_test_split(test_size=0.2, seed=42, stratify_by_column="label")
    assert not nb05.check_stratified_split(answer, train)
    assert "no slicing" in capsys.readouterr().out


def test_wrong_split_names_fail(train, capsys):
    from datasets import DatasetDict

    parts = amazon(train).train_test_split(test_size=0.2, seed=42, stratify_by_column="label")
    answer = DatasetDict({"train": parts["train"], "validation": parts["test"]})
    assert not nb05.check_stratified_split(answer, train)
    assert "exactly the splits" in capsys.readouterr().out


# --- check_tweets_with_n_words ----------------------------------------------------------------------------


def test_tweets_right_answer_passes(train, capsys):
    answer = tweets(train).map(lambda row: {"n_words": len(row["text"].split())})
    assert nb05.check_tweets_with_n_words(answer, train)
    out = capsys.readouterr().out
    assert "✅" in out and "40 tweets" in out


def test_tweets_batched_answer_passes(train, capsys):
    answer = tweets(train).map(lambda b: {"n_words": [len(t.split()) for t in b["text"]]}, batched=True)
    assert nb05.check_tweets_with_n_words(answer, train)


def test_tweets_placeholder_is_not_started(train, capsys):
    assert not nb05.check_tweets_with_n_words(..., train)
    assert "⏳" in capsys.readouterr().out


def test_counting_characters_fails_with_a_hint(train, capsys):
    answer = tweets(train).map(lambda row: {"n_words": len(row["text"])})
    assert not nb05.check_tweets_with_n_words(answer, train)
    assert "number of characters" in capsys.readouterr().out


def test_forgetting_the_filter_fails(train, capsys):
    answer = train.map(lambda row: {"n_words": len(row["text"].split())})
    assert not nb05.check_tweets_with_n_words(answer, train)
    assert "only tweets" in capsys.readouterr().out


def test_removing_columns_fails(train, capsys):
    answer = tweets(train).map(lambda row: {"n_words": len(row["text"].split())}, remove_columns=["rating"])
    assert not nb05.check_tweets_with_n_words(answer, train)
    assert "lost the column" in capsys.readouterr().out


def test_missing_new_column_fails(train, capsys):
    assert not nb05.check_tweets_with_n_words(tweets(train), train)
    assert "no `n_words` column" in capsys.readouterr().out


def test_a_list_instead_of_a_dataset_fails(train, capsys):
    assert not nb05.check_tweets_with_n_words(list(tweets(train)), train)
    assert "expected a Dataset" in capsys.readouterr().out
