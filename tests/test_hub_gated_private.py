"""Gated repos (the Hub's 401/403 GatedRepo answers, access requests, the owner's decisions, the CLI) and private
repos (404 for everyone but the owner and the org's members, absent from listings)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT
from hubtest import HTTP, bearer
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

SECRET = b"weights only for the chosen\n"


@pytest.fixture
def gated(api, new_repo_id):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=SECRET, path_in_repo="secret.txt", repo_id=repo_id)
    api.update_repo_settings(repo_id, gated="manual")
    return repo_id


def download(repo_id, tmp_path, token, repo_type=None, filename="secret.txt"):
    path = hf_hub_download(
        repo_id,
        filename,
        repo_type=repo_type,
        token=token,
        cache_dir=tmp_path / f"cache-{token[-6:] if token else 'anon'}",
    )
    return open(path, "rb").read()


def ask_access(hub, repo_id, token, repo_type="model", **fields):
    prefix = {"model": "", "dataset": "datasets/", "space": "spaces/"}[repo_type]
    return HTTP.post(f"{hub.url}/{prefix}{repo_id}/ask-access", headers=bearer(token), data=fields or None)


def test_gated_info_readable_files_not(hub, api, anon_api, gated, tmp_path):
    info = anon_api.model_info(gated)
    assert info.gated == "manual"
    assert "secret.txt" in {s.rfilename for s in info.siblings}
    assert api.model_info(gated).gated == "manual"
    # anonymous: 401 GatedRepo, "please log in"
    with pytest.raises(GatedRepoError) as e:
        download(gated, tmp_path, token=False)
    assert e.value.response.status_code == 401
    assert "restricted" in str(e.value) and "log in" in str(e.value)
    # another user, not on the list: 403 GatedRepo
    with pytest.raises(GatedRepoError) as e:
        download(gated, tmp_path, token=hub.token("bob"))
    assert e.value.response.status_code == 403
    assert "not in the authorized list" in str(e.value)
    with pytest.raises(GatedRepoError):
        snapshot_download(gated, token=hub.token("bob"), cache_dir=tmp_path / "snap")
    # the file list is public, as on huggingface.co: anyone sees which files there are, not what is in them
    for token in (False, hub.token("bob")):
        assert "secret.txt" in {e.path for e in HfApi(endpoint=hub.url, token=token).list_repo_tree(gated)}
    # the owner reads it
    assert download(gated, tmp_path, token=hub.token("alice")) == SECRET
    # the raw answer a HEAD gets: no body, but the code and message in headers
    r = HTTP.head(f"{hub.url}/{gated}/resolve/main/secret.txt", headers=bearer(hub.token("bob")))
    assert r.status_code == 403 and r.headers["x-error-code"] == "GatedRepo"
    assert "authorized list" in r.headers["x-error-message"]


def test_manual_request_accept_reject_grant(hub, api, gated, tmp_path):
    bob, reader = hub.token("bob"), hub.token("reader", "read")
    bob_api = HfApi(endpoint=hub.url, token=bob)
    assert list(api.list_pending_access_requests(gated)) == []
    r = ask_access(hub, gated, bob, reason="for the course")
    assert r.status_code == 200 and r.json()["status"] == "pending"
    pending = list(api.list_pending_access_requests(gated))
    assert [p.username for p in pending] == ["bob"]
    assert pending[0].status == "pending" and pending[0].fields == {"reason": "for the course"}
    with pytest.raises(GatedRepoError):
        download(gated, tmp_path, token=bob)  # asking is not enough
    # only the owner manages requests
    with pytest.raises(HfHubHTTPError) as e:
        list(bob_api.list_pending_access_requests(gated))
    assert e.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError) as e:
        bob_api.accept_access_request(gated, "bob")
    assert e.value.response.status_code == 403
    api.accept_access_request(gated, "bob")
    assert list(api.list_pending_access_requests(gated)) == []
    assert [a.username for a in api.list_accepted_access_requests(gated)] == ["bob"]
    assert download(gated, tmp_path, token=bob) == SECRET
    api.reject_access_request(gated, "bob", rejection_reason=None)
    assert [a.username for a in api.list_rejected_access_requests(gated)] == ["bob"]
    with pytest.raises(GatedRepoError) as e:
        download(gated, tmp_path / "after-reject", token=bob)
    assert e.value.response.status_code == 403
    # grant without a request; a second grant is a 400; an unknown user a 404
    with pytest.raises(HfHubHTTPError) as e:
        api.accept_access_request(gated, "reader")  # no request to accept
    assert e.value.response.status_code == 404
    api.grant_access(gated, "reader")
    assert download(gated, tmp_path, token=reader) == SECRET
    with pytest.raises(HfHubHTTPError) as e:
        api.grant_access(gated, "reader")
    assert e.value.response.status_code == 400
    with pytest.raises(HfHubHTTPError) as e:
        api.grant_access(gated, "nobody-by-that-name")
    assert e.value.response.status_code == 404


def test_ask_access_needs_a_login_and_a_gated_repo(hub, api, gated, new_repo_id):
    r = ask_access(hub, gated, None)
    assert r.status_code == 401
    r = ask_access(hub, gated, "hf_notatoken")
    assert r.status_code == 401
    open_repo = new_repo_id()
    api.create_repo(open_repo)
    r = ask_access(hub, open_repo, hub.token("bob"))
    assert r.status_code == 400 and r.headers["x-error-code"]
    with pytest.raises(HfHubHTTPError) as e:
        list(api.list_pending_access_requests(open_repo))
    assert e.value.response.status_code == 400
    assert list(api.list_pending_access_requests(gated)) == []


def test_auto_gated_dataset(hub, api, new_repo_id, tmp_path):
    repo_id = new_repo_id()
    api.create_repo(repo_id, repo_type="dataset")
    api.upload_file(path_or_fileobj=SECRET, path_in_repo="secret.txt", repo_id=repo_id, repo_type="dataset")
    api.update_repo_settings(repo_id, gated="auto", repo_type="dataset")
    assert api.dataset_info(repo_id).gated == "auto"
    with pytest.raises(GatedRepoError) as e:
        download(repo_id, tmp_path, token=False, repo_type="dataset")
    assert e.value.response.status_code == 401
    with pytest.raises(GatedRepoError) as e:
        download(repo_id, tmp_path, token=hub.token("bob"), repo_type="dataset")
    assert e.value.response.status_code == 403
    r = ask_access(hub, repo_id, hub.token("bob"), repo_type="dataset")
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert download(repo_id, tmp_path, token=hub.token("bob"), repo_type="dataset") == SECRET
    # ungating opens it to everyone
    api.update_repo_settings(repo_id, gated=False, repo_type="dataset")
    assert download(repo_id, tmp_path, token=False, repo_type="dataset") == SECRET


def test_org_members_read_gated_org_repos(hub, api, new_repo_id, tmp_path):
    repo_id = new_repo_id("acme")
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=SECRET, path_in_repo="secret.txt", repo_id=repo_id)
    api.update_repo_settings(repo_id, gated="manual")
    assert download(repo_id, tmp_path, token=hub.token("bob")) == SECRET  # bob is a member of acme
    with pytest.raises(GatedRepoError):
        download(repo_id, tmp_path, token=hub.token("reader", "read"))


def test_settings_only_by_admins(hub, api, gated, new_repo_id):
    bob_api = HfApi(endpoint=hub.url, token=hub.token("bob"))
    with pytest.raises(HfHubHTTPError) as e:
        bob_api.update_repo_settings(gated, gated=False)
    assert e.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError) as e:
        HfApi(endpoint=hub.url, token=hub.token("alice", "read")).update_repo_settings(gated, gated=False)
    assert e.value.response.status_code == 403
    org_repo = new_repo_id("acme")
    api.create_repo(org_repo)
    with pytest.raises(HfHubHTTPError) as e:
        bob_api.update_repo_settings(org_repo, private=True)  # bob is only a read member of acme
    assert e.value.response.status_code == 403
    assert api.model_info(gated).gated == "manual" and api.model_info(org_repo).private is False
    r = HTTP.put(
        f"{hub.url}/api/models/{gated}/settings", headers=bearer(hub.token("alice")), json={"gated": "sometimes"}
    )
    assert r.status_code == 400
    assert api.model_info(gated).gated == "manual"


def course_hub(hub, *args):
    return subprocess.run(
        [sys.executable, "-m", "course_hub", *args, "--hub-dir", str(hub.dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_access_grant_and_revoke(hub, gated, new_repo_id, tmp_path):
    bob = hub.token("bob")
    with pytest.raises(GatedRepoError):
        download(gated, tmp_path / "1", token=bob)
    out = course_hub(hub, "access", "grant", gated, "bob")
    assert out.returncode == 0, out.stderr
    assert "bob" in out.stdout
    assert download(gated, tmp_path / "2", token=bob) == SECRET
    out = course_hub(hub, "access", "revoke", gated, "bob")
    assert out.returncode == 0, out.stderr
    with pytest.raises(GatedRepoError):
        download(gated, tmp_path / "3", token=bob)
    out = course_hub(hub, "access", "grant", "alice/no-such-repo", "bob")
    assert out.returncode != 0 and "no-such-repo" in out.stderr
    out = course_hub(hub, "access", "grant", gated, "no-such-user-here")
    assert out.returncode != 0 and "no-such-user-here" in out.stderr


def test_cli_access_for_a_gated_dataset(hub, api, new_repo_id, tmp_path):
    repo_id = new_repo_id()
    api.create_repo(repo_id, repo_type="dataset")
    api.upload_file(path_or_fileobj=SECRET, path_in_repo="secret.txt", repo_id=repo_id, repo_type="dataset")
    api.update_repo_settings(repo_id, gated="manual", repo_type="dataset")
    out = course_hub(hub, "access", "grant", repo_id, "bob")
    assert out.returncode != 0  # it is not a model
    out = course_hub(hub, "access", "grant", repo_id, "bob", "--repo-type", "dataset")
    assert out.returncode == 0, out.stderr
    assert download(repo_id, tmp_path, token=hub.token("bob"), repo_type="dataset") == SECRET


# --- private repos -----------------------------------------------------------------------------------------------
def test_private_repo_is_invisible_to_others(hub, api, new_repo_id, tmp_path):
    repo_id = new_repo_id(prefix="privy")
    api.create_repo(repo_id, private=True)
    api.upload_file(path_or_fileobj=SECRET, path_in_repo="secret.txt", repo_id=repo_id)
    assert api.model_info(repo_id).private is True
    assert download(repo_id, tmp_path, token=hub.token("alice")) == SECRET
    assert repo_id in [m.id for m in api.list_models(search=repo_id.split("/")[1])]
    for token in (False, hub.token("bob"), hub.token("reader", "read")):
        other = HfApi(endpoint=hub.url, token=token)
        with pytest.raises(RepositoryNotFoundError):
            other.model_info(repo_id)
        with pytest.raises(RepositoryNotFoundError):
            download(repo_id, tmp_path, token=token)
        with pytest.raises(RepositoryNotFoundError):
            list(other.list_repo_tree(repo_id))
        with pytest.raises(RepositoryNotFoundError):
            other.list_repo_commits(repo_id)
        assert repo_id not in [m.id for m in other.list_models(search=repo_id.split("/")[1])]
        assert repo_id not in [m.id for m in other.list_models(author="alice")]
    r = HTTP.head(f"{hub.url}/{repo_id}/resolve/main/secret.txt")
    assert r.status_code == 401 and r.headers["x-error-code"] == "RepoNotFound"  # anonymous: 401, as the Hub
    r = HTTP.head(f"{hub.url}/{repo_id}/resolve/main/secret.txt", headers=bearer(hub.token("bob")))
    assert r.status_code == 404 and r.headers["x-error-code"] == "RepoNotFound"
    # and made public again
    api.update_repo_settings(repo_id, private=False)
    assert download(repo_id, tmp_path / "public", token=False) == SECRET


def test_private_org_repo_visible_to_members(hub, api, new_repo_id, tmp_path):
    repo_id = new_repo_id("acme", prefix="privy-org")
    api.create_repo(repo_id, private=True, repo_type="dataset")
    api.upload_file(path_or_fileobj=SECRET, path_in_repo="secret.txt", repo_id=repo_id, repo_type="dataset")
    bob = HfApi(endpoint=hub.url, token=hub.token("bob"))
    assert bob.dataset_info(repo_id).private is True
    assert repo_id in [d.id for d in bob.list_datasets(author="acme")]
    assert download(repo_id, tmp_path, token=hub.token("bob"), repo_type="dataset") == SECRET
    with pytest.raises(HfHubHTTPError) as e:  # a read member cannot write
        bob.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id, repo_type="dataset")
    assert e.value.response.status_code == 403
    reader = HfApi(endpoint=hub.url, token=hub.token("reader", "read"))
    with pytest.raises(RepositoryNotFoundError):
        reader.dataset_info(repo_id)
    assert repo_id not in [d.id for d in reader.list_datasets(author="acme")]
    assert [s.rfilename for s in api.dataset_info(repo_id).siblings] == [".gitattributes", "secret.txt"]


def test_private_space_not_in_expand_spaces(hub, api, new_repo_id):
    model = new_repo_id(prefix="used-model")
    api.create_repo(model)
    space = new_repo_id(prefix="hidden-space")
    api.create_repo(space, repo_type="space", space_sdk="static", private=True)
    api.upload_file(
        path_or_fileobj=f"---\nsdk: static\nmodels:\n- {model}\n---\n".encode(),
        path_in_repo="README.md",
        repo_id=space,
        repo_type="space",
    )
    assert api.model_info(model, expand=["spaces"]).spaces == [space]
    assert HfApi(endpoint=hub.url, token=hub.token("bob")).model_info(model, expand=["spaces"]).spaces == []
