"""What a learner installs is what the course needs: every `dependencies` entry of pyproject.toml is imported by the
notebooks, helpers/, course_hub/ or course_content/ (or named below with the reason it needs no import), never only by
tests/, tools/ or benchmarks/; the tooling lives in the extras `[lab]` and `[test]`, which `make setup` installs.

Imports are read with `ast` (notebooks: their code cells, IPython's `!`/`%` lines left out) and mapped to the
distributions installed here (`importlib.metadata.packages_distributions`)."""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = ("helpers", "course_hub", "course_content")  # and notebooks/*.ipynb
TOOLING = ("tests", "tools", "benchmarks")
# dependencies the course uses without an import statement of its own
USED_WITHOUT_IMPORT = {
    "accelerate": "transformers' device_map= and Trainer (notebooks 02 and 08)",
    "gguf": "transformers reads SmolLM2's GGUF file with it (course_content/smollm2.py)",
    "scikit-learn": "course_content/digits.py reads the digits file inside its wheel, never importing it",
}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def names(reqs: list[str]) -> set[str]:
    return {canonical(re.match(r"[A-Za-z0-9_.\-]+", r)[0]) for r in reqs}


def module_imports(source: str) -> set[str]:
    """Top-level module names that `source` imports (absolute imports only)."""
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


def notebook_code(path: Path) -> str:
    return notebook_code_of(json.loads(path.read_text()))


def notebook_code_of(notebook: dict) -> str:
    """A notebook's code cells as one Python source, IPython's shell and magic lines left out; a cell magic's body
    only when it writes a .py file (`%%writefile app.py`: a Space's app, run by the course hub's Spaces)."""
    sources = []
    for cell in notebook["cells"]:
        source = "".join(cell["source"]) if cell["cell_type"] == "code" else ""
        first = source.lstrip().split("\n", 1)[0]
        if first.startswith("%%") and not (first.startswith("%%writefile") and first.endswith(".py")):
            continue
        sources.append("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("!", "%"))))
    return "\n".join(sources)


@cache
def distributions_imported_by(folders: tuple[str, ...], notebooks: bool = False) -> frozenset[str]:
    """Canonical names of the installed distributions whose modules these folders (and the notebooks) import."""
    modules = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            modules |= module_imports(path.read_text())
    if notebooks:
        for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
            modules |= module_imports(notebook_code(path))
    owners = packages_distributions()
    return frozenset(canonical(d) for m in modules for d in owners.get(m, ()))


def runtime_imports() -> frozenset[str]:
    return distributions_imported_by(RUNTIME, notebooks=True)


def tooling_imports() -> frozenset[str]:
    return distributions_imported_by(TOOLING)


def test_the_scan_sees_the_notebooks_and_the_tests():
    assert {"ipywidgets", "matplotlib", "pandas", "transformers"} <= runtime_imports()  # notebooks' cells
    assert {"ipykernel", "psutil", "starlette", "dulwich"} <= runtime_imports()  # helpers/, course_hub/
    assert {"pytest", "papermill", "hypothesis", "playwright"} <= tooling_imports()
    assert not {"pytest", "papermill", "hypothesis", "playwright", "nbval"} & runtime_imports()
    assert module_imports("import a.b, c\nfrom d.e import f\nfrom . import g\n") == {"a", "c", "d"}
    app = "%%writefile app.py\nimport gradio as gr\n"
    nb = {"cells": [{"cell_type": "code", "source": [app]}, {"cell_type": "code", "source": ["%%bash\nls -l\n"]}]}
    assert "import gradio as gr" in notebook_code_of(nb) and "ls -l" not in notebook_code_of(nb)


def test_no_dependency_is_only_for_tests_tools_or_benchmarks():
    only_tooling = sorted(
        name
        for name in names(project()["dependencies"])
        if name in tooling_imports() and name not in runtime_imports() and name not in USED_WITHOUT_IMPORT
    )
    assert not only_tooling, (
        f"imported only by {', '.join(TOOLING)}: move to [project.optional-dependencies] test "
        f"(a learner's runtime, Colab's included, installs `dependencies`): {only_tooling}"
    )


def test_every_dependency_is_used_by_the_course():
    unused = sorted(
        name
        for name in names(project()["dependencies"])
        if name not in runtime_imports() and name not in USED_WITHOUT_IMPORT
    )
    assert not unused, f"no notebook, helper, course_hub or course_content module imports {unused}"
    assert set(USED_WITHOUT_IMPORT) <= names(project()["dependencies"]), "a reason for a package not depended on"


def test_the_extras_hold_the_tooling_and_setup_installs_them():
    extras = project()["optional-dependencies"]
    assert set(extras) == {"lab", "test"}
    assert {"jupyterlab", "jupyter-server-proxy"} == names(extras["lab"])
    assert {"pytest", "nbval", "papermill", "playwright", "hypothesis", "ruff"} <= names(extras["test"])
    for extra in extras.values():
        assert not names(extra) & names(project()["dependencies"]), "a package both in dependencies and an extra"
        assert not names(extra) & runtime_imports(), "the course imports it: it belongs in dependencies"
    makefile = (ROOT / "Makefile").read_text()
    assert '-e ".[lab,test]"' in makefile, "make setup (and so make test, .ci/run) installs both extras"
    # Binder: environment.yml has the lab (tools/environment.py); the workshop pack installs the lab
    assert "jupyter-server-proxy" in (ROOT / "environment.yml").read_text()
    from tools.pack import INSTALL_SH

    assert '-e ".[lab]"' in INSTALL_SH
