"""Metadata: model_info / dataset_info / space_info, list_* search, filters, sorting and Link pagination, the tree
and paths-info APIs — all through HfApi against the running hub."""

from __future__ import annotations

import os
import time

import pytest
from conftest import SESSION_TMP, start_server, stop_server
from hubtest import HTTP, git_blob_sha, sha256
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download
from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError
from huggingface_hub.hf_api import RepoFile, RepoFolder

from course_hub import HubDir
from course_hub.net import free_port

TOK = "srch" + os.urandom(3).hex()  # in every repo name of this module, so searches only see these repos
WEIGHTS = os.urandom(50_000)


def card(**meta) -> bytes:
    import yaml

    return b"---\n" + yaml.safe_dump(meta).encode() + b"---\n\n# Card\n\nThe first paragraph of the card.\n"


def _next_second() -> None:
    """Sleep to the next whole second: the Hub's dates have one-second resolution."""
    time.sleep(1.02 - (time.time() % 1))


@pytest.fixture(scope="module")
def world(api, hub):
    """Three models (two of alice's, one of the acme org), a dataset, and a Space that uses the first model."""
    w = {
        "bert": f"alice/{TOK}-bert",
        "gpt": f"alice/{TOK}-gpt",
        "org": f"acme/{TOK}-org",
        "data": f"alice/{TOK}-data",
        "space": f"alice/{TOK}-space",
    }
    api.create_repo(w["bert"])
    w["bert_v1"] = api.upload_file(path_or_fileobj=b"{}", path_in_repo="config.json", repo_id=w["bert"]).oid
    w["bert_v2"] = api.create_commit(
        w["bert"],
        commit_message="card and weights",
        operations=[
            CommitOperationAdd(
                "README.md",
                card(
                    license="mit",
                    pipeline_tag="text-classification",
                    library_name="transformers",
                    tags=["sentiment", "course"],
                    language="en",
                    datasets=[w["data"]],
                ),
            ),
            CommitOperationAdd("model.safetensors", WEIGHTS),
            CommitOperationAdd("config.json", b'{"model_type": "bert"}'),
            CommitOperationAdd("nested/a/b.txt", b"b"),
            CommitOperationAdd("nested/c.txt", b"c"),
        ],
    ).oid
    api.create_repo(w["gpt"])
    api.create_commit(
        w["gpt"],
        commit_message="card and config",
        operations=[
            CommitOperationAdd(
                "README.md",
                card(license="apache-2.0", pipeline_tag="text-generation", library_name="transformers", tags=["chat"]),
            ),
            CommitOperationAdd("config.json", b'{"model_type": "gpt2"}'),
        ],
    )
    api.create_repo(w["data"], repo_type="dataset")
    api.upload_file(
        path_or_fileobj=card(
            license="cc-by-4.0",
            task_categories=["text-classification"],
            language=["en"],
            size_categories=["n<1K"],
            tags=["reviews"],
        ),
        path_in_repo="README.md",
        repo_id=w["data"],
        repo_type="dataset",
    )
    api.upload_file(
        path_or_fileobj=b"text,label\nok,1\n", path_in_repo="data/train.csv", repo_id=w["data"], repo_type="dataset"
    )
    api.create_repo(w["space"], repo_type="space", space_sdk="gradio")
    api.upload_file(
        path_or_fileobj=card(title="Demo", sdk="gradio", models=[w["bert"]], datasets=[w["data"]], license="mit"),
        path_in_repo="README.md",
        repo_id=w["space"],
        repo_type="space",
    )
    api.upload_file(path_or_fileobj=b"import gradio\n", path_in_repo="app.py", repo_id=w["space"], repo_type="space")
    # downloads: gpt 3, bert 1, org 0 (README.md / .gitattributes are not counted, ranged GETs neither)
    for _ in range(3):
        HTTP.get(f"{hub.url}/{w['gpt']}/resolve/main/README.md")  # not counted
    for repo_id, n in ((w["gpt"], 3), (w["bert"], 1)):
        for _ in range(n):
            hf_hub_download(repo_id, "config.json", cache_dir=SESSION_TMP / f"dl-{os.urandom(4).hex()}")
    hf_hub_download(w["gpt"], "README.md", cache_dir=SESSION_TMP / f"dl-{os.urandom(4).hex()}")  # not counted
    HTTP.get(f"{hub.url}/{w['gpt']}/resolve/main/.gitattributes")
    for _ in range(3):
        HTTP.get(f"{hub.url}/{w['gpt']}/resolve/main/config.json", headers={"Range": "bytes=0-1"})
        HTTP.head(f"{hub.url}/{w['gpt']}/resolve/main/config.json")
    # the org model is created last (strictly newest), bert is modified last (strictly newest change)
    _next_second()
    api.create_repo(w["org"])
    api.upload_file(path_or_fileobj=b'{"model_type": "gpt2"}', path_in_repo="config.json", repo_id=w["org"])
    _next_second()
    w["bert_v3"] = api.upload_file(path_or_fileobj=b"extra", path_in_repo="extra.txt", repo_id=w["bert"]).oid
    return w


