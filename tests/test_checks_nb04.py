"""The self-checks of notebook 04: right answers pass, typical wrong answers fail with a helpful message."""
from __future__ import annotations

import pytest

from helpers.checks import nb04


class FakeCourse:
    """What the check needs from `helpers.connect()`'s Course: tokens of the course hub's users."""

    is_local = True

    def __init__(self, hub):
        self.hub = hub

    def token(self, user="learner", role="read"):
        return self.hub.token(user, role)


def right_advice(status_code):
    return {401: "log in", 403: "request access", 404: "check the repo id"}.get(status_code)


def right_role(token):
    from huggingface_hub import whoami

    info = whoami(token=token)
    return info["name"], info["auth"]["accessToken"]["role"]


# --- advice_for (pure logic: real=False; the real-hub part is tested below with the built hub) --------------

def test_advice_for_right_answer_passes(capsys):
    assert nb04.check_advice_for(right_advice, real=False) is True
    assert "✅" in capsys.readouterr().out


def test_advice_for_is_case_and_space_tolerant(capsys):
    assert nb04.check_advice_for(lambda code: {401: " Log in", 403: "Request access",
                                               404: "Check the repo id "}.get(code), real=False)


@pytest.mark.parametrize("placeholder", [..., None])
def test_advice_for_placeholder_is_not_started(placeholder, capsys):
    assert nb04.check_advice_for(placeholder, real=False) is False
    assert "⏳" in capsys.readouterr().out


def test_advice_for_empty_body_is_not_started(capsys):
    def advice_for(status_code):
        ...

    assert nb04.check_advice_for(advice_for, real=False) is False
    assert "⏳" in capsys.readouterr().out


def test_advice_for_swapped_401_and_403_fails(capsys):
    swapped = {401: "request access", 403: "log in", 404: "check the repo id"}
    assert nb04.check_advice_for(swapped.get, real=False) is False
    out = capsys.readouterr().out
    assert "❌" in out and "advice_for(401)" in out and "does not know who you are" in out


def test_advice_for_403_as_not_found_fails(capsys):
    wrong = {401: "log in", 403: "check the repo id", 404: "check the repo id"}
    assert nb04.check_advice_for(wrong.get, real=False) is False
    out = capsys.readouterr().out
    assert "advice_for(403)" in out and "authorized list" in out


def test_advice_for_free_text_fails_with_the_allowed_strings(capsys):
    assert nb04.check_advice_for(lambda code: "please log in" if code == 401 else None, real=False) is False
    out = capsys.readouterr().out
    assert "exactly one of" in out


def test_advice_for_other_codes_must_be_none(capsys):
    assert nb04.check_advice_for(lambda code: right_advice(code) or "log in", real=False) is False
    assert "expected None" in capsys.readouterr().out


def test_advice_for_that_raises_is_reported_not_raised(capsys):
    def advice_for(status_code):
        raise KeyError(status_code)

    assert nb04.check_advice_for(advice_for, real=False) is False
    assert "raised KeyError" in capsys.readouterr().out


def test_advice_for_not_callable_fails(capsys):
    assert nb04.check_advice_for("log in", real=False) is False
    assert "should be a function" in capsys.readouterr().out


@pytest.mark.content
def test_advice_for_uses_the_real_401_of_the_gated_model(hub, capsys):
    assert nb04.check_advice_for(right_advice) is True
    assert "real 401" in capsys.readouterr().out


# --- token_role (against the test hub's whoami) ------------------------------------------------------------

def test_token_role_right_answer_passes(hub, capsys):
    assert nb04.check_token_role(right_role, FakeCourse(hub)) is True
    out = capsys.readouterr().out
    assert "✅" in out and "hf_" not in out


def test_token_role_placeholder_is_not_started(hub, capsys):
    def token_role(token):
        ...

    assert nb04.check_token_role(..., FakeCourse(hub)) is False
    assert nb04.check_token_role(token_role, FakeCourse(hub)) is False
    assert capsys.readouterr().out.count("⏳") == 2


def test_token_role_ignoring_the_token_fails(hub, capsys):
    from huggingface_hub import whoami

    learner = hub.token("learner", "read")

    def token_role(token):  # asks about a fixed token, like plain whoami() with a saved login would
        info = whoami(token=learner)
        return info["name"], info["auth"]["accessToken"]["role"]

    assert nb04.check_token_role(token_role, FakeCourse(hub)) is False
    out = capsys.readouterr().out
    assert "❌" in out and "whoami(token=token)" in out and "hf_" not in out


def test_token_role_returning_the_dict_fails(hub, capsys):
    from huggingface_hub import whoami

    assert nb04.check_token_role(lambda token: whoami(token=token), FakeCourse(hub)) is False
    assert "whole whoami dict" in capsys.readouterr().out


def test_token_role_reversed_tuple_fails(hub, capsys):
    assert nb04.check_token_role(lambda token: right_role(token)[::-1], FakeCourse(hub)) is False
    assert "name first" in capsys.readouterr().out


def test_token_role_that_raises_is_reported(hub, capsys):
    assert nb04.check_token_role(lambda token: 1 / 0, FakeCourse(hub)) is False
    out = capsys.readouterr().out
    assert "ZeroDivisionError" in out and "hf_" not in out
