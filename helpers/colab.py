"""Google Colab: install the course into the runtime once without touching Colab's own kernel, and reach the kernel
machine's ports from the learner's browser.

Each notebook's setup cell clones the course repository into the runtime and puts it on `sys.path`; then
`helpers.connect()` calls `prepare()` when it runs on Colab, and builds the course hub on the first connect of the
runtime (`COURSE_AUTO_BUILD`).

The install (`install_command`) is `pip install -e` of the course's `dependencies` alone (no [lab], no [test]) with
the runtime's own stack pinned at the versions installed there (`kernel_pins`: the Jupyter kernel's packages,
whatever `google-colab` requires, torch and its companions, CPU or CUDA build alike), so pip keeps them or stops with
a message that says so; a Hugging Face library upgraded under a kernel that had already imported it asks, in one
line, for a restart (`stale_imports`).
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from importlib.metadata import Distribution
from pathlib import Path

MARKER = ".colab-installed"
PINS_FILE = ".colab-pins.txt"  # the constraints the install ran with, in the clone (for a bug report)
COURSE_DIR = Path(__file__).resolve().parents[1]  # the clone this module was imported from
# what Colab's kernel runs on (the notebook server, the kernel, the widget front end), and torch
KERNEL_STACK = (
    "ipykernel",
    "ipython",
    "jupyter_client",
    "jupyter_core",
    "tornado",
    "pyzmq",
    "traitlets",
    "ipywidgets",
    "widgetsnbextension",
    "jupyterlab_widgets",
    "notebook",
    "psutil",
)
TORCH = ("torch", "torchvision", "torchaudio")  # Colab's build (+cpu, +cu128...) stays
COLAB_DIST = "google-colab"
# imported by a notebook before the install upgraded them: the kernel keeps the old code until it restarts
RESTART_IF_UPGRADED = ("huggingface_hub", "transformers", "datasets", "sentence_transformers", "gradio")
RESTART = "Runtime > Restart session"
_said_restart = False


def on_colab() -> bool:
    """True in a Google Colab runtime (its kernel imports `google.colab` at start)."""
    return "google.colab" in sys.modules


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _distribution(name: str, path: Sequence[str] | None) -> Distribution | None:
    """The first installed distribution called `name` on `path` (default: sys.path), as imports find it."""
    return next(iter(Distribution.discover(name=name, path=list(path) if path is not None else sys.path)), None)


def _required_names(dist: Distribution) -> list[str]:
    """The names of what `dist` requires, extras left out (read without `packaging`: a fresh runtime may lack it)."""
    specs = [spec for spec in dist.requires or [] if "extra" not in spec.partition(";")[2]]
    return [m[0] for m in (re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", spec.strip()) for spec in specs) if m]


def kernel_pins(path: Sequence[str] | None = None) -> dict[str, str]:
    """canonical name -> installed version of the runtime's kernel stack, of what `google-colab` requires, and of
    torch (read from the installed metadata, not a list of versions: Colab changes them)."""
    names = [*KERNEL_STACK, *TORCH]
    colab = _distribution(COLAB_DIST, path)
    if colab is not None:
        names += _required_names(colab)
    pins = {}
    for name in names:
        dist = _distribution(name, path)
        if dist is not None:
            pins[canonical(dist.metadata["Name"] or name)] = dist.version
    return pins


def install_command(course_dir: Path, constraints: Path | None = None, path: Sequence[str] | None = None) -> list[str]:
    """`pip install -e` of the course that pins the torch already installed (CPU or CUDA build), so pip never
    replaces it; with `constraints`, the file `write_pins` wrote."""
    cmd = [sys.executable, "-m", "pip", "install", "-e", str(course_dir)]
    if constraints is not None:
        cmd += ["-c", str(constraints)]
    torch = _distribution("torch", path)
    if torch is not None:
        cmd.append(f"torch=={torch.version}")
    # (no torch at all: pip installs the one pyproject.toml asks for)
    return cmd


def write_pins(dest: Path, pins: dict[str, str]) -> Path:
    """`dest` as a pip constraints file: one `name==version` a line."""
    dest.write_text(
        "# Colab's preinstalled versions, kept by the course's install (helpers/colab.py)\n"
        + "".join(f"{name}=={version}\n" for name, version in sorted(pins.items()))
    )
    return dest


class KeptPackagesError(RuntimeError):
    """pip could not install the course without changing one of the runtime's own packages."""


