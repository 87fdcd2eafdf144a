"""The website's sign-in through JupyterHub (course_hub/web/jupyterhub_login.py), in process: when it is on, what
/login and /oauth_callback answer before JupyterHub is asked, and that nothing changes outside JupyterHub.

The whole flow with a real JupyterHub and Chromium is tests/jupyterhub/test_jupyterhub_website.py
(`make test-jupyterhub`)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from course_hub.net import free_port
from course_hub.web import jupyterhub_login
from course_hub.web.jupyterhub_login import STATE_COOKIE

HTML = {"Accept": "text/html"}
SERVICE_ENV = {  # what JupyterHub 5/6 puts into a managed service's environment (services/service.py, spawner.py)
    "JUPYTERHUB_SERVICE_NAME": "course-hub",
    "JUPYTERHUB_CLIENT_ID": "service-course-hub",
    "JUPYTERHUB_API_TOKEN": "secret-of-the-service",
    "JUPYTERHUB_API_URL": "http://127.0.0.1:8081/hub/api",
    "JUPYTERHUB_OAUTH_CALLBACK_URL": "/services/course-hub/oauth_callback",
    "JUPYTERHUB_BASE_URL": "/",
    "JUPYTERHUB_HOST": "",
    "JUPYTERHUB_SERVICE_PREFIX": "/services/course-hub/",
}


def in_process(hub_dir, **options):
    from starlette.testclient import TestClient

    from course_hub import Settings
    from course_hub.app import create_app

    settings = Settings.from_env({}, hub_dir=hub_dir, **options)  # an empty hub: pages only
    return TestClient(create_app(settings), headers=HTML, follow_redirects=False)


def test_on_only_in_the_services_environment():
    jh = jupyterhub_login.client(SERVICE_ENV)
    assert jh.authorize_url == "/hub/api/oauth2/authorize" and jh.logout_url == "/hub/logout"
    assert jh.redirect_uri == "/services/course-hub/oauth_callback" and jh.api_url == "http://127.0.0.1:8081/hub/api"
    prefixed = jupyterhub_login.client({**SERVICE_ENV, "JUPYTERHUB_BASE_URL": "/jh/", "JUPYTERHUB_HOST": "https://x"})
    assert prefixed.authorize_url == "https://x/jh/hub/api/oauth2/authorize"
    # a learner's server has the OAuth variables of its own client, never JUPYTERHUB_SERVICE_NAME: a hub started
    # in it (the tile, a notebook) keeps the token form
    server = {k: v for k, v in SERVICE_ENV.items() if k != "JUPYTERHUB_SERVICE_NAME"}
    assert jupyterhub_login.client(server) is None
    assert jupyterhub_login.client({}) is None


def test_outside_jupyterhub_nothing_changes(tmp_path, monkeypatch):
    for name in SERVICE_ENV:
        monkeypatch.delenv(name, raising=False)
    with in_process(tmp_path / "hub", classroom=True) as c:
        login = c.get("/login")
        assert login.status_code == 200 and 'name="token"' in login.text
        assert STATE_COOKIE not in login.headers.get("set-cookie", "")
        callback = c.get("/oauth_callback?code=x&state=y")  # the person page's path, behind the sign-in as before
        assert callback.status_code == 303 and callback.headers["location"].startswith("/login?")
    with in_process(tmp_path / "hub") as c:
        assert c.get("/oauth_callback?code=x&state=y").status_code == 404


def test_sign_in_starts_at_jupyterhub_and_the_state_is_checked(tmp_path, monkeypatch):
    """JupyterHub's API is a closed port here: everything up to the code's exchange is the course hub's own."""
    for name, value in SERVICE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("JUPYTERHUB_API_URL", f"http://127.0.0.1:{free_port()}/hub/api")
    with in_process(tmp_path / "hub", classroom=True, root_path="/services/course-hub") as c:
        page = c.get("/services/course-hub/spaces/hf-hands-on/sentiment-demo")
        assert page.status_code == 303 and "/services/course-hub/login?next=" in page.headers["location"]
        start = c.get(page.headers["location"])
        assert start.status_code == 303
        target = urlsplit(start.headers["location"])
        query = {k: v[0] for k, v in parse_qs(target.query).items()}
        assert target.path == "/hub/api/oauth2/authorize"
        assert query["client_id"] == "service-course-hub" and query["response_type"] == "code"
        assert query["redirect_uri"] == "/services/course-hub/oauth_callback" and len(query["state"]) >= 32
        cookie = start.headers["set-cookie"]
        assert cookie.startswith(STATE_COOKIE + "=") and query["state"] not in cookie  # signed, not plain
        assert all(
            a in cookie.lower()
            for a in ("httponly", "samesite=lax", "path=/services/course-hub/oauth_callback", "max-age=600")
        )
        # the token form stays reachable (the instructor)
        assert 'name="token"' in c.get("/services/course-hub/login?with=token").text

        forged = c.get("/services/course-hub/oauth_callback", params={"code": "c", "state": query["state"] + "x"})
        assert forged.status_code == 400 and "OAuth state does not match" in forged.text
        assert STATE_COOKIE + '=""' in forged.headers["set-cookie"] or "max-age=0" in forged.headers["set-cookie"]

        start = c.get(page.headers["location"])  # a new sign-in, its state right, but JupyterHub cannot answer
        right = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        down = c.get("/services/course-hub/oauth_callback", params={"code": "c", "state": right})
        assert down.status_code == 503 and "JupyterHub&#39;s API did not answer" in down.text
        assert 'class="me"' not in down.text  # nobody signed in
