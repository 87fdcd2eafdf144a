"""Self-checks for notebook 06 (Spaces): a Gradio Space's card header, and calling a running app."""

from __future__ import annotations

from course_hub.settings import course_org

from . import failed, is_placeholder, never_raises, not_started, passed

ORG = course_org()  # pyproject.toml's [tool.hf-hands-on] org ("hf-hands-on")

SPACE_MODEL = f"{ORG}/minilm-sentiment"
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
        return failed(
            "The header must start with a line of three dashes `---`.",
            "Write the YAML between two `---` lines, at the very top of the file.",
        )
    from huggingface_hub.repocard import REGEX_YAML_BLOCK

    if not REGEX_YAML_BLOCK.search(text):
        return failed("The header has no closing `---` line.", "End the YAML block with a line `---`.")
    try:
        from huggingface_hub import SpaceCard

        data = SpaceCard(text).data
    except Exception as e:  # YAML syntax errors, a list instead of a mapping...  # noqa: BLE001
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        return failed(
            f"The YAML does not parse: {type(e).__name__}: {first}",
            "One `key: value` per line; lists as lines starting with `- `.",
        )
    sdk = data.sdk
    if not sdk:
        return failed("There is no `sdk:` key: the Hub would not know how to run this Space.", "Add `sdk: gradio`.")
    if str(sdk) != "gradio":
        hint = (
            "SDK names are lowercase: `sdk: gradio`."
            if str(sdk).lower() == "gradio"
            else "This Space is a Gradio app: `sdk: gradio` (the other SDKs are docker and static)."
        )
        return failed(f"`sdk` is {sdk!r}, not 'gradio'.", hint)
    if data.app_file != "app.py":
        what = "missing" if data.app_file is None else repr(data.app_file)
        return failed(f"`app_file` is {what}: the Hub needs to know which file to run.", "Add `app_file: app.py`.")
    if not data.title:
        return failed("There is no `title:`: the Space page shows it as its name.", "Add `title: My sentiment app`.")
    models = data.models
    if isinstance(models, str):
        return failed(
            "`models` is a single string: the Hub expects a list.", f"Write it as a YAML list:\nmodels:\n  - {model_id}"
        )
    if not models or model_id not in models:
        return failed(
            f"`models` does not list {model_id!r}: the model's page would not link to this Space "
            "(huggingface.co may also find the id in app.py; the card is the reliable way).",
            f"Add:\nmodels:\n  - {model_id}",
        )
    from huggingface_hub import HfApi

    api = HfApi()
    for m in models:
        try:
            api.model_info(m)
        except Exception as e:  # noqa: BLE001
            return failed(
                f"`models` lists {m!r}, which the hub does not know ({type(e).__name__}).",
                "Check the spelling: `namespace/name`, as in the model's URL.",
            )
    return passed(
        f"A valid Gradio Space header: sdk={sdk}, app_file={data.app_file}, title={data.title!r}, "
        f"models={list(models)} (found on the hub)."
    )


@never_raises
def check_demo_label(answer, url: str, text: str, api_name: str = "/predict") -> bool:
    """`answer`: the label (a str) that the Gradio app at `url` gives `text`; the check asks the app itself."""
    if is_placeholder(answer):
        return not_started("label")
    try:
        from gradio_client import Client

        result = Client(url, verbose=False).predict(text, api_name=api_name)
    except Exception as e:  # noqa: BLE001
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        return failed(
            f"The check could not call the app at {url}: {type(e).__name__}: {first}",
            "Is the app still running? Re-run the cell that starts it, then your answer.",
        )
    expected = result.get("label") if isinstance(result, dict) else result
    if isinstance(answer, dict):
        if answer.get("label") == expected:
            return failed(
                "You returned the whole result (a dict with `label` and `confidences`).",
                "Take only the label: `result['label']`.",
            )
        return failed("You returned a dict; the check wants the label string.", "Use `result['label']`.")
    if not isinstance(answer, str):
        return failed(
            f"`label` should be a string like 'POSITIVE', not {type(answer).__name__}.",
            "`client.predict(...)` returns a dict: take `result['label']`.",
        )
    if answer == expected:
        score = next((c["confidence"] for c in result.get("confidences") or [] if c.get("label") == expected), None)
        extra = f" (confidence {score:.3f})" if isinstance(score, (int, float)) else ""
        return passed(f"The app says {expected!r} for this text{extra}.")
    if answer.strip().upper() == str(expected).upper():
        return failed(
            f"Almost: the app's label is {expected!r}, spelled exactly like that.",
            "Return the label unchanged, without upper/lower-casing or spaces.",
        )
    if answer in LABELS:
        return failed(
            f"The app says {expected!r} for this text, not {answer!r}.",
            "Call the app with the exercise's `text` and return what it answers, not a guess.",
        )
    return failed(
        f"{answer!r} is not what the app answers ({expected!r}).",
        f"Call `Client(url).predict(text, api_name={api_name!r})` and take `['label']`.",
    )


