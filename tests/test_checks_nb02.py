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


# --- exercise 1: POSITIVE probabilities ---------------------------------------------------------------------


@pytest.mark.parametrize("placeholder", [..., None])
def test_scores_placeholder_is_not_started(capsys, placeholder):
    ok, out = run(capsys, nb02.check_positive_scores, placeholder, REVIEWS)
    assert not ok and out.startswith("⏳")


@pytest.mark.parametrize(
    "answer, needle",
    [
        ([0.1, 0.9], "is a list"),
        ("POSITIVE", "not str"),
        ({REVIEWS[0]: 0.1}, "4 of 5 reviews are missing"),
        ({r: [{"label": "POSITIVE", "score": 0.5}] for r in REVIEWS}, "one number"),
        ({r: "0.5" for r in REVIEWS}, "not str"),
    ],
)
def test_scores_wrong_shapes_fail_with_a_hint(capsys, answer, needle):
    ok, out = run(capsys, nb02.check_positive_scores, answer, REVIEWS)
    assert not ok and out.startswith("❌") and needle in out, out


def test_scores_without_reviews_explains_the_call(capsys):
    ok, out = run(capsys, nb02.check_positive_scores, {}, None)
    assert not ok and "second argument" in out


@pytest.fixture(scope="module")
def all_scores(hub):
    from transformers import pipeline

    return pipeline("text-classification", model=nb02.SENTIMENT_MODEL, revision="v1.0")(REVIEWS, top_k=None)


@pytest.mark.content
def test_scores_right_answer_passes(all_scores, capsys):
    import torch

    answer = {r: next(s["score"] for s in scores if s["label"] == "POSITIVE") for r, scores in zip(REVIEWS, all_scores)}
    ok, out = run(capsys, nb02.check_positive_scores, answer, REVIEWS)
    assert ok and out.startswith("✅") and "least sure" in out, out
    as_tensors = {r: torch.tensor(v) for r, v in answer.items()}
    assert run(capsys, nb02.check_positive_scores, as_tensors, REVIEWS)[0]


@pytest.mark.content
def test_scores_typical_mistakes_get_their_hint(all_scores, capsys):
    positive = {
        r: next(s["score"] for s in scores if s["label"] == "POSITIVE") for r, scores in zip(REVIEWS, all_scores)
    }
    best = {r: scores[0]["score"] for r, scores in zip(REVIEWS, all_scores)}
    cases = [
        (best, "top_k=None"),
        ({r: 1 - p for r, p in positive.items()}, "probabilities of NEGATIVE"),
        ({**positive, REVIEWS[1]: 0.5}, "1 of 5 values differ"),
    ]
    for answer, needle in cases:
        ok, out = run(capsys, nb02.check_positive_scores, answer, REVIEWS)
        assert not ok and out.startswith("❌") and needle in out, out


# --- exercise 2: most similar sentence -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, needle",
    [
        (1, "index"),
        (QUERY, "query itself"),
        ("A recipe for bread.", "not one of the candidate"),
        (["Here is an easy recipe for a homemade loaf."], "not list"),
    ],
)
def test_similar_wrong_kinds_fail_with_a_hint(capsys, answer, needle):
    ok, out = run(capsys, nb02.check_most_similar, answer, QUERY, CANDIDATES)
    assert not ok and out.startswith("❌") and needle in out


def test_similar_placeholder_is_not_started(capsys):
    ok, out = run(capsys, nb02.check_most_similar, ..., QUERY, CANDIDATES)
    assert not ok and out.startswith("⏳")


def cosine_scores(query, sentences):
    import torch.nn.functional as F
    from transformers import pipeline

    embedder = pipeline("feature-extraction", model=nb02.EMBEDDING_MODEL)

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


# --- exercise 3: one word ---------------------------------------------------------------------------------

FEW_SHOT = [
    {"role": "user", "content": "What is the capital of France?"},
    {"role": "assistant", "content": "Paris"},
    {"role": "user", "content": "What is the capital of Italy?"},
]


@pytest.mark.parametrize(
    "answer, needle",
    [
        ("What is the capital of Italy?", "list of messages"),
        ([{"role": "user", "text": "Italy?"}], "a message has a 'role'"),
        ([{"role": "bot", "content": "Italy?"}], "a message has a 'role'"),
        (CHAT[::-1], "The last message should be yours"),
        ([{"role": "user", "content": "What is the capital of France?"}], "The last message should be yours"),
        ([{"role": "assistant", "content": "Rome"}, CHAT[1]], "already names Italy or Rome"),
        ([{"role": "system", "content": "Italy's capital is one word."}, CHAT[1]], "already names Italy or Rome"),
    ],
)
def test_one_word_wrong_chats_fail_before_the_model_runs(capsys, answer, needle):
    ok, out = run(capsys, nb02.check_one_word_chat, answer)
    assert not ok and out.startswith("❌") and needle in out


def test_one_word_placeholder_is_not_started(capsys):
    ok, out = run(capsys, nb02.check_one_word_chat, ...)
    assert not ok and out.startswith("⏳")


@pytest.mark.content
@pytest.mark.slow
def test_one_word_few_shot_passes_and_the_instruction_alone_fails(hub, capsys):
    ok, out = run(capsys, nb02.check_one_word_chat, FEW_SHOT)
    assert ok and out.startswith("✅ The model answers 'Rome'")
    ok, out = run(capsys, nb02.check_one_word_chat, CHAT)  # the system message alone: a whole sentence
    assert not ok and "not one word" in out and "example" in out
