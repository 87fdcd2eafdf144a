"""Batched inference on the course hub (course_hub/inference/batching.py) with the real clients: generations that
run together give what each gives alone (greedy, or seeded), each with its own settings, stop strings, limits and
cancellation; classification and embedding requests that arrive together give what each gives alone.

Requests start a little apart, so that each joins a batch already under way (prompts of other lengths: the padding,
attention mask and position ids must keep every row as it is alone). The worker's log says when a request joined a
batch, so a run where nothing overlapped fails instead of passing unchecked.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from course_hub import HubDir
from course_hub.settings import course_org

# a worker loading models: not in `make check`; the tests read the worker's log, so they run serial
pytestmark = [pytest.mark.slow, pytest.mark.serial]

SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
CLASSIFIER = f"{course_org()}/minilm-sentiment"
LONG = 600


@pytest.fixture(scope="module")
def hub_built(hub):
    if not hub.built:
        pytest.skip("the course hub is not built (make hub)")
    return hub


def worker_log(hub) -> str:
    log = HubDir(hub.dir).logs_dir / "inference-worker.log"
    return log.read_text(errors="replace") if log.exists() else ""


def chat(url: str, token: str, prompt: str, hang_up_after: int | None = None, **settings) -> dict:
    """One streamed chat completion with the `openai` client: its text, finish reason and content chunks."""
    from openai import OpenAI

    client = OpenAI(base_url=f"{url}/v1", api_key=token, timeout=LONG, max_retries=0)
    settings.setdefault("temperature", 0)
    stream = client.chat.completions.create(
        model=SMOL, messages=[{"role": "user", "content": prompt}], stream=True, **settings
    )
    text, finish, chunks = "", None, 0
    for chunk in stream:
        if not chunk.choices:
            continue
        if chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
            chunks += 1
            if hang_up_after is not None and chunks >= hang_up_after:
                stream.close()
                break
        finish = chunk.choices[0].finish_reason or finish
    return {"text": text, "finish": finish, "chunks": chunks}


@pytest.fixture(scope="module")
def warm(hub_built):
    """The worker started and SmolLM2 loaded (a cold start on a busy machine may pass the hub's 120 s per request:
    the load goes on in the worker, and a retry finds the model there)."""
    from openai import APIError

    for attempt in range(3):
        try:
            return chat(hub_built.url, hub_built.token("alice"), "Hi", max_tokens=1)
        except APIError:
            if attempt == 2:
                raise


def together(calls: list, gap: float = 0.4) -> list:
    """Run the calls at once, each `gap` seconds after the one before (so that each joins the others mid-way)."""
    out: list = [None] * len(calls)

    def run(i: int) -> None:
        time.sleep(i * gap)
        try:
            out[i] = calls[i]()
        except Exception as e:  # noqa: BLE001  (raised below, in the test's thread)
            out[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in out:
        if isinstance(r, Exception):
            raise r
    return out


def joined(log_before: str, log_after: str) -> int:
    """The largest batch a request joined between the two reads of the worker's log."""
    new = log_after[len(log_before) :]
    sizes = [int(line.split(": ")[1].split()[0]) for line in new.splitlines() if "joined a batch" in line]
    return max(sizes, default=1)


def test_concurrent_streams_with_their_own_settings_give_what_each_gives_alone(hub_built, warm):
    url, token = hub_built.url, hub_built.token("alice")
    requests = [
        dict(prompt="What is the capital of France?", max_tokens=40),
        dict(prompt="Write a haiku about the sea.", max_tokens=24),
        dict(prompt="Explain what a neural network is in two sentences, for a child.", max_tokens=48),
        dict(prompt="Give me three tips to learn Python.", max_tokens=32, temperature=0.9, top_p=0.9, seed=7),
        dict(prompt="Hi!", max_tokens=36),
    ]
    alone = [chat(url, token, **r) for r in requests]
    before = worker_log(hub_built)
    both = together([lambda r=r: chat(url, token, **r) for r in requests])
    assert joined(before, worker_log(hub_built)) >= 3, "the requests never ran in one batch"
    assert [b["text"] for b in both] == [a["text"] for a in alone]
    assert [b["finish"] for b in both] == [a["finish"] for a in alone]
    assert all(a["text"] for a in alone)
    assert "Paris" in alone[0]["text"]
    # the seeded, sampled request is not the greedy one
    assert chat(url, token, requests[3]["prompt"], max_tokens=32)["text"] != alone[3]["text"]


