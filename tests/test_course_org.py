"""The course's organisation, configured once (pyproject.toml's [tool.hf-hands-on] org) and written into the
notebooks by `python -m tools.publish`; `course-hub build` names the course's repos with it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from course_hub.settings import DEFAULT_ORG, course_org
from tools import publish

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_org_is_read_from_pyproject(tmp_path):
    assert course_org(ROOT) == DEFAULT_ORG == "hf-hands-on"
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "hf-hands-on"\n\n[tool.hf-hands-on]\norg = "acme"\n')
    assert course_org(tmp_path) == "acme"
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "hf-hands-on"\n')
    assert course_org(tmp_path) == "hf-hands-on"


def test_publish_rewrites_the_course_repo_ids_and_back(tmp_path):
    repo, names = publish.repository(), publish.course_repo_names()
    assert {"minilm-sentiment", "gated-sentiment", "sentiment-snippets", "sentiment-demo", "typo-practice"} <= set(
        names
    )
    copies = []
    for nb in NOTEBOOKS:
        shutil.copy(nb, tmp_path / nb.name)
        copies.append(tmp_path / nb.name)
    assert [publish.update_notebook(p, repo, org_name="acme", names=names) for p in copies] == [True] * len(copies)
    # idempotent, and what --check sees once it is done
    assert not any(publish.update_notebook(p, repo, write=False, org_name="acme", names=names) for p in copies)
    nb04 = json.loads((tmp_path / "04_tokens_and_gated_models.ipynb").read_text())
    sources = "".join("".join(c["source"]) for c in nb04["cells"])
    assert 'GATED = "acme/gated-sentiment"' in sources and '"hf-hands-on/gated-sentiment"' not in sources
    assert "hf-hands-on/no-such-model" in sources and "alice/private-notes" in sources  # not the course's repos
    assert nb04["metadata"]["hf_hands_on"] == {"org": "acme"}
    nb08 = "".join("".join(c["source"]) for c in json.loads((tmp_path / NOTEBOOKS[8].name).read_text())["cells"])
    assert "/minilm-sentiment-capstone" in nb08 and "acme/minilm-sentiment-capstone" not in nb08
    # the notebooks disagree with the config: --check's answer
    assert all(publish.update_notebook(p, repo, write=False, org_name="hf-hands-on", names=names) for p in copies)
    assert all(publish.update_notebook(p, repo, org_name="hf-hands-on", names=names) for p in copies)
    assert all((tmp_path / nb.name).read_text() == nb.read_text() for nb in NOTEBOOKS), "not back to the original"


def test_the_notebooks_agree_with_the_config():
    assert publish.main(["--check"]) == 0, "run `python -m tools.publish`"


# Where the course's repos live: one sentence, the same in every notebook that uses them (review 3, "The org")
ORG_SENTENCE = (
    "The course's own repos, `{org}/…`, live on the course hub and, once its publisher has pushed them there, "
    "on huggingface.co under the same names (`python -m tools.publish` rewrites these ids when the course is "
    "published under another organisation)."
)
ONLY_HERE_RE = r"only on the course hub|exists? only (on the course hub|there)|on the course hub only"


def markdown(nb: Path) -> list[str]:
    return [
        " ".join("".join(c["source"]).split())
        for c in json.loads(nb.read_text())["cells"]
        if c["cell_type"] == "markdown"
    ]


@pytest.mark.parametrize("nb", NOTEBOOKS[:9], ids=lambda p: p.stem)
def test_every_notebook_says_where_the_course_repos_live(nb):
    import re

    sentence = ORG_SENTENCE.format(org=course_org(ROOT))
    cells = markdown(nb)
    assert sum(sentence in c for c in cells) == 1, f"{nb.name}: the org sentence, once (tests/test_course_org.py)"
    for c in cells:  # nothing else about the org's repos being on the course hub only
        for m in re.finditer(ONLY_HERE_RE, c):
            before = c[max(0, m.start() - 120) : m.start()]
            assert f"{course_org(ROOT)}/" not in before.rsplit(".", 1)[-1], f"{nb.name}: {before + m[0]!r}"


def test_author_filters_name_the_org():
    """`list_models(author=...)` / `list_spaces(author=...)` name the configured org (publish rewrites them)."""
    old = 'author="course"'
    assert not [nb.name for nb in NOTEBOOKS if old in nb.read_text()]
    assert publish.with_org('author="hf-hands-on" and `hf-hands-on/…`', "hf-hands-on", "acme", ["x"]) == (
        'author="acme" and `acme/…`'
    )
