"""Routes of huggingface.co that users meet, with the real client against the course hub: likes, move_repo (with
the old id still resolving), duplicate_repo, super_squash_history, list/permanently delete LFS files, and
collections."""

from __future__ import annotations

import os

import pytest
from hubtest import HTTP, bearer
from huggingface_hub import CommitOperationAdd, hf_hub_download
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError


def read(repo_id, filename, tmp_path, token, repo_type=None) -> bytes:
    path = hf_hub_download(
        repo_id, filename, repo_type=repo_type, token=token, cache_dir=tmp_path / os.urandom(4).hex()
    )
    return open(path, "rb").read()


# --- likes ---------------------------------------------------------------------------------------------------------
def test_like_unlike_likers_and_liked_repos(hub, api, bob_api, new_repo_id):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    like = f"{hub.url}/api/models/{repo_id}/like"
    assert HTTP.post(like).status_code == 401  # anonymous: log in first
    for _ in range(2):  # HfApi has no `like` (the Hub keeps liking to people): the website's request
        r = HTTP.post(like, headers=bearer(hub.token("bob")))
        assert r.status_code == 200
    assert api.model_info(repo_id).likes == 1  # liking twice counts once
    assert [u.username for u in api.list_repo_likers(repo_id)] == ["bob"]
    assert repo_id in bob_api.list_liked_repos("bob").models
    assert HTTP.post(like, headers=bearer(hub.token("reader", "read"))).status_code == 200  # a read token may
    assert api.model_info(repo_id).likes == 2
    bob_api.unlike(repo_id)
    bob_api.unlike(repo_id)
    assert api.model_info(repo_id).likes == 1
    assert repo_id not in bob_api.list_liked_repos("bob").models
    private = new_repo_id(prefix="private-liked")
    api.create_repo(private, private=True)
    with pytest.raises(RepositoryNotFoundError):
        bob_api.unlike(private)
    HTTP.post(f"{hub.url}/api/models/{private}/like", headers=bearer(hub.token("alice")))
    assert private in api.list_liked_repos("alice").models
    assert private not in bob_api.list_liked_repos("alice").models  # others never see it


# --- move ----------------------------------------------------------------------------------------------------------
def test_move_repo_keeps_the_old_id_resolving(hub, api, bob_api, new_repo_id, tmp_path):
    old, new = new_repo_id(prefix="before-move"), new_repo_id(prefix="after-move")
    api.create_repo(old)
    api.upload_file(path_or_fileobj=b"weights", path_in_repo="w.safetensors", repo_id=old)
    api.upload_file(path_or_fileobj=b"notes\n", path_in_repo="notes.md", repo_id=old)
    sha = api.model_info(old).sha
    api.move_repo(old, new)
    assert api.model_info(new).sha == sha
    assert api.model_info(old).id == new  # the redirect: old links keep working
    assert read(old, "w.safetensors", tmp_path, api.token) == b"weights"
    assert read(new, "notes.md", tmp_path, api.token) == b"notes\n"
    assert old not in {m.id for m in api.list_models(author="alice")}
    # transfer to an organisation where alice is an admin; not into one she cannot write
    org = "acme/" + new.split("/")[1]
    api.move_repo(new, org)
    assert api.model_info(old).id == org and api.model_info(new).id == org
    with pytest.raises(HfHubHTTPError) as e:
        api.move_repo(org, "bob/" + new.split("/")[1])
    assert e.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError) as e:  # bob (a read member of acme) may not move it
        bob_api.move_repo(org, "bob/stolen")
    assert e.value.response.status_code == 403
    # the old id can be taken again: then it is that repo's
    api.create_repo(old)
    assert api.model_info(old).id == old and api.model_info(new).id == org
    with pytest.raises(HfHubHTTPError) as e:  # a taken id is refused
        api.move_repo(org, old)
    assert e.value.response.status_code == 409


