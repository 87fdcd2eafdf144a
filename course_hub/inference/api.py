"""Inference routes: Hugging Face's task API (`POST /models/{id}`), OpenAI-style chat completions and `/v1/models`.

Every route checks access exactly like a download (`policy.download`: gated 401/403, private 404), validates the
payload here (the worker only ever sees well-formed jobs), and waits for the worker without blocking a thread:
the handlers are async. Cold models block the request until loaded (within `inference_timeout_s`), because
`InferenceClient` 2.x does not retry on 503 + `estimated_time`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
import time
import uuid
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response, StreamingResponse

from ..errors import BadRequest, GatewayTimeout, HubError, PayloadTooLarge, ServiceUnavailable, Unprocessable
from ..http import Ctx
from .service import Job
from .snapshots import snapshot

TASKS = ("text-classification", "feature-extraction", "sentence-similarity", "text-generation", "image-classification")
EMBEDDING_TAGS = ("feature-extraction", "sentence-similarity")
MAX_BODY = 1024 * 1024  # JSON; an image may be up to 8 MiB
MAX_IMAGE = 8 * 1024 * 1024
MAX_ITEMS = 64  # strings in one `inputs` list / candidate sentences / messages
STATIC = Path(__file__).parent / "static"
log = logging.getLogger("course_hub.inference")
DEFAULT_NEW_TOKENS = 256
# text-generation parameters (TGI's names); others are refused with the message InferenceClient understands (it then
# drops them, warns, and retries): "The following `model_kwargs` are not used by the model: [...]"
TG_PARAMS = (
    "max_new_tokens",
    "return_full_text",
    "do_sample",
    "temperature",
    "top_p",
    "top_k",
    "seed",
    "stop",
    "repetition_penalty",
    "details",
    "truncate",
    "decoder_input_details",
    "typical_p",
    "watermark",
)
CHAT_FIELDS = (
    "model",
    "messages",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "seed",
    "stop",
    "stream",
    "stream_options",
    "n",
    "frequency_penalty",
    "presence_penalty",
    "logprobs",
    "top_logprobs",
    "logit_bias",
    "response_format",
    "tools",
    "tool_choice",
    "tool_prompt",
    "parallel_tool_calls",
    "user",
    "metadata",
    "store",
    "chat_template_kwargs",
)


def unprocessable(message: str) -> Unprocessable:
    return Unprocessable(message)


# --- reading and checking what the caller sent -----------------------------------------------------------------
async def read_body(ctx: Ctx, limit: int) -> bytes:
    declared = ctx.request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"Request body too large ({declared} bytes; inference accepts up to {limit})")
    body = bytearray()
    async for chunk in ctx.request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"Request body too large (inference accepts up to {limit} bytes)")
    return bytes(body)


def parse_json(body: bytes) -> dict:
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise BadRequest(f"The request body is not valid JSON (UTF-8): {str(e)[:200]}") from None
    if not isinstance(data, dict):
        raise BadRequest('The request body must be a JSON object, e.g. {"inputs": "I love this course"}')
    return data


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


class Budget:
    """All text of one request counts against `inference_max_input_chars`."""

    def __init__(self, limit: int):
        self.left = self.limit = limit

    def text(self, value, what: str, empty_ok: bool = False) -> str:
        if not isinstance(value, str):
            raise unprocessable(f"`{what}` must be a string, not {_kind(value)}")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest(f"`{what}` is not valid Unicode text (a lone surrogate)") from None
        if "\x00" in value:
            raise BadRequest(f"`{what}` contains a NUL character")
        if not value.strip() and not empty_ok:
            raise unprocessable(f"`{what}` is empty")
        self.left -= len(value)
        if self.left < 0:
            raise PayloadTooLarge(
                f"The inputs are too long: the course hub takes up to {self.limit} characters of text per request"
            )
        return value

    def texts(self, value, what: str) -> list[str]:
        if not isinstance(value, list) or not value:
            raise unprocessable(f"`{what}` must be a non-empty list of strings")
        if len(value) > MAX_ITEMS:
            raise PayloadTooLarge(f"`{what}` has {len(value)} items; the limit is {MAX_ITEMS}")
        return [self.text(v, f"{what}[{i}]") for i, v in enumerate(value)]


def _kind(v) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        type(None): "null",
        int: "a number",
        float: "a number",
    }.get(type(v), type(v).__name__)


def number(params: dict, name: str, lo: float, hi: float, integer: bool = False):
    v = params.get(name)
    if v is None:
        return None
    if (
        isinstance(v, bool)
        or not isinstance(v, (int, float))
        or (integer and not float(v).is_integer())
        or not math.isfinite(v)
        or not lo <= v <= hi
    ):
        raise unprocessable(
            f"`{name}` must be {'an integer' if integer else 'a number'} in [{lo}, {hi}], got {json.dumps(v)[:50]}"
        )
    return int(v) if integer else float(v)


def flag(params: dict, name: str) -> bool | None:
    v = params.get(name)
    if v is not None and not isinstance(v, bool):
        raise unprocessable(f"`{name}` must be true or false")
    return v


def stops(value, budget: Budget, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or len(value) > 8:
        raise unprocessable(f"`{what}` must be a string or a list of up to 8 strings")
    return [budget.text(s, what)[:200] for s in value]


# --- which model, which task -------------------------------------------------------------------------------------
async def model_for(ctx: Ctx, repo_id: str):
    """Access as for a download, then the model's task (its card's pipeline_tag) and head commit."""
    rec = await run_in_threadpool(ctx.policy.download, ctx.ident, "model", repo_id, ctx.endpoint)
    sha, meta = await run_in_threadpool(ctx.hub.head_meta, rec)
    if sha is None:
        raise BadRequest(f"Model {rec.id} has no commit yet: nothing to run")
    return rec, sha, (meta["card"].get("pipeline_tag") or None)


def unsupported(repo_id: str, tag: str | None) -> BadRequest:
    return BadRequest(
        f"Model {repo_id} has pipeline_tag {tag!r}: the course hub runs inference for models tagged "
        f"{', '.join(TASKS)} (and chat completions for text-generation models with a chat template)"
    )


async def run_job(ctx: Ctx, rec, sha: str, load_task: str, task: str, payload: dict) -> Job:
    folder = await run_in_threadpool(snapshot, ctx.hub, rec, sha)
    state = ctx.request.app.state  # the app's runtime (course_hub/app.py)
    service = state.inference
    if ctx.settings.lean and service.worker_pid() is None:  # a small machine: idle Spaces make room for the worker
        await run_in_threadpool(
            state.spaces.sleep_idle,
            "the machine is small (COURSE_HUB_LEAN=1) and the inference API needed the memory",
        )
    return service.submit(
        {"task": task, "load_task": load_task, "key": f"{rec.id}@{sha}", "folder": str(folder), "payload": payload}
    )


def _raise_event(event: dict) -> None:
    status, message = event.get("status", 500), event.get("message", "inference failed")
    if status == 503:
        raise ServiceUnavailable(message, headers={"Retry-After": str(event.get("retry_after", 5))})
    if status == 422:
        raise Unprocessable(message)
    if status == 400:
        raise BadRequest(message)
    err = HubError(message)
    err.status = status
    raise err


async def _watch_disconnect(receive, gone: asyncio.Event) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()
            return


async def result_of(ctx: Ctx, job: Job) -> dict:
    """Wait for the job's answer; a client that hangs up cancels it, the timeout ends it (504)."""
    deadline = time.monotonic() + ctx.settings.inference_timeout_s
    gone = asyncio.Event()
    watcher = asyncio.ensure_future(_watch_disconnect(ctx.request.receive, gone))
    try:
        while True:
            try:
                event = await job.next(min(deadline, time.monotonic() + 1.0))
            except asyncio.TimeoutError:
                if gone.is_set():
                    raise ServiceUnavailable("The client disconnected") from None
                if time.monotonic() >= deadline:
                    raise GatewayTimeout(
                        f"The inference request took longer than {ctx.settings.inference_timeout_s:.0f}s"
                    ) from None
                continue
            if event["event"] == "done":
                return event["result"]
            if event["event"] == "error":
                _raise_event(event)
    finally:
        watcher.cancel()
        job.cancel()


