"""helpers.checks.nb02: right answers pass, typical wrong answers fail with a helpful message, nothing raises.

The tests marked `content` ask the real models on the test session's copy of the built course hub."""
from __future__ import annotations

import pytest

from helpers.checks import nb02

REVIEWS = [
    "The food was cold and the waiter was rude.",
    "Best purchase I have made this year!",
    "It works, but the manual is useless.",
    "I would happily recommend this hotel to my friends.",
    "Two hours of my life I will never get back.",
]
QUERY = "How do I make bread at home?"
CANDIDATES = [
    "The stock market fell sharply today.",
    "Here is an easy recipe for a homemade loaf.",
    "My cat sleeps most of the day.",
    "The train to Berlin was delayed again.",
    "Learn to play the piano in ten lessons.",
]
CHAT = [
    {"role": "system", "content": "Answer in one word."},
    {"role": "user", "content": "What is the capital of Italy?"},
]


def run(capsys, check, *args):
    ok = check(*args)
    assert isinstance(ok, int) and repr(ok) in ("True", "False")  # a Verdict: true or false, shown as a bool
    return ok, capsys.readouterr().out


# --- exercise 1: review labels ---------------------------------------------------------------------------------

@pytest.mark.parametrize("placeholder", [..., None])
def test_labels_placeholder_is_not_started(capsys, placeholder):
    ok, out = run(capsys, nb02.check_review_labels, placeholder, REVIEWS)
    assert not ok and out.startswith("⏳")


@pytest.mark.parametrize("answer, needle", [
    ("POSITIVE", "one string"),
    ([{"label": "POSITIVE", "score": 0.9}] * 5, "r['label']"),
    ([[{"label": "POSITIVE", "score": 0.9}, {"label": "NEGATIVE", "score": 0.1}]] * 5, "top_k"),
    (["POSITIVE", "NEGATIVE"], "2 labels for 5 reviews"),
    (42, "not int"),
])
def test_labels_wrong_shapes_fail_with_a_hint(capsys, answer, needle):
    ok, out = run(capsys, nb02.check_review_labels, answer, REVIEWS)
    assert not ok and out.startswith("❌") and needle in out


def test_labels_without_reviews_explains_the_call(capsys):
    ok, out = run(capsys, nb02.check_review_labels, ["POSITIVE"], None)
    assert not ok and "second argument" in out


def model_labels(reviews):
    from transformers import pipeline

    return [r["label"] for r in pipeline("text-classification", model=nb02.SENTIMENT_MODEL, revision="v1.0")(reviews)]


@pytest.mark.content
def test_labels_right_answer_passes(hub, capsys):
    labels = model_labels(REVIEWS)
    assert labels[1] == "POSITIVE" and labels[4] == "NEGATIVE"  # the clear cases, so the model is sane
    ok, out = run(capsys, nb02.check_review_labels, labels, REVIEWS)
    assert ok and out.startswith("✅")


@pytest.mark.content
def test_labels_wrong_answers_fail(hub, capsys):
    labels = model_labels(REVIEWS)
    flip = {"POSITIVE": "NEGATIVE", "NEGATIVE": "POSITIVE"}
    ok, out = run(capsys, nb02.check_review_labels, [flip[x] for x in labels], REVIEWS)
    assert not ok and "opposite" in out
    one_wrong = labels[:1] + [flip[labels[1]]] + labels[2:]
    ok, out = run(capsys, nb02.check_review_labels, one_wrong, REVIEWS)
    assert not ok and "review 1" in out and "1 of 5" in out
    ok, out = run(capsys, nb02.check_review_labels, [x.lower() for x in labels], REVIEWS)
    assert not ok and "case-sensitive" in out
    ok, out = run(capsys, nb02.check_review_labels, ["GOOD"] * 5, REVIEWS)
    assert not ok and "'GOOD' is not a label" in out


# --- exercise 2: most similar sentence -------------------------------------------------------------------------

@pytest.mark.parametrize("answer, needle", [
    (1, "index"),
    (QUERY, "query itself"),
    ("A recipe for bread.", "not one of the candidate"),
    (["Here is an easy recipe for a homemade loaf."], "not list"),
])
def test_similar_wrong_kinds_fail_with_a_hint(capsys, answer, needle):
    ok, out = run(capsys, nb02.check_most_similar, answer, QUERY, CANDIDATES)
    assert not ok and out.startswith("❌") and needle in out


def test_similar_placeholder_is_not_started(capsys):
    ok, out = run(capsys, nb02.check_most_similar, ..., QUERY, CANDIDATES)
    assert not ok and out.startswith("⏳")


def cosine_scores(query, sentences):
    import torch.nn.functional as F
    from transformers import pipeline

    embedder = pipeline("feature-extraction", model=nb02.EMBEDDING_MODEL, revision="v1.0")

    def embed(text):
        return F.normalize(embedder(text, return_tensors=True)[0].mean(dim=0), dim=0)

    q = embed(query)
    return [float(embed(s) @ q) for s in sentences]


@pytest.mark.content
def test_similar_right_answer_passes_and_others_fail(hub, capsys):
    scores = cosine_scores(QUERY, CANDIDATES)  # the notebook's route: pipeline + mean pooling
    order = sorted(range(len(CANDIDATES)), key=scores.__getitem__, reverse=True)
    assert CANDIDATES[order[0]] == "Here is an easy recipe for a homemade loaf."
    ok, out = run(capsys, nb02.check_most_similar, CANDIDATES[order[0]], QUERY, CANDIDATES)
    assert ok and out.startswith("✅")
    ok, out = run(capsys, nb02.check_most_similar, CANDIDATES[order[-1]], QUERY, CANDIDATES)
    assert not ok and "least" in out
    ok, out = run(capsys, nb02.check_most_similar, CANDIDATES[order[1]], QUERY, CANDIDATES)
    assert not ok and "cosine similarity" in out


# --- exercise 3: chat messages ---------------------------------------------------------------------------------

@pytest.mark.parametrize("answer, needle", [
    ("Answer in one word. What is the capital of Italy?", "plain string"),
    ([], "non-empty list"),
    ([("system", "Answer in one word."), ("user", "What is the capital of Italy?")], "tuple, not a dict"),
    ([{"role": "system", "text": "Answer in one word."}], "'role' and 'content'"),
    ([{"role": "bot", "content": "Answer in one word."}], "the roles are"),
    ([{"role": "system", "content": " "}, {"role": "user", "content": "Italy?"}], "no text"),
    (CHAT[::-1], "['user', 'system']"),
    (CHAT[1:], "['user']"),
    ([CHAT[0], {"role": "user", "content": "What is the capital of France?"}], "Italy"),
    ([{"role": "system", "content": "Be brief."}, CHAT[1]], "one-word"),
])
def test_chat_wrong_answers_fail_with_a_hint(capsys, answer, needle):
    ok, out = run(capsys, nb02.check_chat_messages, answer)
    assert not ok and out.startswith("❌") and needle in out


def test_chat_placeholder_is_not_started(capsys):
    ok, out = run(capsys, nb02.check_chat_messages, ...)
    assert not ok and out.startswith("⏳")


@pytest.mark.content
def test_chat_right_answer_passes(hub, capsys):
    ok, out = run(capsys, nb02.check_chat_messages, CHAT)
    assert ok and out.startswith("✅") and "tokens" in out
