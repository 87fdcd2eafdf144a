"""Card Markdown -> sanitised HTML: markdown-it-py (CommonMark + tables), then nh3 (ammonia) with an allow-list.

Card authors may write HTML (cards on huggingface.co often do); whatever they write, what comes out has no script,
no event handler, no style, no frame and no link other than http(s), mailto or relative.

Layer 0, below the API (discussion comments' `html`) and the website (cards, comments, gated prompts)."""

from __future__ import annotations

import threading
from collections import OrderedDict

import nh3
from markdown_it import MarkdownIt

from .card_meta import FRONT_MATTER

TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    "code": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}

_md = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(["table", "strikethrough"])
_cache: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()


def strip_front_matter(text: str) -> str:
    m = FRONT_MATTER.match(text.lstrip("\ufeff"))
    return text.lstrip("\ufeff")[m.end() :] if m else text


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        strip_comments=True,
        link_rel="noopener noreferrer nofollow",
    )


def markdown(text: str) -> str:
    """Any Markdown (with HTML in it) as safe HTML."""
    return sanitize(_md.render(text))


def card_html(readme: bytes, key: str | None = None) -> str:
    """A README.md's body (its YAML metadata block left out) as safe HTML; cached by `key` (the blob's sha)."""
    if key is not None:
        with _lock:
            if key in _cache:
                return _cache[key]
    html = markdown(strip_front_matter(readme.decode("utf-8", "replace")))
    if key is not None:
        with _lock:
            _cache[key] = html
            while len(_cache) > 256:
                _cache.popitem(last=False)
    return html
