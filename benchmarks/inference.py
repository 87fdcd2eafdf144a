"""Inference on the course hub (course_hub/inference) with the real clients:

1. chat completions on SmolLM2 (the `openai` client, streamed, greedy, same prompts) with 1, 4 and 8 concurrent
   clients: tokens/s and time to first token of the course hub (continuous batching), of the same hub generating one
   sequence per forward pass in turn (`COURSE_HUB_INFERENCE_MAX_BATCH=1`: the worker before batching), and of
   `transformers serve` (transformers' own OpenAI-compatible server, the same model from a local snapshot, with
   torch's default threads and with 1). All run at once and take turns, so the machine's load hits them alike.
   Targets: >= 1.0x `transformers serve` at 4 clients, >= 2x one-at-a-time at 4 and 8 clients; TTFT at 8 reported.
2. text-classification through `InferenceClient`: p50 latency vs a direct in-process `pipeline()` call on the same
   inputs (torch limited to 1 thread in both, as the hub's worker is). Target: p50 <= 2x.
3. `hf_hub_download` of the largest file (SmolLM2's model.safetensors) while 4 clients stream chat completions:
   >= 0.8x its idle speed.

    python -m benchmarks.inference [--quick]      # prints the JSON; `python -m benchmarks --only inference` records it
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

from .common import BENCH, PYTHON, ROOT, Server, copy_hub, course_hub, fresh_dir

CLIENTS = (1, 4, 8)

SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"
CLASSIFIER = "hf-hands-on/minilm-sentiment"
PROMPTS = [
    "What is the capital of France?",
    "Give me three tips to learn Python.",
    "Explain what a neural network is in two sentences.",
    "Write a haiku about the sea.",
]
SENTENCES = [
    "I loved every minute of this film.",
    "The service was slow and the food was cold.",
    "An average product, nothing special.",
    "Absolutely brilliant, I would buy it again!",
    "This is the worst book I have ever read.",
    "The hotel was clean and the staff friendly.",
]


def _chat(url: str, prompt: str, max_tokens: int, token: str = "none", model: str = SMOL) -> dict:
    """One streamed chat completion: time to first token, tokens (content chunks), seconds."""
    from openai import OpenAI

    client = OpenAI(base_url=f"{url}/v1", api_key=token, timeout=600, max_retries=0)
    started = time.perf_counter()
    first, tokens = None, 0
    stream = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": prompt}], max_tokens=max_tokens, temperature=0, stream=True
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            tokens += 1
            if first is None:
                first = time.perf_counter() - started
    return {"ttft_s": first, "tokens": tokens, "s": time.perf_counter() - started}


def chat_load(url: str, clients: int, rounds: int, max_tokens: int, token: str, model: str = SMOL) -> dict:
    results: list[dict] = []
    errors: list[str] = []

    def client(i: int) -> None:
        for r in range(rounds):
            try:
                results.append(_chat(url, PROMPTS[(i + r) % len(PROMPTS)], max_tokens, token, model))
            except Exception as e:  # noqa: BLE001  (recorded, not raised: the other server still gets measured)
                errors.append(f"{type(e).__name__}: {e}"[:300])

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    tokens = sum(r["tokens"] for r in results)
    ttft = sorted(r["ttft_s"] for r in results if r["ttft_s"] is not None)
    return {
        "clients": clients,
        "requests": len(results),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "tokens": tokens,
        "wall_s": round(wall, 2),
        "tokens_per_s": round(tokens / wall, 2),
        "ttft_p50_s": round(statistics.median(ttft), 3) if ttft else None,
        "ttft_p95_s": round(ttft[min(len(ttft) - 1, round(0.95 * (len(ttft) - 1)))], 3) if ttft else None,
        "ttft_max_s": round(ttft[-1], 3) if ttft else None,
    }


def transformers_serve(model_dir: Path, workdir: Path, threads: int | None) -> Server:
    exe = Path(PYTHON).parent / "transformers"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    return SlowServer(
        f"transformers-serve-{threads or 'default'}",
        lambda port: [str(exe), "serve", str(model_dir), "--port", str(port), "--host", "127.0.0.1", "--device", "cpu"],
        workdir,
        "/health",
        env=env,
    )


class SlowServer(Server):
    """transformers serve imports torch and loads the model before it answers: up to 5 minutes on a busy machine."""

    def __enter__(self) -> SlowServer:
        import subprocess

        from .common import wait_http

        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                self.argv(self.port),
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
            )
        self.startup_s = wait_http(self.url + self.health, self.proc, self.log, timeout=300)
        return self


def classification(url: str, model_dir: Path, n: int) -> dict:
    import torch
    from huggingface_hub import InferenceClient
    from transformers import pipeline

    torch.set_num_threads(1)  # as the hub's worker (Settings.inference_threads)
    inputs = [SENTENCES[i % len(SENTENCES)] + f" ({i})" for i in range(n)]
    client = InferenceClient(model=f"{url}/models/{CLASSIFIER}", timeout=600)
    client.text_classification("warm up")
    pipe = pipeline("text-classification", model=str(model_dir), top_k=None, device="cpu")
    pipe("warm up")
    hub_ms, local_ms = [], []
    for text in inputs:  # taking turns, so that load on the machine hits both alike
        t = time.perf_counter()
        client.text_classification(text)
        hub_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        pipe(text)
        local_ms.append((time.perf_counter() - t) * 1000)
    hub_p50, local_p50 = statistics.median(hub_ms), statistics.median(local_ms)
    return {
        "n": n,
        "hub_p50_ms": round(hub_p50, 1),
        "pipeline_p50_ms": round(local_p50, 1),
        "ratio": round(hub_p50 / local_p50, 2),
    }


def download_under_load(url: str, token: str, reps: int) -> dict:
    from huggingface_hub import hf_hub_download

    def one() -> float:
        cache = fresh_dir(BENCH / "inference-dl-cache")
        t = time.perf_counter()
        path = hf_hub_download(SMOL, "model.safetensors", cache_dir=cache, endpoint=url, token=False)
        s = time.perf_counter() - t
        size = os.path.getsize(path)
        shutil.rmtree(cache, ignore_errors=True)
        return size / s / 2**20

    idle = [one() for _ in range(reps)]
    stop = threading.Event()
    streamed = [0]

    def chatter(i: int) -> None:
        while not stop.is_set():
            try:
                streamed[0] += _chat(url, PROMPTS[i % len(PROMPTS)], 64, token)["tokens"]
            except Exception:  # noqa: BLE001
                time.sleep(0.5)

    threads = [threading.Thread(target=chatter, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    time.sleep(3)  # the streams are running
    try:
        busy = [one() for _ in range(reps)]
    finally:
        stop.set()
        for t in threads:
            t.join()
    idle_mb, busy_mb = statistics.median(idle), statistics.median(busy)
    return {
        "reps": reps,
        "idle_mb_s": round(idle_mb, 1),
        "busy_mb_s": round(busy_mb, 1),
        "ratio": round(busy_mb / idle_mb, 2),
        "tokens_streamed_meanwhile": streamed[0],
    }


def one_at_a_time(hub_dir: Path, workdir: Path) -> Server:
    """The course hub whose worker runs one sequence per forward pass, in turn (the worker before batching)."""
    hub = course_hub(hub_dir, workdir)
    hub.log = workdir / "course-hub-one-at-a-time.log"
    hub.env = {**hub.env, "COURSE_HUB_INFERENCE_MAX_BATCH": "1"}
    return hub


def measure(quick: bool = False) -> dict:
    """Every server runs at once and they take turns phase by phase, so that the machine's load hits them alike."""
    from contextlib import ExitStack

    from huggingface_hub import snapshot_download

    from course_hub.store import Store

    work = fresh_dir(BENCH / "inference")
    hub_dir = copy_hub(ROOT / "data" / "hub", work / "hub")
    token = Store(hub_dir / "hub.sqlite3").create_token("bench", role="read", name="bench")
    old_dir = copy_hub(ROOT / "data" / "hub", work / "hub-one-at-a-time")
    old_token = Store(old_dir / "hub.sqlite3").create_token("bench", role="read", name="bench")
    max_tokens, rounds = (16, 1) if quick else (32, 2)
    out: dict = {
        "model": SMOL,
        "max_tokens": max_tokens,
        "prompts": len(PROMPTS),
        "greedy": True,
        "clients": list(CLIENTS),
        "note": "course hub worker: 1 torch thread (Settings.inference_threads), continuous batching "
        "(Settings.inference_max_batch 8); course_hub_one_at_a_time: the same hub with "
        "COURSE_HUB_INFERENCE_MAX_BATCH=1 (one sequence per forward pass, round-robin: the worker before batching); "
        "transformers serve with torch's default threads and with 1 thread. All in one run on one machine.",
    }
    with ExitStack() as stack:
        hub = stack.enter_context(course_hub(hub_dir, work))
        old = stack.enter_context(one_at_a_time(old_dir, work))
        smol_dir = Path(snapshot_download(SMOL, cache_dir=work / "cache", endpoint=hub.url, token=False))
        cls_dir = Path(snapshot_download(CLASSIFIER, cache_dir=work / "cache", endpoint=hub.url, token=False))
        servers = {"course_hub": (hub.url, token, SMOL), "course_hub_one_at_a_time": (old.url, old_token, SMOL)}
        for threads in (None, 1):
            name = f"transformers_serve_{'default_threads' if threads is None else '1_thread'}"
            try:
                ts = stack.enter_context(transformers_serve(smol_dir, work, threads))
                servers[name] = (ts.url, "none", str(smol_dir))  # a pinned server answers only its model's name
            except Exception as e:  # noqa: BLE001
                out[name] = {"error": f"{type(e).__name__}: {e}"[:1000]}
        for name, (url, tok, model) in servers.items():
            _chat(url, "Hello", 2, tok, model)  # load and warm up
            out[name] = {}
        for c in CLIENTS:
            print(f"  chat, {c} client(s) ...", flush=True)
            for name, (url, tok, model) in servers.items():
                out[name][f"c{c}"] = chat_load(url, c, len(PROMPTS) if c == 1 else rounds, max_tokens, tok, model)
        print("  classification ...", flush=True)
        out["classification"] = classification(hub.url, cls_dir, 10 if quick else 40)
        print("  download under load ...", flush=True)
        out["download"] = download_under_load(hub.url, token, 1 if quick else 3)
    ours = out["course_hub"]
    out["throughput_ratio"] = {}
    for name in ("transformers_serve_default_threads", "transformers_serve_1_thread", "course_hub_one_at_a_time"):
        theirs = out.get(name, {})
        out["throughput_ratio"][name] = {
            f"c{c}": (
                round(ours[f"c{c}"]["tokens_per_s"] / theirs[f"c{c}"]["tokens_per_s"], 2)
                if theirs.get(f"c{c}", {}).get("tokens_per_s")
                else None
            )
            for c in CLIENTS
        }
    return out


