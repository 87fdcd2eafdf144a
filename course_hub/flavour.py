"""The hub's flavour (`Settings.flavour`): `course`, the course hub, or `huggingface.co`, a hub that answers as
huggingface.co does wherever the course hub adds something or behaves differently.

`COURSE_HUB_FLAVOUR=huggingface.co` (or `course-hub serve --like-huggingface-co`) is for `make test-online`'s
stand-in for huggingface.co (tests/online): a notebook cell that works on the course hub only fails there. What the
flavour changes, and where huggingface.co's behaviour is written down (huggingface_hub's code is the one in .venv):

| huggingface.co flavour                                       | source                                             |
|--------------------------------------------------------------|----------------------------------------------------|
| no inference on the hub's host: `/models/{id}`,              | huggingface_hub constants.py: INFERENCE_PROXY_     |
| `/hf-inference/models/{id}`, `/v1/chat/completions`,         | TEMPLATE = "https://router.huggingface.co/{pro     |
| `/v1/models`, the widget's files answer 404 (Inference       | vider}" (Inference Providers live on another host) |
| Providers live on router.huggingface.co)                     |                                                    |
| no course-only routes: `/api/course/token` answers 404       | none on huggingface.co (api/course.py says so)     |
| a Space starts BUILDING, then APP_STARTING (checked out, its | huggingface_hub _space_api.py: SpaceStage and      |
| app starting), then RUNNING; the course hub says BUILDING    | INTERMEDIATE_SPACE_STAGES; hf_api.py:              |
| until RUNNING                                                | HfApi.wait_for_space_stage                         |
| `get_space_runtime` does not wake a sleeping Space; opening  | hf_api.py: HfApi.set_space_sleep_time ("If a new   |
| its app does (the course hub's runtime API wakes it)         | visitor lands on your Space, it will wake it up")  |
| a commit to a Space's main branch, or duplicating a Space,   | hf_api.py: HfApi.wait_for_space_stage (after a     |
| builds it (the course hub starts a Space when asked for it)  | push a Space goes through the intermediate stages) |
| `X-Error-Code` only for the four codes huggingface_hub reads | huggingface_hub utils/_http.py: hf_raise_for_status|
| (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo);  | (reads X-Error-Code for these, X-Error-Message for |
| every error keeps `X-Error-Message` and its JSON `error`     | all: _format)                                      |
| an unknown path: 404 "Sorry, we can't find the page you are  | huggingface.co's 404 page                          |
| looking for." (no code)                                      |                                                    |

Not emulated (the harness or the clients need them, or they change nothing a client sees): `/api/health`; a
Space's app at `{hub}/spaces/{id}/app/` (huggingface.co: `https://{owner}-{name}.hf.space`; clients take it from
`space_info().host` either way); RUNNING_BUILDING / RUNNING_APP_STARTING (the course hub stops the old version
before the new one starts); a git push to a Space does not build it (the commit API does).

This module imports nothing of the hub: app.py, http.py and the Space code ask it.
"""

from __future__ import annotations

COURSE = "course"
HUGGINGFACE_CO = "huggingface.co"

# the handlers' modules whose routes huggingface.co does not serve on its own host
COURSE_ONLY_MODULES = ("course_hub.inference.api", "course_hub.api.course")
# the X-Error-Code values huggingface.co sends and huggingface_hub's hf_raise_for_status branches on
HUB_ERROR_CODES = frozenset({"RepoNotFound", "RevisionNotFound", "EntryNotFound", "GatedRepo"})
NOT_FOUND = "Sorry, we can't find the page you are looking for."


def like_huggingface_co(settings) -> bool:
    return getattr(settings, "flavour", COURSE) == HUGGINGFACE_CO


def routes(table: list, settings) -> list:
    """The route table this hub serves: without the course-only routes (inference, course tokens) when it answers
    as huggingface.co does."""
    if not like_huggingface_co(settings):
        return table
    return [r for r in table if r.handler.__module__ not in COURSE_ONLY_MODULES]


def error_code(code: str | None, settings) -> str | None:
    """The `X-Error-Code` header of an error answer (None: no header)."""
    if like_huggingface_co(settings) and code not in HUB_ERROR_CODES:
        return None
    return code


def not_found_message(raw_path: str, settings) -> str:
    """The message of a 404 for a path that is no route."""
    return NOT_FOUND if like_huggingface_co(settings) else f"Not found: {raw_path} is not a route of the course hub"


def runtime_wakes(settings) -> bool:
    """Whether asking a Space's runtime (`get_space_runtime`) starts it when it sleeps."""
    return not like_huggingface_co(settings)


def builds_on_commit(settings) -> bool:
    """Whether a commit to a Space's main branch starts it (huggingface.co builds every push)."""
    return like_huggingface_co(settings)


def app_starting(checked_out: bool, settings) -> bool:
    """Whether a Space that the course hub calls BUILDING is shown as APP_STARTING: its code is checked out and
    its app process is starting."""
    return checked_out and like_huggingface_co(settings)
