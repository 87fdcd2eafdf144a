"""The model page's try-it widget (course_hub/inference/static/widget.js) in Debian's Chromium through Playwright,
against the session's hub: label bars for the classifier, similarity scores for MiniLM, a streamed chat with
SmolLM2 (and its Stop button). Screenshots go to build/web/inference_*.png. `make test-browser` runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "web"


@pytest.fixture
def page(hub, chromium):
    from playwright.sync_api import sync_playwright

    if not hub.built:
        pytest.skip("the course hub is not built (make hub)")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            pg = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
            errors: list[str] = []
            pg.on("pageerror", lambda e: errors.append(str(e)))
            pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            yield pg
            assert not errors, errors  # a CSP violation shows up here too
        finally:
            browser.close()


def test_widget_classification_similarity_and_chat(hub, page):
    from playwright.sync_api import expect

    long = {"timeout": 300_000}  # a cold worker on a busy machine
    page.goto(f"{hub.url}/hf-hands-on/minilm-sentiment")
    widget = page.locator("#inference-widget")
    expect(widget.locator(".iw-task")).to_have_text("Task: text-classification")
    widget.locator("textarea").fill("What a wonderful, delightful course!")
    widget.locator("button[type=submit]").click()
    expect(widget.locator(".iw-bars li").first).to_contain_text("POSITIVE", **long)
    expect(widget.locator(".iw-bars li")).to_have_count(2)
    page.screenshot(path=OUT / "inference_classification.png")

    page.goto(f"{hub.url}/sentence-transformers/all-MiniLM-L6-v2")
    widget = page.locator("#inference-widget")
    widget.locator("button[type=submit]").click()
    expect(widget.locator(".iw-bars li")).to_have_count(2, **long)
    scores = [float(s) for s in widget.locator(".iw-score").all_inner_texts()]
    assert scores[0] > scores[1]  # "A kitten rests on a rug" is closer to "A cat sits on the mat" than the stocks

    page.goto(f"{hub.url}/HuggingFaceTB/SmolLM2-135M-Instruct")
    widget = page.locator("#inference-widget")
    widget.locator("textarea").fill("What is the capital of France?")
    widget.locator("button[type=submit]").click()
    answer = widget.locator(".iw-assistant").last
    expect(answer).to_contain_text("Paris", **long)
    expect(widget.locator("button[type=submit]")).to_be_enabled(**long)
    page.screenshot(path=OUT / "inference_chat.png")
    # a long answer, stopped: the fetch is aborted (the hub cancels the generation)
    widget.locator("textarea").fill("Write a very long story about a dragon.")
    widget.locator("button[type=submit]").click()
    expect(widget.locator(".iw-stop")).to_be_enabled()
    expect(widget.locator(".iw-assistant").last).not_to_have_text("…", **long)
    widget.locator(".iw-stop").click()
    expect(widget.locator(".iw-assistant").last).to_contain_text("[stopped]")
