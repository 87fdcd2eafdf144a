"""constraints.txt: the exact versions `make setup` installs, written from (or compared with) an environment.

    .venv/bin/python -m tools.lock           # rewrite constraints.txt from what this interpreter has (make lock)
    .venv/bin/python -m tools.lock --diff    # list the pins this interpreter's packages differ from

torch is pinned in the Makefile (the CPU build), the course itself is installed from the checkout, and pip's own
tools are not the course's: none of them go in the file.
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib.metadata import distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "constraints.txt"
HEADER = "# Exact versions `make setup` installs (reproducible CI). torch is pinned in the Makefile (CPU build).\n"
NOT_LOCKED = {"torch", "hf-hands-on", "pip", "setuptools", "wheel"}
# JupyterHub beside the course (`make jupyterhub-deps` adds them to .venv): pinned in their own file, never here
JUPYTERHUB_ONLY = ROOT / "deploy" / "jupyterhub" / "requirements.txt"


def canonical(name: str) -> str:
    """PEP 503 name: `Jinja2`, `jinja2` and `jinja_2`... compare equal."""
    return re.sub(r"[-_.]+", "-", name).lower()


def installed() -> dict[str, tuple[str, str]]:
    """canonical name -> (name as published, version) of every distribution this interpreter sees."""
    found = {}
    for dist in distributions():
        name = dist.metadata["Name"]
        if name and canonical(name) not in found:  # the first on sys.path wins, as for imports
            found[canonical(name)] = (name, dist.version)
    return found


def read_pins(path: Path = CONSTRAINTS) -> dict[str, tuple[str, str]]:
    """canonical name -> (name, version) of every `name==version` line."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonical(name)] = (name.strip(), version.strip())
    return pins


def jupyterhub_only() -> set[str]:
    try:
        return set(read_pins(JUPYTERHUB_ONLY))
    except OSError:
        return set()


def render(packages: dict[str, tuple[str, str]]) -> str:
    skip = NOT_LOCKED | jupyterhub_only()
    pins = sorted((name, version) for key, (name, version) in packages.items() if key not in skip)
    return HEADER + "".join(f"{name}=={version}\n" for name, version in sorted(pins, key=lambda p: p[0].casefold()))


def required_here() -> set[str]:
    """Canonical names that some installed distribution requires on this Python (markers evaluated): a pin of
    constraints.txt that nothing here needs (`overrides` is for Python < 3.12 only) is not missing."""
    from importlib.metadata import distributions

    from packaging.requirements import InvalidRequirement, Requirement

    out = set()
    for dist in distributions():
        for spec in dist.requires or []:
            try:
                req = Requirement(spec)
            except InvalidRequirement:
                continue
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                out.add(canonical(req.name))
    return out


def differences(pins: dict, have: dict, needed: set[str] | None = None) -> list[str]:
    """One line per pin that `have` does not match: another version, or missing (when `needed` is given, only a
    missing pin that something installed needs on this Python)."""
    out = []
    for key, (name, version) in sorted(pins.items()):
        if key not in have:
            if needed is not None and key not in needed:
                continue
            out.append(f"{name}: pinned {version}, not installed")
        elif have[key][1] != version:
            out.append(f"{name}: pinned {version}, installed {have[key][1]}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--diff", action="store_true", help="compare instead of writing")
    ap.add_argument("--file", type=Path, default=CONSTRAINTS, help="the constraints file (default: %(default)s)")
    args = ap.parse_args(argv)
    have = installed()
    if args.diff:
        diff = differences(read_pins(args.file), have)
        print("\n".join(diff) if diff else f"{sys.prefix} matches {args.file.name}")
        return 0
    args.file.write_text(render(have))
    print(f"wrote {args.file} ({len(have) - len(NOT_LOCKED & set(have))} packages from {sys.prefix})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