def _example_count(app) -> int:
    """How many example inputs a Gradio app shows (`gr.Interface(examples=...)` or `gr.Examples` in Blocks)."""
    import gradio as gr

    n = 0
    for block in getattr(app, "blocks", {}).values():
        if isinstance(block, gr.Dataset):  # what gr.Examples (also Interface's examples) renders
            n = max(n, len(block.samples or []))
    return n


@never_raises
def check_two_outputs(app, answer, text: str = "The acting is superb.", api_name: str = "/classify") -> bool:
    """`app`: a launched Gradio app whose `api_name` endpoint returns (sentiment label, number of words) and that
    shows at least two examples; `answer`: what `Client(app.local_url).predict(text, api_name=...)` returned."""
    if is_placeholder(app):
        return not_started("my_app")
    import gradio as gr

    if not isinstance(app, gr.Blocks):
        return failed(
            f"`my_app` should be a Gradio app (gr.Interface or gr.Blocks), not {type(app).__name__}.",
            "Build it with `gr.Interface(fn=..., inputs=..., outputs=[...], examples=[...])`.",
        )
    if not getattr(app, "local_url", None) or not getattr(app, "server", None):
        return failed(
            "`my_app` is not running: the check calls it like any client would.",
            'Start it with `my_app.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1")`.',
        )
    from gradio_client import Client

    client = Client(app.local_url, verbose=False)
    names = list(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    if api_name not in names:
        return failed(
            f"The app has no endpoint {api_name!r} (it has {', '.join(names) or 'none'}).",
            f"Name it: `api_name={api_name.lstrip('/')!r}` in gr.Interface(...) or in .click(...).",
        )
    result = client.predict(text, api_name=api_name)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return failed(
            f"`{api_name}` returns {type(result).__name__} {result!r:.80}: one output, not two.",
            "Give it two outputs, `outputs=[gr.Label(...), gr.Number(...)]`, and let the function "
            "return two values: `return classify(text), len(text.split())`.",
        )
    sentiment, words = result
    label = sentiment.get("label") if isinstance(sentiment, dict) else None
    if label not in LABELS:
        return failed(
            f"The first output is {sentiment!r:.80}, not a sentiment label.",
            "Put the gr.Label first and return `classify(text)` for it.",
        )
    expected_words = len(text.split())
    if not isinstance(words, (int, float)) or words != expected_words:
        return failed(
            f"The second output is {words!r} for {text!r}; it has {expected_words} words.",
            "Count with `len(text.split())` and show it in a gr.Number.",
        )
    examples = _example_count(app)
    if examples < 2:
        return failed(
            f"The app shows {examples} example(s); it should offer at least two.",
            'Pass `examples=["An instant classic.", "The battery died."]` to gr.Interface '
            "(in gr.Blocks: `gr.Examples(examples=[...], inputs=text_box)`).",
        )
    if is_placeholder(answer):
        return not_started("answer")
    if (
        isinstance(answer, (tuple, list))
        and len(answer) == 2
        and isinstance(answer[0], dict)
        and answer[0].get("label") in LABELS
        and isinstance(answer[1], (int, float))
    ):
        return passed(
            f"Your app answers {label!r} and {words:g} words for {text!r}, with {examples} examples; "
            f"your own call returned {answer[0]['label']!r} and {answer[1]:g} words."
        )
    return failed(
        f"`answer` is {answer!r:.80}, not what `Client(...).predict(...)` of your app returns.",
        f'Call `Client(my_app.local_url).predict("some text", api_name={api_name!r})` and keep its '
        "result: a (label dict, number) pair.",
    )