# --- duplicate -----------------------------------------------------------------------------------------------------
def test_duplicate_repo_copies_everything(hub, api, bob_api, new_repo_id, tmp_path):
    src = new_repo_id(prefix="dup-source")
    api.create_repo(src)
    api.upload_file(path_or_fileobj=b"\x01" * 64, path_in_repo="w.safetensors", repo_id=src)
    api.create_branch(src, branch="dev")
    api.create_tag(src, tag="v1")
    copy = bob_api.duplicate_repo(src, to_id="bob/" + src.split("/")[1])
    assert copy.repo_id == "bob/" + src.split("/")[1]
    info = bob_api.model_info(copy.repo_id)
    assert info.sha == api.model_info(src).sha and not info.private
    refs = bob_api.list_repo_refs(copy.repo_id)
    assert {b.name for b in refs.branches} == {"main", "dev"} and {t.name for t in refs.tags} == {"v1"}
    assert read(copy.repo_id, "w.safetensors", tmp_path, bob_api.token) == b"\x01" * 64
    private_copy = api.duplicate_repo(src, to_id=src + "-private", private=True)
    assert api.model_info(private_copy.repo_id).private
    with pytest.raises(HfHubHTTPError) as e:  # it exists now
        api.duplicate_repo(src, to_id=src + "-private")
    assert e.value.response.status_code == 409
    gated = new_repo_id(prefix="dup-gated")
    api.create_repo(gated)
    api.update_repo_settings(gated, gated="manual")
    with pytest.raises(GatedRepoError):  # files you may not read, you may not copy
        bob_api.duplicate_repo(gated, to_id="bob/gated-copy")
    with pytest.raises(HfHubHTTPError) as e:  # nor into someone else's namespace
        bob_api.duplicate_repo(src, to_id="alice/bobs-copy")
    assert e.value.response.status_code == 403


# --- super-squash --------------------------------------------------------------------------------------------------
def test_super_squash_history(api, new_repo_id):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    for i in range(3):
        api.upload_file(path_or_fileobj=f"{i}\n".encode(), path_in_repo=f"f{i}.txt", repo_id=repo_id)
    api.create_branch(repo_id, branch="keep")
    files = set(api.list_repo_files(repo_id))
    assert len(api.list_repo_commits(repo_id)) == 4
    api.super_squash_history(repo_id, commit_message="one commit")
    commits = api.list_repo_commits(repo_id)
    assert [c.title for c in commits] == ["one commit"]
    assert set(api.list_repo_files(repo_id)) == files
    assert len(api.list_repo_commits(repo_id, revision="keep")) == 4  # other branches keep their history


# --- LFS storage ---------------------------------------------------------------------------------------------------
def test_list_and_permanently_delete_lfs_files(hub, api, bob_api, new_repo_id, tmp_path):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    api.create_commit(
        repo_id,
        [
            CommitOperationAdd("a.safetensors", b"A" * 100),
            CommitOperationAdd("ckpt/b.bin", b"B" * 200),
            CommitOperationAdd("small.txt", b"text"),
        ],
        commit_message="weights",
    )
    files = {f.filename: f for f in api.list_lfs_files(repo_id)}
    assert set(files) == {"a.safetensors", "ckpt/b.bin"}
    assert files["ckpt/b.bin"].size == 200 and files["ckpt/b.bin"].ref == "refs/heads/main"
    with pytest.raises(HfHubHTTPError) as e:  # storage is the owner's business
        list(bob_api.list_lfs_files(repo_id))
    assert e.value.response.status_code == 403
    api.permanently_delete_lfs_files(repo_id, [files["ckpt/b.bin"]])
    assert {f.filename for f in api.list_lfs_files(repo_id)} == {"a.safetensors"}
    assert read(repo_id, "a.safetensors", tmp_path, api.token) == b"A" * 100
    with pytest.raises(HfHubHTTPError) as e:
        read(repo_id, "ckpt/b.bin", tmp_path, api.token)
    assert e.value.response.status_code == 404


