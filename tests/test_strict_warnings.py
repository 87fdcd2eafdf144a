"""COURSE_STRICT_WARNINGS=1: a deprecation from a Hugging Face library fails the notebook run, naming it and the cell.

Real kernels (papermill / nbclient, as `make test` runs the notebooks) calling real deprecated transformers APIs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from nbclient import NotebookClient

SETUP = "import helpers\ncourse = helpers.connect(quiet=True)"
# transformers warns from its own module here (no stacklevel) ...
DEPRECATED_IN_LIBRARY = (
    "from transformers import TrainingArguments\nTrainingArguments(output_dir='out', gradient_checkpointing=True)"
)
# ... and here with stacklevel=2, so the warning is attributed to the cell, not to transformers
DEPRECATED_AT_CALLER = "from transformers import GenerationConfig\nGenerationConfig(continuous_batching_config={})"


def notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture
def kernel_env(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("COURSE_CI", "1")
    return monkeypatch


def run_papermill(nb, tmp_path):
    src = tmp_path / "in.ipynb"
    nbformat.write(nb, src)
    return pm.execute_notebook(
        str(src), str(tmp_path / "out.ipynb"), cwd=str(tmp_path), kernel_name="python3", progress_bar=False
    )


def stderr_of(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stderr")


def test_strict_run_fails_on_a_transformers_deprecation(kernel_env, tmp_path):
    kernel_env.setenv("COURSE_STRICT_WARNINGS", "1")
    with pytest.raises(pm.PapermillExecutionError) as failed:
        run_papermill(notebook(SETUP, DEPRECATED_IN_LIBRARY, "print('not reached')"), tmp_path)
    err = failed.value
    assert err.ename == "HFDeprecationError"
    assert err.cell_index == 1 and err.exec_count == 2
    assert "FutureWarning from transformers in cell In [2], line 2 (transformers/training_args.py:" in err.evalue
    assert "`gradient_checkpointing` is deprecated" in err.evalue


def test_without_strict_the_same_notebook_only_warns(kernel_env, tmp_path):
    kernel_env.delenv("COURSE_STRICT_WARNINGS", raising=False)
    nb = run_papermill(notebook(SETUP, DEPRECATED_IN_LIBRARY), tmp_path)
    assert "FutureWarning: `gradient_checkpointing` is deprecated" in stderr_of(nb.cells[1])


def test_strict_catches_warnings_attributed_to_the_cell_and_spares_others(kernel_env, tmp_path):
    kernel_env.setenv("COURSE_STRICT_WARNINGS", "1")
    # issued by the cell but pointing at a line of transformers, as another library's warning about HF code would
    about_hf = (
        "import transformers, warnings\nwarnings.warn_explicit('{}', {}, transformers.__file__, 1, 'transformers')"
    )
    nb = notebook(
        SETUP,
        DEPRECATED_AT_CALLER,
        "import warnings\nwarnings.warn('not a Hugging Face one', FutureWarning)",
        "import warnings\nwarnings.warn('nor this one', DeprecationWarning)",
        "import transformers\nwarnings.warn('a UserWarning is not a deprecation', UserWarning)",
        about_hf.format("a learner would see this", "FutureWarning"),
        about_hf.format("hidden by default", "DeprecationWarning"),
        # gradio sets a pandas option that pandas 3 deprecates: a hidden DeprecationWarning, not gradio's own
        "from gradio.queueing import Queue\nQueue._get_df([{'function': 'f', 'status': 'success'}])",
    )
    NotebookClient(
        nb, timeout=300, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    errors = [next((o for o in c.outputs if o.output_type == "error"), None) for c in nb.cells]
    failed = [n for n, e in enumerate(errors) if e is not None]
    assert failed == [1, 5], [(n, errors[n].evalue) for n in failed]
    assert {errors[1].ename, errors[5].ename} == {"HFDeprecationError"}
    assert errors[1].evalue.startswith("FutureWarning from transformers in cell In [2], line 2 (")
    assert "continuous_batching_config" in errors[1].evalue
    assert errors[5].evalue.startswith(
        "FutureWarning from transformers in cell In [6], line 2 (transformers/__init__.py:1)"
    )
    assert "FutureWarning: not a Hugging Face one" in stderr_of(nb.cells[2])
    assert "DeprecationWarning: nor this one" in stderr_of(nb.cells[3])
    assert "UserWarning: a UserWarning is not a deprecation" in stderr_of(nb.cells[4])
    assert stderr_of(nb.cells[6]) == stderr_of(nb.cells[7]) == ""


def test_pytest_config_fails_a_test_on_a_transformers_deprecation(tmp_path):
    """pyproject's `filterwarnings` turns a Hugging Face FutureWarning in a test into an error."""
    (tmp_path / "test_deprecated.py").write_text(
        "def test_deprecated_call(tmp_path):\n"
        "    from transformers import TrainingArguments\n"
        "    TrainingArguments(output_dir=str(tmp_path), gradient_checkpointing=True)\n"
    )
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-c",
            str(pyproject),
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_deprecated.py"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stdout[-2000:]
    assert "FutureWarning: `gradient_checkpointing` is deprecated" in done.stdout
