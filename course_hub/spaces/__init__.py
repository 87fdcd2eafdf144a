"""Spaces that run: the runtime (`runtime.SpaceManager`), the reverse proxy (`proxy`) and their routes
(`routes.ROUTES`). A Space's app is served at `{endpoint}/spaces/{owner}/{name}/app/`."""

from .runtime import SpaceManager, app_path

__all__ = ["SpaceManager", "app_path"]
