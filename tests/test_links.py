"""helpers/links.py gives each launch path its form of an address, and no notebook tells a learner to open a raw
127.0.0.1 / localhost address (it opens on a laptop only: on Binder, JupyterHub and Colab the browser is elsewhere).

The notebook scan reads the committed notebooks' markdown and outputs. An output of `links.show` (its HTML carries
`class="course-link"`) is the right form wherever it runs and is skipped; any other output line that says to open a
local address, or is one on its own, fails. Seen to fail: the committed 01 c4 (`print(f"{course.endpoint}/models")`),
04 c29 and 09 c10 before they used the helper.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import colab, links

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LOCAL_URL = re.compile(r"https?://(?:127\.0\.0\.1|localhost|0\.0\.0\.0|\[::1\])(?::\d+)?(?P<path>/[^\s'\"`)<>]*)?")
SAYS_OPEN = re.compile(r"\b(open|visit|browser|website|click|runs? at|running on|page|link|go to)\b", re.I)
# lines that others print, quoted verbatim, each next to the helper's link in its notebook (or not a page)
OTHERS_LINES = {
    "the hub's gated-repo message (04 c25; 04 c29 links the page)": re.compile(r"Visit \S+ to ask for access"),
    "huggingface_hub's error for an API route": re.compile(r"for url: \S+/api/"),
    "gradio_client's connection line (an API, not a page)": re.compile(r"^Loaded as API: "),
    "git's question for a user name": re.compile(r"could not read Username for"),
}
HUB = "http://127.0.0.1:8765"


@pytest.fixture
def laptop(monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", HUB)
    monkeypatch.setattr(colab, "on_colab", lambda: False)


def test_a_laptop_opens_the_address_itself(laptop):
    assert links.browser_url(f"{HUB}/models") == f"{HUB}/models"
    assert links.browser_url("http://127.0.0.1:7860/") == "http://127.0.0.1:7860/"


def test_jupyterhub_and_binder_go_through_the_jupyter_server(laptop, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ann/")
    assert links.browser_url(f"{HUB}/models?sort=likes") == "/user/ann/course-hub/models?sort=likes"
    assert (
        links.browser_url(f"{HUB}/spaces/hf-hands-on/sentiment-demo")
        == "/user/ann/course-hub/spaces/hf-hands-on/sentiment-demo"
    )
    assert links.browser_url("http://127.0.0.1:7860/") == "/user/ann/proxy/7860/"  # a Gradio app of the notebook
    assert links.browser_url("http://localhost:7861/x#y") == "/user/ann/proxy/7861/x#y"
    assert links.browser_url("https://huggingface.co/models") == "https://huggingface.co/models"  # not local


def test_online_the_hub_is_elsewhere_and_only_apps_are_proxied(laptop, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ann/")
    monkeypatch.setenv("HF_ENDPOINT", "https://huggingface.co")
    assert links.browser_url("http://127.0.0.1:8765/models") == "/user/ann/proxy/8765/models"


def test_colab_uses_its_proxy_port_when_the_colab_helper_gives_it(laptop, monkeypatch):
    assert links.colab_url(7860) is None  # not on Colab
    monkeypatch.setattr(colab, "on_colab", lambda: True)
    monkeypatch.setattr(colab, "proxy_url", lambda port: f"https://{port}-abc.colab.example/")
    assert links.browser_url(f"{HUB}/models") == "https://8765-abc.colab.example/models"
    assert links.browser_url("http://127.0.0.1:7860/") == "https://7860-abc.colab.example/"


def test_a_link_is_html_with_the_address_beside_it_and_text_elsewhere(laptop):
    link = links.link(f"{HUB}/hf-hands-on/x?a=1&b=<2>", "the <model> page")
    html = link._repr_html_()
    assert html.startswith(
        f'<a class="{links.CSS_CLASS}" href="{HUB}/hf-hands-on/x?a=1&amp;b=&lt;2&gt;" target="_blank"'
    )
    assert ">the &lt;model&gt; page</a>" in html and "<code>" in html
    assert repr(link) == f"the <model> page: {HUB}/hf-hands-on/x?a=1&b=<2>"
    assert links.link("https://huggingface.co/models").text == "https://huggingface.co/models"


def raw_local_addresses(text: str) -> list[str]:
    """Lines of an output (or of markdown, `markdown=True`) that tell the learner to open a raw local address."""
    found = []
    for line in text.splitlines():
        for m in LOCAL_URL.finditer(line):
            path = m.group("path") or ""
            alone = line.strip().rstrip("/") == m.group(0).rstrip("/")
            if any(p.search(line) for p in OTHERS_LINES.values()):
                continue
            if SAYS_OPEN.search(line) or (alone and not path.startswith("/api/")):
                found.append(line.strip())
                break
    return found


def notebook_findings(nb: dict) -> list[str]:
    findings = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":  # written once for every launch path: never a local URL
            findings += [f"c{i} markdown: {m.group(0)}" for m in LOCAL_URL.finditer("".join(cell["source"]))]
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if links.CSS_CLASS in "".join(data.get("text/html", "")):
                continue  # the helper's link: the right form on the machine that ran it
            texts = ["".join(out.get("text", ""))] + ["".join(v) for k, v in data.items() if k.startswith("text/")]
            findings += [f"c{i} output: {line}" for t in texts for line in raw_local_addresses(t)]
    return findings


def test_the_scanner_sees_raw_addresses_and_lets_the_rest_pass():
    assert raw_local_addresses("http://127.0.0.1:8765/models") == ["http://127.0.0.1:8765/models"]
    assert raw_local_addresses("The app runs at http://127.0.0.1:57407/") != []
    assert raw_local_addresses("Open http://localhost:7860 in a browser") != []
    assert raw_local_addresses("Running on local URL:  http://127.0.0.1:7860") != []
    for fine in [
        "Connected to the course hub at http://127.0.0.1:8765",
        "HF_ENDPOINT            : http://127.0.0.1:8765",
        "Loaded as API: http://127.0.0.1:7860/",
        "404 Client Error. Repository Not Found for url: http://127.0.0.1:8765/api/models/alice/x.",
        "Visit http://127.0.0.1:8765/hf-hands-on/gated-sentiment to ask for access.",
        "https://huggingface.co/models",
    ]:
        assert raw_local_addresses(fine) == [], fine
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["Open http://127.0.0.1:8765/models"]},
            {"cell_type": "code", "source": [], "outputs": [{"output_type": "stream", "text": [f"{HUB}/models\n"]}]},
            {
                "cell_type": "code",
                "source": [],
                "outputs": [
                    {
                        "output_type": "display_data",
                        "data": {"text/html": links.link(f"{HUB}/x")._repr_html_(), "text/plain": f"x: {HUB}/x"},
                    }
                ],
            },
        ]
    }
    assert notebook_findings(nb) == ["c0 markdown: http://127.0.0.1:8765/models", f"c1 output: {HUB}/models"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem[:2])
def test_no_notebook_tells_the_learner_to_open_a_raw_local_address(path):
    findings = notebook_findings(json.loads(path.read_text()))
    assert not findings, f"{path.name}: show it with helpers.links.show(...):\n" + "\n".join(findings)


def test_what_the_hub_returns_is_an_address_too(laptop, monkeypatch):
    from huggingface_hub import CommitInfo, RepoUrl

    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ann/")
    commit = CommitInfo(
        commit_url=f"{HUB}/learner/m/commit/{'a' * 40}", commit_message="m", commit_description="", oid="a" * 40
    )
    assert links.browser_url(commit) == f"/user/ann/course-hub/learner/m/commit/{'a' * 40}"  # unhashable
    assert (
        links.link(RepoUrl(f"{HUB}/spaces/learner/app", endpoint=HUB)).url == "/user/ann/course-hub/spaces/learner/app"
    )
