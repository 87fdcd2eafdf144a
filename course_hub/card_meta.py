"""A repo card's metadata, read by the hub: the YAML block of README.md, its validation (`validate-yaml`, commits),
the Hub's tags derived from it. (The course's own cards are written by `course_content.cards`.)"""

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


MISSING_METADATA = (
    "Empty or missing yaml metadata in repo card (https://huggingface.co/docs/hub/model-cards#model-card-metadata)"
)
SPACE_SDKS = ("gradio", "streamlit", "docker", "static")


def validate_yaml(content: str) -> list[str]:
    """Problems with a card's YAML (the errors of `validate_card` for a model card)."""
    return validate_card(content)[0]


def validate_card(content: str, repo_type: str = "model") -> tuple[list[str], list[str]]:
    """(errors, warnings) for a README.md, as `/api/validate-yaml` answers them: YAML that does not parse, or
    known fields of the wrong type (`model-index: foo`), are errors; a card without metadata is a warning."""
    m = FRONT_MATTER.match(content.lstrip("\ufeff"))
    if not m:
        return [], [MISSING_METADATA]
    content = m.group(1)
    try:
        data = yaml.safe_load(content) if content.strip() else {}
    except yaml.YAMLError as e:
        return [f"YAML could not be parsed: {e}"], []
    if data is None or data == {}:
        return [], [MISSING_METADATA]
    if not isinstance(data, dict):
        return ["The card metadata must be a YAML mapping"], []
    errors: list[str] = []
    for key, check in FIELDS.items():
        if key in data and data[key] is not None:
            check(f'"{key}"', data[key], errors)
    for key, check in {"dataset": DATASET_FIELDS, "space": SPACE_FIELDS}.get(repo_type, {}).items():
        if key in data and data[key] is not None:
            check(f'"{key}"', data[key], errors)
    if repo_type == "model" and "model-index" in data:
        _model_index(data["model-index"], errors)
    return errors, []


def _string(name, value, errors):
    if not isinstance(value, str):
        errors.append(f"{name} must be a string")


def _strings(name, value, errors):
    if isinstance(value, str):
        return
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.append(f"{name} must be a string or an array of strings")


def _bool(name, value, errors):
    if not isinstance(value, bool):
        errors.append(f"{name} must be a boolean")


def _one_of(*allowed):
    def check(name, value, errors):
        if value not in allowed:
            errors.append(f"{name} must be one of [{', '.join(allowed)}]")

    return check


FIELDS = {
    "license": _strings,
    "license_name": _string,
    "license_link": _string,
    "language": _strings,
    "tags": _strings,
    "datasets": _strings,
    "metrics": _strings,
    "base_model": _strings,
    "library_name": _string,
    "pipeline_tag": _string,
    "thumbnail": _string,
    "new_version": _string,
    "extra_gated_prompt": _string,
    "pretty_name": _string,
}
DATASET_FIELDS = {
    "task_categories": _strings,
    "task_ids": _strings,
    "size_categories": _strings,
    "multilinguality": _strings,
    "annotations_creators": _strings,
    "source_datasets": _strings,
    "dataset_info": lambda n, v, e: (
        None if isinstance(v, (dict, list)) else e.append(f"{n} must be of type object or array")
    ),
}
SPACE_FIELDS = {
    "sdk": _one_of(*SPACE_SDKS),
    "title": _string,
    "emoji": _string,
    "app_file": _string,
    "pinned": _bool,
    "models": _strings,
    "sdk_version": lambda n, v, e: None if isinstance(v, (str, int, float)) else e.append(f"{n} must be a string"),
}


def _model_index(value, errors):
    """The schema the Hub holds `model-index` to: name, results[{task{type}, dataset{type, name}, metrics[{type,
    value}]}]."""
    if not isinstance(value, list):
        errors.append('"model-index" must be an array')
        return
    for i, entry in enumerate(value):
        at = f'"model-index[{i}]'
        if not isinstance(entry, dict):
            errors.append(f'{at}" must be of type object')
            continue
        if not isinstance(entry.get("name"), str):
            errors.append(f'{at}.name" is required and must be a string')
        results = entry.get("results")
        if not isinstance(results, list):
            errors.append(f'{at}.results" is required and must be an array')
            continue
        for j, result in enumerate(results):
            rat = f"{at}.results[{j}]"
            if not isinstance(result, dict):
                errors.append(f'{rat}" must be of type object')
                continue
            task = result.get("task")
            if not isinstance(task, dict) or not isinstance(task.get("type"), str):
                errors.append(f'{rat}.task.type" is required and must be a string')
            dataset = result.get("dataset")
            if not isinstance(dataset, dict) or not all(isinstance(dataset.get(k), str) for k in ("type", "name")):
                errors.append(f'{rat}.dataset" must be an object with a string "type" and "name"')
            metrics = result.get("metrics")
            if not isinstance(metrics, list) or not metrics:
                errors.append(f'{rat}.metrics" is required and must be a non-empty array')
                continue
            for k, metric in enumerate(metrics):
                if not isinstance(metric, dict) or not isinstance(metric.get("type"), str) or "value" not in metric:
                    errors.append(f'{rat}.metrics[{k}]" must be an object with a string "type" and a "value"')


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
