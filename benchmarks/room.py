"""A room of learners at once, with the real clients: each learner signs in on the website (requests: the login
form), opens a model page, runs its widget (the JSON POST the page's widget.js sends, with the session cookie),
streams a 64-token chat from SmolLM2 (openai), calls the demo Space (gradio_client) and downloads MiniLM
(huggingface_hub). p50/p95 per action, errors, the hub's memory (the hub, its inference worker and Spaces).

    python -m benchmarks.room                          # 30 learners, a course hub over a copy of data/hub
    python -m benchmarks.room --double                 # 30, 60, 120, ... until an action fails
    python -m benchmarks.room --endpoint URL --tokens token-sheet.csv   # a running classroom hub (its token sheet)

The learners are threads in a few client processes (a process per learner would spend the room's memory on
imports); every thread starts at the same instant. Worker side: `python -m benchmarks.room URL ROOT INDEX`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

from course_hub.settings import course_org

from .common import BENCH, ROOT, Workers, client_env, copy_hub, percentile

MODEL_PAGE = "minilm-sentiment"  # in the course's org (the hub's build.json says which)
CHAT_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
SPACE = "sentiment-demo"
DOWNLOAD = "sentence-transformers/all-MiniLM-L6-v2"
ACTIONS = ("sign_in", "model_page", "widget", "chat", "space", "download")
CHAT_TOKENS = 64
LEARNERS = 30
PROCESSES = 6  # client processes; learners are threads among them
TARGET_ERRORS = 0


# --- one learner -------------------------------------------------------------------------------------------------
def sign_in(s, url: str, user: str, token: str) -> None:
    page = s.get(f"{url}/login", timeout=120)
    page.raise_for_status()
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    form = {"username": user, "token": token, "next": "/"}
    if found:
        form["csrf"] = found.group(1)
    r = s.post(f"{url}/login", data=form, timeout=120, allow_redirects=False)
    if r.status_code not in (302, 303) or "course_hub_session" not in s.cookies:
        raise RuntimeError(f"sign-in answered {r.status_code} without a session")


def learner(
    url: str, org: str, user: str, token: str, home: Path, out: dict, errors: list, start: threading.Event
) -> None:
    import requests
    from gradio_client import Client
    from huggingface_hub import snapshot_download
    from openai import OpenAI

    def chat() -> dict:
        client = OpenAI(base_url=f"{url}/v1", api_key=token, timeout=600)  # its default retries, as a learner has
        stream = client.chat.completions.create(
            model=CHAT_MODEL,
            messages=[{"role": "user", "content": "Tell me a long story about a cat who learns to sail."}],
            max_tokens=CHAT_TOKENS,
            temperature=0.7,
            stream=True,
        )
        chunks, first = 0, None
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                chunks += 1
                first = first or time.perf_counter()
        if not chunks:
            raise RuntimeError("the chat stream sent no text")
        return {"first_token": first}

    def space() -> None:
        answer = Client(f"{org}/{SPACE}", token=token, verbose=False).predict(
            "The acting is superb.", api_name="/predict"
        )
        if "label" not in answer:
            raise RuntimeError(f"the Space answered {answer!r}")

    def download() -> None:
        folder = snapshot_download(DOWNLOAD, cache_dir=home, token=token)
        if not (Path(folder) / "model.safetensors").is_file():
            raise RuntimeError("no model.safetensors in the snapshot")

    s = requests.Session()
    s.headers["Accept"] = "text/html,application/xhtml+xml,*/*;q=0.8"  # a browser's: the website answers those
    steps = {
        "sign_in": lambda: sign_in(s, url, user, token),
        "model_page": lambda: s.get(f"{url}/{org}/{MODEL_PAGE}", timeout=120).raise_for_status(),
        "widget": lambda: _widget(s, url, f"{org}/{MODEL_PAGE}"),
        "chat": chat,
        "space": space,
        "download": download,
    }
    start.wait()
    for name in ACTIONS:
        t = time.perf_counter()
        try:
            got = steps[name]()
        except Exception as e:  # a learner's failure is a result: counted and reported  # noqa: BLE001
            errors.append([name, time.time(), f"{type(e).__name__}: {str(e)[:300]}"])  # when: which failed first
            if name == "sign_in":
                return  # the rest needs the session
            continue
        out.setdefault(name, []).append(time.perf_counter() - t)
        if isinstance(got, dict) and got.get("first_token"):
            out.setdefault("chat_first_token", []).append(got["first_token"] - t)
    shutil.rmtree(home, ignore_errors=True)


def _widget(s, url: str, repo_id: str) -> None:
    """What widget.js sends for a text-classification page: POST /models/{id} with the session cookie."""
    r = s.post(f"{url}/models/{repo_id}", json={"inputs": "What a wonderful, heart-warming film!"}, timeout=600)
    r.raise_for_status()
    rows = r.json()
    if not rows or "label" not in json.dumps(rows):
        raise RuntimeError(f"the widget got {rows!r}")


def _worker(url: str, root: Path) -> None:
    import gradio_client  # noqa: F401  (imported before "ready": imports are not part of a learner's time)
    import huggingface_hub  # noqa: F401
    import openai  # noqa: F401
    import requests  # noqa: F401

    from .common import worker_loop

    room_file = json.loads((root / "seats.json").read_text())
    org, seats = room_file["org"], [tuple(row) for row in room_file["seats"]]

    def run(words: list[str]) -> dict:
        first, count = int(words[0]), int(words[1])
        out, errors, start = {}, [], threading.Event()
        threads = [
            threading.Thread(
                target=learner,
                args=(url, org, *seats[i % len(seats)], root / f"home{i}", out, errors, start),
                daemon=True,
            )
            for i in range(first, first + count)
        ]
        for t in threads:
            t.start()
        start.set()
        for t in threads:
            t.join()
        return {"times": out, "errors": errors}

    worker_loop(run)


# --- the room ------------------------------------------------------------------------------------------------------
class HubMemory(threading.Thread):
    """The peak RSS of a process tree (the hub, its inference worker and its Spaces), polled every 0.5 s."""

    def __init__(self, pid: int | None):
        super().__init__(daemon=True)
        self.pid, self.peak, self.parts, self._halt = pid, 0, {}, threading.Event()

    def run(self) -> None:
        import psutil

        while self.pid and not self._halt.is_set():
            try:
                hub = psutil.Process(self.pid)
                procs = [hub, *hub.children(recursive=True)]
            except psutil.Error:
                return
            parts = {}
            for p in procs:
                try:
                    cmd = " ".join(p.cmdline())
                    rss = p.memory_info().rss
                except psutil.Error:
                    continue
                label = "hub" if p.pid == self.pid else "inference worker" if "inference.worker" in cmd else "Spaces"
                parts[label] = parts.get(label, 0) + rss
            if sum(parts.values()) > self.peak:
                self.peak, self.parts = sum(parts.values()), parts
            self._halt.wait(0.5)

    def stop(self) -> dict:
        self._halt.set()
        self.join(5)
        mb = 2**20
        return {"peak_mb": round(self.peak / mb), "at_peak_mb": {k: round(v / mb) for k, v in self.parts.items()}}


def room(url: str, workers: Workers, learners: int, hub_pid: int | None) -> dict:
    """One room of `learners` at once; per action: count, p50, p95, errors (with the first error's message)."""
    per = -(-learners // len(workers.procs))
    memory = HubMemory(hub_pid)
    memory.start()
    started = time.perf_counter()
    for i, p in enumerate(workers.procs):  # every process gets its share at once; each releases its threads together
        first, count = i * per, max(0, min(per, learners - i * per))
        p.stdin.write(f"go {first} {count}\n")
        p.stdin.flush()
    results = []
    for p in workers.procs:
        line = p.stdout.readline()
        results.append(json.loads(line) if line.strip() else {"errors": [["worker", 0, "a client process died"]]})
    wall = time.perf_counter() - started
    times: dict[str, list[float]] = {}
    errors: list = []
    for r in results:
        for name, xs in r.get("times", {}).items():
            times.setdefault(name, []).extend(xs)
        errors += r.get("errors", [])
    actions = {}
    for name in (*ACTIONS, "chat_first_token"):
        xs = times.get(name, [])
        failed = [e for e in errors if e[0] == name]
        actions[name] = {
            "ok": len(xs),
            "errors": len(failed),
            "p50_s": _r(percentile(xs, 50)),
            "p95_s": _r(percentile(xs, 95)),
            "max_s": _r(max(xs) if xs else None),
        }
        if failed:
            actions[name]["first_error"] = min(failed, key=lambda e: e[1])[2]
    first = min(errors, key=lambda e: e[1]) if errors else None
    return {
        "learners": learners,
        "wall_s": round(wall, 1),
        "errors": len(errors),
        "actions": actions,
        "hub_memory": memory.stop(),
        "first_failure": {"action": first[0], "error": first[2]} if first else None,
    }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def warm_up(url: str, space: str, token: str, timeout: float = 300) -> float:
    """Before the room, as an instructor does: the demo Space awake and RUNNING; seconds it took."""
    import requests

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        r = requests.get(f"{url}/api/spaces/{space}/runtime", headers={"Authorization": f"Bearer {token}"}, timeout=60)
        if r.ok and r.json().get("stage") == "RUNNING":
            return round(time.perf_counter() - started, 1)
        time.sleep(1)
    raise RuntimeError(f"{space} was not RUNNING after {timeout} s")


def seats_of(hub_dir: Path, url: str, count: int) -> list[tuple[str, str]]:
    from course_hub import classroom
    from course_hub.hub import Hub

    names = [f"learner{i + 1:02d}" for i in range(count)]
    return [(s.user, s.token) for s in classroom.create_roster(Hub(hub_dir), names, url)]


def measure(
    learners: int = LEARNERS,
    double: bool = False,
    endpoint: str | None = None,
    tokens: Path | None = None,
    most: int = 480,
    log=print,
    hub: Path = ROOT / "data" / "hub",
    classroom: bool = False,
) -> dict:
    """The room at `learners` (and, with double, 2×, 4×, ... until an action fails or `most` is passed)."""
    from .common import Server

    work = BENCH / "room"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    sizes = [learners]
    while double and sizes[-1] * 2 <= most:
        sizes.append(sizes[-1] * 2)
    server = None
    org = course_org()
    if endpoint:
        url, hub_pid = endpoint.rstrip("/"), None
        with open(tokens) as fh:
            seats = [(row["user"], row["token"]) for row in csv.DictReader(fh)]
    else:
        hub_dir = copy_hub(hub, work / "hub")
        built = json.loads((hub_dir / "build.json").read_text())["repos"]
        org = next(r.split(":", 1)[1].split("/")[0] for r in built if r.endswith(f"/{MODEL_PAGE}"))
        server = Server(
            "room-hub",
            lambda port: [
                sys.executable,
                "-m",
                "course_hub",
                "serve",
                "--hub-dir",
                str(hub_dir),
                "--port",
                str(port),
                *(["--classroom", "--host", "127.0.0.1"] if classroom else []),
            ],
            work,
            "/api/health",
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        server.__enter__()
        url, hub_pid = server.url, server.proc.pid
        seats = seats_of(hub_dir, url, max(sizes))
    (work / "seats.json").write_text(json.dumps({"org": org, "seats": seats}))
    kind = "a classroom hub" if classroom else "a course hub"
    out = {"endpoint": f"{kind} over a copy of data/hub" if server else endpoint, "org": org, "rooms": []}
    try:
        out["space_ready_s"] = warm_up(url, f"{org}/{SPACE}", seats[0][1])
        with Workers(min(PROCESSES, learners), "benchmarks.room", [url, str(work)], client_env(HF_ENDPOINT=url)) as w:
            out["first_learner"] = room(url, w, 1, hub_pid)  # alone: loads the models the room then shares
            log(f"  one learner alone: {out['first_learner']['errors']} errors, {out['first_learner']['wall_s']} s")
            for n in sizes:
                log(f"  room of {n} ...", flush=True)
                r = room(url, w, n, hub_pid)
                out["rooms"].append(r)
                a = r["actions"]
                log(
                    f"  room of {n}: {r['errors']} errors, {r['wall_s']} s, hub peak {r['hub_memory']['peak_mb']} MB; "
                    + ", ".join(f"{k} p50 {v['p50_s']} p95 {v['p95_s']}" for k, v in a.items()),
                    flush=True,
                )
                if r["errors"]:
                    out["first_failure"] = {"learners": n, **r["first_failure"]}
                    break
    finally:
        if server:
            server.__exit__(None, None, None)
    return out


def verdicts(r: dict) -> list[tuple[str, str, str, bool | None]]:
    first = r["rooms"][0]
    a = first["actions"]
    out = [
        (
            f"room of {first['learners']}: every learner's six actions",
            f"{TARGET_ERRORS} errors",
            f"{first['errors']} errors; p95 chat {a['chat']['p95_s']} s, Space {a['space']['p95_s']} s",
            first["errors"] == TARGET_ERRORS,
        )
    ]
    return out


def render(r: dict) -> list[str]:
    lines = [
        "",
        "## A room of learners at once",
        "",
        "Each learner (a thread; 6 client processes) signs in on the website, opens "
        f"`{r.get('org', '')}/{MODEL_PAGE}`'s page, runs its widget (classification), streams a {CHAT_TOKENS}-token chat from "
        f"SmolLM2 (openai), calls `{r.get('org', '')}/{SPACE}` (gradio_client) and downloads `{DOWNLOAD}` (snapshot_download), all "
        f"starting at the same instant against {r['endpoint']}. Seconds per action:",
        "",
        "| learners | action | ok | errors | p50 s | p95 s | max s |",
        "|---|---|---|---|---|---|---|",
    ]
    for room_ in r["rooms"]:
        for name, a in room_["actions"].items():
            lines.append(
                f"| {room_['learners']} | {name} | {a['ok']} | {a['errors']} | {a['p50_s']} | {a['p95_s']} | "
                f"{a['max_s']} |"
            )
    for room_ in r["rooms"]:
        m = room_["hub_memory"]
        parts = ", ".join(f"{k} {v}" for k, v in m["at_peak_mb"].items())
        lines.append("")
        lines.append(
            f"Room of {room_['learners']}: {room_['wall_s']} s for the whole room, {room_['errors']} errors; "
            f"the hub's peak RSS {m['peak_mb']} MB ({parts})."
        )
    if r.get("first_learner"):
        one = r["first_learner"]
        lines += [
            "",
            f"Before the room: the demo Space RUNNING after {r.get('space_ready_s')} s, then one learner alone (the "
            f"hub loads its models): {one['wall_s']} s, {one['errors']} errors"
            + (f" (first: {one['first_failure']['action']}: {one['first_failure']['error']})" if one["errors"] else "")
            + ".",
        ]
    if r.get("first_failure"):
        f = r["first_failure"]
        lines += [
            "",
            f"First to fail when the room doubled: **{f['action']}** at {f['learners']} learners: {f['error']}",
        ]
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--learners", type=int, default=LEARNERS)
    ap.add_argument("--double", action="store_true", help="double the room until an action fails")
    ap.add_argument("--most", type=int, default=480, help="stop doubling past this many learners")
    ap.add_argument("--endpoint", help="a running classroom hub's URL (default: one over a copy of data/hub)")
    ap.add_argument("--tokens", type=Path, help="its token sheet's CSV (user,token,...), with --endpoint")
    ap.add_argument("--classroom", action="store_true", help="serve the copy with --classroom")
    ap.add_argument("--hub-dir", type=Path, default=ROOT / "data" / "hub", help="the built hub to copy and serve")
    ap.add_argument("--json", type=Path, help="write the result here")
    args = ap.parse_args(argv)
    if bool(args.endpoint) != bool(args.tokens):
        ap.error("--endpoint and --tokens go together")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a stopped run still stops its hub and clients
    r = measure(
        args.learners, args.double, args.endpoint, args.tokens, args.most, hub=args.hub_dir, classroom=args.classroom
    )
    print("\n".join(render(r)))
    if args.json:
        args.json.write_text(json.dumps(r, indent=1) + "\n")
    return 1 if r["rooms"][0]["errors"] else 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1].startswith("http"):
        _worker(sys.argv[1], Path(sys.argv[2]))
    else:
        sys.exit(main())
