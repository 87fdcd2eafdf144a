"""Notebook 00 in a real browser: headless JupyterLab, driven by Debian's Chromium through Playwright.

A copy of the notebook without outputs (build/browser/, removed afterwards; the committed notebook is never
opened) runs with Run > Run All Cells against the test session's course hub. The test then checks what a learner
sees: the outputs, no tracebacks, and a live ipywidgets widget that classifies a sentence typed into it.
The screenshot (build/browser/00_welcome.png, also taken when the test fails) and JupyterLab's log go to
build/browser/. `make test-browser` runs it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from course_hub.net import free_port, wait_until_up

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.notebooks]

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "00_welcome.ipynb"
OUT = ROOT / "build" / "browser"
COPY = OUT / NOTEBOOK.name
RUN_ALL_TIMEOUT_S = 300
# JupyterLab settings for the test only: no autosave (the copy is never saved), every cell in the DOM, no
# "news" prompt over the page.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}

# The notebook's state, read from JupyterLab's own models (exposed with --LabApp.expose_app_in_browser).
NOTEBOOK_STATE_JS = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.model || !panel.sessionContext) return null;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = [];
  const model = panel.content.model;
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type !== 'code') continue;
    const outputs = [];
    for (let j = 0; j < cell.outputs.length; j++) outputs.push(cell.outputs.get(j).toJSON());
    cells.push({count: cell.executionCount, state: cell.executionState, outputs});
  }
  return {kernel: kernel ? kernel.status : null, cells};
}"""


def _copy_without_outputs(src: Path, dest: Path) -> None:
    """The notebook as a learner gets it fresh: no outputs, no execution counts, no saved widget state."""
    nb = nbformat.read(src, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, dest)


@pytest.fixture
def lab(hub, tmp_path):
    """JupyterLab on a free port, rooted at the repository, its kernels pointed at the session's course hub."""
    OUT.mkdir(parents=True, exist_ok=True)
    _copy_without_outputs(NOTEBOOK, COPY)
    for name, value in LAB_SETTINGS.items():
        path = tmp_path / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    port, token = free_port(), secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}"
    args = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={ROOT}",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
        f"--LabApp.workspaces_dir={tmp_path / 'ws'}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    env = {
        **os.environ,
        "COURSE_CI": "1",
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    log_path = OUT / "jupyterlab.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_until_up(f"{url}/api/status", proc, 60, log_path=log_path, interval=0.2, what="JupyterLab")
        yield url, token
    finally:
        _api(url, token, "api/shutdown", method="POST")  # stops the kernels too
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        COPY.unlink(missing_ok=True)
        shutil.rmtree(OUT / ".ipynb_checkpoints", ignore_errors=True)


def _api(url: str, token: str, path: str, method: str = "GET"):
    req = urllib.request.Request(f"{url}/{path}", method=method, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            body = r.read()
            return json.loads(body) if body else {}
    except (OSError, ValueError):
        return None


def _text(output: dict) -> str:
    """What a learner reads in one output (stream text or the text/plain of a result)."""
    if output["output_type"] == "stream":
        return "".join(output["text"])
    data = output.get("data", {})
    return "".join(data.get("text/plain", ""))


def test_notebook_00_runs_and_renders_in_jupyterlab(lab, chromium):
    from playwright.sync_api import expect, sync_playwright

    url, token = lab
    rel = COPY.relative_to(ROOT).as_posix()
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{url}/lab/tree/{rel}?token={token}")
            page.wait_for_function(
                f"() => {{ const s = ({NOTEBOOK_STATE_JS})(); return s && s.kernel === 'idle'; }}", timeout=120_000
            )
            state = page.evaluate(NOTEBOOK_STATE_JS)
            assert state["cells"] and all(c["count"] is None and not c["outputs"] for c in state["cells"])

            # Run > Run All Cells, as a learner does it
            page.locator(".lm-MenuBar-itemLabel").get_by_text("Run", exact=True).click()
            page.locator(".lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click()
            page.wait_for_function(
                f"""() => {{ const s = ({NOTEBOOK_STATE_JS})();
                    return s && s.kernel === 'idle'
                        && s.cells.every(c => c.count !== null && c.state !== 'running'); }}""",
                timeout=RUN_ALL_TIMEOUT_S * 1000,
            )
            run_s = time.monotonic() - started
            state = page.evaluate(NOTEBOOK_STATE_JS)

            outputs = [o for c in state["cells"] for o in c["outputs"]]
            errors = [o for o in outputs if o["output_type"] == "error"]
            assert not errors, f"cells raised: {[e['ename'] + ': ' + e['evalue'] for e in errors]}"
            texts = "\n".join(_text(o) for o in outputs)
            assert "Connected to the course hub at http://127.0.0.1:" in texts
            assert "('POSITIVE', 0." in texts  # section 1: the first classification
            assert "✅ All 7 terms matched." in texts  # a solution cell's self-check
            counts = [c["count"] for c in state["cells"]]
            assert counts == list(range(1, len(counts) + 1)), counts  # every cell once, in order

            # ...and what the page shows of them
            stderr = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
            assert not [t for t in stderr.all_inner_texts() if "Traceback" in t or "Error" in t]
            shown = "\n".join(page.locator(".jp-OutputArea-output").all_inner_texts())
            assert "Connected to the course hub at http://127.0.0.1:" in shown
            assert "NEGATIVE  0." in shown and "POSITIVE  0." in shown  # section 1's list of sentences

            # the widget: drawn by the widget manager and live (a sentence typed into it is classified by the kernel)
            widget = page.locator(".jp-OutputArea-output .widget-vbox").filter(has=page.locator(".widget-text"))
            expect(widget).to_have_count(1)
            sentence, verdict = widget.locator(".widget-text input"), widget.locator(".widget-html")
            expect(sentence).to_have_value("This course is a lot of fun!")
            expect(verdict).to_contain_text("POSITIVE with a score of 0.")  # classified when the cell ran
            widget.scroll_into_view_if_needed()
            sentence.fill("The battery died after two days, a waste of money.")
            sentence.press("Enter")
            expect(verdict).to_contain_text("NEGATIVE with a score of 0.", timeout=30_000)
        finally:
            page.screenshot(path=OUT / "00_welcome.png", full_page=True)
            browser.close()
    print(
        f"notebook 00 opened and ran in JupyterLab in {run_s:.0f} s; screenshot: {(OUT / '00_welcome.png').relative_to(ROOT)}"
    )
