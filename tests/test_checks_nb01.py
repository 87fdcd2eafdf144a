"""Self-checks of notebook 01: right answers pass, typical wrong answers fail with a helpful message, none raises."""

from __future__ import annotations

import shutil

import pytest
from huggingface_hub import CommitOperationAdd

from helpers.checks import nb01

pytestmark = pytest.mark.content  # they ask the course hub's repos (the test session's copy)


def run(check, answer, capsys, **kwargs):
    ok = check(answer, **kwargs)
    return ok, capsys.readouterr().out


def card(meta: str, body: str = "# A test model\n") -> bytes:
    return f"---\n{meta}\n---\n{body}".encode()


# --- check_top_permissive -----------------------------------------------------------------------------------


def test_top_permissive_is_the_sentiment_model(hub):
    assert nb01.top_permissive() == "hf-hands-on/minilm-sentiment"


def test_the_most_downloaded_classifier_is_not_permissive(hub):
    """Exercise 1 has a point: sorting by downloads alone gives the non-commercial copy (course_content/noncommercial)."""
    from huggingface_hub import HfApi

    first = next(iter(HfApi().list_models(pipeline_tag="text-classification", sort="downloads", limit=1)))
    assert first.id == nb01.NONCOMMERCIAL and "license:cc-by-nc-4.0" in first.tags


def test_top_permissive_right(hub, capsys):
    ok, out = run(nb01.check_top_permissive, "hf-hands-on/minilm-sentiment", capsys)
    assert ok and out.startswith("✅"), out


def test_top_permissive_placeholder(hub, capsys):
    ok, out = run(nb01.check_top_permissive, ..., capsys)
    assert not ok and out.startswith("⏳"), out


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("hf-hands-on/gated-sentiment", "not the most downloaded"),
        ("hf-hands-on/minilm-sentiment-nc", "cc-by-nc-4.0: not a permissive license"),
        ("sentence-transformers/all-MiniLM-L6-v2", "not text-classification"),
        ("HuggingFaceTB/SmolLM2-135M-Instruct", "text-generation model"),
        ("alice/private-notes", "no model"),
        ("hf-hands-on/does-not-exist", "no model"),
        ("minilm-sentiment", "namespace/name"),
    ],
)
def test_top_permissive_wrong(hub, capsys, answer, expected):
    ok, out = run(nb01.check_top_permissive, answer, capsys)
    assert not ok and out.startswith("❌") and expected in out, out
    assert "Hint:" in out


def test_top_permissive_model_info_object(hub, capsys):
    from huggingface_hub import HfApi

    ok, out = run(nb01.check_top_permissive, HfApi().model_info("hf-hands-on/minilm-sentiment"), capsys)
    assert not ok and "model.id" in out, out


def test_top_permissive_restrictive_license(hub, api, new_repo_id, capsys):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    api.create_commit(
        repo_id,
        commit_message="card",
        operations=[
            CommitOperationAdd(
                "README.md",
                card("license: cc-by-nc-4.0\npipeline_tag: text-classification\nlibrary_name: transformers"),
            )
        ],
    )
    ok, out = run(nb01.check_top_permissive, repo_id, capsys)
    assert not ok and "cc-by-nc-4.0" in out and "not a permissive license" in out, out
    assert nb01.top_permissive() == "hf-hands-on/minilm-sentiment"


def test_licenses_of_reads_tags_then_card():
    class Info:
        tags = ["text-classification", "license:MIT"]
        card_data = None

    assert nb01.licenses_of(Info) == ["mit"] and nb01.is_permissive(Info)
    Info.tags = []
    assert nb01.licenses_of(Info) == [] and not nb01.is_permissive(Info)


# --- check_tokenizer_download -------------------------------------------------------------------------------

TOKENIZER = ["tokenizer*", "vocab.txt", "special_tokens_map.json"]


@pytest.fixture(scope="module")
def tokenizer_folder(hub, tmp_path_factory):
    from huggingface_hub import snapshot_download

    return snapshot_download(nb01.MINILM, allow_patterns=TOKENIZER, cache_dir=tmp_path_factory.mktemp("tok-cache"))


def test_tokenizer_right(hub, capsys, tokenizer_folder):
    ok, out = run(nb01.check_tokenizer_download, tokenizer_folder, capsys)
    assert ok and out.startswith("✅") and "4 files" in out, out


def test_tokenizer_placeholder(hub, capsys):
    ok, out = run(nb01.check_tokenizer_download, ..., capsys)
    assert not ok and out.startswith("⏳"), out


def test_tokenizer_only_json(hub, capsys, tmp_path):
    from huggingface_hub import snapshot_download

    folder = snapshot_download(nb01.MINILM, allow_patterns=["*.json"], cache_dir=tmp_path)
    ok, out = run(nb01.check_tokenizer_download, folder, capsys)
    assert not ok and "Missing tokenizer file(s): vocab.txt" in out, out


def test_tokenizer_only_tokenizer_star(hub, capsys, tmp_path):
    from huggingface_hub import snapshot_download

    folder = snapshot_download(nb01.MINILM, allow_patterns=["tokenizer*"], cache_dir=tmp_path)
    ok, out = run(nb01.check_tokenizer_download, folder, capsys)
    assert not ok and "special_tokens_map.json" in out and "vocab.txt" in out, out


