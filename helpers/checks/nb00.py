"""Self-checks for notebook 00 · Welcome.

    helpers.checks.nb00.check_classification(answer)   # the classifier's output for your own sentence
    helpers.checks.nb00.check_vocabulary(answer)       # {"repo": "C", ...}
    helpers.checks.nb00.check_revision(answer)         # the commit SHA that `main` of the dataset points at

Each check prints ✅ / ❌ (with a hint) / ⏳ and returns True or False; none raises. The ones that need the Hub
ask the hub this kernel is connected to (`HF_ENDPOINT`), with the real `huggingface_hub` calls.
"""
from __future__ import annotations

import json
import re

from . import failed, is_placeholder, never_raises, not_started, passed

MODEL_ID = "course/minilm-sentiment"
DATASET_ID = "course/sentiment-snippets"
SHA_RE = re.compile(r"^[0-9a-f]{40}$")

# The exercise's definitions, lettered in the notebook's order; the right letter for each term.
VOCABULARY = {"repo": "C", "model": "F", "dataset": "G", "Space": "E", "revision": "A", "card": "B", "token": "D"}
DEFINITIONS = {
    "A": "a branch, a tag or a commit SHA that picks one version of a repo's files",
    "B": "the README.md of a repo: YAML metadata (license, tags, ...) and a description",
    "C": "a git repository on the Hub, named namespace/name, with its files and their history",
    "D": "a secret string that tells the Hub who you are, with read or write rights",
    "E": "a repo holding an app (Gradio, Docker, ...) that the Hub runs as a web demo",
    "F": "a repo with trained weights, a config and usually a tokenizer",
    "G": "a repo of data files, often Parquet or CSV, split into train/validation/test",
}




def model_labels(model_id: str = MODEL_ID) -> set[str]:
    """The label names of a model, read from its config.json on the Hub (`id2label`)."""
    from huggingface_hub import hf_hub_download

    with open(hf_hub_download(model_id, "config.json")) as f:
        return set(json.load(f).get("id2label", {}).values())


@never_raises
def check_classification(answer, model_id: str = MODEL_ID) -> bool:
    """`answer` is what `classifier("your sentence")` returned: a list with one {"label", "score"} dict."""
    if is_placeholder(answer):
        return not_started("answer")
    if isinstance(answer, str):
        return failed("`answer` is a string: it should be what the classifier returns, not your sentence.",
                      'Write `answer = classifier("your sentence")`.')
    if callable(answer):
        return failed("`answer` is the pipeline itself: call it on a sentence.",
                      'Write `answer = classifier("your sentence")`.')
    if isinstance(answer, list):
        if len(answer) != 1:
            return failed(f"`answer` holds {len(answer)} results; classify exactly one sentence.",
                          'Pass one string, not a list of strings: `classifier("your sentence")`.')
        answer = answer[0]
    if not isinstance(answer, dict) or not {"label", "score"} <= set(answer):
        return failed(f"`answer` should be a list with one dict with 'label' and 'score', not {type(answer).__name__}.",
                      'Write `answer = classifier("your sentence")`.')
    label, score = answer["label"], answer["score"]
    labels = model_labels(model_id)
    if label not in labels:
        return failed(f"{label!r} is not a label of {model_id} (its labels: {', '.join(sorted(labels))}).",
                      f"Did the pipeline load model={model_id!r}? Without `model=`, it picks another model.")
    if not isinstance(score, (int, float)) or not 0.0 <= float(score) <= 1.0:
        return failed(f"The score {score!r} is not a probability between 0 and 1.",
                      "Keep the classifier's output as it is; don't rescale the score.")
    return passed(f"{label} with a score of {float(score):.3f}: one of the model's labels "
                  f"({'/'.join(sorted(labels))}) and a probability in [0, 1].")