def test_stop_strings_and_max_tokens_are_per_request_in_a_batch(hub_built, warm):
    from huggingface_hub import InferenceClient

    url, token = hub_built.url, hub_built.token("alice")
    tg = InferenceClient(model=f"{url}/models/{SMOL}", token=token, timeout=LONG)

    def stopped():
        out = tg.text_generation("The capital of France is", max_new_tokens=40, stop=["."], details=True)
        return out.generated_text, out.details.finish_reason

    def short():
        out = InferenceClient(base_url=f"{url}/v1", token=token, timeout=LONG).chat_completion(
            [{"role": "user", "content": "Count from one to twenty."}], model=SMOL, max_tokens=5, temperature=0
        )
        return out.choices[0].message.content, out.choices[0].finish_reason, out.usage.completion_tokens

    def long():
        return chat(url, token, "Write a short story about a dragon.", max_tokens=48)["text"]

    alone = [long(), stopped(), short()]
    before = worker_log(hub_built)
    both = together([long, stopped, short], gap=0.3)
    assert joined(before, worker_log(hub_built)) >= 2, "the requests never ran in one batch"
    assert both == alone
    text, reason = both[1]
    assert reason == "stop_sequence" and text.endswith(".") and text.count(".") == 1
    assert both[2][1] == "length" and both[2][2] == 5
    assert len(both[0]) > len(both[2][0])


def test_cancelling_one_stream_leaves_the_others_intact(hub_built, warm):
    url, token = hub_built.url, hub_built.token("alice")
    prompts = ["Write a long story about a dragon.", "Count from one to one hundred.", "Describe Paris in detail."]
    alone = [chat(url, token, p, max_tokens=40)["text"] for p in prompts[:2]]
    before = worker_log(hub_built)
    both = together(
        [
            lambda: chat(url, token, prompts[0], max_tokens=40),
            lambda: chat(url, token, prompts[2], max_tokens=200, hang_up_after=3),  # hangs up mid-way
            lambda: chat(url, token, prompts[1], max_tokens=40),
        ],
        gap=0.3,
    )
    assert both[1]["chunks"] == 3
    assert [both[0]["text"], both[2]["text"]] == alone
    end = time.monotonic() + 60  # the hub notices the hang-up and cancels the job
    while worker_log(hub_built)[len(before) :].count("cancelled job") < 1:
        assert time.monotonic() < end, "the worker did not cancel the abandoned generation"
        time.sleep(0.2)
    after = worker_log(hub_built)
    assert joined(before, after) >= 2, "the streams never ran in one batch"
    cancelled = [line for line in after[len(before) :].splitlines() if "cancelled job" in line]
    assert int(cancelled[-1].split(" after ")[1].split()[0]) < 200


def test_embeddings_and_classification_batched_match_each_alone(hub_built, warm):
    from huggingface_hub import InferenceClient

    url, token = hub_built.url, hub_built.token("alice")
    emb = InferenceClient(model=f"{url}/models/{MINILM}", token=token, timeout=LONG)
    cls = InferenceClient(model=f"{url}/models/{CLASSIFIER}", token=token, timeout=LONG)
    sentences = [  # of other lengths: padded in one batch
        "Stocks fell sharply today after the announcement of new tariffs on imported steel and aluminium.",
        "Awful.",
        "I loved every minute of this film, the actors were wonderful.",
    ]
    alone_vecs = [emb.feature_extraction(s) for s in sentences]
    alone_sims = emb.sentence_similarity(sentences[0], other_sentences=sentences[1:])
    alone_labels = [cls.text_classification(s) for s in sentences]

    # 7 requests and the generation: within the hub's queue of 8 in flight (Settings.inference_queue)
    calls = [lambda s=s: emb.feature_extraction(s) for s in sentences]
    calls += [lambda s=s: cls.text_classification(s) for s in sentences]
    calls.append(lambda: emb.sentence_similarity(sentences[0], other_sentences=sentences[1:]))
    for _ in range(5):  # until requests arrived while the worker was busy and ran as one batch (almost always once)
        before = worker_log(hub_built)
        busy = threading.Thread(target=chat, args=(url, token, "Tell me about the sea."), kwargs={"max_tokens": 40})
        busy.start()
        time.sleep(1.0)
        got = together(calls, gap=0)
        busy.join()
        new = worker_log(hub_built)[len(before) :]
        if "embed requests in one batch" in new and "text-classification requests in one batch" in new:
            break
    else:
        pytest.fail("the embedding and classification requests never ran as one batch")
    vecs, labels, sims = got[: len(sentences)], got[len(sentences) : -1], got[-1]
    for a, b in zip(alone_vecs, vecs, strict=True):
        assert a.shape == b.shape == (384,)
        assert np.allclose(a, b, atol=1e-5)
    assert np.allclose(sims, alone_sims, atol=1e-5)
    for a, b in zip(alone_labels, labels, strict=True):
        assert [x.label for x in a] == [x.label for x in b]
        assert np.allclose([x.score for x in a], [x.score for x in b], atol=1e-5)
