"""Downloads: `resolve` (HEAD, GET, Range) and the real hf_hub_download / snapshot_download, for every repo type."""

from __future__ import annotations

import os
import re

import pytest
from hubtest import HTTP, SHA40, bearer, git_blob_sha, prefix, sha256
from huggingface_hub import CommitOperationAdd, hf_hub_download, snapshot_download
from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

README = b"---\nlicense: mit\ntags:\n- testing\n---\n# A test repo\n\nUsed by the download tests.\n"
CONFIG = b'{"model_type": "bert", "hidden_size": 8}\n'
TEXT = bytes(range(256)) * 3  # every byte value, so nothing can be "helpfully" decoded
WEIGHTS = os.urandom(300_000)  # *.safetensors: LFS whatever the size
NESTED = b"a nested file\n"


@pytest.fixture(scope="module")
def repos(api, hub):
    """One model, one dataset and one Space with the same files; the model also has a tagged older commit."""
    out = {}
    for repo_type in ("model", "dataset", "space"):
        repo_id = f"alice/download-{repo_type}-{os.urandom(4).hex()}"
        api.create_repo(repo_id, repo_type=repo_type, space_sdk="static" if repo_type == "space" else None)
        first = api.create_commit(
            repo_id,
            repo_type=repo_type,
            commit_message="first",
            operations=[CommitOperationAdd("data.bin.txt", b"old contents\n")],
        ).oid
        info = api.create_commit(
            repo_id,
            repo_type=repo_type,
            commit_message="files",
            operations=[
                CommitOperationAdd("README.md", README),
                CommitOperationAdd("config.json", CONFIG),
                CommitOperationAdd("data.bin.txt", TEXT),
                CommitOperationAdd("model.safetensors", WEIGHTS),
                CommitOperationAdd("sub/dir/nested.txt", NESTED),
            ],
        )
        out[repo_type] = {"id": repo_id, "sha": info.oid, "first": first}
    api.create_tag(out["model"]["id"], tag="v0", revision=out["model"]["first"])
    return out


def resolve_url(hub, repo_type: str, repo_id: str, path: str, rev: str = "main") -> str:
    return f"{hub.url}/{prefix(repo_type)}{repo_id}/resolve/{rev}/{path}"


def no_xet(headers) -> None:
    assert not [k for k in headers if k.lower().startswith("x-xet")], dict(headers)


def xet_once_converted(headers) -> None:
    """An LFS file: no Xet headers until it is converted (its first request starts that, api/xet.py), then its Xet
    file hash and the route that hands out read tokens."""
    xet = {k.lower(): v for k, v in headers.items() if k.lower().startswith("x-xet")}
    assert not xet or (
        re.fullmatch(r"[0-9a-f]{64}", xet["x-xet-hash"]) and "/xet-read-token/" in xet["x-xet-refresh-route"]
    ), xet


@pytest.mark.parametrize("repo_type", ["model", "dataset", "space"])
def test_head_regular_file_headers(hub, repos, repo_type):
    r = HTTP.head(
        resolve_url(hub, repo_type, repos[repo_type]["id"], "data.bin.txt"),
        follow_redirects=False,
        headers={"Accept-Encoding": "identity"},
    )
    assert r.status_code == 200
    assert re.match(SHA40, r.headers["x-repo-commit"])
    assert r.headers["x-repo-commit"] == repos[repo_type]["sha"]
    assert r.headers["etag"].strip('"') == git_blob_sha(TEXT)
    assert int(r.headers["content-length"]) == len(TEXT)
    assert "x-linked-size" not in r.headers
    no_xet(r.headers)


@pytest.mark.parametrize("repo_type", ["model", "dataset", "space"])
def test_head_lfs_file_headers(hub, repos, repo_type):
    r = HTTP.head(resolve_url(hub, repo_type, repos[repo_type]["id"], "model.safetensors"), follow_redirects=False)
    assert r.status_code == 200
    assert r.headers["x-repo-commit"] == repos[repo_type]["sha"]
    assert r.headers["x-linked-etag"].strip('"') == sha256(WEIGHTS)
    assert r.headers["etag"].strip('"') == sha256(WEIGHTS)
    assert int(r.headers["x-linked-size"]) == len(WEIGHTS)
    xet_once_converted(r.headers)


@pytest.mark.parametrize("repo_type", ["model", "dataset", "space"])
@pytest.mark.parametrize("path", ["data.bin.txt", "model.safetensors"])
def test_get_with_range_is_206(hub, repos, path, repo_type):
    data = TEXT if path == "data.bin.txt" else WEIGHTS
    url = resolve_url(hub, repo_type, repos[repo_type]["id"], path)
    r = HTTP.get(url, headers={"Range": "bytes=10-29"})
    assert r.status_code == 206
    assert r.content == data[10:30]
    assert r.headers["content-range"] == f"bytes 10-29/{len(data)}"
    assert r.headers["x-repo-commit"] == repos[repo_type]["sha"]
    r = HTTP.get(url, headers={"Range": "bytes=-7"})
    assert r.status_code == 206 and r.content == data[-7:]
    r = HTTP.get(url, headers={"Range": f"bytes={len(data) - 5}-"})
    assert r.status_code == 206 and r.content == data[-5:]
    r = HTTP.get(url, headers={"Range": f"bytes={len(data) + 10}-"})
    assert r.status_code == 416
    r = HTTP.get(url)
    assert r.status_code == 200 and r.content == data
    (no_xet if path == "data.bin.txt" else xet_once_converted)(r.headers)


