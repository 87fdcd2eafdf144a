"""Self-checks for notebook 03 · AutoModel vs pipeline.

    helpers.checks.nb03.check_attention_sum(answer, sentences)   # real tokens in a padded batch of the sentences
    helpers.checks.nb03.check_probabilities(answer, text)        # {label: probability} computed from the logits

Each check prints ✅ / ❌ (with a hint) / ⏳ and returns a true or false `Verdict`; none raises.
The expected answers are not stored here: the checks ask the real tokenizer and pipeline on the hub this kernel is
connected to (`HF_ENDPOINT`).
"""
from __future__ import annotations

import functools
import math

from . import Verdict, failed, is_placeholder, never_raises, not_started, passed  # noqa: F401

EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
SENTIMENT_MODEL = "course/minilm-sentiment"
REVISION = "v1.0"  # the tag the notebook pins, for both MiniLM models
TOLERANCE = 1e-4  # probabilities from your own softmax vs the pipeline's


@functools.lru_cache(maxsize=1)
def _tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(EMBEDDING_MODEL, revision=REVISION)


@functools.lru_cache(maxsize=1)
def _classifier():
    from transformers import pipeline

    return pipeline("text-classification", model=SENTIMENT_MODEL, revision=REVISION)


def _as_number(value):
    """A Python number from an int/float or a one-element tensor/array; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if callable(getattr(value, "numel", None)) and value.numel() == 1:  # a torch tensor
        return value.item()
    if getattr(value, "size", None) == 1 and hasattr(value, "item"):  # a NumPy array or scalar
        return value.item()
    return None


@never_raises
def check_attention_sum(answer, sentences) -> bool:
    """`answer`: the sum of the attention mask when `sentences` are tokenized as one padded batch by the tokenizer
    of all-MiniLM-L6-v2, i.e. how many real (not padding) tokens the batch holds."""
    if is_placeholder(answer):
        return not_started("answer")
    if not isinstance(sentences, (list, tuple)) or len(sentences) < 2 or not all(isinstance(s, str) for s in sentences):
        return failed("The check needs the list of sentences as its second argument.",
                      "Call it as `check_attention_sum(answer, sentences)`.")
    number = _as_number(answer)
    if number is None:
        if hasattr(answer, "shape") or isinstance(answer, (list, tuple)):
            return failed("`answer` holds several numbers; sum the whole mask into one number.",
                          "`batch['attention_mask'].sum().item()` adds up every row.")
        return failed(f"`answer` should be a number, not {type(answer).__name__}.",
                      "`batch['attention_mask'].sum().item()` gives a Python int.")
    tokenizer = _tokenizer()
    batch = tokenizer(list(sentences), padding=True)
    mask = batch["attention_mask"]
    expected = sum(map(sum, mask))
    if number == expected:
        padding = sum(len(row) for row in mask) - expected
        return passed(f"{expected} real tokens in a batch of {len(mask)} × {len(mask[0])} positions "
                      f"({padding} are padding, masked with 0).")
    if number == sum(len(row) for row in mask):
        return failed(f"{number} counts every position of the padded batch, padding included.",
                      "Sum the attention mask (1 = real token, 0 = padding) instead of counting positions.")
    if number == expected - 2 * len(sentences):
        return failed(f"{number} leaves out the special tokens [CLS] and [SEP] that the tokenizer adds.",
                      "Tokenize with the default settings (add_special_tokens=True) and sum the attention mask.")
    if len(sentences) == 2 and number == sum(tokenizer(sentences[0], sentences[1])["attention_mask"]):
        return failed(f"{number} is the length of one *pair* sequence ([CLS] A [SEP] B [SEP]).",
                      "Pass a list to tokenize the sentences as a batch: `tokenizer(sentences, padding=True)`.")
    return failed(f"{number} is not the number of real tokens in the batch.",
                  "Use the tokenizer of all-MiniLM-L6-v2: `tokenizer(sentences, padding=True, return_tensors='pt')`, "
                  "then sum its 'attention_mask'.")


@never_raises
def check_probabilities(answer, text) -> bool:
    """`answer`: {label: probability} for `text`, computed from the logits of course/minilm-sentiment with a
    softmax and the model's `id2label`; it must match the pipeline's scores with `top_k=None`."""
    if is_placeholder(answer):
        return not_started("answer")
    if not isinstance(text, str):
        return failed("The check needs the text you classified as its second argument.",
                      "Call it as `check_probabilities(answer, text)`.")
    if not isinstance(answer, dict):
        if hasattr(answer, "shape") or isinstance(answer, (list, tuple)):
            return failed("`answer` is a list or tensor of numbers; name each probability by its label.",
                          "Build a dict: `{model.config.id2label[i]: p.item() for i, p in enumerate(probs[0])}`.")
        return failed(f"`answer` should be a dict {{label: probability}}, not {type(answer).__name__}.",
                      "Build it with `model.config.id2label`.")
    results = _classifier()(text, top_k=None)
    expected = {r["label"]: r["score"] for r in results}
    if set(map(str, answer)) != set(expected):
        keys = sorted(map(str, answer))
        if all(isinstance(k, int) for k in answer):
            hint = "Turn the class indices into names with `model.config.id2label[i]`."
        elif {k.upper() for k in keys} == set(expected):
            hint = "Labels are case-sensitive: use the names in `model.config.id2label`."
        else:
            hint = "Use the label names in `model.config.id2label`."
        return failed(f"`answer` has the keys {keys}; the model's labels are {sorted(expected)}.", hint)
    values = {k: _as_number(v) for k, v in answer.items()}
    if any(v is None for v in values.values()):
        return failed("Every value of `answer` should be one number (a float).",
                      "Use `.item()` to turn a one-element tensor into a float.")
    total = sum(values.values())
    if any(v < 0 or v > 1 for v in values.values()) or not math.isclose(total, 1.0, abs_tol=1e-3):
        exp = [math.exp(v) for v in values.values()] if all(v < 50 for v in values.values()) else None
        softmax_matches = exp is not None and all(
            math.isclose(e / sum(exp), expected[k], abs_tol=TOLERANCE) for e, k in zip(exp, values))
        hint = ("These are the raw logits: apply `torch.softmax(logits, dim=-1)` to get probabilities."
                if softmax_matches else
                "Probabilities lie between 0 and 1 and add up to 1: apply a softmax over the last dimension.")
        return failed(f"Your values add up to {total:.4f}, so they are not probabilities.", hint)
    diffs = {k: abs(values[k] - expected[k]) for k in expected}
    if max(diffs.values()) <= TOLERANCE:
        shown = ", ".join(f"{k}: {values[k]:.4f}" for k in sorted(values))
        return passed(f"Your probabilities ({shown}) match the pipeline's scores.")
    labels = sorted(expected)
    if len(labels) == 2 and all(abs(values[a] - expected[b]) <= TOLERANCE for a, b in zip(labels, reversed(labels))):
        return failed("Your probabilities are attached to the wrong labels (they are swapped).",
                      "Index i of the logits is the class `model.config.id2label[i]`.")
    worst = max(diffs, key=diffs.get)
    return failed(f"{worst}: you have {values[worst]:.4f}, the pipeline says {expected[worst]:.4f}.",
                  "Tokenize exactly `text`, run the model under torch.no_grad(), softmax over the last dimension.")
