"""The workshop schedule in docs/instructor-guide.md, from each notebook's `course` metadata (minutes).

python -m tools.schedule          # rewrite the table between the schedule markers
python -m tools.schedule --check  # exit 1 if it is out of date (run by the tests)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "instructor-guide.md"
START, END = "<!-- schedule:start -->", "<!-- schedule:end -->"
DAY_STARTS = 9 * 60  # 09:00
BREAK_EVERY, BREAK = 90, 15  # a 15-minute break once 90 minutes have passed since the last one...
LUNCH, LUNCH_FROM = 45, 12 * 60  # ...except the first one from noon on, which is lunch


def lessons() -> list[dict]:
    out = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        meta = json.loads(path.read_text())["metadata"]["course"]
        out.append({"file": path.name, **meta})
    return sorted(out, key=lambda m: m["order"])


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def table() -> str:
    rows = ["| start | notebook | teaching | exercises | total |", "|---|---|---|---|---|"]
    now, since_break, teach_sum, ex_sum, had_lunch = DAY_STARTS, 0, 0, 0, False
    for m in lessons():
        if since_break >= BREAK_EVERY:
            lunch = not had_lunch and now >= LUNCH_FROM
            rows.append(f"| {_clock(now)} | *{'lunch' if lunch else 'break'}* | | | {LUNCH if lunch else BREAK} min |")
            now, since_break, had_lunch = now + (LUNCH if lunch else BREAK), 0, had_lunch or lunch
        minutes = m["teaching_minutes"] + m["exercise_minutes"]
        rows.append(
            f"| {_clock(now)} | [{m['order']:02d} {m['title']}](../notebooks/{m['file']}) | "
            f"{m['teaching_minutes']} min | {m['exercise_minutes']} min | {minutes} min |"
        )
        now, since_break = now + minutes, since_break + minutes
        teach_sum, ex_sum = teach_sum + m["teaching_minutes"], ex_sum + m["exercise_minutes"]
    rows.append(
        f"| {_clock(now)} | **end** | **{teach_sum} min** | **{ex_sum} min** | "
        f"**{(now - DAY_STARTS) // 60} h {(now - DAY_STARTS) % 60:02d} min with breaks** |"
    )
    return "\n".join(rows)


def render(text: str) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{table()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true")
    args = p.parse_args(argv)
    text = GUIDE.read_text()
    new = render(text)
    if new == text:
        return 0
    if args.check:
        print(f"{GUIDE.relative_to(ROOT)}: the schedule is out of date: run `python -m tools.schedule`")
        return 1
    GUIDE.write_text(new)
    print(f"updated the schedule in {GUIDE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