def install(course_dir: Path, path: Sequence[str] | None = None) -> None:
    """pip install the course into this runtime with its kernel stack pinned (`kernel_pins`), then
    langchain-huggingface without its dependencies (it pins huggingface_hub<2, yet works with 2.x)."""
    pins = kernel_pins(path)
    constraints = write_pins(course_dir / PINS_FILE, pins)
    # pip's output is kept back unless it fails (then its reasons, which --quiet would drop, are the message)
    result = subprocess.run(install_command(course_dir, constraints, path), capture_output=True, text=True)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).splitlines()
        print("\n".join(output[-30:]), file=sys.stderr, flush=True)
        reasons = [line.strip() for line in output if "(constraint)" in line or " depends on " in line]
        if not reasons:  # not a conflict with the pins (the network, a download): pip's own words above
            raise RuntimeError("pip could not install the course (its message above): run this cell again")
        stack = {canonical(name) for name in KERNEL_STACK}
        kept = ", ".join(f"{n} {v}" for n, v in sorted(pins.items()) if n in stack)
        raise KeptPackagesError(
            f"pip could not install the course without changing Colab's own packages ({'; '.join(reasons)}); "
            f"nothing of Colab's was replaced. Kept: {kept} (all pins: {constraints}). "
            "Try a fresh runtime (Runtime > Disconnect and delete runtime), then run this cell again; if it "
            "fails again, the course does not fit this Colab runtime yet: run it on Binder or your machine."
        )
    lc = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "-c", str(constraints)]
    subprocess.run([*lc, "langchain-huggingface"], check=True)


def stale_imports(modules: Iterable[str] = RESTART_IF_UPGRADED) -> list[str]:
    """`name loaded -> installed` for each of `modules` that this process imported at another version than the
    one installed now (pip upgraded it under the kernel)."""
    importlib.invalidate_caches()  # and importlib.metadata's directory caches
    out = []
    for name in modules:
        module = sys.modules.get(name)
        loaded = getattr(module, "__version__", None)
        dist = _distribution(name, None) if loaded else None
        if dist is not None and dist.version != loaded:
            out.append(f"{name} {loaded} -> {dist.version}")
    return out


def say_restart_if_stale(modules: Iterable[str] = RESTART_IF_UPGRADED) -> bool:
    """Print one line asking for a restart when `stale_imports` finds any, once per kernel; True if it did."""
    global _said_restart
    stale = stale_imports(modules)
    if stale and not _said_restart:
        _said_restart = True
        print(
            f"Restart the runtime ({RESTART}), then run this cell again: this kernel still runs what it imported "
            f"before the course's install upgraded it ({', '.join(stale)}).",
            flush=True,
        )
    return bool(stale)


def prepare(course_dir: str | Path = COURSE_DIR) -> Path:
    """Install the course from `course_dir` (once per runtime), make it importable and cd into its notebooks."""
    course_dir = Path(course_dir).resolve()
    marker = course_dir / MARKER
    if not marker.exists():
        print("Installing the course and its libraries into this runtime (once, about a minute)...", flush=True)
        install(course_dir)
        marker.write_text("installed\n")
    say_restart_if_stale()
    if str(course_dir) not in sys.path:
        sys.path.insert(0, str(course_dir))
    importlib.invalidate_caches()
    os.environ.setdefault("COURSE_AUTO_BUILD", "1")
    os.chdir(course_dir / "notebooks")
    return course_dir


def proxy_url(port: int) -> str | None:
    """The https address at which the learner's browser reaches `port` on this runtime (Colab's port proxy,
    `google.colab.kernel.proxyPort`), ending in `/`; None off Colab or when the page cannot answer (a run without
    the browser attached)."""
    if not on_colab():
        return None
    from google.colab import output

    try:
        url = output.eval_js(f"google.colab.kernel.proxyPort({int(port)}, {{'cache': false}})", timeout_sec=10)
    except Exception:  # noqa: BLE001 - Colab raises its own errors (a timeout with no browser attached)
        return None
    return url if isinstance(url, str) and url.startswith("https://") else None


def open_port(port: int, path: str = "/", text: str | None = None) -> bool:
    """Show Colab's link that opens `port` (at `path`) in a new browser tab
    (`google.colab.output.serve_kernel_port_as_window`); False off Colab."""
    if not on_colab():
        return False
    from google.colab import output

    output.serve_kernel_port_as_window(int(port), path=path, anchor_text=text)
    return True