# --- repo info ---------------------------------------------------------------------------------------------------
def test_model_info_fields(api, world):
    info = api.model_info(world["bert"])
    assert info.id == world["bert"] and info.author == "alice"
    assert info.sha == world["bert_v3"]
    assert info.private is False and info.gated is False
    assert info.pipeline_tag == "text-classification"
    assert info.library_name == "transformers"
    assert info.card_data["license"] == "mit" and info.card_data["tags"] == ["sentiment", "course"]
    assert {
        "sentiment",
        "course",
        "text-classification",
        "license:mit",
        "transformers",
        "safetensors",
        "en",
        f"dataset:{world['data']}",
    } <= set(info.tags)
    names = {s.rfilename for s in info.siblings}
    assert names == {
        ".gitattributes",
        "README.md",
        "config.json",
        "model.safetensors",
        "nested/a/b.txt",
        "nested/c.txt",
        "extra.txt",
    }
    assert info.last_modified is not None and info.created_at is not None
    assert info.last_modified >= info.created_at.replace(microsecond=0)


def test_model_info_library_inferred_from_config(api, world):
    info = api.model_info(world["org"])
    assert info.library_name == "transformers"
    assert info.pipeline_tag is None
    assert not info.card_data


def test_model_info_at_revision(api, world):
    old = api.model_info(world["bert"], revision=world["bert_v1"])
    assert old.sha == world["bert_v1"]
    assert {s.rfilename for s in old.siblings} == {".gitattributes", "config.json"}
    assert old.pipeline_tag is None
    with pytest.raises(RevisionNotFoundError):
        api.model_info(world["bert"], revision="no-such-branch")
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("alice/" + TOK + "-missing")


def test_model_info_files_metadata(api, world):
    info = api.model_info(world["bert"], files_metadata=True)
    by_name = {s.rfilename: s for s in info.siblings}
    weights = by_name["model.safetensors"]
    assert weights.size == len(WEIGHTS)
    assert weights.lfs is not None and weights.lfs.sha256 == sha256(WEIGHTS) and weights.lfs.size == len(WEIGHTS)
    config = by_name["config.json"]
    assert config.lfs is None
    assert config.size == len(b'{"model_type": "bert"}')
    assert config.blob_id == git_blob_sha(b'{"model_type": "bert"}')
    plain = api.model_info(world["bert"])
    assert all(s.size is None for s in plain.siblings)


def test_model_info_expand_spaces(api, world):
    info = api.model_info(world["bert"], expand=["spaces"])
    assert info.spaces == [world["space"]]
    assert api.model_info(world["gpt"], expand=["spaces"]).spaces == []


def test_dataset_info(api, world):
    info = api.dataset_info(world["data"])
    assert info.id == world["data"]
    assert info.card_data["license"] == "cc-by-4.0"
    assert {"task_categories:text-classification", "language:en", "license:cc-by-4.0", "reviews"} <= set(info.tags)
    assert "data/train.csv" in {s.rfilename for s in info.siblings}
    assert info.description == "The first paragraph of the card."
    with pytest.raises(RepositoryNotFoundError):
        api.dataset_info(world["bert"])  # a model, not a dataset


def test_space_info(api, world):
    info = api.space_info(world["space"])
    assert info.sdk == "gradio"
    assert info.models == [world["bert"]] and info.datasets == [world["data"]]
    assert {"README.md", "app.py"} <= {s.rfilename for s in info.siblings}
    assert info.card_data["title"] == "Demo"
    assert "gradio" in info.tags


def test_repo_exists_and_file_exists(api, world):
    assert api.repo_exists(world["bert"])
    assert not api.repo_exists(world["bert"], repo_type="dataset")
    assert api.file_exists(world["bert"], "nested/a/b.txt")
    assert not api.file_exists(world["bert"], "nested/a/zzz.txt")
    assert api.revision_exists(world["bert"], world["bert_v1"])
    assert not api.revision_exists(world["bert"], "nope")


