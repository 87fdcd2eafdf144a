"""The course hub's website on a real JupyterHub, in a real browser: learners are signed in through JupyterHub.

A real JupyterHub (deploy/jupyterhub/ as `make test-jupyterhub` runs it, tools/jupyterhub.py) and Debian's
Chromium through Playwright. The course hub runs as JupyterHub's service; its website signs a learner in with the
service's OAuth (course_hub/web/jupyterhub_login.py):

- a learner who opens a Space page before signing in to JupyterHub goes through JupyterHub's login form and comes
  back to the Space page as themselves; one already signed in to JupyterHub is themselves at once (a Space page,
  a model page with the widget): the course-hub user is `course_user(name)`, the seat token's (JupyterHub's
  "alice" is not the course hub's demo alice);
- the session cookie is HttpOnly, SameSite=Lax, under /services/course-hub/; no learner becomes another: a
  callback started in one learner's browser fails in the other's, a forged state fails, a wrong code and a code
  used once already fail with a clear message, and none of them signs anyone in;
- through the learner's own Jupyter server (the notebooks' links: `/user/NAME/course-hub/`) the same sign-in
  brings them back there;
- "Sign out" signs out of JupyterHub too; stopping JupyterHub leaves no process.

One learner's server is spawned (for its `/user/NAME/course-hub/` proxy; signing in to JupyterHub is enough for
the rest); the Space's app is not started (its frame's requests are answered by the test).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from course_hub import HubDir
from course_hub.jupyterhub import course_user
from course_hub.store import Store
from course_hub.web.jupyterhub_login import STATE_COOKIE, TOKEN_NAME
from course_hub.web.session import COOKIE
from tools.jupyterhub import LocalJupyterHub

pytestmark = [pytest.mark.slow, pytest.mark.serial, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "web"
SITE = "/services/course-hub"
SPACE = f"{SITE}/spaces/hf-hands-on/sentiment-demo"
MODEL = f"{SITE}/hf-hands-on/minilm-sentiment"
CALLBACK = f"{SITE}/oauth_callback"
WAIT = 90_000  # ms: a loaded 2-core machine


@pytest.fixture(scope="module")
def jh(tmp_path_factory):
    from conftest import SOURCE_HUB as source

    if not HubDir(source).is_built():
        pytest.fail(f"the course hub is not built in {source}: run `make hub`")
    base = tmp_path_factory.mktemp("jupyterhub-website")
    HubDir(source).copy_to(base / "hub")
    hub = LocalJupyterHub(base / "state", base / "hub")
    try:
        hub.start()
        yield hub
    finally:
        left = hub.stop()
        assert left == [], "processes outlived JupyterHub:\n" + "\n".join(left)


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


def new_page(browser, jh):
    """A fresh browser profile; the Space's app frame is answered here (the app is not started)."""
    context = browser.new_context(base_url=jh.url, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(WAIT)
    context.set_default_navigation_timeout(WAIT)
    page = context.new_page()
    page.route(
        "**/spaces/*/*/app/**", lambda route: route.fulfill(status=200, body="the app", content_type="text/plain")
    )
    return page


def jupyterhub_login_form(page, user: str) -> None:
    """JupyterHub's own login form (DummyAuthenticator: any password), on the page the browser is at."""
    page.locator("input[name=username]").fill(user)
    page.locator("input[name=password]").fill("any")
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")


def signed_in_as(page) -> str | None:
    me = page.locator("header a.me")
    return me.inner_text().strip() if me.count() else None


def cookies(page) -> dict[str, dict]:
    return {c["name"]: c for c in page.context.cookies()}


def capture_callback(page) -> tuple[str, dict]:
    """Start a sign-in on the website with the browser's own cookies and stop before the callback: (its URL, its
    query). Playwright routes no redirect, so the two redirects go through the context's request API (the
    browser's cookie jar: the state cookie lands in the browser)."""
    request = page.context.request
    start = request.get(f"{SITE}/login?next={SITE}/models", max_redirects=0, headers={"Accept": "text/html"})
    assert start.status == 303 and start.headers["location"].startswith("/hub/api/oauth2/authorize?"), start.headers
    assert STATE_COOKIE in cookies(page)
    authorize = request.get(start.headers["location"], max_redirects=0)
    url = authorize.headers.get("location", "")
    assert authorize.status == 302 and url.startswith(CALLBACK + "?"), (authorize.status, url)
    return url, {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def web_tokens(jh, user: str) -> list[dict]:
    return [t for t in Store(HubDir(jh.hub_dir).store_db).tokens_of(user) if t["name"] == TOKEN_NAME]


def test_learners_are_themselves_on_the_website_through_jupyterhub(jh, browser):
    first, other = "learner01", "alice"  # alice: a demo account of the course hub, so a learner account of her own
    assert course_user(other) != other
    a, b = new_page(browser, jh), new_page(browser, jh)
    try:
        # not signed in anywhere: the Space page -> JupyterHub's login form -> back on the Space page, as themselves
        a.goto(SPACE)
        assert urlsplit(a.url).path == "/hub/login", a.url
        jupyterhub_login_form(a, first)
        a.wait_for_url(f"**{SPACE}")
        assert signed_in_as(a) == course_user(first)
        jar = cookies(a)
        session = jar[COOKIE]
        assert session["httpOnly"] and session["sameSite"] == "Lax" and session["path"] == f"{SITE}/", session
        assert STATE_COOKIE not in jar, "the state cookie goes once it is used"
        assert len(web_tokens(jh, course_user(first))) == 1

        # signed in to JupyterHub first (its home page: no server spawned): straight through, as themselves
        b.goto("/hub/login?" + urlencode({"next": "/hub/home"}))
        jupyterhub_login_form(b, other)
        b.wait_for_url("**/hub/home")
        b.goto(MODEL)
        assert urlsplit(b.url).path == MODEL and signed_in_as(b) == course_user(other), b.url
        assert b.locator("#inference-widget").count() == 1, "the model page has its widget"
        b.goto(SPACE)
        assert signed_in_as(b) == course_user(other)
        assert cookies(b)[COOKIE]["value"] != cookies(a)[COOKIE]["value"]
        b.screenshot(path=str(OUT / "jupyterhub-space-page.png"))

        # each browser is still its own learner after the other signed in
        a.goto(MODEL)
        assert signed_in_as(a) == course_user(first)
        b.goto(MODEL)
        assert signed_in_as(b) == course_user(other)
    finally:
        a.context.close()
        b.context.close()


def test_through_the_learners_own_jupyter_server(jh, browser):
    """The notebooks' links reach the website through the learner's Jupyter server (`/user/NAME/course-hub/`, the
    Course Hub tile's proxy to the same service): signed in through JupyterHub there too, and back on the page
    under that prefix, with the session for both prefixes."""
    user = "learner04"
    jh.login(user)
    jh.spawn(user)
    jh.wait_ready([user])
    page = new_page(browser, jh)
    tile = f"/user/{user}/course-hub"
    try:
        page.goto("/hub/login?" + urlencode({"next": "/hub/home"}))
        jupyterhub_login_form(page, user)
        page.wait_for_url("**/hub/home")
        page.goto(f"{tile}/hf-hands-on/minilm-sentiment")
        assert urlsplit(page.url).path == f"{tile}/hf-hands-on/minilm-sentiment", page.url
        assert signed_in_as(page) == course_user(user)
        assert {c["path"] for c in page.context.cookies() if c["name"] == COOKIE} == {f"{tile}/", f"{SITE}/"}
        page.goto(SPACE)
        assert urlsplit(page.url).path == SPACE and signed_in_as(page) == course_user(user)
        assert len(web_tokens(jh, course_user(user))) == 1
    finally:
        page.context.close()


def test_no_learner_becomes_another(jh, browser):
    first, other = "learner02", "learner03"
    a, b = new_page(browser, jh), new_page(browser, jh)
    try:
        for page, user in ((a, first), (b, other)):
            page.goto("/hub/login?" + urlencode({"next": "/hub/home"}))
            jupyterhub_login_form(page, user)
            page.wait_for_url("**/hub/home")

        # learner02's callback (a live code and state) opened in learner03's browser: refused, nobody signed in
        url, query = capture_callback(a)
        r = b.goto(url)
        assert r.status == 400 and "did not start in this browser" in b.content()
        assert signed_in_as(b) is None
        assert web_tokens(jh, first) == [] and web_tokens(jh, other) == []

        # in learner02's own browser, a forged state: refused (and the started sign-in is spent)
        r = a.goto(f"{CALLBACK}?" + urlencode({"code": query["code"], "state": query["state"] + "x"}))
        assert r.status == 400 and "OAuth state does not match" in a.content()
        assert STATE_COOKIE not in cookies(a)
        r = a.goto(url)
        assert r.status == 400, "the state cookie went with the forged attempt"
        assert web_tokens(jh, first) == []

        # a wrong code with the right state: JupyterHub refuses it, the page says so
        _, query = capture_callback(a)
        r = a.goto(f"{CALLBACK}?" + urlencode({"code": "not-a-code", "state": query["state"]}))
        assert r.status == 400 and "did not accept this sign-in" in a.content()
        assert web_tokens(jh, first) == []

        # a code used once already: signs in the first time only
        url, query = capture_callback(a)
        a.goto(url)
        a.wait_for_url(f"**{SITE}/models")
        assert signed_in_as(a) == course_user(first) and len(web_tokens(jh, first)) == 1
        _, again = capture_callback(a)
        r = a.goto(f"{CALLBACK}?" + urlencode({"code": query["code"], "state": again["state"]}))
        assert r.status == 400 and "did not accept this sign-in" in a.content()

        # learner03 is still only themselves
        b.goto(MODEL)
        assert signed_in_as(b) == course_user(other)
        assert len(web_tokens(jh, other)) == 1 and len(web_tokens(jh, first)) == 1

        # without a browser: no state cookie, or a forged one -> 400; the course hub's own secret signs the real one
        for headers in ({}, {"Cookie": f"{STATE_COOKIE}=e30.forged"}):
            r = httpx.get(
                f"{jh.url}{CALLBACK}",
                params={"code": query["code"], "state": query["state"]},
                headers={"Accept": "text/html", **headers},
                timeout=30,
            )
            assert r.status_code == 400 and r.headers["x-error-code"] == "BadRequest", r.text[:300]

        # "Sign out": out of the course hub and JupyterHub; the next page asks JupyterHub's login again
        with a.expect_navigation():
            a.locator("header form button", has_text="Sign out").click()
        a.goto(SPACE)
        assert urlsplit(a.url).path == "/hub/login", a.url
    finally:
        a.context.close()
        b.context.close()
