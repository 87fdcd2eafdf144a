"""course_hub/spaces/sandbox.py: hostile Space apps in a real bubblewrap sandbox, real processes, real limits.

Each app here is a small Python program that tries something a Space must not do (read the hub's secret, another
Space's files or the user's token, write outside its folder, take 4 GB, fork thousands of processes, outlive its
stop) and prints what happened; a real Gradio app inside the sandbox answers the real gradio_client from outside.
Memory and task limits are checked where this machine gives the hub a cgroup (the course's machines do; a laptop
without one gets rlimits, checked by the same tests through their other branch).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import psutil
import pytest

from course_hub.net import LOOPBACK, free_port, wait_until_up
from course_hub.spaces.sandbox import Cgroup, Limits, Sandbox, probe

pytestmark = pytest.mark.slow  # sandboxed processes, a Gradio app

WHY_NOT = probe()
if WHY_NOT:
    pytestmark = [pytestmark, pytest.mark.skip(reason=f"no sandbox here: {WHY_NOT} (CI installs bubblewrap)")]


class Machine:
    """A hub dir with a secret and a database, a user's token, two Spaces' folders."""

    def __init__(self, tmp: Path):
        self.hub = tmp / "hub"
        (self.hub / "repos" / "models" / "course" / "m.git").mkdir(parents=True)
        (self.hub / "secret").write_text("session-signing-secret")
        (self.hub / "hub.sqlite").write_text("users and tokens")
        self.home = tmp / "home"
        (self.home / ".cache" / "huggingface").mkdir(parents=True)
        (self.home / ".cache" / "huggingface" / "token").write_text("hf_learners_own_token")
        self.spaces = tmp / "spaces"
        for key in ("alice--app", "bob--other"):
            for sub in ("app", "home", "tmp"):
                (self.spaces / key / sub).mkdir(parents=True)
        (self.spaces / "bob--other" / "app" / "app.py").write_text("BOB = 'private code'")

    def run(self, code: str, limits: Limits | None = None, timeout: float = 120) -> tuple[int, str, bool | None]:
        """Alice's app `code` in the sandbox: (exit code, its output, whether its cgroup saw an OOM kill — None
        without a cgroup)."""
        folder = self.spaces / "alice--app"
        (folder / "app" / "app.py").write_text(textwrap.dedent(code))
        box = Sandbox(hidden=[self.hub, self.spaces], limits=limits or Limits(memory_mb=512, tasks=64))
        cgroup = Cgroup.make(f"course-hub-test-{uuid.uuid4().hex[:8]}", box.limits)
        box.prepare(folder, "alice/app")
        argv = box.command([sys.executable, "-I", "app.py"], folder, cwd=folder / "app")
        env = {"PATH": os.environ["PATH"], "HOME": str(folder / "home"), "PYTHONUNBUFFERED": "1"}
        try:
            r = subprocess.run(
                argv,
                env=env,
                preexec_fn=box.preexec("alice/app", cgroup),
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            return r.returncode, r.stdout + r.stderr, cgroup.oom_killed() if cgroup else None
        finally:
            if cgroup is not None:
                assert cgroup.remove(), "the app's cgroup could be removed once it ended"


@pytest.fixture
def machine(tmp_path, monkeypatch):
    m = Machine(tmp_path)
    monkeypatch.setenv("HOME", str(m.home))  # the hub's user's home: where huggingface_hub keeps the token
    return m


def test_the_app_sees_nothing_of_the_hub_other_spaces_or_the_users_token(machine):
    code, out, _ = machine.run(f"""
        import os
        for path in [{str(machine.hub / "secret")!r}, {str(machine.hub / "hub.sqlite")!r},
                     {str(machine.spaces / "bob--other" / "app" / "app.py")!r},
                     {str(machine.home / ".cache" / "huggingface" / "token")!r}]:
            try:
                print("READ", path, open(path).read())
            except OSError as e:
                print("refused", type(e).__name__)
        print("hub dir holds", os.listdir({str(machine.hub)!r}))
        print("processes seen", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
    """)
    assert code == 0, out
    assert "READ" not in out and out.count("refused FileNotFoundError") == 4, out
    assert "hub dir holds []" in out, out
    assert "processes seen [1, 2]" in out, "its own PID namespace: bubblewrap and the app, nothing else"


def test_the_app_writes_only_in_its_own_folder(machine):
    git_dir = machine.hub / "repos" / "models" / "course" / "m.git"
    code, out, _ = machine.run(f"""
        import os
        open("written.txt", "w").write("mine")
        open(os.path.join(os.environ["HOME"], "config"), "w").write("mine")
        for path in [{str(git_dir / "HEAD")!r}, {str(Path(__file__))!r}, "/usr/local/bin/planted", "/etc/planted"]:
            try:
                open(path, "a").write("x")
                print("WROTE", path)
            except OSError as e:
                print("refused", type(e).__name__)
    """)
    assert code == 0, out
    assert "WROTE" not in out and out.count("refused") == 4, out
    assert (machine.spaces / "alice--app" / "app" / "written.txt").read_text() == "mine"
    assert not (git_dir / "HEAD").exists() and "x" not in Path(__file__).read_text()[-3:]


def test_an_app_that_takes_4_gb_is_stopped_at_its_memory_limit(machine):
    code, out, oom = machine.run("""
        try:
            b = bytearray(4 << 30)
            for i in range(0, len(b), 4096):
                b[i] = 1
            print("TOOK 4 GB")
        except MemoryError:
            print("refused MemoryError")
    """)
    assert "TOOK 4 GB" not in out, out
    if oom is not None:  # the kernel's OOM killer, inside the app's cgroup only
        assert code in (-9, 137), (code, out)
        assert oom, "the cgroup says why: memory limit exceeded"
    else:  # the data-segment rlimit
        assert "refused MemoryError" in out, out


def test_a_fork_bomb_is_contained_and_nothing_outlives_the_app(machine):
    marker = f"course-hub-fork-{uuid.uuid4().hex[:8]}"
    code, out, oom = machine.run(f"""
        import os, subprocess, sys, time
        # a grandchild that leaves the app's session, as a daemon would: it must still end with the app
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", {marker!r}], start_new_session=True)
        n = 0
        try:
            for _ in range(10_000):
                if os.fork() == 0:
                    time.sleep(600)
                    os._exit(0)
                n += 1
        except OSError as e:
            print("refused after", n, type(e).__name__)
        print("forked", n)
    """)
    if oom is not None:  # a cgroup: its task limit
        assert "refused after" in out and int(out.split("forked ")[1].split()[0]) < 64, out
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the PID namespace ends with the app: every process in it goes
        left = [p for p in psutil.process_iter(["cmdline"]) if marker in " ".join(p.info["cmdline"] or [])]
        if not left:
            break
        time.sleep(0.2)
    assert not left, f"processes outlived the sandboxed app: {left}"


def test_a_gradio_app_in_the_sandbox_answers_the_real_client(machine):
    from gradio_client import Client

    folder = machine.spaces / "alice--app"
    (folder / "app" / "app.py").write_text(
        "import gradio as gr\ngr.Interface(lambda s: s[::-1], 'text', 'text', api_name='reverse').launch()\n"
    )
    port = free_port()
    box = Sandbox(hidden=[machine.hub, machine.spaces], limits=Limits(memory_mb=1024, tasks=256))
    cgroup = Cgroup.make(f"course-hub-test-{uuid.uuid4().hex[:8]}", box.limits)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(folder / "home"),
        "GRADIO_SERVER_NAME": LOOPBACK,
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "GRADIO_TEMP_DIR": str(folder / "tmp"),
    }
    proc = subprocess.Popen(
        box.command([sys.executable, "-I", "app.py"], folder, cwd=folder / "app"),
        env=env,
        preexec_fn=box.preexec("alice/app", cgroup),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_up(f"http://{LOOPBACK}:{port}/", proc, 120)
        assert Client(f"http://{LOOPBACK}:{port}/", verbose=False).predict("sandbox", api_name="/reverse") == "xobdnas"
    finally:
        proc.kill()
        out = proc.communicate(timeout=30)[0]
        if cgroup is not None:
            assert cgroup.remove()
    assert "Traceback" not in out, out


def test_the_sandbox_says_what_it_enforces(machine):
    box = Sandbox(hidden=[machine.hub], limits=Limits(memory_mb=300, tasks=20, file_mb=5))
    cgroup = Cgroup.make(f"course-hub-test-{uuid.uuid4().hex[:8]}", box.limits)
    try:
        said = box.enforced(cgroup)
        assert "files up to 5 MB" in said and "its folder up to 1024 MB" in said, said
        assert any("memory 300 MB" in s or "data segment 812 MB" in s for s in said), said
    finally:
        if cgroup is not None:
            cgroup.remove()


def test_the_cgroups_a_killed_hub_left_are_swept_and_no_live_ones():
    """A SIGKILLed hub leaves its apps' cgroups (empty); the next hub's `Cgroup.sweep` removes those of a dead hub
    pid, never one of a live hub, nor one with a task in it."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    left = Cgroup.make(f"course-hub-{dead.pid}-alice--app-1", Limits())
    if left is None:
        pytest.skip("no cgroup for the hub here")
    mine = Cgroup.make(f"course-hub-{os.getpid()}-bob--app-1", Limits())
    busy_parent = subprocess.Popen(["true"])
    busy_parent.wait()
    busy = Cgroup.make(f"course-hub-{busy_parent.pid}-carol--app-1", Limits())
    sleeper = subprocess.Popen(["sleep", "60"], preexec_fn=busy.join)
    try:
        gone = Cgroup.sweep()
        assert all(not f.exists() for f in left.folders.values()), gone
        assert all(f.exists() for f in mine.folders.values()), "a live hub's cgroup stays"
        assert all(f.exists() for f in busy.folders.values()), "a cgroup with a task in it stays"
    finally:
        sleeper.kill()
        sleeper.wait()
        for c in (left, mine, busy):
            c.remove()


def _space_env(port: int) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "GRADIO_SERVER_NAME": LOOPBACK,
        "GRADIO_ANALYTICS_ENABLED": "False",
        "GRADIO_SSR_MODE": "false",
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }


