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


@pytest.mark.parametrize(
    "answer, needle",
    [
        ([6, 14], "several numbers"),
        ("20", "not str"),
        (True, "not bool"),
    ],
)
def test_attention_wrong_kinds_fail_with_a_hint(capsys, answer, needle):
    ok, out = run(capsys, nb03.check_attention_sum, answer, SENTENCES)
    assert not ok and out.startswith("❌") and needle in out


def test_attention_without_sentences_explains_the_call(capsys):
    ok, out = run(capsys, nb03.check_attention_sum, 20, "Short and sweet.")
    assert not ok and "second argument" in out


@pytest.fixture(scope="module")
def batch(hub):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(nb03.EMBEDDING_MODEL)
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


# --- exercise 2: a greedy decoding loop ------------------------------------------------------------------------

PROMPT, N_NEW = "The capital of France is", 6


def test_greedy_placeholder_is_not_started(capsys):
    ok, out = run(capsys, nb03.check_greedy_loop, ..., PROMPT, N_NEW)
    assert not ok and out.startswith("⏳")


@pytest.mark.parametrize(
    "answer, needle",
    [
        ("Paris", "not str"),
        ([0.5, 1.5], "not list"),
    ],
)
def test_greedy_wrong_kinds_fail_with_a_hint(capsys, answer, needle):
    ok, out = run(capsys, nb03.check_greedy_loop, answer, PROMPT, N_NEW)
    assert not ok and out.startswith("❌") and needle in out, out


def test_greedy_without_prompt_explains_the_call(capsys):
    ok, out = run(capsys, nb03.check_greedy_loop, [1, 2, 3], N_NEW, PROMPT)
    assert not ok and "check_greedy_loop(answer, prompt, N_NEW, model)" in out


@pytest.fixture(scope="module")
def lm(hub):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(nb03.CHAT_MODEL)
    model = AutoModelForCausalLM.from_pretrained(nb03.CHAT_MODEL, dtype=torch.float32)
    return tokenizer, model


def greedy(model, ids, n, position=-1):
    import torch

    with torch.no_grad():
        for _ in range(n):
            next_id = model(ids).logits[:, position].argmax(dim=-1, keepdim=True)
            ids = torch.cat([ids, next_id], dim=1)
    return ids


@pytest.mark.content
def test_greedy_right_answer_passes_and_equals_generate(lm, capsys):
    tokenizer, model = lm
    ids = tokenizer(PROMPT, return_tensors="pt")["input_ids"]
    mine = greedy(model, ids, N_NEW)
    reference = model.generate(ids, attention_mask=ids.new_ones(ids.shape), max_new_tokens=N_NEW, do_sample=False)
    assert mine.tolist() == reference.tolist()
    for answer in (mine, mine[0], mine.tolist(), mine[0].tolist()):  # (1, n) or (n,), tensor or list
        ok, out = run(capsys, nb03.check_greedy_loop, answer, PROMPT, N_NEW)
        assert ok and out.startswith("✅") and "generate" in out, out
    ok, out = run(capsys, nb03.check_greedy_loop, mine, PROMPT, N_NEW, model)  # the notebook passes its model
    assert ok, out


@pytest.mark.content
def test_greedy_typical_mistakes_get_their_hint(lm, capsys):
    import torch

    tokenizer, model = lm
    ids = tokenizer(PROMPT, return_tensors="pt")["input_ids"]
    right = greedy(model, ids, N_NEW)
    wrong_token = right.clone()
    wrong_token[0, -2] = (wrong_token[0, -2] + 1) % len(tokenizer)
    cases = [
        (right[:, ids.shape[1] :], "only the new tokens"),
        (greedy(model, ids, N_NEW - 1), "5 new tokens"),
        (greedy(model, ids, N_NEW, position=0), "first position"),
        (wrong_token, "New token 5"),
        (torch.cat([ids[:, 1:], right[:, ids.shape[1] :]], dim=1), "does not start with the prompt"),
        (right.repeat(2, 1), "2 rows"),
    ]
    for answer, needle in cases:
        ok, out = run(capsys, nb03.check_greedy_loop, answer, PROMPT, N_NEW)
        assert not ok and out.startswith("❌") and needle in out, out
