"""The course on a real JupyterHub (deploy/jupyterhub/jupyterhub_config.py), as a workshop room runs it.

JupyterHub from PyPI, configurable-http-proxy from npm (build/jupyterhub/), DummyAuthenticator and
SimpleLocalProcessSpawner on loopback (tests/jupyterhub/jupyterhub_test_config.py). `make test-jupyterhub` (part of
`make test`) runs it; about 3 minutes on a quiet 2-core machine (ten learners running notebooks 01 and 05 in full
took 6). What it runs, and why that much:

- ten learners log in and their servers spawn at once, signed in to the course hub service with a seat token each;
  one server is stopped and spawned again (a new token in place of the old one);
- the ten learners at once, each in a kernel of their own server through JupyterHub's proxy (sessions API + kernel
  websocket, as JupyterLab): notebook 05's cells that a learner's push needs (PUSH_CELLS: the setup cell, which must
  say "Signed in as" the learner, the dataset it loads, the push of `NAME/my-sentiment-subset` with the course's
  write token and the read-back) — ten pushes with ten seat tokens at the same time;
- two of them then run whole notebooks, 01 and 05 at once (every cell, FAST): the other eight would only repeat the
  same cells (the notebooks' own runs are `make test-notebooks`' and papermill's job), at 20 s of two cores each;
- `course-hub classroom report` lists every learner's push; no live token in any cell's output or JupyterHub's log;
  the Course Hub tile reaches the service; stopping JupyterHub leaves no process behind (a kernel open in every
  server, the course hub's inference worker running).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from course_hub import HubDir
from course_hub.jupyterhub import TOKEN_NAME, course_user
from course_hub.store import Store
from tools.jupyterhub import LocalJupyterHub

pytestmark = [pytest.mark.slow, pytest.mark.serial]  # a JupyterHub, ten servers and their kernels on this machine

ROOT = Path(__file__).resolve().parents[2]
# ten learners; "alice" is a demo account of the course hub, so that learner gets an account of her own
USERS = [f"learner{i:02d}" for i in range(1, 10)] + ["alice"]
NB05 = ROOT / "notebooks" / "05_datasets.ipynb"
# notebook 05's code cells for a learner's push, found by their text (a cell that changes fails here, by name);
# the parameters cell and the setup cell are the notebook's first two code cells
PUSH_NEEDS = [
    'ds = load_dataset("hf-hands-on/sentiment-snippets")',  # the dataset the push takes its rows from
    "helpers.lesson.fresh_start(course, [(REPO_ID",  # the learner's own repo id (and a clean slate)
    "movie_reviews.push_to_hub(REPO_ID",  # the push, with the course's write token
    "back = load_dataset(REPO_ID",  # and read back
]
WHOLE = {USERS[1]: "01_hub_models", USERS[2]: "05_datasets"}  # whole notebooks, run at once after the pushes
STATE: dict = {}


@pytest.fixture(scope="module")
def jh(tmp_path_factory):
    from conftest import SOURCE_HUB as source  # tests/conftest.py: the built hub, read before the session's own

    if not HubDir(source).is_built():
        pytest.fail(f"the course hub is not built in {source}: run `make hub`")
    base = tmp_path_factory.mktemp("jupyterhub")
    HubDir(source).copy_to(base / "hub")
    hub = LocalJupyterHub(base / "state", base / "hub")
    try:
        hub.start()
        yield hub
    finally:
        STATE["left"] = hub.stop()


def push_cells() -> list[int]:
    """The indices (among code cells) of notebook 05's cells that a learner's push needs."""
    code = ["".join(c["source"]) for c in json.loads(NB05.read_text())["cells"] if c["cell_type"] == "code"]
    found = [0, 1]
    for needle in PUSH_NEEDS:
        hits = [i for i, source in enumerate(code) if needle in source]
        assert len(hits) == 1, f"{NB05.name}: {len(hits)} code cells contain {needle!r} (PUSH_NEEDS: update it)"
        found += hits
    assert "helpers.connect(" in code[1], f"{NB05.name}: the second code cell is not the setup cell"
    return sorted(found)


def seat_tokens(jh, user: str) -> list[str]:
    store = Store(HubDir(jh.hub_dir).store_db)
    return [t["id"] for t in store.tokens_of(course_user(user)) if t["name"] == TOKEN_NAME]


def env_digest(jh, user: str) -> tuple[str, str]:
    """The server's COURSE_HUB_URL as a digest (the token stays out of the test's output), and the user in it."""
    kernel = jh.open_kernel(user, "hf-hands-on/notebooks/01_hub_models.ipynb")
    try:
        out = kernel.execute(
            "import hashlib, os\nfrom urllib.parse import urlsplit\nu = os.environ['COURSE_HUB_URL']\n"
            "print(hashlib.sha256(u.encode()).hexdigest(), urlsplit(u).username)"
        )
    finally:
        kernel.close()
    digest, name = out.split()
    return digest, name


def test_the_course_hub_is_a_service_behind_the_proxy(jh):
    health = httpx.get(f"{jh.url}/services/course-hub/api/health", timeout=10)
    assert health.status_code == 200 and health.json()["service"] == "course-hub"
    # classroom mode: the API wants a token, the website a sign-in, under the service's prefix
    api = httpx.get(f"{jh.url}/services/course-hub/api/models/hf-hands-on/minilm-sentiment", timeout=10)
    assert api.status_code == 401
    page = httpx.get(f"{jh.url}/services/course-hub/models", headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code in (302, 303) and page.headers["location"].startswith("/services/course-hub/login")
    # the website's sign-in is JupyterHub's (test_jupyterhub_website.py); the token form stays, under ?with=token
    login = httpx.get(f"{jh.url}/services/course-hub/login", headers={"Accept": "text/html"}, timeout=10)
    assert login.status_code == 303 and login.headers["location"].startswith("/hub/api/oauth2/authorize?")
    form = httpx.get(f"{jh.url}/services/course-hub/login?with=token", headers={"Accept": "text/html"}, timeout=10)
    assert form.status_code == 200 and 'href="/services/course-hub/' in form.text and 'name="token"' in form.text
    services = {s["name"] for s in jh.api("GET", "/services").values()}
    assert {"course-hub", "jupyterhub-idle-culler"} <= services


def test_ten_learners_push_at_once_and_two_run_notebooks_01_and_05_through_jupyterhub(jh):
    started = time.monotonic()
    with ThreadPoolExecutor(len(USERS)) as pool:
        list(pool.map(jh.login, USERS))
        list(pool.map(jh.spawn, USERS))
    ready = jh.wait_ready(USERS)
    live = [u for u in jh.api("GET", "/users") if (u.get("servers") or {}).get("", {}).get("ready")]
    assert {u["name"] for u in live} >= set(USERS), "all ten servers are up at the same time"
    assert all(len(seat_tokens(jh, u)) == 1 for u in USERS)

    # a second spawn of the same learner: a new token in place of the old one, nothing fails
    first = USERS[0]
    before, name = env_digest(jh, first)
    old_ids = seat_tokens(jh, first)
    assert name == course_user(first)
    jh.stop_server(first)
    assert seat_tokens(jh, first) == [], "the seat's token goes with the server"
    jh.spawn(first)
    jh.wait_ready([first])
    after, _ = env_digest(jh, first)
    assert after != before and seat_tokens(jh, first) != old_ids and len(seat_tokens(jh, first)) == 1

    def learner(user: str, notebook: Path, cells: list[int] | None) -> tuple[str, list[str], float]:
        t0 = time.monotonic()
        errors, texts = [], []
        try:
            path = f"hf-hands-on/notebooks/{notebook.name}"
            texts += jh.run_notebook(user, notebook, path, cells=cells)
        except Exception as e:  # one learner's failure is reported with the others'  # noqa: BLE001
            errors.append(f"{type(e).__name__}: {e}")
        joined = "".join(texts)
        if not errors and f"Signed in as {course_user(user)}" not in joined:
            errors.append(f"{user}: the setup cell did not sign in as {course_user(user)}")
        if _live_tokens_in(jh, joined):
            errors.append(f"{user}: a live course-hub token appears in a cell's output")
        return user, errors, time.monotonic() - t0

    pushes = push_cells()
    t_push = time.monotonic()
    with ThreadPoolExecutor(len(USERS)) as pool:  # all ten at once
        results = list(pool.map(lambda u: learner(u, NB05, pushes), USERS))
    t_whole = time.monotonic()
    with ThreadPoolExecutor(len(WHOLE)) as pool:
        results += pool.map(lambda item: learner(item[0], ROOT / "notebooks" / f"{item[1]}.ipynb", None), WHOLE.items())
    errors = [e for _, errs, _ in results for e in errs]
    print(
        f"\n{len(USERS)} learners: servers ready in {max(ready.values()):.1f}s; notebook 05's push cells "
        f"{pushes} at once: {t_whole - t_push:.1f}s; whole notebooks {', '.join(WHOLE.values())} at once: "
        f"{time.monotonic() - t_whole:.1f}s; kernel websockets opened in {max(jh.connects):.1f}s at most, "
        f"dropped and reopened {sum(jh.reconnects.values())} times { ({u: n for u, n in jh.reconnects.items() if n}) }; all in {time.monotonic() - started:.1f}s, {len(errors)} errors"
    )
    assert not errors, "\n\n".join(errors)[:8000]
    STATE["ran"] = True


def _live_tokens_in(jh, text: str) -> list[str]:
    """The `hf_…` words of `text` that are live tokens of the course hub (none may be shown)."""
    store = Store(HubDir(jh.hub_dir).store_db)
    return [w for w in set(re.findall(r"hf_[A-Za-z0-9]{20,}", text)) if store.identify(w)]


def test_classroom_report_lists_each_learners_push(jh):
    if not STATE.get("ran"):
        pytest.skip("the learners did not run")
    out = subprocess.run(
        [sys.executable, "-m", "course_hub", "classroom", "report", "--hub-dir", str(jh.hub_dir)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    pushes = out.split("Pushes by learners:")[1].split("Pull requests by learners:")[0]
    for user in USERS:
        assert f"dataset {course_user(user)}/my-sentiment-subset" in pushes, f"no push by {user}:\n{out}"
    assert "hf_" not in out


def test_no_token_in_logs(jh):
    """The tokens JupyterHub's hook made are in no log: JupyterHub's (servers and services log there too)."""
    log = jh.log_path.read_text(errors="replace")
    assert _live_tokens_in(jh, log) == [], "a live course-hub token in JupyterHub's log"
    assert not re.search(r"COURSE_HUB_URL=\S*hf_", log)


def test_the_course_hub_tile_reaches_the_service(jh):
    """JupyterLab's Course Hub tile ({base_url}course-hub/, jupyter-server-proxy) shows the classroom hub on
    loopback: no hub of the learner's own is started."""
    user = USERS[2]
    r = httpx.get(
        f"{jh.url}/user/{user}/course-hub/api/health", timeout=60, headers={"Authorization": f"token {jh.tokens[user]}"}
    )
    assert r.status_code == 200 and r.json()["service"] == "course-hub"
    assert not [
        p
        for p in jh.processes()
        if "course_hub serve" in " ".join(p.cmdline()) and str(jh.hub_dir) not in " ".join(p.cmdline())
    ]


