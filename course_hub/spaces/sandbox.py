"""A sandbox for a Space's app: what it can see (bubblewrap) and how much it can take (cgroups, else rlimits).

    box = Sandbox(hidden=[hub_dir, spaces_dir], limits=Limits(memory_mb=1024))
    cgroup = Cgroup.make(name, box.limits)          # None where this machine gives the hub no cgroup
    box.prepare(folder, name)                       # folder: the Space's own app/, home/, tmp/ …
    argv = box.command([sys.executable, "app.py"], folder)
    proc = subprocess.Popen(argv, preexec_fn=box.preexec(name, cgroup), …)

What the app sees (bubblewrap, `bwrap`, from Debian's `bubblewrap`): the machine's files read-only (so the Python
environment and its packages work as they are), with the hub's folder, every other Space's folder, the users' homes
and /tmp replaced by empty ones; its own folder read-write; a private /proc and /dev, its own PID namespace (it sees
no other process, and dies with the hub: `--die-with-parent`). Its network (`Net`, where `probe_net()` finds that
bubblewrap can unshare it): a namespace of its own with only the hub at its usual address (127.0.0.1:HUB_PORT inside,
relayed over a unix socket to the hub) and the app's port reachable by the hub's proxy (a unix socket relayed to
127.0.0.1:APP_PORT inside) — relay.py at both ends; no other Space, no inference worker, no other host. Without
`Net`, the machine's network (the hub reaches its port, it reaches the hub over HTTP like any client). When the hub runs as root and the Python environment is open to
all users, the app also runs as a uid of its own (`uid_for`), so files only root may read stay closed even where
they are not hidden (else its isolation is bubblewrap's mounts: read-only, or hidden).

What it may take (`Limits`): memory, tasks (processes and threads: a fork bomb is contained), CPU share, the size
of a file it writes (RLIMIT_FSIZE) and what its folder holds (`folder_usage`, watched by the hub every second: bubblewrap
has no quota, and a size-limited tmpfs could not hold the checkout the hub writes into a warm slot's folder). Memory, tasks and CPU go to a cgroup of its own when this machine lets the hub make one (cgroup
v1, or v2 with the controllers delegated); else memory is an rlimit on the data segment and tasks are an rlimit on
the user's processes (only when the app runs as a uid of its own), which `Sandbox.enforced` says.

`probe()` says why no sandbox can run here (no `bwrap`, or user namespaces off), or None; `probe_net()` why an app
cannot have a network of its own here, or None.
"""

from __future__ import annotations

import os
import resource
import shutil
import site
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

NOBODY = 65534
FIRST_UID, UIDS = 200_000, 50_000  # a root hub runs each Space as a uid of its own in this range
CGROUP_ROOT = Path("/sys/fs/cgroup")
RELAY = (Path(__file__).parent / "relay.py").read_text()  # run as `python -I -c RELAY …` (inside, the source is hidden)


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 1024  # resident memory (cgroup), or the data segment (rlimit)
    tasks: int = 256  # processes and threads
    cpu_weight: int = 50  # relative to the hub's 100 (cgroup only)
    file_mb: int = 512  # the largest file the app may write (never more than disk_mb)
    disk_mb: int = 1024  # what its folder may hold: watched by the hub (`folder_usage`), the app ends past it


def probe(bwrap: str = "bwrap") -> str | None:
    """None when a sandbox runs here, else why not (said by the hub at start)."""
    exe = shutil.which(bwrap)
    if not exe:
        return "bubblewrap is not installed (Debian: apt install bubblewrap)"
    return _try_bwrap(exe, ["--share-net"], "bubblewrap cannot make a sandbox here (user namespaces off?)")


def probe_net(bwrap: str = "bwrap") -> str | None:
    """None when bubblewrap gives an app a network namespace of its own here, else why not."""
    return _try_bwrap(shutil.which(bwrap) or bwrap, [], "bubblewrap cannot unshare the network here")


