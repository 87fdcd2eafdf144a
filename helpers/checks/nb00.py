"""Self-checks for notebook 00 · Welcome.

    helpers.checks.nb00.check_one_word_flip(answer)    # two sentences, one word apart, with opposite labels
    helpers.checks.nb00.check_vocabulary(answer)       # {"repo": "C", ...}
    helpers.checks.nb00.check_revision(answer)         # the commit SHA that `main` of the dataset points at

Each check prints ✅ / ❌ (with a hint) / ⏳ and returns True or False; none raises. The ones that need the Hub
ask the hub this kernel is connected to (`HF_ENDPOINT`), with the real `huggingface_hub` calls.
"""

from __future__ import annotations

import functools
import json
import re

from course_hub.settings import course_org

from . import failed, is_placeholder, never_raises, not_started, passed

ORG = course_org()  # pyproject.toml's [tool.hf-hands-on] org ("hf-hands-on")

MODEL_ID = f"{ORG}/minilm-sentiment"
DATASET_ID = f"{ORG}/sentiment-snippets"
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


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


def _one_word_apart(a: list[str], b: list[str]) -> bool:
    """True if one word replaced, added or removed turns `a` into `b`."""
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long = sorted((a, b), key=len)
    return len(long) == len(short) + 1 and any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


@functools.lru_cache(maxsize=1)
def _classifier(model_id: str = MODEL_ID):
    from transformers import pipeline

    return pipeline("text-classification", model=model_id)


@never_raises
def check_one_word_flip(answer, model_id: str = MODEL_ID) -> bool:
    """`answer`: two sentences, one word apart (replaced, added or removed), that the model labels differently."""
    if is_placeholder(answer):
        return not_started("answer")
    if (
        isinstance(answer, str)
        or not isinstance(answer, (list, tuple))
        or len(answer) != 2
        or not all(isinstance(x, str) and x.strip() for x in answer)
    ):
        return failed(
            "`answer` should be a pair of two sentences: `(first, second)`.",
            'Write `answer = ("The film was good.", "...")` with your own two sentences.',
        )
    first, second = answer
    a, b = _words(first), _words(second)
    if a == b:
        return failed("The two sentences have the same words.", "Change exactly one word of the first sentence.")
    if not _one_word_apart(a, b):
        return failed(
            "The sentences differ by more than one word.",
            "Keep the first sentence and replace, add or remove a single word (for example 'not').",
        )
    r1, r2 = _classifier(model_id)([first, second])
    shown = f"{r1['label']} {r1['score']:.3f} → {r2['label']} {r2['score']:.3f}"
    if r1["label"] == r2["label"]:
        return failed(
            f"Both sentences are {r1['label']} ({shown}): the label did not flip.",
            "Pick the word that carries the opinion: swap an adjective for its opposite, or add 'not'.",
        )
    return passed(f"One word flips the label: {shown}.")


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
        return failed(
            f"{len(wrong)} of {len(VOCABULARY)} matches are wrong ({hints}).",
            "Each letter is used once. Re-read the vocabulary table above.",
        )
    return passed(f"All {len(VOCABULARY)} terms matched.")


@never_raises
def check_revision(answer, repo_id: str = DATASET_ID, repo_type: str = "dataset") -> bool:
    """`answer` is the full commit SHA that the `main` branch of `repo_id` points at (`repo_info(...).sha`)."""
    if is_placeholder(answer):
        return not_started("answer")
    call = f"HfApi().{repo_type}_info({repo_id!r}).sha"
    if hasattr(answer, "sha") and hasattr(answer, "id"):
        return failed(
            "`answer` is the whole info object; the question asks for one of its attributes.", f"Use `.sha`: `{call}`."
        )
    if not isinstance(answer, str):
        return failed(
            f"`answer` should be a string (a 40-character SHA), not {type(answer).__name__}.",
            f"Use the `.sha` attribute: `{call}`.",
        )
    from huggingface_hub import HfApi

    api = HfApi()
    sha = api.repo_info(repo_id, repo_type=repo_type).sha
    answer = answer.strip()
    if answer == sha:
        return passed(
            f"`main` of {repo_id} is at commit {sha[:7]}…: pass this SHA as `revision=` to get exactly "
            "these files, whatever is pushed later."
        )
    refs = api.list_repo_refs(repo_id, repo_type=repo_type)
    names = [b.name for b in refs.branches] + [t.name for t in refs.tags]
    if answer in names:
        return failed(
            f"{answer!r} is a branch or tag name: a name that can move to another commit later.",
            f"The question asks for the commit SHA itself: `{call}`.",
        )
    if not SHA_RE.match(answer):
        if re.fullmatch(r"[0-9a-f]{4,39}", answer) and sha.startswith(answer):
            return failed("That is the start of the right SHA, but shortened.", "Give all 40 characters of `.sha`.")
        return failed(
            f"{answer!r} does not look like a commit SHA (40 hexadecimal characters).",
            f"Use the `.sha` attribute: `{call}`.",
        )
    if answer in [c.commit_id for c in api.list_repo_commits(repo_id, repo_type=repo_type)]:
        return failed(
            "That is a commit of the repo, but an older one: `main` has moved on since.",
            f"Ask `{repo_type}_info` without `revision=`: it describes the latest commit of `main`.",
        )
    try:
        other = api.model_info(MODEL_ID).sha if repo_type != "model" else None
    except Exception:  # noqa: BLE001
        other = None
    if answer == other:
        return failed(
            f"That is the SHA of the model {MODEL_ID}, not of the {repo_type} {repo_id}.",
            f"Ask about the {repo_type}: `{call}`.",
        )
    return failed(f"{answer[:7]}… is not a commit of the {repo_type} {repo_id}.", f"Ask about it: `{call}`.")
