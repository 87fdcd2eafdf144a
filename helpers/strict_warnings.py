"""Strict warnings for course runs: a deprecation raised from a Hugging Face library fails the cell.

`helpers.connect()` calls `install_if_requested()`; with `COURSE_STRICT_WARNINGS=1` (set by the Makefile's test
and run targets) these raise `HFDeprecationError`, naming the warning, where it points and the cell:

- a `DeprecationWarning` or `FutureWarning` that a Hugging Face library issues (its own deprecations);
- a `FutureWarning` that another library issues about a line of Hugging Face code (a learner would see it).

A `DeprecationWarning` that, say, pandas issues about gradio's code stays hidden, as Python's default filters
have it: the course can do nothing about it. Learners (`make lab`) see warnings as usual.

A `module=` filter alone is not enough: a library that warns with `stacklevel=2` attributes the warning to the
caller (the notebook cell), so the hook below looks at the frame that called `warnings.warn`.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import PurePath

HF_PACKAGES = (
    "huggingface_hub",
    "transformers",
    "datasets",
    "tokenizers",
    "safetensors",
    "sentence_transformers",
    "gradio",
    "gradio_client",
    "langchain_huggingface",
    "accelerate",
)
CATEGORIES = (DeprecationWarning, FutureWarning)
HF_MODULE_RE = rf"(?:{'|'.join(HF_PACKAGES)})(?:\.|\Z)"
COURSE_MODULE_RE = r"helpers(?:\.|\Z)"  # the course's own code calls HF APIs too (a stacklevel=2 warning lands here)
LET_THROUGH = (*HF_PACKAGES, "helpers")
HELPER_MODULES = ("warnings", __name__, "typing_extensions")  # frames that only pass a warning on
ENV = "COURSE_STRICT_WARNINGS"


class HFDeprecationError(RuntimeError):
    """A deprecation or future warning from a Hugging Face library, in a strict course run."""


def requested() -> bool:
    return os.environ.get(ENV, "").strip().lower() in ("1", "true", "yes", "on")


def install_if_requested() -> bool:
    """`install()` when `COURSE_STRICT_WARNINGS` is set; True if strict warnings are on."""
    if requested():
        install()
    return requested()


def install() -> None:
    """Route Hugging Face deprecations to `_strict_showwarning` (idempotent)."""
    # DeprecationWarnings attributed to library code are ignored by default: let those of HF and course code through
    for category in CATEGORIES:
        for module in (HF_MODULE_RE, COURSE_MODULE_RE):
            warnings.filterwarnings("always", category=category, module=module)
    if getattr(warnings.showwarning, "_course_strict", False):
        return
    original = warnings.showwarning

    def _strict_showwarning(message, category, filename, lineno, file=None, line=None):
        source = hf_source(category, filename, sys._getframe(1))
        if source:
            raise HFDeprecationError(describe(message, category, source, filename, lineno))
        if issubclass(category, DeprecationWarning) and any(in_package(filename, p) for p in LET_THROUGH):
            return None  # only let through by the filters above: ignored, as Python's default filters would
        return original(message, category, filename, lineno, file, line)

    _strict_showwarning._course_strict = True
    warnings.showwarning = _strict_showwarning


def hf_package(module_name: str | None) -> str | None:
    top = (module_name or "").split(".")[0]
    return top if top in HF_PACKAGES else None


def in_package(filename: str, name: str) -> bool:
    """Whether `filename` lies in the folder of the imported package `name`."""
    return any(
        filename.startswith(os.path.join(folder, "")) for folder in getattr(sys.modules.get(name), "__path__", ())
    )


def package_of_file(filename: str) -> str | None:
    """The imported HF package whose folder holds `filename`."""
    return next((name for name in HF_PACKAGES if in_package(filename, name)), None)


def hf_source(category, filename: str, frame) -> str | None:
    """The HF package a warning counts against: the one that issued it, or for a FutureWarning the one it points to."""
    if not (isinstance(category, type) and issubclass(category, CATEGORIES)):
        return None
    while frame is not None and frame.f_globals.get("__name__") in HELPER_MODULES:
        frame = frame.f_back
    issuer = hf_package(frame.f_globals.get("__name__")) if frame is not None else None
    if issuer or not issubclass(category, FutureWarning):
        return issuer
    return package_of_file(filename)


def describe(message, category, source: str, filename: str, lineno: int) -> str:
    """One line naming the warning, its package, where it points (package-relative, no machine path) and the cell."""
    folders = [os.path.dirname(f) for f in getattr(sys.modules.get(source), "__path__", ())]
    base = next((f for f in folders if filename.startswith(os.path.join(f, ""))), None)
    where = PurePath(os.path.relpath(filename, base)).as_posix() if base else PurePath(filename).name
    cell = _cell()
    return (
        f"{category.__name__} from {source}{' in ' + cell if cell else ''} ({where}:{lineno}): {message} "
        f"[{ENV}=1 fails course runs on Hugging Face deprecations: update the call]"
    )


def _cell() -> str | None:
    """`cell In [n], line l` of the innermost notebook cell on the stack (IPython maps cell files to numbers)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    cells = getattr(getattr(shell, "compile", None), "_filename_map", None) or {}
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename in cells:
            return f"cell In [{cells[frame.f_code.co_filename]}], line {frame.f_lineno}"
        frame = frame.f_back
    return None
