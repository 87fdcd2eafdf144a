"""The real `git` binary against the hub: clone (models, datasets, Spaces, gated, private), LFS pointers, push."""

from __future__ import annotations

import os

import pytest
from hubtest import git, sha256, with_credentials
from huggingface_hub import CommitOperationAdd, hf_hub_download

WEIGHTS = os.urandom(5000)


@pytest.fixture(scope="module")
def repos(api):
    out = {}
    for repo_type in ("model", "dataset", "space"):
        repo_id = f"alice/git-{repo_type}-{os.urandom(4).hex()}"
        api.create_repo(repo_id, repo_type=repo_type, space_sdk="static" if repo_type == "space" else None)
        out[repo_type] = (
            api.create_commit(
                repo_id,
                repo_type=repo_type,
                commit_message="content",
                operations=[
                    CommitOperationAdd("hello.txt", f"hello from a {repo_type}\n".encode()),
                    CommitOperationAdd("dir/model.safetensors", WEIGHTS),
                ],
            ).oid,
            repo_id,
        )
    return out


def clone_url(hub, repo_type, repo_id, user=None, token=None) -> str:
    base = with_credentials(hub.url, user, token) if token else hub.url
    return f"{base}/{'' if repo_type == 'model' else repo_type + 's/'}{repo_id}"


@pytest.mark.parametrize("repo_type", ["model", "dataset", "space"])
def test_clone_every_repo_type(hub, repos, repo_type, tmp_path):
    sha, repo_id = repos[repo_type]
    git("clone", "--quiet", clone_url(hub, repo_type, repo_id), str(tmp_path / "c"))
    assert (tmp_path / "c" / "hello.txt").read_text() == f"hello from a {repo_type}\n"
    assert git("rev-parse", "HEAD", cwd=tmp_path / "c").stdout.strip() == sha
    assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=tmp_path / "c").stdout.strip() == "main"
    # LFS files are pointers in git (no git-lfs smudge here): the pointer names the sha256 of the content
    pointer = (tmp_path / "c" / "dir" / "model.safetensors").read_text()
    assert pointer == f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256(WEIGHTS)}\nsize {len(WEIGHTS)}\n"
    assert "*.safetensors filter=lfs" in (tmp_path / "c" / ".gitattributes").read_text()


def test_clone_with_dot_git_suffix_and_v0_protocol(hub, repos, tmp_path):
    sha, repo_id = repos["model"]
    git("-c", "protocol.version=0", "clone", "--quiet", f"{hub.url}/{repo_id}.git", str(tmp_path / "c"))
    assert git("rev-parse", "HEAD", cwd=tmp_path / "c").stdout.strip() == sha


def test_clone_missing_repo_fails(hub, tmp_path):
    proc = git("clone", f"{hub.url}/alice/there-is-no-such-repo", str(tmp_path / "c"), check=False)
    assert proc.returncode != 0
    assert not (tmp_path / "c" / ".git").exists()


def test_clone_gated_and_private_need_credentials(hub, api, new_repo_id, tmp_path):
    gated, private = new_repo_id(prefix="git-gated"), new_repo_id(prefix="git-private")
    api.create_repo(gated)
    api.upload_file(path_or_fileobj=b"gated\n", path_in_repo="g.txt", repo_id=gated)
    api.update_repo_settings(gated, gated="manual")
    api.create_repo(private, private=True)
    api.upload_file(path_or_fileobj=b"private\n", path_in_repo="p.txt", repo_id=private)
    for repo_id in (gated, private):
        proc = git("clone", clone_url(hub, "model", repo_id), str(tmp_path / f"anon-{repo_id[-8:]}"), check=False)
        assert proc.returncode != 0, (proc.stdout, proc.stderr)
        assert "401" in proc.stderr or "Authentication failed" in proc.stderr or "could not read" in proc.stderr, (
            proc.stderr
        )
        # bob's token is valid but bob may not read these
        proc = git(
            "clone",
            clone_url(hub, "model", repo_id, "bob", hub.token("bob")),
            str(tmp_path / f"bob-{repo_id[-8:]}"),
            check=False,
        )
        assert proc.returncode != 0, (proc.stdout, proc.stderr)
        git(
            "clone",
            "--quiet",
            clone_url(hub, "model", repo_id, "alice", hub.token("alice", "read")),
            str(tmp_path / f"alice-{repo_id[-8:]}"),
        )
    assert (tmp_path / f"alice-{gated[-8:]}" / "g.txt").read_text() == "gated\n"
    assert (tmp_path / f"alice-{private[-8:]}" / "p.txt").read_text() == "private\n"
    # once bob is granted access to the gated repo, his clone works
    api.grant_access(gated, "bob")
    git("clone", "--quiet", clone_url(hub, "model", gated, "bob", hub.token("bob")), str(tmp_path / "bob-ok"))
    assert (tmp_path / "bob-ok" / "g.txt").read_text() == "gated\n"


