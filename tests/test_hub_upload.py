"""Writing: create/delete repos, upload_file / upload_folder / create_commit (adds, deletes, folders), parent-commit
conflicts, permissions (nothing written when refused), and which files go to LFS."""

from __future__ import annotations

import os

import pytest
from hubtest import HTTP, git_blob_sha, sha256
from huggingface_hub import CommitOperationAdd, CommitOperationCopy, CommitOperationDelete, HfApi, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError


def files_of(api, repo_id, repo_type=None, revision=None) -> set[str]:
    return {s.rfilename for s in api.repo_info(repo_id, repo_type=repo_type, revision=revision).siblings}


def content(repo_id, filename, tmp_path, repo_type=None, revision=None) -> bytes:
    path = hf_hub_download(
        repo_id, filename, repo_type=repo_type, revision=revision, cache_dir=tmp_path / os.urandom(4).hex()
    )
    return open(path, "rb").read()


def history(api, repo_id, repo_type=None) -> list[str]:
    return [c.commit_id for c in api.list_repo_commits(repo_id, repo_type=repo_type)]


# --- create / delete ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("repo_type", ["model", "dataset", "space"])
def test_create_repo_and_exist_ok(hub, api, new_repo_id, repo_type):
    repo_id = new_repo_id()
    sdk = "gradio" if repo_type == "space" else None
    url = api.create_repo(repo_id, repo_type=repo_type, space_sdk=sdk)
    assert url.repo_id == repo_id and url.repo_type == repo_type
    assert url.endpoint == hub.url
    assert url == f"{hub.url}/{'' if repo_type == 'model' else repo_type + 's/'}{repo_id}"
    assert files_of(api, repo_id, repo_type) == (
        {".gitattributes", "README.md"} if repo_type == "space" else {".gitattributes"}
    )
    with pytest.raises(HfHubHTTPError) as e:
        api.create_repo(repo_id, repo_type=repo_type, space_sdk=sdk)
    assert e.value.response.status_code == 409
    before = history(api, repo_id, repo_type)
    again = api.create_repo(repo_id, repo_type=repo_type, space_sdk=sdk, exist_ok=True)
    assert again.repo_id == repo_id
    assert history(api, repo_id, repo_type) == before


def test_space_needs_an_sdk(hub, new_repo_id):
    r = HTTP.post(
        f"{hub.url}/api/repos/create",
        headers={"Authorization": f"Bearer {hub.token('alice')}"},
        json={"name": new_repo_id().split("/")[1], "type": "space"},
    )
    assert r.status_code == 400 and r.headers["x-error-code"] == "BadRequest"


def test_space_card_from_create(api, new_repo_id, tmp_path):
    repo_id = new_repo_id()
    api.create_repo(repo_id, repo_type="space", space_sdk="streamlit")
    assert api.space_info(repo_id).sdk == "streamlit"


def test_create_repo_permissions(hub, api, new_repo_id):
    reader = HfApi(endpoint=hub.url, token=hub.token("reader", "read"))
    bob = HfApi(endpoint=hub.url, token=hub.token("bob"))
    anon = HfApi(endpoint=hub.url, token=False)
    for who, repo_id, status in (
        (api, new_repo_id("bob"), 403),  # another user's namespace
        (bob, new_repo_id("acme"), 403),  # bob only reads acme
        (reader, new_repo_id("reader"), 403),  # a read token, even in one's own
        (anon, new_repo_id("alice"), 401),
    ):
        with pytest.raises(HfHubHTTPError) as e:
            who.create_repo(repo_id)
        assert e.value.response.status_code == status, repo_id
        assert not api.repo_exists(repo_id)
        assert not HfApi(endpoint=hub.url, token=hub.token("bob")).repo_exists(repo_id)
    org_repo = new_repo_id("acme")
    assert api.create_repo(org_repo, private=True).repo_id == org_repo  # alice is an acme admin
    assert bob.model_info(org_repo).private is True