def _try_bwrap(exe: str, extra: list[str], failure: str) -> str | None:
    """Run `true` in a bubblewrap sandbox with every namespace unshared (but `extra`'s): None, or why it failed."""
    try:
        r = subprocess.run(
            [exe, "--ro-bind", "/", "/", "--unshare-all", *extra, "--die-with-parent", "true"],
            capture_output=True,
            text=True,
            timeout=20,
            preexec_fn=(lambda: _become(NOBODY)) if os.geteuid() == 0 else None,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"bubblewrap does not run here: {e}"
    if r.returncode != 0:
        return f"{failure}: {r.stderr.strip()[:200]}"
    return None


@dataclass(frozen=True)
class Net:
    """An app's own network: `dir` (a short path: unix socket paths are limited to 108 bytes) holds `hub` (the
    outside relay's, to the hub's `hub_host:hub_port`) and `app` (the inside relay's, to the app's `app_port`)."""

    dir: Path
    hub_host: str
    hub_port: int
    app_port: int

    @property
    def hub_sock(self) -> Path:
        return self.dir / "hub"

    @property
    def app_sock(self) -> Path:
        """Where the hub's proxy connects to reach the app."""
        return self.dir / "app"


def _become(uid: int) -> None:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def _open_to_all(path: Path) -> bool:
    """Every user may reach and read `path` (pyenv under /root, mode 0700, is not)."""
    try:
        return all(p.stat().st_mode & 0o005 == 0o005 for p in [path, *path.parents])
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (one of another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def folder_usage(folder: Path, max_files: int = 100_000) -> int | None:
    """The bytes `folder` holds (each file's allocated blocks or size, the larger; links not followed); None when it holds more
    than `max_files` entries (a Space making files by the hundred thousand is over any disk limit: the count is
    what costs here)."""
    total, seen, stack = 0, 0, [str(folder)]
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                seen += 1
                if seen > max_files:
                    return None
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                total += max(st.st_blocks * 512, st.st_size)  # a sparse file counts at its size
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
    return total


def uid_for(name: str) -> int:
    """The uid a root hub runs Space `name` as: its own, so a per-user process limit is per Space."""
    return FIRST_UID + zlib.crc32(name.encode()) % UIDS


def python_paths() -> set[Path]:
    """What the Python environment needs to run (kept visible where a hidden home holds it, as pyenv's does)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    paths |= {p for p in [*site.getsitepackages(), site.getusersitepackages()] if os.path.isdir(p)}
    return {Path(p).resolve() for p in paths}


class Cgroup:
    """One cgroup (v1: one per controller; v2: one folder) for one Space's app, made and removed by the hub."""

    def __init__(self, folders: dict[str, Path], version: int):
        self.folders, self.version = folders, version

    @classmethod
    def make(cls, name: str, limits: Limits) -> Cgroup | None:
        """A new cgroup `name` with `limits`, beside the hub's own; None where the hub may not make one."""
        try:
            if (CGROUP_ROOT / "cgroup.controllers").is_file():
                return cls._make_v2(name, limits)
            return cls._make_v1(name, limits)
        except OSError:
            return None

    @staticmethod
    def _own(controller: str) -> str:
        """The hub's own cgroup path for `controller` ("" for v2's unified hierarchy)."""
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controller in controllers.split(","):
                return path.lstrip("/")
        raise OSError(f"no {controller or 'unified'} cgroup")

    @classmethod
    def _make_v1(cls, name: str, limits: Limits) -> Cgroup | None:
        folders = {}
        for controller in ("memory", "pids", "cpu"):
            base = CGROUP_ROOT / controller
            if not base.is_dir():
                return None
            folder = base / cls._own(controller) / name
            folder.mkdir(exist_ok=True)
            folders[controller] = folder
        mem, memory = limits.memory_mb << 20, folders["memory"]
        swap = memory / "memory.memsw.limit_in_bytes"  # where the kernel accounts swap: none beyond the limit
        if swap.exists():
            swap.write_text("-1")  # memory's limit may never be above memory+swap's: raise that one first
        (memory / "memory.limit_in_bytes").write_text(str(mem))
        if swap.exists():
            swap.write_text(str(mem))
        (folders["pids"] / "pids.max").write_text(str(limits.tasks))
        (folders["cpu"] / "cpu.shares").write_text(str(max(2, 1024 * limits.cpu_weight // 100)))
        return cls(folders, 1)

    @classmethod
    def _make_v2(cls, name: str, limits: Limits) -> Cgroup | None:
        parent = CGROUP_ROOT / cls._own("")
        if not {"memory", "pids"} <= set((parent / "cgroup.subtree_control").read_text().split()):
            return None  # the controllers are not delegated to the hub's cgroup
        folder = parent / name
        folder.mkdir(exist_ok=True)
        (folder / "memory.max").write_text(str(limits.memory_mb << 20))
        try:
            (folder / "memory.swap.max").write_text("0")
        except OSError:
            pass
        (folder / "pids.max").write_text(str(limits.tasks))
        try:
            (folder / "cpu.weight").write_text(str(max(1, limits.cpu_weight)))
        except OSError:
            pass  # no cpu controller delegated: memory and tasks still hold
        return cls({"": folder}, 2)

    def join(self) -> None:
        """Put the calling process in the cgroup (a child's preexec, before it runs the app)."""
        for folder in self.folders.values():
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def oom_killed(self) -> bool:
        """True when the kernel killed a task of the cgroup for going over its memory."""
        memory = self.folders.get("memory") or self.folders.get("")
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        try:
            fields = dict(line.split() for line in (memory / name).read_text().splitlines() if " " in line)
        except OSError:
            return False
        return int(fields.get("oom_kill", 0)) > 0

    @classmethod
    def sweep(cls, prefix: str = "course-hub-") -> list[str]:
        """Remove the empty cgroups `{prefix}{pid}-…` beside the hub's own whose hub (`pid`) is gone (a SIGKILLed
        hub cannot remove its apps' cgroups; the kernel ends their processes, the folders stay). Returns them."""
        bases = []
        try:
            if (CGROUP_ROOT / "cgroup.controllers").is_file():
                bases = [CGROUP_ROOT / cls._own("")]
            else:
                bases = [CGROUP_ROOT / c / cls._own(c) for c in ("memory", "pids", "cpu")]
        except OSError:
            return []
        gone = []
        for base in bases:
            try:
                folders = [f for f in base.iterdir() if f.name.startswith(prefix) and f.is_dir()]
            except OSError:
                continue
            for folder in folders:
                pid = folder.name[len(prefix) :].split("-", 1)[0]
                if not pid.isdigit() or pid_alive(int(pid)):
                    continue
                try:
                    folder.rmdir()  # refused while a task is in it
                    gone.append(str(folder))
                except OSError:
                    pass
        return gone

    def remove(self, wait: float = 5.0) -> bool:
        """Kill what is left in the cgroup and remove it; False when it could not be removed within `wait` s."""
        deadline = time.monotonic() + wait
        for folder in self.folders.values():
            while folder.exists():
                try:
                    for pid in (folder / "cgroup.procs").read_text().split():
                        try:
                            os.kill(int(pid), 9)
                        except OSError:
                            pass
                    folder.rmdir()
                except OSError:
                    if time.monotonic() > deadline:
                        return False
                    time.sleep(0.05)  # a killed task leaves its cgroup only once it has exited
        return True


class Sandbox:
    """How a Space's app is started: `command` (what it sees) and `preexec` (what it may take)."""

    def __init__(self, hidden: list[Path], limits: Limits | None = None, bwrap: str = "bwrap"):
        self.hidden = [Path(p).resolve() for p in hidden]
        self.limits = limits or Limits()
        self.bwrap = shutil.which(bwrap) or bwrap
        # a root hub gives each app a uid of its own, where that uid can still run the Python environment
        self.own_uid = os.geteuid() == 0 and all(_open_to_all(p) for p in python_paths())

    def command(self, argv: list[str], folder: Path, cwd: Path | None = None, net: Net | None = None) -> list[str]:
        """`argv` inside bubblewrap, in `cwd` (default `folder`); `folder` (the Space's own: app/, home/, tmp/…)
        is the one place it writes. With `net`, in a network namespace of its own between the two relays (`Net`);
        else on the machine's network."""
        folder = folder.resolve()
        args = [self.bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        # /tmp and the homes too: a course cloned there (CI's clone under /tmp, a learner's ~/hf-hands-on) gets
        # its Python environment bound back below, nothing else
        homes = {Path("/tmp"), Path("/root"), Path("/home"), Path(os.path.expanduser("~")).resolve()}
        hidden = sorted(
            {p for p in {*self.hidden, *homes} if p.is_dir() and p != Path("/")}, key=lambda p: len(p.parts)
        )
        for path in hidden:
            args += ["--tmpfs", str(path)]  # an empty folder in its place
        for path in sorted(python_paths(), key=lambda p: len(p.parts)):
            if any(h == path or h in path.parents for h in hidden):
                args += ["--ro-bind", str(path), str(path)]  # the interpreter and packages, back
        args += ["--bind", str(folder), str(folder)]
        if net is not None:
            args += ["--bind", str(net.dir), str(net.dir)]
        args += ["--unshare-all", *([] if net else ["--share-net"])]
        args += ["--die-with-parent", "--new-session", "--chdir", str(cwd or folder)]
        if net is None:
            return [*args, "--", *argv]
        relay = [sys.executable, "-I", "-c", RELAY]
        inside = [*relay, "--tcp", str(net.hub_port), str(net.hub_sock)]
        inside += ["--unix", str(net.app_sock), "127.0.0.1", str(net.app_port), "--", *argv]
        outside = [*relay, "--unix", str(net.hub_sock), net.hub_host, str(net.hub_port), "--"]
        return [*outside, *args, "--", *inside]

    def prepare(self, folder: Path, name: str) -> None:
        """The Space's folder writable by the app's own uid (a root hub)."""
        if not self.own_uid:
            return
        uid = uid_for(name)
        for root, dirs, files in os.walk(folder):
            for entry in [*dirs, *files]:
                os.lchown(os.path.join(root, entry), uid, uid)
        os.chown(folder, uid, uid)

    def preexec(self, name: str, cgroup: Cgroup | None):
        """The child's last steps before bubblewrap: into its cgroup, its rlimits, its uid."""
        limits, uid = self.limits, uid_for(name) if self.own_uid else None

        def run() -> None:
            if cgroup is not None:
                cgroup.join()
            else:
                data = (limits.memory_mb + 512) << 20  # thread stacks and arenas count here beyond what is used
                resource.setrlimit(resource.RLIMIT_DATA, (data, data))
                if uid is not None:  # the count is per uid: only meaningful for a uid of its own
                    resource.setrlimit(resource.RLIMIT_NPROC, (limits.tasks, limits.tasks))
            size = min(limits.file_mb, limits.disk_mb) << 20
            resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if uid is not None:
                _become(uid)

        return run

    def enforced(self, cgroup: Cgroup | None) -> list[str]:
        """What holds for an app started with `cgroup` (for the hub's start message and the Space's log)."""
        out = [
            f"files up to {min(self.limits.file_mb, self.limits.disk_mb)} MB",
            f"its folder up to {self.limits.disk_mb} MB",
        ]
        if cgroup is not None:
            out += [f"memory {self.limits.memory_mb} MB (cgroup v{cgroup.version})", f"{self.limits.tasks} tasks"]
        else:
            out.append(f"data segment {self.limits.memory_mb + 512} MB (rlimit: no cgroup here)")
            if self.own_uid:
                out.append(f"{self.limits.tasks} processes (rlimit)")
        if self.own_uid:
            out.append("a uid of its own")
        return out
