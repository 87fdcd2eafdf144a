"""helpers.checks.nb03: right answers pass, typical wrong answers fail with a helpful message, nothing raises.

The tests marked `content` ask the real tokenizer and models on the test session's copy of the built course hub."""
from __future__ import annotations

import pytest

from helpers.checks import nb03

SENTENCES = ["Short and sweet.", "This one is a good deal longer than the sentence before it."]
REVIEW = "I expected more, but it was fine."


def run(capsys, check, *args):
    ok = check(*args)
    assert isinstance(ok, int) and repr(ok) in ("True", "False")  # a Verdict: true or false, shown as a bool
    return ok, capsys.readouterr().out


# --- exercise 1: attention mask sum ----------------------------------------------------------------------------

def test_attention_placeholder_is_not_started(capsys):
    ok, out = run(capsys, nb03.check_attention_sum, ..., SENTENCES)
    assert not ok and out.startswith("⏳")


@pytest.mark.parametrize("answer, needle", [
    ([6, 14], "several numbers"),
    ("20", "not str"),
    (True, "not bool"),
])
def test_attention_wrong_kinds_fail_with_a_hint(capsys, answer, needle):
    ok, out = run(capsys, nb03.check_attention_sum, answer, SENTENCES)
    assert not ok and out.startswith("❌") and needle in out


def test_attention_without_sentences_explains_the_call(capsys):
    ok, out = run(capsys, nb03.check_attention_sum, 20, "Short and sweet.")
    assert not ok and "second argument" in out


@pytest.fixture(scope="module")
def batch(hub):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(nb03.EMBEDDING_MODEL, revision="v1.0")
    return tokenizer, tokenizer(SENTENCES, padding=True, return_tensors="pt")


@pytest.mark.content
def test_attention_right_answer_passes(batch, capsys):
    import torch

    _, enc = batch
    right = enc["attention_mask"].sum()
    for answer in (right.item(), right, torch.tensor([right.item()])):  # an int, a 0-d or a 1-element tensor
        ok, out = run(capsys, nb03.check_attention_sum, answer, SENTENCES)
        assert ok and out.startswith("✅") and "padding" in out


@pytest.mark.content
def test_attention_typical_mistakes_get_their_hint(batch, capsys):
    tokenizer, enc = batch
    right = enc["attention_mask"].sum().item()
    cases = [
        (enc["input_ids"].numel(), "padding included"),
        (right - 2 * len(SENTENCES), "special tokens"),
        (sum(tokenizer(SENTENCES[0], SENTENCES[1])["attention_mask"]), "pair"),
        (right + 100, "not the number of real tokens"),
    ]
    for answer, needle in cases:
        ok, out = run(capsys, nb03.check_attention_sum, answer, SENTENCES)
        assert not ok and needle in out, out
    ok, out = run(capsys, nb03.check_attention_sum, enc["attention_mask"].sum(dim=1), SENTENCES)
    assert not ok and "several numbers" in out


# --- exercise 2: probabilities from logits ---------------------------------------------------------------------

def test_probabilities_placeholder_is_not_started(capsys):
    ok, out = run(capsys, nb03.check_probabilities, ..., REVIEW)
    assert not ok and out.startswith("⏳")


@pytest.mark.parametrize("answer, needle", [
    ([0.3, 0.7], "name each probability"),
    ("POSITIVE", "not str"),
])
def test_probabilities_wrong_kinds_fail_with_a_hint(capsys, answer, needle):
    ok, out = run(capsys, nb03.check_probabilities, answer, REVIEW)
    assert not ok and out.startswith("❌") and needle in out


@pytest.fixture(scope="module")
def logits(hub):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(nb03.SENTIMENT_MODEL)
    model = AutoModelForSequenceClassification.from_pretrained(nb03.SENTIMENT_MODEL)
    with torch.no_grad():
        return model(**tokenizer(REVIEW, return_tensors="pt")).logits[0], model.config.id2label


@pytest.mark.content
def test_probabilities_right_answer_passes(logits, capsys):
    import torch

    values, id2label = logits
    probs = torch.softmax(values, dim=-1)
    answer = {id2label[i]: p.item() for i, p in enumerate(probs)}
    ok, out = run(capsys, nb03.check_probabilities, answer, REVIEW)
    assert ok and out.startswith("✅")
    as_tensors = {id2label[i]: p for i, p in enumerate(probs)}  # 0-d tensors are accepted too
    ok, out = run(capsys, nb03.check_probabilities, as_tensors, REVIEW)
    assert ok


@pytest.mark.content
def test_probabilities_typical_mistakes_get_their_hint(logits, capsys):
    import torch

    values, id2label = logits
    probs = torch.softmax(values, dim=-1)
    cases = [
        ({id2label[i]: v.item() for i, v in enumerate(values)}, "raw logits"),
        ({id2label[i]: p.item() for i, p in enumerate(probs.flip(0))}, "swapped"),
        ({i: p.item() for i, p in enumerate(probs)}, "id2label"),
        ({id2label[i].lower(): p.item() for i, p in enumerate(probs)}, "case-sensitive"),
        ({id2label[i]: p.item() for i, p in enumerate(torch.sigmoid(values))}, ""),  # sum may or may not be 1
        ({id2label[0]: 0.5, id2label[1]: 0.5}, "the pipeline says"),
    ]
    for answer, needle in cases:
        ok, out = run(capsys, nb03.check_probabilities, answer, REVIEW)
        assert not ok and out.startswith("❌") and needle in out, out
    ok, out = run(capsys, nb03.check_probabilities, probs, REVIEW)
    assert not ok and "name each probability" in out
