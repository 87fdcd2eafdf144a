"""Point the course at the repository it is published from: one URL, in pyproject.toml's [project.urls], and at
the organisation that owns its repos on the Hub: one name, pyproject.toml's [tool.hf-hands-on] org.

Writes the "Open in Colab" / "Launch Binder" badges under each notebook's title and in the README's table of
notebooks, the README's `git clone` line, and each notebook's setup cell (cell 2, the same in all of them: on Colab
it clones the course before anything of it is importable; `helpers.connect()` then installs it, see helpers/colab.py;
collapsed to its title in Colab and JupyterLab: SETUP_METADATA), and the ids of the course's own repos in every
notebook cell (`hf-hands-on/minilm-sentiment` -> `ORG/minilm-sentiment`, `hf-hands-on/…` and `author="hf-hands-on"`
too; the organisation the notebooks name now is in their metadata, `hf_hands_on.org`, absent for the default).

    python -m tools.publish          # rewrite notebooks and README from pyproject.toml
    python -m tools.publish --check  # exit 1 if anything is out of date (run by the tests)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from course_hub.settings import DEFAULT_ORG, course_org  # noqa: E402

BADGE_RE = re.compile(r"^\[!\[Open in Colab\].*$", re.M)
SETUP_INDEX = 2  # title, parameters, setup
SETUP_CELL = """\
#@title Setup: connect this notebook to the course hub (on Colab, fetch the course first)
import os, subprocess, sys
if "google.colab" in sys.modules:  # on Colab: fetch the course once; helpers.connect() installs it
    COURSE_DIR = os.environ.setdefault("COURSE_DIR", "/content/hf-hands-on")
    if not os.path.isdir(COURSE_DIR):
        subprocess.run(["git", "clone", "-q", "--depth=1", "{repo}", COURSE_DIR], check=True)
    sys.path.insert(0, COURSE_DIR)
import helpers
course = helpers.connect(hub=COURSE_HUB)"""
# the setup cell shows its title and output only: Colab's form view (the `#@title` line), JupyterLab's hidden source
SETUP_METADATA = {"cellView": "form", "jupyter": {"source_hidden": True}}
CLONE_RE = re.compile(r"git clone https://github\.com/\S+ && cd \S+")
TABLE_ROW_RE = re.compile(r"^\| (\d\d) \| (\[[^]]+\]\(notebooks/([^)]+\.ipynb)\)) \| ([^|]+) \|(?: [^|]*\|)?$", re.M)


def repository() -> str:
    """The course's public git repository (https://github.com/OWNER/NAME)."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return data["project"]["urls"]["Repository"].rstrip("/")


def org() -> str:
    """The organisation of the course's own repos, on the course hub and on huggingface.co."""

    return course_org(ROOT)


def course_repo_names() -> list[str]:
    """The names (without the organisation) of the course's own repos, longest first."""
    from course_content import REPO_IDS
    from helpers.practice import REPO as PRACTICE

    names = {i.split("/", 1)[1] for i in [*REPO_IDS, PRACTICE] if i.split("/", 1)[0] == PRACTICE.split("/", 1)[0]}
    return sorted(names, key=len, reverse=True)


def repo_id_re(old_org: str, names: list[str]) -> re.Pattern:
    """`OLD-ORG/name` for a course repo's name, as a whole id (not `learner/minilm-sentiment-capstone`), and the
    organisation's repos in general, `OLD-ORG/…` and `OLD-ORG/*`."""
    alternatives = [*map(re.escape, names), "…", r"\*"]
    return re.compile(rf"(?<![\w.-]){re.escape(old_org)}/({'|'.join(alternatives)})(?![\w.-])")


def with_org(text: str, old_org: str, org_name: str, names: list[str]) -> str:
    text = repo_id_re(old_org, names).sub(lambda m: f"{org_name}/{m[1]}", text)
    return text.replace(f'author="{old_org}"', f'author="{org_name}"')  # list_models/list_spaces(author=ORG)


def badges(repo: str, notebook: str, branch: str = "main") -> str:
    owner_name = repo.removeprefix("https://github.com/")
    colab = f"https://colab.research.google.com/github/{owner_name}/blob/{branch}/notebooks/{notebook}"
    binder = f"https://mybinder.org/v2/gh/{owner_name}/{branch}?labpath=notebooks%2F{notebook}"
    return (
        f"[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab}) "
        f"[![Launch Binder](https://mybinder.org/badge_logo.svg)]({binder})"
    )


def setup_cell(repo: str) -> str:
    """The setup cell's source: a Colab-only bootstrap, then the one call that connects the kernel."""
    return SETUP_CELL.replace("{repo}", repo)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def update_notebook(
    path: Path, repo: str, write: bool = True, org_name: str | None = None, names: list[str] = ()
) -> bool:
    """Badges as the second line of the title cell; the setup cell; the course repos' organisation in every cell
    (sources only: outputs are kept). True if changed."""
    nb = json.loads(path.read_text())
    changed = False
    old_org = nb["metadata"].get("hf_hands_on", {}).get("org", DEFAULT_ORG)
    if org_name and names and old_org != org_name:
        for cell in nb["cells"]:
            cell["source"] = _lines(with_org("".join(cell["source"]), old_org, org_name, names))
        nb["metadata"].pop("hf_hands_on", None)
        if org_name != DEFAULT_ORG:
            nb["metadata"]["hf_hands_on"] = {"org": org_name}
        changed = True
    title = "".join(nb["cells"][0]["source"])
    line = badges(repo, path.name)
    if BADGE_RE.search(title):
        new_title = BADGE_RE.sub(lambda _: line, title)
    else:
        head, _, rest = title.partition("\n")
        new_title = f"{head}\n\n{line}\n{rest}"
    changed |= new_title != title
    nb["cells"][0]["source"] = _lines(new_title)
    setup = nb["cells"][SETUP_INDEX]
    if setup["cell_type"] != "code" or "helpers.connect(" not in "".join(setup["source"]):
        raise SystemExit(f"{path.name}: cell {SETUP_INDEX} is not the setup cell")
    new = setup_cell(repo)
    changed |= "".join(setup["source"]) != new
    setup["source"] = _lines(new)
    metadata = {**setup.get("metadata", {}), **SETUP_METADATA}
    changed |= setup.get("metadata") != metadata
    setup["metadata"] = metadata
    if changed and write:
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return changed


def update_readme(path: Path, repo: str, write: bool = True) -> bool:
    text = path.read_text()
    new = TABLE_ROW_RE.sub(lambda m: f"| {m[1]} | {m[2]} | {m[4].strip()} | {badges(repo, m[3])} |", text)
    new = CLONE_RE.sub(f"git clone {repo} && cd {repo.rsplit('/', 1)[-1]}", new)
    new = new.replace(
        "| # | notebook | what you learn |\n|---|---|---|",
        "| # | notebook | what you learn | run it in the cloud |\n|---|---|---|---|",
    )
    if new != text and write:
        path.write_text(new)
    return new != text


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="only report what is out of date")
    args = p.parse_args(argv)
    repo, org_name, names = repository(), org(), course_repo_names()
    stale = [
        nb.relative_to(ROOT)
        for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        if update_notebook(nb, repo, write=not args.check, org_name=org_name, names=names)
    ]
    if update_readme(ROOT / "README.md", repo, write=not args.check):
        stale.append("README.md")
    for s in stale:
        print(f"{'out of date' if args.check else 'updated'}: {s}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
