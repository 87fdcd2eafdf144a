"""Self-checks for the exercises: each prints what is right or what is wrong, and returns True/False.

They never raise, so a notebook runs top to bottom even before the learner has answered.
One module per notebook (`helpers.checks.nb02`, ...), built on the three reporters below.
"""
from __future__ import annotations

PLACEHOLDERS = (None, Ellipsis)


def passed(message: str) -> bool:
    print(f"✅ {message}")
    return True


def failed(message: str, hint: str | None = None) -> bool:
    print(f"❌ {message}" + (f"\n   Hint: {hint}" if hint else ""))
    return False


def not_started(name: str) -> bool:
    print(f"⏳ `{name}` is still a placeholder: write your answer in the exercise cell, run it, then run this check.")
    return False


def is_placeholder(value) -> bool:
    return any(value is p for p in PLACEHOLDERS)