def test_tokenizer_with_configs(hub, capsys, tmp_path, tokenizer_folder):
    folder = tmp_path / "snap"
    shutil.copytree(tokenizer_folder, folder)
    (folder / "config.json").write_text("{}")
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text("{}")
    ok, out = run(nb01.check_tokenizer_download, folder, capsys)
    assert not ok and "not tokenizer files: 1_Pooling/config.json, config.json" in out, out


def test_tokenizer_with_weights(hub, capsys, tmp_path, tokenizer_folder):
    folder = tmp_path / "snap"
    shutil.copytree(tokenizer_folder, folder)
    (folder / "model.safetensors").write_bytes(b"weights")
    ok, out = run(nb01.check_tokenizer_download, str(folder), capsys)
    assert not ok and "weights too: model.safetensors" in out, out


def test_tokenizer_changed_file(hub, capsys, tmp_path, tokenizer_folder):
    folder = tmp_path / "snap"
    shutil.copytree(tokenizer_folder, folder)
    (folder / "vocab.txt").write_text("[PAD]\n")
    ok, out = run(nb01.check_tokenizer_download, folder, capsys)
    assert not ok and "vocab.txt" in out and "size" in out, out


def test_tokenizer_not_a_folder(hub, capsys, tmp_path):
    ok, out = run(nb01.check_tokenizer_download, tmp_path / "nope", capsys)
    assert not ok and "not a folder" in out, out
    ok, out = run(nb01.check_tokenizer_download, tmp_path, capsys)
    assert not ok and "empty" in out, out
    ok, out = run(nb01.check_tokenizer_download, 3, capsys)
    assert not ok and "snapshot_download" in out, out


# --- check_eval_commit --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sentiment_commits(hub):
    from huggingface_hub import HfApi

    return HfApi().list_repo_commits(nb01.NONCOMMERCIAL)  # newest first


def test_eval_commit_right(hub, capsys, sentiment_commits):
    titles = [c.title for c in sentiment_commits]
    assert titles == ["Fix a typo in the card", "Update README.md", "Add evaluation results", "Add fine-tuned model"]
    ok, out = run(nb01.check_eval_commit, sentiment_commits[1].commit_id, capsys)
    assert ok and out.startswith("✅") and "Update README.md" in out, out


def test_eval_commit_trusts_the_title(hub, capsys, sentiment_commits):
    """The commit titled "Add evaluation results" adds none: the point of exercise 3."""
    ok, out = run(nb01.check_eval_commit, sentiment_commits[2].commit_id, capsys)
    assert not ok and "titled 'Add evaluation results', but its card has no evaluation results" in out, out
    ok, out = run(nb01.check_eval_commit, sentiment_commits[0].commit_id, capsys)
    assert not ok and "already had its results" in out, out


def test_eval_commit_placeholder(hub, capsys):
    ok, out = run(nb01.check_eval_commit, ..., capsys)
    assert not ok and out.startswith("⏳"), out


def test_eval_commit_too_early(hub, capsys, sentiment_commits):
    ok, out = run(nb01.check_eval_commit, sentiment_commits[-1].commit_id, capsys)
    assert not ok and "no evaluation results yet" in out, out


def test_eval_commit_tag_name(hub, capsys):
    ok, out = run(nb01.check_eval_commit, "v1.0", capsys, repo_id=nb01.SENTIMENT)
    assert not ok and "branch or tag name" in out, out


def test_eval_commit_shortened(hub, capsys, sentiment_commits):
    ok, out = run(nb01.check_eval_commit, sentiment_commits[0].commit_id[:7], capsys)
    assert not ok and "shortened" in out, out


def test_eval_commit_object(hub, capsys, sentiment_commits):
    ok, out = run(nb01.check_eval_commit, sentiment_commits[0], capsys)
    assert not ok and ".commit_id" in out, out


def test_eval_commit_unknown(hub, capsys):
    ok, out = run(nb01.check_eval_commit, "f" * 40, capsys)
    assert not ok and "not a commit" in out, out


def test_eval_commit_later_commit(hub, api, new_repo_id, capsys):
    """On a repo with a commit after the one that added the results, that later commit is wrong."""
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    meta = "license: mit\npipeline_tag: text-classification"
    results = (
        "\nmodel-index:\n- name: m\n  results:\n  - task: {type: text-classification}\n"
        "    dataset: {type: d, name: d}\n    metrics:\n    - {type: accuracy, value: 0.9}"
    )
    shas = []
    for title, text in [
        ("first", card(meta)),
        ("results", card(meta + results)),
        ("typo", card(meta + results, "# A test model, fixed\n")),
    ]:
        shas.append(
            api.create_commit(repo_id, commit_message=title, operations=[CommitOperationAdd("README.md", text)]).oid
        )
    ok, out = run(nb01.check_eval_commit, shas[2], capsys, repo_id=repo_id)
    assert not ok and "already had its results" in out, out
    ok, out = run(nb01.check_eval_commit, shas[1], capsys, repo_id=repo_id)
    assert ok, out
