"""helpers/colab.py without Colab (there is none here): a stand-in `google.colab` package, a real module tree in a
temporary folder on sys.path that records what the course calls, beside `.dist-info` metadata of Colab's preinstalled
versions (backend-info's pip-freeze.txt and pip-freeze.gpu.txt of 2026-08-19, and google-colab's own
`install_requires`); pip runs for real, offline and `--dry-run` (nothing is installed here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import colab

# Colab's GPU runtime (googlecolab/backend-info, 2026-08-19): what the stand-in's metadata says is installed
COLAB_VERSIONS = {
    "ipykernel": "6.17.1",
    "ipython": "7.34.0",
    "jupyter_client": "7.4.9",
    "jupyter_core": "5.9.1",
    "tornado": "6.5.7",
    "pyzmq": "26.2.1",
    "traitlets": "5.7.1",
    "ipywidgets": "7.7.1",
    "widgetsnbextension": "3.6.10",
    "notebook": "6.5.7",
    "psutil": "5.9.5",
    "requests": "2.32.4",
    "portpicker": "1.5.2",
    "google-auth": "2.49.0",
    "torch": "2.11.0+cu128",
}
# google-colab 1.0.0's install_requires (googlecolab/colabtools setup.py): older than what the runtime has
COLAB_REQUIRES = [
    "google-auth==2.38.0",
    "ipykernel==6.17.1",
    "ipyparallel==8.8.0",  # not in the stand-in: nothing to pin
    "ipython==7.34.0",
    "notebook==6.5.7",
    "pandas==2.2.2",  # not in the stand-in either
    "portpicker==1.5.2",
    "requests==2.32.3",
    "tornado==6.4.2",
]
STANDIN_PACKAGE = {
    "__init__.py": (
        '"""Stands in for Colab\'s `google.colab` (tests/test_colab.py): records the calls."""\n'
        "CALLS = []\nBROWSER = True  # False: no page attached, eval_js times out as Colab's does\n"
    ),
    "output/__init__.py": '''"""Stands in for `google.colab.output`: the calls are recorded in `google.colab.CALLS`."""
import re

from google import colab


def eval_js(script, ignore_result=False, timeout_sec=None):
    colab.CALLS.append(("eval_js", script) if timeout_sec == 10 else ("eval_js without a 10 s timeout", script))
    if not colab.BROWSER:
        raise TimeoutError("no response from the page")  # (Colab: google.colab._message.TimeoutException)
    port = re.fullmatch(r"google\\.colab\\.kernel\\.proxyPort\\((\\d+), \\{'cache': false\\}\\)", script)
    return f"https://{port[1]}-m-s-standin.prod.colab.dev/" if port else None


def serve_kernel_port_as_window(port, path="/", anchor_text=None):
    colab.CALLS.append(("serve_kernel_port_as_window", port, path, anchor_text))
''',
}


def dist_info(site: Path, name: str, version: str, requires: list[str] = ()) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {name}",
        f"Version: {version}",
        *(f"Requires-Dist: {r}" for r in requires),
    ]
    (info / "METADATA").write_text("\n".join(lines) + "\n")


@pytest.fixture
def runtime(tmp_path) -> Path:
    """A folder with Colab's metadata (a site-packages of what Colab has installed)."""
    site = tmp_path / "colab-site"
    for name, version in COLAB_VERSIONS.items():
        dist_info(site, name, version)
    dist_info(site, "google-colab", "1.0.0", COLAB_REQUIRES)
    return site


@pytest.fixture
def google_colab(tmp_path, monkeypatch):
    """`import google.colab` finds the stand-in (so `on_colab()` is True) for this test only; its call record."""
    root = tmp_path / "standin"
    for rel, text in STANDIN_PACKAGE.items():
        (root / "google" / "colab" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "google" / "colab" / rel).write_text(text)
    monkeypatch.syspath_prepend(str(root))
    for name in [m for m in sys.modules if m == "google" or m.startswith("google.")]:
        monkeypatch.delitem(sys.modules, name)
    import google.colab
    import google.colab.output

    assert google.colab.__file__.startswith(str(root))
    yield google.colab.CALLS
    for name in [m for m in sys.modules if m == "google" or m.startswith("google.")]:
        del sys.modules[name]
    assert not colab.on_colab()


def test_kernel_pins_are_read_from_the_runtime(runtime):
    pins = colab.kernel_pins([str(runtime)])
    expected = {colab.canonical(n): v for n, v in COLAB_VERSIONS.items()}
    assert pins == expected, "the kernel stack, google-colab's requirements and torch, at the installed versions"
    assert "pandas" not in pins and "ipyparallel" not in pins, "what is not installed is not pinned"
    assert pins["tornado"] == "6.5.7", "the installed version, not google-colab's own (older) pin"
    # here (no google-colab): the kernel stack of this venv, as installed
    from importlib.metadata import version

    here = colab.kernel_pins()
    assert here["ipykernel"] == version("ipykernel") and here["torch"] == version("torch")
    assert "requests" not in here or colab.canonical("requests") not in map(colab.canonical, colab.KERNEL_STACK)


