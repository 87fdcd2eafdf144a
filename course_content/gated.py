"""Model `hf-hands-on/gated-sentiment`: the fine-tuned sentiment model behind a manual access gate."""

from __future__ import annotations

from pathlib import Path

from . import sentiment_model
from .cache import files_under
from .spec import Commit, RepoSpec

REPO_ID = "hf-hands-on/gated-sentiment"
GATE = {
    "extra_gated_heading": "Request access to hf-hands-on/gated-sentiment",
    "extra_gated_prompt": (
        "This model is gated on purpose, for the course lesson on access tokens. The weights are the same as "
        "`hf-hands-on/minilm-sentiment`; what you practise here is asking for access, waiting for approval, and "
        "downloading with a token read from the environment. By requesting access you agree to use the "
        "model for learning only."
    ),
    "extra_gated_fields": {
        "Name": "text",
        "Affiliation": "text",
        "I want to use this model for": {"type": "select", "options": ["Learning", "Teaching", "Other"]},
        "I agree to use this model for learning only": "checkbox",
    },
    "extra_gated_button_content": "Request access",
}


def build(model_folder: Path, metrics: dict) -> RepoSpec:
    """Spec of the gated copy: the files of `hf-hands-on/minilm-sentiment` (same bytes) and a card with a gate."""
    files = files_under(model_folder)
    preface = (
        "> **Gated model.** Its files are only served to users whose access request has been accepted. "
        "Anonymous downloads get *401*, logged-in users who are not on the list get *403*. The weights are "
        "identical to `hf-hands-on/minilm-sentiment`. Once your request is accepted, log in (`hf auth login`) or set "
        "`HF_TOKEN` in the environment, and the code below sends your token with each download.\n\n"
    )
    readme = sentiment_model.card(metrics, with_results=True, repo_id=REPO_ID, extra_meta=GATE, preface=preface)
    return RepoSpec(
        repo_type="model",
        repo_id=REPO_ID,
        commits=[Commit("Add gated copy of hf-hands-on/minilm-sentiment", {**files, "README.md": readme})],
        gated="manual",
        downloads=300,
        likes=0,
    )