def test_resolve_by_tag_and_sha(hub, repos):
    repo = repos["model"]
    for rev in ("v0", repo["first"]):
        r = HTTP.get(resolve_url(hub, "model", repo["id"], "data.bin.txt", rev))
        assert r.status_code == 200, rev
        assert r.content == b"old contents\n"
        assert r.headers["x-repo-commit"] == repo["first"]


def test_resolve_errors_carry_codes(hub, repos):
    repo = repos["model"]
    r = HTTP.head(resolve_url(hub, "model", repo["id"], "nope.txt"))
    assert r.status_code == 404 and r.headers["x-error-code"] == "EntryNotFound"
    assert r.headers["x-repo-commit"] == repo["sha"]  # the client caches `.no_exist` under this commit
    r = HTTP.head(resolve_url(hub, "model", repo["id"], "config.json", "no-such-branch"))
    assert r.status_code == 404 and r.headers["x-error-code"] == "RevisionNotFound"
    r = HTTP.head(resolve_url(hub, "model", "alice/does-not-exist-at-all", "config.json"))
    assert r.status_code == 401 and r.headers["x-error-code"] == "RepoNotFound"  # anonymous: 401, as the Hub
    # a model id asked for as a dataset is another repo
    r = HTTP.head(resolve_url(hub, "dataset", repo["id"], "config.json"), headers=bearer(hub.token("alice")))
    assert r.status_code == 404 and r.headers["x-error-code"] == "RepoNotFound"


@pytest.mark.parametrize("repo_type", ["model", "dataset", "space"])
def test_hf_hub_download_regular_and_lfs(repos, repo_type, tmp_path):
    repo = repos[repo_type]
    for name, data in (("data.bin.txt", TEXT), ("model.safetensors", WEIGHTS), ("sub/dir/nested.txt", NESTED)):
        path = hf_hub_download(repo["id"], name, repo_type=repo_type, cache_dir=tmp_path)
        with open(path, "rb") as f:
            assert f.read() == data, name
        assert repo["sha"] in path  # snapshots/<commit>/...
    # and to a plain folder
    path = hf_hub_download(repo["id"], "model.safetensors", repo_type=repo_type, local_dir=tmp_path / "local")
    assert open(path, "rb").read() == WEIGHTS


def test_hf_hub_download_pinned_revisions(repos, tmp_path):
    repo = repos["model"]
    assert (
        open(hf_hub_download(repo["id"], "data.bin.txt", revision="v0", cache_dir=tmp_path), "rb").read()
        == b"old contents\n"
    )
    assert (
        open(hf_hub_download(repo["id"], "data.bin.txt", revision=repo["first"], cache_dir=tmp_path), "rb").read()
        == b"old contents\n"
    )
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(repo["id"], "config.json", revision="v0", cache_dir=tmp_path)


def test_hf_hub_download_errors(repos, tmp_path):
    repo = repos["model"]
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(repo["id"], "missing.txt", cache_dir=tmp_path)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(repo["id"], "config.json", revision="nope", cache_dir=tmp_path)
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("alice/no-such-repo-anywhere", "config.json", cache_dir=tmp_path)
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download(repo["id"], "config.json", repo_type="dataset", cache_dir=tmp_path)


@pytest.mark.parametrize("repo_type", ["model", "dataset", "space"])
def test_snapshot_download_everything(repos, repo_type, tmp_path):
    repo = repos[repo_type]
    folder = snapshot_download(repo["id"], repo_type=repo_type, cache_dir=tmp_path)
    assert repo["sha"] in folder
    files = {
        os.path.relpath(os.path.join(d, f), folder).replace(os.sep, "/") for d, _, fs in os.walk(folder) for f in fs
    }
    expected = {"README.md", "config.json", "data.bin.txt", "model.safetensors", "sub/dir/nested.txt", ".gitattributes"}
    assert expected <= files
    assert open(os.path.join(folder, "model.safetensors"), "rb").read() == WEIGHTS
    assert open(os.path.join(folder, "README.md"), "rb").read() == README


def test_snapshot_download_allow_patterns_and_revision(repos, tmp_path):
    repo = repos["model"]
    folder = snapshot_download(repo["id"], allow_patterns=["*.json", "sub/*"], local_dir=tmp_path / "a")
    files = {
        os.path.relpath(os.path.join(d, f), folder).replace(os.sep, "/")
        for d, _, fs in os.walk(folder)
        for f in fs
        if ".cache" not in d
    }
    assert files == {"config.json", "sub/dir/nested.txt"}
    folder = snapshot_download(repo["id"], revision="v0", cache_dir=tmp_path / "b")
    assert repo["first"] in folder
    assert not os.path.exists(os.path.join(folder, "config.json"))
    assert open(os.path.join(folder, "data.bin.txt"), "rb").read() == b"old contents\n"
