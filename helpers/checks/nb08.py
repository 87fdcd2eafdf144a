"""Self-checks for notebook 08 · Capstone: fine-tune and share.

    helpers.checks.nb08.check_domain_accuracy(answer, test_ds, predictions)  # {domain: accuracy} on the test slice
    helpers.checks.nb08.check_card_data(answer, accuracy=my_accuracy)        # a ModelCardData the Hub can use
    helpers.checks.nb08.check_fooled(answer, classifier)                     # (text, true label) your model gets wrong

Each check prints ✅ / ❌ (with a hint) / ⏳ and returns True or False; none raises. `check_card_data` asks the hub
this kernel is connected to (`HF_ENDPOINT`) with the real `huggingface_hub` calls, so it works on huggingface.co too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from course_hub.settings import course_org

from . import failed, is_placeholder, never_raises, not_started, passed

ORG = course_org()  # pyproject.toml's [tool.hf-hands-on] org ("hf-hands-on")

BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DATASET = f"{ORG}/sentiment-snippets"
TASK = "text-classification"
LABELS = ("NEGATIVE", "POSITIVE")
TOLERANCE = 1e-6


def _as_int_list(values) -> list[int]:
    """Predictions or labels as a list of ints (from a list, a tensor or a numpy array)."""
    if hasattr(values, "tolist"):
        values = values.tolist()
    return [int(v) for v in values]


def _as_number(value) -> float | None:
    """A plain float from an int/float/0-d tensor/numpy scalar, or None for anything else (bool too)."""
    if isinstance(value, bool):
        return None
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def accuracy_by_domain(domains, labels, predictions) -> dict[str, float]:
    """{domain: share of its rows where prediction == label}, domains sorted by name."""
    domains, labels, predictions = list(domains), _as_int_list(labels), _as_int_list(predictions)
    if not (len(domains) == len(labels) == len(predictions)):
        raise ValueError(f"{len(domains)} domains, {len(labels)} labels and {len(predictions)} predictions")
    counts: dict[str, list[int]] = {}
    for d, y, p in zip(domains, labels, predictions):
        c = counts.setdefault(d, [0, 0])
        c[0] += int(y == p)
        c[1] += 1
    return {d: hits / n for d, (hits, n) in sorted(counts.items())}


@never_raises
def check_domain_accuracy(answer, dataset, predictions) -> bool:
    """`answer` maps each domain of `dataset` (columns `domain`, `label`) to the accuracy of `predictions` on it."""
    if is_placeholder(answer):
        return not_started("answer")
    if not isinstance(answer, Mapping):
        return failed(
            f"`answer` should be a dict {{domain: accuracy}}, not {type(answer).__name__}.",
            "Start from `answer = {}` and fill in one entry per domain.",
        )
    labels = dataset["label"]
    domains = dataset["domain"]
    expected = accuracy_by_domain(domains, labels, predictions)
    got_keys, want_keys = set(map(str, answer)), set(expected)
    missing, extra = sorted(want_keys - got_keys), sorted(got_keys - want_keys)
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing: " + ", ".join(missing))
        if extra:
            parts.append("not a domain of the test slice: " + ", ".join(extra))
        return failed(
            "The keys should be the test slice's domains (" + "; ".join(parts) + ").",
            "The domains are the values of the `domain` column: `sorted(set(test_ds['domain']))`.",
        )
    values = {str(k): _as_number(v) for k, v in answer.items()}
    bad = sorted(k for k, v in values.items() if v is None)
    if bad:
        return failed(
            f"The value for {bad[0]} is {answer[bad[0]]!r}: it should be a number between 0 and 1.",
            "Divide the number of correct predictions in that domain by the number of its rows.",
        )
    if any(v > 1 for v in values.values()):
        if all(abs(values[d] / 100 - expected[d]) < 1e-4 for d in expected):
            return failed(
                "Those are percentages: the course writes accuracy as a fraction between 0 and 1.", "Drop the `* 100`."
            )
        if all(float(values[d]).is_integer() for d in expected):
            return failed(
                "Those look like counts of correct predictions, not accuracies.",
                "Divide each count by the number of rows of that domain.",
            )
        return failed("Accuracies are between 0 and 1; some of your values are larger.")
    overall = sum(p == y for p, y in zip(_as_int_list(predictions), _as_int_list(labels))) / len(labels)
    if len(expected) > 1 and all(abs(v - overall) < 1e-4 for v in values.values()):
        return failed(
            f"Every domain has the overall accuracy ({overall:.3f}).",
            "Only count the rows of one domain at a time: filter by `domain` before comparing.",
        )
    if all(abs(values[d] - (1 - expected[d])) < 1e-4 for d in expected):
        return failed(
            "Those are error rates (the share of wrong predictions), not accuracies.",
            "Count predictions that are equal to the label, not different from it.",
        )
    wrong = [d for d in expected if abs(values[d] - expected[d]) > TOLERANCE]
    if wrong:
        return failed(
            f"{len(wrong)} of {len(expected)} domain(s) are off, e.g. {wrong[0]}: {values[wrong[0]]:.4f}.",
            "Compare `predictions[i]` with `test_ds['label'][i]` for the rows i whose domain is that one, "
            "and divide by the number of those rows.",
        )
    hardest = min(expected, key=expected.get)
    easiest = max(expected, key=expected.get)
    return passed(
        f"Right for all {len(expected)} domains: hardest {hardest} ({expected[hardest]:.3f}), "
        f"easiest {easiest} ({expected[easiest]:.3f})."
    )


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _api():
    from huggingface_hub import HfApi

    return HfApi()


def _exists(api, repo_id: str, repo_type: str) -> bool:
    from huggingface_hub.errors import RepositoryNotFoundError

    try:
        (api.dataset_info if repo_type == "dataset" else api.model_info)(repo_id)
        return True
    except RepositoryNotFoundError:
        return False


def _eval_accuracy(data) -> float | None:
    """The first accuracy value among the card data's eval results, or None."""
    for r in _as_list(getattr(data, "eval_results", None)):
        if str(getattr(r, "metric_type", "")).lower() == "accuracy":
            return _as_number(getattr(r, "metric_value", None))
    return None


