"""Bad input, generated: paths, repo ids, revisions, query strings, JSON and NDJSON bodies, LFS batch requests and git
requests, built by hypothesis for every route of the table. The hub never answers 5xx, never puts a file from
outside its dir in an answer, and never opens, writes or deletes anything outside its dir: the server runs with a
Python audit hook that records any such access (`..`, absolute paths, symlinks committed through git, NUL bytes,
huge names all try).

The budget is bounded: `COURSE_HUB_FUZZ_EXAMPLES` examples per test (default 300); set it higher for a longer run.
The number of cases run goes to build/fuzz-summary.json.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from conftest import ROOT, stop_server
from hubtest import bearer, git, raw_request, with_credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course_hub.app import ROUTES
from course_hub.net import free_port, wait_until_up

EXAMPLES = int(os.environ.get("COURSE_HUB_FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
CANARY = b"CANARY-outside-the-hub-" + os.urandom(8).hex().encode()
CASES: Counter = Counter()
STATUSES: Counter = Counter()  # answers by class: how deep the cases got

# The server's audit hook: any file access outside the hub dir that a request could have steered is recorded.
AUDIT = r"""
import os, sys
hub, outside, logpath, port = sys.argv[1:5]
hub, outside = os.path.realpath(hub), os.path.realpath(outside)
out = os.open(logpath, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
CHANGE = {"os.remove": 1, "os.rmdir": 1, "os.mkdir": 1, "os.truncate": 1, "os.chmod": 1, "shutil.rmtree": 1,
          "os.rename": 2, "os.symlink": 2, "os.link": 2}
busy = []

# where each event's dir_fd argument is, per path argument: shutil.rmtree removes a tree by names relative to an
# open directory (os.remove("config", dir_fd=N)), which is inside the hub although "config" alone is not
DIR_FD = {"os.remove": (1,), "os.rmdir": (1,), "os.mkdir": (2,), "os.chmod": (2,), "shutil.rmtree": (1,),
          "os.rename": (2, 3), "os.link": (2, 3), "os.symlink": (None, 2)}

def check(event, path, writing, dir_fd=None):
    if isinstance(path, int) or path is None:
        return
    path = os.fsdecode(path)
    if isinstance(dir_fd, int) and not os.path.isabs(path):
        try:
            path = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), path)
        except OSError:
            pass
    p = os.path.realpath(path)
    inside = p == hub or p.startswith(hub + os.sep)
    # /sys/fs/cgroup: the Spaces' sandbox makes a cgroup per app (and a probe one at start) for its limits
    harmless = "__pycache__" in p or p.startswith(("/dev/", "/proc/", "/sys/fs/cgroup/"))
    if p.startswith(outside) or p in ("/etc/passwd", "/etc/shadow") or (writing and not inside and not harmless):
        os.write(out, f"{event} {'write' if writing else 'read'} {p}\n".encode())

def hook(event, args):
    if busy or not (event == "open" or event in CHANGE or event in ("os.listdir", "os.scandir", "sqlite3.connect")):
        return
    busy.append(1)
    try:
        if event == "open":
            path, mode, flags = args
            check(event, path, (isinstance(mode, str) and any(c in mode for c in "wax+"))
                  or (isinstance(flags, int) and bool(flags & WRITE)))
        elif event in CHANGE:
            fds = DIR_FD.get(event, ())
            for i, p in enumerate(args[:CHANGE[event]]):
                at = fds[i] if i < len(fds) else None
                check(event, p, True, args[at] if at is not None and at < len(args) else None)
        else:
            check(event, args[0], event == "sqlite3.connect")
    finally:
        busy.pop()

