"""One app object owns the runtime (issue 30): nothing in course_hub/ lives beside it.

- no `atexit` anywhere in course_hub/: the ASGI lifespan's shutdown (`app.CourseHub.aclose`) stops the Spaces'
  processes and the inference worker, and `server.serve` closes the app when uvicorn returns;
- no module-level registry: a module-level dict, list, set (…) that a function changes, or a name a function
  rebinds with `global`, is state that outlives the app and is shared by every app in the process (tests make many).
  What the runtime needs lives in `app.state` (the Hub, the SpaceManager, the InferenceService, the Spaces' proxy
  client, the session secret). The caches in `CONTENT_CACHES` stay module-level, each with its reason: they are
  keyed by content that never changes under its key, bounded, and give every app the same answer;
- nothing sets `hub.spaces` (the Space runtime is `request.app.state.spaces`);
- the lifespan's shutdown closes what the app owns.

How each rule was seen to fail: `atexit.register(self.close)` put back in `SpaceManager.__init__`; the inference
service's `_services: dict[Path, InferenceService] = {}` and its `service_for` put back; `global _client` in a
`client()` of spaces/proxy.py; `hub.spaces = self.state.spaces` in `CourseHub.__init__`; a `_hubs` dict filled by a
function of jupyterhub.py: each made test_runtime_has_no_owner_but_the_app fail, naming the file and line (and the
fake trees below keep the checker from going blind). The four registries issue 30 found are gone: the inference
service's `_services`, the proxy's `_client`, the website's `_SECRETS`, jupyterhub's `_hubs`.
"""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# module-level caches that may stay: (file, name) -> why sharing them between apps is safe
CONTENT_CACHES = {
    ("course_hub/gitrepo.py", "_FILES_CACHE"): "a commit's file list, keyed by (repo path, commit sha); LRU",
    ("course_hub/markdown.py", "_cache"): "a README's safe HTML, keyed by its blob sha; LRU",
    ("course_hub/listing.py", "_LISTED"): "a repo's list info, keyed by (its record, its head commit); LRU",
    ("course_hub/web/viewer.py", "_groups"): "Parquet row groups, keyed by the file's content id; LRU of 16",
    ("course_hub/web/viewer.py", "_metas"): "Parquet footers, keyed by the file's content id; LRU",
}

CONTAINERS = {"dict", "list", "set", "OrderedDict", "defaultdict", "deque", "WeakValueDictionary", "Counter"}
MUTATORS = {
    "append",
    "extend",
    "insert",
    "pop",
    "popitem",
    "remove",
    "clear",
    "update",
    "setdefault",
    "add",
    "discard",
    "move_to_end",
    "appendleft",
    "popleft",
}


def _is_container(node: ast.AST | None) -> bool:
    if isinstance(node, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)):
        return True
    if isinstance(node, ast.Call):
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        return name in CONTAINERS
    return False


def _module_containers(tree: ast.Module) -> set[str]:
    """Names bound at module level (also under a top-level if/try) to a mutable container."""
    names = set()
    body = list(tree.body)
    for node in tree.body:
        if isinstance(node, (ast.If, ast.Try)):
            body += node.body + node.orelse + getattr(node, "finalbody", [])
    for node in body:
        if isinstance(node, ast.Assign) and _is_container(node.value):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and _is_container(node.value):
            names.add(node.target.id)
    return names


