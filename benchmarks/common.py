"""What every benchmark shares: paths, statistics, a private copy of the built hub and a server over it,
and a pool of client processes released at the same instant."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from course_hub import HubDir
from course_hub.net import NotUp, free_port, wait_until_up
from helpers.gradio_tools import stop  # terminate, wait, kill if needed

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "build" / "bench"
PYTHON = sys.executable

# a client's environment (Xet on, as on huggingface.co): no token, no telemetry, no progress bars, no user config
CLIENT_ENV = {
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "TQDM_DISABLE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}
_DROP = (
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "HF_HUB_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_HUB_CACHE",
    "HF_DATASETS_CACHE",
    "HF_XET_CACHE",
    "HF_TOKEN_PATH",
    "HF_ENDPOINT",
    "COURSE_HUB_URL",
    "COURSE_HUB",
    "COURSE_HF_HOME",
)


def client_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in _DROP}
    return {**env, **CLIENT_ENV, **extra}


def median(xs: list[float]) -> float | None:
    return round(statistics.median(xs), 3) if xs else None


def percentile(xs: list[float], q: float) -> float | None:
    """The q-th percentile (nearest rank) of xs."""
    if not xs:
        return None
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(round(q / 100 * len(s) + 0.5)) - 1))]


def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def dir_bytes(path: Path) -> int:
    """Bytes of the regular files under path (symlinks not followed: a snapshot's links are not counted twice)."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file() and not p.is_symlink())


# --- a private copy of the built hub and a server over it ---------------------------------------------------
def copy_hub(src: Path, dst: Path) -> Path:
    """A private copy of the built hub (hard links, a copy of the database; no runtime files): the learner's hub
    is never written to."""
    return HubDir(src).copy_to(dst).root


def wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> float:
    """Wait until GET url answers (a status below 500); return the seconds it took. Stops proc if it never does."""
    try:
        return wait_until_up(url, proc, timeout, log_path=log, what=" ".join(map(str, proc.args[:3])))
    except NotUp:
        stop(proc)
        raise


class Server:
    """A server process on a free loopback port: `with Server(name, argv_for_port, ...) as s: s.url`."""

    def __init__(self, name: str, argv, workdir: Path, health: str = "/", env: dict | None = None):
        self.name, self.argv, self.workdir, self.health, self.env = name, argv, workdir, health, env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                self.argv(self.port),
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
            )
        self.startup_s = wait_http(self.url + self.health, self.proc, self.log)
        return self

    def __exit__(self, *exc) -> None:
        stop(self.proc)


def course_hub(hub_dir: Path, workdir: Path) -> Server:
    """The course hub as learners run it: `python -m course_hub serve` over hub_dir."""
    return Server(
        "course-hub",
        lambda port: [PYTHON, "-m", "course_hub", "serve", "--hub-dir", str(hub_dir), "--port", str(port)],
        workdir,
        "/api/health",
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


# --- client processes released together -----------------------------------------------------------------------
class Workers:
    """N copies of `python -m <module> <args> <index>`: each prints "ready" once imported, then for every
    `go WORDS...` line on stdin runs one phase and prints one JSON line. Imports are never part of a phase."""

    def __init__(self, n: int, module: str, args: list[str], env: dict):
        BENCH.mkdir(parents=True, exist_ok=True)
        self.log = BENCH / f"{module.rsplit('.', 1)[-1]}-workers.log"  # their stderr (a pipe could fill up)
        with open(self.log, "ab") as log:
            self.procs = [
                subprocess.Popen(
                    [PYTHON, "-m", module, *args, str(i)],
                    cwd=ROOT,
                    env=env,
                    text=True,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                )
                for i in range(n)
            ]
        for p in self.procs:
            line = p.stdout.readline()
            if line.strip() != "ready":
                self.close()
                raise RuntimeError(f"worker did not start: {line!r}; see {self.log}:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def phase(self, *words, n: int | None = None) -> tuple[list[dict], float]:
        """Release the first n workers (default: all) at once with `go WORDS...`; return their JSON results and
        the wall time until the last one answered."""
        procs = self.procs[:n] if n else self.procs
        line = " ".join(["go", *map(str, words)]) + "\n"
        started = time.perf_counter()
        for p in procs:
            p.stdin.write(line)
            p.stdin.flush()
        out = []
        for p in procs:
            line = p.stdout.readline()
            out.append(json.loads(line) if line.strip() else {"error": f"worker died; see {self.log}"})
        return out, time.perf_counter() - started

    def close(self) -> None:
        for p in self.procs:
            try:
                p.stdin.close()
            except OSError:
                pass
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def worker_loop(run_phase) -> None:
    """The worker side of `Workers`: say ready, then `run_phase(words)` and one JSON line per `go WORDS...`."""
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] != "go":
            break
        try:
            result = run_phase(words[1:])
        except Exception as e:  # reported, counted as an error by the parent  # noqa: BLE001
            result = {"error": f"{type(e).__name__}: {str(e)[:300]}"}
        print(json.dumps(result), flush=True)
