"""The tree's rules, checked: which package may import which, the course hub's layers, and a light server.

    helpers/         the notebooks' package          -> may import course_hub
    course_content/  what `course-hub build` writes   -> may import course_hub
    course_hub/      the server, storage, policy, CLI -> imports neither (the CLI's `build` loads course_content lazily)

Inside course_hub, imports only go down the layers below (docs/architecture.md has the picture).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("course_hub", "course_content", "helpers")
MAY_IMPORT = {"course_hub": set(), "course_content": {"course_hub"}, "helpers": {"course_hub"}}
# the one upward edge, loaded only when `course-hub build` runs
LAZY_ALLOWED = {("course_hub/cli.py", "course_content")}

# course_hub's layers, bottom up; a module may import its own layer or a lower one. Subpackages (web, inference,
# spaces, ...) are route handlers unless listed.
LAYERS = [
    {"errors", "settings", "hubdir", "names", "cards", "lfs", "gitrepo", "gitmatch", "store"},  # storage, plain data
    {"policy", "hub"},  # who may do what; the model
    {"http", "listing", "classroom", "jupyterhub"},  # HTTP toolkit, JSON shapes
    {
        "api_access",
        "api_course",
        "api_files",
        "api_lfs",
        "api_manage",
        "api_read",
        "api_social",
        "api_write",
        "git_http",
    },  # route handlers
    {"app"},  # the route table
    {"server", "publish"},  # uvicorn, server.json; publish: a client of a remote hub reading the local hub dir
    {"cli", "__main__"},  # the command
]
HANDLER_LAYER = 3


def layer_of(module: str) -> int:
    """module: a dotted name inside course_hub ('policy', 'web.routes')."""
    top = module.split(".")[0]
    for n, names in enumerate(LAYERS):
        if top in names:
            return n
    if top == "__init__":
        return 0
    return HANDLER_LAYER


def imports(path: Path, package_parts: list[str]) -> list[tuple[str, bool]]:
    """(absolute module name, at module level?) for every import in the file."""
    tree = ast.parse(path.read_text(), str(path))
    top_level = {id(n) for n in tree.body} | {
        id(n) for b in tree.body if isinstance(b, ast.Try) for n in b.body + b.finalbody
    }
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, id(node) in top_level) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
                if not node.module:  # `from . import a, b`
                    out += [(f"{name}.{a.name}", id(node) in top_level) for a in node.names]
                    continue
            else:
                name = node.module
            out.append((name, id(node) in top_level))
    return out


def module_files():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            parts = list(rel.with_suffix("").parts)
            package_parts = parts if path.name == "__init__.py" else parts[:-1]
            if path.name == "__init__.py":
                package_parts = parts[:-1]
            yield package, rel, path, package_parts


def test_packages_import_only_down():
    bad = []
    for package, rel, path, package_parts in module_files():
        for name, _ in imports(path, package_parts):
            target = name.split(".")[0]
            if (
                target in PACKAGES
                and target != package
                and target not in MAY_IMPORT[package]
                and (rel.as_posix(), target) not in LAZY_ALLOWED
            ):
                bad.append(f"{rel} imports {name}")
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_course_hub_layers():
    bad = []
    for package, rel, path, package_parts in module_files():
        if package != "course_hub":
            continue
        inner = ".".join(rel.with_suffix("").parts[1:]) or "__init__"
        mine = layer_of(inner)
        for name, at_top in imports(path, package_parts):
            if not name.startswith("course_hub.") or not at_top:
                continue
            theirs = layer_of(name[len("course_hub.") :])
            if theirs > mine:
                bad.append(f"{rel} (layer {mine}) imports {name} (layer {theirs})")
    assert not bad, "imports that go up course_hub's layers:\n" + "\n".join(bad)


def test_every_module_has_a_layer():
    """A new module of course_hub's top level says where it sits (subpackages are route packages)."""
    listed = set().union(*LAYERS) | {"__init__"}
    unlisted = [
        p.name for p in (ROOT / "course_hub").glob("*.py") if p.stem not in listed and not p.stem.startswith("api_")
    ]  # api_*: route handlers
    assert not unlisted, f"add these to LAYERS in tests/test_architecture.py (and docs/architecture.md): {unlisted}"


def test_the_checker_sees_an_upward_edge(tmp_path):
    """The walker is not blind: a relative import from a low layer to a high one, and a cross-package import."""
    fake = tmp_path / "course_hub" / "store.py"
    fake.parent.mkdir()
    fake.write_text("from .app import ROUTES\nimport helpers.bootstrap\n\ndef f():\n    from .cli import main\n")
    found = imports(fake, ["course_hub"])
    assert ("course_hub.app", True) in found and ("helpers.bootstrap", True) in found
    assert ("course_hub.cli", False) in found
    assert layer_of("app") > layer_of("store")


def test_the_server_is_light():
    """Serving needs no torch, transformers, datasets, gradio — nor the course's other packages."""
    code = (
        "import sys, course_hub, course_hub.app, course_hub.cli, course_hub.server\n"
        "print(sorted(m for m in ('torch', 'transformers', 'datasets', 'gradio', 'helpers', 'course_content') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def tracked_text_files():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        p = ROOT / f
        if p.suffix in (".png", ".jpg", ".gif", ".whl", ".tar", ".gz") or not p.is_file():
            continue
        yield f, p.read_text(errors="replace")


def test_no_old_module_path_remains():
    old = ["helpers" + ".hub", "helpers" + "/hub"]  # the course hub's home before it became its own package
    hits = [f for f, text in tracked_text_files() if any(o in text for o in old)]
    assert not hits, f"the old module path is still named in: {hits}"


def test_readme_layout_names_real_paths():
    """Every path the README's layout paragraph names exists."""
    text = (ROOT / "README.md").read_text()
    start = text.index("Layout")
    end = text.find("\n\n", start)
    section = text[start : end if end > 0 else None]
    names = [n for n in __import__("re").findall(r"`([\w./-]+)`", section) if "/" in n or n.endswith(".py")]
    assert names, "the layout paragraph names no paths"
    missing = [n for n in names if not (ROOT / n).exists()]
    assert not missing, f"the README's layout names paths that do not exist: {missing}"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_has_a_docstring(package):
    assert ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text())), package
