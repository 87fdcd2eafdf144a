"""JupyterHub for the course on one machine: plain `jupyterhub -f deploy/jupyterhub/jupyterhub_config.py`, or The
Littlest JupyterHub (copy this file into /opt/tljh/config/jupyterhub_config.d/, see docs/instructor-guide.md).

- the course hub runs as the JupyterHub service `course-hub` (started, restarted and stopped by JupyterHub, proxied
  at /services/course-hub/), in classroom mode: every request needs a token;
- when a learner's server spawns, the hook gives them a course-hub account and a token and sets `COURSE_HUB_URL`
  in the server's environment, so the notebooks' setup cell says "Signed in as NAME" with no token sheet; the token
  is deleted when the server stops; the server copies the course's notebooks into ~/hf-hands-on/ the first time
  (as the learner: the copy is theirs) and keeps the learner's Hugging Face cache in ~/.cache/hf-hands-on;
- idle servers are culled after an hour; each learner gets a 2 GB memory limit (Binder's size; the learner's day
  fits in it, see benchmarks/RESULTS.md). LocalProcessSpawner does NOT enforce it (it only sets MEM_LIMIT);
  TLJH's SystemdSpawner and Kubernetes do.

Settings (environment variables, all optional):
  COURSE_DIR              the course checkout (default: the one this file is in)
  COURSE_HUB_DIR          the built course hub (default: COURSE_DIR/data/hub; build it with `make hub`)
  COURSE_HUB_PORT         the course hub's loopback port (default: course_hub.net.DEFAULT_PORT)
  COURSE_PYTHON           the Python that has the course installed (default: COURSE_DIR/.venv/bin/python, else
                          the hub's own)
  COURSE_IDLE_TIMEOUT     seconds before an idle server is culled (default 3600; 0: no culler)
  COURSE_MEM_LIMIT        per-learner memory limit (default 2G)
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (JupyterHub's config loader provides it)

COURSE = Path(os.environ.get("COURSE_DIR") or Path(__file__).resolve().parents[2])
HUB_DIR = Path(os.environ.get("COURSE_HUB_DIR") or COURSE / "data" / "hub")
VENV_PYTHON = COURSE / ".venv" / "bin" / "python"
PYTHON = os.environ.get("COURSE_PYTHON") or (str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable)
TLJH = "/opt/tljh/" in sys.prefix  # TLJH: its user environment runs the servers (install the course into it)

sys.path.insert(0, str(COURSE))  # course_hub, when JupyterHub's Python has the course only as a checkout
from course_hub.jupyterhub import configure  # noqa: E402
from course_hub.net import DEFAULT_PORT  # noqa: E402

PORT = int(os.environ.get("COURSE_HUB_PORT") or DEFAULT_PORT)

configure(
    c,
    hub_dir=HUB_DIR,
    port=PORT,
    python=PYTHON,
    idle_timeout=int(os.environ.get("COURSE_IDLE_TIMEOUT", "3600")),
    mem_limit=os.environ.get("COURSE_MEM_LIMIT", "2G"),
    hf_home=None,
)  # set by the server's start below, where the learner's $HOME is known

# The learner's server starts as the learner: ~/hf-hands-on/{notebooks,data} copied once (their edits stay; the
# notebooks write to ~/hf-hands-on/build/), their own HF_HOME (learners share this checkout), then the server.
SINGLEUSER = (
    "/opt/tljh/user/bin/jupyterhub-singleuser" if TLJH else str(Path(PYTHON).with_name("jupyterhub-singleuser"))
)
START = (
    'export COURSE_HF_HOME="${COURSE_HF_HOME:-$HOME/.cache/hf-hands-on}"; '
    'if [ ! -d "$HOME/hf-hands-on/notebooks" ]; then mkdir -p "$HOME/hf-hands-on/data" && '
    'cp -r "$COURSE_CHECKOUT/notebooks" "$HOME/hf-hands-on/" && '
    'cp "$COURSE_CHECKOUT"/data/*.csv "$COURSE_CHECKOUT"/data/*.jsonl "$HOME/hf-hands-on/data/"; fi; '
    'exec "$COURSE_SINGLEUSER" "$@"'
)
c.Spawner.cmd = ["sh", "-c", START, "jupyterhub-singleuser"]
c.Spawner.environment.update({"COURSE_CHECKOUT": str(COURSE), "COURSE_SINGLEUSER": SINGLEUSER})

c.Spawner.default_url = "/lab/tree/hf-hands-on/notebooks/00_welcome.ipynb"
c.Spawner.cpu_limit = 1.0  # a learner's kernel uses one core at a time (OMP_NUM_THREADS below)
c.Spawner.environment.update({"OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"})
if not TLJH:
    c.JupyterHub.bind_url = os.environ.get("COURSE_JUPYTERHUB_URL", "http://:8000")
    c.JupyterHub.cleanup_servers = True  # stopping JupyterHub stops every learner's server and kernels