@never_raises
def check_card_data(
    answer,
    accuracy: float | None = None,
    base_model: str = BASE_MODEL,
    dataset: str = DATASET,
    task: str = TASK,
    api=None,
) -> bool:
    """`answer` is a `ModelCardData` for the capstone model: license, base_model, datasets, pipeline_tag, an
    accuracy eval result (equal to `accuracy` when given). Ids are looked up on the hub; the YAML is validated."""
    if is_placeholder(answer):
        return not_started("answer")
    from huggingface_hub import ModelCard, ModelCardData

    if isinstance(answer, Mapping):
        return failed(
            "`answer` is a plain dict; the exercise asks for a `ModelCardData`.",
            "Write `ModelCardData(license=..., base_model=..., ...)`: it checks the fields' shapes and "
            "turns `eval_results` into the card's `model-index`.",
        )
    if not isinstance(answer, ModelCardData):
        return failed(
            f"`answer` should be a ModelCardData, not {type(answer).__name__}.",
            "`from huggingface_hub import ModelCardData`.",
        )
    api = api or _api()

    base_info = api.model_info(base_model)
    base_license = base_info.card_data.get("license") if base_info.card_data is not None else None
    lic = answer.license
    if not lic:
        return failed(
            "`license` is missing: without it nobody knows whether they may use your model.",
            f"A fine-tune keeps its base model's license: read `model_info({base_model!r}).card_data`.",
        )
    if not isinstance(lic, str) or lic != lic.strip().lower() or " " in lic:
        return failed(
            f"`license={lic!r}` is not a license id the Hub knows.",
            "Licenses are lower-case ids such as 'apache-2.0' or 'mit' (no spaces, no 'License' word).",
        )
    if base_license and lic != base_license:
        return failed(
            f"`license={lic!r}`, but the base model {base_model} is {base_license}.",
            "A fine-tune is a derivative of its base model: keep the base model's license.",
        )

    bases = _as_list(answer.base_model)
    if not bases:
        return failed(
            "`base_model` is missing: it links your model to the one you fine-tuned.",
            "Use the full repo id of the model you started from (namespace/name).",
        )
    for b in bases:
        if not isinstance(b, str) or "/" not in b or not _exists(api, b, "model"):
            return failed(
                f"`base_model={b!r}` is not a model on this hub.",
                "Use the full repo id, with its namespace, exactly as you passed it to `from_pretrained`.",
            )
    if base_model not in bases:
        return failed(
            f"{bases[0]} is a model on the hub, but you fine-tuned {base_model}.",
            "Name the model you started from, not the one you compared against.",
        )

    sets = _as_list(answer.datasets)
    if not sets:
        return failed(
            "`datasets` is missing: name the data you trained on.",
            "A list of dataset repo ids, e.g. ['namespace/name'].",
        )
    for d in sets:
        if not isinstance(d, str) or "/" not in d or not _exists(api, d, "dataset"):
            return failed(
                f"`datasets` lists {d!r}, which is not a dataset on this hub.",
                "Use the dataset's full repo id, with its namespace.",
            )
    if dataset not in sets:
        return failed(f"The model was trained on {dataset}, which `datasets` does not list.")

    if not answer.pipeline_tag:
        return failed(
            "`pipeline_tag` is missing: it tells the Hub (and `pipeline()`) which task the model does.",
            "The task name you pass to `pipeline(...)` for this model.",
        )
    if answer.pipeline_tag != task:
        return failed(
            f"`pipeline_tag={answer.pipeline_tag!r}` is not the task of this model.",
            f"It is the task name `pipeline()` understands; for a sentiment classifier, {task!r}.",
        )

    value = _eval_accuracy(answer)
    if value is None:
        return failed(
            "There is no accuracy in `eval_results`.",
            "Add `eval_results=[EvalResult(task_type=..., dataset_type=..., dataset_name=..., "
            "metric_type='accuracy', metric_value=...)]`.",
        )
    if not 0 <= value <= 1:
        return failed(f"The accuracy in `eval_results` is {value}: write it as a fraction between 0 and 1.")
    if accuracy is not None and abs(value - float(accuracy)) > 5e-4:
        return failed(
            f"The card says accuracy {value}, but you measured {float(accuracy):.4f}.",
            "Report the number you measured (rounded to 3 or 4 decimals is fine).",
        )
    for r in _as_list(answer.eval_results):
        if getattr(r, "dataset_type", None) not in sets:
            return failed(
                f"The eval result's `dataset_type` is {getattr(r, 'dataset_type', None)!r}.",
                "It is the repo id of the dataset you evaluated on.",
            )

    card = ModelCard(f"---\n{answer.to_yaml()}\n---\n")
    card.validate()  # the hub's own check of the YAML block; raises ValueError when it refuses it
    return passed(
        f"A card the Hub can use: {lic}, based on {base_model}, trained on {dataset}, task {task}, accuracy {value}."
    )


