"""Self-checks for notebook 02 · Pipelines.

    helpers.checks.nb02.check_positive_scores(answer, reviews)         # {review: probability of POSITIVE}
    helpers.checks.nb02.check_most_similar(answer, query, sentences)   # the sentence closest in meaning to query
    helpers.checks.nb02.check_chat_messages(answer)                    # a system + user chat for the chat model

Each check prints ✅ / ❌ (with a hint) / ⏳ and returns a true or false `Verdict`; none raises.
The expected answers are not stored here: the checks ask the real models on the hub this kernel is connected to
(`HF_ENDPOINT`).
"""

from __future__ import annotations

import functools

from course_hub.settings import course_org

from . import failed, is_placeholder, never_raises, not_started, passed

ORG = course_org()  # pyproject.toml's [tool.hf-hands-on] org ("course")

SENTIMENT_MODEL = f"{ORG}/minilm-sentiment"
EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
CHAT_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
REVISION = "v1.0"  # the course tag the notebook pins for course/minilm-sentiment (the upstream MiniLM has no tags)
ROLES = ("system", "user", "assistant")


def _short(text: str, width: int = 50) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@functools.lru_cache(maxsize=1)
def _classifier():
    from transformers import pipeline

    return pipeline("text-classification", model=SENTIMENT_MODEL, revision=REVISION)


@functools.lru_cache(maxsize=1)
def _encoder():
    from transformers import AutoModel, AutoTokenizer

    return AutoTokenizer.from_pretrained(EMBEDDING_MODEL), AutoModel.from_pretrained(EMBEDDING_MODEL).eval()


def _embed(texts: list[str]):
    """Sentence embeddings as the model's card defines them: mean of the real tokens' vectors, length 1."""
    import torch
    import torch.nn.functional as F

    tokenizer, model = _encoder()
    batch = tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    return F.normalize((hidden * mask).sum(dim=1) / mask.sum(dim=1), p=2, dim=1)


@functools.lru_cache(maxsize=1)
def _chat_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(CHAT_MODEL)


def _is_text_list(value) -> bool:
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(isinstance(v, str) for v in value)


TOLERANCE = 1e-4  # your probabilities vs the pipeline's


@never_raises
def check_positive_scores(answer, reviews) -> bool:
    """`answer`: {review: probability that it is POSITIVE} for every review, as `course/minilm-sentiment` says with
    `top_k=None` (the score of the POSITIVE label, whichever label wins)."""
    if is_placeholder(answer):
        return not_started("answer")
    if not _is_text_list(reviews):
        return failed(
            "The check needs the list of reviews as its second argument.",
            "Run the exercise's first cell (it defines `reviews`), then `check_positive_scores(answer, reviews)`.",
        )
    if isinstance(answer, (list, tuple)):
        return failed(
            "`answer` is a list; it should be a dict that maps each review (the text) to a probability.",
            "Build it in a loop: `answer[review] = ...` for each review and its scores.",
        )
    if not isinstance(answer, dict):
        return failed(
            f"`answer` should be a dict {{review: probability}}, not {type(answer).__name__}.",
            "Start with `answer = {}` and fill it in a loop over `zip(reviews, results)`.",
        )
    missing = [r for r in reviews if r not in answer]
    if missing:
        return failed(
            f"{len(missing)} of {len(reviews)} reviews are missing from `answer`, e.g. {_short(missing[0])!r}.",
            "Use each review string itself as the key, for all the reviews.",
        )
    values = {}
    for review in reviews:
        value = answer[review]
        if isinstance(value, (list, dict)):
            return failed(
                f"The value for {_short(review)!r} is a {type(value).__name__}; it should be one number.",
                "Pick the score of the dict whose 'label' is 'POSITIVE' out of the list `top_k=None` gives.",
            )
        if hasattr(value, "item") and callable(value.item):
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return failed(
                f"The value for {_short(review)!r} should be a number, not {type(value).__name__}.",
                "Store the 'score' of the POSITIVE label (a float).",
            )
        values[review] = float(value)
    results = _classifier()(list(reviews), top_k=None)
    positive = {r: next(s["score"] for s in scores if s["label"] == "POSITIVE") for r, scores in zip(reviews, results)}
    best = {r: scores[0] for r, scores in zip(reviews, results)}
    wrong = [r for r in reviews if abs(values[r] - positive[r]) > TOLERANCE]
    if not wrong:
        unsure = min(reviews, key=lambda r: abs(positive[r] - 0.5))
        return passed(
            f"All {len(reviews)} POSITIVE probabilities match. The model is least sure about "
            f"{_short(unsure)!r} ({positive[unsure]:.3f})."
        )
    if all(abs(values[r] - best[r]["score"]) <= TOLERANCE for r in reviews):
        neg = next(r for r in wrong)
        return failed(
            f"For {_short(neg)!r} you stored {values[neg]:.3f}, the score of its best label "
            f"({best[neg]['label']}), not the probability of POSITIVE ({positive[neg]:.3f}).",
            "Without `top_k=None` the score belongs to the best label. Call `classifier(reviews, top_k=None)` "
            "and take the score whose 'label' is 'POSITIVE'.",
        )
    if all(abs(values[r] - (1 - positive[r])) <= TOLERANCE for r in reviews):
        return failed(
            "These are the probabilities of NEGATIVE.", "Take the score of the dict whose 'label' is 'POSITIVE'."
        )
    r = wrong[0]
    return failed(
        f"{len(wrong)} of {len(reviews)} values differ from the model's; first: {_short(r)!r}: you have "
        f"{values[r]:.3f}, the model says {positive[r]:.3f}.",
        "Classify exactly these reviews with `classifier(reviews, top_k=None)`, without editing them.",
    )