def _base_name(node: ast.AST) -> str | None:
    """`X` for `X[...]`, `X.attr` … (the module-level object a statement changes), else None."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def runtime_owners(root: Path = ROOT) -> list[str]:
    """Everything in course_hub/ that holds runtime state outside the app object: atexit, module-level registries
    changed by functions, `global` rebinding, `hub.spaces`."""
    bad = []
    for path in sorted((root / "course_hub").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(), rel)
        containers = _module_containers(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and any(a.name == "atexit" for a in node.names):
                bad.append(f"{rel}:{node.lineno} imports atexit")
            elif isinstance(node, ast.ImportFrom) and node.module == "atexit":
                bad.append(f"{rel}:{node.lineno} imports from atexit")
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    if isinstance(t, ast.Attribute) and t.attr == "spaces":
                        owner = t.value
                        if (isinstance(owner, ast.Name) and owner.id == "hub") or (
                            isinstance(owner, ast.Attribute) and owner.attr == "hub"
                        ):
                            bad.append(f"{rel}:{node.lineno} sets hub.spaces (the runtime is app.state.spaces)")
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Global):
                    bad += [f"{rel}:{node.lineno} rebinds module-level {n} in {fn.name}()" for n in node.names]
                    continue
                changed = None
                if isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
                    targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
                    for t in targets:
                        if isinstance(t, (ast.Subscript, ast.Attribute)) and _base_name(t) in containers:
                            changed = _base_name(t)
                elif (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in MUTATORS
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in containers
                ):
                    changed = node.func.value.id
                if changed and (rel, changed) not in CONTENT_CACHES:
                    bad.append(f"{rel}:{node.lineno} changes the module-level {changed} in {fn.name}()")
    return sorted(set(bad))


def test_runtime_has_no_owner_but_the_app():
    bad = runtime_owners()
    assert not bad, "runtime state outside the app object (put it in app.state, see course_hub/app.py):\n" + "\n".join(
        bad
    )


def test_content_caches_are_still_there():
    """An entry of CONTENT_CACHES whose cache is gone (or renamed) is removed from the list, not left to excuse
    another one."""
    for (rel, name), _why in CONTENT_CACHES.items():
        tree = ast.parse((ROOT / rel).read_text())
        assert name in _module_containers(tree), f"{rel} has no module-level {name}: drop it from CONTENT_CACHES"


@pytest.mark.parametrize(
    "source, expected",
    [
        (
            "import atexit\nclass M:\n    def __init__(self):\n        atexit.register(self.close)\n",
            "course_hub/x.py:1 imports atexit",
        ),
        (
            "_services: dict = {}\ndef service_for(key):\n    _services[key] = object()\n",
            "course_hub/x.py:3 changes the module-level _services in service_for()",
        ),
        (
            "from collections import OrderedDict\n_seen = OrderedDict()\ndef see(k):\n    _seen.setdefault(k, 1)\n",
            "course_hub/x.py:4 changes the module-level _seen in see()",
        ),
        (
            "_client = None\ndef client():\n    global _client\n    _client = _client or object()\n",
            "course_hub/x.py:3 rebinds module-level _client in client()",
        ),
        (
            "def create_app(hub, manager):\n    hub.spaces = manager\n",
            "course_hub/x.py:2 sets hub.spaces (the runtime is app.state.spaces)",
        ),
    ],
)
def test_the_checker_sees(tmp_path, source, expected):
    (tmp_path / "course_hub").mkdir()
    (tmp_path / "course_hub" / "x.py").write_text(source)
    assert expected in runtime_owners(tmp_path)


def test_the_checker_lets_tables_be(tmp_path):
    """A table built at import (`ROUTES += …` at module level) and a function's own dict are no registry."""
    (tmp_path / "course_hub").mkdir()
    (tmp_path / "course_hub" / "x.py").write_text(
        "ROUTES = [1]\nROUTES += [2]\nTAGS = {'a'}\ndef f():\n    seen = {}\n    seen['a'] = 1\n    return TAGS\n"
    )
    assert runtime_owners(tmp_path) == []


def test_the_lifespan_closes_what_the_app_owns(tmp_path):
    """`with TestClient(app)` runs the ASGI lifespan, as uvicorn does: its shutdown closes the Space manager and the
    inference service (a later job is refused instead of starting a worker nobody would stop)."""
    from starlette.testclient import TestClient

    from course_hub import Settings
    from course_hub.app import create_app
    from course_hub.errors import ServiceUnavailable

    app = create_app(Settings(hub_dir=tmp_path / "hub"))
    state = app.state
    assert {"hub", "spaces", "inference", "upstream", "secret"} <= set(vars(state)["_state"])
    assert not hasattr(state.hub, "spaces")
    with TestClient(app) as client:
        assert client.get("/api/health").status_code == 200
        assert not state.spaces._closed.is_set()
    assert state.spaces._closed.is_set() and state.inference._closed.is_set()

    async def submit():
        state.inference.submit({"task": "noop"})

    with pytest.raises(ServiceUnavailable):
        asyncio.run(submit())
    assert state.inference.worker_pid() is None
