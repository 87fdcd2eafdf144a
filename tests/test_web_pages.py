"""The course hub's website over real HTTP (the session's hub): every page kind, content negotiation for every URL
shape, private and gated repos, sign-in, CSRF, tokens, path prefixes, and a hostile card that must render inert.

The pages under --root-path and in classroom mode are driven in process (starlette's TestClient over the session
hub's dir with those settings, `in_process`): since issue 24 they start no server of their own."""

from __future__ import annotations

import hashlib
import re
import uuid
from html.parser import HTMLParser

import httpx
import pytest
from hubtest import HTTP, bearer

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}  # what a browser sends
MODEL, GATED, DATASET, SPACE = (
    "hf-hands-on/minilm-sentiment",
    "hf-hands-on/gated-sentiment",
    "hf-hands-on/sentiment-snippets",
    "hf-hands-on/sentiment-demo",
)
content = pytest.mark.content


class Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def attr_values(self, name: str) -> list[str]:
        return [a[name] for _, a in self.tags if a.get(name) is not None]


ANON = httpx.Client(timeout=60)  # a browser that never signs in (its cookies are cleared before each page)


def page(hub, path: str, client: httpx.Client | None = None, status: int = 200, **kw) -> str:
    if client is None:
        client = ANON
        client.cookies.clear()
    r = client.get(hub.url + path, headers={**HTML, **kw.pop("headers", {})}, follow_redirects=False, **kw)
    assert r.status_code == status, (path, r.status_code, r.text[:500])
    if status < 300:
        assert r.headers["content-type"].startswith("text/html")
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    return r.text