sys.addaudithook(hook)
os.write(out, b"selftest:")  # the hook works: this read of the canary is the log's first line
open(os.path.join(outside, "secret.txt"), "rb").close()
from course_hub.cli import main
sys.exit(main(["serve", "--hub-dir", hub, "--port", port]))
"""


class FuzzHub:
    def __init__(self, root: Path):
        from course_hub.hub import Hub

        self.root = root
        self.dir = root / "hub"
        self.outside = root / "outside"
        self.outside.mkdir(parents=True)
        (self.outside / "secret.txt").write_bytes(CANARY)
        store = Hub(self.dir).store
        self.alice = store.create_token("alice", "write")
        self.bob = store.create_token("bob", "read")
        self.audit = root / "audit.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log = open(root / "server.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", AUDIT, str(self.dir), str(self.outside), str(self.audit), str(self.port)],
            cwd=ROOT,
            stdout=log,
            stderr=log,
        )
        wait_until_up(self.url, self.proc, 30, hub=True, log_path=root / "server.log", what="the audited hub")

    def outside_state(self):
        return sorted(
            (str(p), p.lstat().st_size)
            for p in self.root.rglob("*")
            if not p.is_relative_to(self.dir) and p.name not in ("audit.log", "server.log")
        )


@pytest.fixture(scope="module")
def fz(tmp_path_factory):
    from huggingface_hub import HfApi

    h = FuzzHub(tmp_path_factory.mktemp("fuzz"))
    api = HfApi(endpoint=h.url, token=h.alice)
    for repo_id, kw in (
        ("alice/fuzz", {}),
        ("alice/fuzz-private", {"private": True}),
        ("alice/fuzz-gated", {}),
        ("alice/fuzz-ds", {"repo_type": "dataset"}),
        ("alice/fuzz-victim", {}),
    ):
        api.create_repo(repo_id, **kw)
        api.upload_file(
            path_or_fileobj=b"hello\n", path_in_repo="dir/a.txt", repo_id=repo_id, repo_type=kw.get("repo_type")
        )
    api.update_repo_settings("alice/fuzz-gated", gated="manual")
    api.create_pull_request("alice/fuzz", "fuzz pull request")  # #1: a PR to comment, rename, close, merge, push to
    api.upload_file(path_or_fileobj=os.urandom(100), path_in_repo="w.safetensors", repo_id="alice/fuzz")
    # symlinks committed through git: one relative, one absolute, both pointing at the canary outside the hub
    work = h.root / "work"
    git("clone", with_credentials(h.url, "alice", h.alice) + "/alice/fuzz", str(work))
    os.symlink("../../../../../outside/secret.txt", work / "link.txt")
    os.symlink(str(h.outside / "secret.txt"), work / "abs-link.txt")
    os.symlink(str(h.outside), work / "link-dir")
    git("add", "-A", cwd=work)
    git("commit", "-m", "symlinks", cwd=work)
    git("push", "origin", "main", cwd=work)
    h.before = h.outside_state()
    h.sha = api.model_info("alice/fuzz").sha
    yield h
    stop_server(h.proc)


# --- strategies ----------------------------------------------------------------------------------------------------
SAFE = "-._~!$&'()*+,;=:@/%"
NASTY = [
    "..",
    ".",
    "%2e%2e",
    "%2E%2E%2F",
    "..%2F..%2F",
    "%00",
    "a%00b",
    "%2F",
    "",
    "%5C..%5C",
    "~",
    "%ff",
    "%c0%ae",
    ".git",
    ".git%2Fconfig",
    "HEAD",
    "refs%2Fheads%2Fmain",
    "main",
    "link.txt",
    "abs-link.txt",
    "link-dir",
    "link-dir%2Fsecret.txt",
    "dir",
    "dir%2Fa.txt",
    "w.safetensors",
    "a" * 300,
    "b" * 5000,
    "..%2F..%2F..%2F..%2Foutside%2Fsecret.txt",
    "%2Fetc%2Fpasswd",
    "etc/passwd",
    "CON",
    "%0d%0aX-Evil:%201",
    "%E2%80%AE",
    "0" * 40,
    "f" * 64,
]


def encode(text: str) -> str:
    return quote(text, safe=SAFE)


segment = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=24).map(encode),
    st.text(alphabet="abc./%2eF0\\", max_size=12).map(lambda s: encode(s)),
)
path_st = st.lists(segment, min_size=1, max_size=4).map("/".join)
repo_st = st.one_of(
    st.sampled_from(["alice/fuzz", "alice/fuzz-private", "alice/fuzz-gated", "alice/fuzz-ds", "alice/nope", "alice"]),
    st.tuples(segment, segment).map("/".join),
    segment,
)
rev_st = st.one_of(st.sampled_from(["main", "0" * 40]), segment)
token_st = st.sampled_from(["alice", "bob", None, "garbage", "basic-garbage", "basic-alice"])
QUERY_KEYS = [
    "search",
    "filter",
    "author",
    "sort",
    "direction",
    "limit",
    "full",
    "cardData",
    "expand",
    "cursor",
    "recursive",
    "p",
    "gated",
    "service",
    "size",
    "expires",
    "action",
    "sig",
    "repo",
    "include_prs",
    "create_pr",
    "pipeline_tag",
    "models",
    "datasets",
    "blobs",
]
query_st = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(QUERY_KEYS), st.text(max_size=8)),
        st.one_of(st.sampled_from(NASTY), st.text(max_size=20), st.integers().map(str)),
    ),
    max_size=4,
)
json_st = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(NASTY),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)

# One URL template per way into a route; `test_templates_reach_every_route` keeps it complete.
TEMPLATES = [
    ("GET", "/api/whoami-v2"),
    ("GET", "/api/health"),
    ("POST", "/api/repos/create"),
    ("DELETE", "/api/repos/delete"),
    ("POST", "/api/validate-yaml"),
    ("POST", "/api/course/token"),
    ("GET", "/api/{type}"),
    ("GET", "/api/{type}/{repo}"),
    ("GET", "/api/{type}/{repo}/revision/{rev}"),
    ("GET", "/api/{type}/{repo}/tree/{rev}/{path}"),
    ("POST", "/api/{type}/{repo}/paths-info/{rev}"),
    ("GET", "/api/{type}/{repo}/commits/{rev}"),
    ("GET", "/api/{type}/{repo}/refs"),
    ("GET", "/api/{type}/{repo}/auth-check"),
    ("GET", "/api/{type}/{repo}/auth-check/write"),
    ("PUT", "/api/{type}/{repo}/settings"),
    ("POST", "/api/{type}/{repo}/branch/{rev}"),
    ("DELETE", "/api/{type}/{repo}/branch/{rev}"),
    ("POST", "/api/{type}/{repo}/tag/{rev}"),
    ("DELETE", "/api/{type}/{repo}/tag/{rev}"),
    ("POST", "/api/{type}/{repo}/preupload/{rev}"),
    ("POST", "/api/{type}/{repo}/commit/{rev}"),
    ("GET", "/api/{type}/{repo}/user-access-request/pending"),
    ("POST", "/api/{type}/{repo}/user-access-request/handle"),
    ("POST", "/api/{type}/{repo}/user-access-request/grant"),
    ("POST", "/{prefix}{repo}/ask-access"),
    ("GET", "/{prefix}{repo}/resolve/{rev}/{path}"),
    ("HEAD", "/{prefix}{repo}/resolve/{rev}/{path}"),
    ("POST", "/{prefix}{repo}.git/info/lfs/objects/batch"),
    ("PUT", "/lfs-objects/{oid}"),
    ("GET", "/lfs-objects/{oid}"),
    # Xet (api/xet.py): the Hub's token routes, then the CAS (its own tokens: the fuzzer's are refused)
    ("GET", "/api/{type}/{repo}/xet-read-token/{rev}"),
    ("GET", "/api/{type}/{repo}/xet-write-token/{rev}"),
    ("GET", "/xet-cas/v1/reconstructions/{oid}"),
    ("GET", "/xet-cas/v1/xorb-data/{oid}"),
    ("POST", "/xet-cas/v1/xorbs/default/{oid}"),
    ("POST", "/xet-cas/v1/shards"),
    ("GET", "/xet-cas/v1/chunks/default-merkledb/{oid}"),
    ("GET", "/xet-cas/v1/stats"),
    ("GET", "/{prefix}{repo}.git/info/refs"),
    ("POST", "/{prefix}{repo}.git/git-upload-pack"),
    ("POST", "/{prefix}{repo}.git/git-receive-pack"),
    ("POST", "/api/repos/move"),
    ("POST", "/api/{type}/{repo}/duplicate"),
    ("POST", "/api/{type}/{repo}/super-squash/{rev}"),
    ("GET", "/api/{type}/{repo}/lfs-files"),
    ("POST", "/api/{type}/{repo}/lfs-files/batch"),
    ("POST", "/api/{type}/{repo}/like"),
    ("DELETE", "/api/{type}/{repo}/like"),
    ("GET", "/api/{type}/{repo}/likers"),
    ("GET", "/api/users/{rev}/likes"),
    ("GET", "/api/collections"),
    ("POST", "/api/collections"),
    ("GET", "/api/collections/{repo}"),
    ("PATCH", "/api/collections/{repo}"),
    ("DELETE", "/api/collections/{repo}"),
    ("POST", "/api/collections/{repo}/items"),
    ("PATCH", "/api/collections/{repo}/items/{oid}"),
    ("DELETE", "/api/collections/{repo}/items/{oid}"),
    # discussions and pull requests (course_hub/api/community.py)
    ("GET", "/api/{type}/{repo}/discussions"),
    ("POST", "/api/{type}/{repo}/discussions"),
    ("GET", "/api/{type}/{repo}/discussions/1"),
    ("POST", "/api/{type}/{repo}/discussions/1/comment"),
    ("POST", "/api/{type}/{repo}/discussions/1/comment/{oid}/edit"),
    ("POST", "/api/{type}/{repo}/discussions/1/comment/{oid}/hide"),
    ("POST", "/api/{type}/{repo}/discussions/1/title"),
    ("POST", "/api/{type}/{repo}/discussions/1/status"),
    ("POST", "/api/{type}/{repo}/discussions/1/merge"),
    # Spaces that run (course_hub/spaces)
    ("GET", "/api/spaces/{repo}/runtime"),
    ("POST", "/api/spaces/{repo}/restart"),
    ("POST", "/api/spaces/{repo}/pause"),
    ("GET", "/api/spaces/{repo}/logs/run"),
    ("GET", "/spaces/{repo}/app/{path}"),
    ("POST", "/spaces/{repo}/app/{path}"),
    # inference (course_hub/inference; hostile payloads with real models: tests/test_inference.py)
    ("POST", "/models/{repo}"),
    ("POST", "/hf-inference/models/{repo}/pipeline/feature-extraction"),
    ("POST", "/v1/chat/completions"),
    ("POST", "/models/{repo}/v1/chat/completions"),
    ("GET", "/v1/models"),
    ("GET", "/inference-static/widget.js"),
    # webhooks (course_hub/api/webhooks.py)
    ("GET", "/api/settings/webhooks"),
    ("POST", "/api/settings/webhooks"),
    ("GET", "/api/settings/webhooks/" + "0" * 24),
    ("POST", "/api/settings/webhooks/" + "0" * 24),
    ("DELETE", "/api/settings/webhooks/" + "0" * 24),
    ("POST", "/api/settings/webhooks/" + "0" * 24 + "/enable"),
    ("POST", "/api/settings/webhooks/" + "0" * 24 + "/disable"),
]
# the website (course_hub/web): sent as a browser sends them (`Accept: text/html`), or they answer 404
WEB_TEMPLATES = [
    ("GET", "/"),
    ("GET", "/static/style.css"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/oauth_callback?code={rev}&state={path}"),
    ("GET", "/settings/tokens"),
    ("POST", "/settings/tokens"),
    ("POST", "/settings/tokens/delete"),
    ("GET", "/{type}"),
    ("GET", "/datasets/{repo}/viewer/{rev}/{rev}"),
    ("GET", "/datasets/{repo}/viewer-media/" + "0" * 40 + "/{rev}/{rev}/0/{path}"),
    ("GET", "/{prefix}{repo}/tree/{rev}/{path}"),
    ("GET", "/{prefix}{repo}/blob/{rev}/{path}"),
    ("GET", "/{prefix}{repo}/download/{rev}/{path}"),
    ("GET", "/{prefix}{repo}/commits/{rev}"),
    ("GET", "/{prefix}{repo}/commit/" + "0" * 40),
    ("POST", "/{prefix}{repo}/request-access"),
    ("GET", "/{prefix}{repo}/access-requests"),
    ("POST", "/{prefix}{repo}/access-requests"),
    ("GET", "/{prefix}{repo}"),
    ("GET", "/{rev}"),
    ("GET", "/{prefix}{repo}/discussions"),
    ("POST", "/{prefix}{repo}/discussions"),
    ("GET", "/{prefix}{repo}/discussions/1"),
    ("POST", "/{prefix}{repo}/discussions/1"),
]
TEMPLATES += WEB_TEMPLATES


def fill(
    template: str, repo="alice/fuzz", rev="main", path="dir/a.txt", type_="models", prefix="", oid="0" * 64
) -> str:
    return (
        template.replace("{type}", type_)
        .replace("{repo}", repo)
        .replace("{rev}", rev)
        .replace("{path}", path)
        .replace("{prefix}", prefix)
        .replace("{oid}", oid)
    )


def headers_for(fz, who, ctype=None) -> dict:
    token = {"alice": fz.alice, "bob": fz.bob}.get(who)
    h = bearer(token) if token else {}
    if who == "garbage":
        h = {"Authorization": "Bearer hf_" + "z" * 30}
    elif who == "basic-garbage":
        h = {"Authorization": "Basic %%%not-base64"}
    elif who == "basic-alice":
        h = {"Authorization": "Basic " + base64.b64encode(f"alice:{fz.alice}".encode()).decode()}
    if ctype:
        h["Content-Type"] = ctype
    return h


def send(fz, method, path, body=None, headers=None, name="?"):
    """One request; the answer must not be a 5xx, must carry an error code when refused (git's own answers
    aside), and must never contain the canary file's bytes."""
    CASES[name] += 1
    status, hdrs, data = raw_request(fz.url, method, path, body, headers or {})
    STATUSES[f"{status // 100}xx"] += 1
    assert status < 500, (method, path[:300], status, data[:500])
    assert CANARY not in data, (method, path[:300])
    git_answer = any(s in path for s in ("/info/refs", "git-upload-pack", "git-receive-pack"))
    if status >= 400 and not git_answer:
        assert hdrs.get("x-error-code"), (method, path[:300], status, data[:300])
    return status, hdrs, data


