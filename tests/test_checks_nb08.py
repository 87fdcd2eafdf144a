"""Self-checks of notebook 08: right answers pass, typical wrong answers fail with a helpful message, none raises."""

from __future__ import annotations

import pytest
import torch
from huggingface_hub import EvalResult, ModelCardData

from helpers.checks import nb08

BASE = nb08.BASE_MODEL
DATA = nb08.DATASET

# a small test slice: 3 domains, 10 rows
TEST = {
    "domain": ["movie_reviews"] * 4 + ["tweets"] * 4 + ["nyt_editorials"] * 2,
    "label": [1, 0, 1, 0, 1, 1, 0, 0, 1, 0],
}
PREDICTIONS = [1, 0, 0, 0, 1, 0, 0, 1, 0, 0]  # movie 3/4, tweets 2/4, nyt 1/2
RIGHT = {"movie_reviews": 0.75, "tweets": 0.5, "nyt_editorials": 0.5}


def run(check, *args, **kwargs) -> tuple[bool, str]:
    """(result, printed text) of a check; a check must never raise."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = check(*args, **kwargs)
    return result, out.getvalue()


# --- exercise 1: accuracy per domain ---------------------------------------------------------------------------


def test_accuracy_by_domain_helper():
    assert nb08.accuracy_by_domain(TEST["domain"], TEST["label"], PREDICTIONS) == {
        "movie_reviews": 0.75,
        "nyt_editorials": 0.5,
        "tweets": 0.5,
    }


def test_domain_accuracy_right_answer_passes():
    ok, text = run(nb08.check_domain_accuracy, dict(RIGHT), TEST, PREDICTIONS)
    assert ok and text.startswith("✅")
    assert "hardest" in text and "movie_reviews (0.750)" in text


def test_domain_accuracy_accepts_tensors_and_numpy_like_values():
    answer = {k: torch.tensor(v) for k, v in RIGHT.items()}
    ok, _ = run(nb08.check_domain_accuracy, answer, TEST, torch.tensor(PREDICTIONS))
    assert ok


def test_domain_accuracy_placeholder_is_not_started():
    ok, text = run(nb08.check_domain_accuracy, ..., TEST, PREDICTIONS)
    assert not ok and text.startswith("⏳")


@pytest.mark.parametrize(
    "answer, expected",
    [
        (0.6, "should be a dict"),
        ({"movie_reviews": 0.75, "tweets": 0.5}, "missing: nyt_editorials"),
        ({**RIGHT, "sports": 1.0}, "not a domain of the test slice: sports"),
        ({k: v * 100 for k, v in RIGHT.items()}, "percentages"),
        ({"movie_reviews": 3, "tweets": 2, "nyt_editorials": 1}, "counts of correct predictions"),
        ({k: 0.6 for k in RIGHT}, "overall accuracy (0.600)"),
        ({k: 1 - v for k, v in RIGHT.items()}, "error rates"),
        ({**RIGHT, "tweets": 0.25}, "tweets: 0.2500"),
        ({**RIGHT, "tweets": "50%"}, "should be a number between 0 and 1"),
    ],
)
def test_domain_accuracy_typical_mistakes_fail_with_a_hint(answer, expected):
    ok, text = run(nb08.check_domain_accuracy, answer, TEST, PREDICTIONS)
    assert not ok and text.startswith("❌")
    assert expected in text


def test_domain_accuracy_never_raises_on_mismatched_inputs():
    ok, text = run(nb08.check_domain_accuracy, dict(RIGHT), TEST, PREDICTIONS[:3])
    assert not ok and "could not finish" in text


# --- exercise 2: card metadata ---------------------------------------------------------------------------------


@pytest.fixture
def hub_api(hub):
    """The real HfApi against the test session's copy of the built course hub (base model and dataset on it)."""
    from huggingface_hub import HfApi

    if not hub.built:
        pytest.skip("needs the built course hub")
    return HfApi()


def card_data(accuracy=0.812, **changes) -> ModelCardData:
    fields = {
        "license": "apache-2.0",
        "base_model": BASE,
        "datasets": [DATA],
        "pipeline_tag": "text-classification",
        "model_name": "minilm-sentiment-capstone",
        "eval_results": [
            EvalResult(
                task_type="text-classification",
                dataset_type=DATA,
                dataset_name="Snippets",
                metric_type="accuracy",
                metric_value=accuracy,
            )
        ],
    }
    fields.update(changes)
    return ModelCardData(**{k: v for k, v in fields.items() if v is not None})


