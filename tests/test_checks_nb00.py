"""Self-checks of notebook 00: right answers pass, typical wrong answers fail with a helpful message, none raises."""

from __future__ import annotations

import pytest

from helpers.checks import nb00

pytestmark = pytest.mark.content  # they ask the course hub's repos (the test session's copy)


@pytest.fixture(scope="module")
def dataset_sha(hub):
    from huggingface_hub import HfApi

    return HfApi().dataset_info(nb00.DATASET_ID).sha


def run(check, answer, capsys, **kwargs):
    ok = check(answer, **kwargs)
    return ok, capsys.readouterr().out


# --- check_one_word_flip ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer", [("The film was good.", "The film was not good."), ["I liked this phone.", "I hated this phone."]]
)
def test_flip_right(hub, capsys, answer):
    ok, out = run(nb00.check_one_word_flip, answer, capsys)
    assert ok and out.startswith("✅") and "→" in out, out


def test_flip_placeholder(hub, capsys):
    ok, out = run(nb00.check_one_word_flip, ..., capsys)
    assert not ok and out.startswith("⏳"), out


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("The film was good.", "a pair of two sentences"),
        (("The film was good.",), "a pair of two sentences"),
        (("The film was good.", ""), "a pair of two sentences"),
        (("The film was good.", "the film, was good"), "same words"),
        (("The film was good.", "The film was not bad at all."), "more than one word"),
        (("The film was good.", "The film was great."), "did not flip"),
    ],
)
def test_flip_wrong(hub, capsys, answer, expected):
    ok, out = run(nb00.check_one_word_flip, answer, capsys)
    assert not ok and out.startswith("❌") and expected in out, out
    assert "Hint:" in out


def test_one_word_apart():
    w = nb00._words
    assert nb00._one_word_apart(w("a b c"), w("a x c")) and nb00._one_word_apart(w("a b c"), w("a c"))
    assert nb00._one_word_apart(w("a c"), w("a not c")) and not nb00._one_word_apart(w("a b c"), w("x y c"))


def test_classification_labels_come_from_the_hub(hub):
    assert nb00.model_labels() == {"POSITIVE", "NEGATIVE"}


# --- check_vocabulary ---------------------------------------------------------------------------------------


def test_vocabulary_right(capsys):
    ok, out = run(nb00.check_vocabulary, dict(nb00.VOCABULARY), capsys)
    assert ok and out.startswith("✅"), out


def test_vocabulary_right_any_case(capsys):
    answer = {k.upper(): v.lower() for k, v in nb00.VOCABULARY.items()}
    ok, out = run(nb00.check_vocabulary, answer, capsys)
    assert ok, out


def test_vocabulary_every_definition_used_once():
    assert sorted(nb00.VOCABULARY.values()) == sorted(nb00.DEFINITIONS)


def test_vocabulary_swapped(capsys):
    answer = dict(nb00.VOCABULARY)
    answer["revision"], answer["card"] = answer["card"], answer["revision"]
    ok, out = run(nb00.check_vocabulary, answer, capsys)
    assert not ok and "2 of 7" in out and "revision" in out and "card" in out, out


def test_vocabulary_unanswered(capsys):
    template = {term: "?" for term in nb00.VOCABULARY}
    ok, out = run(nb00.check_vocabulary, template, capsys)
    assert not ok and out.startswith("⏳"), out
    ok, out = run(nb00.check_vocabulary, {**template, "repo": "C", "model": "F"}, capsys)
    assert not ok and "No letter yet for: dataset, Space" in out, out
    ok, out = run(nb00.check_vocabulary, ..., capsys)
    assert not ok and out.startswith("⏳"), out


def test_vocabulary_not_a_dict(capsys):
    ok, out = run(nb00.check_vocabulary, ["C", "F"], capsys)
    assert not ok and "dict" in out, out


def test_vocabulary_unknown_term(capsys):
    ok, out = run(nb00.check_vocabulary, {**nb00.VOCABULARY, "branch": "A"}, capsys)
    assert not ok and "branch" in out, out


# --- check_revision -----------------------------------------------------------------------------------------


def test_revision_right(hub, capsys, dataset_sha):
    ok, out = run(nb00.check_revision, dataset_sha, capsys)
    assert ok and out.startswith("✅"), out


def test_revision_placeholder(hub, capsys):
    ok, out = run(nb00.check_revision, ..., capsys)
    assert not ok and out.startswith("⏳"), out


def test_revision_branch_name(hub, capsys):
    ok, out = run(nb00.check_revision, "main", capsys)
    assert not ok and "branch or tag" in out, out


def test_revision_shortened(hub, capsys, dataset_sha):
    ok, out = run(nb00.check_revision, dataset_sha[:7], capsys)
    assert not ok and "shortened" in out, out


def test_revision_older_commit(hub, capsys):
    from huggingface_hub import HfApi

    commits = HfApi().list_repo_commits(nb00.DATASET_ID, repo_type="dataset")
    assert len(commits) >= 2
    ok, out = run(nb00.check_revision, commits[-1].commit_id, capsys)
    assert not ok and "older one" in out, out


def test_revision_of_the_model_instead(hub, capsys):
    from huggingface_hub import HfApi

    ok, out = run(nb00.check_revision, HfApi().model_info(nb00.MODEL_ID).sha, capsys)
    assert not ok and "SHA of the model" in out, out


def test_revision_info_object(hub, capsys):
    from huggingface_hub import HfApi

    ok, out = run(nb00.check_revision, HfApi().dataset_info(nb00.DATASET_ID), capsys)
    assert not ok and ".sha" in out, out


def test_revision_unknown(hub, capsys):
    ok, out = run(nb00.check_revision, "0" * 40, capsys)
    assert not ok and "not a commit" in out, out
    ok, out = run(nb00.check_revision, "v2", capsys)
    assert not ok and "does not look like" in out, out


def test_revision_for_a_model_repo(hub, capsys):
    from huggingface_hub import HfApi

    sha = HfApi().model_info(nb00.MODEL_ID).sha
    ok, out = run(nb00.check_revision, sha, capsys, repo_id=nb00.MODEL_ID, repo_type="model")
    assert ok, out


def test_checks_never_raise_when_the_hub_is_unreachable(capsys, monkeypatch):
    import huggingface_hub

    monkeypatch.setattr(
        huggingface_hub.HfApi, "repo_info", lambda *a, **k: (_ for _ in ()).throw(ConnectionError("hub down\nmore"))
    )
    ok, out = run(nb00.check_revision, "a" * 40, capsys)
    assert not ok and "could not finish: ConnectionError: hub down" in out, out