def test_push_with_write_token_lands(hub, api, new_repo_id, tmp_path):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b"v1\n", path_in_repo="f.txt", repo_id=repo_id)
    before = api.model_info(repo_id).sha
    work = tmp_path / "w"
    git("clone", "--quiet", clone_url(hub, "model", repo_id, "alice", hub.token("alice")), str(work))
    (work / "f.txt").write_text("v2 from git\n")
    (work / "new").mkdir()
    (work / "new" / "file.md").write_text("pushed\n")
    git("add", "-A", cwd=work)
    git("commit", "--quiet", "-m", "Pushed with git", cwd=work)
    pushed = git("rev-parse", "HEAD", cwd=work).stdout.strip()
    git("push", "--quiet", "origin", "main", cwd=work)
    info = api.model_info(repo_id)
    assert info.sha == pushed != before
    assert {"f.txt", "new/file.md"} <= {s.rfilename for s in info.siblings}
    assert api.list_repo_commits(repo_id)[0].title == "Pushed with git"
    path = hf_hub_download(repo_id, "f.txt", cache_dir=tmp_path / "cache")
    assert open(path).read() == "v2 from git\n"
    # a new branch pushed with git shows up in the refs API
    git("push", "--quiet", "origin", "main:refs/heads/from-git", cwd=work)
    assert {b.name for b in api.list_repo_refs(repo_id).branches} == {"main", "from-git"}
    # and the API keeps committing on top of what git pushed
    after = api.upload_file(path_or_fileobj=b"api\n", path_in_repo="api.txt", repo_id=repo_id).oid
    assert api.list_repo_commits(repo_id)[1].commit_id == pushed
    git("pull", "--quiet", "--ff-only", cwd=work)
    assert git("rev-parse", "HEAD", cwd=work).stdout.strip() == after


@pytest.mark.parametrize("who", ["read-token", "other-user", "anonymous"])
def test_push_refused(hub, api, new_repo_id, tmp_path, who):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b"v1\n", path_in_repo="f.txt", repo_id=repo_id)
    before = api.model_info(repo_id).sha
    work = tmp_path / "w"
    git("clone", "--quiet", clone_url(hub, "model", repo_id), str(work))
    (work / "f.txt").write_text("sneaky\n")
    git("commit", "--quiet", "-am", "sneaky", cwd=work)
    url = {
        "read-token": clone_url(hub, "model", repo_id, "alice", hub.token("alice", "read")),
        "other-user": clone_url(hub, "model", repo_id, "bob", hub.token("bob")),
        "anonymous": clone_url(hub, "model", repo_id),
    }[who]
    proc = git("push", url, "main", cwd=work, check=False)
    assert proc.returncode != 0, (proc.stdout, proc.stderr)
    assert (
        ("403" in proc.stderr)
        if who != "anonymous"
        else ("401" in proc.stderr or "could not read" in proc.stderr or "Authentication" in proc.stderr)
    )
    assert api.model_info(repo_id).sha == before
    assert len(api.list_repo_commits(repo_id)) == 2
