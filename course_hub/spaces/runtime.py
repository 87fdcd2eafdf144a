"""The Space runtime: starts a Space's Gradio app in a child process, watches it, puts it to sleep, stops it.

One `SpaceManager` per app (`app.state.spaces`, made by `app.create_app`, closed by the ASGI lifespan's shutdown).
A Space's life (`stages.SpaceStage`), as on huggingface.co:
SLEEPING (not started, or idle too long) -> BUILDING (checkout, requirements check, app starting) -> RUNNING, or
RUNTIME_ERROR (the app raised, exited, hung past the start timeout or went over its memory limit; the error names
it and the run log has the traceback); PAUSED by `pause_space` until `restart_space`; a new commit on main
restarts a running Space. Only `sdk: gradio` Spaces run; `static` ones are served as files (always RUNNING),
`docker` and the rest get CONFIG_ERROR.

Every app runs as `python -I -c SUPERVISOR HUB_PID ARGV...`: the supervisor is its own session and process group,
asks Linux to send it SIGTERM when the hub dies (`prctl(PR_SET_PDEATHSIG)`, so even a SIGKILLed hub leaves no
app behind), starts ARGV in its group and, on SIGTERM or when it exits, SIGKILLs the whole group (the app's own
children too). The hub spawns supervisors from one long-lived thread: PDEATHSIG fires when the *thread* that forked
the child ends, not the process.

Sandboxed (`settings.space_sandbox`, "auto" where `sandbox.probe()` finds bubblewrap working, checked once here),
ARGV is `python app.py` inside `Sandbox.command` (supervisor -> bwrap -> app: the supervisor stays outside bwrap's
PID namespace, where its parent is the hub; bwrap's `--die-with-parent` and the namespace end the rest): the app
sees the machine read-only, its own folder (checkout, home, tmp, HF_HOME) read-write, nothing of the hub dir or
other Spaces. Each start gets a cgroup of its own (memory, tasks, CPU share; removed when the app stops; the
supervisor is in it too), and an app the kernel killed in it for memory is RUNTIME_ERROR "Memory limit exceeded";
without a cgroup the watch's psutil memory check stands in. Unsandboxed, ARGV is `python app.py` as the hub's user.

Warm start (sandboxed, `settings.space_warm`, not on a lean hub): once a Space has started, one `warm.WarmSlot`
(supervisor -> bwrap -> an interpreter that imports gradio, transformers and torch, then waits) is made in the
background; the next Space's start claims it (its folder becomes the Space's, the checkout goes into its app/) and
runs the app there, and another slot is made once that Space is up. `close()` ends the slot with the apps.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .. import flavour
from ..hubdir import HubDir
from ..lfs import Pointer
from ..net import DEFAULT_PORT, LOOPBACK, Cancelled, NotUp, ServerInfo, free_port, wait_until_up
from ..settings import Settings, course_org
from ..stages import SpaceStage
from ..store import RepoRecord
from ..urls import space_app_path as app_path
from .sandbox import Cgroup, Limits, Net, Sandbox, folder_usage, pid_alive, probe, probe_net
from .warm import WarmSlot, sweep

LOG_TAIL_LINES = 40
WARM_READY_WAIT_S = 10.0  # how long a start waits for a just-made warm slot's sandbox before it starts cold
STAGES_FILE = "stages.json"  # in the Spaces dir: each run's stage while the hub runs (`classroom report` reads it)
LOG_MAX = 1024 * 1024
LOG_RUN_MAX = 64 * 1024 * 1024  # what one run of an app may write to its log (the rest is dropped)
LOGS = ".logs"  # in the Spaces dir, out of every app's sight: `{owner}--{name}.log`, a warm slot's `.warm-{id}.log`
HARDWARE = "cpu-basic"
HEARTBEAT = "/gradio_api/heartbeat/"  # gradio_client keeps this stream open: not a sign of use
# what a warm slot fixes at its start (its own folder's paths, its port), not taken from a Space's environment
WARM_FIXED = {"HOME", "TMPDIR", "GRADIO_TEMP_DIR", "HF_HOME", "GRADIO_SERVER_PORT"}

SUPERVISOR = r"""
import ctypes, json, os, signal, subprocess, sys, threading
hub_pid, warm, argv = int(sys.argv[1]), sys.argv[2] == "warm", sys.argv[3:]
out, lock = [1], threading.Lock()  # the run log: stdout, opened by the hub (a warm slot's until the hub's go)
def write(data):
    with lock:
        while data:
            data = data[os.write(out[0], data):]
def say(text):
    write(f"[course hub] {text}\n".encode())
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
except Exception as e:
    say(f"no PR_SET_PDEATHSIG ({e})")
if os.getppid() != hub_pid:  # the hub died before prctl
    os.killpg(0, signal.SIGKILL)
def down(*_):
    os.killpg(0, signal.SIGKILL)
