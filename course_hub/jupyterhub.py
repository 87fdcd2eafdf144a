"""The course hub behind JupyterHub: a hub-managed service and the spawn hooks (configs in deploy/jupyterhub/).

    from course_hub.jupyterhub import configure
    configure(c, hub_dir="/srv/course-hub", learner_url=f"http://127.0.0.1:{DEFAULT_PORT}")  # jupyterhub_config.py

- JupyterHub starts `course-hub serve --classroom` as the service `course-hub` (restarts it if it dies, stops it
  with the hub) and proxies `/services/course-hub/` to it; the hub strips that prefix (`--root-path`), so browsers
  reach the website through JupyterHub while learners' kernels use `learner_url`.
- Before a learner's server starts, `pre_spawn` gives them a seat on the course hub (`classroom.seat`: the account,
  a new write token in place of the previous one, the roster that `course-hub classroom report` reads) and puts
  `COURSE_HUB_URL` (the token sheet's line) and a per-learner `COURSE_HF_HOME` into the server's environment: the
  notebooks' setup cell signs the learner in with no token sheet. `post_stop` deletes that token when the server
  stops (culled, stopped, or the hub shut down), so a token lives as long as the learner's server.
- The idle culler (`jupyterhub-idle-culler`) stops servers unused for `idle_timeout` seconds; `mem_limit` is
  the per-learner limit (enforced by KubeSpawner and SystemdSpawner; LocalProcessSpawner only sets `MEM_LIMIT`).

Nothing here imports jupyterhub: the hooks get JupyterHub's spawner and set its `environment`. Tokens are never
logged; they live in the server's environment (readable by the learner and root, as a token sheet line would be).
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import sys
from pathlib import Path

from . import classroom
from .hub import Hub
from .net import DEFAULT_PORT

SERVICE = "course-hub"
PREFIX = f"/services/{SERVICE}"
TOKEN_NAME = "jupyterhub"  # the seat's token; the learner's own tokens (website, notebooks) keep their names
CULLER = "jupyterhub-idle-culler"
# the course hub's demo accounts and its organisation: a JupyterHub user of that name gets a learner account beside
RESERVED = {"course", "hf-hands-on", "instructor", "alice", "learner"}


def course_user(name: str) -> str:
    """A JupyterHub user name as a course-hub user name: letters, digits, '-', '_', '.'; a name that had to change
    (an e-mail address, a demo account's name) gets a short hash of the original, so two never meet."""
    clean = re.sub(r"[-.]{2,}", "-", re.sub(r"[^A-Za-z0-9._-]+", "-", name)).strip("-.")[:60].strip("-.")
    if clean.lower().endswith(".git"):
        clean = clean[:-4].strip("-.")
    if clean == name and clean.lower() not in RESERVED:
        return clean
    return f"{clean or 'user'}-{hashlib.sha256(name.encode()).hexdigest()[:6]}"


def _hub(hub: Hub | Path | str) -> Hub:
    """The hooks' hub: `configure`'s (opened once, on the first spawn), or one opened for this call."""
    return hub if isinstance(hub, Hub) else Hub(Path(hub).resolve())


def home_of(spawner) -> str:
    """The learner's home on the machine: SimpleLocalProcessSpawner's `home_dir`, else the system user's
    (SystemdSpawner's `username_template`: TLJH's `jupyter-NAME`)."""
    home = getattr(spawner, "home_dir", None)
    if home:
        return str(home)
    name = getattr(spawner, "username_template", "{USERNAME}").format(USERNAME=spawner.user.name, USERID="")
    home = os.path.expanduser(f"~{name}")
    return home if not home.startswith("~") else os.path.join("/home", name)


def pre_spawn(
    spawner, hub: Hub | Path | str, learner_url: str, hf_home: str | None = "{home}/.cache/hf-hands-on"
) -> str:
    """JupyterHub's `pre_spawn_hook`: the learner's seat and their server's environment. Returns the course-hub
    user name. Safe to run again for the same learner (each spawn rotates the seat's token). `hf_home`: the
    learner's own HF_HOME when learners share one machine and checkout (None: a container each, the default). `hub`:
    a `Hub`, or its hub dir."""
    user = course_user(spawner.user.name)
    seat = classroom.seat(_hub(hub), user, learner_url, TOKEN_NAME)
    env = {"COURSE_HUB_URL": seat.join}
    if hf_home:
        env["COURSE_HF_HOME"] = hf_home.format(home=home_of(spawner), user=user)
    spawner.environment = {**spawner.environment, **env}
    spawner.log.info("course hub: %s signed in as %s", spawner.user.name, user)  # never the token
    return user


def post_stop(spawner, hub: Hub | Path | str) -> None:
    """JupyterHub's `post_stop_hook`: the seat's token goes with the server. `hub`: a `Hub`, or its hub dir."""
    hub = _hub(hub)
    user = course_user(spawner.user.name)
    hub.accounts.delete_tokens_named(user, TOKEN_NAME)


def service(
    hub_dir: Path | str,
    port: int = DEFAULT_PORT,
    python: str = sys.executable,
    host: str = "127.0.0.1",
    url: str | None = None,
    build: bool = False,
    environment: dict | None = None,
) -> dict:
    """The `c.JupyterHub.services` entry: `course-hub serve --classroom` on `host:port`, proxied at PREFIX.
    `url`: where JupyterHub's proxy reaches it (default: loopback; Kubernetes: the hub's Service); `build`: run
    `course-hub build` first (an empty volume on the first start; idempotent, a second of checks afterwards)."""
    env = {k: v for k, v in os.environ.items() if k.startswith("COURSE_HUB_") and k != "COURSE_HUB_URL"}
    env.update(HOME=os.environ.get("HOME", "/root"), COURSE_HUB_DIR=str(hub_dir), **(environment or {}))
    serve = [
        python,
        "-m",
        "course_hub",
        "serve",
        "--hub-dir",
        str(hub_dir),
        "--classroom",
        "--host",
        host,
        "--port",
        str(port),
        "--root-path",
        PREFIX,
    ]
    if build:
        quoted = " ".join(shlex.quote(a) for a in serve)
        serve = [
            "sh",
            "-c",
            f"{shlex.quote(python)} -m course_hub build --hub-dir {shlex.quote(str(hub_dir))} && exec {quoted}",
        ]
    return {
        "name": SERVICE,
        "url": url or f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}",
        "command": serve,
        "environment": env,
        "display": True,
        "oauth_no_confirm": True,  # the website signs learners in through JupyterHub with no "authorize?" page
    }


