"""Every exercise check of every notebook keeps its promise (`helpers.checks`): whatever the learner passes, it prints
a verdict and returns one, and never raises — even when the answer's own methods blow up."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import helpers.checks as checks
from helpers.checks import Verdict


class Exploding:
    """An answer whose every use raises (a learner's half-built object, a closed store, a broken chain)."""

    def __getattr__(self, name):
        raise RuntimeError(f"boom: {name}")

    def __iter__(self):
        raise RuntimeError("boom: iter")

    def __len__(self):
        raise RuntimeError("boom: len")

    def __eq__(self, other):
        raise RuntimeError("boom: eq")

    __hash__ = object.__hash__

    def __str__(self):
        raise RuntimeError("")  # an exception with an empty message (no first line to quote)


def all_checks():
    for info in pkgutil.iter_modules(checks.__path__):
        module = importlib.import_module(f"helpers.checks.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("check_") and fn.__module__ == module.__name__:
                yield pytest.param(fn, id=f"{info.name}.{name}")


@pytest.mark.parametrize("check", list(all_checks()))
def test_a_check_never_raises(check, capsys):
    required = [
        p
        for p in inspect.signature(check).parameters.values()
        if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    result = check(*[Exploding() for _ in required])
    out = capsys.readouterr().out
    assert isinstance(result, Verdict) and not result, f"{check.__name__} returned {result!r}"
    assert out.startswith(("❌", "⏳")), out
