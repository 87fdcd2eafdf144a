"""Model, dataset and Space cards: a README.md with a YAML front matter block and a markdown body."""

from __future__ import annotations

import yaml


def render_card(metadata: dict, body: str) -> bytes:
    """README.md bytes: `---`, YAML (keys in the given order), `---`, then the markdown body."""
    front = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1000)
    text = f"---\n{front}---\n\n{body.strip()}\n"
    return text.encode("utf-8")


def parse_card(card: bytes | str) -> tuple[dict, str]:
    """Split README.md into (YAML metadata, markdown body); ({}, text) when there is no front matter."""
    text = card.decode("utf-8") if isinstance(card, bytes) else card
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---\n", 4)
    if end < 0:
        return {}, text
    return yaml.safe_load(text[4:end]) or {}, text[end + 5 :]


def provenance(*lines: str) -> str:
    """A "## Provenance" section from bullet lines."""
    return "## Provenance\n\n" + "\n".join(f"- {line}" for line in lines) + "\n"
