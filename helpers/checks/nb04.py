"""Self-checks for notebook 04 (tokens and gated models)."""
from __future__ import annotations

from . import failed, is_placeholder, never_raises, not_started, passed

GATED = "course/gated-sentiment"
LOG_IN = "log in"
REQUEST_ACCESS = "request access"
CHECK_REPO_ID = "check the repo id"
ADVICE = {401: LOG_IN, 403: REQUEST_ACCESS, 404: CHECK_REPO_ID}
WHY = {
    401: "a 401 means the Hub does not know who you are (no token was sent, or it is invalid)",
    403: "a 403 means the Hub knows who you are, but you are not on the repo's authorized list",
    404: "a 404 means there is no repo with that id that you are allowed to see (a typo, or someone's private repo)",
}


def _call(fn, *args):
    """(result, None) or (None, 'ExceptionName: first line')."""
    try:
        return fn(*args), None
    except Exception as e:  # the learner's code may raise anything; report it, never re-raise
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        return None, f"{type(e).__name__}: {first}"


def _norm(value):
    return value.strip().lower() if isinstance(value, str) else value


def _real_status_code() -> tuple[str, int] | None:
    """The status code of a real anonymous download of the gated model, or None if the hub is unreachable."""
    try:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import HfHubHTTPError
    except ImportError:
        return None
    try:
        hf_hub_download(GATED, "config.json", token=False)
    except HfHubHTTPError as e:
        if e.response is not None:
            return f"an anonymous download of {GATED}", e.response.status_code
    except Exception:
        return None
    return None


@never_raises
def check_advice_for(advice_for, real: bool = True) -> bool:
    """`advice_for(status_code)` returns "log in" (401), "request access" (403), "check the repo id" (404), else None."""
    if is_placeholder(advice_for):
        return not_started("advice_for")
    if not callable(advice_for):
        return failed(f"`advice_for` should be a function, not a {type(advice_for).__name__}.",
                      "Define it with `def advice_for(status_code): ...`.")
    if all(_call(advice_for, code) == (None, None) for code in ADVICE):  # the exercise cell's `...` body
        return not_started("advice_for")
    for code, expected in ADVICE.items():
        got, error = _call(advice_for, code)
        if error:
            return failed(f"`advice_for({code})` raised {error}.", "Return a string; do not raise.")
        if _norm(got) != expected:
            wrong = {v: k for k, v in ADVICE.items()}.get(_norm(got))
            hint = f"{WHY[code][0].upper()}{WHY[code][1:]}: return {expected!r}."
            if wrong is not None:
                hint = f"{expected!r} is the advice for {code}; {got!r} is the advice for {wrong}. " + hint
            elif isinstance(got, str):
                hint = f"Return exactly one of {LOG_IN!r}, {REQUEST_ACCESS!r}, {CHECK_REPO_ID!r}. " + hint
            return failed(f"`advice_for({code})` returned {got!r}, expected {expected!r}.", hint)
    for code in (200, 500):
        got, error = _call(advice_for, code)
        if error:
            return failed(f"`advice_for({code})` raised {error}.", "For any other status code, return None.")
        if got is not None:
            return failed(f"`advice_for({code})` returned {got!r}, expected None.",
                          "Only 401, 403 and 404 have advice here; return None for every other status code "
                          "(a 500 is the server's problem, not yours).")
    if real:
        seen = _real_status_code()
        if seen is not None:
            what, code = seen
            got, error = _call(advice_for, code)
            if error or _norm(got) != ADVICE.get(code):
                return failed(f"For {what} the hub answered {code}, and `advice_for({code})` gave "
                              f"{error or repr(got)}.", f"Expected {ADVICE.get(code)!r}.")
            return passed(f"`advice_for` gives the right advice for 401, 403 and 404 "
                          f"(and for the real {code} of {what}).")
    return passed("`advice_for` gives the right advice for 401, 403 and 404, and None otherwise.")


def _token_cases(course) -> list[tuple[str, str]]:
    """(label, token) pairs to try: the course (or classroom) hub's three tokens, or HF_TOKEN elsewhere."""
    if getattr(course, "mode", "local") in ("local", "classroom"):
        cases = [("the learner's read token", ("learner", "read")), ("the learner's write token", ("learner", "write")),
                 ("the instructor's write token", ("instructor", "write"))]
        return [(label, course.token(*args)) for label, args in cases]
    token = course.token()
    return [("your HF_TOKEN", token)] if token else []


@never_raises
def check_token_role(token_role, course) -> bool:
    """`token_role(token)` returns `(user name, token role)` as `whoami(token=token)` reports them."""
    if is_placeholder(token_role):
        return not_started("token_role")
    if not callable(token_role):
        return failed(f"`token_role` should be a function, not a {type(token_role).__name__}.",
                      "Define it with `def token_role(token): ...`.")
    from huggingface_hub import whoami

    cases = _token_cases(course)
    if not cases:
        return failed("There is no token to try your function with.", "Set HF_TOKEN, or use the course hub.")
    for label, token in cases:
        info = whoami(token=token)
        expected = (info["name"], info["auth"]["accessToken"]["role"])
        got, error = _call(token_role, token)
        if got is None and error is None:  # the exercise cell's `...` body
            return not_started("token_role")
        if error:
            return failed(f"`token_role(...)` with {label} raised {error}.",
                          "Call `whoami(token=token)` and read `['name']` and `['auth']['accessToken']['role']`.")
        if isinstance(got, list):
            got = tuple(got)
        if got == expected:
            continue
        if isinstance(got, dict):
            hint = "You returned the whole whoami dict: return a tuple `(name, role)`."
        elif isinstance(got, str):
            hint = "Return both parts, as a tuple: `(name, role)`."
        elif isinstance(got, tuple) and got == expected[::-1]:
            hint = "The order is `(name, role)`: the name first."
        elif isinstance(got, tuple) and len(got) == 2:
            hint = ("That looks like the answer for another token: ask about the token you were given, "
                    "`whoami(token=token)`; plain `whoami()` uses the token you logged in with.")
        else:
            hint = "Read `info['name']` and `info['auth']['accessToken']['role']` from `info = whoami(token=token)`."
        return failed(f"With {label}, `token_role` returned {got!r}, expected {expected!r}.", hint)
    return passed(f"`token_role` names the user and the role of {len(cases)} different token(s) correctly.")
