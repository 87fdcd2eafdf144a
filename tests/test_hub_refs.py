"""History and references: commits, branches, tags, revision pinning; and who-am-I / auth-check."""

from __future__ import annotations

import pytest
from hubtest import HTTP, bearer
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError


@pytest.fixture
def repo(api, new_repo_id):
    """A model with three commits on main: initial commit, v1, v2."""
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    v1 = api.upload_file(path_or_fileobj=b"one", path_in_repo="f.txt", repo_id=repo_id, commit_message="v1").oid
    v2 = api.upload_file(
        path_or_fileobj=b"two",
        path_in_repo="f.txt",
        repo_id=repo_id,
        commit_message="v2",
        commit_description="the second version",
    ).oid
    return {"id": repo_id, "v1": v1, "v2": v2}


def read(repo_id, revision, tmp_path, filename="f.txt"):
    return open(hf_hub_download(repo_id, filename, revision=revision, cache_dir=tmp_path), "rb").read()


def test_list_repo_commits(api, repo):
    commits = api.list_repo_commits(repo["id"])
    assert [c.commit_id for c in commits[:2]] == [repo["v2"], repo["v1"]]
    assert [c.title for c in commits] == ["v2", "v1", "initial commit"]
    assert commits[0].message.strip() == "v2\n\nthe second version"
    assert commits[0].authors == ["alice"]
    assert commits[0].created_at >= commits[1].created_at
    older = api.list_repo_commits(repo["id"], revision=repo["v1"])
    assert [c.commit_id for c in older][0] == repo["v1"] and len(older) == 2
    with pytest.raises(RevisionNotFoundError):
        api.list_repo_commits(repo["id"], revision="nope")


def test_list_repo_commits_paginates(api, new_repo_id):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    for i in range(55):
        api.create_commit(
            repo_id, operations=[CommitOperationAdd("n.txt", str(i).encode())], commit_message=f"commit {i}"
        )
    commits = api.list_repo_commits(repo_id)
    assert len(commits) == 56
    assert [c.title for c in commits[:2]] == ["commit 54", "commit 53"] and commits[-1].title == "initial commit"


def test_branches(api, repo, tmp_path):
    api.create_branch(repo["id"], branch="dev")
    api.create_branch(repo["id"], branch="feature/old", revision=repo["v1"])
    refs = api.list_repo_refs(repo["id"])
    branches = {b.name: b.target_commit for b in refs.branches}
    assert branches == {"main": repo["v2"], "dev": repo["v2"], "feature/old": repo["v1"]}
    assert refs.tags == []
    assert read(repo["id"], "feature/old", tmp_path) == b"one"
    # commits on a branch leave main alone
    on_dev = api.upload_file(path_or_fileobj=b"dev", path_in_repo="f.txt", repo_id=repo["id"], revision="dev").oid
    assert read(repo["id"], "dev", tmp_path) == b"dev"
    assert read(repo["id"], "main", tmp_path) == b"two"
    assert api.model_info(repo["id"]).sha == repo["v2"]
    assert api.model_info(repo["id"], revision="dev").sha == on_dev
    with pytest.raises(HfHubHTTPError) as e:
        api.create_branch(repo["id"], branch="dev")
    assert e.value.response.status_code == 409
    api.create_branch(repo["id"], branch="dev", exist_ok=True)
    api.delete_branch(repo["id"], branch="dev")
    api.delete_branch(repo["id"], branch="feature/old")
    assert [b.name for b in api.list_repo_refs(repo["id"]).branches] == ["main"]
    with pytest.raises(RevisionNotFoundError):
        read(repo["id"], "dev", tmp_path / "again")
    with pytest.raises(HfHubHTTPError) as e:
        api.delete_branch(repo["id"], branch="dev")
    assert e.value.response.status_code == 404
    with pytest.raises(HfHubHTTPError) as e:
        api.delete_branch(repo["id"], branch="main")
    assert e.value.response.status_code == 403
    assert api.model_info(repo["id"]).sha == repo["v2"]
    with pytest.raises(RevisionNotFoundError):
        api.create_branch(repo["id"], branch="x", revision="no-such-rev")


def test_head_is_the_default_branch(hub, api, repo, tmp_path):
    """huggingface.co takes `HEAD` as the default branch: @huggingface/hub's modelInfo() asks
    /api/models/{id}/revision/HEAD by default (issue 31). The real clients here: HfApi and hf_hub_download."""
    assert api.model_info(repo["id"], revision="HEAD").sha == repo["v2"]
    assert read(repo["id"], "HEAD", tmp_path) == b"two"
    r = HTTP.get(f"{hub.url}/api/models/{repo['id']}/revision/HEAD")
    assert (r.status_code, r.json()["sha"]) == (200, repo["v2"])
    api.create_branch(repo["id"], branch="dev", revision=repo["v1"])
    assert api.model_info(repo["id"], revision="HEAD").sha == repo["v2"], "HEAD is main, not the newest branch"
    with pytest.raises(RevisionNotFoundError):
        api.model_info(repo["id"], revision="HEAD~1")  # git's revision syntax is not the Hub's