signal.signal(signal.SIGTERM, down)
signal.signal(signal.SIGINT, down)
pipe = subprocess.PIPE
app = subprocess.Popen(argv, stdin=pipe if warm else subprocess.DEVNULL, stdout=pipe, stderr=subprocess.STDOUT)
def hand_over():  # a warm slot: the hub's go names the Space's run log; the rest goes on to the interpreter
    line = sys.stdin.buffer.readline()
    try:
        go = json.loads(line)
        fd = os.open(go.pop("hub_log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) if "hub_log" in go else None
    except (ValueError, OSError) as e:
        go, fd = None, None
        if line.strip():
            say(f"could not start the app: {type(e).__name__}: {e}")
    if fd is not None:
        with lock:
            out[0] = fd
    try:
        if go is not None:
            app.stdin.write(json.dumps(go).encode() + b"\n")
        app.stdin.close()
    except OSError:
        pass
if warm:
    threading.Thread(target=hand_over, daemon=True).start()
written = 0
while line := app.stdout.readline(1 << 16):  # the app's output, a line at a time: never the hub's own marks
    if line.startswith((b"[course hub]", b"=====")):
        line = b"[app] " + line
    written += len(line)
    if written <= LOG_RUN_MAX:
        write(line)
    elif written - len(line) <= LOG_RUN_MAX:
        say(f"the app's output past {LOG_RUN_MAX >> 20} MiB is dropped")
code = app.wait()
say(f"the app exited with code {code}")
down()
""".replace("LOG_RUN_MAX", str(LOG_RUN_MAX))


def _wait_up_unix(sock: Path, proc: subprocess.Popen, timeout: float, cancelled) -> None:
    """`net.wait_until_up` for an app in its own network: a GET of / through its unix socket answers below 500."""
    import http.client
    import socket

    class Conn(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(self.timeout)
            self.sock.connect(str(sock))

    started = time.monotonic()
    while True:
        if cancelled():
            raise Cancelled(str(sock))
        if proc.poll() is not None:
            raise NotUp(f"the app exited with code {proc.returncode}", "exited")
        conn = Conn(LOOPBACK, timeout=2)
        try:
            conn.request("GET", "/")
            if conn.getresponse().status < 500:
                return
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        if time.monotonic() - started > timeout:
            raise NotUp(f"the app did not answer within {timeout:.0f}s", "timeout")
        time.sleep(0.2)


def space_key(repo_id: str) -> str:
    """`owner--name`: a folder name per Space (repo names never contain '--')."""
    return repo_id.replace("/", "--")


# --- requirements ---------------------------------------------------------------------------------------------
def check_requirements(text: str) -> tuple[list[str], list[str]]:
    """(missing, notes) for a requirements.txt: a package that is not installed in the hub's environment is
    missing; an installed one whose version does not match the specifier only gets a note (the course hub never
    installs packages; the app runs with what is there)."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import InvalidRequirement, Requirement

    missing, notes = [], []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-", "git+", "http:", "https:", "file:")):
            if line.startswith(("-", "git+", "http", "file:")):
                notes.append(f"requirements.txt: ignored {line!r} (the course hub installs nothing)")
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement:
            notes.append(f"requirements.txt: could not read {line!r}; ignored")
            continue
        if req.marker is not None and not req.marker.evaluate():
            continue
        try:
            have = version(req.name)
        except PackageNotFoundError:
            missing.append(line)
            continue
        if req.specifier and not req.specifier.contains(have, prereleases=True):
            notes.append(f"requirements.txt: {line!r} asked, {req.name} {have} installed: running with {have}")
    return missing, notes


# --- one Space's run ------------------------------------------------------------------------------------------
@dataclass
class SpaceRun:
    id: str
    stage: SpaceStage = SpaceStage.SLEEPING
    sha: str | None = None
    port: int | None = None
    proc: subprocess.Popen | None = None
    error: str | None = None
    started: float = 0.0
    last_used: float = 0.0
    active: int = 0  # proxied requests in flight (heartbeat streams not counted)
    gen: int = 0  # bumped by every start/stop: a start that was overtaken drops its result
    cgroup: Cgroup | None = None  # the app's (sandboxed, where the machine gives the hub cgroups)
    net: Net | None = None  # the app's own network (sandboxed, where bubblewrap can unshare it): the proxy's way in
    ready: threading.Event = field(default_factory=threading.Event)


class Spawner(threading.Thread):
    """The one long-lived thread that forks every app supervisor (see the module docstring)."""

    def __init__(self):
        super().__init__(name="course-hub-space-spawner", daemon=True)
        self.jobs: queue.Queue = queue.Queue()
        self.start()

    def run(self):
        while True:
            job = self.jobs.get()
            if job is None:  # stop (the manager closed: no app is left for PDEATHSIG to stop)
                return
            fn, box, done = job
            try:
                box.append(fn())
            except BaseException as e:  # noqa: BLE001  handed back to the caller
                box.append(e)
            done.set()

    def call(self, fn):
        box, done = [], threading.Event()
        self.jobs.put((fn, box, done))
        done.wait()
        if isinstance(box[0], BaseException):
            raise box[0]
        return box[0]


def temp_root() -> Path:
    """The system's temp dir as `tempfile` would name it, without `tempfile.gettempdir()`'s probe (a file it writes
    and removes there: the hub writes nothing outside its dir unless a Space runs)."""
    for name in ("TMPDIR", "TEMP", "TMP"):
        if os.environ.get(name):
            return Path(os.environ[name])
    return Path("/tmp")


class SpaceManager:
    """The Spaces of one hub: their stage, their processes, the idle/memory/crash/new-commit watch."""

    def __init__(self, hub, settings: Settings):
        self.hub = hub
        self.settings = settings
        self.dir = HubDir(settings.hub_dir).spaces_dir
        self.runs: dict[str, SpaceRun] = {}
        self.lock = threading.RLock()
        self._spawner: Spawner | None = None
        self._monitor: threading.Thread | None = None
        self._closed = threading.Event()
        self._paused = self._load_paused()
        self.sandbox, self.unsandboxed_why = self._make_sandbox(settings)
        self.shared_net_why = probe_net() if self.sandbox is not None else None  # None: each app has its own network
        self._net_root = temp_root() / f"course-hub-net-{os.getpid()}"  # short: socket paths
        self._sweep_nets()
        self._warm: WarmSlot | None = None  # the next Space's interpreter, imports done (sandboxed only)
        self._published: dict | None = None  # what STAGES_FILE says
        self._warming = False
        self.before_start: list = []  # called (no arguments) before an app starts: on a lean hub, the inference
        # worker lets go of its memory if idle (course_hub/app.py)

    # --- the sandbox ---------------------------------------------------------------------------------------
    def _make_sandbox(self, settings: Settings) -> tuple[Sandbox | None, str | None]:
        """(the Spaces' sandbox, None) or (None, why not); `space_sandbox` "on" without one is an error."""
        mode = settings.space_sandbox
        if mode not in ("auto", "on", "off"):
            raise ValueError(f"COURSE_HUB_SPACE_SANDBOX={mode!r}: auto, on or off")
        if mode == "off":
            return None, "turned off (COURSE_HUB_SPACE_SANDBOX=off)"
        why = probe()
        if why:
            if mode == "on":
                raise RuntimeError(f"COURSE_HUB_SPACE_SANDBOX=on, but no sandbox runs here: {why}")
            return None, why
        Cgroup.sweep()  # what a SIGKILLed hub before this one left (empty cgroups, warm slots' folders)
        sweep(self.dir)
        limits = Limits(memory_mb=settings.space_memory_mb, tasks=settings.space_tasks, disk_mb=settings.space_disk_mb)
        return Sandbox(hidden=[HubDir(settings.hub_dir).root, self.dir], limits=limits), None

    def sandbox_line(self) -> str:
        """What the hub says at start: whether Spaces run sandboxed, with what limits, or why not."""
        if self.sandbox is None:
            return f"Spaces run unsandboxed, as the hub's own user: {self.unsandboxed_why}"
        cgroup = Cgroup.make(f"course-hub-probe-{os.getpid()}", self.sandbox.limits)
        try:
            said = self.sandbox.enforced(cgroup)
        finally:
            if cgroup is not None:
                cgroup.remove()
        warm = ", warm start (gradio, transformers, torch imported in advance)" if self._warm_wanted() else ""
        if self.shared_net_why:
            said.append(f"the machine's network (any local port): {self.shared_net_why}")
        else:
            said.append("a network of its own (the hub over HTTP only)")
        return "Spaces run sandboxed (bubblewrap: hub dir and other Spaces hidden): " + ", ".join(said) + warm

    # --- the apps' own networks (sandbox.Net) ----------------------------------------------------------------
    def _new_net(self, app_port: int, owner: str) -> Net | None:
        """A fresh socket folder for one start (None: the machine's network); writable by the app's uid."""
        if self.sandbox is None or self.shared_net_why:
            return None
        self._net_root.mkdir(mode=0o711, exist_ok=True)
        folder = self._net_root / uuid.uuid4().hex[:8]
        folder.mkdir(mode=0o700)
        self.sandbox.prepare(folder, owner)
        port = int(self.hub_url().rsplit(":", 1)[1].split("/", 1)[0])
        return Net(folder, LOOPBACK, port, app_port)

    def _sweep_nets(self) -> None:
        """Remove the socket folders of hubs that are gone (a SIGKILLed hub cannot)."""
        for folder in temp_root().glob("course-hub-net-*"):
            pid = folder.name.rsplit("-", 1)[1]
            if pid.isdigit() and not pid_alive(int(pid)):
                shutil.rmtree(folder, ignore_errors=True)

    # --- what a Space is ----------------------------------------------------------------------------------
    def card(self, rec: RepoRecord) -> tuple[str | None, dict, list[str]]:
        sha, meta = self.hub.head_meta(rec)
        return sha, (meta or {}).get("card") or {}, (meta or {}).get("files") or []

    def refusal(self, rec: RepoRecord) -> tuple[SpaceStage, str] | None:
        """(stage, message) when this Space cannot run at all; None when it can."""
        sha, card, files = self.card(rec)
        sdk = card.get("sdk")
        if sha is None or not sdk:
            return SpaceStage.NO_APP_FILE, "This Space has no README.md with an `sdk:` field (gradio or static)."
        if sdk == "static":
            return None
        if sdk != "gradio":
            return SpaceStage.CONFIG_ERROR, (
                f"sdk: {sdk} Spaces are not supported on the course hub: it runs `sdk: gradio` "
                "apps in its own Python environment and serves `sdk: static` Spaces as files."
            )
        app_file = str(card.get("app_file") or "app.py")
        if app_file not in files or not app_file.endswith(".py"):
            return SpaceStage.NO_APP_FILE, f"The app file {app_file!r} (the card's `app_file`) is not in the Space."
        why = self.hub.policy.may_run_space(
            rec, self.settings.run_spaces, self.settings.classroom, sandboxed=self.sandbox is not None
        )
        if why:
            return SpaceStage.CONFIG_ERROR, why
        return None

    def runtime(self, rec: RepoRecord, wake: bool = False) -> dict:
        """The Hub's runtime JSON (`SpaceRuntime`); `wake` starts a sleeping Space (it answers BUILDING)."""
        refused = self.refusal(rec)
        sdk = self.card(rec)[1].get("sdk")
        if refused:
            stage, error = refused
        elif sdk == "static":
            stage, error = SpaceStage.RUNNING, None
        else:
            if wake:
                self.ensure(rec)
            with self.lock:
                run = self.runs.get(rec.id)
                if rec.id in self._paused:
                    stage, error = SpaceStage.PAUSED, "Paused by its owner: restart it with restart_space."
                elif run is None:
                    stage, error = SpaceStage.SLEEPING, None
                else:
                    stage, error = run.stage, run.error
                    if stage == SpaceStage.BUILDING and flavour.app_starting(run.sha is not None, self.settings):
                        stage = SpaceStage.APP_STARTING  # as huggingface.co says it
        out = {
            "stage": stage,
            "hardware": {"current": HARDWARE if stage.has_process else None, "requested": HARDWARE},
            "storage": None,
            "gcTimeout": int(self.settings.space_idle_s),
            "replicas": {"current": 1, "requested": 1},
            "devMode": False,
            "domains": [],
            "sdk": sdk,
        }
        if error:
            out["errorMessage"] = error
        return out

    # --- starting ------------------------------------------------------------------------------------------
    def ensure(self, rec: RepoRecord, use: str | None = None) -> SpaceRun | None:
        """Start the Space unless it runs, is starting, failed, is paused or may not run. Returns its run (None:
        nothing to run: paused, refused, or a static Space). `use`: the path of a request to the app, counted as a
        use from here on (`begin`, in the same hold of the lock: no other Space's start can put this one to sleep
        between the two); the caller `end`s it."""
        if self.refusal(rec) or rec.id in self._paused or self.card(rec)[1].get("sdk") != "gradio":
            return None
        with self.lock:
            run = self.runs.get(rec.id)
            if run is None or run.stage not in (SpaceStage.RUNNING, SpaceStage.BUILDING, SpaceStage.RUNTIME_ERROR):
                run = self._start_locked(rec)
            elif run.stage == SpaceStage.RUNTIME_ERROR and run.sha is not None and run.sha != self.card(rec)[0]:
                run = self._start_locked(rec)  # a failed Space stays failed until restart_space or a new commit
            run.last_used = time.monotonic()
            if use is not None:
                self.begin(rec.id, use)
            return run

    def restart(self, rec: RepoRecord) -> SpaceRun | None:
        with self.lock:
            self._paused.discard(rec.id)
            self._save_paused()
            run = self.runs.get(rec.id)
            if run is not None:
                self._stop_locked(run, SpaceStage.SLEEPING)
            if self.refusal(rec) or self.card(rec)[1].get("sdk") != "gradio":
                return None
            return self._start_locked(rec)

    def moved(self, old_id: str, rec: RepoRecord) -> None:
        """A renamed or transferred Space: the app under its old id stops, and starts again under the new one (its
        `SPACE_ID`, its URLs) if it ran; a paused Space stays paused."""
        with self.lock:
            if old_id in self._paused:
                self._paused.discard(old_id)
                self._paused.add(rec.id)
                self._save_paused()
            run = self.runs.pop(old_id, None)
            if run is None:
                return
            ran = run.stage in (SpaceStage.RUNNING, SpaceStage.BUILDING)
            self._stop_locked(run, SpaceStage.SLEEPING)
        if ran:
            self.ensure(rec)

    def pause(self, rec: RepoRecord) -> None:
        with self.lock:
            self._paused.add(rec.id)
            self._save_paused()
            run = self.runs.get(rec.id)
            if run is not None:
                self._stop_locked(run, SpaceStage.PAUSED)

    def _start_locked(self, rec: RepoRecord) -> SpaceRun:
        run = self.runs.setdefault(rec.id, SpaceRun(rec.id))
        run.gen += 1
        run.stage, run.error, run.sha, run.port = SpaceStage.BUILDING, None, None, None
        run.net = None
        run.ready.clear()
        run.started = run.last_used = time.monotonic()
        self._make_room(rec.id)
        for hook in self.before_start:
            hook()
        self._ensure_threads()
        threading.Thread(
            target=self._start, args=(rec, run, run.gen), daemon=True, name=f"space-start-{rec.id}"
        ).start()
        return run

    def _make_room(self, keep: str) -> None:
        """At most `settings.max_spaces` Spaces hold a process: the least recently used others go to sleep. In a
        classroom, a learner's other Space goes to sleep too (one each; the course's and the instructor's as many)."""
        owner = keep.split("/", 1)[0]
        if self.settings.classroom and owner not in (course_org(), "instructor"):
            for run in list(self.runs.values()):
                if run.id != keep and run.id.split("/", 1)[0] == owner and run.stage.has_process:
                    self._log(
                        run.id, f"put to sleep: one Space per learner runs in a classroom and {keep} was asked for"
                    )
                    self._stop_locked(run, SpaceStage.SLEEPING)
        live = sorted(  # the least recently used first; one starting or answering only when no idle one is left
            (r for r in self.runs.values() if r.id != keep and r.stage.has_process),
            key=lambda r: (r.stage == SpaceStage.BUILDING or r.active > 0, r.last_used),
        )
        while len(live) >= max(1, self.settings.max_spaces):
            victim = live.pop(0)
            self._log(
                victim.id,
                f"put to sleep: at most {self.settings.max_spaces} Spaces run at a time and {keep} was asked for",
            )
            self._stop_locked(victim, SpaceStage.SLEEPING)

    def _start(self, rec: RepoRecord, run: SpaceRun, gen: int) -> None:
        try:
            self._start_inner(rec, run, gen)
        except Exception as e:  # noqa: BLE001  a bug or a bad Space: the Space fails, the hub goes on
            self._fail(run, gen, f"The course hub could not start the Space: {type(e).__name__}: {e}")
        finally:
            self._refill_warm()  # once the Space is up (or failed): not competing with its start for the CPU

    def _start_inner(self, rec: RepoRecord, run: SpaceRun, gen: int) -> None:
        sha, card, _ = self.card(rec)
        folder = self.dir / space_key(rec.id)
        log = self.log_path(rec.id)
        slot = self._take_warm()
        if slot is not None:
            with self.lock:
                if run.gen != gen or self._closed.is_set():
                    self._close_slot(slot)
                    return
                run.proc, run.port, run.cgroup = slot.proc, slot.port, slot.cgroup  # a stop from now on ends it
                run.net = slot.net
            slot.claim(folder)
        folder.mkdir(parents=True, exist_ok=True)
        log.parent.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        try:  # the log keeps earlier starts (and the hub's notes on them), trimmed to its last MiB
            if log.stat().st_size > LOG_MAX:
                log.write_bytes(log.read_bytes()[-LOG_MAX // 2 :])
        except OSError:
            pass
        with open(log, "a") as f:
            f.write(f"===== Application Startup at {stamp} (commit {sha[:7]}) =====\n")
        app_dir = self._checkout(rec, sha, folder)
        with self.lock:
            if run.gen != gen:
                return
            run.sha = sha
        req = app_dir / "requirements.txt"
        if req.is_file():
            missing, notes = check_requirements(req.read_text(errors="replace"))
            for n in notes:
                self._log(rec.id, n)
            if missing:
                msg = (
                    "requirements.txt names packages that are not installed in the course hub's environment: "
                    + ", ".join(missing)
                    + " (the course hub runs Spaces with the packages it has and installs "
                    "nothing: pip install them next to the course, or drop them)"
                )
                self._log(rec.id, "ERROR: " + msg)
                return self._fail(run, gen, msg)
        app_file = str(card.get("app_file") or "app.py")
        if slot is not None:
            env = self._environment(rec, card, slot.port, folder)
            self._log(rec.id, "sandboxed: " + ", ".join(slot.box.enforced(slot.cgroup)))
            self._log(rec.id, "warm start: gradio, transformers and torch were imported before the Space was asked for")
            slot.go(app_file, {k: v for k, v in env.items() if k not in WARM_FIXED}, log=log)
            slot.log.unlink(missing_ok=True)  # the slot's own output (its imports); its supervisor writes to `log` now
            proc, port = slot.proc, slot.port
        else:
            proc = self._spawn(rec, run, gen, app_file, folder, app_dir, log)
            if proc is None:
                return
            port = run.port
        timeout = self.settings.space_start_timeout
        try:
            if run.net is not None:
                _wait_up_unix(run.net.app_sock, proc, timeout, cancelled=lambda: run.gen != gen)
            else:
                wait_until_up(
                    f"http://{LOOPBACK}:{port}/",
                    proc,
                    timeout,
                    interval=0.2,
                    probe_timeout=2,
                    cancelled=lambda: run.gen != gen,
                )
        except Cancelled:
            return
        except NotUp as e:
            if e.reason == "exited":
                if self._out_of_memory(run, gen):
                    return
                return self._fail(run, gen, "The app exited before it answered:\n" + self.log_tail(rec.id))
            self._log(rec.id, f"ERROR: the app did not answer within {timeout:.0f} s")
            return self._fail(
                run,
                gen,
                f"The app did not answer within {timeout:.0f} s (the start timeout):\n" + self.log_tail(rec.id),
            )
        with self.lock:
            if run.gen == gen:
                run.stage, run.last_used = SpaceStage.RUNNING, time.monotonic()
                run.ready.set()

    def _spawn(
        self, rec: RepoRecord, run: SpaceRun, gen: int, app_file: str, folder: Path, app_dir: Path, log: Path
    ) -> subprocess.Popen | None:
        """A cold start: the supervisor and the app (sandboxed or not); None when the start was overtaken."""
        port = free_port()
        env = self._environment(rec, card=self.card(rec)[1], port=port, folder=folder)
        argv, box, cgroup = [sys.executable, app_file], self.sandbox, None
        if box is not None:
            cgroup = Cgroup.make(f"course-hub-{os.getpid()}-{space_key(rec.id)}-{gen}", box.limits)
            box.prepare(folder, rec.id)
            net = self._new_net(port, rec.id)
            argv = box.command(argv, folder, cwd=app_dir, net=net)
            self._log(rec.id, "sandboxed: " + ", ".join(box.enforced(cgroup)))

        def spawn():
            with open(log, "ab") as out:
                return subprocess.Popen(
                    [sys.executable, "-I", "-c", SUPERVISOR, str(os.getpid()), "cold", *argv],
                    cwd=app_dir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    close_fds=True,
                    preexec_fn=box.preexec(rec.id, cgroup) if box is not None else None,
                )

        with self.lock:
            if run.gen != gen or self._closed.is_set():
                if cgroup is not None:
                    cgroup.remove()
                if box is not None and net is not None:
                    shutil.rmtree(net.dir, ignore_errors=True)
                return
            run.cgroup, run.net = cgroup, (net if box is not None else None)
            try:
                proc = self._spawner.call(spawn)
            except BaseException:
                run.cgroup = None
                if cgroup is not None:
                    cgroup.remove()
                raise
            run.proc, run.port = proc, port
        return proc

    # --- warm start (warm.py) -----------------------------------------------------------------------------------
    def _warm_wanted(self) -> bool:
        return (
            self.sandbox is not None
            and self.settings.space_warm
            and not self.settings.lean
            and not self._closed.is_set()
        )

    def _take_warm(self) -> WarmSlot | None:
        """The waiting slot, if there is one still alive (a dead one, e.g. over its memory limit, is ended) and its
        sandbox is set up (waited for a few seconds; else it stays for the next start and this one is cold)."""
        with self.lock:
            slot, self._warm = self._warm, None
        if slot is not None and not slot.alive():
            self._close_slot(slot)
            return None
        if slot is not None and not slot.ready(wait=WARM_READY_WAIT_S):
            with self.lock:
                if self._warm is None and not self._closed.is_set():
                    self._warm, slot = slot, None
            if slot is not None:
                self._close_slot(slot)
            return None
        return slot

    def _refill_warm(self) -> None:
        """Make the next slot, unless one waits or is being made (called from a start's thread, after it)."""
        with self.lock:
            if not self._warm_wanted() or self._warm is not None or self._warming or self._spawner is None:
                return
            self._warming = True
        try:
            env = {k: v for k, v in self._base_environment().items() if k not in WARM_FIXED}
            box, prefix = self.sandbox, (sys.executable, "-I", "-c", SUPERVISOR, str(os.getpid()), "warm")
            port = free_port()
            net = self._new_net(port, "warm")
            slot = self._spawner.call(lambda: WarmSlot(box, self.dir, port, env, prefix=prefix, net=net))
        except Exception:  # no slot: the next start is a cold one
            import logging

            logging.getLogger("course_hub").exception("warm slot")
            slot = None
        finally:
            with self.lock:
                self._warming = False
        if slot is None:
            return
        with self.lock:
            if not self._closed.is_set() and self._warm is None:
                self._warm, slot = slot, None
        if slot is not None:
            self._close_slot(slot)

    @staticmethod
    def _close_slot(slot: WarmSlot) -> None:
        """End a slot that no Space holds: its supervisor's group (bwrap's PID namespace goes with it), its folder."""
        try:
            os.killpg(slot.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        slot.close()
        if slot.folder.name.startswith(".warm-"):
            shutil.rmtree(slot.folder, ignore_errors=True)
        slot.log.unlink(missing_ok=True)
        if slot.net is not None:
            shutil.rmtree(slot.net.dir, ignore_errors=True)

    def _checkout(self, rec: RepoRecord, sha: str, folder: Path) -> Path:
        """The Space's files at `sha` in a fresh `app/` folder (LFS files as their content when stored here)."""
        git = self.hub.git(rec.type, rec.id)
        app_dir = folder / "app"
        tmp = folder / f"app.tmp{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        root = tmp.resolve()
        for path, entry in git.files(sha).items():
            target = (tmp / path).resolve()
            if root not in target.parents:
                continue
            data = git.blob(entry.blob)
            pointer = Pointer.parse(data)
            target.parent.mkdir(parents=True, exist_ok=True)
            if pointer and self.hub.lfs.has(pointer.oid):
                shutil.copyfile(self.hub.lfs.path(pointer.oid), target)
            else:
                target.write_bytes(data)
        shutil.rmtree(app_dir, ignore_errors=True)
        tmp.rename(app_dir)
        return app_dir

    def _base_environment(self) -> dict[str, str]:
        """What every app sees, whichever Space it is (a warm slot starts with it)."""
        return {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "GRADIO_SERVER_NAME": "127.0.0.1",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "GRADIO_SSR_MODE": "false",
            "HF_ENDPOINT": self.hub_url(),
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
            "TOKENIZERS_PARALLELISM": "false",
        }

    def _environment(self, rec: RepoRecord, card: dict, port: int, folder: Path) -> dict[str, str]:
        """What the app sees: Hugging Face's Space variables and the hub as HF_ENDPOINT; no token, no secret,
        nothing else of the hub's environment."""
        owner, name = rec.id.split("/", 1)
        base = self._base_environment()
        hub_url = base["HF_ENDPOINT"]
        for d in ("home", "tmp", "hf-home"):
            (folder / d).mkdir(exist_ok=True)
        return {
            **base,
            "HOME": str(folder / "home"),
            "TMPDIR": str(folder / "tmp"),
            "GRADIO_SERVER_PORT": str(port),
            "GRADIO_ROOT_PATH": app_path(rec.id).rstrip("/"),
            "GRADIO_TEMP_DIR": str(folder / "tmp"),
            # not SYSTEM=spaces: with it gradio starts its Spaces hot-reloader, which needs HF's `spaces` package
            "SPACE_ID": rec.id,
            "SPACE_AUTHOR_NAME": owner,
            "SPACE_REPO_NAME": name,
            "SPACE_TITLE": str(card.get("title") or name),
            "SPACE_HOST": hub_url.split("://", 1)[-1],
            "SPACE_SUBDOMAIN": rec.id.replace("/", "-").lower(),
            "HF_HOME": str(folder / "hf-home"),
        }

    @staticmethod
    def host(endpoint: str, repo_id: str) -> str:
        """`space_info(id).host`: the app's URL on this hub, as the caller reached the hub."""
        return endpoint.rstrip("/") + app_path(repo_id)

    def hub_url(self) -> str:
        """The hub's own loopback address (from server.json: never a Host header a caller sent)."""
        info = ServerInfo.read(HubDir(self.settings.hub_dir).server_file)
        return info.loopback_url if info else f"http://{LOOPBACK}:{DEFAULT_PORT}"

    def _out_of_memory(self, run: SpaceRun, gen: int) -> bool:
        """The app ended because the kernel killed it in its cgroup for memory: RUNTIME_ERROR, said so."""
        cgroup = run.cgroup
        if cgroup is None or not cgroup.oom_killed():
            return False
        msg = (
            f"Memory limit exceeded: the app went over its limit of {self.settings.space_memory_mb} MiB "
            "(COURSE_HUB_SPACE_MEMORY_MB) and was stopped"
        )
        self._log(run.id, "ERROR: " + msg)
        self._fail(run, gen, msg)
        return True

    def _fail(self, run: SpaceRun, gen: int, error: str) -> None:
        with self.lock:
            if run.gen != gen:
                return
            run.gen += 1  # whatever was starting it stops there
            self._kill(run)
            run.stage, run.error = SpaceStage.RUNTIME_ERROR, error
            run.ready.set()

    # --- stopping ---------------------------------------------------------------------------------------------
    def _stop_locked(self, run: SpaceRun, stage: SpaceStage) -> None:
        run.gen += 1
        self._kill(run)
        run.stage, run.error, run.port = stage, None, None
        run.ready.set()

    @staticmethod
    def _kill(run: SpaceRun) -> None:
        proc, run.proc = run.proc, None
        cgroup, run.cgroup = run.cgroup, None
        net, run.net = run.net, None
        if net is not None:  # the proxy's way in goes first; the relays end with the app
            shutil.rmtree(net.dir, ignore_errors=True)
        if proc is None:
            if cgroup is not None:
                cgroup.remove()
            return
        import psutil

        try:
            family = psutil.Process(proc.pid).children(recursive=True)
        except psutil.Error:
            family = []
        for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        try:  # the group, whatever the supervisor did
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        deadline = time.monotonic() + 3  # return once the app and its children are really gone
        for p in family:
            while time.monotonic() < deadline:
                try:
                    if p.status() == psutil.STATUS_ZOMBIE:
                        break
                except psutil.Error:
                    break
                time.sleep(0.02)
        if cgroup is not None:  # and whatever is left in its cgroup
            cgroup.remove()

    def sleep_idle(self, why: str) -> list[str]:
        """Put every running Space with no request in flight to sleep (a lean hub, before the inference worker
        starts); returns their ids."""
        slept = []
        with self.lock:
            for run in self.runs.values():
                if run.stage == SpaceStage.RUNNING and run.active == 0 and run.proc is not None:
                    self._log(run.id, f"put to sleep: {why}")
                    self._stop_locked(run, SpaceStage.SLEEPING)
                    slept.append(run.id)
        return slept

    def close(self) -> None:
        """Stop every app and the threads (the app object is shutting down: the ASGI lifespan, or `serve`'s end)."""
        self._closed.set()
        with self.lock:
            for run in self.runs.values():
                if run.proc is not None:
                    self._stop_locked(run, SpaceStage.SLEEPING)
            slot, self._warm = self._warm, None
            if slot is not None:
                self._close_slot(slot)
            if self._spawner is not None:
                self._spawner.jobs.put(None)
        shutil.rmtree(self._net_root, ignore_errors=True)
        if self._published is not None:
            (self.dir / STAGES_FILE).unlink(missing_ok=True)

    # --- being used ---------------------------------------------------------------------------------------
    def begin(self, repo_id: str, path: str) -> None:
        """A request to the app starts (a heartbeat stream is no use: an idle client keeps one open, and it must not
        make its Space look more recently used than one whose client is between two requests)."""
        with self.lock:
            run = self.runs.get(repo_id)
            if run is not None and not path.startswith(HEARTBEAT):
                run.last_used = time.monotonic()
                run.active += 1

    def end(self, repo_id: str, path: str) -> None:
        with self.lock:
            run = self.runs.get(repo_id)
            if run is not None and not path.startswith(HEARTBEAT):
                run.last_used = time.monotonic()
                run.active = max(0, run.active - 1)

    def has_process(self, repo_id: str) -> bool:
        """The Space's app is starting or running (its log may still grow)."""
        run = self.runs.get(repo_id)
        return run is not None and run.stage.has_process

    def wait_ready(self, repo_id: str, timeout: float) -> SpaceRun | None:
        run = self.runs.get(repo_id)
        if run is not None:
            run.ready.wait(timeout)
        return run

    # --- the watch ----------------------------------------------------------------------------------------
    def _ensure_threads(self) -> None:
        if self._spawner is None:
            self._spawner = Spawner()
        if self._monitor is None:
            self._monitor = threading.Thread(target=self._watch, daemon=True, name="course-hub-space-watch")
            self._monitor.start()

    def _watch(self) -> None:
        interval = max(0.2, min(1.0, self.settings.space_idle_s / 4))
        while not self._closed.wait(interval):
            try:
                self._check()
            except Exception:
                import logging

                logging.getLogger("course_hub").exception("space watch")

    def _publish_stages(self) -> None:
        """Write each run's stage to STAGES_FILE when it changed (the hub's pid with it: a dead hub's file is stale)."""
        with self.lock:
            stages = {
                r.id: {"stage": str(r.stage), "error": (r.error or "").split("\n", 1)[0][:200]}
                for r in self.runs.values()
            }
        if stages == self._published:
            return
        self._published = stages
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f"{STAGES_FILE}.tmp"
        tmp.write_text(json.dumps({"pid": os.getpid(), "spaces": stages}))
        os.replace(tmp, self.dir / STAGES_FILE)

    def _check(self) -> None:
        import psutil

        self._publish_stages()
        now = time.monotonic()
        with self.lock:
            runs = [r for r in self.runs.values() if r.stage.has_process and r.proc is not None]
        for run in runs:
            rec = self.hub.repo("space", run.id)
            with self.lock:
                if run.proc is None or not run.stage.has_process:
                    continue
                if rec is None:  # deleted
                    self._stop_locked(run, SpaceStage.SLEEPING)
                    continue
                if run.stage == SpaceStage.RUNNING and run.proc.poll() is not None:
                    if not self._out_of_memory(run, run.gen):
                        self._fail(run, run.gen, "The app stopped:\n" + self.log_tail(run.id))
                    continue
                head = self.hub.git("space", run.id).head()
                if run.sha and head and head != run.sha:
                    self._log(run.id, f"new commit {head[:7]} on main: restarting")
                    self._stop_locked(run, SpaceStage.SLEEPING)
                    if not self.refusal(rec):
                        self._start_locked(rec)
                    continue
                if (
                    run.stage == SpaceStage.RUNNING
                    and run.active == 0
                    and now - run.last_used > self.settings.space_idle_s
                ):
                    self._log(run.id, f"put to sleep after {self.settings.space_idle_s:g} s without a request")
                    self._stop_locked(run, SpaceStage.SLEEPING)
                    continue
                gen, pid, memory_held = run.gen, run.proc.pid, run.cgroup is not None
            if self._over_disk(run, gen) or memory_held:  # with a cgroup, the kernel holds its memory limit
                continue
            try:
                parent = psutil.Process(pid)
                rss = sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)])
            except psutil.Error:
                continue
            limit = self.settings.space_memory_mb * 1024 * 1024
            if rss > limit:
                with self.lock:
                    if run.proc is not None and run.proc.pid == pid:
                        msg = (
                            f"Memory limit exceeded: the app used {rss >> 20} MiB, the limit is "
                            f"{self.settings.space_memory_mb} MiB (COURSE_HUB_SPACE_MEMORY_MB)"
                        )
                        self._log(run.id, "ERROR: " + msg)
                        self._fail(run, run.gen, msg)

    def _over_disk(self, run: SpaceRun, gen: int) -> bool:
        """The Space's folder holds more than `space_disk_mb`: RUNTIME_ERROR, said so, and what it wrote goes."""
        folder = self.dir / space_key(run.id)
        used, limit = folder_usage(folder), self.settings.space_disk_mb
        if used is not None and used <= limit << 20:
            return False
        held = f"{used >> 20} MiB" if used is not None else "more than 100000 files"
        msg = (
            f"Disk limit exceeded: the Space's folder holds {held}, its limit is {limit} MiB "
            "(COURSE_HUB_SPACE_DISK_MB); the app was stopped and its files removed"
        )
        with self.lock:
            if run.gen != gen:
                return True
            self._log(run.id, "ERROR: " + msg)
            self._fail(run, gen, msg)
            shutil.rmtree(folder, ignore_errors=True)  # the app is gone: its files with it (its log is elsewhere)
        return True

    # --- logs and state ---------------------------------------------------------------------------------
    def log_path(self, repo_id: str) -> Path:
        """The Space's run log: out of its app's reach (the app's output comes through the supervisor)."""
        return self.dir / LOGS / f"{space_key(repo_id)}.log"

    def log_tail(self, repo_id: str, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path(repo_id).read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.rstrip("\n").split("\n")[-lines:])  # lines end at \n only (as the log route says)

    def _log(self, repo_id: str, line: str) -> None:
        path = self.log_path(repo_id)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a") as f:
                f.write(f"[course hub] {line}\n")
        except OSError:
            pass

    def _load_paused(self) -> set[str]:
        try:
            return set(json.loads((self.dir / "paused.json").read_text()))
        except (OSError, ValueError):
            return set()

    def _save_paused(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / "paused.json.tmp"
        tmp.write_text(json.dumps(sorted(self._paused)))
        os.replace(tmp, self.dir / "paused.json")
