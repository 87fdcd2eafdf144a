"""`make test-colab`: the course's Colab install on a twin of Colab's runtime, and a check that Colab's own kernel
packages keep their versions.

The twin (build/colab-twin/): a Python 3.13 venv holding the part of Colab's published `pip-freeze.txt` that matters
here (the Hugging Face stack, numpy, pandas, pyarrow, gradio, langchain, psutil, the Jupyter kernel stack and what
google-colab requires), at the file's versions (read from it here, its other lines as pip constraints), plus a
stand-in `google.colab` package with google-colab's metadata. Then, as a notebook's setup cell on Colab does: the
course cloned at HEAD, `helpers.colab.prepare()` in a kernel-like process that has already imported
huggingface_hub and transformers (so it must say "Restart the runtime", once), and the check that every package
`helpers.colab.kernel_pins()` pinned is at the version it had.

Snapshot: googlecolab/backend-info at a72407924822ea377410b69f0a290150bcb5c9c2 (2026-08-19, "Upgrade to Python
3.13"), its pip-freeze.txt verbatim in tools/colab_runtime/. Nothing here refreshes it: copy a newer file there and
change SNAPSHOT.

Not in the twin (say so when you quote it): torch. Colab's is `torch 2.11.0+cpu` from download.pytorch.org, which
this machine cannot reach; PyPI's torch 2.11.0 for Linux is the CUDA build (GBs). The twin holds torch's metadata
only (`torch-2.11.0+cpu.dist-info`, no code): pip sees Colab's torch and must keep it, but nothing can import torch,
so the notebooks do not run here (the issue's papermill half of the twin waits for a reachable CPU wheel).

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
SNAPSHOT = "googlecolab/backend-info a72407924822ea377410b69f0a290150bcb5c9c2 (2026-08-19)"
TWIN = ROOT / "build" / "colab-twin"
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
STANDIN = '''"""Stands in for Colab's google.colab (tools/colab_twin.py): the course's setup only checks it is imported."""
'''


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
    """Colab's torch version from its wheel's URL (`torch-2.11.0%2Bcpu-cp313-...whl` -> 2.11.0+cpu)."""
    m = re.search(r"/torch-([^-]+)-cp", freeze["torch"])
    return m[1].replace("%2B", "+")


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
    """The twin's venv: Colab's subset at the freeze's versions, torch's metadata, the stand-in google.colab."""
    venv = TWIN / "venv"
    py = venv / "bin" / "python"
    if (venv / ".colab-runtime").exists():
        return py
    shutil.rmtree(venv, ignore_errors=True)
    run([python, "-m", "venv", str(venv)])
    constraints = TWIN / "colab-constraints.txt"
    constraints.write_text("".join(line + "\n" for line in freeze.values() if " @ " not in line))
    site = site_packages(py)
    dist_info(
        site, "torch", torch_version(freeze), ["filelock", "typing-extensions", "sympy", "networkx", "jinja2", "fsspec"]
    )
    pins = [freeze[canonical(name)] for name in SUBSET if canonical(name) in freeze]
    run([str(py), "-m", "pip", "install", "--quiet", "-c", str(constraints), *pins])
    package = site / "google" / "colab"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(STANDIN)
    dist_info(site, "google-colab", "1.0.0", COLAB_REQUIRES)
    (venv / ".colab-runtime").write_text(SNAPSHOT + "\n")
    return py


def versions(py: Path) -> dict[str, str]:
    code = "import json, importlib.metadata as m; print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
    return {canonical(k): v for k, v in json.loads(subprocess.check_output([str(py), "-c", code], text=True)).items()}


# the next notebook's setup cell (a fresh kernel of the same runtime: installed already), then helpers.connect()
# against a copy of the built course hub and the Hub API and datasets at their upgraded versions
CONNECT = """
import sys
import google.colab
sys.path.insert(0, sys.argv[1])
import helpers
course = helpers.connect()
import datasets, huggingface_hub
from huggingface_hub import HfApi
print("MODEL", HfApi().model_info("course/minilm-sentiment").id, huggingface_hub.__version__)
print("DATASET", datasets.load_dataset("course/sentiment-snippets", split="train").num_rows, datasets.__version__)
"""

# the setup cell's path in a process that, like a learner's kernel, imported two Hugging Face libraries first
SETUP = """
import sys, time
import google.colab, huggingface_hub, transformers
sys.path.insert(0, sys.argv[1])
from helpers import colab
pins = colab.kernel_pins()
print("PINS", __import__("json").dumps(pins))
t = time.monotonic()
colab.prepare(sys.argv[1])
print(f"INSTALL_S {time.monotonic() - t:.0f}")
import ipywidgets
print("WIDGETS", ipywidgets.__version__)
"""


def connect(py: Path, course: Path, runtime: Path, env: dict) -> list[str]:
    """The second setup cell of the runtime and `helpers.connect()` against a copy of data/hub (when it is built)."""
    from course_hub import HubDir
    from course_hub.settings import default_hub_dir

    source = default_hub_dir()
    if not HubDir(source).is_built():
        print(f"SKIPPED helpers.connect(): no built course hub in {source} (make hub)")
        return []
    hub = runtime / "hub"
    HubDir(source).copy_to(hub)
    env = {**env, "COURSE_HUB_DIR": str(hub), "COURSE_HF_HOME": str(runtime / "hf-home"), "COURSE_CI": "1"}
    try:
        t = time.monotonic()
        out = subprocess.run(
            [str(py), "-c", CONNECT, str(course)], env=env, capture_output=True, text=True, cwd=runtime
        )
        print(out.stdout[-3000:], out.stderr[-3000:], f"[connect] {time.monotonic() - t:.0f} s", sep="\n")
    finally:
        subprocess.run([str(py), "-m", "course_hub", "stop", "--hub-dir", str(hub)], env=env, cwd=course)
    failures = [] if out.returncode == 0 else ["helpers.connect() on the twin failed"]
    if "Installing the course" in out.stdout or "Restart the runtime" in out.stdout:
        failures.append("the second setup cell installed again or asked for a restart")
    if "MODEL course/minilm-sentiment" not in out.stdout or "DATASET " not in out.stdout:
        failures.append("the course hub did not answer the twin's Hub API or datasets")
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
    print(f"Colab's runtime as of {SNAPSHOT}: {len(freeze)} packages, torch {torch_version(freeze)} (metadata only)")
    t0 = time.monotonic()
    py = make_runtime(args.python or python313(None), freeze)
    print(f"[runtime] {time.monotonic() - t0:.0f} s")
    # a fresh "runtime" for each run: the venv copied, the course cloned at HEAD (as the setup cell clones it)
    runtime = TWIN / "run"
    shutil.rmtree(runtime, ignore_errors=True)
    runtime.mkdir(parents=True)
    run(["cp", "-a", str(TWIN / "venv"), str(runtime / "venv")])
    py = runtime / "venv" / "bin" / "python"
    course = runtime / "content" / "hf-hands-on"
    run(["git", "clone", "--quiet", str(ROOT), str(course)])
    before = versions(py)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONPATH", "VIRTUAL_ENV", "COURSE_", "HF_"))}
    out = subprocess.run([str(py), "-c", SETUP, str(course)], env=env, capture_output=True, text=True, cwd=runtime)
    print(out.stdout[-4000:], out.stderr[-4000:], sep="\n")
    if out.returncode != 0:
        print("FAIL: the Colab setup path failed")
        return 1
    pins = json.loads(next(line[5:] for line in out.stdout.splitlines() if line.startswith("PINS ")))
    after = versions(py)
    changed = {n: (v, after.get(n)) for n, v in pins.items() if after.get(n) != v}
    upgraded = {n: (before[n], after[n]) for n in sorted(after) if n in before and before[n] != after[n]}
    added = sorted(n for n in after if n not in before)
    print(f"kept {len(pins)} pinned packages: " + ", ".join(f"{n} {v}" for n, v in sorted(pins.items())))
    print("upgraded: " + ", ".join(f"{n} {a} -> {b}" for n, (a, b) in upgraded.items()))
    print(f"added: {len(added)} packages: {', '.join(added)}")
    restart = [line for line in out.stdout.splitlines() if line.startswith("Restart the runtime")]
    failures = connect(py, course, runtime, env)
    if changed:
        failures.append(f"pinned packages changed: {changed}")
    if len(restart) != 1:
        failures.append(f"expected one 'Restart the runtime' line, got {restart}")
    if pins.get("torch") != torch_version(freeze) or after.get("torch") != torch_version(freeze):
        failures.append("torch changed")
    for f in failures:
        print("FAIL:", f)
    print(f"[colab twin] {'FAILED' if failures else 'passed'} in {time.monotonic() - t0:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