def test_delete_repo(hub, api, new_repo_id, tmp_path):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b"v1", path_in_repo="a.txt", repo_id=repo_id)
    for other in (
        HfApi(endpoint=hub.url, token=hub.token("bob")),
        HfApi(endpoint=hub.url, token=hub.token("alice", "read")),
    ):
        with pytest.raises(HfHubHTTPError) as e:
            other.delete_repo(repo_id)
        assert e.value.response.status_code == 403
    assert api.repo_exists(repo_id)
    api.delete_repo(repo_id)
    assert not api.repo_exists(repo_id)
    assert not hub.git_path("model", repo_id).exists()
    with pytest.raises(RepositoryNotFoundError):
        api.delete_repo(repo_id)
    api.delete_repo(repo_id, missing_ok=True)
    with pytest.raises(RepositoryNotFoundError):
        content(repo_id, "a.txt", tmp_path)
    # the name can be used again, with a fresh history
    api.create_repo(repo_id)
    assert len(history(api, repo_id)) == 1 and files_of(api, repo_id) == {".gitattributes"}


def test_delete_dataset_in_org(hub, api, new_repo_id):
    repo_id = new_repo_id("acme")
    api.create_repo(repo_id, repo_type="dataset")
    api.delete_repo(repo_id, repo_type="dataset")
    assert not api.repo_exists(repo_id, repo_type="dataset")


# --- upload_file / upload_folder / create_commit -----------------------------------------------------------------
def test_upload_file_and_commit_info(hub, api, new_repo_id, tmp_path):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    info = api.upload_file(
        path_or_fileobj=b"hello\n",
        path_in_repo="docs/hello.txt",
        repo_id=repo_id,
        commit_message="Say hello",
        commit_description="a longer story",
    )
    assert info.oid == api.model_info(repo_id).sha
    assert info.commit_url.endswith(f"/{repo_id}/commit/{info.oid}") and info.commit_message == "Say hello"
    assert content(repo_id, "docs/hello.txt", tmp_path) == b"hello\n"
    [last, *_] = api.list_repo_commits(repo_id)
    assert last.title == "Say hello" and "a longer story" in last.message
    # from a file on disk, overwriting
    src = tmp_path / "hello.txt"
    src.write_bytes(b"hello again\n")
    api.upload_file(path_or_fileobj=src, path_in_repo="docs/hello.txt", repo_id=repo_id)
    assert content(repo_id, "docs/hello.txt", tmp_path) == b"hello again\n"
    assert len(history(api, repo_id)) == 3


def test_upload_folder(api, new_repo_id, tmp_path):
    repo_id = new_repo_id()
    api.create_repo(repo_id, repo_type="dataset")
    src = tmp_path / "src"
    (src / "data" / "deep").mkdir(parents=True)
    (src / "data" / "train.csv").write_bytes(b"a,b\n1,2\n")
    (src / "data" / "deep" / "x.json").write_bytes(b"{}")
    (src / "notes.md").write_bytes(b"notes")
    (src / "skip.log").write_bytes(b"log")
    api.upload_folder(folder_path=src, repo_id=repo_id, repo_type="dataset", ignore_patterns=["*.log"])
    assert files_of(api, repo_id, "dataset") == {".gitattributes", "data/train.csv", "data/deep/x.json", "notes.md"}
    api.upload_folder(
        folder_path=src / "data", path_in_repo="copy", repo_id=repo_id, repo_type="dataset", allow_patterns=["*.csv"]
    )
    assert "copy/train.csv" in files_of(api, repo_id, "dataset")
    assert "copy/deep/x.json" not in files_of(api, repo_id, "dataset")
    assert content(repo_id, "copy/train.csv", tmp_path, "dataset") == b"a,b\n1,2\n"
    # delete_patterns: what is not in the new upload goes
    (src / "notes.md").unlink()
    api.upload_folder(
        folder_path=src, repo_id=repo_id, repo_type="dataset", ignore_patterns=["*.log"], delete_patterns=["*.md"]
    )
    assert "notes.md" not in files_of(api, repo_id, "dataset")


