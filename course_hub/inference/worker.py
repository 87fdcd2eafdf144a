"""The inference worker: `python -m course_hub.inference.worker --fd N --config JSON`.

The only part of the course hub that imports torch and transformers. It runs in its own process, started by the hub
(`service.py`) on the first inference request, and talks to it over a socketpair (`protocol.py`): the hub sends
`run` / `cancel` / `exit` messages, the worker answers with `delta` / `done` / `error` events for each request id.

- Models load lazily from snapshot folders the hub prepared (hard links into its own LFS store, never the network)
  into an LRU bounded by `max_model_bytes` (weights as loaded, float32).
- Generations are batched continuously (`batching.py`): a new request is prefilled alone, then joins the active
  generations of its model, which advance together, one forward pass per token (up to `max_batch` rows; more make a
  second batch, stepped in turn); each keeps its own sampling, stop strings and limits, and leaves between steps
  when it ends or is cancelled. Classification and embedding requests for one model that arrive together run as one
  padded batch.
- It exits when the hub goes away: EOF on the pipe, PR_SET_PDEATHSIG (Linux), and a parent-pid watch.
"""

from __future__ import annotations

import argparse
import base64
import collections
import io
import json
import math
import os
import queue
import signal
import socket
import sys
import threading
import time
import traceback
from pathlib import Path

from .batching import Batch, batchable, prefill
from .protocol import Channel, Closed


class JobError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


# --- staying alive only as long as the hub ---------------------------------------------------------------------
def die_with_parent(parent: int) -> None:
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it died before prctl
        os._exit(0)

    def watch():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


# --- models --------------------------------------------------------------------------------------------------
def weights_bytes(folder: Path, dtype: str = "auto") -> int:
    """Bytes of the weights once loaded (from the safetensors headers: no tensor is read): in their own dtype
    ("auto", what `from_pretrained` does by default), or with every float as float32."""
    sizes = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}
    total = 0
    for f in folder.rglob("*.safetensors"):
        with open(f, "rb") as fh:
            n = int.from_bytes(fh.read(8), "little")
            header = json.loads(fh.read(n))
        for name, t in header.items():
            if name == "__metadata__":
                continue
            count = math.prod(t["shape"]) if t["shape"] else 1
            as_f32 = dtype == "float32" and t["dtype"] in ("F16", "BF16")
            total += count * (4 if as_f32 else sizes.get(t["dtype"], 4))
    if total == 0:  # no safetensors: the file sizes are the best guess
        total = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    return total


class Loaded:
    def __init__(self, key: str, task: str, size: int, parts: dict):
        self.key, self.task, self.size, self.parts = key, task, size, parts
        self.busy = 0  # active generations holding it (never evicted while > 0)


class Models:
    """An LRU of loaded models under a byte cap."""

    def __init__(self, cap: int, dtype: str = "auto"):
        self.cap, self.dtype = cap, dtype
        self.lru: collections.OrderedDict[str, Loaded] = collections.OrderedDict()

    def total(self) -> int:
        return sum(m.size for m in self.lru.values())

    def get(self, key: str, task: str, folder: str) -> Loaded:
        if key in self.lru:
            self.lru.move_to_end(key)
            return self.lru[key]
        path = Path(folder)
        if not path.is_dir():
            raise JobError(503, f"The model files of {key} are not prepared (retry)")
        size = weights_bytes(path, self.dtype)
        if size > self.cap:
            raise JobError(
                503,
                f"{key} needs {size / 2**20:.0f} MB of weights, more than the inference memory cap "
                f"of {self.cap / 2**20:.0f} MB (COURSE_HUB_INFERENCE_MEMORY_MB)",
            )
        for k in list(self.lru):
            if self.total() + size <= self.cap:
                break
            if self.lru[k].busy == 0:
                self.unload(k)
        if self.total() + size > self.cap:
            raise JobError(
                503,
                f"No room to load {key} now: the models in use fill the inference memory cap; retry "
                "when the current generations finish",
            )
        m = Loaded(key, task, size, load(task, path, self.dtype))
        self.lru[key] = m
        return m

    def unload(self, key: str) -> None:
        self.lru.pop(key, None)
        import gc

        gc.collect()

    def clear(self) -> None:
        for k in list(self.lru):
            self.unload(k)


