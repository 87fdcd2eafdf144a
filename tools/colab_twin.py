"""`make test-colab`: the course's Colab install on a twin of Colab's runtime, and a check that Colab's own kernel
packages keep their versions.

The twin (build/colab-twin/): a Python 3.13 venv holding the part of Colab's published `pip-freeze.txt` that matters
here (the Hugging Face stack, numpy, pandas, pyarrow, gradio, langchain, psutil, the Jupyter kernel stack and what
google-colab requires), at the file's versions (read from it here, its other lines as pip constraints), plus a
stand-in `google.colab` package with google-colab's metadata. Each run copies that venv (a fresh runtime) twice:

- CPU runtime: a notebook's setup cell verbatim (it clones the course, this checkout's HEAD standing in for the
  published URL; `helpers.connect()` installs it), then the Hub API and `datasets` against a copy of data/hub; the
  same cell again (a second notebook: installs nothing); every package `helpers.colab.kernel_pins()` pins (the
  kernel stack, google-colab's requirements, torch) at its version afterwards, and no "Restart" line;
- GPU runtime (torch's metadata at pip-freeze.gpu.txt's `+cu128`): `helpers.colab.prepare()` in a process that had
  imported huggingface_hub and transformers first: exactly one "Restart the runtime" line, the CUDA torch and the
  kernel's packages kept.

Snapshot: googlecolab/backend-info at a72407924822ea377410b69f0a290150bcb5c9c2 (2026-08-19, "Upgrade to Python
3.13"), its pip-freeze.txt, pip-freeze.gpu.txt and os-info.txt verbatim in tools/colab_runtime/. Nothing here
refreshes it: copy newer files there and change SNAPSHOT.

What the twin is not: Colab runs Ubuntu 22.04 and Python 3.13.15 (os-info.txt); the twin is a venv of the Python 3.13
found here (pyenv's 3.13.0) on this machine's OS (Debian 12 here), not a Debian trixie root (tools/py313.sh: its
Python needs glibc 2.41, this machine has 2.36), with the part of Colab's packages listed below, not all 641.

torch differs from Colab's (say so when you quote the twin): Colab's is `torch 2.11.0+cpu` from download.pytorch.org,
which this machine cannot reach (and no other cp313 CPU build is on its disk); the twin installs the torch the
course pins everywhere else (the Makefile's TORCH, 2.13.0) from PyPI, whose cp313 Linux wheel is the CUDA build with
its CUDA libraries (2.6 GB of wheels, kept in build/colab-torch-wheels/; it runs on the CPU here). It is installed
after Colab's subset, without Colab's constraints (it needs a newer setuptools than Colab's 75.2.0); the twin prints
what it brought. The GPU runtime's check swaps torch's metadata only (no GPU here).

Then every notebook of the clone runs with papermill (FAST=True, COURSE_STRICT_WARNINGS=1 as `make test-papermill`)
in the CPU runtime's kernel (a kernelspec of the twin's python whose IPython startup imports `google.colab`, as
Colab's kernel does; working directory /content's stand-in), against the course hub the setup cell started; each
must take the Colab path (a check cell appended to the twin's copy), and no pinned package may change version.

    python -m tools.colab_twin [--python PYTHON3.13] [--fresh]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FREEZE = ROOT / "tools" / "colab_runtime" / "pip-freeze.txt"
FREEZE_GPU = ROOT / "tools" / "colab_runtime" / "pip-freeze.gpu.txt"  # Colab's GPU runtime (torch +cu128)
OS_INFO = ROOT / "tools" / "colab_runtime" / "os-info.txt"  # Colab's OS and Python version
SNAPSHOT = "googlecolab/backend-info a72407924822ea377410b69f0a290150bcb5c9c2 (2026-08-19)"
TWIN = ROOT / "build" / "colab-twin"
TORCH_WHEELS = ROOT / "build" / "colab-torch-wheels"  # PyPI's cp313 torch and its CUDA libraries, downloaded once
# what the course meets on Colab: installed from the freeze at its versions (with their dependencies at the freeze's
# versions too, where it names them)
SUBSET = (
    "huggingface_hub transformers datasets tokenizers safetensors sentence-transformers accelerate gradio "
    "gradio_client langchain langchain-core numpy pandas pyarrow scikit-learn matplotlib psutil starlette uvicorn "
    "httpx jinja2 pyyaml packaging ipykernel ipython ipywidgets widgetsnbextension jupyterlab_widgets "
    "jupyter_client jupyter_core notebook tornado pyzmq traitlets google-auth requests portpicker"
).split()
# google-colab 1.0.0's install_requires (googlecolab/colabtools, setup.py): the stand-in's metadata
COLAB_REQUIRES = [
    "google-auth==2.38.0",
    "ipykernel==6.17.1",
    "ipyparallel==8.8.0",
    "ipython==7.34.0",
    "notebook==6.5.7",
    "pandas==2.2.2",
    "portpicker==1.5.2",
    "requests==2.32.3",
    "tornado==6.4.2",
]
# the stand-in google.colab: the setup only checks it is imported; `output` answers the link helper's calls as
# Colab's page would with a browser attached (a made-up proxy address; no browser here)
STANDIN = {
    "__init__.py": '"""Stands in for Colab\'s google.colab (tools/colab_twin.py)."""\n',
    "output/__init__.py": '''"""Stands in for google.colab.output (tools/colab_twin.py): no browser is attached to the twin."""
import re


def eval_js(script, ignore_result=False, timeout_sec=None):
    port = re.fullmatch(r"google\\.colab\\.kernel\\.proxyPort\\((\\d+), .*\\)", script)
    return f"https://{port[1]}-m-s-colab-twin.prod.colab.dev/" if port else None


def serve_kernel_port_as_window(port, path="/", anchor_text=None):
    print(f"[colab twin] a link to port {port}{path}: {anchor_text}")
''',
}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_freeze(path: Path = FREEZE) -> dict[str, str]:
    """canonical name -> `name==version` or `name @ url` line of a pip freeze."""
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out[canonical(re.split(r"\s*(?:==|@)", line, maxsplit=1)[0])] = line
    return out


