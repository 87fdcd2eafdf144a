"""The course hub's settings: read once, when a server or command starts, and passed down (never at import)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

MiB = 1024 * 1024
FLAVOURS = ("course", "huggingface.co")  # Settings.flavour (course_hub/flavour.py)


def project_root() -> Path | None:
    """The course checkout this package runs from (an editable install), if any: the folder whose
    pyproject.toml names the course's distribution."""
    root = Path(__file__).resolve().parents[1]
    try:
        return root if 'name = "hf-hands-on"' in (root / "pyproject.toml").read_text() else None
    except OSError:
        return None


DEFAULT_ORG = "hf-hands-on"


def course_org(root: Path | None = None) -> str:
    """The organisation that owns the course's own repos (`hf-hands-on/minilm-sentiment`, ...): `[tool.hf-hands-on]
    org` in the checkout's pyproject.toml, the same name on the course hub and on huggingface.co; "hf-hands-on" when
    unset or outside a checkout. `python -m tools.publish` writes it into the notebooks."""
    root = root or project_root()
    try:
        import tomllib  # Python 3.11+; on 3.10 the default stands

        data = tomllib.loads((root / "pyproject.toml").read_text()) if root else {}
    except (ImportError, OSError, ValueError):
        data = {}
    return str(data.get("tool", {}).get("hf-hands-on", {}).get("org") or DEFAULT_ORG)