def load(task: str, path: Path, dtype: str = "auto") -> dict:
    import torch
    import transformers

    dtype = torch.float32 if dtype == "float32" else "auto"

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    if task == "text-generation":
        tok = transformers.AutoTokenizer.from_pretrained(path)
        model = transformers.AutoModelForCausalLM.from_pretrained(path, dtype=dtype).eval()
        eos = set()
        for src in (model.generation_config.eos_token_id, model.config.eos_token_id, tok.eos_token_id):
            if isinstance(src, int):
                eos.add(src)
            elif isinstance(src, (list, tuple)):
                eos.update(i for i in src if isinstance(i, int))
        limit = getattr(model.config, "max_position_embeddings", None) or 2048
        return {"model": model, "tokenizer": tok, "eos": eos, "max_positions": int(limit)}
    if task == "text-classification":
        tok = transformers.AutoTokenizer.from_pretrained(path)
        model = transformers.AutoModelForSequenceClassification.from_pretrained(path, dtype=dtype).eval()
        return {"model": model, "tokenizer": tok}
    if task in ("feature-extraction", "sentence-similarity"):
        if (path / "modules.json").exists():
            from sentence_transformers import SentenceTransformer

            return {
                "st": SentenceTransformer(str(path), device="cpu", local_files_only=True, model_kwargs={"dtype": dtype})
            }
        tok = transformers.AutoTokenizer.from_pretrained(path)
        model = transformers.AutoModel.from_pretrained(path, dtype=dtype).eval()
        return {"model": model, "tokenizer": tok}
    if task == "image-classification":
        pipe = transformers.pipeline("image-classification", model=str(path), device="cpu", dtype=dtype)
        return {"pipeline": pipe}
    raise JobError(400, f"Task {task!r} is not run by the course hub")


# --- the tasks that answer in one go ---------------------------------------------------------------------------
def classify(m: Loaded, p: dict) -> list:
    import torch

    tok, model = m.parts["tokenizer"], m.parts["model"]
    texts = p["inputs"] if isinstance(p["inputs"], list) else [p["inputs"]]
    enc = tok(texts, padding=True, truncation=True, max_length=min(tok.model_max_length, 512), return_tensors="pt")
    with torch.inference_mode():
        logits = model(**enc).logits.float()
    return scored(model, logits, p.get("parameters") or {})


def scored(model, logits, params: dict) -> list:
    """Ranked labels per row of logits, with the request's `function_to_apply` and `top_k`."""
    import torch

    labels = model.config.id2label
    fn = params.get("function_to_apply")
    if fn is None:
        multi = model.config.problem_type == "multi_label_classification" or model.config.num_labels == 1
        fn = "sigmoid" if multi else "softmax"
    scores = {"softmax": lambda x: x.softmax(-1), "sigmoid": torch.sigmoid, "none": lambda x: x}[fn](logits)
    top_k = params.get("top_k") or len(labels)
    out = []
    for row in scores.tolist():
        ranked = sorted(((labels.get(i, f"LABEL_{i}"), s) for i, s in enumerate(row)), key=lambda x: -x[1])
        out.append([{"label": label, "score": score} for label, score in ranked[:top_k]])
    return out


