"""Behaviours of huggingface.co that unmodified client code meets, with the real clients against the course hub:
unchanged uploads make no commit, `.gitattributes` / `.gitignore` decide preupload, card validation, exists-checks
and ids (legacy single names, any case, short SHAs, `_` at the ends), `X-Request-Id`, and the Hub's error texts."""

from __future__ import annotations

import warnings

import pytest
from hubtest import HTTP, bearer, git_blob_sha, sha256
from huggingface_hub import CommitOperationAdd, ModelCard
from huggingface_hub.errors import HfHubHTTPError, RevisionNotFoundError


def commit_count(api, repo_id, repo_type=None) -> int:
    return len(api.list_repo_commits(repo_id, repo_type=repo_type))


def tree(api, repo_id, repo_type=None) -> dict:
    return {
        e.path: e
        for e in api.list_repo_tree(repo_id, repo_type=repo_type, recursive=True)
        if e.__class__.__name__ == "RepoFile"
    }


# --- 1. unchanged uploads ------------------------------------------------------------------------------------------
def test_preupload_answers_the_oid_of_files_already_there(hub, api, new_repo_id):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b"hello\n", path_in_repo="a.txt", repo_id=repo_id)
    api.upload_file(path_or_fileobj=b"weights", path_in_repo="w.safetensors", repo_id=repo_id)
    r = HTTP.post(
        f"{hub.url}/api/models/{repo_id}/preupload/main",
        headers=bearer(hub.token("alice")),
        json={
            "files": [
                {"path": "a.txt", "size": 6, "sample": ""},
                {"path": "w.safetensors", "size": 7, "sample": ""},
                {"path": "new.txt", "size": 3, "sample": ""},
            ]
        },
    )
    files = {f["path"]: f for f in r.json()["files"]}
    assert files["a.txt"]["oid"] == git_blob_sha(b"hello\n") and files["a.txt"]["uploadMode"] == "regular"
    assert files["w.safetensors"]["oid"] == sha256(b"weights") and files["w.safetensors"]["uploadMode"] == "lfs"
    assert "oid" not in files["new.txt"]


def test_upload_folder_and_upload_file_again_make_no_commit(api, new_repo_id, tmp_path, caplog):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    folder = tmp_path / "f"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("alpha\n")
    (folder / "sub" / "b.json").write_text('{"b": 1}\n')
    (folder / "model.safetensors").write_bytes(b"\x00" * 1000)
    first = api.upload_folder(folder_path=folder, repo_id=repo_id)
    n = commit_count(api, repo_id)
    again = api.upload_folder(folder_path=folder, repo_id=repo_id)
    assert commit_count(api, repo_id) == n and again.oid == first.oid
    api.upload_file(path_or_fileobj=b"alpha\n", path_in_repo="a.txt", repo_id=repo_id)
    api.upload_file(path_or_fileobj=b"\x00" * 1000, path_in_repo="model.safetensors", repo_id=repo_id)
    assert commit_count(api, repo_id) == n
    # one changed file among unchanged ones: one commit that carries only it
    (folder / "a.txt").write_text("beta\n")
    api.upload_folder(folder_path=folder, repo_id=repo_id)
    assert commit_count(api, repo_id) == n + 1


def test_server_makes_no_empty_commit_either(hub, api, new_repo_id):
    """A client that sends unchanged files anyway (no preupload) gets the head back, not a new commit."""
    import base64
    import json

    repo_id = new_repo_id()
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b"same\n", path_in_repo="s.txt", repo_id=repo_id)
    head = api.model_info(repo_id).sha
    body = b"\n".join(
        json.dumps(x).encode()
        for x in (
            {"key": "header", "value": {"summary": "again"}},
            {
                "key": "file",
                "value": {"path": "s.txt", "content": base64.b64encode(b"same\n").decode(), "encoding": "base64"},
            },
        )
    )
    r = HTTP.post(
        f"{hub.url}/api/models/{repo_id}/commit/main",
        content=body,
        headers={**bearer(hub.token("alice")), "Content-Type": "application/x-ndjson"},
    )
    assert r.status_code == 200 and r.json()["commitOid"] == head
    assert api.model_info(repo_id).sha == head


def test_dataset_push_to_hub_again_makes_no_commit(hub, api, new_repo_id):
    from datasets import Dataset

    repo_id = new_repo_id()
    data = Dataset.from_dict({"text": ["a", "b", "c"], "label": [0, 1, 0]})
    data.push_to_hub(repo_id, token=hub.token("alice"))
    n = commit_count(api, repo_id, "dataset")
    data.push_to_hub(repo_id, token=hub.token("alice"))
    assert commit_count(api, repo_id, "dataset") == n