def test_tags_pin_a_revision(api, repo, tmp_path):
    api.create_tag(repo["id"], tag="v1.0", revision=repo["v1"], tag_message="first release")
    api.create_tag(repo["id"], tag="light")  # lightweight, on main
    tags = {t.name: t.target_commit for t in api.list_repo_refs(repo["id"]).tags}
    assert tags == {"v1.0": repo["v1"], "light": repo["v2"]}  # annotated tags are peeled to their commit
    assert read(repo["id"], "v1.0", tmp_path) == b"one"
    assert api.model_info(repo["id"], revision="v1.0").sha == repo["v1"]
    # main moves on, the tag and the sha stay put
    v3 = api.upload_file(path_or_fileobj=b"three", path_in_repo="f.txt", repo_id=repo["id"]).oid
    assert read(repo["id"], "main", tmp_path) == b"three"
    assert read(repo["id"], "v1.0", tmp_path) == b"one"
    assert read(repo["id"], "light", tmp_path) == b"two"
    assert read(repo["id"], repo["v1"], tmp_path) == b"one"
    assert api.model_info(repo["id"]).sha == v3
    with pytest.raises(HfHubHTTPError) as e:
        api.create_tag(repo["id"], tag="v1.0")
    assert e.value.response.status_code == 409
    api.create_tag(repo["id"], tag="v1.0", exist_ok=True)
    api.delete_tag(repo["id"], tag="v1.0")
    assert {t.name for t in api.list_repo_refs(repo["id"]).tags} == {"light"}
    with pytest.raises(RevisionNotFoundError):
        read(repo["id"], "v1.0", tmp_path / "again")
    with pytest.raises(HfHubHTTPError) as e:
        api.delete_tag(repo["id"], tag="v1.0")
    assert e.value.response.status_code == 404


def test_refs_need_write_access(hub, api, repo):
    for token in (hub.token("bob"), hub.token("reader", "read")):
        other = HfApi(endpoint=hub.url, token=token)
        with pytest.raises(HfHubHTTPError) as e:
            other.create_branch(repo["id"], branch="sneaky")
        assert e.value.response.status_code == 403
        with pytest.raises(HfHubHTTPError) as e:
            other.create_tag(repo["id"], tag="sneaky")
        assert e.value.response.status_code == 403
        assert other.list_repo_refs(repo["id"]).branches[0].name == "main"  # reading is fine
    anon = HfApi(endpoint=hub.url, token=False)
    with pytest.raises(HfHubHTTPError) as e:
        anon.create_branch(repo["id"], branch="sneaky")
    assert e.value.response.status_code == 401
    refs = api.list_repo_refs(repo["id"])
    assert [b.name for b in refs.branches] == ["main"] and refs.tags == []


def test_list_repo_refs_include_prs(api, repo):
    refs = api.list_repo_refs(repo["id"], include_pull_requests=True)
    assert refs.pull_requests == []


# --- identity ----------------------------------------------------------------------------------------------------
def test_whoami(hub, api):
    me = api.whoami()
    assert me["type"] == "user" and me["name"] == "alice"
    assert {o["name"] for o in me["orgs"]} == {"acme"}
    assert me["auth"]["accessToken"]["role"] == "write"
    bob = HfApi(endpoint=hub.url, token=hub.token("bob")).whoami()
    assert bob["name"] == "bob" and [o["name"] for o in bob["orgs"]] == ["acme"]
    reader = HfApi(endpoint=hub.url, token=hub.token("reader", "read")).whoami()
    assert reader["name"] == "reader" and reader["auth"]["accessToken"]["role"] == "read" and reader["orgs"] == []


def test_whoami_bad_or_missing_token(hub):
    with pytest.raises(HfHubHTTPError) as e:
        HfApi(endpoint=hub.url, token="hf_" + "x" * 34).whoami()
    assert e.value.response.status_code == 401
    assert "Invalid" in e.value.response.headers["x-error-message"]
    r = HTTP.get(f"{hub.url}/api/whoami-v2")
    assert r.status_code == 401 and r.headers["x-error-code"]
    r = HTTP.get(f"{hub.url}/api/whoami-v2", headers={"Authorization": "Basic !!!not-base64"})
    assert r.status_code == 401


def test_a_bad_token_is_401_everywhere(hub, repo):
    """An unknown token is refused, even on public repos (the client must not silently go anonymous)."""
    for url in (
        f"{hub.url}/api/models/{repo['id']}",
        f"{hub.url}/{repo['id']}/resolve/main/f.txt",
        f"{hub.url}/api/models",
    ):
        r = HTTP.get(url, headers=bearer("hf_wrongwrongwrong"))
        assert r.status_code == 401, url
        assert r.headers["x-error-code"] == "InvalidCredentials"


def test_auth_check(hub, api, bob_api, anon_api, repo, new_repo_id):
    api.auth_check(repo["id"])
    bob_api.auth_check(repo["id"])
    anon_api.auth_check(repo["id"])
    api.auth_check(repo["id"], write=True)
    for other, status in (
        (bob_api, 403),
        (HfApi(endpoint=hub.url, token=hub.token("alice", "read")), 403),
        (anon_api, 401),
    ):
        with pytest.raises(HfHubHTTPError) as e:
            other.auth_check(repo["id"], write=True)
        assert e.value.response.status_code == status
    with pytest.raises(RepositoryNotFoundError):
        api.auth_check("alice/does-not-exist-here")
    private = new_repo_id()
    api.create_repo(private, private=True)
    api.auth_check(private)
    with pytest.raises(RepositoryNotFoundError):
        bob_api.auth_check(private)
    gated = new_repo_id()
    api.create_repo(gated)
    api.update_repo_settings(gated, gated="auto")
    with pytest.raises(GatedRepoError):
        bob_api.auth_check(gated)
    with pytest.raises(GatedRepoError):
        anon_api.auth_check(gated)