def embed(m: Loaded, texts: list[str], normalize: bool | None) -> list[list[float]]:
    import torch

    if "st" in m.parts:
        vecs = m.parts["st"].encode(
            texts, convert_to_tensor=True, normalize_embeddings=bool(normalize), show_progress_bar=False
        )
        return vecs.float().tolist()
    tok, model = m.parts["tokenizer"], m.parts["model"]
    enc = tok(texts, padding=True, truncation=True, max_length=min(tok.model_max_length, 512), return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    vecs = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    if normalize:
        vecs = torch.nn.functional.normalize(vecs, dim=-1)
    return vecs.tolist()


def feature_extraction(m: Loaded, p: dict):
    inputs = p["inputs"]
    vecs = embed(m, inputs if isinstance(inputs, list) else [inputs], p.get("normalize"))
    return vecs if isinstance(inputs, list) else vecs[0]


def sentence_similarity(m: Loaded, p: dict) -> list[float]:
    import torch

    src, others = p["inputs"]["source_sentence"], p["inputs"]["sentences"]
    vecs = torch.tensor(embed(m, [src, *others], True))
    return (vecs[1:] @ vecs[0]).tolist()


def image_classification(m: Loaded, p: dict) -> list:
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(base64.b64decode(p["image"])))
        image.load()
    except Exception as e:  # noqa: BLE001  (any decoder error: the caller's bytes)
        raise JobError(400, f"The request body is not an image the worker can read: {type(e).__name__}") from None
    top_k = (p.get("parameters") or {}).get("top_k") or 5
    return [{"label": r["label"], "score": r["score"]} for r in m.parts["pipeline"](image.convert("RGB"), top_k=top_k)]


def classify_many(m: Loaded, jobs: list[dict]) -> list:
    """The inputs of several classification requests in one padded forward pass; each request's parameters after."""
    import torch

    tok, model = m.parts["tokenizer"], m.parts["model"]
    texts, spans = [], []
    for job in jobs:
        inputs = job["payload"]["inputs"]
        batch = inputs if isinstance(inputs, list) else [inputs]
        spans.append((len(texts), len(texts) + len(batch)))
        texts += batch
    enc = tok(texts, padding=True, truncation=True, max_length=min(tok.model_max_length, 512), return_tensors="pt")
    with torch.inference_mode():
        logits = model(**enc).logits.float()
    return [scored(model, logits[a:b], job["payload"].get("parameters") or {}) for job, (a, b) in zip(jobs, spans)]


def embed_many(m: Loaded, jobs: list[dict]) -> list:
    """Feature extraction and sentence similarity for several requests: one `embed` of all their sentences."""
    import torch

    texts, spans = [], []
    for job in jobs:
        p = job["payload"]
        if job["task"] == "sentence-similarity":
            batch = [p["inputs"]["source_sentence"], *p["inputs"]["sentences"]]
        else:
            batch = p["inputs"] if isinstance(p["inputs"], list) else [p["inputs"]]
        spans.append((len(texts), len(texts) + len(batch)))
        texts += batch
    vecs = torch.tensor(embed(m, texts, False))
    out = []
    for job, (a, b) in zip(jobs, spans):
        p, rows = job["payload"], vecs[a:b]
        if job["task"] == "sentence-similarity":
            rows = torch.nn.functional.normalize(rows, dim=-1)
            out.append((rows[1:] @ rows[0]).tolist())
            continue
        if p.get("normalize"):
            rows = torch.nn.functional.normalize(rows, dim=-1)
        out.append(rows.tolist() if isinstance(p["inputs"], list) else rows[0].tolist())
    return out


# --- generation -----------------------------------------------------------------------------
class Gen:
    def __init__(self, job_id, m: Loaded, ids: list[int], p: dict):
        import torch

        self.id, self.m, self.prompt, self.p = job_id, m, ids, p
        self.generated: list[int] = []
        self.past = None
        self.emitted = 0  # characters of the text already sent
        self.stream = bool(p.get("stream"))
        self.stops = [s for s in (p.get("stop") or []) if s]
        self.sample = bool(p.get("do_sample"))
        seed = p.get("seed")
        self.seed = int(seed) if seed is not None else int.from_bytes(os.urandom(4), "little")
        self.rng = torch.Generator().manual_seed(self.seed)
        self.started = time.monotonic()
        self.done = False  # ended or cancelled: its batch row goes before the next step

    @property
    def last(self) -> int:
        """The token to feed next (the newest one: an EOS ends the generation before it would be fed)."""
        return self.generated[-1]