def verdicts(r: dict) -> list[tuple[str, str, str, bool | None]]:
    out = []
    ratios = r.get("throughput_ratio", {})
    for c, target in (("c1", None), ("c4", 1.0), ("c8", None)):
        ratio = ratios.get("transformers_serve_default_threads", {}).get(c)
        out.append(
            (
                f"chat tokens/s vs transformers serve (default threads), {c[1:]} client(s)",
                f"≥ {target}× its throughput" if target else "reported",
                "—" if ratio is None else f"{ratio}×",
                None if ratio is None or target is None else ratio >= target,
            )
        )
    for c in ("c4", "c8"):
        ratio = ratios.get("course_hub_one_at_a_time", {}).get(c)
        out.append(
            (
                f"chat tokens/s, batched vs one at a time (the worker before batching), {c[1:]} clients",
                "≥ 2×",
                "—" if ratio is None else f"{ratio}×",
                None if ratio is None else ratio >= 2,
            )
        )
    c8 = r.get("course_hub", {}).get("c8")
    out.append(
        (
            "chat time to first token, 8 clients (p50 / p95)",
            "reported",
            "—" if not c8 else f"{c8['ttft_p50_s']} / {c8['ttft_p95_s']} s",
            None,
        )
    )
    k = r.get("classification", {})
    out.append(
        (
            "text-classification p50 via InferenceClient vs in-process pipeline",
            "≤ 2×",
            "—" if not k else f"{k['ratio']}× ({k['hub_p50_ms']} vs {k['pipeline_p50_ms']} ms)",
            None if not k else k["ratio"] <= 2,
        )
    )
    d = r.get("download", {})
    out.append(
        (
            "hf_hub_download (269 MB) while 4 clients stream chat",
            "≥ 0.8× idle speed",
            "—" if not d else f"{d['ratio']}× ({d['busy_mb_s']} vs {d['idle_mb_s']} MB/s)",
            None if not d else d["ratio"] >= 0.8,
        )
    )
    return out


