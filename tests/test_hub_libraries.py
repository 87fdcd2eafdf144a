"""The libraries the course teaches, against the hub: datasets push_to_hub / load_dataset, and transformers
AutoConfig / AutoTokenizer (a tiny config and a tokenizer built offline with `tokenizers`)."""

from __future__ import annotations

import pytest
from huggingface_hub import HfApi


def test_dataset_push_to_hub_then_load_dataset(hub, api, new_repo_id, tmp_path):
    from datasets import Dataset, DatasetDict, load_dataset

    repo_id = new_repo_id()
    rows = {
        "text": ["good", "bad", "fine", "awful", "great"],
        "label": [1, 0, 1, 0, 1],
        "score": [0.9, -0.8, 0.2, -1.0, 1.0],
    }
    DatasetDict(
        {"train": Dataset.from_dict(rows), "test": Dataset.from_dict({k: v[:2] for k, v in rows.items()})}
    ).push_to_hub(repo_id, token=hub.token("alice"))
    # push_to_hub stores parquet shards through the LFS batch API, and a dataset card
    info = api.dataset_info(repo_id, files_metadata=True)
    shards = [s for s in info.siblings if s.rfilename.endswith(".parquet")]
    assert {s.rfilename.split("/")[0] for s in shards} == {"data"} and len(shards) == 2
    assert all(s.lfs is not None for s in shards)
    assert "README.md" in {s.rfilename for s in info.siblings}
    assert info.card_data is not None and "dataset_info" in info.card_data
    loaded = load_dataset(repo_id, cache_dir=str(tmp_path / "datasets"))
    assert set(loaded) == {"train", "test"}
    assert loaded["train"].to_dict() == rows
    assert loaded["test"].to_dict() == {k: v[:2] for k, v in rows.items()}
    assert loaded["train"].features["label"].dtype == "int64"


def test_dataset_push_to_private_org_repo(hub, api, new_repo_id, tmp_path):
    from datasets import Dataset, load_dataset

    repo_id = new_repo_id("acme")
    Dataset.from_dict({"x": list(range(10))}).push_to_hub(repo_id, token=hub.token("alice"), private=True)
    assert api.dataset_info(repo_id).private is True
    # an outsider cannot see it at all (asked first: the hub cache of this process is shared by all tokens, and
    # huggingface_hub falls back to cached files when the server says no)
    from datasets.exceptions import DatasetNotFoundError

    with pytest.raises(DatasetNotFoundError):
        load_dataset(repo_id, split="train", token=hub.token("reader", "read"), cache_dir=str(tmp_path / "reader"))
    # bob, an acme member, loads it with his token
    loaded = load_dataset(repo_id, split="train", token=hub.token("bob"), cache_dir=str(tmp_path / "bob"))
    assert loaded["x"] == list(range(10))


def test_load_dataset_from_plain_csv_files(api, new_repo_id, tmp_path):
    from datasets import load_dataset

    repo_id = new_repo_id()
    api.create_repo(repo_id, repo_type="dataset")
    api.upload_file(
        path_or_fileobj=b"text,label\nyes,1\nno,0\n",
        path_in_repo="data/train.csv",
        repo_id=repo_id,
        repo_type="dataset",
    )
    api.upload_file(
        path_or_fileobj=b"text,label\nmaybe,1\n", path_in_repo="data/test.csv", repo_id=repo_id, repo_type="dataset"
    )
    ds = load_dataset(repo_id, cache_dir=str(tmp_path / "c"))
    assert ds["train"]["text"] == ["yes", "no"] and ds["test"]["label"] == [1]


def test_load_gated_dataset_needs_access(hub, api, new_repo_id, tmp_path):
    from datasets import load_dataset
    from datasets.exceptions import DatasetNotFoundError

    repo_id = new_repo_id()
    api.create_repo(repo_id, repo_type="dataset")
    api.upload_file(path_or_fileobj=b"a\n1\n", path_in_repo="train.csv", repo_id=repo_id, repo_type="dataset")
    api.update_repo_settings(repo_id, gated="manual", repo_type="dataset")
    with pytest.raises(DatasetNotFoundError, match="gated"):
        load_dataset(repo_id, token=hub.token("bob"), cache_dir=str(tmp_path / "1"))
    api.grant_access(repo_id, "bob", repo_type="dataset")
    assert load_dataset(repo_id, split="train", token=hub.token("bob"), cache_dir=str(tmp_path / "2"))["a"] == [1]


