"""Drift: .venv holds exactly the versions constraints.txt pins, and the file is what `make lock` writes."""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from tools.lock import CONSTRAINTS, NOT_LOCKED, canonical, differences, installed, read_pins, render, required_here

ROOT = Path(__file__).resolve().parents[1]


def test_venv_matches_the_pins():
    venv = ROOT / ".venv"
    if Path(sys.prefix).resolve() != venv.resolve():
        pytest.skip(
            f"running from {Path(sys.prefix).name!r}, not the checkout's .venv: drift is checked for .venv "
            "(make test-latest runs newer releases on purpose)"
        )
    drift = differences(read_pins(), installed(), required_here())  # a pin for another Python is not drift
    assert not drift, (
        "the installed packages differ from constraints.txt (re-run `make setup`, or `make lock` to "
        "pin what is installed):\n" + "\n".join(drift)
    )


def test_constraints_file_is_what_make_lock_writes():
    pins = read_pins()
    assert {"huggingface-hub", "transformers", "datasets", "gradio", "jupyterlab"} <= set(pins)
    assert not NOT_LOCKED & set(pins), "torch is pinned in the Makefile, the course comes from the checkout"
    lines = [line for line in CONSTRAINTS.read_text().splitlines() if line and not line.startswith("#")]
    assert len(lines) == len(pins), "a package is pinned twice"
    assert CONSTRAINTS.read_text() == render(pins), "constraints.txt is not in `make lock`'s order and format"


def test_drift_is_reported(tmp_path):
    pins = tmp_path / "constraints.txt"
    pins.write_text(f"pytest==0.0.1\nno-such-package-for-the-course==1.0\nPyYAML=={version('pyyaml')}\n")
    assert differences(read_pins(pins), installed()) == [
        "no-such-package-for-the-course: pinned 1.0, not installed",
        f"pytest: pinned 0.0.1, installed {version('pytest')}",
    ]
    assert canonical("PyYAML") == canonical("pyyaml") == "pyyaml"
    # a pin that nothing installed needs on this Python (a marker for another version) is not missing
    assert differences(read_pins(pins), installed(), {"pytest", "pyyaml"}) == [
        f"pytest: pinned 0.0.1, installed {version('pytest')}"
    ]
    assert "pytest" in required_here() or "pytest" not in installed()
