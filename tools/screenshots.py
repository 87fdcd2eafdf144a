"""`make screenshots`: the course hub's website in Chromium, as small PNGs for the notebooks and the README.

Starts a course hub over a copy of the built hub (build/screenshots/hub, with only the repos the build made, each
at the commits the build made: a hub whose course repos were changed since is refused; the real one is never
written), pushes notebook 06's Space (`learner/my-sentiment-app`, its app.py read from the notebook), opens the live
pages in Debian's Chromium (Playwright, no browser download) at 1200x800 and waits for what each one shows: the
model page's Inference widget after *Compute*, with its label bars; each Space's page with its app embedded,
RUNNING, answering a sentence. Each page is scaled to 900x600 (at most 150 KB) in notebooks/images/web_*.png, and
what it shows (counts, ids, labels) goes to notebooks/images/screenshots.json, which
tests/test_notebook_screenshots.py holds against the hub's own answers (`list_models`, ...).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "notebooks" / "images"
MANIFEST = OUT / "screenshots.json"
WORK = ROOT / "build" / "screenshots"
MAX_BYTES = 150 * 1024
MY_SPACE = "learner/my-sentiment-app"  # notebook 06, section 7
PAGES = {  # file name -> path
    "web_home": "/",
    "web_models_text_classification": "/models?pipeline_tag=text-classification",
    "web_model_page": "/hf-hands-on/minilm-sentiment",
    "web_dataset_viewer": "/datasets/hf-hands-on/sentiment-snippets",
    "web_digits_viewer": "/datasets/hf-hands-on/digits",  # Image thumbnails, ClassLabel
    "web_space_page": "/spaces/hf-hands-on/sentiment-demo",
    "web_my_space_page": f"/spaces/{MY_SPACE}",
}
SENTENCE = "What a wonderful, heart-warming film!"
APP_TIMEOUT_MS = 300_000  # a Space's first start on a busy machine: install, imports, the model's first load


def small_png(png: bytes, size=(900, 600)) -> bytes:
    """Scaled down, then fewer colours until it fits in MAX_BYTES."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB").resize(size, Image.LANCZOS)
    for colors in (None, 256, 128, 64):
        out = io.BytesIO()
        (img if colors is None else img.quantize(colors=colors, dither=Image.Dither.NONE)).save(
            out, "PNG", optimize=True
        )
        if out.tell() <= MAX_BYTES:
            return out.getvalue()
    raise RuntimeError("screenshot still over 150 KB at 64 colours")


# --- what each page shows, once it shows it -------------------------------------------------------------------


def home_counts(page) -> dict:
    """The home page's three columns: how many models, datasets and Spaces it counts."""
    return {
        kind: int(page.locator(f"#home-{kind} h2 .count").inner_text()) for kind in ("models", "datasets", "spaces")
    }


def listed(page) -> dict:
    """A list page: the total in its title and the ids of its cards."""
    return {
        "total": int(page.locator("#total").inner_text()),
        "ids": page.locator(".results .cards a.repo-link").all_inner_texts(),
    }


def widget_result(page) -> dict:
    """The model page's Inference widget after a click on Compute: its label bars, highest first."""
    from playwright.sync_api import expect

    widget = page.locator("#inference-widget")
    widget.locator("textarea").fill(SENTENCE)
    widget.locator("button[type=submit]").click()
    expect(widget.locator(".iw-bars li")).to_have_count(2, timeout=APP_TIMEOUT_MS)
    return {"input": SENTENCE, "labels": widget.locator(".iw-label").all_inner_texts()}


def space_answer(button: str):
    """A Space's page with its app embedded: wait until the app answers, reload (the page then says RUNNING), ask
    again, and wait for the answer in the app's Label."""

    def act(page) -> dict:
        def ask() -> str:
            frame = page.frame_locator("#space-app iframe.space-frame")
            box = frame.locator("textarea").first
            box.wait_for(timeout=APP_TIMEOUT_MS)
            box.fill(SENTENCE)
            frame.get_by_role("button", name=button).click()
            label = frame.get_by_test_id("label-output-value")
            label.get_by_text(re.compile("POSITIVE|NEGATIVE")).first.wait_for(timeout=APP_TIMEOUT_MS)
            return label.inner_text().strip().split()[0]  # the top label, then the confidences

        ask()  # the first visit starts the app (and its model loads on the first answer)
        page.reload(wait_until="domcontentloaded")
        stage = page.locator("#space-app .stage").inner_text().strip()
        answer = ask()
        page.locator("#space-app").scroll_into_view_if_needed()
        return {"stage": stage, "input": SENTENCE, "label": answer}

    return act


ACTIONS = {
    "web_home": home_counts,
    "web_models_text_classification": listed,
    "web_model_page": widget_result,
    "web_space_page": space_answer("Submit"),
    "web_my_space_page": space_answer("Classify"),
}