def test_create_commit_add_delete_copy(api, new_repo_id, tmp_path):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    api.create_commit(
        repo_id,
        commit_message="many",
        operations=[
            CommitOperationAdd("a.txt", b"a"),
            CommitOperationAdd("dir/b.txt", b"b"),
            CommitOperationAdd("dir/sub/c.txt", b"c"),
            CommitOperationAdd("other/d.txt", b"d"),
            CommitOperationAdd("w.safetensors", b"not really weights"),
        ],
    )
    assert files_of(api, repo_id) == {
        ".gitattributes",
        "a.txt",
        "dir/b.txt",
        "dir/sub/c.txt",
        "other/d.txt",
        "w.safetensors",
    }
    api.create_commit(
        repo_id,
        commit_message="shuffle",
        operations=[
            CommitOperationDelete("a.txt"),
            CommitOperationDelete("dir/", is_folder=True),
            CommitOperationCopy("w.safetensors", "copies/w.safetensors"),
            CommitOperationAdd("new.txt", b"new"),
        ],
    )
    assert files_of(api, repo_id) == {
        ".gitattributes",
        "other/d.txt",
        "w.safetensors",
        "copies/w.safetensors",
        "new.txt",
    }
    assert content(repo_id, "copies/w.safetensors", tmp_path) == b"not really weights"
    api.delete_file("new.txt", repo_id)
    api.delete_folder("other", repo_id)
    assert files_of(api, repo_id) == {".gitattributes", "w.safetensors", "copies/w.safetensors"}
    titles = [c.title for c in api.list_repo_commits(repo_id)]
    assert titles[2:4] == ["shuffle", "many"] and len(titles) == 5


def test_parent_commit_conflict(api, new_repo_id, tmp_path):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    first = api.upload_file(path_or_fileobj=b"1", path_in_repo="n.txt", repo_id=repo_id).oid
    second = api.create_commit(
        repo_id, operations=[CommitOperationAdd("n.txt", b"2")], commit_message="two", parent_commit=first
    ).oid
    with pytest.raises(HfHubHTTPError) as e:
        api.create_commit(
            repo_id, operations=[CommitOperationAdd("n.txt", b"stale")], commit_message="stale", parent_commit=first
        )
    assert e.value.response.status_code in (409, 412)
    assert api.model_info(repo_id).sha == second
    assert content(repo_id, "n.txt", tmp_path) == b"2"


def test_commit_to_branch_and_missing_branch(api, new_repo_id, tmp_path):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    api.create_branch(repo_id, branch="feat/dev")
    api.upload_file(path_or_fileobj=b"dev", path_in_repo="d.txt", repo_id=repo_id, revision="feat/dev")
    assert "d.txt" in files_of(api, repo_id, revision="feat/dev") and "d.txt" not in files_of(api, repo_id)
    assert content(repo_id, "d.txt", tmp_path, revision="feat/dev") == b"dev"
    with pytest.raises(RevisionNotFoundError):
        api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id, revision="no-such-branch")
    pr = api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id, create_pr=True)
    assert pr.pr_revision == "refs/pr/1"  # a pull request (tests/test_hub_community.py): main is unchanged
    assert files_of(api, repo_id) == {".gitattributes"}


@pytest.mark.parametrize("who", ["reader", "bob", "alice-read", "anonymous"])
def test_refused_writes_write_nothing(hub, api, new_repo_id, who, tmp_path):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b"original", path_in_repo="f.txt", repo_id=repo_id)
    before = history(api, repo_id)
    token = {
        "reader": hub.token("reader", "read"),
        "bob": hub.token("bob"),
        "alice-read": hub.token("alice", "read"),
        "anonymous": False,
    }[who]
    other = HfApi(endpoint=hub.url, token=token)
    expected = 401 if who == "anonymous" else 403
    attempts = [
        lambda: other.upload_file(path_or_fileobj=b"evil", path_in_repo="f.txt", repo_id=repo_id),
        lambda: other.upload_file(path_or_fileobj=os.urandom(1000), path_in_repo="w.safetensors", repo_id=repo_id),
        lambda: other.delete_file("f.txt", repo_id),
        lambda: other.create_commit(repo_id, operations=[CommitOperationDelete("f.txt")], commit_message="x"),
    ]
    for attempt in attempts:
        with pytest.raises(HfHubHTTPError) as e:
            attempt()
        assert e.value.response.status_code == expected
    assert history(api, repo_id) == before
    assert content(repo_id, "f.txt", tmp_path) == b"original"
    assert files_of(api, repo_id) == {".gitattributes", "f.txt"}


