"""Hub fidelity, round 3 (issue 31), with the real clients over HTTP: file names with a backslash, renamed repos'
redirects, and the smaller answers real clients parse (create_commit on a missing repo, formatted commits, …)."""

from __future__ import annotations

import pytest
from hubtest import HTTP, bearer, git, with_credentials
from huggingface_hub import CommitOperationAdd, hf_hub_download
from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError, RepositoryNotFoundError


# --- paths ---------------------------------------------------------------------------------------------------------
def test_a_backslash_is_part_of_a_name_and_dot_dot_is_422(hub, api, new_repo_id, tmp_path):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    name = "folder\\file.txt"  # one file, stored under this name as huggingface.co does (no folder)
    api.upload_file(path_or_fileobj=b"kept as is", path_in_repo=name, repo_id=repo_id)
    assert name in api.list_repo_files(repo_id)
    assert [e.path for e in api.list_repo_tree(repo_id) if e.path.startswith("folder")] == [name]
    path = hf_hub_download(repo_id, name, endpoint=hub.url, token=hub.token("alice"), cache_dir=tmp_path)
    assert open(path, "rb").read() == b"kept as is"
    for bad in ("..\\x", "a\\..\\b", "a/..\\b", "\\x"):
        with pytest.raises(HfHubHTTPError) as e:
            api.upload_file(path_or_fileobj=b"x", path_in_repo=bad, repo_id=repo_id)
        assert e.value.response.status_code == 422, bad
    assert api.list_repo_files(repo_id) == [".gitattributes", name]


# --- renamed repos -------------------------------------------------------------------------------------------------
def test_a_renamed_repos_old_urls_redirect(hub, api, new_repo_id, tmp_path):
    old, new = new_repo_id(), new_repo_id()
    api.create_repo(old, private=True)
    api.upload_file(path_or_fileobj=b"moved", path_in_repo="f.txt", repo_id=old)
    api.move_repo(old, new)
    token = hub.token("alice")
    r = HTTP.get(f"{hub.url}/{old}/resolve/main/f.txt?download=true", headers=bearer(token))
    assert r.status_code == 307 and r.headers["location"] == f"/{new}/resolve/main/f.txt?download=true"
    assert HTTP.get(f"{hub.url}/{old}/resolve/main/f.txt").status_code == 401  # no redirect tells a stranger
    path = hf_hub_download(old, "f.txt", endpoint=hub.url, token=token, cache_dir=tmp_path / "cache")
    assert open(path, "rb").read() == b"moved"
    git("clone", with_credentials(hub.url, "alice", token) + f"/{old}", str(tmp_path / "clone"))
    assert (tmp_path / "clone" / "f.txt").read_bytes() == b"moved"
    r = HTTP.get(f"{hub.url}/{old}.git/info/refs?service=git-upload-pack", headers=bearer(token))
    assert r.status_code == 307 and r.headers["location"] == f"/{new}.git/info/refs?service=git-upload-pack"


# --- the smaller answers clients parse -----------------------------------------------------------------------------
def test_create_commit_on_a_missing_repo_is_repository_not_found(api, new_repo_id):
    with pytest.raises(RepositoryNotFoundError):
        api.create_commit(new_repo_id(), [CommitOperationAdd("a.txt", b"a")], commit_message="x")


def test_permanently_deleted_lfs_files_leave_the_file_list(hub, api, new_repo_id, tmp_path):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b"\x00big" * 100, path_in_repo="w.bin", repo_id=repo_id)
    api.upload_file(path_or_fileobj=b"small", path_in_repo="keep.txt", repo_id=repo_id)
    api.permanently_delete_lfs_files(repo_id, list(api.list_lfs_files(repo_id)))
    assert "w.bin" not in api.list_repo_files(repo_id) and "keep.txt" in api.list_repo_files(repo_id)
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(repo_id, "w.bin", endpoint=hub.url, token=hub.token("alice"), cache_dir=tmp_path)


def test_formatted_commits(api, new_repo_id):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    api.upload_file(
        path_or_fileobj=b"x",
        path_in_repo="x.txt",
        repo_id=repo_id,
        commit_message="Add <b>x</b>",
        commit_description="See **this**",
    )
    plain = api.list_repo_commits(repo_id)[0]
    assert plain.formatted_title is None and plain.formatted_message is None
    top = api.list_repo_commits(repo_id, formatted=True)[0]
    assert (
        top.title == "Add <b>x</b>"
        and "&lt;b&gt;x&lt;/b&gt;" in top.formatted_title
        and "<b>x" not in top.formatted_title
    )
    assert "<strong>this</strong>" in top.formatted_message


def test_move_repo_onto_an_existing_repo_is_409(api, new_repo_id):
    a, b = new_repo_id(), new_repo_id()
    api.create_repo(a)
    api.create_repo(b)
    with pytest.raises(HfHubHTTPError) as e:
        api.move_repo(a, b)
    assert e.value.response.status_code == 409
    assert api.repo_exists(a) and api.repo_exists(b)


def test_super_squash_is_refused_on_a_pr_ref(api, new_repo_id):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b"1", path_in_repo="a.txt", repo_id=repo_id)
    pr = api.upload_file(path_or_fileobj=b"2", path_in_repo="b.txt", repo_id=repo_id, create_pr=True)
    ref = f"refs/pr/{pr.pr_num}"
    before = [c.commit_id for c in api.list_repo_commits(repo_id, revision=ref)]
    for branch in (ref, "refs/convert/parquet"):
        with pytest.raises(HfHubHTTPError) as e:
            api.super_squash_history(repo_id, branch=branch)
        assert e.value.response.status_code in (400, 403, 404), branch
    assert [c.commit_id for c in api.list_repo_commits(repo_id, revision=ref)] == before


def test_update_collection_fields(api, new_repo_id):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    c = api.create_collection("Round three", description="first", exists_ok=True)
    try:
        api.add_collection_item(c.slug, repo_id, "model", exists_ok=True)
        new = api.update_collection_metadata(c.slug, title="Renamed", description="second", theme="pink", private=True)
        assert (new.title, new.description, new.theme, new.private) == ("Renamed", "second", "pink", True)
        again = api.get_collection(new.slug)
        assert (again.title, again.description, again.theme, again.private) == ("Renamed", "second", "pink", True)
    finally:
        api.delete_collection(c.slug, missing_ok=True)


def test_validate_yaml_checks_model_index_and_warns_on_empty_metadata(api):
    with pytest.raises(ValueError, match="model-index"):
        api._validate_yaml("---\nmodel-index: just a string\n---\n# card\n")
    with pytest.warns(UserWarning, match="Empty or missing yaml metadata"):
        api._validate_yaml("# a card without metadata\n")
