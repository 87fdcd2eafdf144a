"""deploy/jupyterhub/ without a JupyterHub: the spawn hooks against a real hub dir, the configs as JupyterHub would
load them, the Helm values' keys, and the course hub behind a proxy that keeps its prefix. Fast; `make test-hub`.
The whole thing on a real JupyterHub: tests/jupyterhub/ (`make test-jupyterhub`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from starlette.testclient import TestClient
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from course_hub import Hub, Settings, classroom
from course_hub.app import create_app
from course_hub.jupyterhub import PREFIX, TOKEN_NAME, course_user, post_stop, pre_spawn

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy" / "jupyterhub"


@pytest.fixture
def hub_dir(tmp_path) -> Path:
    hub = Hub(tmp_path / "hub")
    hub.store.ensure_user("hf-hands-on", is_org=True)
    hub.create_repo("model", "hf-hands-on/tiny", initial={"README.md": b"# tiny\n"}, author="hf-hands-on")
    return tmp_path / "hub"


def spawner(name: str, home: Path) -> SimpleNamespace:
    return SimpleNamespace(
        user=SimpleNamespace(name=name), environment={"KEEP": "1"}, home_dir=str(home), log=logging.getLogger("test")
    )


def seat_tokens(hub_dir: Path, user: str) -> list[str]:
    return [t["id"] for t in Hub(hub_dir).store.tokens_of(user) if t["name"] == TOKEN_NAME]


def test_the_spawn_hook_seats_the_learner_and_rotates_the_token(hub_dir, tmp_path):
    from helpers.bootstrap import split_classroom_url

    sp = spawner("ada", tmp_path / "home" / "ada")
    assert pre_spawn(sp, hub_dir, "http://127.0.0.1:8765") == "ada"
    endpoint, user, token = split_classroom_url(sp.environment["COURSE_HUB_URL"])
    assert (endpoint, user) == ("http://127.0.0.1:8765", "ada") and sp.environment["KEEP"] == "1"
    assert sp.environment["COURSE_HF_HOME"] == str(tmp_path / "home" / "ada" / ".cache" / "hf-hands-on")
    store = Hub(hub_dir).store
    assert store.identify(token).user == "ada" and store.identify(token).role == "write"
    assert "ada" in classroom.roster(Hub(hub_dir))
    own = store.create_token("ada", role="read", name="my-own")
    # spawned again (a restart, a culled server): a new token in place of the old, nothing else touched
    again = spawner("ada", tmp_path / "home" / "ada")
    pre_spawn(again, hub_dir, "http://127.0.0.1:8765")
    token2 = split_classroom_url(again.environment["COURSE_HUB_URL"])[2]
    assert token2 != token and store.identify(token) is None and store.identify(token2).user == "ada"
    assert len(seat_tokens(hub_dir, "ada")) == 1 and store.identify(own)
    assert classroom.roster(Hub(hub_dir)).count("ada") == 1
    post_stop(again, hub_dir)  # the server stopped: its token goes
    assert store.identify(token2) is None and seat_tokens(hub_dir, "ada") == [] and store.identify(own)
    pod = spawner("bea", tmp_path / "home" / "bea")  # a container each (Kubernetes): the course's own HF_HOME
    pre_spawn(pod, hub_dir, "http://hub:8765", hf_home=None)
    assert "COURSE_HF_HOME" not in pod.environment and pod.environment["COURSE_HUB_URL"].endswith("@hub:8765")


def test_jupyterhub_names_that_the_course_hub_keeps_for_itself(hub_dir, tmp_path):
    for name in ("course", "instructor", "alice", "learner", "ana@uni.example", "Bob Smith", "x.git", "a--b"):
        user = course_user(name)
        assert user != name and user.lower() not in ("course", "instructor", "alice", "learner")
        from course_hub.names import name_problem

        assert name_problem(user) is None, (name, user)
    assert course_user("learner07") == "learner07" and course_user("ana@uni.example") != course_user("ana-uni.example")
    sp = spawner("course", tmp_path / "home" / "course")
    user = pre_spawn(sp, hub_dir, "http://127.0.0.1:8765")
    assert user.startswith("course-") and not Hub(hub_dir).store.get_user(user)["is_org"]


def test_the_single_machine_config_loads(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_HUB_DIR", str(tmp_path / "hub"))
    monkeypatch.setenv("COURSE_HUB_PORT", "8799")
    loader = PyFileConfigLoader("jupyterhub_config.py", str(DEPLOY))
    c = loader.load_config()
    services = {s["name"]: s for s in c.JupyterHub.services.get_value([])}
    hub = services["course-hub"]
    assert hub["url"] == "http://127.0.0.1:8799" and "--classroom" in hub["command"]
    assert hub["command"][hub["command"].index("--root-path") + 1] == PREFIX
    assert hub["environment"]["COURSE_HUB_DIR"] == str(tmp_path / "hub")
    culler = services["jupyterhub-idle-culler"]
    assert "--timeout=3600" in culler["command"]
    users, role = c.JupyterHub.load_roles.get_value([])
    assert role["services"] == ["jupyterhub-idle-culler"] and "delete:servers" in role["scopes"]
    # every user may sign in to the website through JupyterHub (the service's OAuth), and keeps `self`
    assert users == {"name": "user", "scopes": ["self", "access:services!service=course-hub"]}
    assert hub["oauth_no_confirm"] is True
    assert c.Spawner.mem_limit == "2G" and callable(c.Spawner.pre_spawn_hook) and callable(c.Spawner.post_stop_hook)
    assert c.Spawner.cmd[:2] == ["sh", "-c"] and 'exec "$COURSE_SINGLEUSER" "$@"' in c.Spawner.cmd[2]
    assert c.Spawner.environment.get_value({})["COURSE_SINGLEUSER"].endswith("jupyterhub-singleuser")
    assert c.JupyterHub.cleanup_servers is True


def test_a_user_role_the_config_loads_gets_the_services_access():
    """A config that already loads JupyterHub's `user` role (more scopes for everyone) keeps it, with the access."""
    from course_hub.jupyterhub import configure

    c = Config()
    c.JupyterHub.load_roles = [{"name": "user", "scopes": ["self", "shares!user"]}]
    configure(c, hub_dir="/srv/course-hub/hub", idle_timeout=0)
    (role,) = c.JupyterHub.load_roles
    assert role["scopes"] == ["self", "shares!user", "access:services!service=course-hub"]