# --- collections ---------------------------------------------------------------------------------------------------
def test_collections(hub, api, bob_api, new_repo_id):
    model, dataset = new_repo_id(prefix="coll-model"), new_repo_id(prefix="coll-data")
    api.create_repo(model)
    api.create_repo(dataset, repo_type="dataset")
    title = "Course picks " + os.urandom(3).hex()
    coll = api.create_collection(title, description="What we use")
    assert coll.slug.startswith("alice/course-picks-") and coll.owner["name"] == "alice" and coll.items == []
    assert api.create_collection(title, exists_ok=True).slug == coll.slug
    coll = api.add_collection_item(coll.slug, model, "model", note="the model")
    coll = api.add_collection_item(coll.slug, dataset, "dataset")
    with pytest.raises(HfHubHTTPError) as e:
        api.add_collection_item(coll.slug, model, "model")
    assert e.value.response.status_code == 409
    api.add_collection_item(coll.slug, model, "model", exists_ok=True)
    got = bob_api.get_collection(coll.slug)
    assert [(i.item_id, i.item_type, i.note) for i in got.items] == [
        (model, "model", "the model"),
        (dataset, "dataset", None),
    ]
    assert coll.slug in {c.slug for c in bob_api.list_collections(owner="alice")}
    assert coll.slug in {c.slug for c in api.list_collections(item=f"models/{model}")}
    with pytest.raises(HfHubHTTPError) as e:  # others may look, not change
        bob_api.add_collection_item(coll.slug, model, "model")
    assert e.value.response.status_code == 403
    api.update_collection_item(coll.slug, got.items[1].item_object_id, note="now first", position=0)
    assert [i.item_id for i in api.get_collection(coll.slug).items] == [dataset, model]
    renamed = api.update_collection_metadata(coll.slug, title="Renamed picks", private=True, theme="green")
    assert (
        renamed.slug.startswith("alice/renamed-picks-")
        and renamed.slug.rsplit("-", 1)[1] == coll.slug.rsplit("-", 1)[1]
    )
    assert renamed.private and renamed.theme == "green"
    with pytest.raises(HfHubHTTPError) as e:  # private: invisible to others
        bob_api.get_collection(renamed.slug)
    assert e.value.response.status_code == 404
    assert renamed.slug not in {c.slug for c in bob_api.list_collections(owner="alice")}
    api.delete_collection_item(renamed.slug, got.items[0].item_object_id)
    assert [i.item_id for i in api.get_collection(renamed.slug).items] == [dataset]
    api.delete_collection(renamed.slug)
    with pytest.raises(HfHubHTTPError) as e:
        api.get_collection(renamed.slug)
    assert e.value.response.status_code == 404
    api.delete_collection(renamed.slug, missing_ok=True)
    org_coll = api.create_collection("Org picks " + os.urandom(3).hex(), namespace="acme")
    assert org_coll.owner["name"] == "acme"
    with pytest.raises(HfHubHTTPError) as e:  # bob reads in acme, he cannot make collections there
        bob_api.create_collection("Bob in acme", namespace="acme")
    assert e.value.response.status_code == 403


@pytest.mark.content
def test_the_course_collection(api):
    """`course-hub build` makes one collection of the course's public repos."""
    found = [c for c in api.list_collections(owner="hf-hands-on") if c.title == "Hugging Face, hands-on"]
    assert len(found) == 1
    coll = api.get_collection(found[0].slug)
    items = {(i.item_type, i.item_id) for i in coll.items}
    assert {
        ("model", "hf-hands-on/minilm-sentiment"),
        ("dataset", "hf-hands-on/sentiment-snippets"),
        ("space", "hf-hands-on/sentiment-demo"),
        ("model", "sentence-transformers/all-MiniLM-L6-v2"),
    } <= items
    assert not any(i.item_id == "alice/private-notes" for i in coll.items)