def _label_of(prediction) -> tuple[str, float | None]:
    """(label, score) from what a text-classification pipeline returns for one text."""
    if isinstance(prediction, list):
        prediction = prediction[0]
    return str(prediction["label"]), _as_number(prediction.get("score"))


@never_raises
def check_fooled(answer, classifier) -> bool:
    """`answer` is (text, true label): a sentence whose true label `classifier` gets wrong."""
    if is_placeholder(answer):
        return not_started("answer")
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return failed(
            "`answer` should be a pair: (your sentence, its true label).",
            'For example `answer = ("Not bad at all.", "POSITIVE")`.',
        )
    text, label = answer
    if not isinstance(text, str) or not text.strip():
        return failed("The first item should be your sentence, a non-empty string.")
    if not isinstance(label, str) or label.strip().upper() not in LABELS:
        return failed(
            f"The second item should be the sentence's true label, {LABELS[0]!r} or {LABELS[1]!r}, not {label!r}."
        )
    label = label.strip().upper()
    if label != answer[1]:
        return failed(f"Write the label exactly as the model does: {label!r}.")
    got, score = _label_of(classifier(text))
    shown = f"{got} ({score:.3f})" if score is not None else got
    if got == label:
        return failed(
            f"Your model gets this one right: {shown}.",
            "Try sarcasm, a double negation, or a review that praises one thing and hates another.",
        )
    return passed(f"Fooled it: the model says {shown} for a {label} sentence.")