def test_org_write_roles(hub, api, new_repo_id, tmp_path):
    repo_id = new_repo_id("acme")
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b"by alice", path_in_repo="f.txt", repo_id=repo_id)  # admin writes
    with pytest.raises(HfHubHTTPError) as e:
        HfApi(endpoint=hub.url, token=hub.token("bob")).upload_file(
            path_or_fileobj=b"by bob", path_in_repo="f.txt", repo_id=repo_id
        )  # read member does not
    assert e.value.response.status_code == 403
    assert content(repo_id, "f.txt", tmp_path) == b"by alice"


def test_readme_yaml_is_validated(api, new_repo_id):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    # a card without metadata is accepted with a warning, as on huggingface.co (huggingface_hub shows the hub's)
    with pytest.warns(UserWarning, match="Empty or missing yaml metadata"):
        api.upload_file(
            path_or_fileobj=b"# No metadata at all\n\nJust: text\n", path_in_repo="README.md", repo_id=repo_id
        )
    api.upload_file(path_or_fileobj=b"---\nlicense: mit\n---\n# Title\n", path_in_repo="README.md", repo_id=repo_id)
    assert api.model_info(repo_id).card_data["license"] == "mit"
    before = history(api, repo_id)
    with pytest.raises(ValueError, match="Invalid metadata"):
        api.upload_file(
            path_or_fileobj=b"---\nlicense: [mit\n---\n# Broken\n", path_in_repo="README.md", repo_id=repo_id
        )
    with pytest.raises(ValueError, match="Invalid metadata"):
        api.upload_file(
            path_or_fileobj=b"---\n- a list\n- not a mapping\n---\n", path_in_repo="README.md", repo_id=repo_id
        )
    assert history(api, repo_id) == before


# --- LFS -------------------------------------------------------------------------------------------------------
def test_big_files_and_weights_go_to_lfs(hub, api, new_repo_id, tmp_path):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    big = os.urandom(10 * 1024 * 1024 + 123)
    weights = os.urandom(4096)
    small = b"small text\n"
    api.create_commit(
        repo_id,
        commit_message="lfs",
        operations=[
            CommitOperationAdd("big.txt", big),
            CommitOperationAdd("model.safetensors", weights),
            CommitOperationAdd("small.txt", small),
        ],
    )
    tree = {e.path: e for e in api.list_repo_tree(repo_id)}
    assert tree["big.txt"].lfs is not None and tree["big.txt"].lfs.sha256 == sha256(big)
    assert tree["big.txt"].size == len(big)
    assert tree["model.safetensors"].lfs.sha256 == sha256(weights) and tree["model.safetensors"].size == 4096
    assert tree["small.txt"].lfs is None and tree["small.txt"].blob_id == git_blob_sha(small)
    assert tree["big.txt"].lfs.pointer_size < 200
    assert content(repo_id, "big.txt", tmp_path) == big
    assert content(repo_id, "model.safetensors", tmp_path) == weights
    # the same bytes again: the LFS object is already there, the commit still works
    api.upload_file(path_or_fileobj=weights, path_in_repo="copy.safetensors", repo_id=repo_id)
    assert content(repo_id, "copy.safetensors", tmp_path) == weights


def test_lfs_upload_to_dataset_and_space(api, new_repo_id, tmp_path):
    for repo_type in ("dataset", "space"):
        repo_id = new_repo_id()
        api.create_repo(repo_id, repo_type=repo_type, space_sdk="static" if repo_type == "space" else None)
        data = os.urandom(2048)
        name = "blob.parquet" if repo_type == "dataset" else "weights.bin"
        api.upload_file(path_or_fileobj=data, path_in_repo=name, repo_id=repo_id, repo_type=repo_type)
        [entry] = api.get_paths_info(repo_id, [name], repo_type=repo_type)
        assert entry.lfs.sha256 == sha256(data)
        assert content(repo_id, name, tmp_path, repo_type) == data