@never_raises
def check_vocabulary(answer) -> bool:
    """`answer` maps each term to the letter of its definition, e.g. {"repo": "C", ...}."""
    if is_placeholder(answer):
        return not_started("answer")
    if not isinstance(answer, dict):
        return failed(f"`answer` should be a dict like {{'repo': 'C', ...}}, not {type(answer).__name__}.")
    given = {str(k).strip().lower(): str(v).strip().upper() for k, v in answer.items()}
    if all(v in ("", "?", "...", "ELLIPSIS") for v in given.values()):
        return not_started("answer")
    expected = {k.lower(): v for k, v in VOCABULARY.items()}
    missing = [t for t in VOCABULARY if t.lower() not in given or given[t.lower()] in ("", "?", "...")]
    if missing:
        return failed(f"No letter yet for: {', '.join(missing)}.", "Give every term one letter from A to G.")
    unknown = sorted(set(given) - set(expected))
    if unknown:
        return failed(f"Unknown term(s): {', '.join(unknown)}.", f"Use the terms {', '.join(VOCABULARY)}.")
    wrong = [t for t in VOCABULARY if given[t.lower()] != expected[t.lower()]]
    if wrong:
        hints = "; ".join(f"{t}: not {given[t.lower()]}" for t in wrong)
        return failed(f"{len(wrong)} of {len(VOCABULARY)} matches are wrong ({hints}).",
                      "Each letter is used once. Re-read the vocabulary table above.")
    return passed(f"All {len(VOCABULARY)} terms matched.")


@never_raises
def check_revision(answer, repo_id: str = DATASET_ID, repo_type: str = "dataset") -> bool:
    """`answer` is the full commit SHA that the `main` branch of `repo_id` points at (`repo_info(...).sha`)."""
    if is_placeholder(answer):
        return not_started("answer")
    call = f"HfApi().{repo_type}_info({repo_id!r}).sha"
    if hasattr(answer, "sha") and hasattr(answer, "id"):
        return failed("`answer` is the whole info object; the question asks for one of its attributes.",
                      f"Use `.sha`: `{call}`.")
    if not isinstance(answer, str):
        return failed(f"`answer` should be a string (a 40-character SHA), not {type(answer).__name__}.",
                      f"Use the `.sha` attribute: `{call}`.")
    from huggingface_hub import HfApi

    api = HfApi()
    sha = api.repo_info(repo_id, repo_type=repo_type).sha
    answer = answer.strip()
    if answer == sha:
        return passed(f"`main` of {repo_id} is at commit {sha[:7]}…: pass this SHA as `revision=` to get exactly "
                      "these files, whatever is pushed later.")
    refs = api.list_repo_refs(repo_id, repo_type=repo_type)
    names = [b.name for b in refs.branches] + [t.name for t in refs.tags]
    if answer in names:
        return failed(f"{answer!r} is a branch or tag name: a name that can move to another commit later.",
                      f"The question asks for the commit SHA itself: `{call}`.")
    if not SHA_RE.match(answer):
        if re.fullmatch(r"[0-9a-f]{4,39}", answer) and sha.startswith(answer):
            return failed("That is the start of the right SHA, but shortened.", "Give all 40 characters of `.sha`.")
        return failed(f"{answer!r} does not look like a commit SHA (40 hexadecimal characters).",
                      f"Use the `.sha` attribute: `{call}`.")
    if answer in [c.commit_id for c in api.list_repo_commits(repo_id, repo_type=repo_type)]:
        return failed("That is a commit of the repo, but an older one: `main` has moved on since.",
                      f"Ask `{repo_type}_info` without `revision=`: it describes the latest commit of `main`.")
    try:
        other = api.model_info(MODEL_ID).sha if repo_type != "model" else None
    except Exception:
        other = None
    if answer == other:
        return failed(f"That is the SHA of the model {MODEL_ID}, not of the {repo_type} {repo_id}.",
                      f"Ask about the {repo_type}: `{call}`.")
    return failed(f"{answer[:7]}… is not a commit of the {repo_type} {repo_id}.", f"Ask about it: `{call}`.")