class EventStream(StreamingResponse):
    """Server-sent events from an async iterator; when the client hangs up (or the iterator ends, or fails) the
    job is cancelled, so the worker stops generating at its next token."""

    def __init__(self, events, job: Job):
        super().__init__(
            events, media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
        self.events, self.job = events, job

    async def __call__(self, scope, receive, send) -> None:
        async def pump():
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            async for chunk in self.events:
                await send({"type": "http.response.body", "body": chunk.encode("utf-8"), "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})

        gone = asyncio.Event()
        pumping = asyncio.ensure_future(pump())
        watching = asyncio.ensure_future(_watch_disconnect(receive, gone))
        try:
            await asyncio.wait({pumping, watching}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (pumping, watching):
                t.cancel()
            self.job.cancel()
            for outcome in await asyncio.gather(pumping, watching, return_exceptions=True):
                if isinstance(outcome, Exception) and not isinstance(outcome, OSError):
                    log.error("inference stream failed: %r", outcome, exc_info=outcome)


def sse(obj) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"


async def stream_events(ctx: Ctx, job: Job):
    """The job's events until done, with the request's deadline; errors become one `{"error"}` event."""
    deadline = time.monotonic() + ctx.settings.inference_timeout_s
    while True:
        try:
            event = await job.next(deadline)
        except asyncio.TimeoutError:
            yield {
                "event": "error",
                "status": 504,
                "message": f"The inference request took longer than {ctx.settings.inference_timeout_s:.0f}s",
            }
            return
        yield event
        if event["event"] in ("done", "error"):
            return


# --- the task API ------------------------------------------------------------------------------------------------
async def task_api(ctx: Ctx) -> Response:
    """POST /models/{id} (and /hf-inference/models/{id}, …/pipeline/{task}): Hugging Face's serverless task API."""
    rec, sha, tag = await model_for(ctx, ctx.params["repo"])
    if tag not in TASKS:
        raise unsupported(rec.id, tag)
    asked = ctx.params.get("task")
    if asked and not (asked == tag or (asked in EMBEDDING_TAGS and tag in EMBEDDING_TAGS)):
        raise BadRequest(f"Model {rec.id} is a {tag} model: it does not run {asked!r}")
    content_type = ctx.request.headers.get("content-type", "").split(";")[0].strip().lower()
    budget = Budget(ctx.settings.inference_max_input_chars)
    if tag == "image-classification":
        body = await read_body(ctx, MAX_IMAGE)
        if content_type == "application/json":
            data = parse_json(body)
            params = _params(data, ("top_k", "function_to_apply"))
            if not isinstance(data.get("inputs"), str):
                raise unprocessable("`inputs` must be the image, base64-encoded")
            try:
                image = base64.b64decode(data["inputs"], validate=True)
            except ValueError:
                raise unprocessable("`inputs` must be the image, base64-encoded") from None
        else:
            image, params = body, {}
        if not image:
            raise unprocessable('Send the image as the request body (or JSON {"inputs": base64})')
        top_k = number(params, "top_k", 1, 1000, integer=True)
        job = await run_job(
            ctx, rec, sha, tag, tag, {"image": base64.b64encode(image).decode(), "parameters": {"top_k": top_k}}
        )
        return JSONResponse(await result_of(ctx, job))
    data = parse_json(await read_body(ctx, MAX_BODY))
    if "inputs" not in data:
        raise unprocessable(
            f"The payload needs `inputs` (model {rec.id}, task {tag}), e.g. "
            + (
                '{"inputs": {"source_sentence": "…", "sentences": ["…", "…"]}}'
                if tag in EMBEDDING_TAGS
                else '{"inputs": "I love this course"}'
            )
        )
    inputs = data["inputs"]
    if tag == "text-classification":
        params = _params(data, ("top_k", "function_to_apply"))
        texts = budget.texts(inputs, "inputs") if isinstance(inputs, list) else budget.text(inputs, "inputs")
        fn = params.get("function_to_apply")
        if fn is not None and fn not in ("sigmoid", "softmax", "none"):
            raise unprocessable("`function_to_apply` must be one of 'sigmoid', 'softmax', 'none'")
        payload = {
            "inputs": texts,
            "parameters": {"top_k": number(params, "top_k", 1, 10000, integer=True), "function_to_apply": fn},
        }
        result = await result_of(ctx, await run_job(ctx, rec, sha, tag, tag, payload))
        return JSONResponse(result)
    if tag in EMBEDDING_TAGS:
        if isinstance(inputs, dict):  # sentence-similarity
            extra = set(inputs) - {"source_sentence", "sentences"}
            if extra or "source_sentence" not in inputs or "sentences" not in inputs:
                raise unprocessable(
                    'sentence-similarity takes {"inputs": {"source_sentence": str, "sentences": [str, …]}}'
                )
            payload = {
                "inputs": {
                    "source_sentence": budget.text(inputs["source_sentence"], "source_sentence"),
                    "sentences": budget.texts(inputs["sentences"], "sentences"),
                }
            }
            _params(data, ())
            result = await result_of(ctx, await run_job(ctx, rec, sha, tag, "sentence-similarity", payload))
            return JSONResponse(result)
        texts = budget.texts(inputs, "inputs") if isinstance(inputs, list) else budget.text(inputs, "inputs")
        # feature-extraction's parameters come at the top level (InferenceClient) or under `parameters`
        nested = data.get("parameters")
        if nested is not None and not isinstance(nested, dict):
            raise unprocessable("`parameters` must be an object")
        params = {
            k: v
            for k, v in {**data, **(nested or {})}.items()
            if v is not None and k not in ("inputs", "parameters", "options")
        }
        accepted = ("normalize", "truncate", "truncation_direction", "prompt_name", "dimensions", "encoding_format")
        unknown = sorted(set(params) - set(accepted))
        if unknown:
            raise BadRequest(f"Unknown parameters {unknown} for feature-extraction; accepted: {', '.join(accepted)}")
        if (
            params.get("prompt_name") is not None
            or params.get("dimensions") is not None
            or params.get("encoding_format") not in (None, "float")
        ):
            raise unprocessable(
                "The course hub's feature-extraction supports `normalize`, `truncate` and "
                "`truncation_direction` (not prompt_name, dimensions, base64 encoding)"
            )
        payload = {"inputs": texts, "normalize": flag(params, "normalize")}
        result = await result_of(ctx, await run_job(ctx, rec, sha, tag, "feature-extraction", payload))
        return JSONResponse(result)
    # text-generation
    if isinstance(inputs, list) or isinstance(inputs, dict):
        raise unprocessable('text-generation takes one prompt: {"inputs": "…", "parameters": {…}}')
    prompt = budget.text(inputs, "inputs")
    params = _params(data, TG_PARAMS, extra_top=("stream",), kwargs_message=True)
    if params.get("watermark"):
        raise BadRequest(
            "The following `model_kwargs` are not used by the model: ['watermark'] (the course hub does not watermark)"
        )
    number(params, "typical_p", 0, 1)  # accepted (TGI clients send it), not applied
    stream = flag(data, "stream") or False
    gen = _generation(params, budget, ctx.settings, "max_new_tokens", stop_field="stop")
    gen["do_sample"] = bool(flag(params, "do_sample"))
    gen["truncate"] = number(params, "truncate", 1, ctx.settings.inference_max_prompt_tokens, integer=True)
    gen["stream"] = stream
    full = bool(flag(params, "return_full_text"))
    details = bool(flag(params, "details"))
    flag(params, "decoder_input_details")
    job = await run_job(ctx, rec, sha, tag, "text-generation", {"inputs": prompt, **gen})
    if stream:
        return EventStream(_tgi_stream(ctx, job, prompt if full else ""), job)
    r = await result_of(ctx, job)
    out = {"generated_text": (prompt if full else "") + r["text"]}
    if details:
        out["details"] = {
            "finish_reason": r["finish_reason"],
            "generated_tokens": r["completion_tokens"],
            "seed": r["seed"],
            "prefill": [],
            "tokens": [],
        }
    return JSONResponse([out])


def _params(data: dict, accepted: tuple, extra_top: tuple = (), kwargs_message: bool = False) -> dict:
    extra = sorted(set(data) - {"inputs", "parameters", "options", *extra_top})
    if extra:
        raise BadRequest(f'Unknown fields {extra}; the payload is {{"inputs": …, "parameters": {{…}}}}')
    params = data.get("parameters")
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise unprocessable("`parameters` must be an object")
    unknown = sorted(k for k, v in params.items() if k not in accepted and v is not None)
    if unknown:
        if kwargs_message:
            raise BadRequest(
                f"The following `model_kwargs` are not used by the model: {unknown} (the course hub "
                f"accepts {', '.join(accepted)})"
            )
        raise BadRequest(f"Unknown parameters {unknown}; accepted: {', '.join(accepted) or 'none'}")
    return params


def _generation(params: dict, budget: Budget, settings, max_field: str, stop_field: str) -> dict:
    cap = settings.inference_max_tokens
    max_new = number(params, max_field, 1, cap, integer=True)
    if max_new is None and max_field == "max_tokens":
        max_new = number(params, "max_completion_tokens", 1, cap, integer=True)
    seed = params.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63):
        raise unprocessable("`seed` must be a non-negative integer")
    return {
        "max_new_tokens": max_new or min(DEFAULT_NEW_TOKENS, cap),
        "temperature": number(params, "temperature", 0, 100),
        "top_p": number(params, "top_p", 0, 1),
        "top_k": number(params, "top_k", 1, 100000, integer=True),
        "repetition_penalty": number(params, "repetition_penalty", 0.01, 100),
        "seed": seed,
        "stop": stops(params.get(stop_field), budget, stop_field),
    }


async def _tgi_stream(ctx: Ctx, job: Job, prefix: str):
    """TGI's stream: one event per token; the last carries `generated_text` and `details`."""
    held = None
    index = 0
    async for event in stream_events(ctx, job):
        if event["event"] == "delta" and event["text"]:
            if held is not None:
                yield sse(held)
            index += 1
            held = {
                "index": index,
                "token": {"id": event["token"], "text": event["text"], "logprob": 0.0, "special": False},
                "generated_text": None,
                "details": None,
            }
        elif event["event"] == "done":
            r = event["result"]
            if held is None:
                held = {
                    "index": 1,
                    "token": {"id": 0, "text": "", "logprob": 0.0, "special": True},
                    "generated_text": None,
                    "details": None,
                }
            held["generated_text"] = prefix + r["text"]
            held["details"] = {
                "finish_reason": r["finish_reason"],
                "generated_tokens": r["completion_tokens"],
                "seed": r["seed"],
            }
            yield sse(held)
        elif event["event"] == "error":
            if held is not None:
                yield sse(held)
            yield sse({"error": event["message"], "error_type": "generation"})
            return
    yield "data: [DONE]\n\n"


# --- OpenAI chat completions ---------------------------------------------------------------------------------------
async def chat(ctx: Ctx) -> Response:
    """POST /v1/chat/completions (model from the body) and /models/{id}/v1/chat/completions (model from the URL)."""
    data = parse_json(await read_body(ctx, MAX_BODY))
    unknown = sorted(set(data) - set(CHAT_FIELDS))
    if unknown:
        raise unprocessable(
            f"Unknown fields {unknown}; the course hub's chat completions accept {', '.join(CHAT_FIELDS)}"
        )
    repo_id = ctx.params.get("repo")
    if repo_id is None:
        model = data.get("model")
        if model is not None and not isinstance(model, str):
            raise unprocessable("`model` must be a repo id such as HuggingFaceTB/SmolLM2-135M-Instruct")
        # InferenceClient(base_url=…) sends "dummy" (or a URL) when no model is named; TGI would use its one model
        repo_id = (
            ctx.settings.inference_default_model
            if not model or model in ("dummy", "tgi") or model.startswith(("http://", "https://"))
            else model
        )
    rec, sha, tag = await model_for(ctx, repo_id)
    if tag != "text-generation":
        raise (
            unsupported(rec.id, tag)
            if tag not in TASKS
            else BadRequest(
                f"Model {rec.id} is a {tag} model, not a chat model: use POST /models/{rec.id} (the task API)"
            )
        )
    budget = Budget(ctx.settings.inference_max_input_chars)
    messages = _messages(data.get("messages"), budget)
    for name, ok in (
        ("n", (None, 1)),
        ("frequency_penalty", (None, 0, 0.0)),
        ("presence_penalty", (None, 0, 0.0)),
        ("logprobs", (None, False)),
        ("top_logprobs", (None, 0)),
        ("tools", (None, [])),
        ("tool_choice", (None, "none", "auto")),
        ("tool_prompt", (None, "")),
        ("parallel_tool_calls", (None, True, False)),
        ("logit_bias", (None, {})),
    ):
        if data.get(name) not in ok:
            raise unprocessable(
                f"`{name}` is not supported by the course hub (accepted: {', '.join(json.dumps(v) for v in ok)})"
            )
    rf = data.get("response_format")
    if rf is not None and rf != {"type": "text"}:
        raise unprocessable('`response_format` must be {"type": "text"} (no JSON mode on the course hub)')
    if data.get("chat_template_kwargs") is not None and not isinstance(data["chat_template_kwargs"], dict):
        raise unprocessable("`chat_template_kwargs` must be an object")
    gen = _generation(data, budget, ctx.settings, "max_tokens", stop_field="stop")
    temperature = gen["temperature"]
    # greedy unless a temperature above 0 is given (OpenAI samples at 1.0 by default: a deliberate difference, so
    # that notebooks are reproducible); `seed` makes sampling reproducible
    gen["do_sample"] = temperature is not None and temperature > 0
    gen["exclude_stop"] = True
    stream = flag(data, "stream") or False
    options = data.get("stream_options")
    if options is not None and (not isinstance(options, dict) or set(options) - {"include_usage"}):
        raise unprocessable('`stream_options` takes only {"include_usage": bool}')
    usage = bool(flag(options or {}, "include_usage"))
    gen["stream"] = stream
    job = await run_job(ctx, rec, sha, tag, "text-generation", {"messages": messages, **gen})
    cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
    head = {"id": cid, "created": created, "model": rec.id, "system_fingerprint": f"course-hub-{sha[:10]}"}
    if stream:
        return EventStream(_chat_stream(ctx, job, head, usage), job)
    r = await result_of(ctx, job)
    return JSONResponse(
        {
            **head,
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": r["text"]},
                    "logprobs": None,
                    "finish_reason": "length" if r["finish_reason"] == "length" else "stop",
                }
            ],
            "usage": _usage(r),
        }
    )


def _usage(r: dict) -> dict:
    return {
        "prompt_tokens": r["prompt_tokens"],
        "completion_tokens": r["completion_tokens"],
        "total_tokens": r["prompt_tokens"] + r["completion_tokens"],
    }


def _messages(value, budget: Budget) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise unprocessable('`messages` must be a non-empty list of {"role": …, "content": …}')
    if len(value) > 4 * MAX_ITEMS:
        raise PayloadTooLarge(f"Too many messages ({len(value)}; the limit is {4 * MAX_ITEMS})")
    out = []
    for i, m in enumerate(value):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise unprocessable(f"messages[{i}] must be an object with a `role` and a `content`")
        role = m["role"]
        if role not in ("system", "user", "assistant", "developer"):
            raise unprocessable(
                f"messages[{i}].role must be system, user, assistant or developer (no tools on the course hub)"
            )
        extra = set(m) - {"role", "content", "name"}
        if extra:
            raise unprocessable(f"messages[{i}] has fields the course hub does not support: {sorted(extra)}")
        content = m.get("content")
        if isinstance(content, list):  # content parts: text only
            parts = []
            for j, part in enumerate(content):
                if not isinstance(part, dict) or part.get("type") != "text":
                    raise unprocessable(f"messages[{i}].content[{j}]: only text parts are supported")
                parts.append(budget.text(part.get("text"), f"messages[{i}].content[{j}].text", empty_ok=True))
            content = "".join(parts)
        else:
            content = budget.text(content, f"messages[{i}].content", empty_ok=True)
        out.append({"role": "system" if role == "developer" else role, "content": content})
    return out


async def _chat_stream(ctx: Ctx, job: Job, head: dict, usage: bool):
    def chunk(delta: dict, finish=None, **extra) -> str:
        return sse(
            {
                **head,
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
                **extra,
            }
        )

    yield chunk({"role": "assistant", "content": ""})
    async for event in stream_events(ctx, job):
        if event["event"] == "delta" and event["text"]:
            yield chunk({"content": event["text"]})
        elif event["event"] == "done":
            r = event["result"]
            yield chunk({}, "length" if r["finish_reason"] == "length" else "stop")
            if usage:
                yield sse({**head, "object": "chat.completion.chunk", "choices": [], "usage": _usage(r)})
        elif event["event"] == "error":
            yield sse({"error": {"message": event["message"], "type": "server_error", "code": event.get("status")}})
            return
    yield "data: [DONE]\n\n"


# --- the model list and the widget's files -----------------------------------------------------------------------
def list_models(ctx: Ctx) -> Response:
    """GET /v1/models: the chat models this caller can see (gated ones included; running them needs access)."""
    data = []
    for rec in ctx.hub.repos("model"):
        if not ctx.policy.can_see(ctx.ident, rec):
            continue
        sha, meta = ctx.hub.head_meta(rec)
        if meta and meta["card"].get("pipeline_tag") == "text-generation":
            data.append({"id": rec.id, "object": "model", "created": int(meta["date"]), "owned_by": rec.namespace})
    return JSONResponse({"object": "list", "data": data})


STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def static(ctx: Ctx) -> Response:
    """GET /inference-static/widget.js|widget.css: the model page's try-it widget."""
    path = STATIC / ctx.params["name"]
    return Response(
        path.read_bytes(),
        media_type=STATIC_TYPES[path.suffix],
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
