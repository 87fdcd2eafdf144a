"""Bad input gets a clear 4xx with an `X-Error-Code` (and a JSON `error` on non-HEAD requests), and nothing is
written: the commit list and the refs are unchanged afterwards."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import pytest
from hubtest import HTTP, bearer, raw_request


@pytest.fixture(scope="module")
def repo(api):
    """One repo for the whole module: every test checks that it is left exactly as it was."""
    repo_id = f"alice/bad-input-{os.urandom(4).hex()}"
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b"inside\n", path_in_repo="dir/inside.txt", repo_id=repo_id)
    return repo_id


def snapshot(api, repo_id, repo_type="model"):
    """Everything a bad request must not change."""
    refs = api.list_repo_refs(repo_id, repo_type=repo_type)
    return (
        [c.commit_id for c in api.list_repo_commits(repo_id, repo_type=repo_type)],
        sorted((b.name, b.target_commit) for b in refs.branches),
        sorted((t.name, t.target_commit) for t in refs.tags),
    )


def assert_4xx(status, headers, body=b"", expected=None, method="GET"):
    assert 400 <= status < 500, (status, headers, body[:300])
    if expected is not None:
        assert status == expected, (status, body[:300])
    assert headers.get("x-error-code"), headers
    assert headers.get("x-error-message"), headers
    if method != "HEAD":
        assert json.loads(body)["error"]


def ndjson(*items) -> bytes:
    return b"\n".join(json.dumps(i).encode() for i in items)


HEADER = {"key": "header", "value": {"summary": "bad"}}


def file_line(path, data=b"x"):
    return {"key": "file", "value": {"path": path, "content": base64.b64encode(data).decode(), "encoding": "base64"}}


# --- routes and repo types ---------------------------------------------------------------------------------------
def test_unknown_repo_type(hub, api, repo):
    for path in (
        f"/api/foos/{repo}",
        f"/api/foos/{repo}/tree/main",
        f"/foos/{repo}/resolve/main/dir/inside.txt",
        "/api/foos",
        f"/api/model/{repo}",
    ):
        status, headers, body = raw_request(hub.url, "GET", path)
        assert_4xx(status, headers, body, 404)
    status, headers, body = raw_request(
        hub.url,
        "POST",
        "/api/repos/create",
        json.dumps({"name": "typo", "type": "weights"}).encode(),
        {**bearer(hub.token("alice")), "Content-Type": "application/json"},
    )
    assert_4xx(status, headers, body, 400)
    assert "weights" in json.loads(body)["error"]
    assert not api.repo_exists("alice/typo")


def test_wrong_method_is_405(hub, repo):
    status, headers, body = raw_request(hub.url, "DELETE", f"/api/models/{repo}/tree/main")
    assert_4xx(status, headers, body, 405)


@pytest.mark.parametrize(
    "bad",
    [
        "..",
        "../../etc/passwd",
        "dir/../../../etc/passwd",
        "%2E%2E/%2E%2E/x",
        "dir/..%2F..%2Fx",
        "%2Fetc%2Fpasswd",
        "/etc/passwd",
        "dir//inside.txt",
        "a%00b",
        ".git/config",
        "dir/./inside.txt",
        "dir%5C..%5Cx",
    ],
)
def test_bad_paths_in_resolve(hub, repo, bad):
    for method in ("HEAD", "GET"):
        status, headers, body = raw_request(hub.url, method, f"/{repo}/resolve/main/{bad}")
        assert_4xx(status, headers, body, 400, method)


@pytest.mark.parametrize(
    "bad_repo", ["alice/..", "../alice", "alice/%2E%2E", "alice/a%2Fb", "al%00ice/x", "-alice/x", "alice/x--y"]
)
def test_bad_repo_ids(hub, bad_repo):
    for path in (f"/{bad_repo}/resolve/main/f.txt", f"/api/models/{bad_repo}", f"/api/models/{bad_repo}/tree/main"):
        status, headers, body = raw_request(hub.url, "GET", path)
        assert_4xx(status, headers, body)


def test_bad_paths_in_tree_and_paths_info(hub, repo):
    for path in ("..", "dir/../..", "%2E%2E", "a%00b"):
        status, headers, body = raw_request(hub.url, "GET", f"/api/models/{repo}/tree/main/{path}")
        assert_4xx(status, headers, body, 400)
    r = HTTP.post(f"{hub.url}/api/models/{repo}/paths-info/main", data={"paths": ["../../etc/passwd"]})
    assert r.status_code == 400 and r.headers["x-error-code"] == "BadRequest"


def test_bad_revisions(hub, repo):
    for rev in ("..", "refs%2F..%2F..%2Fconfig", "0" * 40, "a%00b"):
        status, headers, body = raw_request(hub.url, "GET", f"/{repo}/resolve/{rev}/dir/inside.txt")
        assert_4xx(status, headers, body)


def test_range_header_garbage(hub, repo):
    r = HTTP.get(f"{hub.url}/{repo}/resolve/main/dir/inside.txt", headers={"Range": "bytes=a-b"})
    assert r.status_code == 400 and r.headers["x-error-code"]
    r = HTTP.get(f"{hub.url}/{repo}/resolve/main/dir/inside.txt", headers={"Range": "bytes=5-2"})
    assert r.status_code == 416 and r.headers["content-range"] == "bytes */7"


# --- commits -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad",
    [
        "../evil.txt",
        "/abs.txt",
        "dir/../../evil.txt",
        "a\x00b.txt",
        ".git/config",
        ".git/hooks/post-update",
        "dir//x.txt",
        "./x.txt",
        "dir/.",
        "",
        "x" * 1200,
    ],
)
def test_bad_paths_in_commits(hub, api, repo, bad):
    before = snapshot(api, repo)
    for lines in (
        [HEADER, file_line("ok.txt"), file_line(bad)],
        [HEADER, {"key": "deletedFile", "value": {"path": bad}}],
        [HEADER, {"key": "deletedFolder", "value": {"path": bad}}],
        [HEADER, {"key": "lfsFile", "value": {"path": bad, "algo": "sha256", "oid": "a" * 64, "size": 1}}],
    ):
        r = HTTP.post(
            f"{hub.url}/api/models/{repo}/commit/main",
            content=ndjson(*lines),
            headers={**bearer(hub.token("alice")), "Content-Type": "application/x-ndjson"},
        )
        assert_4xx(r.status_code, r.headers, r.content, 400)
    r = HTTP.post(
        f"{hub.url}/api/models/{repo}/preupload/main",
        headers=bearer(hub.token("alice")),
        json={"files": [{"path": bad, "size": 1, "sample": ""}]},
    )
    assert_4xx(r.status_code, r.headers, r.content, 400)
    assert snapshot(api, repo) == before
    assert not os.path.exists(os.path.join(hub.dir, "repos", "models", "alice", "evil.txt"))


@pytest.mark.parametrize(
    "body",
    [
        b"this is not json",
        b'{"key": "header", "value": {"summary": "x"}}\n{"key": "file", "value": {"path": "a.txt", "content": "!!!"}}',
        b'{"key": "header", "value": {"summary": "x"}}\n{"key": "file", "value": {"path": "a.txt"}}',
        b'{"key": "header", "value": {"summary": "x"}}\n{"key": "file", "value": "not an object"}',
        b'{"key": "header", "value": {"summary": "x"}}\n{"key": "rename", "value": {"path": "a.txt"}}',
        b'{"key": "header", "value": {"summary": "x"}}\n["key", "value"]',
        b'{"key": "header", "value": {"summary": "x"}}\n{"value": {"path": "a.txt"}}',
        b'{"key": "header", "value": {"summary": "x"}}\n{"key": "file", "value": {"path": 7, "content": ""}}',
        b'{"key": "file", "value": {"path": "a.txt", "content": "eA==", "encoding": "base64"}}',  # no header
        b'{"key": "header", "value": {"summary": "x"}}\n{"key": "lfsFile", "value": {"path": "w.bin", "algo": "md5", '
        b'"oid": "abc", "size": 1}}',
        b'{"key": "header", "value": {"summary": "x"}}\n{"key": "lfsFile", "value": {"path": "w.bin", "algo": "sha256", '
        b'"oid": "' + b"a" * 64 + b'", "size": -1}}',
        b"\xff\xfe\x00garbage",
        b"",
    ],
    ids=lambda b: b[:40].decode("latin-1"),
)
def test_malformed_ndjson_commits(hub, api, repo, body):
    before = snapshot(api, repo)
    r = HTTP.post(
        f"{hub.url}/api/models/{repo}/commit/main",
        content=body,
        headers={**bearer(hub.token("alice")), "Content-Type": "application/x-ndjson"},
    )
    assert_4xx(r.status_code, r.headers, r.content, 400)
    assert snapshot(api, repo) == before


def test_commit_naming_an_lfs_object_never_uploaded(hub, api, repo):
    before = snapshot(api, repo)
    oid = hashlib.sha256(os.urandom(32)).hexdigest()
    r = HTTP.post(
        f"{hub.url}/api/models/{repo}/commit/main",
        headers={**bearer(hub.token("alice")), "Content-Type": "application/x-ndjson"},
        content=ndjson(
            HEADER, {"key": "lfsFile", "value": {"path": "w.safetensors", "algo": "sha256", "oid": oid, "size": 10}}
        ),
    )
    assert_4xx(r.status_code, r.headers, r.content)
    assert snapshot(api, repo) == before


def test_commit_file_and_folder_clash(hub, api, repo):
    before = snapshot(api, repo)
    r = HTTP.post(
        f"{hub.url}/api/models/{repo}/commit/main",
        headers={**bearer(hub.token("alice")), "Content-Type": "application/x-ndjson"},
        content=ndjson(HEADER, file_line("dir")),
    )  # `dir` is a folder
    assert_4xx(r.status_code, r.headers, r.content, 400)
    r = HTTP.post(
        f"{hub.url}/api/models/{repo}/commit/main",
        headers={**bearer(hub.token("alice")), "Content-Type": "application/x-ndjson"},
        content=ndjson(HEADER, file_line("dir/inside.txt/below.txt")),
    )
    assert_4xx(r.status_code, r.headers, r.content, 400)
    assert snapshot(api, repo) == before


# --- JSON bodies -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"a string"', b"\xff\xfe", b'{"name": 5}', b"{}"])
def test_malformed_json_bodies(hub, api, repo, body):
    before = snapshot(api, repo)
    alice = {**bearer(hub.token("alice")), "Content-Type": "application/json"}
    targets = [
        ("POST", "/api/repos/create"),
        ("DELETE", "/api/repos/delete"),
        ("POST", f"/api/models/{repo}/preupload/main"),
        ("POST", f"/api/models/{repo}/tag/main"),
        ("POST", "/api/validate-yaml"),
    ]
    if body not in (b'{"name": 5}', b"{}"):  # these two are valid JSON objects for the routes below
        targets += [
            ("PUT", f"/api/models/{repo}/settings"),
            ("POST", f"/api/models/{repo}/branch/new-branch"),
            ("POST", f"/{repo}.git/info/lfs/objects/batch"),
        ]
    for method, path in targets:
        status, headers, resp = raw_request(hub.url, method, path, body, alice)
        assert_4xx(status, headers, resp, 400)
    assert snapshot(api, repo) == before
    assert api.model_info(repo).gated is False


def test_bad_branch_and_tag_names(hub, api, repo):
    before = snapshot(api, repo)
    alice = bearer(hub.token("alice"))
    for name in (
        "..",
        "a..b",
        "-",
        "-x",
        ".hidden",
        "a/.b",
        "a.",
        "x.lock",
        "refs%2Fheads%2Fx",
        "a%20b",
        "a~1",
        "a:b",
        "a%00b",
    ):
        r = HTTP.post(f"{hub.url}/api/models/{repo}/branch/{name}", headers=alice, json={})
        assert_4xx(r.status_code, r.headers, r.content)
    for name in ("..", "a b", "refs/tags/x", "", None, 5):
        r = HTTP.post(f"{hub.url}/api/models/{repo}/tag/main", headers=alice, json={"tag": name})
        assert_4xx(r.status_code, r.headers, r.content, 400)
    assert snapshot(api, repo) == before


# --- LFS batch and objects ---------------------------------------------------------------------------------------
def batch(hub, repo, payload, token):
    return HTTP.post(
        f"{hub.url}/{repo}.git/info/lfs/objects/batch",
        json=payload,
        headers={**bearer(token), "Accept": "application/vnd.git-lfs+json"},
    )


@pytest.mark.parametrize(
    "objects",
    [
        [{"oid": "not-a-sha", "size": 1}],
        [{"oid": "A" * 64, "size": 1}],
        [{"oid": "a" * 63, "size": 1}],
        [{"oid": "a" * 64, "size": -5}],
        [{"oid": "a" * 64, "size": "big"}],
        [{"oid": "../../" + "a" * 58, "size": 1}],
        [{"size": 1}],
        [None],
        "not a list",
    ],
)
def test_lfs_batch_bad_objects(hub, repo, objects):
    for operation in ("upload", "download"):
        r = batch(hub, repo, {"operation": operation, "objects": objects, "transfers": ["basic"]}, hub.token("alice"))
        assert_4xx(r.status_code, r.headers, r.content, 400)


def test_lfs_batch_bad_operation_and_auth(hub, repo):
    obj = [{"oid": "a" * 64, "size": 1}]
    r = batch(hub, repo, {"operation": "delete", "objects": obj}, hub.token("alice"))
    assert_4xx(r.status_code, r.headers, r.content, 400)
    r = batch(hub, repo, {"operation": "upload", "objects": obj}, hub.token("bob"))
    assert r.status_code == 200  # a stranger's pull request uploads its LFS files first (tests/test_hub_community.py)
    r = batch(hub, repo, {"operation": "upload", "objects": obj}, hub.token("alice", "read"))
    assert_4xx(r.status_code, r.headers, r.content, 403)
    r = batch(hub, repo, {"operation": "upload", "objects": obj}, None)
    assert_4xx(r.status_code, r.headers, r.content, 401)
    r = batch(hub, "alice/no-such-repo-for-lfs", {"operation": "download", "objects": obj}, hub.token("alice"))
    assert_4xx(r.status_code, r.headers, r.content, 404)
    # a download of an object that is not there is a per-object error, not a failure of the batch
    r = batch(hub, repo, {"operation": "download", "objects": obj}, None)
    assert r.status_code == 200 and r.json()["objects"][0]["error"]["code"] == 404


def test_lfs_object_urls_are_signed_and_checked(hub, repo):
    data = os.urandom(1000)
    oid = hashlib.sha256(data).hexdigest()
    r = batch(hub, repo, {"operation": "upload", "objects": [{"oid": oid, "size": len(data)}]}, hub.token("alice"))
    href = r.json()["objects"][0]["actions"]["upload"]["href"]
    # a tampered signature, a wrong size, a download URL for an upload: refused
    for bad in (
        href[:-4] + "0000",
        href.replace(f"size={len(data)}", f"size={len(data) + 1}"),
        href.replace("action=upload", "action=download"),
        href.split("?")[0],
    ):
        r = HTTP.put(bad, content=data)
        assert_4xx(r.status_code, r.headers, r.content, 403)
    # bytes that do not hash to the oid, or too many bytes: refused, nothing stored
    r = HTTP.put(href, content=os.urandom(1000))
    assert_4xx(r.status_code, r.headers, r.content, 400)
    r = HTTP.put(href, content=data + b"extra")
    assert_4xx(r.status_code, r.headers, r.content, 400)
    again = batch(hub, repo, {"operation": "download", "objects": [{"oid": oid, "size": len(data)}]}, None)
    assert again.json()["objects"][0]["error"]["code"] == 404
    # the real bytes are accepted, and then downloadable through a signed URL
    assert HTTP.put(href, content=data).status_code == 200
    dl = batch(hub, repo, {"operation": "download", "objects": [{"oid": oid, "size": len(data)}]}, None)
    dl_href = dl.json()["objects"][0]["actions"]["download"]["href"]
    assert HTTP.get(dl_href).content == data
    assert HTTP.get(dl_href.replace("sig=", "sig=0")).status_code == 403


# --- tokens ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "auth",
    [
        "Bearer hf_doesnotexist",
        "Bearer ",
        "Basic %%%",
        "Basic " + base64.b64encode(b"alice:hf_wrong").decode(),
        "Bearer hf_\x01",
    ],
)
def test_wrong_tokens(hub, api, repo, auth):
    before = snapshot(api, repo)
    headers = {"Authorization": auth, "Content-Type": "application/x-ndjson"}
    status, resp_headers, body = raw_request(
        hub.url, "POST", f"/api/models/{repo}/commit/main", ndjson(HEADER, file_line("x.txt")), headers
    )
    assert_4xx(status, resp_headers, body)
    assert status in (400, 401)
    assert snapshot(api, repo) == before


def test_missing_token_on_writes(hub, api, repo):
    before = snapshot(api, repo)
    for method, path, body in (
        ("POST", f"/api/models/{repo}/commit/main", ndjson(HEADER, file_line("x.txt"))),
        ("POST", f"/api/models/{repo}/preupload/main", b'{"files": []}'),
        ("POST", f"/api/models/{repo}/branch/b", b"{}"),
        ("POST", f"/api/models/{repo}/tag/main", b'{"tag": "t"}'),
        ("DELETE", f"/api/models/{repo}/branch/main", b""),
        ("PUT", f"/api/models/{repo}/settings", b'{"private": true}'),
        ("POST", "/api/repos/create", b'{"name": "anon-repo"}'),
        ("DELETE", "/api/repos/delete", json.dumps({"name": repo.split("/")[1], "organization": "alice"}).encode()),
    ):
        status, headers, resp = raw_request(hub.url, method, path, body, {"Content-Type": "application/json"})
        assert_4xx(status, headers, resp, 401 if "settings" not in path else None)
    assert snapshot(api, repo) == before
    assert api.model_info(repo).private is False
