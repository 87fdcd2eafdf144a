"""Self-checks for notebook 03 · AutoModel vs pipeline.

    helpers.checks.nb03.check_attention_sum(answer, sentences)   # real tokens in a padded batch of the sentences
    helpers.checks.nb03.check_greedy_loop(answer, prompt, n_new, model)  # prompt + n_new greedy tokens

Each check prints ✅ / ❌ (with a hint) / ⏳ and returns a true or false `Verdict`; none raises.
The expected answers are not stored here: the checks ask the real tokenizer and pipeline on the hub this kernel is
connected to (`HF_ENDPOINT`).
"""

from __future__ import annotations

import functools

from course_hub.settings import course_org

from . import Verdict, failed, is_placeholder, never_raises, not_started, passed  # noqa: F401

ORG = course_org()  # pyproject.toml's [tool.hf-hands-on] org ("hf-hands-on")

EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
SENTIMENT_MODEL = f"{ORG}/minilm-sentiment"
REVISION = "v1.0"  # the course tag the notebook pins for hf-hands-on/minilm-sentiment (the upstream MiniLM has no tags)


@functools.lru_cache(maxsize=1)
def _tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(EMBEDDING_MODEL)


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
        return failed(
            "The check needs the list of sentences as its second argument.",
            "Call it as `check_attention_sum(answer, sentences)`.",
        )
    number = _as_number(answer)
    if number is None:
        if hasattr(answer, "shape") or isinstance(answer, (list, tuple)):
            return failed(
                "`answer` holds several numbers; sum the whole mask into one number.",
                "`batch['attention_mask'].sum().item()` adds up every row.",
            )
        return failed(
            f"`answer` should be a number, not {type(answer).__name__}.",
            "`batch['attention_mask'].sum().item()` gives a Python int.",
        )
    tokenizer = _tokenizer()
    batch = tokenizer(list(sentences), padding=True)
    mask = batch["attention_mask"]
    expected = sum(map(sum, mask))
    if number == expected:
        padding = sum(len(row) for row in mask) - expected
        return passed(
            f"{expected} real tokens in a batch of {len(mask)} × {len(mask[0])} positions "
            f"({padding} are padding, masked with 0)."
        )
    if number == sum(len(row) for row in mask):
        return failed(
            f"{number} counts every position of the padded batch, padding included.",
            "Sum the attention mask (1 = real token, 0 = padding) instead of counting positions.",
        )
    if number == expected - 2 * len(sentences):
        return failed(
            f"{number} leaves out the special tokens [CLS] and [SEP] that the tokenizer adds.",
            "Tokenize with the default settings (add_special_tokens=True) and sum the attention mask.",
        )
    if len(sentences) == 2 and number == sum(tokenizer(sentences[0], sentences[1])["attention_mask"]):
        return failed(
            f"{number} is the length of one *pair* sequence ([CLS] A [SEP] B [SEP]).",
            "Pass a list to tokenize the sentences as a batch: `tokenizer(sentences, padding=True)`.",
        )
    return failed(
        f"{number} is not the number of real tokens in the batch.",
        "Use the tokenizer of all-MiniLM-L6-v2: `tokenizer(sentences, padding=True, return_tensors='pt')`, "
        "then sum its 'attention_mask'.",
    )


CHAT_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"


@functools.lru_cache(maxsize=1)
def _chat_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(CHAT_MODEL)


@functools.lru_cache(maxsize=1)
def _causal_lm():
    """SmolLM2 on the CPU in float32, when the learner's model is not passed."""
    import torch
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(CHAT_MODEL, dtype=torch.float32).eval()


def _as_ids(answer) -> list[int] | None:
    """A flat list of ints from a (1, n) or (n,) tensor/array or a list of ints; None otherwise."""
    if hasattr(answer, "tolist"):
        answer = answer.tolist()
    if isinstance(answer, list) and len(answer) == 1 and isinstance(answer[0], list):
        answer = answer[0]
    if isinstance(answer, list) and answer and all(isinstance(i, int) and not isinstance(i, bool) for i in answer):
        return answer
    return None


@never_raises
def check_greedy_loop(answer, prompt, n_new, model=None) -> bool:
    """`answer`: the ids of `prompt` (SmolLM2's tokenizer) followed by `n_new` tokens chosen one at a time, each the
    argmax of the model's logits at the last position; equal to `generate(..., do_sample=False)` for that many.
    `model`: the notebook's SmolLM2 (the reference runs on it, on its device and dtype); else the check loads one."""
    if is_placeholder(answer):
        return not_started("answer")
    if not isinstance(prompt, str) or not isinstance(n_new, int) or n_new < 1:
        return failed(
            "The check needs the prompt and the number of new tokens as its other arguments.",
            "Call it as `check_greedy_loop(answer, prompt, N_NEW, model)`.",
        )
    if hasattr(answer, "shape") and len(answer.shape) == 2 and answer.shape[0] != 1:
        return failed(
            f"`answer` has {answer.shape[0]} rows; the loop works on a batch of one text, shape (1, n).",
            "Append along the token dimension: `torch.cat([ids, next_id], dim=1)` with next_id of shape (1, 1).",
        )
    ids = _as_ids(answer)
    if ids is None:
        return failed(
            f"`answer` should be the token ids (a tensor of shape (1, n)), not {type(answer).__name__}.",
            "Keep `ids` as a tensor and store it: `answer = ids` after the loop.",
        )
    import torch

    tokenizer = _chat_tokenizer()
    model = model if model is not None else _causal_lm()

    def step_logits(ids: list[int]):
        return model(torch.tensor([ids], device=model.device)).logits[0]

    prompt_ids = tokenizer(prompt)["input_ids"]
    expected = list(prompt_ids)
    with torch.no_grad():
        for _ in range(n_new):
            expected.append(int(step_logits(expected)[-1].argmax()))
    new = expected[len(prompt_ids) :]
    if ids == expected:
        return passed(
            f"{n_new} tokens, one argmax at a time: {tokenizer.decode(new)!r}; "
            f"`generate(..., do_sample=False, max_new_tokens={n_new})` gives the same ids."
        )
    if ids == new:
        return failed(
            "`answer` holds only the new tokens; the loop's result keeps the prompt in front.",
            "Start from the prompt's ids and append to them: `answer = ids`, shape (1, prompt + N_NEW).",
        )
    if ids[: len(prompt_ids)] != prompt_ids:
        return failed(
            "`answer` does not start with the prompt's ids.",
            "Start from `ids = tokenizer(prompt, return_tensors='pt')['input_ids']` and append to it.",
        )
    got_new = ids[len(prompt_ids) :]
    if len(got_new) != n_new:
        return failed(
            f"`answer` has {len(got_new)} new tokens after the prompt; the loop should add {n_new}.",
            f"Run the step exactly {n_new} times: `for _ in range(N_NEW):`, one token appended per step.",
        )
    step = next(i for i, (a, b) in enumerate(zip(got_new, new)) if a != b)
    first = list(prompt_ids)
    with torch.no_grad():
        for _ in range(n_new):
            first.append(int(step_logits(first)[0].argmax()))
    if ids == first:
        return failed(
            "You took the prediction at the first position, `logits[:, 0]`.",
            "The next token is predicted at the last position: `out.logits[:, -1].argmax(dim=-1)`.",
        )
    return failed(
        f"New token {step + 1} is {tokenizer.decode(got_new[step])!r}; the most likely one there is "
        f"{tokenizer.decode(new[step])!r}.",
        "At each step run the model on all the ids so far and append `out.logits[:, -1].argmax(dim=-1)` "
        "(greedy: no sampling, no temperature).",
    )