# --- 2. .gitattributes and .gitignore ------------------------------------------------------------------------------
def test_gitattributes_of_the_repo_decide_lfs(api, new_repo_id, tmp_path):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    api.upload_file(
        path_or_fileobj=b"*.txt filter=lfs diff=lfs merge=lfs -text\nweights/** filter=lfs\nexact.name filter=lfs\n",
        path_in_repo=".gitattributes",
        repo_id=repo_id,
    )
    folder = tmp_path / "f"
    (folder / "weights" / "deep").mkdir(parents=True)
    (folder / "notes.txt").write_text("text, but the repo says LFS\n")
    (folder / "weights" / "deep" / "x.dat").write_bytes(b"123")
    (folder / "exact.name").write_text("x")
    (folder / "small.safetensors").write_bytes(b"not in this repo's .gitattributes")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "code.py").write_text("print(1)\n")
    api.upload_folder(folder_path=folder, repo_id=repo_id)
    files = tree(api, repo_id)
    lfs = {p for p, e in files.items() if e.lfs}
    assert lfs == {"notes.txt", "weights/deep/x.dat", "exact.name"}, lfs
    assert files["empty.txt"].size == 0  # a 0-byte file is never LFS


def test_big_files_go_to_lfs_whatever_the_attributes(hub, api, new_repo_id):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    r = HTTP.post(
        f"{hub.url}/api/models/{repo_id}/preupload/main",
        headers=bearer(hub.token("alice")),
        json={
            "files": [
                {"path": "big.txt", "size": 10 * 1024 * 1024 + 1, "sample": ""},
                {"path": "edge.txt", "size": 10 * 1024 * 1024, "sample": ""},
                {"path": "empty.bin", "size": 0, "sample": ""},
            ]
        },
    )
    modes = {f["path"]: f["uploadMode"] for f in r.json()["files"]}
    assert modes == {"big.txt": "lfs", "edge.txt": "regular", "empty.bin": "regular"}


def test_gitignore_of_the_repo_and_of_the_folder(api, new_repo_id, tmp_path):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    api.upload_file(
        path_or_fileobj=b"*.log\nbuild/\n/secret.txt\n!keep.log\n", path_in_repo=".gitignore", repo_id=repo_id
    )
    folder = tmp_path / "f"
    (folder / "build").mkdir(parents=True)
    (folder / "sub").mkdir()
    for name in ("run.log", "keep.log", "build/out.bin", "secret.txt", "sub/secret.txt", "sub/x.log", "ok.txt"):
        (folder / name).write_text(name)
    api.upload_folder(folder_path=folder, repo_id=repo_id)
    assert set(tree(api, repo_id)) == {".gitattributes", ".gitignore", "keep.log", "sub/secret.txt", "ok.txt"}
    # a .gitignore in the folder itself is the one that counts for that upload (the client sends it)
    other = tmp_path / "g"
    other.mkdir()
    (other / ".gitignore").write_text("*.tmp\n")
    (other / "a.tmp").write_text("x")
    (other / "b.log").write_text("y")
    api.upload_folder(folder_path=other, repo_id=repo_id)
    files = set(tree(api, repo_id))
    assert "b.log" in files and "a.tmp" not in files


# --- 3. card validation --------------------------------------------------------------------------------------------
def test_card_validation_errors_and_warnings(api, new_repo_id):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    # ModelCard itself drops a model-index it cannot parse; a README uploaded as a file is checked as it is
    with pytest.raises(ValueError, match='"model-index" must be an array'):
        api.upload_file(
            path_or_fileobj=b"---\nmodel-index: foo\n---\n# A model\n", path_in_repo="README.md", repo_id=repo_id
        )
    with pytest.raises(ValueError, match="license"):
        ModelCard("---\nlicense: 3\n---\n").validate()
    with pytest.raises(ValueError, match="license"):
        ModelCard("---\nlicense: 3\n---\n").push_to_hub(repo_id, token=api.token)
    with pytest.raises(ValueError, match="sdk"):
        ModelCard("---\nsdk: flask\n---\n").validate(repo_type="space")
    ModelCard(
        "---\nlicense: mit\ntags: [a, b]\nmodel-index:\n- name: m\n  results:\n  - task: {type: "
        "text-classification}\n    dataset: {type: d, name: D}\n    metrics: [{type: accuracy, value: 0.9}]\n"
        "---\n# ok\n"
    ).validate()
    assert [c.title for c in api.list_repo_commits(repo_id)] == ["initial commit"]  # nothing refused landed
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        api.upload_file(path_or_fileobj=b"# no metadata\n", path_in_repo="README.md", repo_id=repo_id)
    assert any("missing yaml metadata" in str(w.message) for w in caught), [str(w.message) for w in caught]


# --- 4. exists-checks and ids --------------------------------------------------------------------------------------
def test_exists_checks_on_ids_without_a_namespace(api):
    assert api.repo_exists("no-namespace-repo") is False
    assert api.repo_exists("no-namespace-repo", repo_type="dataset") is False
    assert api.revision_exists("no-namespace-repo", "main") is False
    assert api.file_exists("no-namespace-repo", "config.json") is False


def test_repo_ids_resolve_whatever_the_case(hub, api, new_repo_id):
    repo_id = new_repo_id(prefix="CaseTest")
    api.create_repo(repo_id)
    other_case = repo_id.upper().replace("ALICE/", "Alice/")
    info = api.model_info(other_case)
    assert info.id == repo_id  # the canonical id
    assert api.repo_exists(repo_id.lower()) and api.file_exists(repo_id.lower(), ".gitattributes")
    with pytest.raises(HfHubHTTPError) as e:  # ids are unique regardless of case
        api.create_repo(repo_id.lower())
    assert e.value.response.status_code == 409
    assert api.create_repo(repo_id.lower(), exist_ok=True).repo_id == repo_id


