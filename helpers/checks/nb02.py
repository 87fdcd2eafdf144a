"""Self-checks for notebook 02 · Pipelines.

    helpers.checks.nb02.check_review_labels(answer, reviews)           # one label per review, as the model says
    helpers.checks.nb02.check_most_similar(answer, query, sentences)   # the sentence closest in meaning to query
    helpers.checks.nb02.check_chat_messages(answer)                    # a system + user chat for the chat model

Each check prints ✅ / ❌ (with a hint) / ⏳ and returns a true or false `Verdict`; none raises.
The expected answers are not stored here: the checks ask the real models on the hub this kernel is connected to
(`HF_ENDPOINT`).
"""
from __future__ import annotations


import functools

from . import failed, is_placeholder, never_raises, not_started, passed

SENTIMENT_MODEL = "course/minilm-sentiment"
EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
CHAT_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
REVISION = "v1.0"  # the tag the notebook pins, for both MiniLM models
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

    return AutoTokenizer.from_pretrained(EMBEDDING_MODEL, revision=REVISION), \
        AutoModel.from_pretrained(EMBEDDING_MODEL, revision=REVISION).eval()


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


@never_raises
def check_review_labels(answer, reviews) -> bool:
    """`answer`: a list of label strings, one per review, in order, as `course/minilm-sentiment` classifies them."""
    if is_placeholder(answer):
        return not_started("answer")
    if not _is_text_list(reviews):
        return failed("The check needs the list of reviews as its second argument.",
                      "Run the exercise's first cell (it defines `reviews`), then "
                      "`check_review_labels(answer, reviews)`.")
    if isinstance(answer, str):
        return failed("`answer` is one string; it should be a list with one label per review.",
                      "Classify the whole list at once: `results = classifier(reviews)`.")
    if not isinstance(answer, (list, tuple)):
        return failed(f"`answer` should be a list of labels, not {type(answer).__name__}.",
                      "Build it with a list comprehension over the pipeline's results.")
    if any(isinstance(a, list) for a in answer):
        return failed("`answer` holds lists: that is what the pipeline returns with `top_k=None` "
                      "(every label per text).",
                      "Call the pipeline without `top_k`, so each review gets one dict with its best label.")
    if any(isinstance(a, dict) for a in answer):
        return failed("`answer` holds the pipeline's dicts ({'label': ..., 'score': ...}); keep only the labels.",
                      "Take the label out of each result: `[r['label'] for r in results]`.")
    if len(answer) != len(reviews):
        return failed(f"`answer` has {len(answer)} labels for {len(reviews)} reviews.",
                      "Give exactly one label per review, in the same order.")
    labels = set(_classifier().model.config.id2label.values())
    unknown = sorted({str(a) for a in answer} - labels)
    if unknown:
        hint = "Labels are case-sensitive: copy them from the pipeline's output." if all(
            str(u).upper() in labels for u in unknown) else "Use the labels the pipeline returns."
        return failed(f"{', '.join(repr(u) for u in unknown)} is not a label of {SENTIMENT_MODEL} "
                      f"(its labels: {', '.join(sorted(labels))}).", hint)
    expected = [r["label"] for r in _classifier()(list(reviews))]
    wrong = [i for i, (a, e) in enumerate(zip(answer, expected)) if a != e]
    if wrong:
        i = wrong[0]
        hint = ("Every label is the opposite of the model's: did you swap them?" if len(wrong) == len(reviews)
                else "Keep the reviews' order and take each result's 'label'; do not edit or re-order the reviews.")
        return failed(f"{len(wrong)} of {len(reviews)} labels differ from the model's answers; first: review {i} "
                      f"({_short(reviews[i])!r}): you have {answer[i]}, the model says {expected[i]}.", hint)
    counts = ", ".join(f"{expected.count(lab)} {lab}" for lab in sorted(labels))
    return passed(f"All {len(reviews)} labels match the model's answers ({counts}).")


