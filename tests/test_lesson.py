"""helpers.lesson: a fresh start deletes a notebook's repos only on a course hub, never elsewhere."""

from __future__ import annotations

import pytest

from helpers import lesson


class FakeCourse:
    def __init__(self, hub, mode):
        self.hub, self.mode, self.user, self.endpoint = hub, mode, "alice", hub.url

    @property
    def is_local(self):
        return self.mode == "local"

    def token(self, user="learner", role="read"):
        return self.hub.token("alice", "write")  # the tests' own user stands in for the learner


def test_fresh_start_deletes_on_a_course_hub(hub, api, new_repo_id, capsys):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    lesson.fresh_start(FakeCourse(hub, "local"), [(repo_id, "model"), (repo_id + "-space", "space")])
    assert not api.repo_exists(repo_id)
    assert "fresh start" in capsys.readouterr().out


@pytest.mark.parametrize("mode", ["online", "custom"])
def test_fresh_start_never_deletes_elsewhere(hub, api, new_repo_id, mode, capsys):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    with pytest.raises(lesson.RepoExists, match="never deletes or overwrites"):
        lesson.fresh_start(FakeCourse(hub, mode), [(repo_id, "model")])
    assert api.repo_exists(repo_id)
    missing = new_repo_id()
    lesson.fresh_start(FakeCourse(hub, mode), [(missing, "model")])  # nothing there: fine, nothing deleted
    assert "does not exist yet" in capsys.readouterr().out
