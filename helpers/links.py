"""Addresses a learner opens from a notebook (a hub page, a Space's page, a Gradio app the notebook started), shown
as one clickable link in the form that opens from the learner's browser on every launch path:

- a laptop (`make lab`): the address itself, `http://127.0.0.1:8765/models`;
- JupyterHub, Binder (the browser is elsewhere; jupyter-server-proxy, helpers/jupyter_proxy.py): the course hub at
  `{base_url}course-hub/…`, any other app of the kernel's machine at `{base_url}proxy/{port}/…`;
- Colab: `google.colab.kernel.proxyPort(port)`'s address (`helpers.colab.proxy_url`);
- an address elsewhere (huggingface.co): unchanged.

    from helpers import links
    links.show(f"{course.endpoint}/models", "the course hub's models")
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import colab
from .jupyter_proxy import NAME as HUB_PROXY_NAME
from .jupyter_proxy import proxy_prefix

LOCAL_HOSTS = ("127.0.0.1", "localhost", "0.0.0.0", "::1")
CSS_CLASS = "course-link"  # marks the helper's outputs (tests/test_links.py: a raw local address elsewhere fails)


def colab_url(port: int) -> str | None:
    """Colab's address of `port` on the kernel's machine (`google.colab.kernel.proxyPort`, through
    `helpers.colab.proxy_url`), ending in `/`; None elsewhere, or when Colab's page does not answer."""
    return colab.proxy_url(port) if colab.on_colab() else None


def _hub_port() -> int | None:
    """The port of the course hub this kernel is connected to (`HF_ENDPOINT`, set by `helpers.connect()`) when it
    runs on the kernel's machine, else None."""
    parts = urlsplit(os.environ.get("HF_ENDPOINT", ""))
    return parts.port if parts.hostname in LOCAL_HOSTS else None


def browser_url(address: str) -> str:
    """The form of `address` that the learner's browser opens. Only an address on the kernel's machine
    (127.0.0.1, localhost) changes: on Colab, JupyterHub and Binder the browser is on another machine."""
    address = str(address)  # a RepoUrl or a CommitInfo (what push_to_hub returns) is a str too
    parts = urlsplit(address)
    if parts.hostname not in LOCAL_HOSTS or parts.port is None:
        return address
    rest = (
        parts.path.lstrip("/")
        + (f"?{parts.query}" if parts.query else "")
        + (f"#{parts.fragment}" if parts.fragment else "")
    )
    colab_base = colab_url(parts.port)
    if colab_base:
        return colab_base.rstrip("/") + "/" + rest
    prefix = proxy_prefix()
    if prefix:
        base = HUB_PROXY_NAME if parts.port == _hub_port() else f"proxy/{parts.port}"
        return f"{prefix.rstrip('/')}/{base}/{rest}"
    return address


@dataclass(frozen=True)
class Link:
    """A link as a notebook shows it: an `<a>` that opens in a new tab, and the address as text beside it."""

    url: str
    text: str

    def _repr_html_(self) -> str:
        url, text = html.escape(self.url, quote=True), html.escape(self.text)
        return (
            f'<a class="{CSS_CLASS}" href="{url}" target="_blank" rel="noopener">{text}</a> '
            f"<code>{html.escape(self.url)}</code>"
        )

    def __repr__(self) -> str:  # the text fallback (a terminal, nbconvert to text)
        return f"{self.text}: {self.url}"


def link(address: str, text: str | None = None) -> Link:
    """A `Link` to `address` in the browser's form (`browser_url`); `text` says what opens (default: the address)."""
    url = browser_url(address)
    return Link(url, text or url)


def show(address: str, text: str | None = None) -> None:
    """Display a clickable link to `address` below the cell (see `link`); on Colab, when its page gave no proxy
    address, Colab's own link to the port (`serve_kernel_port_as_window`: it asks for the address when clicked)."""
    from IPython.display import display

    shown = link(address, text)
    parts = urlsplit(shown.url)
    if colab.on_colab() and parts.hostname in LOCAL_HOSTS and parts.port is not None:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        colab.open_port(parts.port, path + (f"#{parts.fragment}" if parts.fragment else ""), shown.text)
        return
    display(shown)
