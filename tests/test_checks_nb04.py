"""The self-checks of notebook 04: right answers pass, typical wrong answers fail with a helpful message."""

from __future__ import annotations

import pytest

from helpers.checks import nb04


class FakeCourse:
    """What the check needs from `helpers.connect()`'s Course: tokens of the course hub's users."""

    is_local = True
    mode = "local"

    def __init__(self, hub):
        self.hub = hub

    def token(self, user="learner", role="read"):
        return self.hub.token(user, role)


def right_advice(repo_id, token=None):
    from huggingface_hub import HfApi
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    try:
        HfApi().auth_check(repo_id, token=token)
    except GatedRepoError as e:
        return {401: "log in", 403: "request access"}.get(e.response.status_code)
    except RepositoryNotFoundError as e:
        return {401: "log in", 404: "check the repo id"}.get(e.response.status_code)
    return None


def right_role(token):
    from huggingface_hub import whoami

    info = whoami(token=token)
    return info["name"], info["auth"]["accessToken"]["role"]


# --- advice_for (against the test hub: its real answers are the oracle) ---------------------------------


@pytest.fixture
def learner_login(hub, monkeypatch):
    """The notebook's state at the exercise: logged in as the learner (HF_TOKEN stands in for `login()`)."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_TOKEN", hub.token("learner", "read"))
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_IMPLICIT_TOKEN", False)  # the tests' conftest turns it on
    yield


@pytest.mark.content
def test_advice_for_right_answer_passes(hub, learner_login, capsys):
    assert nb04.check_advice_for(right_advice, FakeCourse(hub))
    out = capsys.readouterr().out
    assert "✅" in out and "401, 403, 404" in out and "hf_" not in out


@pytest.mark.content
def test_advice_for_is_case_and_space_tolerant(hub, learner_login, capsys):
    def advice_for(repo_id, token=None):
        answer = right_advice(repo_id, token)
        return answer and f" {answer.capitalize()} "

    assert nb04.check_advice_for(advice_for, FakeCourse(hub))


@pytest.mark.parametrize("placeholder", [..., None])
def test_advice_for_placeholder_is_not_started(placeholder, hub, capsys):
    assert not nb04.check_advice_for(placeholder, FakeCourse(hub))
    assert "⏳" in capsys.readouterr().out


def test_advice_for_empty_body_is_not_started(hub, capsys):
    def advice_for(repo_id, token=None): ...

    assert not nb04.check_advice_for(advice_for, FakeCourse(hub))
    assert "⏳" in capsys.readouterr().out


@pytest.mark.content
def test_advice_for_ignoring_the_token_fails_with_a_hint(hub, learner_login, capsys):
    assert not nb04.check_advice_for(lambda repo_id, token=None: right_advice(repo_id), FakeCourse(hub))
    out = capsys.readouterr().out
    assert "❌" in out and "auth_check(repo_id, token=token)" in out


@pytest.mark.content
def test_advice_for_swapped_401_and_403_fails(hub, learner_login, capsys):
    swap = {"log in": "request access", "request access": "log in"}

    def advice_for(repo_id, token=None):
        answer = right_advice(repo_id, token)
        return swap.get(answer, answer)

    assert not nb04.check_advice_for(advice_for, FakeCourse(hub))
    out = capsys.readouterr().out
    assert "❌" in out and "does not know who you are" in out


@pytest.mark.content
def test_advice_for_free_text_fails_with_the_allowed_strings(hub, learner_login, capsys):
    def advice_for(repo_id, token=None):
        return right_advice(repo_id, token) and "please fix it"

    assert not nb04.check_advice_for(advice_for, FakeCourse(hub))
    assert "exactly one of" in capsys.readouterr().out


@pytest.mark.content
def test_advice_for_that_raises_is_reported_not_raised(hub, learner_login, capsys):
    from huggingface_hub import HfApi

    def advice_for(repo_id, token=None):  # forgot to catch the errors
        HfApi().auth_check(repo_id, token=token)

    assert not nb04.check_advice_for(advice_for, FakeCourse(hub))
    out = capsys.readouterr().out
    assert "raised" in out and "GatedRepoError" in out


def test_advice_for_not_callable_fails(hub, capsys):
    assert not nb04.check_advice_for("log in", FakeCourse(hub))
    assert "should be a function" in capsys.readouterr().out


# --- token_role (against the test hub's whoami) ------------------------------------------------------------


def test_token_role_right_answer_passes(hub, capsys):
    assert nb04.check_token_role(right_role, FakeCourse(hub))
    out = capsys.readouterr().out
    assert "✅" in out and "hf_" not in out


def test_token_role_placeholder_is_not_started(hub, capsys):
    def token_role(token): ...

    assert not nb04.check_token_role(..., FakeCourse(hub))
    assert not nb04.check_token_role(token_role, FakeCourse(hub))
    assert capsys.readouterr().out.count("⏳") == 2


def test_token_role_ignoring_the_token_fails(hub, capsys):
    from huggingface_hub import whoami

    learner = hub.token("learner", "read")

    def token_role(token):  # asks about a fixed token, like plain whoami() with a saved login would
        info = whoami(token=learner)
        return info["name"], info["auth"]["accessToken"]["role"]

    assert not nb04.check_token_role(token_role, FakeCourse(hub))
    out = capsys.readouterr().out
    assert "❌" in out and "whoami(token=token)" in out and "hf_" not in out


def test_token_role_returning_the_dict_fails(hub, capsys):
    from huggingface_hub import whoami

    assert not nb04.check_token_role(lambda token: whoami(token=token), FakeCourse(hub))
    assert "whole whoami dict" in capsys.readouterr().out


def test_token_role_reversed_tuple_fails(hub, capsys):
    assert not nb04.check_token_role(lambda token: right_role(token)[::-1], FakeCourse(hub))
    assert "name first" in capsys.readouterr().out


def test_token_role_that_raises_is_reported(hub, capsys):
    assert not nb04.check_token_role(lambda token: 1 / 0, FakeCourse(hub))
    out = capsys.readouterr().out
    assert "ZeroDivisionError" in out and "hf_" not in out