@never_raises
def check_most_similar(answer, query, sentences) -> bool:
    """`answer`: the sentence of `sentences` whose embedding has the highest cosine similarity with `query`'s."""
    if is_placeholder(answer):
        return not_started("answer")
    if not isinstance(query, str) or not _is_text_list(sentences):
        return failed("The check needs the query (a string) and the list of candidate sentences.",
                      "Call it as `check_most_similar(answer, query, sentences)`.")
    if isinstance(answer, int) or hasattr(answer, "item"):  # an int, a NumPy or a torch number
        return failed(f"`answer` is a number ({answer!r}); return the sentence itself, not its index.",
                      "`sentences[int(scores.argmax())]` turns the index of the best score into the sentence.")
    if not isinstance(answer, str):
        return failed(f"`answer` should be one of the candidate sentences (a string), not {type(answer).__name__}.",
                      "Find the index of the highest similarity, then take `sentences[index]`.")
    if answer == query:
        return failed("`answer` is the query itself: look for the closest sentence among the candidates.",
                      "Compare the query's embedding with the embeddings of `sentences` only.")
    if answer not in sentences:
        return failed(f"{_short(answer)!r} is not one of the candidate sentences.",
                      "Return one element of `sentences`, exactly as written there.")
    embeddings = _embed([query, *sentences])
    scores = (embeddings[1:] @ embeddings[0]).tolist()
    best = max(range(len(sentences)), key=scores.__getitem__)
    mine = sentences.index(answer)
    if mine == best:
        return passed(f"{_short(answer)!r} is the closest sentence (cosine similarity {scores[best]:.3f}).")
    worst = min(range(len(sentences)), key=scores.__getitem__)
    hint = ("That is the *least* similar sentence: take the maximum (argmax), not the minimum."
            if mine == worst else
            "Mean-pool each sentence's token vectors, normalize them, and compare the query with every candidate.")
    return failed(f"{_short(answer)!r} has cosine similarity {scores[mine]:.3f} with the query, but "
                  f"{_short(sentences[best])!r} has {scores[best]:.3f}.", hint)


@never_raises
def check_chat_messages(answer) -> bool:
    """`answer`: a chat for the chat model: a system message asking for a one-word answer, then a user message
    asking for the capital of Italy."""
    if is_placeholder(answer):
        return not_started("answer")
    if isinstance(answer, str):
        return failed("`answer` is a plain string; a chat is a list of messages.",
                      'Write `[{"role": "system", "content": ...}, {"role": "user", "content": ...}]`.')
    if not isinstance(answer, list) or not answer:
        return failed(f"`answer` should be a non-empty list of messages, not {type(answer).__name__}.",
                      'Each message is a dict: `{"role": "user", "content": "..."}`.')
    for i, message in enumerate(answer):
        if not isinstance(message, dict):
            return failed(f"Message {i} is a {type(message).__name__}, not a dict.",
                          'Write each message as `{"role": ..., "content": ...}`.')
        if set(message) != {"role", "content"}:
            return failed(f"Message {i} has the keys {sorted(message)}; a message has exactly 'role' and 'content'.",
                          'Write each message as `{"role": ..., "content": ...}`.')
        if message["role"] not in ROLES:
            return failed(f"Message {i} has the role {message['role']!r}; the roles are {', '.join(ROLES)}.",
                          "Instructions go in a 'system' message, your question in a 'user' message.")
        if not isinstance(message["content"], str) or not message["content"].strip():
            return failed(f"Message {i} has no text in 'content'.", "Write the instruction or the question there.")
    roles = [m["role"] for m in answer]
    if roles != ["system", "user"]:
        return failed(f"The roles are {roles}; this exercise wants ['system', 'user'].",
                      "First the system message (how to answer), then the user message (the question).")
    system, user = answer[0]["content"], answer[1]["content"]
    if "italy" not in user.lower():
        return failed("The user message does not ask about Italy.", "Ask: 'What is the capital of Italy?'")
    if "one word" not in system.lower() and "single word" not in system.lower():
        return failed("The system message does not ask for a one-word answer.",
                      "Something like 'Answer in one word.' works.")
    prompt = _chat_tokenizer().apply_chat_template(answer, add_generation_prompt=True, tokenize=False)
    if system not in prompt or user not in prompt:
        return failed("The model's chat template dropped part of your chat.", "Check both messages' 'content'.")
    n_tokens = len(_chat_tokenizer()(prompt, add_special_tokens=False)["input_ids"])
    return passed(f"A valid chat: the model's chat template turns it into a prompt of {n_tokens} tokens.")
