"""Self-checks for notebook 01 · Hub models.

    helpers.checks.nb01.check_top_permissive(answer)      # a repo id: most downloaded permissive text classifier
    helpers.checks.nb01.check_tokenizer_download(answer)  # the folder snapshot_download returned
    helpers.checks.nb01.check_eval_commit(answer)         # the commit that added minilm-sentiment-nc's results

Each check prints ✅ / ❌ (with a hint) / ⏳ and returns True or False; none raises. They ask the hub this kernel
is connected to (`HF_ENDPOINT`) with the real `huggingface_hub` calls, so they work on huggingface.co too.
"""

from __future__ import annotations

import re
from pathlib import Path

from course_hub.settings import course_org

from . import failed, is_placeholder, never_raises, not_started, passed

ORG = course_org()  # pyproject.toml's [tool.hf-hands-on] org ("hf-hands-on")

SENTIMENT = f"{ORG}/minilm-sentiment"
# the same model under a non-commercial license, more downloaded, with a commit titled "Add evaluation results" that
# adds none (course_content/noncommercial.py): what exercises 1 and 3 need to have a point
NONCOMMERCIAL = f"{ORG}/minilm-sentiment-nc"
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
TASK = "text-classification"
SHA_RE = re.compile(r"^[0-9a-f]{40}$")

# Licenses that let you use, change and redistribute a model, commercially too, with few conditions.
PERMISSIVE = {
    "apache-2.0",
    "mit",
    "bsd",
    "bsd-2-clause",
    "bsd-3-clause",
    "bsd-3-clause-clear",
    "isc",
    "zlib",
    "unlicense",
    "cc0-1.0",
    "cc-by-2.0",
    "cc-by-3.0",
    "cc-by-4.0",
    "bsl-1.0",
    "afl-3.0",
    "ecl-2.0",
    "postgresql",
    "wtfpl",
    "pddl",
    "odc-by",
    "artistic-2.0",
    "ms-pl",
    "ncsa",
    "mit-0",
    "0bsd",
}

# Files a tokenizer is loaded from (AutoTokenizer reads whichever of them a repo has).
TOKENIZER_FILES = {
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "spiece.model",
    "sentencepiece.bpe.model",
    "tokenizer.model",
    "chat_template.jinja",
}
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".onnx", ".h5", ".msgpack", ".ot", ".pt", ".pth", ".gguf", ".ckpt")


def licenses_of(model) -> list[str]:
    """The licenses a ModelInfo declares: its `license:…` tags, or `license` in its card data."""
    found = [t.split(":", 1)[1] for t in (model.tags or []) if t.startswith("license:")]
    if not found and model.card_data is not None:
        lic = model.card_data.get("license")
        found = [lic] if isinstance(lic, str) else list(lic or [])
    return [str(x).lower() for x in found]


def is_permissive(model) -> bool:
    lics = licenses_of(model)
    return bool(lics) and all(lic in PERMISSIVE for lic in lics)


def top_permissive(task: str = TASK, limit: int = 200) -> str | None:
    """The id of the most downloaded model for `task` whose license is permissive (asks the Hub)."""
    from huggingface_hub import HfApi

    for model in HfApi().list_models(pipeline_tag=task, sort="downloads", limit=limit, cardData=True):
        if is_permissive(model):
            return model.id
    return None


@never_raises
def check_top_permissive(answer, task: str = TASK) -> bool:
    """`answer` is a repo id ("namespace/name")."""
    if is_placeholder(answer):
        return not_started("answer")
    if hasattr(answer, "id") and hasattr(answer, "sha"):
        return failed(
            "`answer` is a ModelInfo object; the question asks for its id.",
            "Use `model.id`, a string like 'namespace/name'.",
        )
    if not isinstance(answer, str) or "/" not in answer:
        return failed(
            f"`answer` should be a repo id like 'namespace/name', not {answer!r}.",
            "Copy the `id` of a result of `list_models`: it includes the namespace.",
        )
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    answer = answer.strip()
    expected = top_permissive(task)
    if answer == expected:
        return passed(f"{answer} is the most downloaded {task} model with a permissive license.")
    try:
        info = HfApi().model_info(answer)
    except RepositoryNotFoundError:
        return failed(
            f"There is no model {answer!r} on this hub (or it is private).",
            "Copy the id from the results of `list_models`.",
        )
    if info.pipeline_tag != task:
        return failed(
            f"{answer} is a {info.pipeline_tag or 'untagged'} model, not {task}.",
            f"Filter with `pipeline_tag={task!r}`.",
        )
    lics = licenses_of(info)
    if not is_permissive(info):
        return failed(
            f"{answer}'s license is {', '.join(lics) or 'not declared'}: not a permissive license.",
            "Filter with `filter='license:apache-2.0'` (or mit), or read each result's `license:` tag.",
        )
    return failed(
        f"{answer} is a permissive {task} model, but not the most downloaded one.",
        "Sort with `sort='downloads'` (largest first) and take the first result.",
    )


def _snapshot_files(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and ".cache" not in p.relative_to(folder).parts
    )