def test_card_data_right_answer_passes(hub_api):
    ok, text = run(nb08.check_card_data, card_data(), accuracy=0.8123, api=hub_api)
    assert ok and text.startswith("✅"), text
    assert "apache-2.0" in text and BASE in text


def test_card_data_placeholder_is_not_started(hub_api):
    ok, text = run(nb08.check_card_data, ..., api=hub_api)
    assert not ok and text.startswith("⏳")


def test_card_data_plain_dict_is_refused(hub_api):
    ok, text = run(nb08.check_card_data, {"license": "apache-2.0"}, api=hub_api)
    assert not ok and "plain dict" in text


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"license": None}, "`license` is missing"),
        ({"license": "Apache 2.0"}, "not a license id"),
        ({"license": "mit"}, "base model sentence-transformers/all-MiniLM-L6-v2 is apache-2.0"),
        ({"base_model": None}, "`base_model` is missing"),
        ({"base_model": "all-MiniLM-L6-v2"}, "is not a model on this hub"),
        ({"base_model": "hf-hands-on/minilm-sentiment"}, "you fine-tuned sentence-transformers/all-MiniLM-L6-v2"),
        ({"datasets": None}, "`datasets` is missing"),
        ({"datasets": "sentiment-snippets"}, "not a dataset on this hub"),
        ({"pipeline_tag": None}, "`pipeline_tag` is missing"),
        ({"pipeline_tag": "sentiment"}, "not the task of this model"),
        ({"eval_results": None}, "no accuracy in `eval_results`"),
        (
            {
                "eval_results": [
                    EvalResult(
                        task_type="text-classification",
                        dataset_type=DATA,
                        dataset_name="x",
                        metric_type="f1",
                        metric_value=0.8,
                    )
                ]
            },
            "no accuracy",
        ),
    ],
)
def test_card_data_typical_mistakes_fail_with_a_hint(changes, expected, hub_api):
    ok, text = run(nb08.check_card_data, card_data(**changes), api=hub_api)
    assert not ok and text.startswith("❌"), text
    assert expected in text, text


def test_card_data_accuracy_must_be_a_fraction_and_the_measured_one(hub_api):
    ok, text = run(nb08.check_card_data, card_data(accuracy=81.2), api=hub_api)
    assert not ok and "fraction between 0 and 1" in text
    ok, text = run(nb08.check_card_data, card_data(accuracy=0.9), accuracy=0.8123, api=hub_api)
    assert not ok and "you measured 0.8123" in text


@pytest.mark.content
def test_card_data_against_the_course_hub(hub):
    """With the real course hub: the ids resolve, the license is read from the base model's card."""
    ok, text = run(nb08.check_card_data, card_data(), accuracy=0.812)
    assert ok, text
    ok, text = run(nb08.check_card_data, card_data(base_model="sentence-transformers/no-such-model"))
    assert not ok and "not a model on this hub" in text
    ok, text = run(nb08.check_card_data, card_data(license="mit"))
    assert not ok and "is apache-2.0" in text


# --- exercise 3: fool the model --------------------------------------------------------------------------------


def always(label, score=0.97):
    return lambda text: [{"label": label, "score": score}]


def test_fooled_passes_when_the_model_disagrees():
    ok, text = run(nb08.check_fooled, ("Oh great, it broke again.", "NEGATIVE"), always("POSITIVE"))
    assert ok and "POSITIVE (0.970) for a NEGATIVE sentence" in text


def test_fooled_fails_when_the_model_is_right():
    ok, text = run(nb08.check_fooled, ("I hated it.", "NEGATIVE"), always("NEGATIVE"))
    assert not ok and "gets this one right" in text and "Hint" in text


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("Oh great.", "should be a pair"),
        (("", "NEGATIVE"), "non-empty string"),
        (("Oh great.", "sarcastic"), "true label"),
        (("Oh great.", 0), "true label"),
        (("Oh great.", "negative"), "exactly as the model does: 'NEGATIVE'"),
    ],
)
def test_fooled_malformed_answers(answer, expected):
    ok, text = run(nb08.check_fooled, answer, always("POSITIVE"))
    assert not ok and expected in text


def test_fooled_placeholder_and_broken_classifier():
    ok, text = run(nb08.check_fooled, ..., always("POSITIVE"))
    assert not ok and text.startswith("⏳")

    def broken(text):
        raise RuntimeError("model not loaded")

    ok, text = run(nb08.check_fooled, ("Oh great.", "NEGATIVE"), broken)
    assert not ok and "could not finish" in text
