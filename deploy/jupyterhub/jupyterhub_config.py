"""JupyterHub for the course on one machine: plain `jupyterhub -f deploy/jupyterhub/jupyterhub_config.py`, or The
Littlest JupyterHub (copy this file into /opt/tljh/config/jupyterhub_config.d/, see docs/instructor-guide.md).

- the course hub runs as the JupyterHub service `course-hub` (started, restarted and stopped by JupyterHub, proxied
  at /services/course-hub/), in classroom mode: every request needs a token;
- when a learner's server spawns, the hook gives them a course-hub account and a token and sets `COURSE_HUB_URL`
  in the server's environment, so the notebooks' setup cell says "Signed in as NAME" with no token sheet; the token
  is deleted when the server stops; the course's notebooks are copied into ~/hf-hands-on/ the first time;
- idle servers are culled after an hour; each learner gets a 2 GB memory limit (Binder's size; the learner's day
  fits in it, see benchmarks/RESULTS.md). LocalProcessSpawner does NOT enforce it (it only sets MEM_LIMIT);
  TLJH's SystemdSpawner and Kubernetes do.

Settings (environment variables, all optional):
  COURSE_DIR              the course checkout (default: the one this file is in)
  COURSE_HUB_DIR          the built course hub (default: COURSE_DIR/data/hub; build it with `make hub`)
  COURSE_HUB_PORT         the course hub's loopback port (default 8765)
  COURSE_PYTHON           the Python that has the course installed (default: COURSE_DIR/.venv/bin/python, else
                          the hub's own)
  COURSE_IDLE_TIMEOUT     seconds before an idle server is culled (default 3600; 0: no culler)
  COURSE_MEM_LIMIT        per-learner memory limit (default 2G)
"""
import os
import pwd
import shutil
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (JupyterHub's config loader provides it)

COURSE = Path(os.environ.get("COURSE_DIR") or Path(__file__).resolve().parents[2])
HUB_DIR = Path(os.environ.get("COURSE_HUB_DIR") or COURSE / "data" / "hub")
PORT = int(os.environ.get("COURSE_HUB_PORT", "8765"))
VENV_PYTHON = COURSE / ".venv" / "bin" / "python"
PYTHON = os.environ.get("COURSE_PYTHON") or (str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable)
TLJH = "/opt/tljh/" in sys.prefix  # TLJH: its user environment runs the servers (install the course into it)

sys.path.insert(0, str(COURSE))  # course_hub, when JupyterHub's Python has the course only as a checkout
from course_hub.jupyterhub import configure  # noqa: E402


def copy_course(spawner, user: str) -> None:
    """~/hf-hands-on/{notebooks,data}: the notebooks and their small data files, once (the learner's edits stay);
    the notebooks write their outputs to ~/hf-hands-on/build/."""
    from course_hub.jupyterhub import home_of

    home = Path(home_of(spawner))
    target = home / "hf-hands-on"
    if (target / "notebooks").exists():
        return
    (target / "data").mkdir(parents=True, exist_ok=True)
    shutil.copytree(COURSE / "notebooks", target / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for f in (COURSE / "data").glob("*.*"):
        if f.is_file():
            shutil.copy2(f, target / "data" / f.name)
    try:  # a system user (LocalProcessSpawner, TLJH): the copy is theirs
        owner = pwd.getpwnam(spawner.user.name)
    except KeyError:
        return
    for p in [home, target, *target.rglob("*")]:
        os.chown(p, owner.pw_uid, owner.pw_gid, follow_symlinks=False)


configure(c, hub_dir=HUB_DIR, port=PORT, python=PYTHON,
          idle_timeout=int(os.environ.get("COURSE_IDLE_TIMEOUT", "3600")),
          mem_limit=os.environ.get("COURSE_MEM_LIMIT", "2G"), prepare=copy_course)

c.Spawner.default_url = "/lab/tree/hf-hands-on/notebooks/00_welcome.ipynb"
c.Spawner.cpu_limit = 1.0  # a learner's kernel uses one core at a time (OMP_NUM_THREADS below)
c.Spawner.environment.update({"OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"})
if not TLJH:
    c.Spawner.cmd = [str(Path(PYTHON).with_name("jupyterhub-singleuser"))]
    c.JupyterHub.bind_url = os.environ.get("COURSE_JUPYTERHUB_URL", "http://:8000")
    c.JupyterHub.cleanup_servers = True  # stopping JupyterHub stops every learner's server and kernels
