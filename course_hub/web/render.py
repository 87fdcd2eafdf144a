"""The website's name for card Markdown rendering, which lives in `course_hub/markdown.py` (below the API, which
renders discussion comments with it too)."""

from ..markdown import ATTRIBUTES, TAGS, URL_SCHEMES, card_html, markdown, sanitize, strip_front_matter

__all__ = ["ATTRIBUTES", "TAGS", "URL_SCHEMES", "card_html", "markdown", "sanitize", "strip_front_matter"]