@never_raises
def check_most_similar(answer, query, sentences) -> bool:
    """`answer`: the sentence of `sentences` whose embedding has the highest cosine similarity with `query`'s."""
    if is_placeholder(answer):
        return not_started("answer")
    if not isinstance(query, str) or not _is_text_list(sentences):
        return failed(
            "The check needs the query (a string) and the list of candidate sentences.",
            "Call it as `check_most_similar(answer, query, sentences)`.",
        )
    if isinstance(answer, int) or hasattr(answer, "item"):  # an int, a NumPy or a torch number
        return failed(
            f"`answer` is a number ({answer!r}); return the sentence itself, not its index.",
            "`sentences[int(scores.argmax())]` turns the index of the best score into the sentence.",
        )
    if not isinstance(answer, str):
        return failed(
            f"`answer` should be one of the candidate sentences (a string), not {type(answer).__name__}.",
            "Find the index of the highest similarity, then take `sentences[index]`.",
        )
    if answer == query:
        return failed(
            "`answer` is the query itself: look for the closest sentence among the candidates.",
            "Compare the query's embedding with the embeddings of `sentences` only.",
        )
    if answer not in sentences:
        return failed(
            f"{_short(answer)!r} is not one of the candidate sentences.",
            "Return one element of `sentences`, exactly as written there.",
        )
    embeddings = _embed([query, *sentences])
    scores = (embeddings[1:] @ embeddings[0]).tolist()
    best = max(range(len(sentences)), key=scores.__getitem__)
    mine = sentences.index(answer)
    if mine == best:
        return passed(f"{_short(answer)!r} is the closest sentence (cosine similarity {scores[best]:.3f}).")
    worst = min(range(len(sentences)), key=scores.__getitem__)
    hint = (
        "That is the *least* similar sentence: take the maximum (argmax), not the minimum."
        if mine == worst
        else "Mean-pool each sentence's token vectors, normalize them, and compare the query with every candidate."
    )
    return failed(
        f"{_short(answer)!r} has cosine similarity {scores[mine]:.3f} with the query, but "
        f"{_short(sentences[best])!r} has {scores[best]:.3f}.",
        hint,
    )


@never_raises
def check_chat_messages(answer) -> bool:
    """`answer`: a chat for the chat model: a system message asking for a one-word answer, then a user message
    asking for the capital of Italy."""
    if is_placeholder(answer):
        return not_started("answer")
    if isinstance(answer, str):
        return failed(
            "`answer` is a plain string; a chat is a list of messages.",
            'Write `[{"role": "system", "content": ...}, {"role": "user", "content": ...}]`.',
        )
    if not isinstance(answer, list) or not answer:
        return failed(
            f"`answer` should be a non-empty list of messages, not {type(answer).__name__}.",
            'Each message is a dict: `{"role": "user", "content": "..."}`.',
        )
    for i, message in enumerate(answer):
        if not isinstance(message, dict):
            return failed(
                f"Message {i} is a {type(message).__name__}, not a dict.",
                'Write each message as `{"role": ..., "content": ...}`.',
            )
        if set(message) != {"role", "content"}:
            return failed(
                f"Message {i} has the keys {sorted(message)}; a message has exactly 'role' and 'content'.",
                'Write each message as `{"role": ..., "content": ...}`.',
            )
        if message["role"] not in ROLES:
            return failed(
                f"Message {i} has the role {message['role']!r}; the roles are {', '.join(ROLES)}.",
                "Instructions go in a 'system' message, your question in a 'user' message.",
            )
        if not isinstance(message["content"], str) or not message["content"].strip():
            return failed(f"Message {i} has no text in 'content'.", "Write the instruction or the question there.")
    roles = [m["role"] for m in answer]
    if roles != ["system", "user"]:
        return failed(
            f"The roles are {roles}; this exercise wants ['system', 'user'].",
            "First the system message (how to answer), then the user message (the question).",
        )
    system, user = answer[0]["content"], answer[1]["content"]
    if "italy" not in user.lower():
        return failed("The user message does not ask about Italy.", "Ask: 'What is the capital of Italy?'")
    if "one word" not in system.lower() and "single word" not in system.lower():
        return failed(
            "The system message does not ask for a one-word answer.", "Something like 'Answer in one word.' works."
        )
    prompt = _chat_tokenizer().apply_chat_template(answer, add_generation_prompt=True, tokenize=False)
    if system not in prompt or user not in prompt:
        return failed("The model's chat template dropped part of your chat.", "Check both messages' 'content'.")
    n_tokens = len(_chat_tokenizer()(prompt, add_special_tokens=False)["input_ids"])
    return passed(f"A valid chat: the model's chat template turns it into a prompt of {n_tokens} tokens.")
