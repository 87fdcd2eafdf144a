"""Self-checks for notebook 02 · Pipelines.

    helpers.checks.nb02.check_positive_scores(answer, reviews)         # {review: probability of POSITIVE}
    helpers.checks.nb02.check_most_similar(answer, query, sentences)   # the sentence closest in meaning to query
    helpers.checks.nb02.check_one_word_chat(answer, chat)              # a chat that gets the one-word answer Rome

Each check prints ✅ / ❌ (with a hint) / ⏳ and returns a true or false `Verdict`; none raises.
The expected answers are not stored here: the checks ask the real models on the hub this kernel is connected to
(`HF_ENDPOINT`).
"""

from __future__ import annotations

import functools

from course_hub.settings import course_org

from . import failed, is_placeholder, never_raises, not_started, passed

ORG = course_org()  # pyproject.toml's [tool.hf-hands-on] org ("hf-hands-on")

SENTIMENT_MODEL = f"{ORG}/minilm-sentiment"
EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
CHAT_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
REVISION = "v1.0"  # the course tag the notebook pins for hf-hands-on/minilm-sentiment (the upstream MiniLM has no tags)
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


def _is_text_list(value) -> bool:
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(isinstance(v, str) for v in value)


TOLERANCE = 1e-4  # your probabilities vs the pipeline's


@never_raises
def check_positive_scores(answer, reviews) -> bool:
    """`answer`: {review: probability that it is POSITIVE} for every review, as `hf-hands-on/minilm-sentiment` says with
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


FEW_SHOT_HINT = (
    "A model this small copies examples better than it follows instructions: before your question, put one "
    'example exchange, `{"role": "user", "content": "What is the capital of France?"}` then '
    '`{"role": "assistant", "content": "Paris"}`.'
)


@functools.lru_cache(maxsize=1)
def _chat_pipeline():
    import torch
    from transformers import pipeline

    return pipeline("text-generation", model=CHAT_MODEL, dtype=torch.float32)


@never_raises
def check_one_word_chat(answer, chat=None) -> bool:
    """`answer`: a chat (a list of messages) that ends with a user message asking for the capital of Italy and makes
    the chat model answer, greedily, with the one word `Rome`, no earlier message naming Italy or Rome. `chat`: the
    notebook's text-generation pipeline (else the check loads the model itself, in float32)."""
    if is_placeholder(answer):
        return not_started("answer")
    if not isinstance(answer, list) or not answer or not all(isinstance(m, dict) for m in answer):
        return failed(
            f"`answer` should be a non-empty list of messages (dicts), not {type(answer).__name__}.",
            'Each message is a dict: `{"role": "user", "content": "..."}`.',
        )
    for i, message in enumerate(answer):
        if set(message) != {"role", "content"} or message["role"] not in ROLES:
            return failed(
                f"Message {i} is {message!r}; a message has a 'role' ({', '.join(ROLES)}) and a 'content'.",
                'Write each message as `{"role": ..., "content": ...}`.',
            )
    last = answer[-1]
    if last["role"] != "user" or "italy" not in str(last["content"]).lower():
        return failed(
            "The last message should be yours, the user's, asking for the capital of Italy.",
            'End the list with `{"role": "user", "content": "What is the capital of Italy?"}`.',
        )
    earlier = " ".join(str(m["content"]).lower() for m in answer[:-1])
    if "rome" in earlier or "italy" in earlier:
        return failed(
            "An earlier message already names Italy or Rome: the model would only copy it.",
            "Use an example about another country (France, Spain, ...), then ask about Italy.",
        )
    pipe = chat if chat is not None else _chat_pipeline()
    reply = pipe(answer, max_new_tokens=8, do_sample=False)[0]["generated_text"][-1]["content"]
    words = reply.strip().rstrip(".!").split()
    if words == ["Rome"]:
        shots = sum(m["role"] == "assistant" for m in answer)
        return passed(
            f"The model answers {reply.strip()!r}, one word, after {shots} example answer(s) in the chat: examples "
            "steer a small model where an instruction does not."
        )
    if "Rome" in reply and len(words) > 1:
        return failed(f"The model answers {reply.strip()!r}: right, but not one word.", FEW_SHOT_HINT)
    return failed(f"The model answers {reply.strip()!r}, not 'Rome'.", FEW_SHOT_HINT)
