"""Read a repo card (README.md with YAML metadata) and derive the Hub's tags from it."""
from __future__ import annotations

import re

import yaml

FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(\n|\Z)", re.S)


def card_data(readme: bytes | None) -> dict:
    """The YAML block at the top of a README.md, or {} (also for malformed YAML)."""
    if not readme:
        return {}
    m = FRONT_MATTER.match(readme.decode("utf-8", "replace"))
    if not m:
        return {}
    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def validate_yaml(content: str) -> list[str]:
    """Problems with a card's YAML (what `/api/validate-yaml` reports).

    The clients send the whole README.md: only its `---` metadata block is YAML; a card without one is fine."""
    m = FRONT_MATTER.match(content.lstrip("\ufeff"))
    if not m:
        return []
    content = m.group(1)
    try:
        data = yaml.safe_load(content) if content.strip() else {}
    except yaml.YAMLError as e:
        return [f"YAML could not be parsed: {e}"]
    if data is not None and not isinstance(data, dict):
        return ["The card metadata must be a YAML mapping"]
    return []


def as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None]
    return [str(value)]


def derive_tags(repo_type: str, card: dict, filenames: list[str]) -> list[str]:
    """Tags as the Hub shows them: card tags, library, task, `license:…`, `dataset:…`, `base_model:…`, …"""
    tags: list[str] = []

    def add(*values):
        for v in values:
            if v and v not in tags:
                tags.append(v)

    if repo_type == "model":
        add(card.get("library_name"))
        if any(f.endswith(".safetensors") for f in filenames):
            add("safetensors")
        add(*as_list(card.get("tags")))
        add(card.get("pipeline_tag"))
        add(*as_list(card.get("language")))
        add(*(f"dataset:{d}" for d in as_list(card.get("datasets"))))
        add(*(f"base_model:{b}" for b in as_list(card.get("base_model"))))
        add(*(f"license:{lic}" for lic in as_list(card.get("license"))))
    elif repo_type == "dataset":
        add(*as_list(card.get("tags")))
        add(*(f"task_categories:{t}" for t in as_list(card.get("task_categories"))))
        add(*(f"language:{t}" for t in as_list(card.get("language"))))
        add(*(f"size_categories:{t}" for t in as_list(card.get("size_categories"))))
        if any(f.endswith(".parquet") for f in filenames):
            add("format:parquet")
        add("library:datasets")
        add(*(f"license:{lic}" for lic in as_list(card.get("license"))))
    else:
        add(card.get("sdk"))
        add(*as_list(card.get("tags")))
        add(*(f"license:{lic}" for lic in as_list(card.get("license"))))
    return tags

