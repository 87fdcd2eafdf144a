"""`make screenshots`: the course hub's website in Chromium, as small PNGs for the notebooks and the README.

Starts a course hub over a copy of the built hub (build/screenshots/hub, with only the repos the build made; the
real one is never written), opens the
live pages in Debian's Chromium (Playwright, no browser download) at 1200x800, and writes each page scaled to
900x600 (at most 150 KB) to notebooks/images/web_*.png.
"""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "notebooks" / "images"
WORK = ROOT / "build" / "screenshots"
MAX_BYTES = 150 * 1024
PAGES = {  # file name -> path
    "web_home": "/",
    "web_models_text_classification": "/models?pipeline_tag=text-classification",
    "web_model_page": "/hf-hands-on/minilm-sentiment",
    "web_dataset_viewer": "/datasets/hf-hands-on/sentiment-snippets",
    "web_digits_viewer": "/datasets/hf-hands-on/digits",  # Image thumbnails, ClassLabel
    "web_space_page": "/spaces/hf-hands-on/sentiment-demo",
}


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
    WORK.mkdir(parents=True, exist_ok=True)
    hub_dir = HubDir(source).copy_to(WORK / "hub")
    from course_hub.hub import Hub

    built = set(hub_dir.build_info().get("repos") or [])
    copy = Hub(hub_dir.root)
    for rec in copy.store.repos():  # the course's own repos only, not what a learner pushed to data/hub
        if f"{rec.type}:{rec.id}" not in built:
            copy.delete_repo(rec.type, rec.id)
    port = net.free_port(first=net.DEFAULT_PORT)  # the URLs in the snippets read as a learner's do
    log = WORK / "hub.log"
    proc = local.start(hub_dir.root, port, log)
    try:
        url = f"http://127.0.0.1:{port}"
        local.wait_healthy(url, proc, 60, log)
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 800})
                for name, path in PAGES.items():
                    response = page.goto(url + path)
                    if response is None or response.status != 200:
                        raise RuntimeError(f"{path}: {response.status if response else 'no response'}")
                    data = small_png(page.screenshot())
                    (OUT / f"{name}.png").write_bytes(data)
                    print(f"{(OUT / name).relative_to(ROOT)}.png  {len(data) // 1024} KB  ({path})")
            finally:
                browser.close()
    finally:
        from helpers.gradio_tools import stop

        stop(proc)
        shutil.rmtree(WORK / "hub", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
