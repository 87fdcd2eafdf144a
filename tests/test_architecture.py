"""The tree's rules, checked: which package may import which, the layers inside them, no import cycle, a light server.

    helpers/         the notebooks' package          -> may import course_hub
    course_content/  what `course-hub build` writes   -> may import course_hub
    course_hub/      the server, storage, policy, CLI -> imports neither (the CLI's `build` loads course_content lazily)

Inside course_hub, imports only go down the layers below (docs/architecture.md has the picture); inside its route
packages (web/, inference/, spaces/) down their own order; inside helpers down HELPERS_LAYERS. Every import counts,
at module level or inside a function: a lazy import still ties the modules together (the circle
`app -> spaces -> spaces.runtime -> server -> app` was made of lazy imports).

How each rule was seen to fail (issue 30): the rule was broken on purpose, the test run, the change reverted.
- test_course_hub_layers: `from ..server import free_port` inside `SpaceManager._start` (spaces.runtime, layer 3,
  importing server, layer 5) fails it, as does `from ..web.render import markdown` back in api/community.py (a handler
  importing the website's package, which sits above the API), and
  `from . import community` inside a function of web/routes (web's own order).
- test_helpers_layers: `from .jupyter_proxy import ...` inside bootstrap (the plugin above the bootstrap) fails it.
- test_no_import_cycle: the two circles (runtime taking free_port from server again; bootstrap importing
  jupyter_proxy again) each fail it, with the circle printed.
- test_every_module_has_a_layer: a new `course_hub/web/x.py` (or a new subpackage) not in the tables fails it.
- test_nothing_above_the_model_touches_the_store: in a copy of course_hub, `ctx.hub.store.like(...)` back in
  api/social.py's `like` and `from ..store import Store` inside a function of web/viewer.py were both reported
  (`store_touches(copy)`), the real tree gives none.
The `test_the_checker_sees_*` tests keep fake trees with each problem, so that the checker itself cannot go blind.
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

# course_hub's layers, bottom up; a module may import its own layer or a lower one (at module level or in a
# function). A route package (ROUTE_PACKAGES) sits in one layer as a whole and has its own order inside.
LAYERS = [
    # plain data and storage (stages: the Spaces' stage enum; urls: the one URL builder; local: a hub on this
    # machine, started or found, and its saved tokens)
    {"errors", "settings", "hubdir", "names", "card_meta", "lfs", "gitrepo", "gitmatch", "store", "net", "markdown"}
    | {"flavour"}  # flavour: what a hub that answers as huggingface.co does leaves out (course_hub/flavour.py)
    | {"urls", "stages", "local", "xet"},  # xet: the Xet protocol's formats and store
    # who may do what; the model: `Hub` and its operations (hub_*: `hub.accounts`, `hub.access`, `hub.social`, …);
    # `course_hub` itself re-exports Hub
    {"policy", "hub", "hub_accounts", "hub_access", "hub_social", "hub_community", "hub_webhooks", "__init__"},
    {"http", "listing", "classroom", "jupyterhub"},  # HTTP toolkit, JSON shapes
    {"api", "spaces", "inference"},  # route handlers: the API (with git), Spaces, inference: route packages
    {"web"},  # the website: pages over the hub's operations (and api.files' downloads)
    {"app"},  # the route table
    {"server", "publish"},  # uvicorn, server.json; publish: a client of a remote hub reading the local hub dir
    {"cli", "__main__"},  # the command
]
HANDLER_LAYER = 3
# inside a route package, bottom up (its `__init__` exports its ROUTES or its main class: on top)
ROUTE_PACKAGES = {
    "api": [
        {"read", "files", "lfs", "xet", "git_http", "course", "access", "social", "community", "webhooks"},
        {"write"},  # commits: hands create_pr and refs/pr/N to community
        {"manage"},
        {"__init__"},
    ],
    "spaces": [{"runtime", "proxy", "sandbox", "warm", "relay"}, {"routes"}, {"__init__"}],
    "xet": [{"chunking", "hashing"}, {"xorb", "shard"}, {"store"}, {"service", "__init__"}],
    "inference": [{"protocol", "batching"}, {"snapshots", "service", "worker"}, {"api"}, {"__init__"}],
    "web": [{"session", "viewer", "render", "jupyterhub_login"}, {"routes"}, {"community"}, {"__init__"}],
}
# helpers, bottom up: plain modules; the bootstrap (connect, ensure_server); what stands on it (the Jupyter
# server's plugin, the Gradio helpers that link through it, the package's `connect`)
HELPERS_LAYERS = [
    {"strict_warnings", "colab", "kernels", "lesson", "checks", "webhook_receiver", "xet_report"},
    {"bootstrap", "practice"},
    {"jupyter_proxy", "gradio_tools", "links", "__init__"},
]


def layer_of(module: str) -> tuple[int, int]:
    """module: a dotted name inside course_hub ('policy', 'web.routes') -> (its layer, its layer in its route package;
    0 for a top-level module). A name no table lists is the handler layer's (test_every_module_has_a_layer says so)."""
    parts = module.split(".")
    top = parts[0]
    layer = next((n for n, names in enumerate(LAYERS) if top in names), HANDLER_LAYER)
    inner = 0
    if top in ROUTE_PACKAGES:
        sub = parts[1] if len(parts) > 1 else "__init__"
        inner = next((n for n, names in enumerate(ROUTE_PACKAGES[top]) if sub in names), 0)
    return layer, inner


