"""Helpers shared by the course notebooks: the bootstrap (`connect`), self-checks, and the course hub."""

__version__ = "0.1.0"


def connect(hub: str | None = None, quiet: bool = False):
    """Point this kernel at the course hub (see `helpers.bootstrap`); call it before any Hugging Face import."""
    from .bootstrap import connect as _connect

    return _connect(hub=hub, quiet=quiet)
