"""The course hub's website: page latency with 1 and 30 concurrent clients (processes), as a browser asks
(`Accept: text/html`, no cookies): home, a filtered model list, a model page, a dataset-viewer page.

Worker side: `python -m benchmarks.web INDEX`, phases `go URL PAGE N` (N requests in a row, one at a time).
Targets: p50 ≤ 20 ms at 1 client; 0 errors at 30.
"""

from __future__ import annotations

import time

from .common import Workers, client_env, percentile

PAGES = {
    "home": "/",
    "model list (filtered)": "/models?pipeline_tag=text-classification&library=transformers&sort=downloads",
    "model page": "/hf-hands-on/minilm-sentiment",
    "dataset viewer": "/datasets/hf-hands-on/sentiment-snippets/viewer/default/train?p=3",
}
P50_TARGET_MS = 20


def measure(url: str, concurrency: tuple[int, ...] = (1, 30), calls_per_client: dict | None = None) -> dict:
    """{page: {"c1": {...}, "c30": {...}}} with p50/p99 in ms, requests/s and errors."""
    per_client = calls_per_client or {1: 100, 30: 10}
    out = {name: {} for name in PAGES}
    with Workers(max(concurrency), "benchmarks.web", [], client_env()) as w:
        for c in concurrency:
            for name in PAGES:
                w.phase(url, name.replace(" ", "_"), 3, n=c)  # warm-up: connections, caches, the first pyarrow import
                results, wall = w.phase(url, name.replace(" ", "_"), per_client[c], n=c)
                ms = [x for r in results for x in r.get("ms", [])]
                errors = sum(r.get("errors", 0) for r in results) + sum(1 for r in results if "ms" not in r)
                first = next(
                    (r.get("first_error") or r.get("error") for r in results if r.get("first_error") or r.get("error")),
                    None,
                )
                out[name][f"c{c}"] = {
                    "requests": len(ms),
                    "errors": errors,
                    "first_error": first,
                    "p50_ms": round(percentile(ms, 50), 1) if ms else None,
                    "p99_ms": round(percentile(ms, 99), 1) if ms else None,
                    "req_s": round(len(ms) / wall, 1) if wall else None,
                }
    return {"pages": PAGES, "calls_per_client": {f"c{k}": v for k, v in per_client.items()}, "results": out}


def verdicts(w: dict) -> list[tuple[str, str, str, bool | None]]:
    out = []
    for name, x in w["results"].items():
        p50 = x.get("c1", {}).get("p50_ms")
        out.append(
            (
                f"website, {name}: p50 at 1 client",
                f"≤ {P50_TARGET_MS} ms",
                "—" if p50 is None else f"{p50} ms",
                None if p50 is None else p50 <= P50_TARGET_MS,
            )
        )
    errors = sum(x.get("c30", {}).get("errors", 0) for x in w["results"].values())
    out.append(("website, 30 concurrent clients: errors", "0", str(errors), errors == 0))
    return out


def render(w: dict) -> list[str]:
    lines = [
        "",
        "## 3d. The website (ms; 1 client, then 30 concurrent client processes)",
        "",
        f"Requests per client: {w['calls_per_client']}; `Accept: text/html`, no cookies.",
        "",
        "| page | path | p50 (1) | p99 (1) | p50 (30) | p99 (30) | req/s (30) | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, x in w["results"].items():
        a, b = x.get("c1", {}), x.get("c30", {})
        first = a.get("first_error") or b.get("first_error")
        lines.append(
            f"| {name} | `{w['pages'][name]}` | {a.get('p50_ms')} | {a.get('p99_ms')} | {b.get('p50_ms')} "
            f"| {b.get('p99_ms')} | {b.get('req_s')} | {a.get('errors', 0) + b.get('errors', 0)}"
            f"{' (' + first[:100] + ')' if first else ''} |"
        )
    return lines


# --- worker ------------------------------------------------------------------------------------------------------
def _worker() -> None:
    import http.client
    from urllib.parse import urlsplit

    from .common import worker_loop

    conns: dict[str, http.client.HTTPConnection] = {}

    def get(url: str, path: str) -> None:
        parts = urlsplit(url)
        conn = conns.get(url) or conns.setdefault(
            url, http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        )
        try:
            conn.request("GET", path, headers={"Accept": "text/html"})
            r = conn.getresponse()
            body = r.read()
        except (OSError, http.client.HTTPException):
            conns.pop(url, None).close()
            raise
        if r.status != 200 or b"</html>" not in body:
            raise RuntimeError(f"{path}: HTTP {r.status}")

    def run(words: list[str]) -> dict:
        url, name, n = words[0], words[1].replace("_", " "), int(words[2])
        path = PAGES[name]
        ms, errors, first = [], 0, None
        for _ in range(n):
            started = time.perf_counter()
            try:
                get(url, path)
                ms.append((time.perf_counter() - started) * 1000)
            except Exception as e:  # counted  # noqa: BLE001
                errors += 1
                first = first or f"{type(e).__name__}: {e}"
        return {"ms": ms, "errors": errors, "first_error": first}

    worker_loop(run)


if __name__ == "__main__":
    _worker()