def helpers_layer_of(module: str) -> int:
    """module: a dotted name inside helpers ('bootstrap', 'checks.nb01')."""
    top = module.split(".")[0]
    return next((n for n, names in enumerate(HELPERS_LAYERS) if top in names), 0)


def imports(path: Path, package_parts: list[str], known: set[str] = frozenset()) -> list[tuple[str, bool]]:
    """(absolute module name, at module level?) for every import in the file, in a function or not. `from a import b`
    names `a.b` when that is a module (in `known`), else `a`."""
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
            subs = [f"{name}.{a.name}" for a in node.names if f"{name}.{a.name}" in known]
            out += [(n, id(node) in top_level) for n in subs or [name]]
    return out


def module_files(root: Path = ROOT, packages=PACKAGES):
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root)
            parts = list(rel.with_suffix("").parts)
            package_parts = parts[:-1]
            yield package, rel, path, package_parts


def module_name(rel: Path) -> str:
    parts = list(rel.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = ROOT, packages=PACKAGES) -> dict[str, dict[str, Path]]:
    """module -> {module of ours it imports (anywhere in the file): the importing file}."""
    files = list(module_files(root, packages))
    known = {module_name(rel) for _, rel, _, _ in files}
    graph: dict[str, dict[str, Path]] = {}
    for _, rel, path, package_parts in files:
        me = module_name(rel)
        edges = graph.setdefault(me, {})
        for name, _ in imports(path, package_parts, known):
            # `a.b.c` that is no module of ours: `a.b` (the module it is an attribute of)
            while name and name not in known and "." in name:
                name = name.rsplit(".", 1)[0]
            if name in known and name != me:
                edges[name] = rel
    return graph