def culler(timeout: int = 3600, every: int = 300, python: str = sys.executable) -> tuple[dict, dict]:
    """The idle culler's service and role (the scopes jupyterhub-idle-culler's README asks for)."""
    svc = {
        "name": CULLER,
        "command": [python, "-m", "jupyterhub_idle_culler", f"--timeout={timeout}", f"--cull-every={every}"],
    }
    role = {
        "name": f"{CULLER}-role",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": [CULLER],
    }
    return svc, role


def configure(
    c,
    hub_dir: Path | str,
    learner_url: str | None = None,
    port: int = DEFAULT_PORT,
    host: str = "127.0.0.1",
    python: str = sys.executable,
    idle_timeout: int = 3600,
    mem_limit: str | None = "2G",
    hf_home: str | None = "{home}/.cache/hf-hands-on",
    prepare=None,
    service_url: str | None = None,
    build: bool = False,
) -> None:
    """Add the course hub to a JupyterHub config `c`: the service, the culler, the spawn hooks, the memory limit.
    `learner_url`: how learners' kernels reach the hub (default: loopback, the same machine); `prepare(spawner,
    user)`: an extra step before the server starts (copying the course into the learner's home); `service_url`,
    `build`: see `service`. `idle_timeout=0` leaves culling to someone else (Zero to JupyterHub's `cull:`)."""
    learner_url = learner_url or f"http://127.0.0.1:{port}"
    culler_service, culler_role = culler(idle_timeout, python=python)
    c.JupyterHub.services.append(service(hub_dir, port, python, host, url=service_url, build=build))
    # every user may sign in to the course hub's website through JupyterHub (its OAuth; JupyterHub's `user` role
    # has only `self`): the scope is added to a `user` role the config already loads, else that role with `self`
    access = f"access:services!service={SERVICE}"
    roles = c.JupyterHub.load_roles  # a list, or traitlets' LazyConfigValue of appends (get_value would freeze it)
    loaded = (
        roles if isinstance(roles, list) else [*roles.to_dict().get("prepend", []), *roles.to_dict().get("extend", [])]
    )
    user_role = next((r for r in loaded if isinstance(r, dict) and r.get("name") == "user"), None)
    if user_role is None:
        c.JupyterHub.load_roles.append({"name": "user", "scopes": ["self", access]})
    elif access not in user_role.setdefault("scopes", []):
        user_role["scopes"].append(access)
    if idle_timeout:
        c.JupyterHub.services.append(culler_service)
        c.JupyterHub.load_roles.append(culler_role)

    opened: list[Hub] = []  # the hooks' one Hub, opened on the first spawn (the service may build the hub dir first)

    def hub() -> Hub:
        if not opened:
            opened.append(_hub(hub_dir))
        return opened[0]

    def pre_spawn_hook(spawner):
        user = pre_spawn(spawner, hub(), learner_url, hf_home)
        if prepare is not None:
            prepare(spawner, user)

    c.Spawner.pre_spawn_hook = pre_spawn_hook
    c.Spawner.post_stop_hook = lambda spawner: post_stop(spawner, hub())
    if mem_limit:
        c.Spawner.mem_limit = mem_limit