# --- search ------------------------------------------------------------------------------------------------------
def ids(items) -> list[str]:
    return [i.id for i in items]


def test_list_models_search_author_filter_pipeline(api, world):
    assert set(ids(api.list_models(search=TOK))) == {world["bert"], world["gpt"], world["org"]}
    assert ids(api.list_models(search=f"{TOK}-gp")) == [world["gpt"]]
    assert set(ids(api.list_models(search=TOK, author="alice"))) == {world["bert"], world["gpt"]}
    assert ids(api.list_models(search=TOK, author="acme")) == [world["org"]]
    assert ids(api.list_models(search=TOK, filter="license:mit")) == [world["bert"]]
    assert ids(api.list_models(search=TOK, filter=["chat"])) == [world["gpt"]]
    assert ids(api.list_models(search=TOK, filter=["sentiment", "license:mit"])) == [world["bert"]]
    assert ids(api.list_models(search=TOK, filter=["sentiment", "chat"])) == []
    assert ids(api.list_models(search=TOK, pipeline_tag="text-generation")) == [world["gpt"]]
    assert ids(api.list_models(search=TOK, filter=f"dataset:{world['data']}")) == [world["bert"]]
    assert ids(api.list_models(search=TOK + "zzz")) == []


def test_list_models_sort_and_limit(api, world):
    by_downloads = list(api.list_models(search=TOK, sort="downloads"))
    assert ids(by_downloads) == [world["gpt"], world["bert"], world["org"]]
    assert [m.downloads for m in by_downloads] == [3, 1, 0]
    assert ids(api.list_models(search=TOK, sort="last_modified"))[0] == world["bert"]
    assert ids(api.list_models(search=TOK, sort="created_at"))[0] == world["org"]
    assert ids(api.list_models(search=TOK, sort="downloads", limit=2)) == [world["gpt"], world["bert"]]
    assert len(list(api.list_models(search=TOK, limit=1))) == 1


def test_list_models_full_and_card_data(api, world):
    [plain] = api.list_models(search=f"{TOK}-bert")
    assert plain.siblings is None and plain.card_data is None
    [full] = api.list_models(search=f"{TOK}-bert", full=True, cardData=True)
    assert "model.safetensors" in {s.rfilename for s in full.siblings}
    assert full.card_data["license"] == "mit"


def test_list_datasets_and_spaces(api, world):
    assert ids(api.list_datasets(search=TOK)) == [world["data"]]
    assert ids(api.list_datasets(search=TOK, filter="task_categories:text-classification")) == [world["data"]]
    assert ids(api.list_datasets(search=TOK, filter="license:mit")) == []
    assert ids(api.list_datasets(search=TOK, author="bob")) == []
    [space] = api.list_spaces(search=TOK)
    assert space.id == world["space"] and space.sdk == "gradio"
    assert ids(api.list_spaces(search=TOK, filter="license:mit")) == [world["space"]]
    assert ids(api.list_spaces(search=TOK, author="acme")) == []


def test_list_bad_sort_is_400(hub, world):
    r = HTTP.get(f"{hub.url}/api/models", params={"sort": "nonsense"})
    assert r.status_code == 400 and r.headers["x-error-code"] == "BadRequest"
    r = HTTP.get(f"{hub.url}/api/models", params={"limit": "lots"})
    assert r.status_code == 400


# --- pagination (a second server on the same hub dir, with pages of 2) -------------------------------------------
@pytest.fixture(scope="module")
def paged(hub):
    port = free_port()
    server_file = HubDir(hub.dir).server_file
    main_server = server_file.read_bytes()  # the second server records itself there: put the first one back after
    proc, _ = start_server(hub.dir, port, SESSION_TMP / "server-paged.log", env={"COURSE_HUB_PAGE_SIZE": "2"})
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)
        server_file.write_bytes(main_server)


def test_list_models_link_pagination(paged, world, hub):
    r = HTTP.get(f"{paged}/api/models", params={"search": TOK, "sort": "downloads"})
    assert r.status_code == 200 and len(r.json()) == 2
    assert 'rel="next"' in r.headers["link"]
    nxt = r.links["next"]["url"]
    r2 = HTTP.get(nxt)
    assert [m["id"] for m in r2.json()] == [world["org"]] and "link" not in r2.headers
    # the real client follows the links and sees everything once
    api = HfApi(endpoint=paged, token=hub.token("alice"))
    assert ids(api.list_models(search=TOK, sort="downloads")) == [world["gpt"], world["bert"], world["org"]]
    assert ids(api.list_models(search=TOK, sort="downloads", limit=3)) == [world["gpt"], world["bert"], world["org"]]


