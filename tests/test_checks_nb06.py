"""Self-checks of notebook 06: right answers pass, typical wrong answers fail with a helpful message, none raises."""

from __future__ import annotations

import os

import pytest

from helpers import gradio_tools
from helpers.checks import nb06

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # gradio must not call home from the tests

# gradio 6.31's queue calls pandas options that pandas 3 deprecates: not ours to fix, keep the report readable
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:gradio.queueing")

GOOD_HEADER = """---
title: My sentiment app
sdk: gradio
app_file: app.py
models:
  - hf-hands-on/minilm-sentiment
---
"""


def run(check, answer, capsys, *args, **kwargs):
    ok = check(answer, *args, **kwargs)
    return ok, capsys.readouterr().out


# --- check_space_header ------------------------------------------------------------------------------------


@pytest.mark.content
def test_header_right(hub, capsys):
    ok, out = run(nb06.check_space_header, GOOD_HEADER, capsys)
    assert ok and out.startswith("✅") and "found on the hub" in out, out


@pytest.mark.content
def test_header_right_with_more_fields_and_no_final_newline(hub, capsys):
    header = (
        "---\ntitle: My sentiment app\nemoji: 🙂\nsdk: gradio\nsdk_version: 6.0.0\napp_file: app.py\n"
        "models: [hf-hands-on/minilm-sentiment, sentence-transformers/all-MiniLM-L6-v2]\n---"
    )
    ok, out = run(nb06.check_space_header, header, capsys)
    assert ok and out.startswith("✅"), out


@pytest.mark.content
def test_header_model_not_on_the_hub(hub, capsys):
    header = GOOD_HEADER.replace(
        "  - hf-hands-on/minilm-sentiment", "  - hf-hands-on/minilm-sentiment\n  - hf-hands-on/nope"
    )
    ok, out = run(nb06.check_space_header, header, capsys)
    assert not ok and "hf-hands-on/nope" in out and "Hint:" in out, out


def test_header_placeholder(capsys):
    ok, out = run(nb06.check_space_header, ..., capsys)
    assert not ok and out.startswith("⏳"), out


@pytest.mark.parametrize(
    "answer, expected",
    [
        ({"sdk": "gradio"}, "should be a string"),
        ("title: x\nsdk: gradio\napp_file: app.py\n", "three dashes"),
        ("---\ntitle: x\nsdk: gradio\napp_file: app.py\n", "closing"),
        ("---\nsdk: [gradio\n---\n", "does not parse"),
        ("---\n- sdk\n- gradio\n---\n", "does not parse"),
        ("---\ntitle: x\napp_file: app.py\n---\n", "no `sdk:`"),
        ("---\ntitle: x\nsdk: Gradio\napp_file: app.py\n---\n", "lowercase"),
        ("---\ntitle: x\nsdk: docker\napp_file: app.py\n---\n", "not 'gradio'"),
        ("---\ntitle: x\nsdk: gradio\n---\n", "`app_file` is missing"),
        ("---\ntitle: x\nsdk: gradio\napp_file: main.py\n---\n", "'main.py'"),
        ("---\nsdk: gradio\napp_file: app.py\nmodels:\n  - hf-hands-on/minilm-sentiment\n---\n", "no `title:`"),
        ("---\ntitle: x\nsdk: gradio\napp_file: app.py\nmodels: hf-hands-on/minilm-sentiment\n---\n", "single string"),
        ("---\ntitle: x\nsdk: gradio\napp_file: app.py\n---\n", "does not list"),
        ("---\ntitle: x\nsdk: gradio\napp_file: app.py\nmodels:\n  - hf-hands-on/other\n---\n", "does not list"),
    ],
)
def test_header_wrong(capsys, answer, expected):
    ok, out = run(nb06.check_space_header, answer, capsys)
    assert not ok and out.startswith("❌") and expected in out, out


# --- check_demo_label: against a small Gradio app started for these tests -----------------------------------


def fake_sentiment(text: str) -> dict[str, float]:
    if "superb" in text:
        return {"POSITIVE": 0.9, "NEGATIVE": 0.1}
    return {"POSITIVE": 0.2, "NEGATIVE": 0.8}


@pytest.fixture(scope="module")
def app_url():
    import gradio as gr

    demo = gr.Interface(
        fn=fake_sentiment,
        inputs=gr.Textbox(label="Text"),
        outputs=gr.Label(label="Sentiment"),
        flagging_mode="never",
        api_name="predict",
    )
    demo.launch(
        prevent_thread_lock=True,
        inline=False,
        quiet=True,
        server_name="127.0.0.1",
        server_port=gradio_tools.free_port(),
    )
    try:
        yield gradio_tools.wait_until_up(demo.local_url, timeout=30)
    finally:
        demo.close(verbose=False)


TEXT = "The plot is predictable, but the acting is superb."


def test_label_right(app_url, capsys):
    ok, out = run(nb06.check_demo_label, "POSITIVE", capsys, app_url, TEXT)
    assert ok and out.startswith("✅") and "0.900" in out, out


def test_label_other_text(app_url, capsys):
    ok, out = run(nb06.check_demo_label, "NEGATIVE", capsys, app_url, "Dull and far too long.")
    assert ok and out.startswith("✅"), out


