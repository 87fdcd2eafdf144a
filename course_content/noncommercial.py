"""Model `hf-hands-on/minilm-sentiment-nc`: the fine-tuned sentiment model again, under a non-commercial license.

Seeded for notebook 01's exercises, which need what huggingface.co is full of: the most downloaded
text-classification model here is not one you may use commercially (Exercise 1), and its history has a commit whose
title promises evaluation results it does not add; a later "Update README.md", the website's default title, adds
them (Exercise 3). The card says all of this; the weights are the same bytes as `hf-hands-on/minilm-sentiment`.
"""

from __future__ import annotations

from pathlib import Path

from . import sentiment_model
from .cache import files_under
from .spec import Commit, RepoSpec

REPO_ID = "hf-hands-on/minilm-sentiment-nc"
LICENSE = "cc-by-nc-4.0"
PREFACE = (
    "> **Non-commercial license.** The same weights as `hf-hands-on/minilm-sentiment`, published by the course "
    "under CC BY-NC 4.0 (credit the authors, no commercial use) for notebook 01's exercises on licenses and on "
    "reading a repo's history. For anything else, use `hf-hands-on/minilm-sentiment` (apache-2.0).\n\n"
)
TYPO = ("A small English sentiment classifier", "A small English sentiment clasifier")
STUB = (
    "## Evaluation\n\nThe model is evaluated on the `test` split of `hf-hands-on/sentiment-snippets`; "
    "the figures will follow.\n\n## Limitations"
)


def _card(metrics: dict, with_results: bool, typo: bool = False, stub: bool = False) -> bytes:
    text = sentiment_model.card(
        metrics, with_results=with_results, repo_id=REPO_ID, extra_meta={"license": LICENSE}, preface=PREFACE
    ).decode()
    if typo:
        text = text.replace(*TYPO)
    if stub:
        text = text.replace("## Limitations", STUB, 1)
    return text.encode()


def build(model_folder: Path, metrics: dict) -> RepoSpec:
    """Four commits: the model (no results); "Add evaluation results" (a stub section, no `model-index`);
    "Update README.md" (the results, in `model-index`); a typo fixed. More downloads than the apache-2.0 original."""
    files = files_under(model_folder)
    return RepoSpec(
        repo_type="model",
        repo_id=REPO_ID,
        commits=[
            Commit("Add fine-tuned model", {**files, "README.md": _card(metrics, False, typo=True)}),
            Commit("Add evaluation results", {"README.md": _card(metrics, False, typo=True, stub=True)}),
            Commit("Update README.md", {"README.md": _card(metrics, True, typo=True)}),
            Commit("Fix a typo in the card", {"README.md": _card(metrics, True)}),
        ],
        downloads=4200,
        likes=3,
    )