def test_stopping_jupyterhub_leaves_no_process(jh):
    # the course hub's inference worker runs too (a learner's request starts it): it must go with the service
    token = Store(HubDir(jh.hub_dir).store_db).create_token(course_user(USERS[1]), role="read", name="test")
    r = httpx.post(
        f"http://127.0.0.1:{jh.course_port}/models/hf-hands-on/minilm-sentiment",
        json={"inputs": "Lovely!"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=300,
    )
    assert r.status_code == 200, r.text[:300]
    before = jh.processes()
    kinds = " ".join(" ".join(p.cmdline()) for p in before)
    assert "configurable-http-proxy" in kinds and "course_hub serve" in kinds and "jupyterhub-singleuser" in kinds
    assert "jupyterhub_idle_culler" in kinds and "course_hub.inference.worker" in kinds
    # a kernel left open in every server: JupyterHub's stop must take it too
    with ThreadPoolExecutor(len(USERS)) as pool:
        list(pool.map(lambda u: jh.open_kernel(u, "hf-hands-on/notebooks/05_datasets.ipynb").channel.close(), USERS))
    assert len([p for p in jh.processes() if "ipykernel" in " ".join(p.cmdline())]) >= len(USERS)
    left = jh.stop()
    assert left == [], "processes outlived JupyterHub:\n" + "\n".join(left)