@pytest.mark.content
def test_a_course_repo_in_another_case(api, tmp_path):
    from huggingface_hub import hf_hub_download

    assert api.model_info("HF-Hands-On/MiniLM-sentiment").id == "hf-hands-on/minilm-sentiment"
    path = hf_hub_download("Hf-Hands-on/MiniLM-Sentiment", "config.json", cache_dir=tmp_path)
    assert open(path, "rb").read().startswith(b"{")


def test_short_commit_sha_is_a_revision(api, new_repo_id):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    first = api.model_info(repo_id).sha
    api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id)
    assert api.model_info(repo_id, revision=first[:7]).sha == first
    assert api.revision_exists(repo_id, first[:10])
    api.create_tag(repo_id, tag="v-first", revision=first[:7])
    assert api.model_info(repo_id, revision="v-first").sha == first
    assert not api.revision_exists(repo_id, "0000000")


def test_names_with_underscores_at_the_ends_and_clear_errors(hub, api, new_repo_id):
    repo_id = "alice/_" + new_repo_id().split("/")[1] + "_"
    api.create_repo(repo_id)
    assert api.model_info(repo_id).id == repo_id
    for name, rule in (
        ("bad--name", "'--'"),
        ("-dash", "starts or ends"),
        ("x" * 97, "maximum is 96"),
        ("a.git", ".git"),
        ("sp ace", "' '"),
    ):
        r = HTTP.post(f"{hub.url}/api/repos/create", headers=bearer(hub.token("alice")), json={"name": name})
        assert r.status_code == 400 and rule in r.json()["error"], (name, r.json())


# --- 5. small differences ------------------------------------------------------------------------------------------
def test_every_answer_has_a_request_id(hub, api):
    for method, path in (
        ("GET", "/api/health"),
        ("GET", "/api/models/alice/nope-nope"),
        ("HEAD", "/alice/nope/resolve/main/x"),
        ("GET", "/not/a/route/at/all/x"),
    ):
        r = HTTP.request(method, hub.url + path)
        assert len(r.headers.get("x-request-id", "")) >= 16, (method, path, r.headers)
    with pytest.raises(HfHubHTTPError) as e:
        api.model_info("alice/nope-nope-nope")
    assert "Request ID" in str(e.value)


def test_hub_error_texts(hub, api, new_repo_id):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    api.create_branch(repo_id, branch="dev")
    with pytest.raises(HfHubHTTPError, match="Reference refs/heads/dev already exists"):
        api.create_branch(repo_id, branch="dev")
    with pytest.raises(HfHubHTTPError, match="Reference refs/heads/main already exists"):
        api.create_branch(repo_id, branch="main")
    api.create_branch(repo_id, branch="dev", exist_ok=True)
    with pytest.raises(HfHubHTTPError, match="Cannot delete refs/heads/main"):
        api.delete_branch(repo_id, branch="main")
    with pytest.raises(HfHubHTTPError, match="Invalid rev id"):
        api.delete_branch(repo_id, branch="cool-branch")
    api.create_tag(repo_id, tag="cool-tag")
    with pytest.raises(HfHubHTTPError, match="Invalid rev id"):
        api.delete_branch(repo_id, branch="cool-tag")
    with pytest.raises(RevisionNotFoundError):
        api.delete_tag(repo_id, tag="v0")
    with pytest.raises(RevisionNotFoundError):  # the revision is checked before the tag's name
        api.create_tag(repo_id, tag="invalid tag", revision="foobar")
    with pytest.raises(HfHubHTTPError) as e:
        api.create_tag(repo_id, tag="cool-tag")
    assert e.value.response.status_code == 409
    with pytest.raises(RevisionNotFoundError, match="Invalid rev id"):
        api.model_info(repo_id, revision="no-such-branch")
    old = api.model_info(repo_id).sha
    api.upload_file(path_or_fileobj=b"1", path_in_repo="one.txt", repo_id=repo_id)
    with pytest.raises(HfHubHTTPError, match="A commit has happened since") as e:
        api.create_commit(repo_id, [CommitOperationAdd("two.txt", b"2")], commit_message="late", parent_commit=old)
    assert e.value.response.status_code == 412


def test_accepting_twice_is_an_error(hub, api, new_repo_id):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    api.update_repo_settings(repo_id, gated="manual")
    r = HTTP.post(f"{hub.url}/{repo_id}/ask-access", headers=bearer(hub.token("bob")))
    assert r.status_code == 200
    api.accept_access_request(repo_id, "bob")
    with pytest.raises(HfHubHTTPError) as e:
        api.accept_access_request(repo_id, "bob")
    assert e.value.response.status_code == 404 and "already in the accepted list" in str(e.value)
    api.reject_access_request(repo_id, "bob", rejection_reason="course over")
    with pytest.raises(HfHubHTTPError):
        api.reject_access_request(repo_id, "bob", rejection_reason="course over")
