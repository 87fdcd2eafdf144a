"""Self-checks for notebook 06 (Spaces): a Gradio Space's card header, and calling a running app."""
from __future__ import annotations

from . import failed, is_placeholder, never_raises, not_started, passed

SPACE_MODEL = "course/minilm-sentiment"
LABELS = ("POSITIVE", "NEGATIVE")


@never_raises
def check_space_header(answer, model_id: str = SPACE_MODEL) -> bool:
    """`answer`: the YAML header of a README.md that makes a repo a Gradio Space running app.py with `model_id`."""
    if is_placeholder(answer):
        return not_started("header")
    if not isinstance(answer, str):
        return failed(f"`header` should be a string (the top of README.md), not {type(answer).__name__}.")
    text = answer.strip() + "\n"
    if not text.startswith("---"):
        return failed("The header must start with a line of three dashes `---`.",
                      "Write the YAML between two `---` lines, at the very top of the file.")
    from huggingface_hub.repocard import REGEX_YAML_BLOCK

    if not REGEX_YAML_BLOCK.search(text):
        return failed("The header has no closing `---` line.", "End the YAML block with a line `---`.")
    try:
        from huggingface_hub import SpaceCard

        data = SpaceCard(text).data
    except Exception as e:  # YAML syntax errors, a list instead of a mapping...
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        return failed(f"The YAML does not parse: {type(e).__name__}: {first}",
                      "One `key: value` per line; lists as lines starting with `- `.")
    sdk = data.sdk
    if not sdk:
        return failed("There is no `sdk:` key: the Hub would not know how to run this Space.",
                      "Add `sdk: gradio`.")
    if str(sdk) != "gradio":
        hint = "SDK names are lowercase: `sdk: gradio`." if str(sdk).lower() == "gradio" else \
            "This Space is a Gradio app: `sdk: gradio` (the other SDKs are docker and static)."
        return failed(f"`sdk` is {sdk!r}, not 'gradio'.", hint)
    if data.app_file != "app.py":
        what = "missing" if data.app_file is None else repr(data.app_file)
        return failed(f"`app_file` is {what}: the Hub needs to know which file to run.", "Add `app_file: app.py`.")
    if not data.title:
        return failed("There is no `title:`: the Space page shows it as its name.", "Add `title: My sentiment app`.")
    models = data.models
    if isinstance(models, str):
        return failed("`models` is a single string: the Hub expects a list.",
                      f"Write it as a YAML list:\nmodels:\n  - {model_id}")
    if not models or model_id not in models:
        return failed(f"`models` does not list {model_id!r}: the model's page would not link to this Space.",
                      f"Add:\nmodels:\n  - {model_id}")
    from huggingface_hub import HfApi

    api = HfApi()
    for m in models:
        try:
            api.model_info(m)
        except Exception as e:
            return failed(f"`models` lists {m!r}, which the hub does not know ({type(e).__name__}).",
                          "Check the spelling: `namespace/name`, as in the model's URL.")
    return passed(f"A valid Gradio Space header: sdk={sdk}, app_file={data.app_file}, title={data.title!r}, "
                  f"models={list(models)} (found on the hub).")


@never_raises
def check_demo_label(answer, url: str, text: str, api_name: str = "/predict") -> bool:
    """`answer`: the label (a str) that the Gradio app at `url` gives `text`; the check asks the app itself."""
    if is_placeholder(answer):
        return not_started("label")
    try:
        from gradio_client import Client

        result = Client(url, verbose=False).predict(text, api_name=api_name)
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        return failed(f"The check could not call the app at {url}: {type(e).__name__}: {first}",
                      "Is the app still running? Re-run the cell that starts it, then your answer.")
    expected = result.get("label") if isinstance(result, dict) else result
    if isinstance(answer, dict):
        if answer.get("label") == expected:
            return failed("You returned the whole result (a dict with `label` and `confidences`).",
                          "Take only the label: `result['label']`.")
        return failed("You returned a dict; the check wants the label string.", "Use `result['label']`.")
    if not isinstance(answer, str):
        return failed(f"`label` should be a string like 'POSITIVE', not {type(answer).__name__}.",
                      "`client.predict(...)` returns a dict: take `result['label']`.")
    if answer == expected:
        score = next((c["confidence"] for c in result.get("confidences") or [] if c.get("label") == expected), None)
        extra = f" (confidence {score:.3f})" if isinstance(score, (int, float)) else ""
        return passed(f"The app says {expected!r} for this text{extra}.")
    if answer.strip().upper() == str(expected).upper():
        return failed(f"Almost: the app's label is {expected!r}, spelled exactly like that.",
                      "Return the label unchanged, without upper/lower-casing or spaces.")
    if answer in LABELS:
        return failed(f"The app says {expected!r} for this text, not {answer!r}.",
                      "Call the app with the exercise's `text` and return what it answers, not a guess.")
    return failed(f"{answer!r} is not what the app answers ({expected!r}).",
                  f"Call `Client(url).predict(text, api_name={api_name!r})` and take `['label']`.")
