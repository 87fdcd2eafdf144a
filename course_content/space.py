"""Space `hf-hands-on/sentiment-demo`: a Gradio app around `hf-hands-on/minilm-sentiment`."""

from __future__ import annotations

from importlib.metadata import version

from .cards import render_card
from .spec import Commit, RepoSpec

REPO_ID = "hf-hands-on/sentiment-demo"
MODEL_ID = "hf-hands-on/minilm-sentiment"
DATASET_ID = "hf-hands-on/sentiment-snippets"
API_NAME = "/predict"  # gradio_client: Client(url).predict("some text", api_name="/predict")

APP = f'''"""Sentiment demo: type a sentence, get POSITIVE / NEGATIVE with a score from {MODEL_ID}.

Run it locally after cloning: `python app.py` (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT choose the address).
The model is downloaded on the first prediction, from the hub that HF_ENDPOINT points to.
"""
import os
from functools import lru_cache

import gradio as gr
from transformers import pipeline

MODEL_ID = os.environ.get("MODEL_ID", "{MODEL_ID}")

EXAMPLES = [
    "What a wonderful, heart-warming film. I loved every minute of it!",
    "The battery died after two days and support never answered my emails.",
    "The plot is predictable, but the acting is superb.",
]


@lru_cache(maxsize=1)
def get_classifier():
    """The text-classification pipeline, created on first use (nothing is downloaded at import time)."""
    return pipeline("text-classification", model=MODEL_ID)


def predict(text: str) -> dict[str, float]:
    """Score of each label for `text`, e.g. {{"POSITIVE": 0.98, "NEGATIVE": 0.02}}."""
    if not text or not text.strip():
        return {{}}
    scores = get_classifier()(text, top_k=None)
    return {{item["label"]: round(float(item["score"]), 4) for item in scores}}


demo = gr.Interface(
    fn=predict,
    inputs=gr.Textbox(label="Text", lines=3, placeholder="Type a review, a tweet, a headline..."),
    outputs=gr.Label(label="Sentiment", num_top_classes=2),
    examples=EXAMPLES,
    cache_examples=False,
    title="Sentiment demo",
    description="A MiniLM fine-tuned on human-rated snippets ({MODEL_ID}). It always picks POSITIVE or NEGATIVE.",
    flagging_mode="never",
    api_name="{API_NAME.lstrip("/")}",
)

if __name__ == "__main__":
    demo.launch()
'''

REQUIREMENTS = """transformers>=5.20
torch>=2.9
"""


def build() -> RepoSpec:
    """Spec of the Space: README.md (Space card), app.py, requirements.txt."""
    meta = {
        "title": "Sentiment Demo",
        "emoji": "🙂",
        "colorFrom": "blue",
        "colorTo": "green",
        "sdk": "gradio",
        "sdk_version": version("gradio"),
        "app_file": "app.py",
        "pinned": False,
        "license": "apache-2.0",
        "short_description": "POSITIVE or NEGATIVE? A MiniLM sentiment classifier",
        "models": [MODEL_ID],
        "datasets": [DATASET_ID],
    }
    body = f"""# Sentiment demo

A [Gradio](https://gradio.app) app around the `{MODEL_ID}` model: type a sentence and see whether it reads
as POSITIVE or NEGATIVE, with the model's score for each label.

## Run it yourself

```bash
git clone "$HF_ENDPOINT/spaces/{REPO_ID}"   # the hub you are connected to
cd sentiment-demo
pip install gradio=={meta["sdk_version"]} -r requirements.txt
python app.py
```

## Call it from Python

```python
from gradio_client import Client

client = Client("http://127.0.0.1:7860/")
client.predict("I loved it!", api_name="{API_NAME}")
```

## Provenance

- `app.py`, `requirements.txt` and this card are written by the course (`course_content/space.py`);
  the model they load is `{MODEL_ID}`, fine-tuned on `{DATASET_ID}` when the course hub is built.
"""
    files = {
        "README.md": render_card(meta, body),
        "app.py": APP.encode(),
        "requirements.txt": REQUIREMENTS.encode(),
    }
    return RepoSpec(
        repo_type="space", repo_id=REPO_ID, commits=[Commit("Add Gradio sentiment demo", files)], downloads=0, likes=25
    )
