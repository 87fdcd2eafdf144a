"""Model `hf-hands-on/vit-digits`: a tiny Vision Transformer trained on `hf-hands-on/digits` at build time (CPU, seconds)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from . import numerics
from .cache import cached_step, files_under, key_of
from .cards import provenance, render_card
from .digits import LABEL_NAMES
from .spec import Commit, RepoSpec

REPO_ID = "hf-hands-on/vit-digits"
DATASET = "hf-hands-on/digits"
VERSION = "vit-digits-2"  # bump when the training code changes
ARCHITECTURE = {
    "image_size": 8,
    "patch_size": 2,
    "num_channels": 3,
    "hidden_size": 64,
    "num_hidden_layers": 3,
    "num_attention_heads": 4,
    "intermediate_size": 128,
}
HYPERPARAMETERS = {"epochs": 30, "batch_size": 64, "max_learning_rate": 3e-3, "weight_decay": 0.01, "seed": 0}
MIN_ACCURACY = 0.95  # the build fails below this: the course promises a model that works


def processor():
    """Rescale 0..255 to [-1, 1]; no resizing (the images are 8×8 already). The PIL backend: no torchvision."""
    from transformers.models.vit import ViTImageProcessorPil

    return ViTImageProcessorPil(
        do_resize=False,
        size={"height": 8, "width": 8},
        do_rescale=True,
        rescale_factor=1 / 255,
        do_normalize=True,
        image_mean=[0.5] * 3,
        image_std=[0.5] * 3,
    )


def train(
    data_dir: Path,
    out: Path,
    hp: dict = HYPERPARAMETERS,
    progress: Callable[[str], None] = print,
    min_accuracy: float = MIN_ACCURACY,
) -> dict:
    import io

    import pyarrow.parquet as pq
    import torch
    from PIL import Image
    from transformers import ViTConfig, ViTForImageClassification, set_seed

    data_dir, out = Path(data_dir), Path(out)
    set_seed(hp["seed"])
    proc = processor()

    def load(split: str):
        table = pq.read_table(data_dir / "data" / f"{split}-00000-of-00001.parquet").to_pydict()
        images = [Image.open(io.BytesIO(img["bytes"])).convert("RGB") for img in table["image"]]
        return proc(images, return_tensors="pt")["pixel_values"], torch.tensor(table["label"])

    (x_train, y_train), (x_test, y_test) = load("train"), load("test")
    config = ViTConfig(
        **ARCHITECTURE,
        num_labels=10,
        id2label=dict(enumerate(LABEL_NAMES)),
        label2id={n: i for i, n in enumerate(LABEL_NAMES)},
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    model = ViTForImageClassification(config)
    batches = -(-len(y_train) // hp["batch_size"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=hp["max_learning_rate"], weight_decay=hp["weight_decay"])
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=hp["max_learning_rate"], total_steps=hp["epochs"] * batches
    )
    start = time.time()
    model.train()
    for epoch in range(hp["epochs"]):
        order = torch.randperm(len(y_train), generator=torch.Generator().manual_seed(hp["seed"] + epoch))
        for b in range(batches):
            idx = order[b * hp["batch_size"] : (b + 1) * hp["batch_size"]]
            loss = model(pixel_values=x_train[idx], labels=y_train[idx]).loss
            loss.backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
        if (epoch + 1) % 10 == 0:
            progress(f"[vit-digits] epoch {epoch + 1}/{hp['epochs']} loss {loss.item():.4f}")
    model.eval()
    with torch.no_grad():
        accuracy = (model(pixel_values=x_test).logits.argmax(-1) == y_test).float().mean().item()
    if accuracy < min_accuracy:
        raise RuntimeError(f"vit-digits reached {accuracy:.4f} test accuracy, below {min_accuracy}")
    model.save_pretrained(out)
    proc.save_pretrained(out)
    return {
        "test_accuracy": round(accuracy, 4),
        "test_examples": len(y_test),
        "train_examples": len(y_train),
        "parameters": sum(p.numel() for p in model.parameters()),
        "train_seconds": round(time.time() - start, 1),
    }


def build(
    work_dir: Path, data_dir: Path, data_key: str, progress: Callable[[str], None] = print
) -> tuple[RepoSpec, Path, dict]:
    key = key_of(VERSION, data_key, ARCHITECTURE, HYPERPARAMETERS, numerics.PINNED)
    folder, metrics = cached_step(
        work_dir, "vit-digits", key, lambda out: numerics.run(f"{__name__}:train", data_dir, out), progress
    )
    spec = RepoSpec(
        repo_type="model",
        repo_id=REPO_ID,
        commits=[
            Commit("Add a tiny ViT trained on hf-hands-on/digits", {**files_under(folder), "README.md": card(metrics)})
        ],
        downloads=700,
        likes=6,
    )
    return spec, folder, metrics


def card(metrics: dict) -> bytes:
    hp, arch = HYPERPARAMETERS, ARCHITECTURE
    meta = {
        "license": "apache-2.0",
        "library_name": "transformers",
        "pipeline_tag": "image-classification",
        "datasets": [DATASET],
        "tags": ["vit", "image-classification", "digits", "course"],
        "metrics": ["accuracy"],
        "model-index": [
            {
                "name": REPO_ID.split("/")[1],
                "results": [
                    {
                        "task": {"type": "image-classification", "name": "Digit classification"},
                        "dataset": {"type": DATASET, "name": "Handwritten digits", "split": "test"},
                        "metrics": [{"type": "accuracy", "value": metrics["test_accuracy"], "name": "Test accuracy"}],
                    }
                ],
            }
        ],
    }
    body = f"""# vit-digits

A very small Vision Transformer (`ViTForImageClassification`, {metrics["parameters"]:,} parameters) that reads an
8×8 handwritten digit and answers `0`…`9`. It is trained from scratch on `{DATASET}` when the course hub is built.

```python
from transformers import pipeline

classifier = pipeline("image-classification", model="{REPO_ID}")
classifier(image)  # a PIL image of a digit (8×8 grayscale, white ink on black, like the dataset's)
```

## Training and evaluation

- Architecture: patches of {arch["patch_size"]}×{arch["patch_size"]} pixels ({
        (arch["image_size"] // arch["patch_size"]) ** 2
    }
  patches), hidden size {arch["hidden_size"]}, {arch["num_hidden_layers"]} layers of {
        arch["num_attention_heads"]
    } heads.
- {hp["epochs"]} epochs over the {metrics["train_examples"]:,} `train` images, batch {hp["batch_size"]}, AdamW with a
  one-cycle learning rate (max {hp["max_learning_rate"]}), weight decay {hp["weight_decay"]}, seed {hp["seed"]}; CPU.
- Accuracy on the {metrics["test_examples"]} `test` images: **{metrics["test_accuracy"]:.4f}**.

## Limitations

It has only seen 8×8 digits in the dataset's style: a photo, a large or dark-on-light digit must be made to look like
those first (grayscale, 8×8, white on black), or it will answer with confidence and be wrong.

{
        provenance(
            f"Data: `{DATASET}` (UCI handwritten digits from scikit-learn's wheel, CC BY 4.0; Alpaydin & Kaynak, 1998).",
            "Weights: initialised at random and trained by the course's `course-hub build`; image processor "
            "`ViTImageProcessor` (rescale to [-1, 1], no resize).",
        )
    }"""
    return render_card(meta, body)
