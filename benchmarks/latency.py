"""API latency with the real client, 1 and 30 concurrent clients (processes): `model_info`, `list_models` and the
HEAD of `/resolve/` that every `hf_hub_download` and `from_pretrained` starts with.

Worker side: `python -m benchmarks.latency INDEX`, phases `go URL CALL N` (N calls in a row, one at a time).
"""

from __future__ import annotations

import time

from .common import Workers, client_env, percentile

REPO = "sentence-transformers/all-MiniLM-L6-v2"
CALLS = ("model_info", "list_models", "resolve_head")


def measure(
    servers: dict[str, str], concurrency: tuple[int, ...] = (1, 30), calls_per_client: dict | None = None
) -> dict:
    """{call: {server: {"c1": {...}, "c30": {...}}}} with p50/p99 in ms, requests/s and errors."""
    per_client = calls_per_client or {1: 100, 30: 10}
    out = {call: {name: {} for name in servers} for call in CALLS}
    with Workers(max(concurrency), "benchmarks.latency", [], client_env()) as w:
        for c in concurrency:
            for call in CALLS:
                for name, url in servers.items():
                    w.phase(url, call, 2, n=c)  # warm-up: connections, the server's first-request costs
                    results, wall = w.phase(url, call, per_client[c], n=c)
                    ms = [x for r in results for x in r.get("ms", [])]
                    errors = sum(r.get("errors", 0) for r in results) + sum(1 for r in results if "ms" not in r)
                    first = next(
                        (
                            r.get("first_error") or r.get("error")
                            for r in results
                            if r.get("first_error") or r.get("error")
                        ),
                        None,
                    )
                    out[call][name][f"c{c}"] = {
                        "requests": len(ms),
                        "errors": errors,
                        "first_error": first,
                        "p50_ms": round(percentile(ms, 50), 1) if ms else None,
                        "p99_ms": round(percentile(ms, 99), 1) if ms else None,
                        "req_s": round(len(ms) / wall, 1) if wall else None,
                    }
    return {"repo": REPO, "calls_per_client": {f"c{k}": v for k, v in per_client.items()}, "results": out}


# --- worker ------------------------------------------------------------------------------------------------------
def _worker() -> None:
    from huggingface_hub import HfApi, get_hf_file_metadata, hf_hub_url

    from .common import worker_loop

    def one(url: str, call: str) -> None:
        if call == "model_info":
            HfApi(endpoint=url, token=False).model_info(REPO, revision="main")
        elif call == "list_models":
            models = list(HfApi(endpoint=url, token=False).list_models())
            if not models:
                raise RuntimeError("list_models returned no model")
        else:
            get_hf_file_metadata(hf_hub_url(REPO, "config.json", endpoint=url), token=False)

    def run(words: list[str]) -> dict:
        url, call, n = words[0], words[1], int(words[2])
        ms, errors, first = [], 0, None
        for _ in range(n):
            started = time.perf_counter()
            try:
                one(url, call)
                ms.append((time.perf_counter() - started) * 1000)
            except Exception as e:  # counted; the first one is reported  # noqa: BLE001
                errors += 1
                first = first or f"{type(e).__name__}: {str(e)[:200]}"
        return {"ms": ms, "errors": errors, "first_error": first}

    worker_loop(run)


if __name__ == "__main__":
    _worker()