def classroom_max_spaces(memory_bytes: int | None = None) -> int:
    """How many Spaces a classroom hub runs at once by default, from the machine's memory (`/proc/meminfo`'s
    MemTotal): 4 GiB kept for the hub, its inference worker and the system, then one Space per 768 MiB (a small
    Gradio Space started warm holds about 400 MB, one with a model more), at least 2 and at most 40."""
    if memory_bytes is None:
        try:
            line = next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal:"))
            memory_bytes = int(line.split()[1]) * 1024
        except (OSError, StopIteration, ValueError):
            return 4
    return max(2, min(40, (memory_bytes - 4 * 1024 * MiB) // (768 * MiB)))


def default_hub_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """`$COURSE_HUB_DIR`, else `data/hub/` in the course checkout, else a folder in the user's cache."""
    if environ.get("COURSE_HUB_DIR"):
        return Path(environ["COURSE_HUB_DIR"]).expanduser().resolve()
    root = project_root()
    if root is not None:
        return root / "data" / "hub"
    return Path.home() / ".cache" / "hf-hands-on" / "hub"


# COURSE_HUB_INFERENCE_MEMORY_MB=… and so on
INFERENCE_ENV = {
    "inference_memory_mb": int,
    "inference_threads": int,
    "inference_max_batch": int,
    "inference_queue": int,
    "inference_timeout_s": float,
    "inference_idle_s": float,
    "inference_max_tokens": int,
    "inference_max_prompt_tokens": int,
    "inference_max_input_chars": int,
    "inference_default_model": str,
    "inference_dtype": str,
}


# a room of 30 learners, each with at most one inference call in flight (the widget's Compute and Send buttons are
# disabled while one runs): 32, so none is refused; the worker runs them 8 rows to a forward pass (max_batch)
CLASSROOM_INFERENCE_QUEUE = 32


@dataclass(frozen=True)
class Settings:
    """Everything the server's behaviour depends on. `Settings.from_env()` is the one place that reads
    `COURSE_HUB_*` variables; tests build one directly."""

    hub_dir: Path
    classroom: bool = False  # every request needs a token (but /api/health, validate-yaml, signed LFS URLs)
    max_body: int = 512 * MiB  # a request body read into memory (commits, JSON)
    max_upload: int = 5 * 1024 * MiB  # one LFS object, streamed to disk
    page_size: int = 1000  # rows per page of list_models/list_repo_tree (the Hub pages at 1000 too)
    # Spaces that run (course_hub/spaces): whose Spaces may run (None: all, but only `course` and `instructor` in
    # classroom mode; "*" all), how many at once, idle seconds before sleep, start timeout, memory per Space
    run_spaces: tuple[str, ...] | None = None
    max_spaces: int = 2
    space_idle_s: float = 1800.0
    space_start_timeout: float = 180.0
    space_memory_mb: int = 3072
    space_tasks: int = 256  # processes and threads of one Space (sandboxed with a cgroup: a fork bomb is contained)
    space_disk_mb: int = 1024  # what a Space's folder (checkout, home, tmp, HF cache) may hold on disk
    # Spaces in a sandbox (spaces/sandbox.py): "auto" where bubblewrap runs, "on" (the hub refuses to start
    # without one), "off" (as the hub's own user, seeing what it sees)
    space_sandbox: str = "auto"
    # sandboxed, one interpreter that has imported gradio, transformers and torch waits for the next Space to start
    # (spaces/warm.py; never on a lean hub): COURSE_HUB_SPACE_WARM=0 turns it off
    space_warm: bool = True
    # inference (course_hub/inference): one worker process, models in an LRU under a memory cap
    inference_memory_mb: int = 700  # loaded weights (Binder: 2 GB with a notebook kernel beside it)
    # float32 by default: SmolLM2-135M's answers degrade in bfloat16 (with a system prompt it answers in French
    # nonsense), and the notebooks' own pipelines run float32; "auto": each checkpoint's own dtype
    inference_dtype: str = "float32"
    inference_threads: int = 1  # torch threads in the worker (file downloads stay fast while models run)
    # requests in flight; more get 503 + Retry-After. A classroom hub: CLASSROOM_INFERENCE_QUEUE (below)
    inference_queue: int = 8
    inference_max_batch: int = 8  # generations of one model in one forward pass (1: one at a time, in turn)
    inference_timeout_s: float = 120.0  # one request, model load included (then 504)
    inference_idle_s: float = 600.0  # the worker (and every model) goes away after this long unused
    inference_max_tokens: int = 512  # max_new_tokens / max_tokens cap
    inference_max_prompt_tokens: int = 2048
    inference_max_input_chars: int = 20000  # all text of one request
    inference_default_model: str = "HuggingFaceTB/SmolLM2-135M-Instruct"  # /v1/chat/completions without a model
    root_path: str = ""  # the website's links start with it (behind a proxy: /user/NAME/proxy/8765)
    # a small machine (Binder: 2 GB for JupyterLab, kernels and the hub): one Space at a time, shorter idle times,
    # and a Space and the inference worker never hold memory together (starting one puts the other, idle, to sleep)
    lean: bool = False
    # "course" (the default), or "huggingface.co": the hub answers as huggingface.co does where the course hub
    # adds or differs (no inference or course-only routes, the Hub's Space stages, its error headers): flavour.py
    flavour: str = "course"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **overrides) -> Settings:
        values = {
            "hub_dir": default_hub_dir(environ),
            "max_body": int(environ.get("COURSE_HUB_MAX_BODY", 512 * MiB)),
            "max_upload": int(environ.get("COURSE_HUB_MAX_UPLOAD", 5 * 1024 * MiB)),
            "page_size": int(environ.get("COURSE_HUB_PAGE_SIZE", 1000)),
            "run_spaces": (
                tuple(o.strip() for o in environ["COURSE_HUB_RUN_SPACES"].split(",") if o.strip())
                if environ.get("COURSE_HUB_RUN_SPACES")
                else None
            ),
            "max_spaces": int(environ.get("COURSE_HUB_MAX_SPACES", 2)),
            "space_idle_s": float(environ.get("COURSE_HUB_SPACE_IDLE", 1800)),
            "space_start_timeout": float(environ.get("COURSE_HUB_SPACE_START_TIMEOUT", 180)),
            "space_memory_mb": int(environ.get("COURSE_HUB_SPACE_MEMORY_MB", 3072)),
            "space_tasks": int(environ.get("COURSE_HUB_SPACE_TASKS", 256)),
            "space_disk_mb": int(environ.get("COURSE_HUB_SPACE_DISK_MB", 1024)),
            "space_sandbox": environ.get("COURSE_HUB_SPACE_SANDBOX", "auto").strip().lower() or "auto",
            "space_warm": environ.get("COURSE_HUB_SPACE_WARM", "1") != "0",
            **{
                name: kind(environ[f"COURSE_HUB_{name.upper()}"])
                for name, kind in INFERENCE_ENV.items()
                if f"COURSE_HUB_{name.upper()}" in environ
            },
            "root_path": environ.get("COURSE_HUB_ROOT_PATH", ""),
            "flavour": environ.get("COURSE_HUB_FLAVOUR", "course").strip().lower() or "course",
        }
        if environ.get("COURSE_HUB_LEAN") == "1":  # defaults of a small machine; a variable set explicitly wins
            values["lean"] = True
            values["max_spaces"] = int(environ.get("COURSE_HUB_MAX_SPACES", 1))
            values["space_idle_s"] = float(environ.get("COURSE_HUB_SPACE_IDLE", 300))
            values.setdefault("inference_idle_s", 120.0)
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values.get("classroom") and "COURSE_HUB_INFERENCE_QUEUE" not in environ:
            values.setdefault("inference_queue", CLASSROOM_INFERENCE_QUEUE)
        if values.get("classroom") and not values.get("lean") and "COURSE_HUB_MAX_SPACES" not in environ:
            values["max_spaces"] = overrides.get("max_spaces") or classroom_max_spaces()  # as memory holds
        values["hub_dir"] = Path(values["hub_dir"]).expanduser().resolve()
        values["root_path"] = "/" + values["root_path"].strip("/") if values["root_path"].strip("/") else ""
        if values["flavour"] not in FLAVOURS:
            raise ValueError(f"COURSE_HUB_FLAVOUR={values['flavour']!r}: one of {', '.join(FLAVOURS)}")
        return cls(**values)
