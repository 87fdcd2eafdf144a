"""Hub fidelity, round 3 (issue 31), with the real clients over HTTP: file names with a backslash, renamed repos'
redirects, and the smaller answers real clients parse (create_commit on a missing repo, formatted commits, …)."""

from __future__ import annotations

import pytest
from hubtest import HTTP, bearer, git, with_credentials
from huggingface_hub import hf_hub_download
from huggingface_hub.errors import HfHubHTTPError


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
