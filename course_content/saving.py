"""Small fixes applied to files that `save_pretrained` writes, so the repos look like the Hub's."""

from __future__ import annotations

import json
from pathlib import Path

# keys transformers 5 writes into tokenizer_config.json that describe the local load, not the tokenizer
LOCAL_ONLY_KEYS = ("is_local", "local_files_only")


def tidy_tokenizer_config(folder: Path, **overrides) -> None:
    """Drop load-time keys from tokenizer_config.json and apply `overrides` (e.g. model_max_length)."""
    path = Path(folder) / "tokenizer_config.json"
    config = json.loads(path.read_text())
    for key in LOCAL_ONLY_KEYS:
        config.pop(key, None)
    config.update(overrides)
    path.write_text(json.dumps(config, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