# --- the fuzz tests ------------------------------------------------------------------------------------------------
def route_of(method, path):
    raw = path.split("?", 1)[0]
    for r in ROUTES:
        if r.regex.match(raw) and (method in r.methods or (method == "HEAD" and "GET" in r.methods)):
            return r
    return None


def test_templates_reach_every_route():
    reached = {id(route_of(m, fill(t))) for m, t in TEMPLATES}
    missing = [f"{'|'.join(r.methods)} {r.pattern}" for r in ROUTES if id(r) not in reached]
    assert not missing, "routes the fuzzer never tries:\n" + "\n".join(missing)


@FUZZ
@given(
    template=st.sampled_from(TEMPLATES),
    repo=repo_st,
    rev=rev_st,
    path=path_st,
    query=query_st,
    who=token_st,
    type_=st.sampled_from(["models", "datasets", "spaces", "model", "x"]),
    prefix=st.sampled_from(["", "datasets/", "spaces/", "models/"]),
    rng=st.sampled_from([None, "bytes=0-3", "bytes=-2", "bytes=5-1", "bytes=a-b", "bytes=0-99999999999999999999"]),
)
def test_fuzz_urls(fz, template, repo, rev, path, query, who, type_, prefix, rng):
    method, tmpl = template
    if method in ("DELETE", "PUT") and who in ("alice", "basic-alice") and "{repo}" in tmpl and repo == "alice/fuzz":
        repo = "alice/fuzz-victim"  # don't delete the branch/settings the other tests stand on
    url = fill(tmpl, repo, rev, path, type_, prefix)
    if query:
        url += "?" + urlencode(query)
    headers = headers_for(fz, who)
    if rng:
        headers["Range"] = rng
    if template in WEB_TEMPLATES:
        headers["Accept"] = "text/html"
    send(fz, method, url, b"" if method in ("POST", "PUT") else None, headers, "urls")