def test_tree_link_pagination(paged, world, hub):
    api = HfApi(endpoint=paged, token=hub.token("alice"))
    everything = [e.path for e in api.list_repo_tree(world["bert"], recursive=True)]
    assert len(everything) == len(set(everything)) == 9  # 7 files and 2 folders, over 5 pages
    r = HTTP.get(f"{paged}/api/models/{world['bert']}/tree/main", params={"recursive": "true"})
    assert len(r.json()) == 2 and "next" in r.links


# --- tree and paths-info -----------------------------------------------------------------------------------------
def test_list_repo_tree_root_and_recursive(api, world):
    root = {e.path: e for e in api.list_repo_tree(world["bert"])}
    assert set(root) == {".gitattributes", "README.md", "config.json", "model.safetensors", "nested", "extra.txt"}
    assert isinstance(root["nested"], RepoFolder) and isinstance(root["config.json"], RepoFile)
    weights = root["model.safetensors"]
    assert weights.size == len(WEIGHTS) and weights.lfs.sha256 == sha256(WEIGHTS)
    assert root["config.json"].blob_id == git_blob_sha(b'{"model_type": "bert"}') and root["config.json"].lfs is None
    deep = {e.path for e in api.list_repo_tree(world["bert"], recursive=True)}
    assert {"nested", "nested/a", "nested/a/b.txt", "nested/c.txt"} <= deep
    assert set(api.list_repo_files(world["bert"])) == {
        ".gitattributes",
        "README.md",
        "config.json",
        "extra.txt",
        "model.safetensors",
        "nested/a/b.txt",
        "nested/c.txt",
    }


def test_list_repo_tree_folder_and_revision(api, world):
    assert {e.path for e in api.list_repo_tree(world["bert"], path_in_repo="nested")} == {"nested/a", "nested/c.txt"}
    assert {e.path for e in api.list_repo_tree(world["bert"], path_in_repo="nested/a")} == {"nested/a/b.txt"}
    old = {e.path for e in api.list_repo_tree(world["bert"], revision=world["bert_v1"])}
    assert old == {".gitattributes", "config.json"}
    with pytest.raises(EntryNotFoundError):
        list(api.list_repo_tree(world["bert"], path_in_repo="no/such/folder"))
    with pytest.raises(RevisionNotFoundError):
        list(api.list_repo_tree(world["bert"], revision="nope"))


def test_list_repo_tree_expand_last_commit(api, world):
    entries = {e.path: e for e in api.list_repo_tree(world["bert"], expand=True)}
    assert entries["extra.txt"].last_commit.oid == world["bert_v3"]
    assert entries["nested"].last_commit.oid == world["bert_v2"]


def test_get_paths_info(api, world):
    out = {
        e.path: e
        for e in api.get_paths_info(world["bert"], ["config.json", "nested", "model.safetensors", "does/not/exist"])
    }
    assert set(out) == {"config.json", "nested", "model.safetensors"}
    assert isinstance(out["nested"], RepoFolder)
    assert out["model.safetensors"].lfs.sha256 == sha256(WEIGHTS)
    old = api.get_paths_info(world["bert"], ["config.json", "README.md"], revision=world["bert_v1"], expand=True)
    assert [e.path for e in old] == ["config.json"]
    assert old[0].blob_id == git_blob_sha(b"{}") and old[0].last_commit.oid == world["bert_v1"]
    data = api.get_paths_info(world["data"], "data", repo_type="dataset")
    assert [e.path for e in data] == ["data"]


def test_list_spaces_filters_by_linked_model(api, new_repo_id):
    """`list_spaces(models=...)` keeps only the Spaces whose card names that model."""
    linked, other = new_repo_id(), new_repo_id()
    for repo_id, models in ((linked, "alice/some-model"), (other, "alice/another-model")):
        api.create_repo(repo_id, repo_type="space", space_sdk="gradio")
        api.upload_file(
            path_or_fileobj=f"---\nsdk: gradio\nmodels:\n- {models}\n---\n".encode(),
            path_in_repo="README.md",
            repo_id=repo_id,
            repo_type="space",
        )
    found = [s.id for s in api.list_spaces(models="alice/some-model")]
    assert linked in found and other not in found