@never_raises
def check_tokenizer_download(answer, repo_id: str = MINILM) -> bool:
    """`answer` is the folder `snapshot_download(...)` returned; it must hold the tokenizer files and nothing else."""
    if is_placeholder(answer):
        return not_started("answer")
    if not isinstance(answer, (str, Path)):
        return failed(f"`answer` should be the folder that `snapshot_download` returns, not {type(answer).__name__}.")
    folder = Path(answer)
    if not folder.is_dir():
        return failed(
            "`answer` is not a folder that exists.",
            "Use the return value of `snapshot_download(...)`: the local folder it filled.",
        )
    from huggingface_hub import HfApi

    got = _snapshot_files(folder)
    if not got:
        return failed(
            "The folder is empty: your allow_patterns matched no file.",
            "Compare your patterns with the file names that `list_repo_files` shows.",
        )
    info = HfApi().model_info(repo_id, files_metadata=True)
    remote = {s.rfilename: s.size for s in info.siblings}
    wanted = sorted(n for n in remote if n in TOKENIZER_FILES)
    weights = [n for n in got if n.endswith(WEIGHT_SUFFIXES)]
    if weights:
        return failed(
            f"You downloaded weights too: {', '.join(weights)}.",
            "List only tokenizer file names (or patterns like 'tokenizer*') in `allow_patterns`.",
        )
    missing = [n for n in wanted if n not in got]
    if missing:
        return failed(
            f"Missing tokenizer file(s): {', '.join(missing)}.",
            f"The tokenizer of {repo_id} is {', '.join(wanted)}: AutoTokenizer reads all of them.",
        )
    extra = [n for n in got if n not in wanted]
    if extra:
        return failed(
            f"These are not tokenizer files: {', '.join(extra)}.",
            "Narrow your patterns: `*.json` also matches the model's and sentence-transformers' configs.",
        )
    wrong = [n for n in wanted if (folder / n).stat().st_size != remote[n]]
    if wrong:
        return failed(
            f"{', '.join(wrong)} differ(s) in size from the Hub's copy.", "Download again into an empty cache_dir."
        )
    total = sum(remote[n] for n in wanted)
    return passed(
        f"Only the tokenizer: {len(wanted)} files, {total / 1e6:.1f} MB instead of "
        f"{sum(v or 0 for v in remote.values()) / 1e6:.1f} MB for the whole repo."
    )


def _has_eval_results(api, repo_id: str, revision: str) -> bool:
    card = api.model_info(repo_id, revision=revision).card_data
    return bool(card is not None and (card.get("model-index") or card.eval_results))


@never_raises
def check_eval_commit(answer, repo_id: str = NONCOMMERCIAL) -> bool:
    """`answer` is the full id (SHA) of the commit that added the evaluation results (`model-index`) to the card."""
    if is_placeholder(answer):
        return not_started("answer")
    if hasattr(answer, "commit_id"):
        return failed(
            "`answer` is a GitCommitInfo object; the question asks for its id.",
            "Use `.commit_id`, the 40-character SHA.",
        )
    if not isinstance(answer, str):
        return failed(
            f"`answer` should be a commit id (a string of 40 hexadecimal characters), not {type(answer).__name__}."
        )
    from huggingface_hub import HfApi

    api = HfApi()
    answer = answer.strip()
    commits = api.list_repo_commits(repo_id)  # newest first
    ids = [c.commit_id for c in commits]
    if answer not in ids:
        refs = api.list_repo_refs(repo_id)
        if answer in [b.name for b in refs.branches] + [t.name for t in refs.tags]:
            return failed(
                f"{answer!r} is a branch or tag name, not a commit id.",
                "Look at `list_repo_commits`: each GitCommitInfo has a `commit_id`.",
            )
        matches = [i for i in ids if len(answer) >= 4 and i.startswith(answer)]
        if matches:
            return failed("That is the start of a commit id, but shortened.", "Give all 40 characters of `commit_id`.")
        return failed(
            f"{answer!r} is not a commit of {repo_id}.", f"List them with `HfApi().list_repo_commits({repo_id!r})`."
        )
    i = ids.index(answer)
    has_now = _has_eval_results(api, repo_id, answer)
    has_before = i + 1 < len(ids) and _has_eval_results(api, repo_id, ids[i + 1])
    title = commits[i].title
    if has_now and not has_before:
        return passed(f"Commit {answer[:7]}… ({title!r}) added `model-index` to the card.")
    if not has_now and ("result" in title.lower() or "eval" in title.lower()):
        return failed(
            f"Commit {answer[:7]}… is titled {title!r}, but its card has no evaluation results (no `model-index`): "
            "a title says what its author meant to do, not what the commit changed.",
            "Read `model_info(repo, revision=sha).card_data.eval_results` at each commit, oldest first.",
        )
    if not has_now:
        return failed(
            f"At commit {answer[:7]}… ({title!r}) the card has no evaluation results yet.",
            "Look at a newer commit: compare `model_info(repo, revision=sha).card_data` across commits.",
        )
    return failed(
        f"At commit {answer[:7]}… ({title!r}) the card already had its results from an older commit.",
        "Find the commit whose card has `model-index` while the one before it does not.",
    )