def test_the_helm_values_hold_what_the_guide_promises():
    """What this machine can check of the Zero-to-JupyterHub values (no cluster, no chart schema offline)."""
    values = yaml.safe_load((DEPLOY / "z2jh-values.yaml").read_text())
    hub, single = values["hub"], values["singleuser"]
    assert single["memory"]["limit"] == "2G" and single["cpu"]["limit"] == 1
    assert values["cull"] == {"enabled": True, "timeout": 3600, "every": 300}
    assert hub["extraVolumes"][0]["persistentVolumeClaim"]["claimName"] == "course-hub"
    assert hub["extraVolumeMounts"][0]["mountPath"] == "/srv/course-hub"
    assert {p["port"] for p in hub["service"]["extraPorts"]} == {8765}
    assert any(p["port"] == 8765 for rule in hub["networkPolicy"]["ingress"] for p in rule["ports"])
    assert any(p["port"] == 8765 for rule in single["networkPolicy"]["egress"] for p in rule["ports"])
    pvc = yaml.safe_load((DEPLOY / "course-hub-pvc.yaml").read_text())
    assert pvc["kind"] == "PersistentVolumeClaim" and pvc["metadata"]["name"] == "course-hub"
    assert "FROM quay.io/jupyterhub/k8s-hub" in (DEPLOY / "Dockerfile.hub").read_text()
    # the hub's extraConfig runs as Zero to JupyterHub runs it: `c` in scope
    c = Config()
    exec(compile(hub["extraConfig"]["course-hub"], "extraConfig", "exec"), {"c": c})
    (svc,) = c.JupyterHub.services.get_value([])
    assert svc["url"] == "http://hub:8765" and svc["command"][:2] == ["sh", "-c"]
    assert "course_hub build --hub-dir /srv/course-hub/hub && exec" in svc["command"][2]
    assert "--host 0.0.0.0" in svc["command"][2] and f"--root-path {PREFIX}" in svc["command"][2]
    # culling: the chart's own `cull:`; the website's sign-in: users may access the service
    assert c.JupyterHub.load_roles.get_value([]) == [
        {"name": "user", "scopes": ["self", "access:services!service=course-hub"]}
    ]
    assert "mem_limit" not in c.Spawner and callable(c.Spawner.pre_spawn_hook)
    assert single["defaultUrl"] == "/lab/tree/hf-hands-on/notebooks/00_welcome.ipynb"
    assert "cp -r /srv/hf-hands-on/notebooks" in " ".join(single["lifecycleHooks"]["postStart"]["exec"]["command"])


def test_the_course_hub_answers_under_its_service_prefix(hub_dir):
    """JupyterHub's proxy keeps the path: /services/course-hub/api/… reaches /api/… with the prefix in the answers'
    URLs; requests without it (learners' kernels on loopback) are unchanged."""
    hub = Hub(hub_dir)
    token = hub.store.create_token("ada", role="write")
    app = TestClient(create_app(Settings(hub_dir=hub_dir, classroom=True, root_path=PREFIX)), follow_redirects=False)
    auth = {"Authorization": f"Bearer {token}"}
    for base in (PREFIX, ""):
        assert app.get(f"{base}/api/health").json()["service"] == "course-hub"
        assert app.get(f"{base}/api/models/hf-hands-on/tiny", headers=auth).json()["id"] == "hf-hands-on/tiny"
        assert app.get(f"{base}/api/models/hf-hands-on/tiny").status_code == 401
    page = app.get(f"{PREFIX}/models", headers={"Accept": "text/html"})
    assert page.status_code in (302, 303) and page.headers["location"].startswith(f"{PREFIX}/login")
    assert f'href="{PREFIX}/' in app.get(f"{PREFIX}/login", headers={"Accept": "text/html"}).text
    assert app.get(f"{PREFIX}x/api/health").status_code == 404  # a prefix is a whole path segment