APP = "import gradio as gr\nimport transformers\ngr.Interface(lambda s: s.upper(), 'text', 'text', api_name='up').launch()\n"


def test_a_warm_slot_starts_a_space_faster_than_a_cold_start_and_leaves_nothing(machine):
    """The imports happen before the Space is asked for: its start is the app's own code (issue 26, part 3)."""
    from gradio_client import Client

    from course_hub.spaces.warm import WarmSlot

    box = Sandbox(hidden=[machine.hub, machine.spaces], limits=Limits(memory_mb=1536, tasks=256))

    def answered(proc, port: int, started: float) -> float:
        wait_until_up(f"http://{LOOPBACK}:{port}/", proc, 180)
        seconds = time.monotonic() - started
        assert Client(f"http://{LOOPBACK}:{port}/", verbose=False).predict("warm", api_name="/up") == "WARM"
        return seconds

    # cold: the sandboxed app imports everything itself
    cold_folder = machine.spaces / "alice--cold"
    (cold_folder / "app").mkdir(parents=True)
    (cold_folder / "app" / "app.py").write_text(APP)
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        box.command([sys.executable, "-I", "app.py"], cold_folder, cwd=cold_folder / "app"),
        env={**_space_env(port), "GRADIO_SERVER_PORT": str(port), "HOME": str(cold_folder)},
        preexec_fn=box.preexec("alice/cold", None),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        cold = answered(proc, port, started)
    finally:
        proc.kill()
        proc.wait()

    # warm: the slot was started in advance and has finished its imports
    port = free_port()
    slot = WarmSlot(box, machine.spaces, port, _space_env(port))
    try:
        deadline = time.monotonic() + 180
        while "imported in" not in slot.log.read_text() and time.monotonic() < deadline and slot.alive():
            time.sleep(0.2)
        folder = slot.claim(machine.spaces / "alice--warm")
        (folder / "app" / "app.py").write_text(APP)
        started = time.monotonic()
        slot.go("app.py", {"SPACE_ID": "alice/warm"})
        warm = answered(slot.proc, port, started)
        assert "Traceback" not in slot.log.read_text()
    finally:
        slot.close()
    print(f"\ncold start {cold:.1f} s, warm start {warm:.1f} s")
    assert warm < cold / 2, (cold, warm)
    left = [p for p in psutil.process_iter(["cmdline"]) if slot.id in " ".join(p.info["cmdline"] or [])]
    assert not left and not slot.alive()


def test_a_killed_hubs_warm_folders_are_swept_and_no_live_ones(tmp_path):
    from course_hub.spaces.warm import sweep

    dead = subprocess.Popen(["true"])
    dead.wait()
    old, live, space = tmp_path / f".warm-{dead.pid}-0a1b", tmp_path / f".warm-{os.getpid()}-2c3d", tmp_path / "a--b"
    for folder in (old, live, space):
        (folder / "app").mkdir(parents=True)
    assert sweep(tmp_path) == [old] and live.is_dir() and space.is_dir()
