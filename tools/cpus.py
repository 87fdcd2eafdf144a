"""`make test-cpus`: what the build writes and what the notebooks print from models do not depend on the CPU.

One machine can run the kernels of a lesser CPU: `ATEN_CPU_CAPABILITY` picks ATen's (default, avx2, avx512),
`MKL_ENABLE_INSTRUCTIONS` MKL's code path and `ONEDNN_MAX_CPU_ISA` oneDNN's. For each kernel set this CPU has
(`KERNEL_SETS`), with the machine's own set as the reference:

1. `course-hub build` into a fresh hub dir with an empty build cache (every model trained again), the sets side
   by side; every repo's branches and tags must point at the same commits as in the reference build (data/hub,
   built by `make hub`) — the build's fingerprint (build.json) is the same;
2. nbval of the notebooks that print model outputs (`NOTEBOOKS`), with that kernel set in the notebook's kernel
   and in the course hub its setup cell starts (so in the inference worker too), against that set's own build.
   The machine's own set is what `make test-notebooks` runs, so it is not run again here.

    python -m tools.cpus                      # every set this CPU has, the notebooks below
    python -m tools.cpus --sets default --notebooks 02_pipelines
    python -m tools.cpus --notebooks none     # the builds only
    python -m tools.cpus --no-build           # the notebooks only, against copies of the reference build
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OUT = ROOT / "build" / "cpus"

# what a CPU with only that instruction set would run, as far as torch's three kernel libraries go
KERNEL_SETS = {
    "default": {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2", "ONEDNN_MAX_CPU_ISA": "SSE41"},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "avx512": {
        "ATEN_CPU_CAPABILITY": "avx512",
        "MKL_ENABLE_INSTRUCTIONS": "AVX512",
        "ONEDNN_MAX_CPU_ISA": "AVX512_CORE",
    },
}
# the notebooks whose outputs come from models run on the CPU (local pipelines, generation, the inference worker)
NOTEBOOKS = ["02_pipelines", "03_automodel_vs_pipeline", "07_langchain"]


def capability(env: dict | None = None) -> str:
    """The kernel set torch runs under `env` (lower-case, a KERNEL_SETS key)."""
    code = "import torch; print(torch.backends.cpu.get_cpu_capability().lower())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def available_sets() -> tuple[str, list[str]]:
    """(the machine's own set, every set it can run)."""
    native = capability()
    sets = [name for name, env in KERNEL_SETS.items() if capability({**os.environ, **env}) == name]
    return native, sets


def build(name: str) -> tuple[str, dict, float]:
    """A fresh build under kernel set `name`; (name, build.json, seconds). Its log is build/cpus/NAME/build.log."""
    folder = OUT / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = {**os.environ, **KERNEL_SETS[name], "COURSE_HUB_DIR": str(folder / "hub")}
    started = time.monotonic()
    with open(folder / "build.log", "wb") as log:
        proc = subprocess.run([str(BIN / "course-hub"), "build"], env=env, stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise SystemExit(f"the build under kernel set {name!r} failed; see {folder / 'build.log'}")
    return name, json.loads((folder / "hub" / "build.json").read_text()), time.monotonic() - started


def compare(reference: dict, other: dict) -> list[str]:
    """The refs whose commits differ between two build.json files (empty when the builds are the same)."""
    ref, oth = reference["refs"], other["refs"]
    out = []
    for repo in sorted(set(ref) | set(oth)):
        for name in sorted(set(ref.get(repo, {})) | set(oth.get(repo, {}))):
            a, b = ref.get(repo, {}).get(name), oth.get(repo, {}).get(name)
            if a != b:
                out.append(f"{repo} {name}: {a} != {b}")
    return out


def nbval(name: str, notebooks: list[str]) -> int:
    """nbval of `notebooks` under kernel set `name`, against that set's build; the hub it starts is stopped."""
    hub = OUT / name / "hub"
    env = {
        **os.environ,
        **KERNEL_SETS[name],
        "COURSE_HUB_DIR": str(hub),
        "COURSE_HF_HOME": str(OUT / name / "hf-home"),  # downloads of this set's build, not the learner's cache
        "COURSE_CI": "1",
    }
    env.pop("HF_ENDPOINT", None)
    paths = [str(ROOT / "notebooks" / f"{nb}.ipynb") for nb in notebooks]
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--nbval", *paths]
    cmd += ["--nbval-sanitize-with", str(ROOT / "notebooks" / "sanitize.cfg"), "--durations=5", "-q"]
    print(f"--- nbval under kernel set {name}: {' '.join(notebooks)}", flush=True)
    try:
        return subprocess.run(cmd, env=env, cwd=ROOT).returncode
    finally:
        subprocess.run([str(BIN / "course-hub"), "stop", "--hub-dir", str(hub)], env=env, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", help="comma-separated kernel sets (default: every set this CPU has)")
    parser.add_argument("--notebooks", default=",".join(NOTEBOOKS), help="comma-separated names, or 'none'")
    parser.add_argument("--reference", type=Path, default=ROOT / "data" / "hub", help="the machine's own build")
    parser.add_argument(
        "--no-build",
        dest="build",
        action="store_false",
        help="no builds: the notebooks run "
        "against copies of the reference build (tests/test_content_build.py pins the training)",
    )
    args = parser.parse_args(argv)

    native, sets = available_sets()
    chosen = args.sets.split(",") if args.sets else [s for s in sets if s != native]
    unknown = [s for s in chosen if s not in sets]
    if unknown:
        raise SystemExit(f"this CPU cannot run kernel set(s) {unknown}; it has {sets}")
    reference_file = args.reference / "build.json"
    if not reference_file.is_file():
        raise SystemExit(f"no build in {args.reference}: run `make hub` first")
    reference = json.loads(reference_file.read_text())
    print(f"this CPU runs {native} kernels and can run {sets}; checking {chosen} against {args.reference}", flush=True)

    failures = []
    if args.build:
        with ThreadPoolExecutor(max_workers=len(chosen)) as pool:
            for name, info, seconds in pool.map(build, chosen):
                diff = compare(reference, info)
                print(
                    f"build under {name}: {seconds:.0f}s, fingerprint {info['fingerprint']} "
                    f"({'same as' if not diff else 'DIFFERS from'} {reference['fingerprint']})",
                    flush=True,
                )
                if diff:
                    failures.append(f"the build under {name} differs: " + "; ".join(diff))
    else:
        from course_hub import HubDir

        for name in chosen:
            shutil.rmtree(OUT / name, ignore_errors=True)
            HubDir(args.reference).copy_to(OUT / name / "hub")
    notebooks = [] if args.notebooks == "none" else args.notebooks.split(",")
    for name in chosen if notebooks else []:
        if nbval(name, notebooks) != 0:
            failures.append(f"nbval under kernel set {name} failed")
    for failure in failures:
        print("FAILED:", failure)
    print(f"test-cpus: {'failed' if failures else 'passed'} ({', '.join(chosen)} against {native})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
