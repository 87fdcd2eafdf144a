"""The files Binder and Colab read agree with the course: environment.yml with pyproject.toml, every notebook's
setup cell and badges with the one configured repository URL. (The launches themselves: tests/launch/.)"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CONDA_NAMES = {"pytorch-cpu": "torch"}


def _name_spec(req: str) -> tuple[str, str]:
    m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", req.strip())
    return m[1].lower().replace("_", "-"), m[2].replace(" ", "")


def test_environment_yml_asks_for_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_name_spec(r) for r in project["dependencies"] + project["optional-dependencies"]["lab"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    got = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            got.update(_name_spec(r) for r in dep["pip"])
        else:
            name, spec = _name_spec(dep.replace("=", "==", 1) if re.match(r"^[\w\-]+=[^=]", dep) else dep)
            if name == "python":
                assert spec.startswith("==3.11"), "Binder's Python is pinned"
            elif name in CONDA_NAMES:
                got[CONDA_NAMES[name]] = spec
    assert got == wanted, "environment.yml and pyproject.toml differ: run `python -m tools.environment`"
    assert "pytorch-cpu" in {d.split("=")[0].split(">")[0] for d in env["dependencies"] if isinstance(d, str)}


def test_postbuild_installs_the_course_and_builds_the_hub():
    post = ROOT / "postBuild"
    assert os.access(post, os.X_OK)
    text = post.read_text()
    assert "set -euo pipefail" in text and "pip install --no-deps -e ." in text and "course-hub build" in text


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_has_badges_and_the_same_colab_setup_cell(nb):
    from tools.publish import badges, repository, setup_cell

    cells = json.loads(nb.read_text())["cells"]
    assert badges(repository(), nb.name) in "".join(cells[0]["source"])
    assert "parameters" in cells[1]["metadata"].get("tags", [])
    first = json.loads(NOTEBOOKS[0].read_text())["cells"][2]["source"]
    assert cells[2]["source"] == first, "the setup cell differs from notebook 00's"
    setup = "".join(cells[2]["source"])
    assert setup == setup_cell(repository()), "run `python -m tools.publish`"
    assert f'"{repository()}"' in setup and len(setup.splitlines()) <= 9, (
        "a title, a short bootstrap, helpers.connect()"
    )
    assert setup.startswith("#@title ") and cells[2]["metadata"].get("cellView") == "form"  # collapsed in Colab
    assert cells[2]["metadata"].get("jupyter", {}).get("source_hidden") is True  # and in JupyterLab
    assert setup.rstrip().endswith("course = helpers.connect(hub=COURSE_HUB)")


def test_connect_prepares_colab_itself():
    """The setup cell only clones the course on Colab; `helpers.connect()` installs it (helpers/colab.py)."""
    import inspect

    import helpers.bootstrap
    import helpers.colab

    source = inspect.getsource(helpers.bootstrap.connect)
    assert "colab.on_colab()" in source and "colab.prepare()" in source
    assert helpers.colab.COURSE_DIR == ROOT


def test_badges_and_setup_cells_are_up_to_date():
    from tools.publish import main

    assert main(["--check"]) == 0, "run `python -m tools.publish`"


def test_instructor_guide_schedule_is_up_to_date():
    from tools.schedule import main

    assert main(["--check"]) == 0, "run `python -m tools.schedule`"
