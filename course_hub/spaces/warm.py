"""A warm start for Spaces: a sandboxed interpreter that has already imported gradio, transformers and torch waits
for the next Space, so that a Space's start costs its own code, not those imports (issue 26: cold start ≤ 10 s).

    slot = WarmSlot(box, spaces_dir, port=free_port(), env=hub_env)   # in advance: the imports take seconds
    ...                                                                # a Space starts:
    folder = slot.claim(spaces_dir / "alice--app")   # the slot's folder becomes the Space's (a rename)
    checkout into folder / "app"; slot.go("app.py", space_env)   # the app runs in the warm interpreter

The slot is a `Sandbox` (sandbox.py) around `python -I -c ZYGOTE`: its folder (app/, home/, tmp/, hf-home/) is bound
into the sandbox when the slot starts, so a rename outside keeps it there (a bind mount follows the directory), and
every path the app sees is the slot's first path. What a library reads once at import time is fixed at the slot's
start: the hub's address and HF_HOME (huggingface_hub's constants), the port (gradio's `INITIAL_PORT_VALUE`); what
names the Space (SPACE_ID…, GRADIO_ROOT_PATH) comes with `go`, before the app's code runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from .sandbox import Cgroup, Net, Sandbox

WARM_IMPORTS = ("gradio", "transformers", "torch")

ZYGOTE = r"""
import json, os, runpy, sys, time
t0 = time.monotonic()
for name in sys.argv[1].split(","):
    try:
        __import__(name)
    except Exception as e:  # the app will meet the same error when it imports the package itself
        print(f"warm import of {name} failed: {type(e).__name__}: {e}", flush=True)
print(f"warm: {sys.argv[1]} imported in {time.monotonic() - t0:.1f} s", flush=True)
line = sys.stdin.readline()  # the hub's go: {"env": {...}, "app_file": "app.py"}, or EOF: never used
if not line.strip():
    sys.exit(0)
go = json.loads(line)
os.chdir(go.get("cwd") or ".")  # by path: the checkout may have replaced the folder the slot started in
os.environ.update(go["env"])
sys.argv = [go["app_file"]]
sys.path.insert(0, os.getcwd())
runpy.run_path(go["app_file"], run_name="__main__")
"""


def sweep(spaces_dir: Path) -> list[Path]:
    """Remove the `.warm-{hub pid}-…` folders of hubs that are gone (a SIGKILLed hub cannot); returns them."""
    import shutil

    gone = []
    for folder in spaces_dir.glob(".warm-*"):
        pid = folder.name[len(".warm-") :].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
            continue
        except ProcessLookupError:
            pass
        except OSError:
            continue  # alive, another user's
        shutil.rmtree(folder, ignore_errors=True)
        (spaces_dir / ".logs" / f"{folder.name}.log").unlink(missing_ok=True)
        gone.append(folder)
    return gone


class WarmSlot:
    """One interpreter, sandboxed and warm, waiting for a Space (see the module's docstring)."""

    def __init__(
        self,
        box: Sandbox,
        spaces_dir: Path,
        port: int,
        env: dict[str, str],
        log: Path | None = None,
        imports: tuple[str, ...] = WARM_IMPORTS,
        python: str = sys.executable,
        prefix: tuple[str, ...] = (),
        net: Net | None = None,
    ):
        """`prefix`: what runs the sandbox (the Spaces runtime's supervisor, which dies with the hub); `net`: the
        app's own network (its `app_port` is `port`), else the machine's."""
        self.id = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"  # the hub's pid first: `sweep` after a SIGKILLed hub
        self.folder = self.inside = spaces_dir / f".warm-{self.id}"
        for sub in ("app", "home", "tmp", "hf-home"):
            (self.folder / sub).mkdir(parents=True)
        self.port, self.box, self.net = port, box, net
        self.cgroup = Cgroup.make(f"course-hub-{os.getpid()}-warm-{self.id}", box.limits)  # the hub's pid: sweep
        box.prepare(self.folder, self.id)
        if net is not None:
            box.prepare(net.dir, self.id)
        # its output: through the supervisor (the runtime's `prefix`) to a log out of the app's sight
        self.log = log or spaces_dir / ".logs" / f".warm-{self.id}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        env = {
            **env,
            "HOME": str(self.inside / "home"),
            "TMPDIR": str(self.inside / "tmp"),
            "GRADIO_TEMP_DIR": str(self.inside / "tmp"),
            "HF_HOME": str(self.inside / "hf-home"),
            "GRADIO_SERVER_PORT": str(port),
        }
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [
                    *prefix,
                    *box.command(
                        [python, "-I", "-u", "-c", ZYGOTE, ",".join(imports), f"slot={self.id}"],
                        self.folder,
                        cwd=self.inside,  # not app/: a claim mid-import replaces it with the checkout
                        net=net,
                    ),
                ],
                env=env,
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=box.preexec(self.id, self.cgroup),
                start_new_session=True,
                close_fds=True,
            )

    def claim(self, folder: Path) -> Path:
        """The slot's folder, renamed to `folder` (a Space's: whatever was there goes); returns `folder`."""
        if folder.exists():
            import shutil

            shutil.rmtree(folder)
        os.rename(self.folder, folder)
        self.folder = folder
        return folder

    def go(self, app_file: str, env: dict[str, str], log: Path | None = None) -> None:
        """Run `app_file` (in the slot's app/) with `env` added, in the warm interpreter; its output from then on
        to `log` (the Space's run log: the supervisor reopens its output there), else to the slot's."""
        self.box.prepare(self.folder, self.id)  # the checkout, written by the hub, to the app's uid
        assert self.proc.stdin is not None
        go = {"env": env, "app_file": app_file, "cwd": str(self.inside / "app")}
        if log:
            log.touch()
            self.box.prepare(log, self.id)  # the supervisor runs as the slot's uid (a root hub): it appends there
            go["hub_log"] = str(log)
        self.proc.stdin.write(json.dumps(go).encode() + b"\n")
        self.proc.stdin.close()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def ready(self, wait: float = 0.0) -> bool:
        """The sandbox is set up: bubblewrap has bound the slot's folder and started the interpreter (within `wait`
        seconds). A claim before that renames the folder bubblewrap is about to bind: it fails ("No such file or
        directory") and the Space with it."""
        import time

        import psutil

        deadline = time.monotonic() + wait
        while self.alive():
            try:
                for p in psutil.Process(self.proc.pid).children(recursive=True):
                    cmd = p.cmdline()
                    if cmd[1:3] == ["-I", "-u"] and cmd[-1] == f"slot={self.id}":  # the interpreter, not bwrap
                        return True
            except psutil.Error:
                pass
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
        return False

    def close(self) -> None:
        """Stop the slot's interpreter (and all it started: the sandbox's PID namespace ends with it)."""
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.cgroup is not None:
            self.cgroup.remove()