def torch_version(freeze: dict[str, str]) -> str:
    """Colab's torch version: `torch==2.11.0+cu128`, or from its wheel's URL (`torch-2.11.0%2Bcpu-cp313-...whl`)."""
    line = freeze["torch"]
    m = re.search(r"/torch-([^-]+)-cp", line) or re.search(r"==(\S+)", line)
    return m[1].replace("%2B", "+")


def course_torch() -> str:
    """The torch the course installs everywhere else (the Makefile's `TORCH := torch==X`): the twin's torch."""
    return re.search(r"^TORCH := (torch==\S+)", (ROOT / "Makefile").read_text(), re.M)[1]


def runtime_marker(freeze: dict[str, str]) -> str:
    return f"{SNAPSHOT}\n{course_torch()} (Colab: {torch_version(freeze)})\n"


def differences(installed: dict[str, str], freeze: dict[str, str]) -> list[str]:
    """`name colab -> twin` for each installed package at another version than Colab's, or not on Colab (`-`)."""
    out = []
    for name, version in sorted(installed.items()):
        line = freeze.get(name)
        colab = torch_version(freeze) if name == "torch" else line.partition("==")[2] if line else "-"
        if colab != version:
            out.append(f"{name} {colab} -> {version}")
    return out


def torch_conflicts(py: Path, freeze: dict[str, str]) -> set[str]:
    """The packages whose Colab version an installed package's requirement excludes (after torch's install: the
    CUDA libraries and setuptools torch's PyPI build asks for)."""
    from packaging.requirements import Requirement

    code = "import json, importlib.metadata as m; print(json.dumps([r for d in m.distributions() for r in d.requires or []]))"
    env = {"python_version": "3.13", "python_full_version": "3.13.0", "extra": ""}
    out = set()
    # (run outside the checkout: its egg-info would count as installed)
    for text in json.loads(subprocess.check_output([str(py), "-c", code], text=True, cwd=py.parent)):
        req = Requirement(text)
        colab = freeze.get(canonical(req.name), "").partition("==")[2]
        if colab and (not req.marker or req.marker.evaluate(env)) and not req.specifier.contains(colab, True):
            out.add(canonical(req.name))
    return out


def colab_os() -> list[str]:
    """os-info.txt's lines (Colab's OS, its Python, R, Julia), comments left out."""
    return [line for line in OS_INFO.read_text().splitlines() if line.strip() and not line.startswith("#")]


def this_os() -> str:
    """This machine's OS as `lsb_release -ds` says it (os-release's PRETTY_NAME)."""
    found = re.search(r'^PRETTY_NAME="?([^"\n]*)', Path("/etc/os-release").read_text(), re.M)
    return found[1] if found else sys.platform


