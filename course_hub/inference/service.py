"""The hub's side of inference: one worker process per hub, started on demand, restarted after a crash.

Requests become jobs: `submit` sends one to the worker and returns a `Job` whose events (`loaded`, `delta`, `done`,
`error`) arrive on an asyncio queue in the caller's event loop. A bounded number of jobs may be in flight
(`Settings.inference_queue`); more get 503 + Retry-After. If the worker dies (a crash, the OOM killer), every job in
flight gets a 503 event and the next request starts a new worker. The worker is stopped when idle, when the app
object closes (`app.state.inference`, closed by the ASGI lifespan's shutdown, see course_hub/app.py), and on its own
when the hub dies (see worker.py).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..errors import ServiceUnavailable
from ..hubdir import HubDir
from ..settings import Settings
from .protocol import Channel, Closed

MiB = 1024 * 1024


class Job:
    def __init__(self, service: InferenceService, job_id: int, loop: asyncio.AbstractEventLoop):
        self.service, self.id, self.loop = service, job_id, loop
        self.events: asyncio.Queue = asyncio.Queue()
        self.finished = False

    def push(self, event: dict) -> None:  # from the reader thread
        try:
            self.loop.call_soon_threadsafe(self.events.put_nowait, event)
        except RuntimeError:  # the loop is closed (server shutting down)
            pass

    async def next(self, deadline: float) -> dict:
        left = deadline - time.monotonic()
        if left <= 0:
            raise asyncio.TimeoutError
        event = await asyncio.wait_for(self.events.get(), left)
        if event["event"] in ("done", "error"):
            self.finished = True
        return event

    def cancel(self) -> None:
        if not self.finished:
            self.finished = True
            self.service.cancel(self)


class WorkerProcess:
    def __init__(self, proc: subprocess.Popen, chan: Channel):
        self.proc, self.chan = proc, chan
        self.jobs: dict[int, Job] = {}
        self.last_used = time.monotonic()
        self.stopping = False


class InferenceService:
    """One app's inference: its worker process (started on the first job), the jobs in flight, the idle watch."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.dir = HubDir(settings.hub_dir)
        self.lock = threading.Lock()
        self.worker: WorkerProcess | None = None
        self.ids = itertools.count(1)
        self.restarts = 0
        self.last_exit: str | None = None
        self._closed = threading.Event()
        self._watch: threading.Thread | None = None  # started with the first worker

    # --- the worker process ------------------------------------------------------------------------------
    def _spawn(self) -> WorkerProcess:
        inference_dir = self.dir.inference_dir
        inference_dir.mkdir(parents=True, exist_ok=True)
        self.dir.logs_dir.mkdir(parents=True, exist_ok=True)
        ours, theirs = socket.socketpair()
        config = {
            "parent": os.getpid(),
            "threads": self.settings.inference_threads,
            "max_batch": self.settings.inference_max_batch,
            "max_model_bytes": self.settings.inference_memory_mb * MiB,
            "max_prompt_tokens": self.settings.inference_max_prompt_tokens,
            "dtype": self.settings.inference_dtype,
            "hf_home": str(inference_dir / "hf-home"),
        }
        root = Path(__file__).resolve().parents[2]
        with open(self.dir.logs_dir / "inference-worker.log", "ab") as log:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "course_hub.inference.worker",
                    "--fd",
                    str(theirs.fileno()),
                    "--config",
                    json.dumps(config),
                ],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=root,
                env={
                    **os.environ,
                    "PYTHONPATH": os.pathsep.join([str(root), *filter(None, [os.environ.get("PYTHONPATH")])]),
                },
            )
        theirs.close()
        if self._watch is None:
            self._watch = threading.Thread(target=self._idle_watch, daemon=True, name="inference-idle")
            self._watch.start()
        worker = WorkerProcess(proc, Channel(ours))
        (inference_dir / "worker.pid").write_text(str(proc.pid))
        threading.Thread(target=self._read, args=(worker,), daemon=True, name="inference-reader").start()
        return worker

    def _read(self, worker: WorkerProcess) -> None:
        try:
            while True:
                event = worker.chan.recv()
                if "id" not in event:
                    continue  # ready
                with self.lock:
                    job = worker.jobs.get(event["id"])
                    if event["event"] in ("done", "error"):
                        worker.jobs.pop(event["id"], None)
                if job is not None:
                    job.push(event)
        except (Closed, ValueError):
            pass
        worker.chan.close()
        try:
            code = worker.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.proc.kill()
            code = worker.proc.wait()
        with self.lock:
            if self.worker is worker:
                self.worker = None
            jobs, worker.jobs = list(worker.jobs.values()), {}
            if not worker.stopping:
                self.restarts += 1
                how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
                self.last_exit = how
        if worker.stopping:
            return
        message = (
            f"The inference worker stopped ({how}{': out of memory?' if code == -9 else ''}); it restarts "
            "on the next request. Retry."
        )
        for job in jobs:
            job.push({"event": "error", "status": 503, "message": message, "retry_after": 1})

    def _idle_watch(self) -> None:
        while not self._closed.wait(min(5.0, max(0.2, self.settings.inference_idle_s / 4))):
            with self.lock:
                w = self.worker
                if w is not None and not w.jobs and time.monotonic() - w.last_used > self.settings.inference_idle_s:
                    self._stop(w)

    def _stop(self, w: WorkerProcess) -> None:  # under self.lock
        w.stopping = True
        if self.worker is w:
            self.worker = None
        try:
            w.chan.send({"op": "exit"})
        except Closed:
            pass
        try:
            w.proc.terminate()
        except OSError:
            pass

    def close(self) -> None:
        """Stop the worker and the idle watch (the app object is shutting down); a later job is refused."""
        self._closed.set()
        with self.lock:
            w = self.worker
            if w is not None:
                self._stop(w)
        if w is not None:
            try:
                w.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                w.proc.kill()

    def release_if_idle(self) -> bool:
        """Stop the worker now if no request is in flight (a lean hub, before a Space starts); True if it did."""
        with self.lock:
            w = self.worker
            if w is None or w.jobs:
                return False
            self._stop(w)
            return True

    def worker_pid(self) -> int | None:
        with self.lock:
            return self.worker.proc.pid if self.worker else None

    # --- jobs ------------------------------------------------------------------------------------------
    def submit(self, message: dict) -> Job:
        """Send a job to the worker (starting it if needed); 503 + Retry-After when the queue is full."""
        loop = asyncio.get_running_loop()
        with self.lock:
            w = self.worker
            if w is not None and w.proc.poll() is not None:
                w = None
            in_flight = len(w.jobs) if w else 0
            if in_flight >= self.settings.inference_queue:
                raise ServiceUnavailable(
                    f"The course hub's inference queue is full ({in_flight} requests in flight, the limit is "
                    f"{self.settings.inference_queue}); retry in a few seconds",
                    headers={"Retry-After": "5"},
                )
            if w is None:
                if self._closed.is_set():
                    raise ServiceUnavailable("The course hub is stopping", headers={"Retry-After": "5"})
                w = self.worker = self._spawn()
            job = Job(self, next(self.ids), loop)
            w.jobs[job.id] = job
            w.last_used = time.monotonic()
            try:
                w.chan.send({"op": "run", "id": job.id, **message})
            except Closed:
                w.jobs.pop(job.id, None)
                raise ServiceUnavailable(
                    "The inference worker is restarting; retry", headers={"Retry-After": "1"}
                ) from None
        return job

    def cancel(self, job: Job) -> None:
        with self.lock:
            w = self.worker
            if w is None or w.jobs.pop(job.id, None) is None:
                return
            w.last_used = time.monotonic()
            try:
                w.chan.send({"op": "cancel", "id": job.id})
            except Closed:
                pass
