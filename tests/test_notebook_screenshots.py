"""The website's screenshots in notebooks/images show the hub the notebooks run against (review 3: 01's list of
text-classification models showed one model while the notebook lists two). `make screenshots` records what each page
showed (notebooks/images/screenshots.json); these tests hold it against the session hub's own answers for the
course's built repos, and against the notebooks that show the pictures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from course_hub import HubDir
from course_hub.settings import course_org
from tools import screenshots

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "notebooks" / "images"
SHOWS = json.loads(screenshots.MANIFEST.read_text())


def built(hub) -> set[str]:
    """`type:id` of every repo the build made."""
    return set(HubDir(hub.source).build_info()["repos"])


def anonymous(hub):
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=False)


def test_every_page_has_its_picture_and_its_record():
    assert set(SHOWS) == set(screenshots.PAGES)
    for name, record in SHOWS.items():
        assert record["path"] == screenshots.PAGES[name]
        assert (IMAGES / f"{name}.png").stat().st_size <= screenshots.MAX_BYTES, name


def test_pictures_in_the_notebooks_exist():
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            text = "".join(cell["source"])
            for name in screenshots.PAGES:
                if f"images/{name}.png" in text:
                    assert (IMAGES / f"{name}.png").is_file(), (nb.name, name)


@pytest.mark.content
def test_list_of_models_shows_what_list_models_answers(hub):
    if not hub.built:
        pytest.skip("the course hub is not built")
    record = SHOWS["web_models_text_classification"]
    expected = sorted(
        m.id for m in anonymous(hub).list_models(pipeline_tag="text-classification") if f"model:{m.id}" in built(hub)
    )
    assert sorted(record["ids"]) == expected and record["total"] == len(expected), "run `make screenshots`"


@pytest.mark.content
def test_home_counts_what_the_hub_lists(hub):
    if not hub.built:
        pytest.skip("the course hub is not built")
    api, repos = anonymous(hub), built(hub)
    expected = {
        "models": sum(f"model:{m.id}" in repos for m in api.list_models()),
        "datasets": sum(f"dataset:{d.id}" in repos for d in api.list_datasets()),
        "spaces": sum(f"space:{s.id}" in repos for s in api.list_spaces()) + 1,  # + notebook 06's Space
    }
    assert {k: v for k, v in SHOWS["web_home"].items() if k != "path"} == expected, "run `make screenshots`"


@pytest.mark.content
def test_the_widget_and_the_spaces_answered(hub, tmp_path):
    """The model page after Compute, with the model's labels; each Space's page RUNNING, its app answering."""
    if not hub.built:
        pytest.skip("the course hub is not built")
    model = f"{course_org()}/minilm-sentiment"
    config = json.loads(Path(anonymous(hub).hf_hub_download(model, "config.json", cache_dir=tmp_path)).read_text())
    labels = set(config["id2label"].values())
    assert set(SHOWS["web_model_page"]["labels"]) == labels
    for name in ("web_space_page", "web_my_space_page"):
        assert SHOWS[name]["stage"] == "RUNNING" and SHOWS[name]["label"] in labels, name
