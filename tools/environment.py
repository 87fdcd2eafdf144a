"""Write `environment.yml` (conda, Binder) from pyproject.toml, so both ask for the same packages.

torch comes from conda-forge's CPU-only `pytorch-cpu`, git and git-lfs from conda-forge too; every other package
from pip, with pyproject's lower bounds.

    python -m tools.environment          # rewrite environment.yml
    python -m tools.environment --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
PYTHON = "3.11"
CONDA = {"torch": "pytorch-cpu"}  # pip name -> conda-forge package
CONDA_TOOLS = ["git", "git-lfs"]  # programs, not Python packages: notebook 01 clones a model with git-lfs

HEADER = f"""\
# Conda environment for Binder and conda users: `conda env create -f environment.yml`.
# Generated from pyproject.toml by `python -m tools.environment` (a test checks they agree); Binder then runs
# postBuild, which installs the course itself and builds the course hub into the image.
name: hf-hands-on
channels:
  - conda-forge
dependencies:
  - python={PYTHON}
"""


def requirements() -> list[str]:
    """The course's dependencies and its [lab] extra (Binder is a JupyterLab with the hub behind its proxy)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project["dependencies"] + project["optional-dependencies"]["lab"]


def split(req: str) -> tuple[str, str]:
    for i, ch in enumerate(req):
        if ch in "<>=!~ ;[":
            return req[:i], req[i:]
    return req, ""


def render() -> str:
    conda, pip = [], []
    for req in requirements():
        name, spec = split(req)
        if name in CONDA:
            conda.append(f"  - {CONDA[name]}{spec}")
        else:
            pip.append(f"      - {req}")
    return HEADER + "\n".join([*conda, *(f"  - {name}" for name in CONDA_TOOLS), "  - pip", "  - pip:", *pip]) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true")
    args = p.parse_args(argv)
    path = ROOT / "environment.yml"
    text = render()
    if path.read_text() == text:
        return 0
    if args.check:
        print("environment.yml is out of date: run `python -m tools.environment`")
        return 1
    path.write_text(text)
    print("updated environment.yml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