JSON_ROUTES = [
    ("POST", "/api/repos/create"),
    ("DELETE", "/api/repos/delete"),
    ("POST", "/api/validate-yaml"),
    ("POST", "/api/course/token"),
    ("PUT", "/api/models/alice/fuzz-ds/settings"),
    ("POST", "/api/models/alice/fuzz/branch/fz"),
    ("POST", "/api/models/alice/fuzz/tag/main"),
    ("POST", "/api/models/alice/fuzz/preupload/main"),
    ("POST", "/api/models/alice/fuzz/paths-info/main"),
    ("POST", "/api/models/alice/fuzz-gated/user-access-request/handle"),
    ("POST", "/api/models/alice/fuzz-gated/user-access-request/grant"),
    ("POST", "/alice/fuzz-gated/ask-access"),
    ("POST", "/alice/fuzz.git/info/lfs/objects/batch"),
    ("POST", "/api/repos/move"),
    ("POST", "/api/models/alice/fuzz/duplicate"),
    ("POST", "/api/collections"),
    ("POST", "/api/models/alice/fuzz-victim/lfs-files/batch"),
    ("PATCH", "/api/collections/alice/x-0"),
    ("POST", "/models/alice/fuzz"),
    ("POST", "/v1/chat/completions"),
    ("POST", "/api/models/alice/fuzz/discussions"),
    ("POST", "/api/models/alice/fuzz/discussions/1/comment"),
    ("POST", "/api/models/alice/fuzz/discussions/1/title"),
    ("POST", "/api/models/alice/fuzz/discussions/1/status"),
    ("POST", "/api/models/alice/fuzz/discussions/1/merge"),
    ("POST", "/api/models/alice/fuzz/preupload/main?create_pr=1"),
]
field_st = st.one_of(
    json_st,
    st.sampled_from(NASTY),
    st.sampled_from(["fuzz", "alice", "bob", "model", "dataset", "space", "manual", "auto", "private"]),
)