def cycles(graph: dict[str, dict[str, Path]]) -> list[list[str]]:
    """The import circles: one shortest circle through each strongly connected component of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    out = []
    for component in components:  # a shortest circle from the component's first module, for the message
        members, start = set(component), component[0]
        paths, frontier = {start: [start]}, [start]
        while frontier:
            nxt = []
            for v in frontier:
                for w in graph.get(v, {}):
                    if w == start:
                        out.append(paths[v] + [start])
                        nxt = []
                        break
                    if w in members and w not in paths:
                        paths[w] = paths[v] + [w]
                        nxt.append(w)
                else:
                    continue
                break
            frontier = nxt
    return out


def upward_imports(root: Path = ROOT) -> list[str]:
    bad = []
    for package, rel, path, package_parts in module_files(root):
        for name, _ in imports(path, package_parts):
            target = name.split(".")[0]
            if (
                target in PACKAGES
                and target != package
                and target not in MAY_IMPORT[package]
                and (rel.as_posix(), target) not in LAZY_ALLOWED
            ):
                bad.append(f"{rel} imports {name}")
    return bad


def course_hub_layer_breaks(root: Path = ROOT) -> list[str]:
    bad = []
    files = list(module_files(root, ("course_hub",)))
    known = {module_name(rel) for _, rel, _, _ in files}
    for _, rel, path, package_parts in files:
        inner = ".".join(rel.with_suffix("").parts[1:]) or "__init__"
        mine = layer_of(inner)
        for name, at_top in imports(path, package_parts, known):
            if not name.startswith("course_hub.") and name != "course_hub":
                continue
            target = name[len("course_hub.") :] or "__init__"
            theirs = layer_of(target)
            same_package = target.split(".")[0] == inner.split(".")[0] and target.split(".")[0] in ROUTE_PACKAGES
            up = theirs > mine if same_package else theirs[0] > mine[0]
            if up:
                where = "" if at_top else " (in a function)"
                bad.append(f"{rel} (layer {mine}) imports {name} (layer {theirs}){where}")
    return bad


# the model: the only modules that touch the store (`hub.store`, a `Store`); everything above calls its operations
# (Hub's methods, `hub.accounts`, `hub.access`, `hub.social`, `hub.community`) and asks `Policy`
MODEL = {"store", "hub", "hub_accounts", "hub_access", "hub_social", "hub_community", "policy"}
# below or beside the model, each with its reason (a new one must say why here)
STORE_ALLOWED = {
    "hubdir",  # copy_to(export=True) scrubs the credentials out of the copied database
    "publish",  # reads another hub dir's database read-only, serves nothing (a client of a remote hub)
    "local",  # a notebook's saved token for a hub dir it may not serve (helpers' local hub)
}


def store_touches(root: Path = ROOT) -> list[str]:
    """Every place outside the model that reaches the store: an attribute `.store` (`hub.store`, `ctx.hub.store`,
    `self.hub.store`) or the `Store` class itself. Data types from store.py (`Identity`, `RepoRecord`, `digest`)
    are fine."""
    bad = []
    for _, rel, path, _ in module_files(root, ("course_hub",)):
        name = ".".join(rel.with_suffix("").parts[1:])
        if name in MODEL or name in STORE_ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and node.attr == "store":
                bad.append(f"{rel}:{node.lineno} uses .store")
            elif isinstance(node, ast.Attribute) and node.attr == "Store":
                bad.append(f"{rel}:{node.lineno} uses Store")
            elif isinstance(node, ast.ImportFrom) and any(a.name == "Store" for a in node.names):
                bad.append(f"{rel}:{node.lineno} imports Store")
    return bad


def helpers_layer_breaks(root: Path = ROOT) -> list[str]:
    bad = []
    files = list(module_files(root, ("helpers",)))
    known = {module_name(rel) for _, rel, _, _ in files}
    for _, rel, path, package_parts in files:
        inner = ".".join(rel.with_suffix("").parts[1:]) or "__init__"
        mine = helpers_layer_of(inner)
        for name, at_top in imports(path, package_parts, known):
            if not name.startswith("helpers."):
                continue
            theirs = helpers_layer_of(name[len("helpers.") :])
            if theirs > mine:
                bad.append(
                    f"{rel} (layer {mine}) imports {name} (layer {theirs}){'' if at_top else ' (in a function)'}"
                )
    return bad


def test_packages_import_only_down():
    bad = upward_imports()
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_course_hub_layers():
    """Down course_hub's layers, and down each route package's own order; imports in functions count."""
    bad = course_hub_layer_breaks()
    assert not bad, "imports that go up course_hub's layers:\n" + "\n".join(bad)


def test_helpers_layers():
    """Down helpers' layers (the bootstrap never imports the Jupyter plugin that starts the hub through it)."""
    bad = helpers_layer_breaks()
    assert not bad, "imports that go up helpers' layers:\n" + "\n".join(bad)


def test_nothing_above_the_model_touches_the_store():
    """Handlers, pages, the CLI, classroom and the route packages go through the operations layer: a handler that
    calls `ctx.hub.store.…` fails this."""
    bad = store_touches()
    assert not bad, "the store reached from outside the model (add an operation to Hub or hub_*.py):\n" + "\n".join(bad)


def test_no_import_cycle():
    """No circle among our modules, counting imports in functions (a lazy import hides a circle, it does not
    remove it)."""
    found = cycles(import_graph())
    assert not found, "import circles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_every_module_has_a_layer():
    """A new module of course_hub, of a route package or of helpers says where it sits."""
    listed = set().union(*LAYERS)
    unlisted = [p.name for p in (ROOT / "course_hub").glob("*.py") if p.stem not in listed]
    packages = [p.name for p in (ROOT / "course_hub").iterdir() if (p / "__init__.py").is_file()]
    unlisted += [f"course_hub/{p}/" for p in packages if p not in ROUTE_PACKAGES]
    for package, order in ROUTE_PACKAGES.items():
        names = set().union(*order)
        unlisted += [f"course_hub/{package}/{p.name}" for p in (ROOT / "course_hub" / package).glob("*.py")]
        unlisted = [u for u in unlisted if not (u.startswith(f"course_hub/{package}/") and Path(u).stem in names)]
    helpers = set().union(*HELPERS_LAYERS)
    unlisted += [f"helpers/{p.name}" for p in (ROOT / "helpers").iterdir() if p.stem not in helpers]
    unlisted = [u for u in unlisted if not u.endswith(("__pycache__", ".svg"))]
    assert not unlisted, f"add these to the layers in tests/test_architecture.py (and docs/architecture.md): {unlisted}"


