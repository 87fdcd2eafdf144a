"""Inference on the course hub (course_hub/inference) with the real clients: huggingface_hub's InferenceClient,
the openai package, LangChain's HuggingFaceEndpoint / ChatHuggingFace; access as for downloads; hostile payloads;
the worker process's life (crash -> 503 and a restart, stopped with the hub whichever way the hub stops).

Generation is greedy (or seeded) and short: SmolLM2 makes ~10-20 tokens/s on two shared cores.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from conftest import ROOT, copy_hub, start_server, stop_server

from course_hub import HubDir, server

# a hub of its own and an inference worker loading models: not in `make check`; the worker's life (crash, stop,
# queue, idle timer, disconnects) is timed and runs serial
pytestmark = pytest.mark.slow

CLASSIFIER = "hf-hands-on/minilm-sentiment"
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"
GATED = "hf-hands-on/gated-sentiment"
PRIVATE = "alice/private-notes"
FRANCE = [{"role": "user", "content": "What is the capital of France?"}]
LONG = 600  # seconds: a cold worker on a busy machine (torch import + model load) is slow, never that slow


@pytest.fixture(scope="module")
def hub_built(hub):
    if not hub.built:
        pytest.skip("the course hub is not built (make hub)")
    return hub


def client(url: str, token: str | None = None, **kw):
    from huggingface_hub import InferenceClient

    return InferenceClient(model=url, token=token, timeout=LONG, **kw)


def worker_pid(hub_dir) -> int | None:
    try:
        pid = int((HubDir(hub_dir).inference_dir / "worker.pid").read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def gone(pid: int, timeout: float = 15) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/stat") as f:  # a zombie is gone too
                if f.read().split(") ", 1)[1].startswith("Z"):
                    return True
        except (OSError, IndexError):
            return True
        time.sleep(0.1)
    return False


# --- the task API with InferenceClient -------------------------------------------------------------------------
def test_text_classification_matches_a_local_pipeline(hub_built):
    from transformers import pipeline

    c = client(f"{hub_built.url}/models/{CLASSIFIER}")
    got = c.text_classification("I love this course, it is wonderful")
    assert [x.label for x in got] == ["POSITIVE", "NEGATIVE"]
    assert abs(sum(x.score for x in got) - 1) < 1e-5
    top = c.text_classification("This was a terrible, boring waste of time", top_k=1)
    assert len(top) == 1 and top[0].label == "NEGATIVE"
    raw = c.text_classification("I love this course, it is wonderful", function_to_apply="none")
    assert raw[0].score > 1  # logits
    # the same scores as transformers' pipeline on the same model, downloaded from the same hub
    local = pipeline("text-classification", model=CLASSIFIER, top_k=None)("I love this course, it is wonderful")
    local = local[0] if isinstance(local[0], list) else local
    assert {x["label"]: round(x["score"], 4) for x in local} == {x.label: round(x.score, 4) for x in got}


def test_hf_inference_prefix_and_batch(hub_built):
    r = httpx.post(
        f"{hub_built.url}/hf-inference/models/{CLASSIFIER}",
        timeout=LONG,
        json={"inputs": ["great", "awful"], "parameters": {"top_k": 1}},
    )
    assert r.status_code == 200, r.text
    assert [row[0]["label"] for row in r.json()] == ["POSITIVE", "NEGATIVE"]


def test_feature_extraction_and_sentence_similarity(hub_built):
    c = client(f"{hub_built.url}/models/{MINILM}")
    one = c.feature_extraction("A cat sits on the mat")
    assert one.shape == (384,) and abs(np.linalg.norm(one) - 1) < 1e-4
    many = c.feature_extraction(["A cat sits on the mat", "A kitten rests on a rug", "Stocks fell today"])
    assert many.shape == (3, 384) and np.allclose(many[0], one, atol=1e-5)
    sims = c.sentence_similarity(
        "A cat sits on the mat", other_sentences=["A kitten rests on a rug", "Stocks fell today"]
    )
    assert len(sims) == 2 and sims[0] > sims[1]
    assert np.allclose(sims, many[1:] @ many[0], atol=1e-4)  # cosine of the same embeddings


def test_text_generation_greedy_stream_and_details(hub_built):
    c = client(f"{hub_built.url}/models/{SMOL}")
    text = c.text_generation("The capital of France is", max_new_tokens=6)
    assert text.startswith(" Paris")
    assert (
        c.text_generation("The capital of France is", max_new_tokens=6, return_full_text=True)
        == "The capital of France is" + text
    )
    streamed = list(c.text_generation("The capital of France is", max_new_tokens=6, stream=True))
    assert "".join(streamed) == text
    out = c.text_generation("The capital of France is", max_new_tokens=6, details=True)
    assert out.generated_text == text and out.details.finish_reason == "length"
    assert out.details.generated_tokens == 6
    stopped = c.text_generation("The capital of France is", max_new_tokens=6, stop=["."])
    assert stopped == " Paris."
    sampled = [
        c.text_generation("Once upon a time", max_new_tokens=5, do_sample=True, temperature=0.9, seed=7)
        for _ in range(2)
    ]
    assert sampled[0] == sampled[1]  # seeded


def test_image_classification_if_the_hub_has_such_a_model(hub_built):
    import io

    from huggingface_hub import HfApi
    from PIL import Image

    models = [
        m.id
        for m in HfApi(endpoint=hub_built.url).list_models(pipeline_tag="image-classification")
        if not m.private and not m.gated
    ]
    if not models:
        pytest.skip("no image-classification model on this hub")
    image = Image.new("L", (8, 8), 0)
    for y in range(1, 7):  # a vertical stroke: something like a 1
        image.putpixel((4, y), 255)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    got = client(f"{hub_built.url}/models/{models[0]}").image_classification(buf.getvalue(), top_k=3)
    assert 1 <= len(got) <= 3 and all(0 <= x.score <= 1 for x in got)
    assert got == sorted(got, key=lambda x: -x.score)
    bad = httpx.post(
        f"{hub_built.url}/models/{models[0]}",
        content=b"not an image",
        headers={"Content-Type": "image/png"},
        timeout=LONG,
    )
    assert bad.status_code == 400, bad.text


# --- chat completions ------------------------------------------------------------------------------------------
def test_chat_completion_base_url_and_stream(hub_built):
    c = client(None, base_url=f"{hub_built.url}/v1")
    out = c.chat_completion(FRANCE, model=SMOL, max_tokens=12)
    answer = out.choices[0].message.content
    assert "Paris" in answer and out.model == SMOL
    assert out.usage.completion_tokens <= 12 and out.usage.prompt_tokens > 5
    chunks = list(c.chat_completion(FRANCE, model=SMOL, max_tokens=12, stream=True))
    assert "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices) == answer
    assert chunks[-1].choices[0].finish_reason in ("stop", "length")
    # no model named: InferenceClient sends "dummy", the hub uses its default chat model (SmolLM2)
    assert c.chat_completion(FRANCE, max_tokens=12).choices[0].message.content == answer


def test_chat_with_a_system_prompt_answers_like_the_local_model(hub_built):
    """The hub's answer is the kernel's: same weights, same dtype (float32), same chat template. (In bfloat16 the
    135M model answers this in French nonsense.)"""
    from transformers import pipeline

    messages = [{"role": "system", "content": "You are a concise assistant."}, *FRANCE]
    hub_answer = (
        client(None, base_url=f"{hub_built.url}/v1")
        .chat_completion(messages, model=SMOL, max_tokens=16)
        .choices[0]
        .message.content
    )
    local = pipeline("text-generation", model=SMOL, device="cpu", dtype="float32")
    local_answer = local(messages, max_new_tokens=16, do_sample=False)[0]["generated_text"][-1]["content"]
    assert "Paris" in hub_answer and hub_answer.strip() == local_answer.strip()


def test_chat_completion_on_a_model_url(hub_built):
    c = client(f"{hub_built.url}/models/{SMOL}")
    out = c.chat_completion(FRANCE, max_tokens=12)
    assert "Paris" in out.choices[0].message.content


def test_openai_client(hub_built):
    from openai import OpenAI

    o = OpenAI(base_url=f"{hub_built.url}/v1", api_key=hub_built.token("alice"), timeout=LONG, max_retries=0)
    assert SMOL in [m.id for m in o.models.list()]
    r = o.chat.completions.create(model=SMOL, messages=FRANCE, max_tokens=12, temperature=0, seed=0)
    answer = r.choices[0].message.content
    assert "Paris" in answer and r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    stream = o.chat.completions.create(
        model=SMOL, messages=FRANCE, max_tokens=12, temperature=0, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices) == answer
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == r.usage.completion_tokens
    r2 = o.chat.completions.create(model=SMOL, messages=FRANCE, max_tokens=12, stop=["Paris"])
    assert "Paris" not in r2.choices[0].message.content and r2.choices[0].finish_reason == "stop"


def test_langchain_endpoint_and_chat(hub_built):
    from langchain_huggingface import ChatHuggingFace, HuggingFaceEndpoint

    llm = HuggingFaceEndpoint(
        endpoint_url=f"{hub_built.url}/models/{SMOL}",
        max_new_tokens=6,
        temperature=None,
        top_p=None,
        typical_p=None,
        timeout=LONG,
    )
    assert llm.invoke("The capital of France is").startswith(" Paris")
    chat = ChatHuggingFace(llm=llm)
    assert "Paris" in chat.invoke("What is the capital of France?").content


# --- access: the rules of downloads --------------------------------------------------------------------------------
def test_gated_and_private_models_refuse_as_downloads_do(hub_built):
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    url = f"{hub_built.url}/models/{GATED}"
    with pytest.raises(GatedRepoError) as e:
        client(url).text_classification("hi")
    assert e.value.response.status_code == 401
    with pytest.raises(GatedRepoError) as e:
        client(url, token=hub_built.token("bob")).text_classification("hi")
    assert e.value.response.status_code == 403
    with pytest.raises(RepositoryNotFoundError) as e:
        client(f"{hub_built.url}/models/{PRIVATE}", token=hub_built.token("bob")).text_classification("hi")
    assert e.value.response.status_code == 404
    with pytest.raises(GatedRepoError):
        client(None, base_url=f"{hub_built.url}/v1", token=hub_built.token("bob")).chat_completion(
            FRANCE, model=GATED, max_tokens=2
        )
    # a member of the org runs it (the owner's access, as for downloads)
    store = hub_built.store()
    store.add_member("hf-hands-on", "carol-inference", "read")
    token = store.create_token("carol-inference", "read")
    assert client(url, token=token).text_classification("great")[0].label == "POSITIVE"
    # the owner sees her private repo: it has no pipeline_tag, so the answer names the tasks the hub runs
    r = httpx.post(
        f"{hub_built.url}/models/{PRIVATE}",
        json={"inputs": "x"},
        headers={"Authorization": f"Bearer {hub_built.token('alice')}"},
    )
    assert r.status_code == 400 and "text-classification" in r.json()["error"]


# --- hostile payloads ----------------------------------------------------------------------------------------------
def _hostile(url: str) -> list[tuple[str, str, bytes, dict]]:
    j = {"Content-Type": "application/json"}
    chat = "/v1/chat/completions"
    cls = f"/models/{CLASSIFIER}"
    gen = f"/models/{SMOL}"
    return [
        ("bad utf-8", cls, b'{"inputs": "\xff\xfe\xfd"}', j),
        ("lone surrogate", cls, b'{"inputs": "\\ud800"}', j),
        ("NaN", gen, b'{"inputs": "x", "parameters": {"temperature": NaN}}', j),
        ("deep nesting", cls, b'{"inputs": ' + b"[" * 100000 + b"]" * 100000 + b"}", j),
        ("huge body", cls, b'{"inputs": "' + b"a" * (2 * 1024 * 1024) + b'"}', j),
        ("long text", cls, json.dumps({"inputs": "word " * 10000}).encode(), j),
        ("many inputs", cls, json.dumps({"inputs": ["a"] * 1000}).encode(), j),
        ("array body", cls, b"[1, 2, 3]", j),
        ("empty body", cls, b"", j),
        ("number inputs", cls, b'{"inputs": 42}', j),
        ("empty inputs", cls, b'{"inputs": ""}', j),
        ("NUL", cls, b'{"inputs": "a\\u0000b"}', j),
        ("bad top_k", cls, b'{"inputs": "x", "parameters": {"top_k": -1}}', j),
        ("bad function", cls, b'{"inputs": "x", "parameters": {"function_to_apply": "exp"}}', j),
        ("unknown param", cls, b'{"inputs": "x", "parameters": {"evil": 1}}', j),
        ("similarity shape", f"/models/{MINILM}", b'{"inputs": {"source_sentence": 1, "sentences": "x"}}', j),
        ("list prompt", gen, b'{"inputs": ["a", "b"]}', j),
        ("too many tokens", gen, b'{"inputs": "x", "parameters": {"max_new_tokens": 1000000000}}', j),
        ("bool tokens", gen, b'{"inputs": "x", "parameters": {"max_new_tokens": true}}', j),
        ("grammar", gen, b'{"inputs": "x", "parameters": {"grammar": {"type": "json"}}}', j),
        ("stop list", gen, json.dumps({"inputs": "x", "parameters": {"stop": ["a"] * 1000}}).encode(), j),
        ("negative seed", gen, b'{"inputs": "x", "parameters": {"seed": -5}}', j),
        ("wrong task", f"/models/{CLASSIFIER}/pipeline/text-generation", b'{"inputs": "x"}', j),
        ("no messages", chat, b'{"model": "' + SMOL.encode() + b'"}', j),
        ("messages not list", chat, b'{"messages": "hi"}', j),
        ("bad role", chat, b'{"messages": [{"role": "root", "content": "hi"}]}', j),
        ("content object", chat, b'{"messages": [{"role": "user", "content": {"a": 1}}]}', j),
        ("image part", chat, b'{"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}', j),
        ("tools", chat, b'{"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function"}]}', j),
        ("n=3", chat, b'{"messages": [{"role": "user", "content": "hi"}], "n": 3}', j),
        ("max_tokens huge", chat, b'{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 99999999}', j),
        ("temperature str", chat, b'{"messages": [{"role": "user", "content": "hi"}], "temperature": "hot"}', j),
        ("model traversal", chat, b'{"model": "../../etc/passwd", "messages": [{"role": "user", "content": "h"}]}', j),
        (
            "model not chat",
            chat,
            b'{"model": "' + CLASSIFIER.encode() + b'", "messages": [{"role": "user", "content": "h"}]}',
            j,
        ),
        ("model object", chat, b'{"model": {"x": 1}, "messages": [{"role": "user", "content": "h"}]}', j),
        ("unknown model", chat, b'{"model": "nobody/nothing", "messages": [{"role": "user", "content": "h"}]}', j),
        ("unknown field", chat, b'{"messages": [{"role": "user", "content": "h"}], "evil": true}', j),
        ("form body", cls, b"inputs=hello", {"Content-Type": "application/x-www-form-urlencoded"}),
    ]


def test_hostile_payloads_get_4xx_and_downloads_keep_working(hub_built, tmp_path):
    from huggingface_hub import hf_hub_download

    answers = {}
    with httpx.Client(timeout=LONG) as h:
        for name, path, body, headers in _hostile(hub_built.url):
            r = h.post(hub_built.url + path, content=body, headers=headers)
            answers[name] = r.status_code
            assert 400 <= r.status_code < 500, (name, r.status_code, r.text[:300])
            assert r.json().get("error"), name
        # the refusal of an unknown TGI parameter is the message InferenceClient understands
        r = h.post(f"{hub_built.url}/models/{SMOL}", json={"inputs": "x", "parameters": {"grammar": {}}})
        assert "The following `model_kwargs` are not used by the model: ['grammar']" in r.json()["error"]
        assert h.get(f"{hub_built.url}/api/health").status_code == 200
    assert answers["huge body"] == 413 and answers["long text"] == 413
    path = hf_hub_download(CLASSIFIER, "config.json", cache_dir=tmp_path)
    assert json.loads(Path(path).read_text())["id2label"]


@pytest.mark.serial
def test_stream_client_that_disconnects_stops_the_generation(hub_built):
    log = HubDir(hub_built.dir).logs_dir / "inference-worker.log"
    before = log.read_text(errors="replace").count("cancelled job") if log.exists() else 0
    body = {
        "model": SMOL,
        "messages": [{"role": "user", "content": "Write a very long story about a dragon."}],
        "max_tokens": 500,
        "stream": True,
    }
    with httpx.Client(timeout=LONG) as h:
        with h.stream("POST", f"{hub_built.url}/v1/chat/completions", json=body) as r:
            assert r.status_code == 200
            for line in r.iter_lines():
                if line.startswith("data:") and '"content": ""' not in line:
                    break  # hang up after the first token (the first event, the role, comes before any)
    # the server noticed, cancelled the job; the worker logs it (before its 500th token)
    end = time.monotonic() + 60
    while time.monotonic() < end:
        text = log.read_text(errors="replace") if log.exists() else ""
        if text.count("cancelled job") > before:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the worker did not cancel the abandoned generation")
    cancelled = [int(line.split(" after ")[1].split()[0]) for line in text.splitlines() if "cancelled job" in line]
    assert cancelled[-1] < 500
    out = client(f"{hub_built.url}/models/{SMOL}").text_generation("The capital of France is", max_new_tokens=3)
    assert out.startswith(" Paris")


@pytest.mark.serial
def test_stream_abandoned_after_first_tokens(hub_built):
    """Read a few tokens, then hang up: the hub keeps serving (and cancels)."""
    body = {
        "messages": [{"role": "user", "content": "Count from one to one hundred."}],
        "max_tokens": 400,
        "stream": True,
    }
    with httpx.Client(timeout=LONG) as h:
        with h.stream("POST", f"{hub_built.url}/v1/chat/completions", json=body) as r:
            seen = 0
            for line in r.iter_lines():
                if line.startswith("data:"):
                    seen += 1
                if seen >= 3:
                    break
        assert h.get(f"{hub_built.url}/api/health").status_code == 200


# --- the worker's life ---------------------------------------------------------------------------------------------
@pytest.mark.serial
def test_worker_crash_is_a_503_then_it_restarts(hub_built, tmp_path):
    from huggingface_hub import hf_hub_download

    c = client(f"{hub_built.url}/models/{SMOL}")
    c.text_generation("Hi", max_new_tokens=1)  # warm
    pid = worker_pid(hub_built.dir)
    assert pid
    result = {}

    def long_request():
        result["r"] = httpx.post(
            f"{hub_built.url}/v1/chat/completions",
            timeout=LONG,
            json={
                "model": SMOL,
                "max_tokens": 400,
                "messages": [{"role": "user", "content": "Write a very long story about a dragon and a knight."}],
            },
        )

    t = threading.Thread(target=long_request)
    t.start()
    time.sleep(2)
    assert t.is_alive()
    os.kill(pid, signal.SIGKILL)  # what the OOM killer does
    t.join(LONG)
    r = result["r"]
    assert r.status_code == 503 and r.headers.get("retry-after"), r.text
    assert "restarts" in r.json()["error"]
    # the hub never stopped serving files; the next request starts a new worker
    assert hf_hub_download(SMOL, "config.json", cache_dir=tmp_path)
    assert c.text_generation("The capital of France is", max_new_tokens=3).startswith(" Paris")
    assert worker_pid(hub_built.dir) not in (None, pid)


@pytest.fixture
def own_hub(hub_built, tmp_path):
    """A hub of its own (a copy of the session's), for tests that stop it or squeeze its settings."""
    servers = []

    def start(**env):
        hub_dir = tmp_path / f"hub{len(servers)}"
        copy_hub(hub_built.dir, hub_dir)
        port = server.free_port()
        proc, _ = start_server(
            hub_dir,
            port,
            tmp_path / f"server{len(servers)}.log",
            env={f"COURSE_HUB_{k.upper()}": str(v) for k, v in env.items()},
        )
        servers.append(proc)
        return f"http://127.0.0.1:{port}", hub_dir, proc

    yield start
    for proc in servers:
        stop_server(proc)


def _start_worker(url: str, hub_dir, wait: bool = True) -> int:
    """Start the hub's worker with a classification; `wait=False`: leave the request in flight (the worker is
    importing torch or loading the model when the test goes on)."""
    if wait:
        r = httpx.post(f"{url}/models/{CLASSIFIER}", json={"inputs": "great"}, timeout=LONG)
        assert r.status_code == 200, r.text
    else:

        def request():
            try:
                httpx.post(f"{url}/models/{CLASSIFIER}", json={"inputs": "great"}, timeout=LONG)
            except httpx.HTTPError:
                pass  # the hub went away under it: what the test is about

        threading.Thread(target=request, daemon=True).start()
        end = time.monotonic() + 30
        while worker_pid(hub_dir) is None and time.monotonic() < end:
            time.sleep(0.1)
        time.sleep(1.0)
    pid = worker_pid(hub_dir)
    assert pid
    return pid


@pytest.mark.serial
@pytest.mark.parametrize("how", ["sigterm", "course-hub stop", "sigkill"])
def test_worker_stops_with_the_hub(own_hub, how):
    url, hub_dir, proc = own_hub()
    # sigkill: a request in flight (the worker busy starting); else an idle worker (a graceful stop waits for the
    # requests in flight to end)
    pid = _start_worker(url, hub_dir, wait=how != "sigkill")
    if how == "sigterm":
        proc.send_signal(signal.SIGTERM)
    elif how == "sigkill":
        proc.kill()
    else:
        out = subprocess.run(
            [sys.executable, "-m", "course_hub", "--hub-dir", str(hub_dir), "stop"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0 and "stopped" in out.stdout, out.stdout + out.stderr
    proc.wait(30)
    assert gone(pid), f"the inference worker {pid} outlived the hub ({how})"


@pytest.mark.serial
def test_full_queue_is_a_503_with_retry_after(own_hub):
    url, hub_dir, proc = own_hub(inference_queue=1)
    _start_worker(url, hub_dir)
    body = {"model": SMOL, "messages": FRANCE, "max_tokens": 200, "stream": True}
    with httpx.Client(timeout=LONG) as h:
        with h.stream("POST", f"{url}/v1/chat/completions", json=body) as r:
            assert r.status_code == 200
            second = h.post(f"{url}/models/{CLASSIFIER}", json={"inputs": "great"})
            assert second.status_code == 503 and second.headers["retry-after"] == "5"
            assert "queue is full" in second.json()["error"]
            # files are not queued behind inference
            assert h.get(f"{url}/{SMOL}/resolve/main/config.json").status_code == 200
    # the abandoned stream frees its place
    end = time.monotonic() + 30
    while time.monotonic() < end:
        if httpx.post(f"{url}/models/{CLASSIFIER}", json={"inputs": "great"}, timeout=LONG).status_code == 200:
            break
        time.sleep(0.5)
    else:
        pytest.fail("the queue stayed full after the stream was abandoned")


@pytest.mark.serial
def test_idle_worker_goes_away(own_hub):
    url, hub_dir, proc = own_hub(inference_idle_s=2)
    pid = _start_worker(url, hub_dir)
    assert gone(pid, timeout=30), "the idle worker was not stopped"
    assert proc.poll() is None  # the hub goes on
    assert httpx.post(f"{url}/models/{CLASSIFIER}", json={"inputs": "great"}, timeout=LONG).status_code == 200


def test_widget_files(hub_built):
    js = httpx.get(f"{hub_built.url}/inference-static/widget.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "inference-widget" in js.text and "innerHTML" not in js.text
    css = httpx.get(f"{hub_built.url}/inference-static/widget.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert httpx.get(f"{hub_built.url}/inference-static/../app.py").status_code == 404


def test_import_course_hub_stays_torch_free():
    code = (
        "import sys, course_hub.app, course_hub.inference, course_hub.inference.service; "
        "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