@FUZZ
@given(
    target=st.sampled_from(JSON_ROUTES),
    body=st.one_of(
        json_st,
        st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "organization",
                    "type",
                    "private",
                    "visibility",
                    "sdk",
                    "gated",
                    "tag",
                    "message",
                    "startingPoint",
                    "files",
                    "paths",
                    "expand",
                    "user",
                    "status",
                    "content",
                    "role",
                    "requestId",
                    "operation",
                    "objects",
                    "fromRepo",
                    "toRepo",
                    "repository",
                    "visibility",
                    "title",
                    "namespace",
                    "description",
                    "theme",
                    "item",
                    "note",
                    "position",
                    "deletions",
                    "comment",
                    "pullRequest",
                ]
            ),
            field_st,
            max_size=5,
        ),
    ),
    raw=st.one_of(st.none(), st.binary(max_size=64)),
    who=token_st,
)
def test_fuzz_json_bodies(fz, target, body, raw, who):
    method, path = target
    if method == "DELETE" and isinstance(body, dict) and str(body.get("name", "")).startswith("fuzz"):
        body["name"] = "fuzz-victim"  # deleting the repos the other tests use is allowed, just not useful
    data = raw if raw is not None else json.dumps(body).encode()
    send(fz, method, path, data, headers_for(fz, who, "application/json"), "json")


