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


class Verdict(int):
    """A check's result: True or False for code (`if check(...):`, `assert check(...)`), but never echoed under a
    notebook cell, so check cells need no trailing `;` (which nbval's kernel does not honour)."""

    def __new__(cls, ok):
        return super().__new__(cls, bool(ok))

    def __repr__(self) -> str:
        return repr(bool(self))

    def _ipython_display_(self) -> None:  # IPython: display nothing
        pass


def never_raises(check):
    """Turn any unexpected exception inside a check into a ❌ line, so the notebook keeps running."""
    import functools

    @functools.wraps(check)
    def wrapper(*args, **kwargs) -> Verdict:
        try:
            return Verdict(check(*args, **kwargs))
        except Exception as e:  # a check must never stop the notebook  # noqa: BLE001
            first = str(e).strip().splitlines()[0] if str(e).strip() else ""
            return Verdict(
                failed(
                    f"The check could not finish: {type(e).__name__}: {first}",
                    "Re-run the setup cell (is the hub still running?), then your cells, then this.",
                )
            )

    return wrapper