def render(r: dict) -> list[str]:
    lines = [
        "",
        f"## 5. Inference (SmolLM2 chat, greedy, max_tokens {r['max_tokens']}, {r['prompts']} prompts; "
        "streamed through the `openai` client)",
        "",
        r.get("note", ""),
        "",
        "| server | clients | requests | tokens | tokens/s | TTFT p50 (s) | TTFT p95 (s) | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    names = (
        "course_hub",
        "course_hub_one_at_a_time",
        "transformers_serve_default_threads",
        "transformers_serve_1_thread",
    )
    for name in names:
        x = r.get(name, {})
        if "error" in x:
            lines.append(f"| {name} | — | — | — | — | — | — | {x['error'][:120]} |")
            continue
        for c in r.get("clients", (1, 4)):
            y = x.get(f"c{c}")
            if y:
                lines.append(
                    f"| {name} | {y['clients']} | {y['requests']} | {y['tokens']} | {y['tokens_per_s']} "
                    f"| {y['ttft_p50_s']} | {y.get('ttft_p95_s', '—')} | {y['errors']} |"
                )
    ratios = r.get("throughput_ratio", {})
    for name in names[1:]:
        if ratios.get(name):
            each = ", ".join(f"{c[1:]}: {v}×" for c, v in ratios[name].items())
            lines += ["", f"course_hub tokens/s ÷ {name} (clients: ratio, same run): {each}."]
    k, d = r.get("classification"), r.get("download")
    if k:
        lines += [
            "",
            f"text-classification, {k['n']} inputs one at a time: InferenceClient p50 {k['hub_p50_ms']} ms, "
            f"in-process pipeline p50 {k['pipeline_p50_ms']} ms ({k['ratio']}×).",
        ]
    if d:
        lines += [
            "",
            f"hf_hub_download of model.safetensors (n = {d['reps']}): idle {d['idle_mb_s']} MB/s, while 4 "
            f"clients stream chat completions {d['busy_mb_s']} MB/s ({d['ratio']}×; "
            f"{d['tokens_streamed_meanwhile']} tokens streamed meanwhile).",
        ]
    return lines


if __name__ == "__main__":
    print(json.dumps(measure("--quick" in sys.argv[1:]), indent=1))