oid_st = st.one_of(
    st.sampled_from(["0" * 64, "f" * 64, hashlib.sha256(b"hello\n").hexdigest(), "A" * 64, "../" * 5]),
    st.text(alphabet="0123456789abcdef", min_size=60, max_size=66),
    st.text(max_size=10),
    st.integers(),
)
line_st = st.one_of(
    st.fixed_dictionaries(
        {
            "key": st.sampled_from(["file", "lfsFile", "deletedFile", "deletedFolder", "header", "copy", "", 7]),
            "value": st.fixed_dictionaries(
                {},
                optional={
                    "path": st.one_of(
                        path_st.map(lambda p: p.replace("%2F", "/")), st.text(max_size=40), st.integers()
                    ),
                    "content": st.one_of(
                        st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode()), st.text(max_size=20)
                    ),
                    "encoding": st.sampled_from(["base64", "utf-8", ""]),
                    "algo": st.sampled_from(["sha256", "md5"]),
                    "oid": oid_st,
                    "size": st.one_of(st.integers(), st.floats(), st.text(max_size=5)),
                    "summary": st.text(max_size=20),
                    "parentCommit": st.sampled_from(["", "0" * 40]),
                },
            ),
        }
    ),
    json_st,
)


@FUZZ
@given(
    lines=st.lists(line_st, max_size=6),
    junk=st.one_of(st.none(), st.binary(max_size=40)),
    header=st.booleans(),
    rev=st.sampled_from(
        [
            "main",
            "fz",
            "nope",
            "refs%2Fheads%2Fmain",
            "..",
            "main?create_pr=1",
            "refs%2Fpr%2F1",
            "refs%2Fpr%2F1?create_pr=1",
        ]
    ),
)
def test_fuzz_ndjson_commits(fz, lines, junk, header, rev):
    items = ([{"key": "header", "value": {"summary": "fuzz"}}] if header else []) + lines
    body = b"\n".join(json.dumps(i).encode() for i in items) + (b"\n" + junk if junk else b"")
    status, _, data = send(
        fz,
        "POST",
        f"/api/models/alice/fuzz/commit/{rev}",
        body,
        headers_for(fz, "alice", "application/x-ndjson"),
        "ndjson",
    )
    if status == 200:  # whatever landed is a proper commit of proper paths
        from course_hub.hub import check_path

        files = json.loads(
            raw_request(fz.url, "GET", "/api/models/alice/fuzz/tree/main?recursive=true", headers=bearer(fz.alice))[2]
        )
        for f in files:
            check_path(f["path"])