def choose(g: Gen, logits):
    import torch

    p = g.p
    penalty = p.get("repetition_penalty")
    if penalty and penalty != 1.0:
        seen = torch.tensor(sorted(set(g.prompt + g.generated)))
        vals = logits[seen]
        logits[seen] = torch.where(vals > 0, vals / penalty, vals * penalty)
    if not g.sample:
        return int(torch.argmax(logits))
    temperature = p.get("temperature")
    if temperature is not None and temperature > 0:
        logits = logits / temperature
    top_k = p.get("top_k")
    if top_k:
        kth = torch.topk(logits, min(top_k, logits.numel())).values[-1]
        logits = torch.where(logits < kth, torch.full_like(logits, -math.inf), logits)
    probs = torch.softmax(logits, -1)
    top_p = p.get("top_p")
    if top_p is not None and 0 < top_p < 1:
        sorted_p, order = torch.sort(probs, descending=True)
        keep = torch.cumsum(sorted_p, 0) - sorted_p < top_p
        keep[0] = True
        mask = torch.zeros_like(probs, dtype=torch.bool)
        mask[order[keep]] = True
        probs = torch.where(mask, probs, torch.zeros_like(probs))
        probs = probs / probs.sum()
    return int(torch.multinomial(probs, 1, generator=g.rng))


def prompt_ids(m: Loaded, p: dict, max_prompt: int) -> list[int]:
    tok = m.parts["tokenizer"]
    if "messages" in p:
        if not tok.chat_template:
            raise JobError(400, f"{m.key.split('@')[0]} has no chat template: use the text-generation task API")
        try:
            text = tok.apply_chat_template(p["messages"], tokenize=False, add_generation_prompt=True)
        except Exception as e:  # noqa: BLE001  (jinja's TemplateError: the caller's messages)
            raise JobError(422, f"The model's chat template refused these messages: {e}") from None
        ids = tok(text, add_special_tokens=False)["input_ids"]
    else:
        ids = tok(p["inputs"])["input_ids"]
    if p.get("truncate"):
        ids = ids[-int(p["truncate"]) :]
    limit = min(max_prompt, m.parts["max_positions"] - int(p["max_new_tokens"]))
    if len(ids) > limit:
        raise JobError(
            422, f"The prompt has {len(ids)} tokens; the limit is {limit} (with max_new_tokens {p['max_new_tokens']})"
        )
    if not ids:
        raise JobError(422, "The prompt is empty")
    return ids


