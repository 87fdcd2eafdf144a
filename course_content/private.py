"""Model `alice/private-notes`: a tiny private repo of another user, which learners cannot see (404)."""

from __future__ import annotations

import json

from .cards import render_card
from .spec import Commit, RepoSpec

REPO_ID = "alice/private-notes"

NOTES = """# Alice's notes

- Try a lower learning rate (2e-5) for the sentiment head.
- Tweets with HTML entities (`&amp;`) look odd: unescape them before tokenizing?
- Ask the course team about a neutral class.
"""

CONFIG = {"experiment": "sentiment-lr-sweep", "learning_rates": [2e-5, 3e-5, 5e-5], "seed": 7}


def build() -> RepoSpec:
    """Spec of the private repo: a card, notes.md and a small config.json."""
    card = render_card(
        {"license": "other", "tags": ["private", "notes"]},
        """# private-notes

Alice's private scratch repo. Only Alice (and members of organisations she shares it with) can see it;
for everyone else the Hub answers *404 Repository Not Found*, exactly as if it did not exist, so that a
private repo's name does not leak.

## Provenance

- Written by hand for the course (`course_content/private.py`); no external source.
""",
    )
    files = {
        "README.md": card,
        "notes.md": NOTES.encode(),
        "config.json": (json.dumps(CONFIG, indent=2, sort_keys=True) + "\n").encode(),
    }
    return RepoSpec(repo_type="model", repo_id=REPO_ID, commits=[Commit("Add notes", files)], private=True)