@FUZZ
@given(
    operation=st.one_of(st.sampled_from(["upload", "download", "verify"]), json_st),
    objects=st.one_of(
        st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "oid": oid_st,
                    "size": st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=4)),
                },
            ),
            max_size=3,
        ),
        json_st,
    ),
    repo=st.sampled_from(["alice/fuzz", "alice/fuzz-private", "alice/fuzz-gated", "datasets/alice/fuzz-ds"]),
    who=token_st,
    query=query_st,
    put=st.binary(max_size=64),
)
def test_fuzz_lfs(fz, operation, objects, repo, who, query, put):
    send(
        fz,
        "POST",
        f"/{repo}.git/info/lfs/objects/batch",
        json.dumps({"operation": operation, "objects": objects, "transfers": ["basic"]}).encode(),
        headers_for(fz, who, "application/vnd.git-lfs+json"),
        "lfs",
    )
    oid = hashlib.sha256(put).hexdigest()
    for method in ("PUT", "GET"):
        send(
            fz,
            method,
            f"/lfs-objects/{oid}?{urlencode(query)}",
            put if method == "PUT" else None,
            headers_for(fz, who),
            "lfs",
        )


@FUZZ
@given(
    service=st.sampled_from(["git-upload-pack", "git-receive-pack", "info/refs"]),
    query=st.one_of(
        st.sampled_from(["service=git-upload-pack", "service=git-receive-pack", "service=x", ""]),
        query_st.map(urlencode),
    ),
    body=st.one_of(
        st.binary(max_size=200),
        st.sampled_from([b"0000", b"0009done\n0000", b"00000000", b"0032want " + b"0" * 40 + b"\n0000"]),
    ),
    gz=st.sampled_from([None, "valid", "broken"]),
    who=token_st,
    repo=st.sampled_from(
        [
            "alice/fuzz",
            "alice/fuzz-private",
            "alice/fuzz-gated",
            "datasets/alice/fuzz-ds",
            "alice/nope",
            "alice/..",
            "alice/fuzz.git",
        ]
    ),
    protocol=st.sampled_from([None, "version=2", "version=1", "\u00e9".encode().decode("latin-1")]),
)
def test_fuzz_git(fz, service, query, body, gz, who, repo, protocol):
    method = "GET" if service == "info/refs" else "POST"
    headers = headers_for(fz, who, f"application/x-{service}-request" if method == "POST" else None)
    if gz:
        headers["Content-Encoding"] = "gzip"
        body = gzip.compress(body) if gz == "valid" else body
    if protocol:
        headers["Git-Protocol"] = protocol
    send(fz, method, f"/{repo}.git/{service}?{query}", body if method == "POST" else None, headers, "git")


