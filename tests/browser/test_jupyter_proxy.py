"""The course hub and a Gradio app reached only through the Jupyter server, as on JupyterHub and Binder.

JupyterLab runs under a base URL (`/user/learner/`, JupyterHub's shape) with jupyter-server-proxy. Chromium talks to
the Jupyter server's port alone: the "Course Hub" launcher tile, the hub's website at `{base_url}course-hub/`
(helpers/jupyter_proxy.py: links stay under the prefix), and a Gradio app at `{base_url}proxy/{port}/` launched with
`helpers.gradio_tools.browser_root(port)` as its root path, as a notebook does there. Screenshots go to
build/browser/.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

from course_hub import net
from course_hub.net import free_port
from helpers.gradio_tools import stop, wait_until_up

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "browser"
BASE = "/user/learner/"
APP = textwrap.dedent("""
    import gradio as gr
    from helpers.gradio_tools import browser_root
    import sys
    port = int(sys.argv[1])
    demo = gr.Interface(lambda text: text.upper(), gr.Textbox(label="text"), gr.Textbox(label="shout"))
    demo.launch(server_name="127.0.0.1", server_port=port, root_path=browser_root(port), quiet=True)
""")


def _get(url: str, token: str) -> tuple[int, str]:
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}", "Accept": "text/html"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except OSError:
        return 0, ""


@pytest.fixture
def lab(hub, tmp_path):
    """JupyterLab under BASE on a free port; its course-hub proxy points at the session's hub (COURSE_HUB_DIR)."""
    OUT.mkdir(parents=True, exist_ok=True)
    port, token = free_port(), secrets.token_hex(16)
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
        f"--ServerApp.base_url={BASE}",
        f"--ServerApp.root_dir={ROOT / 'notebooks'}",
        f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
        f"--LabApp.workspaces_dir={tmp_path / 'ws'}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
        "JUPYTERHUB_SERVICE_PREFIX": BASE,
    }
    log_path = OUT / "jupyterlab-proxy.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}{BASE}"
    try:
        net.wait_until_up(f"{url}api/status", proc, 90, log_path=log_path, interval=0.3, what="JupyterLab")
        yield {"url": url, "token": token, "port": port, "log": log_path}
    finally:
        stop(proc, timeout=30)


def test_the_hub_and_an_app_through_the_jupyter_server_only(lab, hub, tmp_path, chromium):
    from playwright.sync_api import expect, sync_playwright

    from helpers.bootstrap import Course

    # the website through the proxy: 200, and its links stay under the prefix
    status, page = _get(f"{lab['url']}course-hub/models", lab["token"])
    assert status == 200, page[:500]
    assert f'href="{BASE}course-hub/' in page and 'href="/models' not in page
    # what a notebook prints for the learner's browser there
    os.environ["JUPYTERHUB_SERVICE_PREFIX"] = BASE
    try:
        assert Course(hub.url, "local", hub.dir, tmp_path).web_url("models") == f"{BASE}course-hub/models"
        # JupyterHub's course-hub service on the same machine: the tile's proxy too; a LAN hub: its own address
        assert Course(hub.url, "classroom", None, tmp_path).web_url("models") == f"{BASE}course-hub/models"
        assert (
            Course("http://10.0.0.5:8765", "classroom", None, tmp_path).web_url("models")
            == "http://10.0.0.5:8765/models"
        )
    finally:
        del os.environ["JUPYTERHUB_SERVICE_PREFIX"]

    app_port = free_port()
    app_log = tmp_path / "app.log"
    with open(app_log, "wb") as log:
        app = subprocess.Popen(
            [sys.executable, "-c", APP, str(app_port)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "JUPYTERHUB_SERVICE_PREFIX": BASE, "GRADIO_ANALYTICS_ENABLED": "False"},
        )
    try:
        wait_until_up(f"http://127.0.0.1:{app_port}/", app, timeout=120, log=app_log)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium)
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 800})
                origin = f"http://127.0.0.1:{lab['port']}"
                seen = set()
                page.on("request", lambda r: seen.add(r.url.split("/")[2]))
                page.goto(f"{lab['url']}lab?token={lab['token']}")  # the login cookie for the rest
                expect(page.locator(".jp-LauncherCard", has_text="Course Hub").first).to_be_visible(timeout=60_000)
                page.goto(f"{lab['url']}course-hub/")
                expect(page.locator("body")).to_contain_text("minilm-sentiment", timeout=30_000)
                page.locator(f'a[href="{BASE}course-hub/hf-hands-on/minilm-sentiment"]').first.click()
                page.wait_for_url(f"{origin}{BASE}course-hub/hf-hands-on/minilm-sentiment")
                expect(page.locator("body")).to_contain_text("POSITIVE")
                page.screenshot(path=str(OUT / "jupyter-proxy-hub.png"))
                page.goto(f"{lab['url']}proxy/{app_port}/")
                page.get_by_label("text").first.fill("hello from binder")
                page.get_by_role("button", name="Submit").click()
                expect(page.get_by_label("shout").first).to_have_value("HELLO FROM BINDER", timeout=60_000)
                page.screenshot(path=str(OUT / "jupyter-proxy-gradio.png"))
                assert seen == {f"127.0.0.1:{lab['port']}"}, f"the browser went around the Jupyter server: {seen}"
            finally:
                browser.close()
    finally:
        stop(app)