def python313(given: str | None) -> str:
    found = [given] if given else []
    found += [
        shutil.which("python3.13") or "",
        *sorted(glob.glob(str(Path.home() / ".pyenv/versions/3.13*/bin/python"))),
    ]
    for python in filter(None, found):
        out = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip() == "(3, 13)":
            return python
    raise SystemExit("no Python 3.13 here: pass --python (pyenv install 3.13, or tools/py313.sh's root)")


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    print("+", " ".join(str(c) for c in cmd)[:200], flush=True)
    return subprocess.run(cmd, check=True, **kw)


def site_packages(py: Path) -> Path:
    return Path(
        subprocess.check_output(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], text=True
        ).strip()
    )


def dist_info(site: Path, name: str, version: str, requires: list[str] = ()) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    meta = [f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", *(f"Requires-Dist: {r}\n" for r in requires)]
    (info / "METADATA").write_text("".join(meta))
    (info / "INSTALLER").write_text("colab-twin\n")
    (info / "RECORD").write_text("")  # pip would "uninstall" nothing: replacing it is the failure to catch


def make_runtime(python: str, freeze: dict[str, str]) -> Path:
    """The twin's venv: Colab's subset at the freeze's versions, the course's torch (not Colab's: see above), the
    stand-in google.colab."""
    venv = TWIN / "venv"
    py = venv / "bin" / "python"
    marker = venv / ".colab-runtime"
    if marker.exists() and marker.read_text() == runtime_marker(freeze):
        install_standin(site_packages(py))  # (cheap: the stand-in may have changed since the twin was built)
        return py
    shutil.rmtree(venv, ignore_errors=True)
    run([python, "-m", "venv", str(venv)])
    site = site_packages(py)
    # torch first, so that what needs torch in Colab's subset (accelerate, sentence-transformers) finds it
    wheels = ["--find-links", str(TORCH_WHEELS)]  # downloaded once, then found there
    TORCH_WHEELS.mkdir(parents=True, exist_ok=True)
    run([str(py), "-m", "pip", "download", "--quiet", "-d", str(TORCH_WHEELS), *wheels, course_torch()])
    run([str(py), "-m", "pip", "install", "--quiet", *wheels, course_torch()])
    # Colab's versions as constraints, less those torch's build cannot take (its CUDA libraries, a newer setuptools)
    left = torch_conflicts(py, freeze)
    print("[runtime] Colab's versions left to torch's build: " + ", ".join(freeze[n] for n in sorted(left)))
    constraints = TWIN / "colab-constraints.txt"
    constraints.write_text("".join(f"{line}\n" for n, line in freeze.items() if " @ " not in line and n not in left))
    pins = [freeze[canonical(name)] for name in SUBSET if canonical(name) in freeze]
    run([str(py), "-m", "pip", "install", "--quiet", "-c", str(constraints), *pins])
    print("[runtime] not as in Colab's freeze: " + ", ".join(differences(versions(py), freeze)))
    dist_info(site, "google-colab", "1.0.0", COLAB_REQUIRES)
    install_standin(site)
    marker.write_text(runtime_marker(freeze))
    return py


def install_standin(site: Path) -> None:
    """The stand-in google.colab package in `site` (written anew: the runtimes' copies hard-link these files)."""
    for rel, text in STANDIN.items():
        path = site / "google" / "colab" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.unlink(missing_ok=True)
            path.write_text(text)


def versions(py: Path) -> dict[str, str]:
    code = "import json, importlib.metadata as m; print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
    # (run outside the checkout: its egg-info would count as installed)
    found = json.loads(subprocess.check_output([str(py), "-c", code], text=True, cwd=py.parent))
    return {canonical(k): v for k, v in found.items()}


# a learner's first cell: the notebook's setup cell verbatim (clone, then helpers.connect(), which installs), then
# what the notebooks ask of the Hub API and datasets at their upgraded versions
FIRST_CELL = """
import sys, time
import google.colab
COURSE_HUB = None
t = time.monotonic()
{setup}
print(f"SETUP_S {{time.monotonic() - t:.0f}}")
import datasets, huggingface_hub, ipywidgets
from huggingface_hub import HfApi
print("MODEL", HfApi().model_info("hf-hands-on/minilm-sentiment").id, huggingface_hub.__version__)
print("DATASET", datasets.load_dataset("hf-hands-on/sentiment-snippets", split="train").num_rows, datasets.__version__)
print("WIDGETS", ipywidgets.__version__)
"""

# a kernel that imported two Hugging Face libraries before the setup cell installed the course
IMPORTED_FIRST = """
import sys
import google.colab, huggingface_hub, transformers
sys.path.insert(0, sys.argv[1])
from helpers import colab
colab.prepare(sys.argv[1])
"""


def fresh_runtime(name: str, torch: str | None = None) -> tuple[Path, Path]:
    """A copy of the twin's venv under build/colab-twin/NAME/ (a new Colab runtime); `torch`: another torch build's
    metadata in it (Colab's GPU runtime: +cu128)."""
    runtime = TWIN / name
    shutil.rmtree(runtime, ignore_errors=True)
    runtime.mkdir(parents=True)
    run(["cp", "-al", str(TWIN / "venv"), str(runtime / "venv")])  # hard links: pip replaces files, never edits
    py = runtime / "venv" / "bin" / "python"
    if torch:
        site = site_packages(py)
        for old in site.glob("torch-*.dist-info"):
            shutil.rmtree(old)
        dist_info(site, "torch", torch)
    return py, runtime


def checked_run(py: Path, code: str, args: list[str], env: dict, cwd: Path) -> tuple[subprocess.CompletedProcess, dict]:
    """Run `code` in the runtime; return its result and the versions it changed, after printing its output."""
    before = versions(py)
    out = subprocess.run([str(py), "-c", code, *args], env=env, capture_output=True, text=True, cwd=cwd)
    print(out.stdout[-3000:], out.stderr[-3000:], sep="\n")
    after = versions(py)
    return out, {n: (before.get(n), v) for n, v in sorted(after.items()) if before.get(n) != v}


def kept(py: Path, pins_before: dict[str, str]) -> list[str]:
    after = versions(py)
    return [f"{n} {v} -> {after.get(n)}" for n, v in sorted(pins_before.items()) if after.get(n) != v]


def pins_of(py: Path, course: Path) -> dict[str, str]:
    code = "import sys, json; sys.path.insert(0, sys.argv[1]); from helpers import colab; print(json.dumps(colab.kernel_pins()))"
    return json.loads(subprocess.check_output([str(py), "-c", code, str(course)], text=True))


def setup_cell_run(env: dict) -> list[str]:
    """A fresh runtime: the setup cell verbatim twice (a second notebook installs nothing), the kernel's packages and
    torch kept, the course hub (a copy of data/hub) answering the Hub API and datasets."""
    from course_hub import HubDir
    from course_hub.settings import default_hub_dir
    from tools.publish import repository, setup_cell

    py, runtime = fresh_runtime("cpu")
    course = runtime / "content" / "hf-hands-on"
    source = default_hub_dir()
    if not HubDir(source).is_built():
        return [f"no built course hub in {source}: make hub"]
    hub = runtime / "hub"
    HubDir(source).copy_to(hub)
    env = {
        **env,
        "COURSE_DIR": str(course),
        "COURSE_HUB_DIR": str(hub),
        "COURSE_HF_HOME": str(runtime / "hf-home"),
        "COURSE_CI": "1",
        # the setup cell clones the published URL: this checkout's HEAD instead
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{ROOT}.insteadOf",
        "GIT_CONFIG_VALUE_0": repository(),
    }
    code = FIRST_CELL.format(setup=setup_cell(repository()))
    pins = pins_of(py, ROOT)  # what the install must keep (the runtime's metadata, read by this checkout's helpers)
    print(f"[CPU runtime] {len(pins)} pins: " + ", ".join(f"{n} {v}" for n, v in sorted(pins.items())))
    failures = []
    try:
        for attempt in ("first notebook", "second notebook"):
            out, changed = checked_run(py, code, [], env, runtime)
            print(f"[{attempt}] changed: " + ", ".join(f"{n} {a} -> {b}" for n, (a, b) in changed.items()))
            if out.returncode != 0 or "MODEL hf-hands-on/minilm-sentiment" not in out.stdout:
                failures.append(f"{attempt}: the setup cell or the hub's answers failed")
            if "Restart the runtime" in out.stdout:
                failures.append(f"{attempt}: asked for a restart with nothing imported before it")
            if attempt == "first notebook":
                failures += [f"first notebook: changed {c}" for c in kept(py, pins)]
            elif changed or "Installing the course" in out.stdout:
                failures.append("second notebook: installed again")
        if not failures:
            failures += notebooks_run(py, runtime, course, env, pins)
    finally:
        subprocess.run([str(py), "-m", "course_hub", "stop", "--hub-dir", str(hub)], env=env, cwd=runtime)
    return failures


# a hung notebook's limit: 08 took 926 s in a green run on 2 cores under a load of 15-20 (other agents' jobs)
NOTEBOOK_TIMEOUT_S = 1800

# appended to the twin's copy of each notebook: the kernel took Colab's path (google.colab imported at its start,
# `helpers.colab.prepare()` ran: it alone sets COURSE_AUTO_BUILD)
CHECK_CELL = """import os, sys
print("TWIN_CHECK", "google.colab" in sys.modules, os.environ.get("COURSE_AUTO_BUILD"))
"""


def link_hrefs(notebook: dict) -> list[str]:
    """The addresses of the link helper's outputs (`helpers.links.show`: `<a class="course-link" href=...>`) in an
    executed notebook."""
    found = []
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html", "")
            found += re.findall(r'class="course-link" href="([^"]*)"', "".join(html))
    return found


def local_links(hrefs: list[str]) -> list[str]:
    """The addresses on the kernel's machine (127.0.0.1, localhost): a Colab learner's browser cannot open them."""
    return [h for h in hrefs if re.match(r"https?://(127\.0\.0\.1|localhost|0\.0\.0\.0|\[::1\])[:/]", h)]


def kernel_spec(py: Path, runtime: Path) -> Path:
    """A Jupyter kernel `colab-twin` of the runtime's python whose IPython startup imports google.colab, as Colab's
    kernel does; returns the folder to put on JUPYTER_PATH."""
    startup = runtime / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-google-colab.py").write_text("import google.colab  # Colab's kernel imports it at its start\n")
    spec = runtime / "jupyter" / "kernels" / "colab-twin"
    spec.mkdir(parents=True, exist_ok=True)
    argv = [str(py), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": argv,
                "display_name": "Colab twin",
                "language": "python",
                "env": {"IPYTHONDIR": str(runtime / "ipython")},
            }
        )
    )
    return runtime / "jupyter"