class Worker:
    def __init__(self, chan: Channel, inbox: queue.Queue, config: dict):
        self.chan, self.inbox, self.config = chan, inbox, config
        self.models = Models(int(config["max_model_bytes"]), config.get("dtype", "auto"))
        self.max_batch = max(1, int(config.get("max_batch", 8)))
        self.pending: collections.deque[dict] = collections.deque()
        self.active: dict[int, Gen] = {}
        self.batches: list[Batch] = []  # stepped in turn, each in one forward pass

    def emit(self, job_id, event: str, **fields) -> None:
        self.chan.send({"id": job_id, "event": event, **fields})

    def run(self) -> None:
        while True:
            self.drain(block=not (self.active or self.pending))
            if self.pending:
                jobs = list(self.pending)
                self.pending.clear()
                self.start(jobs)
                self.drain(block=False)
            for b in list(self.batches):
                self.prune(b)
                if b.rows:
                    self.guard_batch(b)
                    self.drain(block=False)
                self.prune(b)

    def drain(self, block: bool) -> None:
        while True:
            try:
                msg = self.inbox.get(timeout=3600) if block else self.inbox.get_nowait()
            except queue.Empty:
                return
            block = False
            op = msg.get("op")
            if op == "exit":
                os._exit(0)
            elif op == "cancel":
                waiting = len(self.pending)
                self.pending = collections.deque(j for j in self.pending if j["id"] != msg["id"])
                if len(self.pending) < waiting:
                    print(f"cancelled job {msg['id']} after 0 tokens (before it started)", file=sys.stderr, flush=True)
                g = self.active.get(msg["id"])
                if g is not None:
                    self.finish(g)
                    print(f"cancelled job {g.id} after {len(g.generated)} tokens", file=sys.stderr, flush=True)
            elif op == "run":
                self.pending.append(msg)
            elif op == "unload":
                self.models.clear()

    def guard(self, job_id, fn, *args, **kwargs) -> bool:
        try:
            fn(*args, **kwargs)
            return True
        except JobError as e:
            self.fail(job_id, e.status, e.message)
        except MemoryError:
            self.models.clear()
            self.fail(job_id, 503, "The inference worker ran out of memory; the models were unloaded (retry)")
        except Closed:
            os._exit(0)
        except Exception as e:  # noqa: BLE001  (a bug or an unusable model: report it, keep serving)
            traceback.print_exc()
            self.fail(job_id, 500, f"Inference failed: {type(e).__name__}: {e}")
        return False

    def fail(self, job_id, status: int, message: str) -> None:
        g = self.active.get(job_id)
        if g is not None:
            self.finish(g)
        self.emit(job_id, "error", status=status, message=message)

    def finish(self, g: Gen) -> None:
        """The generation leaves: no more events; its batch drops its row before the next step."""
        if self.active.pop(g.id, None) is not None:
            g.done = True
            g.m.busy -= 1

    def prune(self, b: Batch) -> None:
        b.keep([not g.done for g in b.rows])
        if not b.rows and b in self.batches:
            self.batches.remove(b)

    # --- starting jobs: generations prefill and join a batch; one-shot tasks of one model run together ----------
    def start(self, jobs: list[dict]) -> None:
        groups: dict[tuple, list] = {}
        for job in jobs:
            task = job["task"]
            if task == "text-generation":
                self.guard(job["id"], self.start_generation, job)
                continue
            kind = {"feature-extraction": "embed", "sentence-similarity": "embed"}.get(task, task)
            loaded = self.guarded_load(job)
            if loaded is not None:
                groups.setdefault((job["key"], kind), []).append((job, loaded))
        for (_, kind), group in groups.items():
            if len(group) > 1 and kind in ("text-classification", "embed"):
                try:
                    results = (classify_many if kind == "text-classification" else embed_many)(
                        group[0][1], [job for job, _ in group]
                    )
                except Exception:  # noqa: BLE001  (one job's input, or memory: each alone says which)
                    traceback.print_exc()
                else:
                    print(f"{len(group)} {kind} requests in one batch", file=sys.stderr, flush=True)
                    for (job, _), result in zip(group, results, strict=True):
                        self.guard(job["id"], self.emit, job["id"], "done", result=result)
                    continue
            for job, m in group:
                self.guard(job["id"], self.one_shot, job, m)

    def guarded_load(self, job: dict) -> Loaded | None:
        out: list[Loaded] = []

        def go():
            out.append(self.models.get(job["key"], job["load_task"], job["folder"]))
            self.emit(job["id"], "loaded")

        return out[0] if self.guard(job["id"], go) else None

    def one_shot(self, job: dict, m: Loaded) -> None:
        fn = {
            "text-classification": classify,
            "feature-extraction": feature_extraction,
            "sentence-similarity": sentence_similarity,
            "image-classification": image_classification,
        }.get(job["task"])
        if fn is None:
            raise JobError(400, f"Task {job['task']!r} is not run by the course hub")
        self.emit(job["id"], "done", result=fn(m, job["payload"]))

    def start_generation(self, job: dict) -> None:
        p = job["payload"]
        m = self.models.get(job["key"], job["load_task"], job["folder"])
        self.emit(job["id"], "loaded")
        ids = prompt_ids(m, p, int(self.config["max_prompt_tokens"]))
        g = Gen(job["id"], m, ids, p)
        m.busy += 1
        self.active[g.id] = g
        logits, cache = prefill(m.parts["model"], ids)
        self.advance(g, choose(g, logits))
        if g.done:
            return
        size = self.max_batch if batchable(cache) else 1
        b = next((b for b in self.batches if b.model is m.parts["model"] and b.size == size and not b.full()), None)
        if b is None:
            b = Batch(m.parts["model"], size)
            self.batches.append(b)
        b.add(g, cache, len(ids))
        if len(b) > 1:
            print(f"job {g.id} joined a batch: {len(b)} generations in one forward pass", file=sys.stderr, flush=True)

    # --- a step of a batch: one forward pass, then each row's own sampling, stops and limits -----------------
    def guard_batch(self, b: Batch) -> None:
        try:
            logits = b.step()
        except MemoryError:
            self.models.clear()
            for g in list(b.rows):
                self.fail(g.id, 503, "The inference worker ran out of memory; the models were unloaded (retry)")
            return
        except Exception as e:  # noqa: BLE001  (a bug or an unusable model: report it, keep serving)
            traceback.print_exc()
            for g in list(b.rows):
                if not g.done:
                    self.fail(g.id, 500, f"Inference failed: {type(e).__name__}: {e}")
            return
        for i, g in enumerate(b.rows):
            if not g.done:  # a row cancelled during the step gets no more events
                self.guard(g.id, lambda g=g, row=logits[i]: self.advance(g, choose(g, row)))

    def advance(self, g: Gen, token: int) -> None:
        """The generation's next token: stream what is final of its text, end it on EOS, a stop string or its limit."""
        finish = None
        if token in g.m.parts["eos"]:
            finish = "eos_token"
        else:
            g.generated.append(token)
            if len(g.generated) >= g.p["max_new_tokens"]:
                finish = "length"
        text = g.m.parts["tokenizer"].decode(g.generated, skip_special_tokens=True)
        # stop sequences: end at the first one; the text sent never runs past a possible start of one
        cut = len(text)
        hit = None
        for s in g.stops:
            i = text.find(s)
            if i != -1 and (hit is None or i < hit[0]):
                hit = (i, s)
        if hit is not None:
            finish = "stop_sequence"
            cut = hit[0] + (0 if g.p.get("exclude_stop") else len(hit[1]))
        elif finish is None:
            hold = 0
            for s in g.stops:
                for n in range(min(len(s) - 1, len(text)), 0, -1):
                    if text.endswith(s[:n]):
                        hold = max(hold, n)
                        break
            cut = len(text) - hold
            while cut > g.emitted and text[cut - 1] == "\ufffd":  # an unfinished UTF-8 sequence
                cut -= 1
        if g.stream and cut > g.emitted:
            self.emit(g.id, "delta", text=text[g.emitted : cut], token=token)
            g.emitted = cut
        elif g.stream and finish is None:
            self.emit(g.id, "delta", text="", token=token)
        if finish is not None:
            self.finish(g)
            self.emit(
                g.id,
                "done",
                result={
                    "text": text[:cut],
                    "finish_reason": finish,
                    "prompt_tokens": len(g.prompt),
                    "completion_tokens": len(g.generated) + (finish == "eos_token"),
                    "seed": g.seed,
                    "seconds": time.monotonic() - g.started,
                },
            )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m course_hub.inference.worker")
    ap.add_argument("--fd", type=int, required=True)
    ap.add_argument("--config", required=True)
    args = ap.parse_args(argv)
    config = json.loads(args.config)
    die_with_parent(int(config["parent"]))
    try:  # below the hub: when the cores are scarce, serving files comes first
        os.nice(int(config.get("nice", 10)))
    except (OSError, AttributeError):
        pass
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    threads = str(int(config.get("threads", 1)))
    os.environ.update(
        {
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "OMP_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
            "HF_HOME": config["hf_home"],
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "TRANSFORMERS_VERBOSITY": "error",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        }
    )
    chan = Channel(socket.socket(fileno=args.fd))
    inbox: queue.Queue = queue.Queue()

    def read():
        try:
            while True:
                inbox.put(chan.recv())
        except (Closed, ValueError):
            os._exit(0)  # the hub is gone (or sent garbage): nothing to serve

    threading.Thread(target=read, daemon=True, name="pipe-reader").start()
    import torch

    torch.set_num_threads(int(threads))
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    chan.send({"event": "ready", "pid": os.getpid()})
    Worker(chan, inbox, config).run()


if __name__ == "__main__":
    main(sys.argv[1:])