def test_the_install_keeps_a_cuda_torch(runtime, tmp_path):
    """Colab's GPU runtime has torch 2.11.0+cu128: the install asks for exactly that build, which pip finds
    installed (a CPU build, or another version, would be a replacement)."""
    from packaging.specifiers import SpecifierSet

    constraints = colab.write_pins(tmp_path / "pins.txt", colab.kernel_pins([str(runtime)]))
    cmd = colab.install_command(tmp_path / "course", constraints, [str(runtime)])
    assert cmd[-1] == "torch==2.11.0+cu128" and cmd[cmd.index("-c") + 1] == str(constraints)
    assert "torch==2.11.0+cu128\n" in constraints.read_text() and "[" not in " ".join(cmd), "no extras on Colab"
    assert SpecifierSet("==2.11.0+cu128").contains("2.11.0+cu128")
    assert not SpecifierSet("==2.11.0+cu128").contains("2.11.0+cpu")
    # pip itself, with the stand-in's metadata first on its path: already satisfied, nothing to download
    env = {**os.environ, "PYTHONPATH": str(runtime), "PIP_NO_INDEX": "1", "PIP_DRY_RUN": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "pip", "install", "torch==2.11.0+cu128", "-c", str(constraints)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "Requirement already satisfied: torch==2.11.0+cu128" in out.stdout and "Would install" not in out.stdout


def standin_course(tmp_path: Path, *requires: str) -> Path:
    """A course checkout of one pyproject.toml (what `pip install -e` of the course resolves)."""
    course = tmp_path / "course"
    course.mkdir()
    deps = ", ".join(f'"{r}"' for r in requires)
    (course / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=69"]\nbuild-backend = "setuptools.build_meta"\n'
        f'[project]\nname = "standin-course"\nversion = "0.0.0"\ndependencies = [{deps}]\n'
        "[tool.setuptools]\npy-modules = []\n"
    )
    return course


@pytest.fixture
def dry_pip(monkeypatch):
    """pip offline and --dry-run (the install runs for real, installs nothing); no build isolation (no index)."""
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_DRY_RUN", "1")
    monkeypatch.setenv("PIP_NO_BUILD_ISOLATION", "0")  # pip's spelling of --no-build-isolation


def test_pip_keeps_the_kernel_stack(tmp_path, dry_pip, capfd):
    """The course's lower bounds hold with this runtime's kernel stack pinned: pip keeps every pinned package."""
    course = standin_course(tmp_path, "ipykernel>=6.17", "ipywidgets>=7.7", "psutil>=5.9")
    colab.install(course)  # raises if pip does not resolve
    from importlib.metadata import version

    pins = (course / colab.PINS_FILE).read_text()
    assert f"ipykernel=={version('ipykernel')}\n" in pins and f"torch=={version('torch')}\n" in pins


def test_a_course_that_needs_a_newer_kernel_stack_stops_with_a_message(tmp_path, runtime, dry_pip, capfd):
    """Colab's psutil 5.9.5 pinned, a course asking psutil>=6: pip refuses, and the error says what was kept."""
    for name in ("torch",):  # (the stand-in's CUDA torch is not installable offline; it is not the point here)
        next(runtime.glob(f"{name}-*.dist-info")).rename(tmp_path / f"{name}.dist-info.away")
    course = standin_course(tmp_path, "psutil>=6")
    with pytest.raises(colab.KeptPackagesError) as err:
        colab.install(course, [str(runtime)])
    message = str(err.value)
    assert "nothing of Colab's was replaced" in message and "psutil 5.9.5" in message and "ipykernel 6.17.1" in message
    assert "Runtime > Disconnect and delete runtime" in message
    assert "The user requested (constraint) psutil==5.9.5" in message, "pip's reason, in the error itself"
    out = capfd.readouterr()
    assert "psutil==5.9.5" in out.out + out.err, "pip's own message names the pin"


def test_a_failure_that_is_not_a_pin_is_not_called_one(tmp_path, dry_pip, capfd):
    course = standin_course(tmp_path, "no-such-package-for-the-course>=1")
    with pytest.raises(RuntimeError, match="pip could not install the course") as err:
        colab.install(course)
    assert not isinstance(err.value, colab.KeptPackagesError)
    assert "no-such-package-for-the-course" in capfd.readouterr().err, "pip's own lines, shown"


def test_an_upgrade_under_an_imported_library_asks_for_a_restart_once(tmp_path, monkeypatch, capsys):
    """A real module and its metadata: imported at 1.0, then its metadata says 2.0 (what pip's upgrade leaves)."""
    site = tmp_path / "site"
    (site / "standin_hf_lib").mkdir(parents=True)
    (site / "standin_hf_lib" / "__init__.py").write_text('__version__ = "1.0"\n')
    dist_info(site, "standin_hf_lib", "1.0")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(colab, "_said_restart", False)
    import standin_hf_lib  # noqa: F401

    try:
        assert colab.stale_imports(["standin_hf_lib"]) == []
        assert not colab.say_restart_if_stale(["standin_hf_lib"]) and capsys.readouterr().out == ""
        old = site / "standin_hf_lib-1.0.dist-info"
        dist_info(site, "standin_hf_lib", "2.0")
        for f in old.iterdir():
            f.unlink()
        old.rmdir()
        assert colab.stale_imports(["standin_hf_lib", "not_imported_here"]) == ["standin_hf_lib 1.0 -> 2.0"]
        assert colab.say_restart_if_stale(["standin_hf_lib"])
        line = capsys.readouterr().out
        assert line.count("\n") == 1 and line.startswith("Restart the runtime (Runtime > Restart session)")
        assert "standin_hf_lib 1.0 -> 2.0" in line
        assert colab.say_restart_if_stale(["standin_hf_lib"]) and capsys.readouterr().out == "", "said once"
    finally:
        del sys.modules["standin_hf_lib"]


def test_the_hugging_face_libraries_here_are_not_stale():
    import datasets  # noqa: F401
    import huggingface_hub  # noqa: F401
    import transformers  # noqa: F401

    assert colab.stale_imports() == []


def test_proxy_url_and_open_port_go_through_colab(google_colab):
    assert colab.on_colab()
    assert colab.proxy_url(8765) == "https://8765-m-s-standin.prod.colab.dev/"
    assert colab.open_port(7860, "/", "the app") is True
    assert google_colab == [
        ("eval_js", "google.colab.kernel.proxyPort(8765, {'cache': false})"),
        ("serve_kernel_port_as_window", 7860, "/", "the app"),
    ]


def test_proxy_url_off_colab_is_none():
    assert not colab.on_colab()
    assert colab.proxy_url(8765) is None and colab.open_port(8765) is False


def test_the_link_helper_uses_colab_proxy(google_colab, monkeypatch):
    from helpers import links

    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:8765")
    assert links.browser_url("http://127.0.0.1:8765/models?sort=likes") == (
        "https://8765-m-s-standin.prod.colab.dev/models?sort=likes"
    )
    assert links.browser_url("https://huggingface.co/models") == "https://huggingface.co/models"
    assert google_colab == [("eval_js", "google.colab.kernel.proxyPort(8765, {'cache': false})")]


def test_the_link_helper_shows_colab_links(google_colab, monkeypatch, capsys):
    """`links.show` on Colab: the proxy's address when the page answers; else Colab's own link to the port
    (`serve_kernel_port_as_window`, which asks for the address when clicked), never the raw 127.0.0.1 address."""
    import google.colab

    from helpers import links

    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:8765")
    links.show("http://127.0.0.1:8765/spaces/hf-hands-on/demo?x=1#top", "the Space")
    assert (
        capsys.readouterr().out
        == "the Space: https://8765-m-s-standin.prod.colab.dev/spaces/hf-hands-on/demo?x=1#top\n"
    )
    google.colab.BROWSER = False
    links.show("http://127.0.0.1:7860/?x=1#top", "the app")
    links.show("https://huggingface.co/models", "the Hub")
    assert capsys.readouterr().out == "the Hub: https://huggingface.co/models\n", "not local: shown as it is"
    proxy = "google.colab.kernel.proxyPort({}, {{'cache': false}})"
    assert google_colab == [
        ("eval_js", proxy.format(8765)),
        ("eval_js", proxy.format(7860)),
        ("serve_kernel_port_as_window", 7860, "/?x=1#top", "the app"),
    ]


def test_notebooks_02_03_07_08_take_cuda_when_there_is_one():
    """On Colab's GPU runtime (kept CUDA torch, above) the notebooks compute on the GPU: 03 and 08 choose `device`
    from `torch.cuda.is_available()`, 07 its LLM's device, 02's pipeline() finds the accelerator itself (and its dtype
    follows). No GPU here: this reads the cells; the choice itself is torch's."""
    import json

    def code(stem: str) -> str:
        (path,) = (Path(__file__).resolve().parents[1] / "notebooks").glob(f"{stem}_*.ipynb")
        cells = json.loads(path.read_text())["cells"]
        return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")

    for stem in ("03", "08"):
        assert 'device = "cuda" if torch.cuda.is_available() else "cpu"' in code(stem), stem
    assert "device=0 if torch.cuda.is_available() else None" in code("07")
    nb02 = code("02")
    assert 'classifier = pipeline("text-classification", model="hf-hands-on/minilm-sentiment", revision="v1.0")' in nb02
    assert 'dtype="auto" if torch.cuda.is_available() else torch.float32' in nb02


def test_the_colab_twin_reads_its_versions_from_the_published_freeze():
    """make test-colab installs what backend-info's pip-freeze.txt says, read by code (tools/colab_twin.py)."""
    from tools.colab_twin import FREEZE_GPU, SUBSET, colab_os, read_freeze, torch_version

    freeze = read_freeze()
    assert colab_os()[1].startswith("Python 3.13."), "the twin's Python (3.13, python313()) is Colab's minor version"
    assert torch_version(freeze) == "2.11.0+cpu" and torch_version(read_freeze(FREEZE_GPU)) == "2.11.0+cu128"
    assert freeze["ipykernel"] == "ipykernel==6.17.1" and freeze["ipywidgets"] == "ipywidgets==7.7.1"
    assert freeze["transformers"] == "transformers==5.15.0" and freeze["huggingface-hub"] == "huggingface_hub==1.27.0"
    missing = [name for name in SUBSET if colab.canonical(name) not in freeze]
    assert not missing, f"the twin's subset names packages Colab does not have: {missing}"
    assert {colab.canonical(n) for n in colab.KERNEL_STACK} <= set(map(colab.canonical, SUBSET))


def test_the_colab_twin_says_its_torch_is_not_colabs():
    """The twin installs the course's torch (the Makefile's TORCH), not Colab's 2.11.0+cpu (only on
    download.pytorch.org), and its runtime's marker names both, so a twin built with another torch is built again."""
    from tools.colab_twin import course_torch, read_freeze, runtime_marker

    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    assert f"TORCH := {course_torch()}\n" in makefile
    marker = runtime_marker(read_freeze())
    assert course_torch() in marker and "Colab: 2.11.0+cpu" in marker


def test_the_colab_twins_kernel_imports_google_colab_at_its_start(tmp_path, monkeypatch):
    """The twin's kernelspec (tools/colab_twin.py) starts a kernel that has imported google.colab, as Colab's does,
    so the notebooks' setup cell takes its Colab path (here with this venv's python and the stand-in package)."""
    from jupyter_client.manager import start_new_kernel

    from tools.colab_twin import kernel_spec

    standin = tmp_path / "standin"
    (standin / "google" / "colab").mkdir(parents=True)
    (standin / "google" / "colab" / "__init__.py").write_text(STANDIN_PACKAGE["__init__.py"])
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_spec(Path(sys.executable), tmp_path)))
    km, kc = start_new_kernel(kernel_name="colab-twin", env={**os.environ, "PYTHONPATH": str(standin)})
    try:
        shown = []
        code = 'import sys; print("google.colab" in sys.modules)'
        reply = kc.execute_interactive(code, output_hook=shown.append, timeout=60)
        assert reply["content"]["status"] == "ok"
        assert [m["content"].get("text") for m in shown if m["msg_type"] == "stream"] == ["True\n"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_the_colab_twin_leaves_to_torch_what_its_build_needs():
    """Colab's versions that an installed package's requirement excludes are not constraints (the twin's torch
    needs a newer typing-extensions than this made-up Colab has); the ones it accepts stay."""
    from tools.colab_twin import torch_conflicts

    freeze = {"typing-extensions": "typing_extensions==4.0.0", "sympy": "sympy==1.14.0"}
    assert torch_conflicts(Path(sys.executable), freeze) == {"typing-extensions"}


def test_the_colab_twin_fails_a_link_the_learners_browser_cannot_open():
    """make test-colab reads the link helper's outputs of each executed notebook: through Colab's proxy (the
    stand-in's address) or elsewhere (huggingface.co) pass, the kernel machine's own addresses fail."""
    from tools.colab_twin import link_hrefs, local_links

    def output(href):
        html = f'<a class="course-link" href="{href}" target="_blank" rel="noopener">x</a> <code>{href}</code>'
        return {"output_type": "display_data", "data": {"text/html": [html]}, "metadata": {}}

    hrefs = ["https://8765-m-s-colab-twin.prod.colab.dev/models", "https://huggingface.co/models"]
    hrefs += ["http://127.0.0.1:7860/", "http://localhost:8765/x"]
    notebook = {"cells": [{"cell_type": "code", "outputs": [output(h) for h in hrefs]}, {"cell_type": "markdown"}]}
    assert link_hrefs(notebook) == hrefs
    assert local_links(link_hrefs(notebook)) == hrefs[2:]
