"""Continuous batching for the inference worker: the active generations of one model advance in one forward pass.

A `Batch` holds up to `size` sequences and one transformers `DynamicCache` for all of them, left-padded: every
row's keys and values end at the same column, the columns before a row's first token are zeros and masked out by
the 2D attention mask; each row's `position_ids` count only its own tokens, so a row computes what it would alone.
A sequence is prefilled alone (`prefill`: no padding in its prompt), then joins a batch between steps (`add`: the
shorter side is left-padded); a finished or cancelled one leaves between steps (`keep`: its row goes, and the
columns that only padded it). Models whose cache is not plain per-layer keys/values (sliding windows, ...) run
one sequence per batch. Torch is imported lazily: the hub imports this package without it.
"""

from __future__ import annotations


def new_cache(model):
    from transformers import DynamicCache

    return DynamicCache(config=model.config)


def batchable(cache) -> bool:
    """Whether the cache's layers are plain keys/values that padding and row selection keep correct."""
    from transformers.cache_utils import DynamicLayer

    return all(type(layer) is DynamicLayer for layer in cache.layers)


def prefill(model, ids: list[int]):
    """The prompt alone through the model: (logits of the next token, the prompt's cache)."""
    import torch

    cache = new_cache(model)
    with torch.inference_mode():
        out = model(input_ids=torch.tensor([ids]), cache=cache, use_cache=True, logits_to_keep=1)
    return out.logits[0, -1].float(), cache


class Batch:
    """Sequences of one model that step together. `rows` are the caller's objects, one per sequence, each with
    `last` (the token to feed next); the cache's row i belongs to rows[i]."""

    def __init__(self, model, size: int):
        self.model, self.size = model, size
        self.rows: list = []
        self.cache = None  # DynamicCache, [rows, heads, columns, dim] per layer
        self.mask = None  # [rows, columns] 1 where a row has a token
        self.positions = None  # [rows] the next position of each row (its own token count)

    def __len__(self) -> int:
        return len(self.rows)

    def full(self) -> bool:
        return len(self.rows) >= self.size

    def add(self, row, cache, length: int) -> None:
        """Join a prefilled sequence (its cache of `length` tokens, batch size 1)."""
        import torch

        mask = torch.ones(1, length, dtype=torch.long)
        if self.cache is None:
            self.cache, self.mask, self.positions = cache, mask, torch.tensor([length])
            self.rows = [row]
            return
        columns = self.mask.shape[1]
        width = max(columns, length)
        for mine, theirs in zip(self.cache.layers, cache.layers, strict=True):
            mine.keys = torch.cat([_pad(mine.keys, width), _pad(theirs.keys, width)])
            mine.values = torch.cat([_pad(mine.values, width), _pad(theirs.values, width)])
        self.mask = torch.cat([_pad_mask(self.mask, width), _pad_mask(mask, width)])
        self.positions = torch.cat([self.positions, torch.tensor([length])])
        self.rows.append(row)

    def keep(self, which: list[bool]) -> None:
        """Keep the rows marked True (in order); drop the leading columns no kept row uses."""
        import torch

        if all(which):
            return
        self.rows = [r for r, k in zip(self.rows, which, strict=True) if k]
        if not self.rows:
            self.cache = self.mask = self.positions = None
            return
        index = torch.tensor([i for i, k in enumerate(which) if k])
        mask = self.mask.index_select(0, index)
        first = int(mask.any(0).nonzero()[0])
        for layer in self.cache.layers:
            layer.keys = layer.keys.index_select(0, index)[:, :, first:]
            layer.values = layer.values.index_select(0, index)[:, :, first:]
        self.mask = mask[:, first:]
        self.positions = self.positions.index_select(0, index)

    def step(self):
        """One forward pass: every row's `last` token in; the logits of each row's next token out ([rows, vocab])."""
        import torch

        ids = torch.tensor([[r.last] for r in self.rows])
        mask = torch.cat([self.mask, torch.ones(len(self.rows), 1, dtype=torch.long)], 1)
        with torch.inference_mode():
            out = self.model(
                input_ids=ids,
                attention_mask=mask,
                position_ids=self.positions[:, None],
                cache=self.cache,
                use_cache=True,
            )
        self.mask = mask
        self.positions = self.positions + 1
        return out.logits[:, -1].float()


def _pad(t, width: int):
    """Left-pad a [rows, heads, columns, dim] tensor with zeros to `width` columns."""
    import torch

    missing = width - t.shape[2]
    if missing == 0:
        return t
    return torch.cat([t.new_zeros(t.shape[0], t.shape[1], missing, t.shape[3]), t], 2)


def _pad_mask(mask, width: int):
    import torch

    missing = width - mask.shape[1]
    return mask if missing == 0 else torch.cat([mask.new_zeros(mask.shape[0], missing), mask], 1)