# --- the hub it shows ------------------------------------------------------------------------------------------


def built_copy(source: Path):
    """A copy of the built hub with only the build's repos, refused when those were changed since the build."""
    from course_content.build import commit_refs
    from course_hub import HubDir
    from course_hub.hub import Hub

    WORK.mkdir(parents=True, exist_ok=True)
    hub_dir = HubDir(source).copy_to(WORK / "hub")
    info = hub_dir.build_info()
    built = list(info.get("repos") or [])
    copy = Hub(hub_dir.root)
    for rec in copy.store.repos():  # the course's own repos only, not what a learner pushed to data/hub
        if f"{rec.type}:{rec.id}" not in built:
            copy.delete_repo(rec.type, rec.id)
    missing = [r for r in built if copy.store.get_repo(*r.split(":", 1)) is None]
    changed = [r for r in built if r not in missing and commit_refs(copy, [r])[r] != info["refs"].get(r)]
    if missing or changed:
        raise SystemExit(
            f"{source} is not the hub the build made (missing: {missing or 'none'}; changed since: "
            f"{changed or 'none'}): rebuild it (`course-hub build --force`) before taking screenshots"
        )
    return hub_dir


def notebook_app() -> str:
    """app.py of notebook 06's own Space: its `%%writefile …/app.py` cell."""
    nb = json.loads((ROOT / "notebooks" / "06_spaces.ipynb").read_text())
    for cell in nb["cells"]:
        first, _, rest = "".join(cell["source"]).partition("\n")
        if first.startswith("%%writefile") and first.endswith("/app.py"):
            return rest
    raise RuntimeError("notebook 06 has no %%writefile …/app.py cell")


def push_my_space(url: str, hub_dir: Path) -> None:
    """Notebook 06's section 7 on the copy: the learner's Space, the same three files."""
    import gradio
    from huggingface_hub import CommitOperationAdd, HfApi, SpaceCard, SpaceCardData

    from course_hub import local_token
    from course_hub.settings import course_org

    api = HfApi(endpoint=url, token=local_token(hub_dir, "learner", "write"))
    model = f"{course_org()}/minilm-sentiment"
    data = SpaceCardData(
        title="My sentiment app",
        sdk="gradio",
        sdk_version=gradio.__version__,
        app_file="app.py",
        models=[model],
        license="apache-2.0",
    )
    card = SpaceCard(f"---\n{data.to_yaml()}\n---\n\n# My sentiment app\n\nA Gradio app around `{model}`.\n")
    api.create_repo(MY_SPACE, repo_type="space", space_sdk="gradio", exist_ok=True)
    files = {"app.py": notebook_app(), "requirements.txt": "transformers\ntorch\n", "README.md": str(card)}
    ops = [CommitOperationAdd(path, content.encode()) for path, content in files.items()]
    api.create_commit(MY_SPACE, ops, commit_message="Add my sentiment app", repo_type="space")


def main() -> int:
    from playwright.sync_api import sync_playwright

    from course_hub import HubDir, local, net
    from course_hub.settings import default_hub_dir

    chromium = shutil.which("chromium")
    if not chromium:
        print("Debian's chromium is missing (apt-get install chromium)", file=sys.stderr)
        return 1
    source = default_hub_dir()
    if not HubDir(source).is_built():
        print(f"the course hub is not built in {source}: run `make hub` first", file=sys.stderr)
        return 1
    hub_dir = built_copy(source)
    port = net.free_port(first=net.DEFAULT_PORT)  # the URLs in the snippets read as a learner's do
    log = WORK / "hub.log"
    proc = local.start(hub_dir.root, port, log)
    shows = {}
    try:
        url = f"http://127.0.0.1:{port}"
        local.wait_healthy(url, proc, 60, log)
        push_my_space(url, hub_dir.root)
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 800})
                for name, path in PAGES.items():
                    response = page.goto(url + path, wait_until="domcontentloaded", timeout=APP_TIMEOUT_MS)
                    if response is None or response.status != 200:
                        raise RuntimeError(f"{path}: {response.status if response else 'no response'}")
                    if "/spaces/" not in path:  # a Space's page loads when its app does: its action waits
                        page.wait_for_load_state("load")
                    shows[name] = {"path": path, **(ACTIONS[name](page) if name in ACTIONS else {})}
                    data = small_png(page.screenshot())
                    (OUT / f"{name}.png").write_bytes(data)
                    print(f"{(OUT / name).relative_to(ROOT)}.png  {len(data) // 1024} KB  ({path})")
            finally:
                browser.close()
    finally:
        from helpers.gradio_tools import stop

        stop(proc)
        shutil.rmtree(WORK / "hub", ignore_errors=True)
    MANIFEST.write_text(json.dumps(shows, indent=1, ensure_ascii=False) + "\n")
    print(f"{MANIFEST.relative_to(ROOT)}: what each screenshot shows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