@pytest.mark.parametrize(
    "answer, expected",
    [
        ({"label": "POSITIVE", "confidences": []}, "whole result"),
        ({"label": "NEGATIVE"}, "a dict"),
        ("positive", "spelled exactly"),
        ("NEGATIVE", "not 'NEGATIVE'"),
        ("neutral", "not what the app answers"),
        (1, "should be a string"),
    ],
)
def test_label_wrong(app_url, capsys, answer, expected):
    ok, out = run(nb06.check_demo_label, answer, capsys, app_url, TEXT)
    assert not ok and out.startswith("❌") and expected in out and "Hint:" in out, out


def test_label_placeholder(capsys):
    ok, out = run(nb06.check_demo_label, ..., capsys, "http://127.0.0.1:9/", TEXT)
    assert not ok and out.startswith("⏳"), out


def test_label_app_not_running(capsys):
    url = f"http://127.0.0.1:{gradio_tools.free_port()}/"
    ok, out = run(nb06.check_demo_label, "POSITIVE", capsys, url, TEXT)
    assert not ok and "could not call the app" in out and "still running" in out, out


# --- helpers.gradio_tools ---------------------------------------------------------------------------------


def test_wait_until_up_reports_an_app_that_exits(tmp_path):
    import subprocess
    import sys

    log = tmp_path / "app.log"
    with open(log, "w") as f:
        proc = subprocess.Popen(
            [sys.executable, "-c", "print('boom'); raise SystemExit(3)"], stdout=f, stderr=subprocess.STDOUT
        )
    with pytest.raises(RuntimeError, match="exited with code 3") as info:
        gradio_tools.wait_until_up(f"http://127.0.0.1:{gradio_tools.free_port()}/", proc, timeout=20, log=log)
    assert "boom" in str(info.value)
    assert gradio_tools.stop(proc) == 3


# --- check_two_outputs: the build exercise (a real Gradio app on a free port, no model needed) ---------------


def fake_classify(text):
    return {"POSITIVE": 0.9, "NEGATIVE": 0.1}


@pytest.fixture
def launched():
    """Launch Gradio apps for a test and close them all after it."""
    apps = []

    def launch(app):
        app.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", inline=False)
        apps.append(app)
        return app

    yield launch
    for app in apps:
        app.close(verbose=False)


def two_output_app(examples=("An instant classic.", "The battery died."), api_name="classify"):
    import gradio as gr

    return gr.Interface(
        fn=lambda text: (fake_classify(text), len(text.split())),
        inputs=gr.Textbox(label="Text"),
        outputs=[gr.Label(label="Sentiment"), gr.Number(label="Words")],
        examples=list(examples) or None,
        api_name=api_name,
    )


def test_two_outputs_right(launched, capsys):
    from gradio_client import Client

    app = launched(two_output_app())
    answer = Client(app.local_url, verbose=False).predict("Good.", api_name="/classify")
    ok, out = run(nb06.check_two_outputs, app, capsys, answer)
    assert ok and out.startswith("✅") and "2 examples" in out, out


def test_two_outputs_blocks_with_gr_examples_right(launched, capsys):
    import gradio as gr

    with gr.Blocks() as app:
        box = gr.Textbox()
        label, number = gr.Label(), gr.Number()
        gr.Examples(examples=["Great.", "Bad.", "Fine."], inputs=box)
        gr.Button().click(lambda t: (fake_classify(t), len(t.split())), box, [label, number], api_name="classify")
    launched(app)
    ok, out = run(nb06.check_two_outputs, app, capsys, ({"label": "POSITIVE", "confidences": []}, 1))
    assert ok and "3 examples" in out, out


def test_two_outputs_placeholder_and_not_launched(capsys):
    ok, out = run(nb06.check_two_outputs, ..., capsys, ...)
    assert not ok and "⏳" in out
    ok, out = run(nb06.check_two_outputs, two_output_app(), capsys, ...)
    assert not ok and "not running" in out and "launch(" in out


def test_two_outputs_one_output_fails(launched, capsys):
    import gradio as gr

    app = launched(
        gr.Interface(fn=fake_classify, inputs="text", outputs=gr.Label(), examples=["A.", "B."], api_name="classify")
    )
    ok, out = run(nb06.check_two_outputs, app, capsys, ...)
    assert not ok and "one output, not two" in out, out


def test_two_outputs_wrong_count_and_missing_examples_fail(launched, capsys):
    import gradio as gr

    app = launched(
        gr.Interface(
            fn=lambda t: (fake_classify(t), len(t)),
            inputs="text",
            outputs=[gr.Label(), gr.Number()],
            examples=["A.", "B."],
            api_name="classify",
        )
    )
    ok, out = run(nb06.check_two_outputs, app, capsys, ...)
    assert not ok and "len(text.split())" in out, out
    app2 = launched(two_output_app(examples=()))
    ok, out = run(nb06.check_two_outputs, app2, capsys, ...)
    assert not ok and "at least two" in out, out


def test_two_outputs_wrong_endpoint_name_and_bad_answer(launched, capsys):
    app = launched(two_output_app(api_name="predict"))
    ok, out = run(nb06.check_two_outputs, app, capsys, ...)
    assert not ok and "api_name='classify'" in out, out
    app2 = launched(two_output_app())
    ok, out = run(nb06.check_two_outputs, app2, capsys, "POSITIVE")
    assert not ok and "predict(" in out, out


def test_two_outputs_not_an_app(capsys):
    ok, out = run(nb06.check_two_outputs, "app.py", capsys, ...)
    assert not ok and "gr.Interface" in out
