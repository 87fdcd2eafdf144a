"""The model page's widget calls the inference API as the signed-in learner (issue 27): the website's session cookie
with the page's CSRF token in `X-CSRF-Token` (what widget.js reads from `data-csrf`) identifies the caller, with the
access policy of the API; the cookie alone never does (a cross-site form can make a browser send it). Real HTTP:
a browser-like httpx client signs in through the login form, reads the model page, posts as widget.js does.
"""

from __future__ import annotations

import re
from contextlib import closing

import httpx
import pytest
from conftest import copy_hub, start_server, stop_server

from course_hub import server

pytestmark = pytest.mark.slow  # the inference worker loads the classifier

GATED = "hf-hands-on/gated-sentiment"
CLASSIFIER = "hf-hands-on/minilm-sentiment"
HTML = {"Accept": "text/html"}
LONG = 600  # a cold worker on a busy machine


def sign_in(url: str, user: str, token: str) -> httpx.Client:
    c = httpx.Client(timeout=LONG, headers=HTML)
    form = c.get(f"{url}/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    r = c.post(f"{url}/login", data={"csrf": csrf, "username": user, "token": token, "next": "/"})
    assert r.status_code == 303, r.text[:500]
    return c


def widget_csrf(c: httpx.Client, url: str, repo: str) -> str:
    """The CSRF token the model page gives its widget (`data-csrf`), as widget.js reads it."""
    page = c.get(f"{url}/{repo}")
    assert page.status_code == 200, page.text[:300]
    div = re.search(r'<div id="inference-widget"[^>]*>', page.text).group(0)
    return re.search(r'data-csrf="([^"]+)"', div).group(1)


def widget_post(c: httpx.Client, url: str, repo: str, csrf: str | None, path: str = "") -> httpx.Response:
    headers = {"Content-Type": "application/json", **({"X-CSRF-Token": csrf} if csrf is not None else {})}
    return c.post(f"{url}/models/{repo}{path}", content=b'{"inputs": "What a great course!"}', headers=headers)


def test_gated_model_widget_runs_for_a_signed_in_learner_with_access(hub):
    if not hub.built:
        pytest.skip("the course hub is not built (make hub)")
    store = hub.store()
    store.add_member("hf-hands-on", "dora-widget", "read")  # a member: the owner's access, as for downloads
    c = sign_in(hub.url, "dora-widget", store.create_token("dora-widget", "read"))
    anonymous = httpx.get(f"{hub.url}/{GATED}", headers=HTML).text
    assert "data-csrf" not in re.search(r'<div id="inference-widget"[^>]*>', anonymous).group(0)
    csrf = widget_csrf(c, hub.url, GATED)
    with closing(c):
        r = widget_post(c, hub.url, GATED, csrf)
        assert r.status_code == 200, r.text
        assert r.json()[0][0]["label"] == "POSITIVE"
        # the cookie alone (what a cross-site form sends) is anonymous: the gated model's 401
        r = widget_post(c, hub.url, GATED, None)
        assert r.status_code == 401 and r.headers["x-error-code"] == "GatedRepo"
        # a token of another session, or made up: refused, nothing runs
        other = sign_in(hub.url, "dora-widget", store.create_token("dora-widget", "read"))
        with closing(other):
            for wrong in (widget_csrf(other, hub.url, GATED), "x" * 43):
                r = widget_post(c, hub.url, GATED, wrong)
                assert r.status_code == 403 and "reload the page" in r.json()["error"], r.text
        # the header without the cookie is no one
        r = httpx.post(f"{hub.url}/models/{GATED}", json={"inputs": "hi"}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 403
    # someone signed in without access gets the API's refusal for them (403, asked for access first)
    bob = sign_in(hub.url, "bob", hub.token("bob"))
    with closing(bob):
        r = widget_post(bob, hub.url, GATED, widget_csrf(bob, hub.url, GATED))
        assert r.status_code == 403 and r.headers["x-error-code"] == "GatedRepo", r.text


def test_classroom_widget_is_the_signed_in_learner(hub, tmp_path):
    """A classroom hub refuses anonymous calls: the widget's call with the session and its CSRF header runs, the same
    call without the header gets the classroom's 401; signing out ends it."""
    if not hub.built:
        pytest.skip("the course hub is not built (make hub)")
    hub_dir = tmp_path / "hub"
    copy_hub(hub.dir, hub_dir)
    port = server.free_port()
    proc, _ = start_server(hub_dir, port, tmp_path / "server.log", args=("--classroom",))
    url = f"http://127.0.0.1:{port}"
    try:
        from course_hub import HubDir
        from course_hub.store import Store

        token = Store(HubDir(hub_dir).store_db).create_token("learner01", "read")
        with closing(sign_in(url, "learner01", token)) as c:
            csrf = widget_csrf(c, url, CLASSIFIER)
            r = widget_post(c, url, CLASSIFIER, csrf)
            assert r.status_code == 200, r.text
            assert r.json()[0][0]["label"] == "POSITIVE"
            r = widget_post(c, url, CLASSIFIER, None)
            assert r.status_code == 401 and "classroom hub needs your token" in r.json()["error"]
            # the chat route of the widget is identified the same way (a classifier has no chat template: 400)
            r = widget_post(c, url, CLASSIFIER, csrf, "/v1/chat/completions")
            assert r.status_code != 401, r.text
            # signed out: the old page's token no longer matches the (new) session
            form = c.get(f"{url}/{CLASSIFIER}").text
            out = re.search(r'action="[^"]*/logout"[^>]*>.*?name="csrf" value="([^"]+)"', form, re.S)
            assert out, "no sign-out form on the page"
            assert c.post(f"{url}/logout", data={"csrf": out.group(1)}).status_code == 303
            r = widget_post(c, url, CLASSIFIER, csrf)
            assert r.status_code == 403, r.text
    finally:
        stop_server(proc)
