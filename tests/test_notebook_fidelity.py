"""Online fidelity of the notebooks: a cell that names an upstream repo (anything outside `course/` and `alice/`)
must not pin a revision that only the course hub has. The tags the build creates come from `course_content`'s
`RepoSpec(..., tags={...})`, read from the source (no build needed); on huggingface.co such a pin would raise
`RevisionNotFoundError`."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
COURSE_NAMESPACES = ("hf-hands-on/", "alice/")


def invented_tags() -> set[str]:
    """Every tag name a `RepoSpec(tags={...})` in course_content/*.py gives a repo."""
    tags = set()
    for path in sorted((ROOT / "course_content").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "RepoSpec":
                for kw in node.keywords:
                    if kw.arg == "tags" and isinstance(kw.value, ast.Dict):
                        tags |= {k.value for k in kw.value.keys if isinstance(k, ast.Constant)}
    return tags


def _code(source: str) -> str:
    """A cell's Python, without IPython's `!`/`%` lines."""
    return "\n".join("" if line.lstrip().startswith(("!", "%")) else line for line in source.splitlines())


def pinned_calls(source: str) -> list[tuple[str, str, int]]:
    """(repo id, revision, line) of every call in `source` with a literal repo id and a literal `revision=`."""
    found = []
    for node in ast.walk(ast.parse(_code(source))):
        if not isinstance(node, ast.Call):
            continue
        kwargs = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        rev = kwargs.get("revision")
        if not (isinstance(rev, ast.Constant) and isinstance(rev.value, str)):
            continue
        candidates = [*node.args, kwargs.get("model"), kwargs.get("repo_id"), kwargs.get("model_name_or_path")]
        for arg in candidates:
            if (
                isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
                and arg.value.count("/") == 1
                and not arg.value.startswith((".", "/"))
            ):
                found.append((arg.value, rev.value, node.lineno))
    return found


def test_the_build_invents_tags():
    assert "v1.0" in invented_tags()


def test_the_scanner_finds_pins():
    src = (
        'pipeline("feature-extraction", model="sentence-transformers/all-MiniLM-L6-v2", revision="v1.0")\n'
        'AutoModel.from_pretrained("hf-hands-on/minilm-sentiment", revision="v1.0")\n!git clone x y\n'
    )
    assert pinned_calls(src) == [
        ("sentence-transformers/all-MiniLM-L6-v2", "v1.0", 1),
        ("hf-hands-on/minilm-sentiment", "v1.0", 2),
    ]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_upstream_repos_are_not_pinned_to_course_only_revisions(nb):
    tags = invented_tags()
    bad = []
    for i, cell in enumerate(json.loads(nb.read_text())["cells"]):
        if cell["cell_type"] != "code":
            continue
        for repo_id, rev, line in pinned_calls("".join(cell["source"])):
            if not repo_id.startswith(COURSE_NAMESPACES) and rev in tags:
                bad.append(f"cell {i} line {line}: {repo_id} @ {rev!r}")
    assert not bad, (
        "revisions only the course hub has, on upstream repos (online mode would raise "
        "RevisionNotFoundError; pin a revision that exists upstream, or none):\n" + "\n".join(bad)
    )
