"""The course hub's website in a real browser (Debian's Chromium through Playwright), against the session's hub.

A learner browses, filters by task, opens a model, downloads a file, signs in, asks for access to the gated model;
the instructor (admin of `course`) signs in and accepts on the requests page; the learner then downloads the gated
file. The dataset viewer shows each split; a hostile card stays inert in the DOM. Screenshots of every page kind go
to build/web/ (also when a step fails). `make test-browser` runs it.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "web"
MODEL, GATED, DATASET, SPACE = (
    "hf-hands-on/minilm-sentiment",
    "hf-hands-on/gated-sentiment",
    "hf-hands-on/sentiment-snippets",
    "hf-hands-on/sentiment-demo",
)
HOSTILE = """---
license: mit
---
# Hostile card <script>window.__pwned = 1</script>

[click me](javascript:window.__pwned=2) <a href="JaVaScRiPt:window.__pwned=3" id="js-link">x</a>
<img src="/nope.png" onerror="window.__pwned=4"> <iframe srcdoc="<script>parent.__pwned=5</script>"></iframe>
<svg onload="window.__pwned=6"><script>window.__pwned=7</script></svg>
<details open ontoggle="window.__pwned=8"><summary>s</summary></details>
<style>body { display: none }</style>
"""
# what the DOM holds that could run: script elements not from the hub, on* attributes, javascript: URLs, frames
DOM_CHECK_JS = """() => {
  const all = [...document.querySelectorAll('*')];
  return {
    pwned: typeof window.__pwned,
    foreignScripts: [...document.scripts].filter(s => !s.src || new URL(s.src).origin !== location.origin).length,
    handlers: all.flatMap(e => [...e.attributes].filter(a => a.name.toLowerCase().startsWith('on')).map(a => e.tagName + ' ' + a.name)),
    jsUrls: all.flatMap(e => ['href', 'src', 'action', 'formaction', 'xlink:href'].map(n => e.getAttribute(n))
                            .filter(v => v && v.trim().toLowerCase().startsWith('javascript:'))),
    frames: document.querySelectorAll('iframe, object, embed, frame').length,
    styles: document.querySelectorAll('main style, main [style]').length,
    bodyVisible: getComputedStyle(document.body).display !== 'none',
  };
}"""


@pytest.fixture
def browser(chromium):
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


def shot(page, name: str) -> None:
    page.screenshot(path=OUT / f"{name}.png", full_page=False)


def sign_in(page, hub, user: str, token: str) -> None:
    page.goto(f"{hub.url}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=token]", token)
    shot(page, "login")
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{hub.url}/")
    assert page.locator("header a.me").inner_text() == user


@pytest.mark.content
def test_browse_download_and_gated_access(hub, browser, tmp_path):
    from playwright.sync_api import expect

    learner = f"web-learner-{uuid.uuid4().hex[:6]}"
    learner_token = hub.store().create_token(learner, "read", name="browser-test")
    ctx = browser.new_context(viewport={"width": 1200, "height": 800}, accept_downloads=True)
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        # browse: home -> models -> filter by task -> the model
        page.goto(hub.url + "/")
        shot(page, "home")
        page.click("header nav >> text=Models")
        expect(page.locator("h1")).to_contain_text("Models")
        page.click("#facet-pipeline_tag >> text=text-classification")
        expect(page).to_have_url(f"{hub.url}/models?pipeline_tag=text-classification")
        cards = page.locator("a.repo-link").all_inner_texts()
        assert MODEL in cards and "sentence-transformers/all-MiniLM-L6-v2" not in cards
        shot(page, "models_filtered")
        page.click(f"a.repo-link >> text={MODEL}")
        expect(page).to_have_url(f"{hub.url}/{MODEL}")
        expect(page.locator("#model-card h1")).to_have_text("minilm-sentiment")
        expect(page.locator(".header-tags")).to_contain_text("text-classification")
        expect(page.locator(".header-tags")).to_contain_text("apache-2.0")
        expect(page.locator("#spaces-using")).to_be_visible()
        expect(page.locator("#spaces-using")).to_contain_text(SPACE)
        expect(page.locator("#inference-widget")).to_have_attribute("data-task", "text-classification")
        shot(page, "model")
        # files -> download a file
        page.click(".tabs >> text=Files and versions")
        expect(page.locator("#files")).to_contain_text("model.safetensors")
        shot(page, "tree")
        with page.expect_download() as dl:
            page.click('a.download[title="download config.json"]')
        path = tmp_path / "config.json"
        dl.value.save_as(path)
        assert b'"architectures"' in path.read_bytes()
        page.click("#files >> text=config.json")
        expect(page.locator("table.source")).to_contain_text("architectures")
        shot(page, "blob")
        page.click(".tabs >> text=Commits")
        shot(page, "commits")
        page.locator("#commits a.title").first.click()
        expect(page.locator("#commit")).to_contain_text("files changed")
        shot(page, "commit")

        # sign in, ask for access to the gated model
        sign_in(page, hub, learner, learner_token)
        page.goto(f"{hub.url}/{GATED}")
        page.fill("input[name=Name]", "A learner")
        page.fill("input[name=Affiliation]", "The course")
        page.check('input[name="I agree to use this model for learning only"]')
        shot(page, "gated_request")
        page.click("#request-access")
        expect(page.locator("#gate-status")).to_contain_text("pending")
        page.goto(f"{hub.url}/{GATED}/blob/main/config.json")
        expect(page.locator("h1")).to_contain_text("restricted")

        # the instructor accepts on the requests page (another browser session)
        ictx = browser.new_context(viewport={"width": 1200, "height": 800})
        ipage = ictx.new_page()
        sign_in(ipage, hub, "instructor", hub.token("instructor", "write"))
        ipage.goto(f"{hub.url}/{GATED}")
        ipage.click(".tabs >> text=Access requests")
        row = ipage.locator(f'#requests-pending tr[data-user="{learner}"]')
        expect(row).to_contain_text("The course")
        shot(ipage, "access_requests")
        row.locator("button.act-accepted").click()
        expect(ipage.locator(f'#requests-accepted tr[data-user="{learner}"]')).to_be_visible()
        ictx.close()

        # the learner downloads the gated file
        page.goto(f"{hub.url}/{GATED}")
        expect(page.locator("#gate")).to_contain_text("granted access")
        page.click(".tabs >> text=Files and versions")
        with page.expect_download() as dl:
            page.click('a.download[title="download config.json"]')
        dl.value.save_as(tmp_path / "gated-config.json")
        assert b'"architectures"' in (tmp_path / "gated-config.json").read_bytes()

        # tokens page
        page.click("header nav >> text=Tokens")
        expect(page.locator("#tokens")).to_contain_text("browser-test")
        shot(page, "tokens")
        assert not errors, errors
    finally:
        shot(page, "last_step")
        ctx.close()


@pytest.mark.content
def test_dataset_viewer_and_space(hub, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(f"{hub.url}/datasets/{DATASET}")
    expect(page.locator("#dataset-viewer")).to_be_visible()
    shot(page, "dataset")
    for split, total in (("train", "15,569"), ("validation", "1,945"), ("test", "1,945")):
        page.click(f'a.split[data-split="{split}"]')
        expect(page.locator("a.split.on")).to_have_attribute("data-split", split)
        expect(page.locator("table.rows tbody tr")).to_have_count(20)
        expect(page.locator("#dataset-viewer")).to_contain_text(f"of {total}")
        expect(page.locator("table.rows thead")).to_contain_text("ClassLabel(negative, positive)")
    page.click("#dataset-viewer a.next")
    expect(page.locator("#dataset-viewer")).to_contain_text("rows 21–40")
    shot(page, "dataset_viewer")
    page.goto(f"{hub.url}/spaces/{SPACE}")
    expect(page.locator("#space-app")).to_be_visible()
    expect(page.locator("#use-this")).to_contain_text(f"git clone {hub.url}/spaces/{SPACE}")
    shot(page, "space")
    page.goto(f"{hub.url}/course")
    shot(page, "org")
    page.goto(f"{hub.url}/instructor")
    expect(page.locator("h1")).to_contain_text("instructor")
    shot(page, "user")
    page.close()


def test_hostile_card_is_inert(hub, api, browser):
    from playwright.sync_api import expect

    repo_id = f"alice/hostile-browser-{uuid.uuid4().hex[:6]}"
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=HOSTILE.encode(), path_in_repo="README.md", repo_id=repo_id)
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(f"{hub.url}/{repo_id}")
    expect(page.locator("#model-card h1")).to_contain_text("Hostile card")
    page.wait_for_timeout(500)  # any onerror/onload would have fired by now
    found = page.evaluate(DOM_CHECK_JS)
    shot(page, "hostile_card")
    assert found == {
        "pwned": "undefined",
        "foreignScripts": 0,
        "handlers": [],
        "jsUrls": [],
        "frames": 0,
        "styles": 0,
        "bodyVisible": True,
    }, found
    page.click("#model-card >> text=click me")  # a link without its javascript: href does nothing
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.close()


@pytest.mark.content
def test_pages_work_with_javascript_off(hub, browser):
    """Links, forms and the branch switcher are plain HTML: the site works with JavaScript disabled."""
    from playwright.sync_api import expect

    learner = f"web-nojs-{uuid.uuid4().hex[:6]}"
    token = hub.store().create_token(learner, "read")
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 1200, "height": 800})
    page = ctx.new_page()
    try:
        page.goto(f"{hub.url}/")
        page.fill(".big-search input[name=search]", "minilm")
        page.click(".big-search button")
        # sentence-transformers' and the course's (and a learner's capstone, once the notebooks have run)
        for repo in ("sentence-transformers/all-MiniLM-L6-v2", MODEL):
            # the whole name (hf-hands-on/minilm-sentiment-nc matches "minilm" too)
            expect(page.locator("a.repo-link", has_text=re.compile(rf"^\s*{re.escape(repo)}\s*$"))).to_have_count(1)
        page.click(f'a.repo-link >> text="{MODEL}"')
        page.click(".tabs >> text=Files and versions")
        page.click(".switcher summary")  # <details>: opens without a script
        expect(page.locator(".switcher .menu")).to_be_visible()
        page.goto(f"{hub.url}/datasets/{DATASET}/viewer/default/validation")
        page.click("#dataset-viewer a.next")
        expect(page.locator("#dataset-viewer")).to_contain_text("rows 21–40 of 1,945")
        sign_in(page, hub, learner, token)
        page.goto(f"{hub.url}/{GATED}")
        page.fill("input[name=Name]", "No script")
        page.fill("input[name=Affiliation]", "The course")
        page.check('input[name="I agree to use this model for learning only"]')
        page.click("#request-access")
        expect(page.locator("#gate-status")).to_contain_text("pending")
        page.locator("header form.inline button").click()  # sign out
        expect(page.locator("header a.button")).to_have_text("Sign in")
    finally:
        shot(page, "no_javascript")
        ctx.close()