def _fake_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for package in PACKAGES:
        (root / package).mkdir(exist_ok=True)
        (root / package / "__init__.py").touch()
    return root


def test_the_checker_sees_an_upward_edge(tmp_path):
    """The walker is not blind: a relative import from a low layer to a high one, and a cross-package import."""
    fake = tmp_path / "course_hub" / "store.py"
    fake.parent.mkdir()
    fake.write_text("from .app import ROUTES\nimport helpers.bootstrap\n\ndef f():\n    from .cli import main\n")
    found = imports(fake, ["course_hub"])
    assert ("course_hub.app", True) in found and ("helpers.bootstrap", True) in found
    assert ("course_hub.cli", False) in found
    assert layer_of("app") > layer_of("store")


def test_the_checker_sees_the_problems_of_issue_30(tmp_path):
    """A fake tree with each problem the checker missed before: a lazy upward import (Spaces' runtime taking
    free_port from server), a handler importing the website, a route package's module importing one above it in its
    own order, helpers' bootstrap importing the Jupyter plugin, and the circles they make."""
    root = _fake_tree(
        tmp_path,
        {
            "course_hub/app.py": "from .spaces import SpaceManager\n",
            "course_hub/server.py": "def serve():\n    from .app import create_app\n",
            "course_hub/spaces/__init__.py": "from .runtime import SpaceManager\n",
            "course_hub/spaces/runtime.py": "def start():\n    from ..server import free_port\n",
            "course_hub/api/__init__.py": "",
            "course_hub/api/community.py": "from ..web.render import markdown\n",
            "course_hub/web/__init__.py": "",
            "course_hub/web/render.py": "",
            "course_hub/web/routes.py": "def page():\n    from . import community\n",
            "course_hub/web/community.py": "from . import routes\n",
            "helpers/bootstrap.py": "def web_url():\n    from .jupyter_proxy import NAME\n",
            "helpers/jupyter_proxy.py": "def course_hub():\n    from .bootstrap import ensure_server\n",
        },
    )
    layers = "\n".join(course_hub_layer_breaks(root))
    assert layers.splitlines() == [
        "course_hub/api/community.py (layer (3, 0)) imports course_hub.web.render (layer (4, 0))",
        "course_hub/spaces/runtime.py (layer (3, 0)) imports course_hub.server (layer (6, 0)) (in a function)",
        "course_hub/web/routes.py (layer (4, 1)) imports course_hub.web.community (layer (4, 2)) (in a function)",
    ], layers
    assert helpers_layer_breaks(root) == [
        "helpers/bootstrap.py (layer 1) imports helpers.jupyter_proxy (layer 2) (in a function)"
    ]
    circles = {" -> ".join(c) for c in cycles(import_graph(root))}
    assert circles == {
        "course_hub.app -> course_hub.spaces -> course_hub.spaces.runtime -> course_hub.server -> course_hub.app",
        "course_hub.web.community -> course_hub.web.routes -> course_hub.web.community",
        "helpers.bootstrap -> helpers.jupyter_proxy -> helpers.bootstrap",
    }, circles


def test_the_checker_sees_the_store_reached_from_above(tmp_path):
    """A handler calling `ctx.hub.store`, a page importing `Store` in a function, a CLI command through
    `hub.store`: each is reported; the model's own modules are not."""
    root = _fake_tree(
        tmp_path,
        {
            "course_hub/api/__init__.py": "",
            "course_hub/api/social.py": "def like(ctx):\n    ctx.hub.store.like('model', 'a/b', 'u', True)\n",
            "course_hub/web/__init__.py": "",
            "course_hub/web/routes.py": "def page(w):\n    from ..store import Store\n",
            "course_hub/cli.py": "def cmd(hub):\n    return hub.store.users()\n",
            "course_hub/hub_social.py": "class Social:\n    def like(self):\n        self.store.like()\n",
            "course_hub/hub.py": "from .store import Store\n",
        },
    )
    assert store_touches(root) == [
        "course_hub/api/social.py:2 uses .store",
        "course_hub/cli.py:2 uses .store",
        "course_hub/web/routes.py:2 imports Store",
    ]


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
