"""`make lab`: start the course hub (if it isn't running) and JupyterLab, with kernels pointed at the hub."""

from __future__ import annotations

import os
import sys

from course_hub.settings import default_hub_dir
from helpers.bootstrap import course_home, ensure_server


def main() -> None:
    url = ensure_server(default_hub_dir())
    os.environ.update({"HF_ENDPOINT": url, "HF_HOME": str(course_home("hf-home"))})
    print(f"course hub: {url}  (stop it later with `make stop`)")
    args = [sys.executable, "-m", "jupyter", "lab", "--notebook-dir=.", "notebooks/00_welcome.ipynb", *sys.argv[1:]]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers, Binder-like images
        args.append("--allow-root")
    os.execv(sys.executable, args)


if __name__ == "__main__":
    main()