# --- after the fuzzing ---------------------------------------------------------------------------------------------
def test_symlinks_are_served_as_links_not_followed(fz):
    for name, target in (
        ("link.txt", b"../../../../../outside/secret.txt"),
        ("abs-link.txt", str(fz.outside / "secret.txt").encode()),
    ):
        status, _, data = send(fz, "GET", f"/alice/fuzz/resolve/{fz.sha}/{name}", None, {}, "symlinks")
        assert status == 200 and data == target
    status, _, _ = send(fz, "GET", f"/alice/fuzz/resolve/{fz.sha}/link-dir/secret.txt", None, {}, "symlinks")
    assert status == 404


def test_zz_nothing_outside_the_hub_was_touched_and_all_is_consistent(fz):
    selftest, _, violations = fz.audit.read_text().partition("\n")
    assert selftest == f"selftest:open read {(fz.outside / 'secret.txt').resolve()}", selftest
    assert violations == "", f"the hub touched files outside its dir:\n{violations[:3000]}"
    assert fz.outside_state() == fz.before
    assert (fz.outside / "secret.txt").read_bytes() == CANARY
    db = sqlite3.connect(fz.dir / "hub.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    repos = list((fz.dir / "repos").glob("*/*/*.git"))
    assert repos
    for repo in repos:
        fsck = git("--git-dir", str(repo), "fsck", "--full", "--no-dangling", check=False)
        assert fsck.returncode == 0, (repo, fsck.stderr)
    assert not [p for p in (fz.dir / "tmp").iterdir()], "unfinished uploads left in tmp/"
    summary = {
        "examples_per_test": EXAMPLES,
        "cases": dict(CASES),
        "total_cases": sum(CASES.values()),
        "answers": dict(STATUSES),
        "repos_fsck_ok": len(repos),
        "audit_violations": 0,
    }
    out = Path(__file__).resolve().parents[1] / "build" / "fuzz-summary.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(summary, indent=1))
    print("fuzz:", summary)
