"""A running Space that is renamed (`HfApi.move_repo`) goes on under its new id (issue 31): its app runs again with
the new `SPACE_ID`, reached at the new URL and at the old one; the app under the old id is gone. On a hub of its
own with the fast Spaces settings of test_spaces_runtime (its helpers are reused, not its tests)."""

from __future__ import annotations

import pytest
from test_spaces_runtime import (
    FAST_ENV,
    Server,
    alive,
    assert_all_gone,
    get_app,
    new_id,
    push_space,
    serving,
    tiny,
    wait_for,
)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("spaces-move"), FAST_ENV)
    try:
        yield server
    finally:
        assert_all_gone(server.stop())


def test_a_running_space_keeps_working_under_its_new_id(srv):
    api, old, new = srv.api(), new_id(), new_id()
    push_space(api, old, {"app.py": tiny("v1")})
    before = serving(srv, old)  # its pid as this machine sees it
    assert before["env"]["SPACE_ID"] == old
    api.move_repo(old, new, repo_type="space")
    assert api.space_info(new).runtime.stage in ("BUILDING", "RUNNING")  # started again at once, not on a visit
    wait_for(lambda: not alive(before["pid"]) or None, 4, "the app under the old id to stop")  # before its idle sleep
    after = get_app(srv, new).json()
    assert after["env"]["SPACE_ID"] == new and after["version"] == "v1"
    assert api.space_info(new).runtime.stage == "RUNNING"
    assert get_app(srv, old).json()["env"]["SPACE_ID"] == new  # the old URL reaches the moved Space