def csrf_of(text: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', text).group(1)


def sign_in(hub, user: str, token: str) -> httpx.Client:
    """A browser-like client (cookies kept) signed in through the login form."""
    c = httpx.Client(timeout=60, headers=HTML)
    form = c.get(f"{hub.url}/login")
    r = c.post(f"{hub.url}/login", data={"csrf": csrf_of(form.text), "username": user, "token": token, "next": "/"})
    assert r.status_code == 303, r.text[:500]
    return c


# --- every page kind ---------------------------------------------------------------------------------------------
@content
def test_home_and_lists(hub):
    text = page(hub, "/")
    for repo in (MODEL, DATASET, SPACE):
        assert f'href="/{"datasets/" if repo == DATASET else "spaces/" if repo == SPACE else ""}{repo}"' in text
    assert 'action="/models"' in text and 'name="search"' in text
    text = page(hub, "/models?pipeline_tag=text-classification&library=transformers&sort=downloads")
    listed = re.findall(r'class="repo-link">([^<]+)<', text)
    assert MODEL in listed and GATED in listed and "sentence-transformers/all-MiniLM-L6-v2" not in listed
    assert listed.index(MODEL) < listed.index(GATED)  # 1500 downloads before 300
    assert "alice/private-notes" not in text
    assert DATASET in re.findall(r'class="repo-link">([^<]+)<', page(hub, "/datasets?pipeline_tag=text-classification"))
    assert re.findall(
        r'class="repo-link">([^<]+)<', page(hub, "/models?search=minilm&author=sentence-transformers")
    ) == ["sentence-transformers/all-MiniLM-L6-v2"]
    assert re.findall(r'class="repo-link">([^<]+)<', page(hub, "/models?gated=true&author=hf-hands-on")) == [
        GATED
    ]  # other tests make gated repos too
    assert GATED not in page(hub, "/models?license=mit")
    assert SPACE in page(hub, "/spaces")
    page(hub, "/models?sort=nonsense", status=400)
    # private repos: listed for their owner only
    assert "alice/private-notes" in page(hub, "/models?search=private-notes", headers=bearer(hub.token("alice")))
    assert "alice/private-notes" not in page(hub, "/models?search=private-notes")


@content
def test_model_page(hub):
    text = page(hub, f"/{MODEL}")
    for label, value in (
        ("Task", "text-classification"),
        ("Library", "transformers"),
        ("License", "apache-2.0"),
        ("Dataset", DATASET),
        ("Base model", "sentence-transformers/all-MiniLM-L6-v2"),
        ("Language", "en"),
    ):
        assert f'<span class="label">{label}</span> {value}' in text, label
    assert "---\n" not in text and "model-index:" not in text  # the YAML block is not shown as text
    assert 'id="spaces-using"' in text and f'href="/spaces/{SPACE}"' in text
    assert 'id="datasets-used"' in text and f'href="/datasets/{DATASET}"' in text
    assert "Test accuracy" in text and "0.8288" in text  # model-index
    assert f"pipeline(&#34;text-classification&#34;, model=&#34;{MODEL}&#34;)" in text
    assert "AutoModelForSequenceClassification" in text
    assert f"git clone {hub.url}/{MODEL}" in text and f"hf download {MODEL}" in text
    assert f'<div id="inference-widget" data-repo="{MODEL}" data-task="text-classification">' in text
    st = page(hub, "/sentence-transformers/all-MiniLM-L6-v2")
    assert "SentenceTransformer(&#34;sentence-transformers/all-MiniLM-L6-v2&#34;)" in st


@content
def test_dataset_page_and_viewer(hub):
    text = page(hub, f"/datasets/{DATASET}")
    assert 'id="dataset-viewer"' in text
    assert "ClassLabel(negative, positive)" in text and "(positive)" in text
    for split, rows in (("train", "15,569"), ("validation", "1,945"), ("test", "1,945")):
        assert f'data-split="{split}"' in text and f"{rows} rows" in text
    p3 = page(hub, f"/datasets/{DATASET}/viewer/default/test?p=3")
    assert "rows 61–80 of 1,945" in p3 and '<td class="n">60</td>' in p3
    last = page(hub, f"/datasets/{DATASET}/viewer/default/test?p=9999")  # clamped to the last page
    assert "page 98 of 98" in last
    page(hub, f"/datasets/{DATASET}/viewer/default/nosuchsplit", status=404)


@content
def test_space_page(hub):
    text = page(hub, f"/spaces/{SPACE}")
    assert f'<div id="space-app" data-repo="{SPACE}"' in text
    assert "Runtime stage" in text
    assert f'<iframe class="space-frame" src="/spaces/{SPACE}/app/"' in text  # where the hub serves the app
    assert f"git clone {hub.url}/spaces/{SPACE}" in text
    assert f'href="/{MODEL}"' in text  # models used


@content
def test_files_blob_commits(hub):
    tree = page(hub, "/sentence-transformers/all-MiniLM-L6-v2/tree/main")
    assert 'href="/sentence-transformers/all-MiniLM-L6-v2/tree/main/1_Pooling"' in tree
    assert 'href="/sentence-transformers/all-MiniLM-L6-v2/blob/main/config.json"' in tree
    assert ">LFS<" in tree and "⎇ main" in tree
    assert "config.json" in page(hub, "/sentence-transformers/all-MiniLM-L6-v2/tree/main/1_Pooling")
    blob = page(hub, f"/{MODEL}/blob/main/config.json")
    assert 'id="L1"' in blob and 'href="#L2"' in blob and "&#34;architectures&#34;" in blob
    lfs = page(hub, f"/{MODEL}/blob/main/model.safetensors")
    oid = re.search(r"<code>([0-9a-f]{64})</code>", lfs).group(1)
    assert f'href="/{MODEL}/download/main/model.safetensors"' in lfs
    assert f"<code>{hub.url}/{MODEL}/resolve/main/model.safetensors</code>" in lfs
    for path in (f"/{MODEL}/resolve/main/model.safetensors", f"/{MODEL}/download/main/model.safetensors"):
        r = HTTP.get(hub.url + path, headers=HTML)
        assert r.status_code == 200 and r.headers["etag"] == f'"{oid}"' and hashlib.sha256(r.content).hexdigest() == oid
    assert r.headers["content-disposition"] == "attachment; filename*=UTF-8''model.safetensors"
    commits = page(hub, f"/{MODEL}/commits/main")
    sha = re.search(rf'href="/{MODEL}/commit/([0-9a-f]{{40}})"', commits).group(1)
    commit = page(hub, f"/{MODEL}/commit/{sha}")
    assert "files changed" in commit
    page(hub, f"/{MODEL}/tree/no-such-branch", status=404)
    page(hub, f"/{MODEL}/blob/main/no-such-file", status=404)
    page(hub, f"/datasets/{DATASET}/tree/main/data")
    page(hub, f"/spaces/{SPACE}/blob/main/app.py")


@content
def test_people(hub):
    org = page(hub, "/hf-hands-on")
    assert "organisation" in org and f'href="/{MODEL}"' in org and f'href="/datasets/{DATASET}"' in org
    user = page(hub, "/instructor")
    assert 'href="/hf-hands-on"' in user  # member of
    page(hub, "/nobody-" + uuid.uuid4().hex[:6], status=404)
    # alice's private repo: on her page for her, not for others
    assert "alice/private-notes" in page(hub, "/alice", headers=bearer(hub.token("alice")))
    assert "alice/private-notes" not in page(hub, "/alice")


# --- content negotiation: clients keep what they got ----------------------------------------------------------
@content
@pytest.mark.parametrize(
    "path",
    [
        "/",
        f"/{MODEL}",
        f"/{MODEL}/tree/main",
        f"/{MODEL}/blob/main/config.json",
        f"/{MODEL}/commits/main",
        f"/datasets/{DATASET}",
        f"/spaces/{SPACE}",
        f"/datasets/{DATASET}/viewer",
        "/models",
        "/hf-hands-on",
        "/login",
        "/settings/tokens",
    ],
)
def test_pages_are_for_browsers_only(hub, path):
    """No `text/html` in Accept (curl, HfApi, git): the 404 the hub always answered there."""
    for headers in ({}, {"Accept": "*/*"}, {"Accept": "application/json"}):
        r = HTTP.get(hub.url + path, headers=headers)
        assert (r.status_code, r.headers["x-error-code"]) == (404, "NotFound"), (path, headers)
        assert r.json()["error"] == f"Not found: {path.split('?')[0]} is not a route of the course hub"
    r = HTTP.head(hub.url + path)
    assert r.status_code == 404 and r.content == b""
    assert HTTP.get(hub.url + path, headers=HTML).status_code in (200, 303)


@content
def test_api_git_and_downloads_unchanged_for_browsers(hub):
    """The same answer with or without a browser's Accept header: resolve, the API, git, LFS."""
    for path in (
        f"/{MODEL}/resolve/main/config.json",
        f"/datasets/{DATASET}/resolve/main/README.md",
        f"/api/models/{MODEL}",
        "/api/models?search=minilm",
        f"/api/models/{MODEL}/tree/main",
        f"/{MODEL}.git/info/refs?service=git-upload-pack",
        f"/{MODEL}/info/refs?service=git-upload-pack",
        "/api/whoami-v2",
    ):
        plain, browser = HTTP.get(hub.url + path), HTTP.get(hub.url + path, headers=HTML)
        assert plain.status_code == browser.status_code, path
        assert plain.headers.get("content-type") == browser.headers.get("content-type"), path
        if "whoami" not in path:
            assert plain.content == browser.content or "api/models?" in path, path
    head = HTTP.head(f"{hub.url}/{MODEL}/resolve/main/model.safetensors")
    assert head.status_code == 200 and head.headers["x-linked-size"]
    refs = HTTP.get(f"{hub.url}/{MODEL}.git/info/refs?service=git-upload-pack", headers=HTML)
    assert refs.headers["content-type"] == "application/x-git-upload-pack-advertisement"
    # a pushed HTML file opened from resolve runs nothing on the hub's origin
    r = HTTP.get(f"{hub.url}/{MODEL}/resolve/main/README.md", headers=HTML)
    assert "sandbox" in r.headers["content-security-policy"] and r.headers["x-content-type-options"] == "nosniff"


# --- access ------------------------------------------------------------------------------------------------------
@content
def test_private_repo_is_404_to_others(hub):
    for headers in ({}, bearer(hub.token("bob"))):
        text = page(hub, "/alice/private-notes", status=404, headers=headers)
        assert "Repository not found" in text and "notes.md" not in text
        page(hub, "/alice/private-notes/tree/main", status=404, headers=headers)
        page(hub, "/alice/private-notes/blob/main/notes.md", status=404, headers=headers)
    assert "notes.md" in page(hub, "/alice/private-notes/tree/main", headers=bearer(hub.token("alice")))
    alice = sign_in(hub, "alice", hub.token("alice", "read"))
    assert "notes.md" in page(hub, "/alice/private-notes/tree/main", client=alice)


@content
def test_gated_request_and_accept_through_the_pages(hub):
    learner = f"web-learner-{uuid.uuid4().hex[:6]}"
    token = hub.store().create_token(learner, "read")
    anon = page(hub, f"/{GATED}")
    assert "Sign in</a> to request access" in anon and 'id="request-access"' not in anon
    page(hub, f"/{GATED}/blob/main/config.json", status=401)  # file contents need access
    c = sign_in(hub, learner, token)
    text = page(hub, f"/{GATED}", client=c)
    assert 'id="request-access"' in text and 'name="Affiliation"' in text
    page(hub, f"/{GATED}/blob/main/config.json", client=c, status=403)
    r = c.post(
        f"{hub.url}/{GATED}/request-access",
        data={
            "csrf": csrf_of(text),
            "Name": "L",
            "Affiliation": "x",
            "I want to use this model for": "Learning",
            "I agree to use this model for learning only": "yes",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == f"/{GATED}"
    assert "Your request is pending" in page(hub, f"/{GATED}", client=c)
    assert HTTP.get(f"{hub.url}/{GATED}/resolve/main/config.json", headers=bearer(token)).status_code == 403
    # the learner cannot see the requests page; the instructor (admin of `hf-hands-on`) accepts there
    page(hub, f"/{GATED}/access-requests", client=c, status=403)
    inst = sign_in(hub, "instructor", hub.token("instructor", "write"))
    assert 'href="/hf-hands-on/gated-sentiment/access-requests"' in page(hub, f"/{GATED}", client=inst)
    requests = page(hub, f"/{GATED}/access-requests", client=inst)
    assert f'data-user="{learner}"' in requests and "Affiliation" in requests
    r = inst.post(
        f"{hub.url}/{GATED}/access-requests", data={"csrf": csrf_of(requests), "user": learner, "status": "accepted"}
    )
    assert r.status_code == 303
    assert HTTP.get(f"{hub.url}/{GATED}/resolve/main/config.json", headers=bearer(token)).status_code == 200
    assert "You have been granted access" in page(hub, f"/{GATED}", client=c)
    assert c.get(f"{hub.url}/{GATED}/download/main/config.json").status_code == 200  # the page's link: the cookie
    assert HTTP.get(f"{hub.url}/{GATED}/download/main/config.json").status_code == 401  # anonymous
    page(hub, f"/{GATED}/blob/main/config.json", client=c)


def test_csrf_is_required(hub):
    c = httpx.Client(timeout=30, headers=HTML)
    login = c.get(f"{hub.url}/login")
    assert login.status_code == 200
    token = csrf_of(login.text)
    # no token, a wrong one, another session's
    for data in ({}, {"csrf": "x" * 43}, {"csrf": csrf_of(httpx.get(f"{hub.url}/login", headers=HTML).text)}):
        r = c.post(f"{hub.url}/login", data={**data, "username": "alice", "token": hub.token("alice")})
        assert (r.status_code, r.headers["x-error-code"]) == (403, "Forbidden")
    r = c.post(f"{hub.url}/login", data={"csrf": token, "username": "alice", "token": hub.token("alice")})
    assert r.status_code == 303
    signed = c.get(f"{hub.url}/settings/tokens")
    for path, data in (
        ("/settings/tokens", {"name": "x", "role": "read"}),
        ("/logout", {}),
        (f"/{GATED}/request-access", {"Name": "x"}),
    ):
        r = c.post(hub.url + path, data=data)  # the session's cookie, no CSRF token
        assert r.status_code == 403, path
    assert c.post(f"{hub.url}/logout", data={"csrf": csrf_of(signed.text)}).status_code == 303
    assert 'href="/login' in c.get(f"{hub.url}/").text  # signed out


def test_login_cookie_and_tokens_page(hub):
    user = f"web-tokens-{uuid.uuid4().hex[:6]}"
    token = hub.store().create_token(user, "write", name="first")
    c = httpx.Client(timeout=30, headers=HTML)
    form = c.get(f"{hub.url}/login")
    bad = c.post(f"{hub.url}/login", data={"csrf": csrf_of(form.text), "username": "alice", "token": token})
    assert bad.status_code == 401 and "do not match" in bad.text  # a valid token of someone else
    r = c.post(
        f"{hub.url}/login",
        data={"csrf": csrf_of(form.text), "username": user, "token": token, "next": "//evil.example/"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/"  # never off the site
    for nxt in ("/\t/evil.example/", "/\\evil.example", "https://evil.example/", "javascript:alert(1)"):
        other = httpx.Client(timeout=30, headers=HTML)
        form2 = other.get(f"{hub.url}/login")
        r2 = other.post(
            f"{hub.url}/login", data={"csrf": csrf_of(form2.text), "username": user, "token": token, "next": nxt}
        )
        assert r2.status_code == 303 and r2.headers["location"] == "/", nxt
    r3 = c.get(f"{hub.url}/login?next=/hf-hands-on/minilm-sentiment%3Fx%3D1")
    assert 'name="next" value="/hf-hands-on/minilm-sentiment?x=1"' in r3.text
    cookie = r.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower() and "path=/" in cookie.lower()
    assert token not in cookie and token[3:] not in cookie
    text = c.get(f"{hub.url}/settings/tokens").text
    assert "first" in text and "this session" in text
    r = c.post(f"{hub.url}/settings/tokens", data={"csrf": csrf_of(text), "name": "made-on-the-web", "role": "read"})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    new = re.search(r'id="token-value">(hf_[A-Za-z0-9]+)<', r.text).group(1)
    assert HTTP.get(f"{hub.url}/api/whoami-v2", headers=bearer(new)).json()["name"] == user
    listing = c.get(f"{hub.url}/settings/tokens").text
    assert "made-on-the-web" in listing and new not in listing  # shown once
    ids = re.findall(r'name="id" value="([0-9a-f]{16})"', listing)
    assert len(ids) == 2
    # deleting the session's own token signs it out
    first = hub.store().tokens_of(user)[0]["id"]
    assert c.post(f"{hub.url}/settings/tokens/delete", data={"csrf": csrf_of(listing), "id": first}).status_code == 303
    assert HTTP.get(f"{hub.url}/api/whoami-v2", headers=bearer(token)).status_code == 401
    assert c.get(f"{hub.url}/settings/tokens").status_code == 303
    assert HTTP.get(f"{hub.url}/api/whoami-v2", headers=bearer(new)).status_code == 200
    # a forged cookie is no session
    forged = httpx.Client(
        timeout=30, headers=HTML, cookies={"course_hub_session": cookie.split(";")[0].split("=", 1)[1][:-3] + "AAA"}
    )
    assert forged.get(f"{hub.url}/settings/tokens").status_code == 303


# --- hostile content ---------------------------------------------------------------------------------------------
HOSTILE_CARD = """---
license: mit
tags: ["<script>window.__pwned=1</script>"]
---
# Hostile <script>window.__pwned = 1</script>

[click](javascript:window.__pwned=2) <a href="JaVaScRiPt:window.__pwned=3">x</a> <a href=" javascript:alert(1)">y</a>
<img src="x" onerror="window.__pwned=4"> <iframe src="/"></iframe> <style>body{display:none}</style>
<svg><script>window.__pwned=5</script><a xlink:href="javascript:alert(1)">s</a></svg>
<div onclick="window.__pwned=6" style="background:url(javascript:alert(1))">div</div>
<object data="x"></object><embed src="x"><form action="/logout"><button>b</button></form>
<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned=7></style></mglyph></table></mtext></math>
"""


@pytest.fixture(scope="module")
def hostile_repo(hub, api):
    repo_id = f"alice/hostile-<b>-{uuid.uuid4().hex[:6]}".replace("<b>", "card")
    api.create_repo(repo_id)
    api.upload_file(
        path_or_fileobj=HOSTILE_CARD.encode(),
        path_in_repo="README.md",
        repo_id=repo_id,
        commit_message='<script>window.__pwned=8</script> "commit"',
    )
    api.upload_file(
        path_or_fileobj=b"<script>window.__pwned=9</script>",
        path_in_repo="<img src=x onerror=a()>.html",
        repo_id=repo_id,
    )
    return repo_id


def assert_inert(text: str) -> None:
    tags = Tags(text)
    # the hub's own scripts (the inference widget's file) are the only ones: nothing from a card, no inline code
    own = [a for t, a in tags.tags if t == "script"]
    assert all(a.get("src", "").startswith(("/inference-static/", "/static/")) for a in own), own
    names = {t for t, _ in tags.tags} & {"iframe", "style", "svg", "object", "embed", "math"}
    assert not names, names
    assert not any(k.startswith("on") for _, a in tags.tags for k in a)
    assert not any(
        v.strip().lower().startswith("javascript:")
        for v in tags.attr_values("href")
        + tags.attr_values("src")
        + tags.attr_values("action")
        + tags.attr_values("xlink:href")
    )
    assert not any("style" in a for _, a in tags.tags)


def test_hostile_card_renders_inert(hub, hostile_repo):
    text = page(hub, f"/{hostile_repo}")
    assert "Hostile" in text
    assert_inert(text)
    forms = [a.get("action") for t, a in Tags(text).tags if t == "form"]
    assert forms == ["/models"]  # the header's search box only: the card's <form> is gone
    for path in (
        f"/{hostile_repo}/tree/main",
        f"/{hostile_repo}/commits/main",
        f"/{hostile_repo}/blob/main/README.md",
        f"/{hostile_repo}/blob/main/%3Cimg%20src%3Dx%20onerror%3Da()%3E.html",
        "/alice",
    ):
        assert_inert(page(hub, path))
    assert "&lt;script&gt;window.__pwned=8&lt;/script&gt;" in page(hub, f"/{hostile_repo}/commits/main")


# --- path prefixes (jupyter-server-proxy) and classroom mode ----------------------------------------------------
def _links(text: str) -> list[str]:
    tags = Tags(text)
    return [
        v for v in tags.attr_values("href") + tags.attr_values("action") + tags.attr_values("src") if v.startswith("/")
    ]


@content
def test_x_forwarded_prefix(hub):
    prefix = "/user/learner/proxy/8765"
    for path in ("/", f"/{MODEL}", f"/{MODEL}/tree/main", "/models", "/login"):
        links = _links(page(hub, path, headers={"X-Forwarded-Prefix": prefix}))
        assert links and all(link.startswith(prefix + "/") for link in links), (path, links)
    text = page(hub, "/", headers={"X-Forwarded-Prefix": '/"><script>'})  # not a path: ignored
    assert all(not link.startswith('/"') for link in _links(text))


def in_process(hub, **options):
    """The app over the session hub's dir with other options (`course-hub serve --root-path/--classroom`), driven in
    this process by starlette's TestClient: no second server and no copy of the hub (until issue 24 these two tests
    each started a server over a copy of the session's hub). Only pages here: the clients' end to end tests stay on
    the real server."""
    from starlette.testclient import TestClient

    from course_hub import Settings
    from course_hub.app import create_app

    settings = Settings.from_env({}, hub_dir=hub.dir, **options)  # the CLI's path: --root-path normalised there
    return TestClient(create_app(settings), headers=HTML, follow_redirects=False)


@content
def test_root_path_option(hub):
    with in_process(hub, root_path="/user/x/proxy/8765/") as c:
        for path in ("/", f"/{MODEL}", f"/datasets/{DATASET}", "/login"):
            r = c.get(path)
            assert r.status_code == 200
            links = _links(r.text)
            assert links and all(link.startswith("/user/x/proxy/8765/") for link in links), (path, links)
        assert f"git clone http://testserver/user/x/proxy/8765/{MODEL}" in c.get(f"/{MODEL}").text
        login = c.get("/login")
        assert "path=/user/x/proxy/8765/" in login.headers["set-cookie"].lower()


def test_classroom_pages_need_sign_in(hub):
    with in_process(hub, classroom=True) as c:
        for path in ("/", "/models", f"/{MODEL}", "/hf-hands-on"):
            r = c.get(path)
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
        assert c.get("/static/style.css").status_code == 200
        # the API is unchanged: anonymous requests get the classroom's 401
        r = c.get("/api/models", headers={"Accept": "application/json"})
        assert r.status_code == 401
        assert c.post("/logout").status_code == 403  # no CSRF token
        form = c.get("/login")
        assert form.status_code == 200
        r = c.post("/login", data={"csrf": csrf_of(form.text), "username": "alice", "token": hub.token("alice")})
        assert r.status_code == 303
        assert c.get(f"/{MODEL}").status_code in (200, 404)  # signed in: the page (404: hub not built)


def test_templates_and_stylesheet_ship_as_package_data():
    """A non-editable install has every template and static file (pyproject's package-data covers them)."""
    import fnmatch
    from pathlib import Path

    import tomllib

    root = Path(__file__).resolve().parents[1]
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "course_hub.web"
    ]
    web = root / "course_hub" / "web"
    files = [
        p.relative_to(web).as_posix() for d in ("templates", "static") for p in (web / d).rglob("*") if p.is_file()
    ]
    assert files and all(any(fnmatch.fnmatch(f, pat) for pat in patterns) for f in files), files
