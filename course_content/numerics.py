"""One set of CPU kernels for every torch step of the build, so that it writes the same bytes on every x86-64 CPU.

torch picks its kernels by the CPU it finds: ATen's AVX2 or AVX-512 variants (other vector widths, so other
summation orders), MKL's code path for the processor (Intel or AMD, AVX2 or AVX-512: other blockings of a matrix
product), oneDNN's and NNPACK's own JIT kernels, and as many threads as there are cores (other splits of a sum).
Each gives results a few ulps apart; training amplifies them, so a model trained on an AMD EPYC without AVX-512
had other weights, another test accuracy in its card and other commit SHAs than the same build on a Xeon.

`run(target, ...)` runs a build step in a child Python with the environment below, which removes every one of
those choices: ATen's AVX2 kernels (`ATEN_CPU_CAPABILITY=avx2`: plain IEEE arithmetic, identical on every CPU
that has AVX2 and FMA, Intel or AMD), MKL's conditional numerical reproducibility in the one mode that Intel
documents as vendor-independent (`MKL_CBWR=COMPATIBLE`: SSE2 without the approximate rcpps/rsqrtps; its AVX2 mode
falls back to the CPU's own path on AMD), oneDNN and NNPACK switched off (convolutions go through ATen and MKL),
two threads on every machine (a fixed count, not one per core: MKL's reproducibility and ATen's static work
split need the same count everywhere; two, because the machines that build it have two cores). The child checks that torch took the settings before it starts. ATen's portable `default` kernels
would cover CPUs without AVX2 too, at five times the cost (measured: docs/architecture.md, "The build's numbers");
such a CPU, and an aarch64 one, builds with what it has and says that its models differ.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

# a fixed number of threads, whatever the machine has: each splits sums the same way everywhere (MKL's CNR and
# ATen's static partitions need the same count, not one thread)
THREADS = 2
# the variables the child gets; anything that selects CPU kernels otherwise is removed (UNSET)
PINNED = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_CBWR": "COMPATIBLE",
    "ONEDNN_MAX_CPU_ISA": "AVX2",  # not used (oneDNN is off), pinned in case an op reaches it anyway
    "OMP_NUM_THREADS": str(THREADS),
    "MKL_NUM_THREADS": str(THREADS),
    "OMP_WAIT_POLICY": "PASSIVE",  # threads that wait sleep: steps side by side do not spin against each other
    "TOKENIZERS_PARALLELISM": "false",
    "PYTHONHASHSEED": "0",
}
UNSET = ("MKL_ENABLE_INSTRUCTIONS", "MKL_DEBUG_CPU_TYPE", "DNNL_MAX_CPU_ISA", "MKL_CBWR_BRANCH", "OPENBLAS_CORETYPE")
# set to 1 to run the steps with the machine's own kernels (tests/test_content_build.py shows they then differ)
NATIVE = "COURSE_BUILD_NATIVE_KERNELS"


def child_env() -> dict:
    """This process's environment with the pinned kernels (unchanged under `COURSE_BUILD_NATIVE_KERNELS=1`)."""
    env = dict(os.environ)
    if env.get(NATIVE) == "1":
        return env
    for name in UNSET:
        env.pop(name, None)
    env.update(PINNED)
    return env


def settle() -> None:
    """In the child, before any torch work: the settings environment variables cannot make; a CPU that cannot run
    the AVX2 kernels is told that its models will differ."""
    import torch

    if os.environ.get(NATIVE) == "1":
        return
    torch.set_num_threads(THREADS)
    torch.set_num_interop_threads(1)
    torch.backends.mkldnn.enabled = False
    torch.backends.nnpack.set_flags(False)
    capability = torch.backends.cpu.get_cpu_capability()
    if capability != "AVX2":  # a CPU without AVX2 (or not x86-64) runs what it has
        print(
            f"Note: this CPU runs torch's {capability} kernels, not AVX2: the models this build trains differ in "
            "their last digits from other machines' (another build fingerprint)",
            file=sys.stderr,
        )


# CPU seconds of the children this thread ran (user + system): cache.cached_step reads it per step
child_cpu = threading.local()


def run(target: str, *args, **kwargs) -> dict:
    """`module:function(*args, **kwargs)` in a child Python with the pinned kernels; its JSON-able result.

    Arguments are JSON (paths as strings); the child's output goes to this process's stdout and stderr.
    """
    with tempfile.TemporaryDirectory(prefix="course-build-") as tmp:
        call, result = f"{tmp}/call.json", f"{tmp}/result.json"
        Path(call).write_text(json.dumps({"target": target, "args": args, "kwargs": kwargs}, default=str))
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from course_content.numerics import main; main(*sys.argv[1:])",
                call,
                result,
            ],
            env=child_env(),
            cwd=Path(__file__).resolve().parents[1],
        )
        _, status, usage = os.wait4(proc.pid, 0)  # the child's own CPU time, even with other steps beside it
        proc.returncode = os.waitstatus_to_exitcode(status)
        child_cpu.seconds = getattr(child_cpu, "seconds", 0.0) + usage.ru_utime + usage.ru_stime
        if proc.returncode != 0:
            raise RuntimeError(f"build step {target} failed (exit code {proc.returncode}); its output is above")
        return json.loads(Path(result).read_text())


def main(call_file: str, result_file: str) -> None:
    """The child's side of `run`."""
    call = json.loads(Path(call_file).read_text())
    settle()
    module, name = call["target"].split(":")
    fn = getattr(importlib.import_module(module), name)
    out = fn(*call["args"], **call["kwargs"])
    Path(result_file).write_text(json.dumps(out if out is not None else {}))
