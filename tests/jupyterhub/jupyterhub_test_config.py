"""deploy/jupyterhub/jupyterhub_config.py as `make test-jupyterhub` and `make bench-jupyterhub` run it: the same
service, hooks, culler and limits, with test-only logins and spawner, everything on loopback and under one folder.

Only for tests (tools/jupyterhub.py sets the variables): DummyAuthenticator takes any password, and
SimpleLocalProcessSpawner runs every learner's server as this user, with a home under COURSE_JH_STATE.
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821
load_subconfig(str(Path(__file__).resolve().parents[2] / "deploy" / "jupyterhub" / "jupyterhub_config.py"))  # noqa: F821

STATE = Path(os.environ["COURSE_JH_STATE"])
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "home" / "{username}")
c.JupyterHub.bind_url = f"http://127.0.0.1:{os.environ['COURSE_JH_PORT']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{os.environ['COURSE_JH_HUB_PORT']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ['COURSE_JH_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.command = [os.environ["COURSE_JH_CHP"]]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.concurrent_spawn_limit = 0
c.JupyterHub.active_server_limit = 0
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300
c.Spawner.environment.update({"COURSE_CI": "1", "COURSE_STRICT_WARNINGS": "1"})
if os.getuid() == 0:  # CI runs as root; Jupyter Server refuses root without it
    c.Spawner.args = ["--ServerApp.allow_root=True"]
# the test's own admin: creates users, asks their tokens, starts and stops their servers (token from the test)
c.JupyterHub.services.append({"name": "course-test", "api_token": os.environ["COURSE_JH_ADMIN_TOKEN"]})
c.JupyterHub.load_roles.append(
    {
        "name": "course-test",
        "services": ["course-test"],
        "scopes": [
            "admin:users",
            "admin:servers",
            "tokens",
            "list:users",
            "read:users",
            "list:services",
            "read:services",
        ],
    }
)
