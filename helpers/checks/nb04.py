"""Self-checks for notebook 04 (tokens and gated models)."""

from __future__ import annotations

from course_hub.settings import course_org

from . import failed, is_placeholder, never_raises, not_started, passed

ORG = course_org()  # pyproject.toml's [tool.hf-hands-on] org ("hf-hands-on")

GATED = f"{ORG}/gated-sentiment"
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
    except Exception as e:  # the learner's code may raise anything; report it, never re-raise  # noqa: BLE001
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        return None, f"{type(e).__name__}: {first}"


def _norm(value):
    return value.strip().lower() if isinstance(value, str) else value


def _status(repo_id: str, token) -> int | None:
    """The hub's answer to `auth_check(repo_id, token=token)`: None if you may read the files, else the status."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    try:
        HfApi().auth_check(repo_id, token=token)
    except HfHubHTTPError as e:
        if e.response is None:
            raise
        return e.response.status_code
    return None


def _advice_cases(course) -> list[tuple[str, str, object]]:
    """(who, repo_id, token) cases to ask about; the hub's real answers are the oracle."""
    cases = [
        ("you", f"{ORG}/minilm-sentiment", None),
        ("an anonymous caller", GATED, False),
        ("you", "hf-hands-on/no-such-model", None),
        ("you", "alice/private-notes", None),
        ("an anonymous caller", "alice/private-notes", False),
    ]
    if getattr(course, "mode", "local") in ("local", "classroom"):
        cases.insert(2, ("alice (never asked for access)", GATED, course.token("alice")))
    return cases


@never_raises
def check_advice_for(advice_for, course) -> bool:
    """`advice_for(repo_id, token=None)` asks the hub and returns None (you may read the repo's files), "log in" (401),
    "request access" (403) or "check the repo id" (404). Checked against the hub's real answers."""
    if is_placeholder(advice_for):
        return not_started("advice_for")
    if not callable(advice_for):
        return failed(
            f"`advice_for` should be a function, not a {type(advice_for).__name__}.",
            "Define it with `def advice_for(repo_id, token=None): ...`.",
        )
    results = []
    for who, repo_id, token in _advice_cases(course):
        code = _status(repo_id, token)
        expected = ADVICE.get(code) if code is not None else None
        got, error = _call(advice_for, repo_id, token)
        results.append((who, repo_id, token, code, expected, got, error))
    if all(got is None and error is None for *_, got, error in results):  # the exercise cell's `...` body
        return not_started("advice_for")
    for who, repo_id, token, code, expected, got, error in results:
        call = f"`advice_for({repo_id!r}, token={'False' if token is False else 'None' if token is None else '...'})`"
        if error:
            hint = (
                "Catch the Hub's errors: `except GatedRepoError as e:` first, then "
                "`except RepositoryNotFoundError as e:`, and read `e.response.status_code`."
            )
            return failed(f"{call} raised {error} (the hub answered {code or 'OK'} for {who}).", hint)
        if _norm(got) == expected:
            continue
        if code is None:
            hint = (
                "`auth_check` returned without an error, so you may read the repo: return None."
                if token is not False
                else ""
            )
            return failed(f"{call} returned {got!r}, but {who} may read {repo_id}: expected None.", hint or None)
        hint = f"{WHY[code][0].upper()}{WHY[code][1:]}: return {expected!r}."
        login_code = _status(repo_id, None) if token is not None else code
        if token is not None and _norm(got) == (ADVICE.get(login_code) if login_code is not None else None):
            hint = (
                f"The hub answers {code} for {who}, but your function found no error: pass the token on, "
                "`HfApi().auth_check(repo_id, token=token)` (token=False sends none; a token string is used "
                "instead of your login). " + hint
            )
        elif isinstance(got, str) and _norm(got) not in ADVICE.values():
            hint = f"Return exactly one of {LOG_IN!r}, {REQUEST_ACCESS!r}, {CHECK_REPO_ID!r}. " + hint
        elif isinstance(got, str):
            wrong = {v: k for k, v in ADVICE.items()}[_norm(got)]
            hint = f"{got!r} is the advice for {wrong}, and {repo_id} gives {who} a {code}. " + hint
        return failed(f"{call} returned {got!r}; the hub answers {who} with {code}, so expected {expected!r}.", hint)
    codes = sorted({r[3] for r in results if r[3] is not None})
    return passed(
        f"`advice_for` matches the hub's real answers in {len(results)} cases "
        f"(statuses {', '.join(map(str, codes))}, and None where you may read)."
    )


def _token_cases(course) -> list[tuple[str, str]]:
    """(label, token) pairs to try: the course (or classroom) hub's three tokens, or HF_TOKEN elsewhere."""
    if getattr(course, "mode", "local") in ("local", "classroom"):
        cases = [
            ("the learner's read token", ("learner", "read")),
            ("the learner's write token", ("learner", "write")),
            ("the instructor's write token", ("instructor", "write")),
        ]
        return [(label, course.token(*args)) for label, args in cases]
    token = course.token()
    return [("your HF_TOKEN", token)] if token else []


@never_raises
def check_token_role(token_role, course) -> bool:
    """`token_role(token)` returns `(user name, token role)` as `whoami(token=token)` reports them."""
    if is_placeholder(token_role):
        return not_started("token_role")
    if not callable(token_role):
        return failed(
            f"`token_role` should be a function, not a {type(token_role).__name__}.",
            "Define it with `def token_role(token): ...`.",
        )
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
            return failed(
                f"`token_role(...)` with {label} raised {error}.",
                "Call `whoami(token=token)` and read `['name']` and `['auth']['accessToken']['role']`.",
            )
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
            hint = (
                "That looks like the answer for another token: ask about the token you were given, "
                "`whoami(token=token)`; plain `whoami()` uses the token you logged in with."
            )
        else:
            hint = "Read `info['name']` and `info['auth']['accessToken']['role']` from `info = whoami(token=token)`."
        return failed(f"With {label}, `token_role` returned {got!r}, expected {expected!r}.", hint)
    return passed(f"`token_role` names the user and the role of {len(cases)} different token(s) correctly.")
