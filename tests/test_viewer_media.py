"""The dataset viewer's features over real HTTP: a dataset written by `datasets` (Image, Audio, ClassLabel, List,
Value, a struct) and pushed with HfApi shows its columns by their `datasets` names, its images as thumbnails and its
audio as players, whose bytes come from a media route with the dataset's access policy, a content type proven by
the bytes' magic (anything else refused) and `nosniff`. Column names and cell text are hostile and come out escaped."""

from __future__ import annotations

import io
import re

import httpx
import pyarrow as pa
import pytest
from hubtest import bearer

HTML = {"Accept": "text/html"}
PNG_SRC = re.compile(r'<img class="thumb" src="([^"]+)"')
AUDIO_SRC = re.compile(r'<audio class="player" controls preload="none" src="([^"]+)"')
EVIL = "<script>alert(1)</script>"


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (8, 8), 128).save(out, format="PNG")
    return out.getvalue()


WAV = b"RIFF" + (36).to_bytes(4, "little") + b"WAVEfmt " + bytes(24) + b"data" + bytes(4)
FAKE = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"  # an "image" that is a script


def _push(api, repo_id: str, private: bool = False) -> None:
    from datasets import Audio, ClassLabel, Dataset, DatasetInfo, Features, Image, List, Value

    features = Features(
        {
            "image": Image(),
            "sound": Audio(sampling_rate=16000),
            "label": ClassLabel(names=["cat", EVIL]),
            "tokens": List(Value("int64")),
            "text": Value("string"),
            "meta": {"k": Value("int32")},
            EVIL: Value("string"),
        }
    )
    rows = [
        {"image": {"bytes": _png(), "path": None}, "label": 0, "text": EVIL},
        {"image": {"bytes": FAKE, "path": None}, "label": 1, "text": "two"},
    ]
    rows = [
        {**r, "sound": {"bytes": WAV, "path": "a.wav"}, "tokens": [1, 2], "meta": {"k": 1}, EVIL: EVIL} for r in rows
    ]
    # the Arrow table of these features (Audio's encoder needs torchcodec; the bytes are already encoded)
    ds = Dataset(pa.Table.from_pylist(rows, schema=features.arrow_schema), info=DatasetInfo(features=features))
    buf = io.BytesIO()
    ds.to_parquet(buf)
    api.create_repo(repo_id, repo_type="dataset", private=private)
    api.upload_file(
        path_or_fileobj=buf.getvalue(),
        path_in_repo="data/train-00000-of-00001.parquet",
        repo_id=repo_id,
        repo_type="dataset",
    )


@pytest.fixture(scope="module")
def dataset(hub, api):
    repo_id = "alice/viewer-media"
    _push(api, repo_id)
    return repo_id


def test_features_by_their_datasets_names_and_escaped(hub, dataset):
    text = httpx.get(f"{hub.url}/datasets/{dataset}", headers=HTML).text
    for kind in ("Image", "Audio(16000 Hz)", "List(Value(int64))", "Value(string)", "{k: Value(int32)}"):
        assert f'<span class="type">{kind}</span>' in text, kind
    assert "ClassLabel(cat, &lt;script&gt;alert(1)&lt;/script&gt;)" in text
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "struct<bytes" not in text and "b&#39;\\x89PNG" not in text  # no Python bytes on the page
    assert len(PNG_SRC.findall(text)) == 2 and len(AUDIO_SRC.findall(text)) == 2


def test_images_and_audio_served_with_a_proven_type(hub, dataset):
    text = httpx.get(f"{hub.url}/datasets/{dataset}", headers=HTML).text
    good, fake = (src.replace("&amp;", "&") for src in PNG_SRC.findall(text))
    r = httpx.get(hub.url + good)  # a browser's <img> asks with Accept: image/*
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content == _png()
    assert r.headers["x-content-type-options"] == "nosniff"
    r = httpx.get(hub.url + fake)
    assert r.status_code == 415 and "image/svg" not in r.headers["content-type"]
    assert FAKE.decode() not in r.text
    audio = AUDIO_SRC.findall(text)[0]
    r = httpx.get(hub.url + audio)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav" and r.content == WAV
    # a column that is not media, a row past the end: 404
    assert httpx.get(hub.url + good.rsplit("/", 1)[0] + "/text").status_code == 404
    assert httpx.get(hub.url + re.sub(r"/0/image$", "/99/image", good)).status_code == 404


def test_private_and_gated_images_follow_the_files_policy(hub, api, bob_api, new_repo_id):
    repo_id = new_repo_id()
    _push(api, repo_id, private=True)
    alice = bearer(hub.token("alice", "write"))
    text = httpx.get(f"{hub.url}/datasets/{repo_id}", headers={**HTML, **alice}).text
    src = PNG_SRC.findall(text)[0]
    assert httpx.get(hub.url + src, headers=alice).status_code == 200
    assert httpx.get(hub.url + src).status_code == 404  # anonymous: not found, as the page
    assert httpx.get(hub.url + src, headers=bearer(hub.token("bob", "write"))).status_code == 404
    api.update_repo_settings(repo_id, repo_type="dataset", private=False, gated="manual")
    assert httpx.get(hub.url + src, headers=alice).status_code == 200  # the owner
    assert httpx.get(hub.url + src).status_code == 401  # gated: not without access
    assert httpx.get(hub.url + src, headers=bearer(hub.token("bob", "write"))).status_code == 403