def notebooks_run(py: Path, runtime: Path, course: Path, env: dict, pins: dict[str, str]) -> list[str]:
    """Every notebook of the clone with papermill (FAST=True) in the runtime's kernel, against the hub the setup
    cell started: each takes Colab's path, installs nothing, and every pin keeps its version."""
    import nbformat

    env = {
        **env,
        "JUPYTER_PATH": str(kernel_spec(py, runtime)),
        "PATH": f"{py.parent}:{env.get('PATH', '')}",  # Colab's python is the one on PATH
        "COURSE_STRICT_WARNINGS": "1",
    }
    (runtime / "content").mkdir(exist_ok=True)
    out_dir = runtime / "executed"
    out_dir.mkdir(exist_ok=True)
    before, failures, rows = versions(py), [], []
    for src in sorted((course / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(src, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(CHECK_CELL))
        given = out_dir / f"in-{src.name}"
        nbformat.write(nb, given)
        dest = out_dir / src.name
        cmd = [sys.executable, "-m", "papermill", str(given), str(dest), "-p", "FAST", "True", "-k", "colab-twin"]
        started = time.monotonic()
        try:
            result = subprocess.run(
                [*cmd, "--cwd", str(runtime / "content"), "--no-progress-bar"],
                env=env,
                capture_output=True,
                text=True,
                timeout=NOTEBOOK_TIMEOUT_S,
            )
            error = None if result.returncode == 0 else (result.stderr.strip().splitlines() or ["?"])[-1]
        except subprocess.TimeoutExpired:
            error = f"timed out after {NOTEBOOK_TIMEOUT_S} s"
        wall = time.monotonic() - started
        text = dest.read_text() if dest.exists() else ""
        if error is None and "TWIN_CHECK True 1" not in text:
            error = "did not take Colab's path (google.colab not imported, or helpers.colab.prepare() not run)"
        for unwanted in ("Installing the course", "Restart the runtime"):
            if unwanted in text:
                error = (error or "") + f" printed {unwanted!r}"
        # the hub's pages and the apps reach the learner's browser through Colab's port proxy (the stand-in's address)
        hrefs = link_hrefs(json.loads(text)) if text else []
        local = local_links(hrefs)
        if local:
            error = (error or "") + f" links not through Colab's proxy: {local[:3]}"
        rows.append((src.name, wall, error))
        shown = f"{wall:6.1f} s  {len(hrefs)} links"
        print(f"[notebooks] {src.name:45} {shown}  {'FAILED: ' + error if error else 'ok'}", flush=True)
        if error:
            failures.append(f"{src.name}: {error}")
    total = sum(wall for _, wall, _ in rows)
    print(f"[notebooks] {len(rows)} notebooks in {total:.0f} s (papermill, FAST=True, each with its kernel's start)")
    (out_dir / "report.json").write_text(
        json.dumps(
            {
                "total_s": round(total, 1),
                "notebooks": [{"notebook": n, "wall_s": round(w, 1), "error": e} for n, w, e in rows],
            },
            indent=1,
        )
    )
    after = versions(py)
    changed = [f"{n} {before.get(n)} -> {v}" for n, v in sorted(after.items()) if before.get(n) != v]
    if changed:
        print("[notebooks] changed: " + ", ".join(changed))
        failures.append("the notebooks installed or changed packages: " + ", ".join(changed))
    failures += [f"after the notebooks: changed {c}" for c in kept(py, pins)]
    return failures


def imported_first_run(env: dict, gpu_torch: str) -> list[str]:
    """Colab's GPU runtime (torch +cu128's metadata): a kernel that imported huggingface_hub and transformers before
    the install; one "Restart the runtime" line, torch +cu128 and the kernel's packages kept."""
    py, runtime = fresh_runtime("gpu", torch=gpu_torch)
    course = runtime / "content" / "hf-hands-on"
    run(["git", "clone", "--quiet", str(ROOT), str(course)])
    pins = pins_of(py, ROOT)
    out, changed = checked_run(py, IMPORTED_FIRST, [str(course)], env, runtime)
    restart = [line for line in out.stdout.splitlines() if line.startswith("Restart the runtime")]
    failures = [] if out.returncode == 0 else ["the install under imported libraries failed"]
    if len(restart) != 1 or "huggingface_hub" not in restart[0]:
        failures.append(f"expected one 'Restart the runtime' line naming huggingface_hub, got {restart}")
    failures += [f"GPU runtime: changed {c}" for c in kept(py, pins)]
    if pins.get("torch") != gpu_torch:
        failures.append(f"the GPU runtime's torch is {pins.get('torch')}, not {gpu_torch}")
    print(f"[GPU runtime] kept {len(pins)} pins: " + ", ".join(f"{n} {v}" for n, v in sorted(pins.items())))
    print("[GPU runtime] changed: " + ", ".join(f"{n} {a} -> {b}" for n, (a, b) in changed.items()))
    return failures


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--python", help="a Python 3.13 (default: python3.13 on PATH or pyenv's)")
    p.add_argument("--fresh", action="store_true", help="make the twin's runtime again")
    args = p.parse_args(argv)
    if args.fresh:
        shutil.rmtree(TWIN, ignore_errors=True)
    TWIN.mkdir(parents=True, exist_ok=True)
    freeze = read_freeze()
    gpu_torch = torch_version(read_freeze(FREEZE_GPU))
    print(f"Colab's runtime as of {SNAPSHOT}: {len(freeze)} packages")
    print(
        f"NOTE torch differs from Colab's: the twin has {course_torch()} (PyPI's cp313 build, run on the CPU), Colab "
        f"torch {torch_version(freeze)} (download.pytorch.org, which this machine cannot reach)"
    )
    python = args.python or python313(None)
    version = subprocess.check_output([python, "--version"], text=True).strip()
    print(f"NOTE Colab: {', '.join(colab_os()[:2])}; the twin: {this_os()}, {version} ({python})")
    t0 = time.monotonic()
    base = make_runtime(python, freeze)
    print(f"[runtime] {time.monotonic() - t0:.0f} s")
    base_versions = versions(base)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONPATH", "VIRTUAL_ENV", "COURSE_", "HF_"))}
    env = {k: v for k, v in env.items() if not k.startswith("GIT_")}
    failures = setup_cell_run(env)
    failures += imported_first_run(env, gpu_torch)
    if versions(base) != base_versions:  # the runtimes hard-link its files: pip must have replaced, never edited
        failures.append("a runtime changed the twin's own venv (build/colab-twin/venv): make test-colab --fresh")
    for f in failures:
        print("FAIL:", f)
    print(f"[colab twin] {'FAILED' if failures else 'passed'} in {time.monotonic() - t0:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
