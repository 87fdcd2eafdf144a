"""The demo Space in a real browser (Debian's Chromium through Playwright): its page on the course hub's website
embeds the app (through the hub's proxy, at the address `space_info(id).host` gives); a learner types a sentence
into the embedded app and reads the label, then opens the app on its own.

The test runs its own course hub over a copy of the built hub (the app costs seconds of CPU to start; the session
hub is left alone). The screenshot goes to build/web/space-app.png (also when a step fails).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SOURCE_HUB, copy_hub, start_server, stop_server

from course_hub import HubDir, server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "web"
DEMO = "hf-hands-on/sentiment-demo"


@pytest.fixture
def space_hub(tmp_path):
    if not HubDir(SOURCE_HUB).is_built():
        pytest.skip(f"the course hub is not built in {SOURCE_HUB}")
    copy_hub(SOURCE_HUB, tmp_path / "hub")
    port = server.free_port()
    proc, _ = start_server(tmp_path / "hub", port, tmp_path / "server.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)


def test_demo_space_in_the_browser(space_hub, chromium):
    from huggingface_hub import HfApi
    from playwright.sync_api import sync_playwright

    host = HfApi(endpoint=space_hub, token=False).space_info(DEMO).host
    assert host == f"{space_hub}/spaces/{DEMO}/app/"
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            # the Space's page on the website embeds the running app; opening it starts the app
            page.goto(f"{space_hub}/spaces/{DEMO}", timeout=60_000)
            frame = page.frame_locator("#space-app iframe.space-frame")
            box = frame.locator("textarea").first
            box.wait_for(timeout=240_000)
            box.fill("What a wonderful, heart-warming film. I loved every minute of it!")
            frame.get_by_role("button", name="Submit").click()
            frame.get_by_test_id("label-output-value").get_by_text("POSITIVE").wait_for(timeout=180_000)
            page.screenshot(path=str(OUT / "space-page.png"))
            # the app on its own, at space_info(id).host
            page.goto(host, timeout=240_000)
            # the app's page runs in a sandbox (an opaque origin): its scripts cannot use the hub as the visitor
            assert page.evaluate("() => window.origin") == "null"
            box = page.locator("textarea").first
            box.wait_for(timeout=60_000)
            box.fill("What a wonderful, heart-warming film. I loved every minute of it!")
            page.get_by_role("button", name="Submit").click()
            label = page.get_by_test_id("label-output-value")
            label.get_by_text("POSITIVE").wait_for(timeout=180_000)  # the app loads the model on first use
            assert label.inner_text().strip().startswith("POSITIVE"), label.inner_text()
            box.fill("The battery died after two days and support never answered my emails.")
            page.get_by_role("button", name="Submit").click()
            label.get_by_text("NEGATIVE").wait_for(timeout=60_000)
            assert not errors, errors
        finally:
            page.screenshot(path=str(OUT / "space-app.png"), full_page=True)
            browser.close()