@pytest.fixture(scope="module")
def tiny_tokenizer(tmp_path_factory):
    """A WordLevel tokenizer made offline with `tokenizers`, wrapped and saved by transformers."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "hello": 4, "world": 5, "course": 6, "hub": 7}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        model_max_length=32,
    )
    folder = tmp_path_factory.mktemp("tokenizer")
    fast.save_pretrained(folder)
    return folder


def test_transformers_auto_config_and_tokenizer(hub, api, new_repo_id, tiny_tokenizer, tmp_path):
    from transformers import AutoConfig, AutoTokenizer, BertConfig

    repo_id = new_repo_id()
    api.create_repo(repo_id)
    config = BertConfig(
        vocab_size=8,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
        id2label={0: "NEG", 1: "POS"},
    )
    config.save_pretrained(tmp_path / "model")
    api.upload_folder(folder_path=tmp_path / "model", repo_id=repo_id, commit_message="config")
    api.upload_folder(folder_path=tiny_tokenizer, repo_id=repo_id, commit_message="tokenizer")
    loaded = AutoConfig.from_pretrained(repo_id, cache_dir=tmp_path / "cache")
    assert type(loaded).__name__ == "BertConfig"
    assert (loaded.hidden_size, loaded.num_hidden_layers, loaded.vocab_size) == (16, 1, 8)
    assert loaded.id2label == {0: "NEG", 1: "POS"}
    tok = AutoTokenizer.from_pretrained(repo_id, cache_dir=tmp_path / "cache")
    assert tok("hello course hub")["input_ids"] == [4, 6, 7]
    assert tok.convert_ids_to_tokens([5, 1]) == ["world", "[UNK]"]
    assert tok.model_max_length == 32
    # the card-less repo still reads as a transformers model
    assert api.model_info(repo_id).library_name == "transformers"


def test_transformers_revision_and_missing_repo(hub, api, new_repo_id, tmp_path):
    from transformers import AutoConfig, BertConfig

    repo_id = new_repo_id()
    api.create_repo(repo_id)
    BertConfig(hidden_size=8, num_attention_heads=2, num_hidden_layers=1).save_pretrained(tmp_path / "v1")
    v1 = api.upload_folder(folder_path=tmp_path / "v1", repo_id=repo_id).oid
    api.create_tag(repo_id, tag="v1")
    BertConfig(hidden_size=12, num_attention_heads=2, num_hidden_layers=1).save_pretrained(tmp_path / "v2")
    api.upload_folder(folder_path=tmp_path / "v2", repo_id=repo_id)
    assert AutoConfig.from_pretrained(repo_id, cache_dir=tmp_path / "c").hidden_size == 12
    assert AutoConfig.from_pretrained(repo_id, revision="v1", cache_dir=tmp_path / "c").hidden_size == 8
    assert AutoConfig.from_pretrained(repo_id, revision=v1, cache_dir=tmp_path / "c").hidden_size == 8
    with pytest.raises(OSError, match="not a local folder and is not a valid model identifier|not found"):
        AutoConfig.from_pretrained("alice/no-such-model-here", cache_dir=tmp_path / "c")
    with pytest.raises(OSError):
        AutoConfig.from_pretrained(repo_id, revision="no-such-rev", cache_dir=tmp_path / "c")


def test_transformers_gated_model(hub, api, new_repo_id, tmp_path):
    from transformers import AutoConfig, BertConfig

    repo_id = new_repo_id()
    api.create_repo(repo_id)
    BertConfig(hidden_size=8, num_attention_heads=2, num_hidden_layers=1).save_pretrained(tmp_path / "m")
    api.upload_folder(folder_path=tmp_path / "m", repo_id=repo_id)
    api.update_repo_settings(repo_id, gated="manual")
    with pytest.raises(OSError, match="gated"):
        AutoConfig.from_pretrained(repo_id, token=hub.token("bob"), cache_dir=tmp_path / "c1")
    HfApi(endpoint=hub.url, token=hub.token("alice")).grant_access(repo_id, "bob")
    assert AutoConfig.from_pretrained(repo_id, token=hub.token("bob"), cache_dir=tmp_path / "c2").hidden_size == 8
