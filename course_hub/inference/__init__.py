"""Inference on the course hub: Hugging Face's task API, OpenAI-style chat completions, the model page's widget.

`ROUTES` goes into the hub's route table (`app.py`). This package imports no torch: models run in a separate
worker process (`python -m course_hub.inference.worker`), started on the first request (`service.py`).
"""

from __future__ import annotations

from ..http import REPO, Route, route
from . import api

MODEL = rf"/(?:hf-inference/)?models/{REPO}"

ROUTES: list[Route] = [
    route("GET", r"/v1/models", api.list_models),
    route("POST", r"/v1/chat/completions", api.chat, is_async=True),
    # the model page's widget calls these two with the website's session (`widget=True`, see http.Route)
    route("POST", rf"{MODEL}/v1/chat/completions", api.chat, is_async=True, widget=True),
    route("POST", rf"{MODEL}/pipeline/(?P<task>[a-z-]+)", api.task_api, is_async=True),
    route("POST", MODEL, api.task_api, is_async=True, widget=True),
    # the widget's own script and style: public like the website's /static (a classroom's pages need them)
    route("GET", r"/inference-static/(?P<name>widget\.js|widget\.css)", api.static, page=True),
]
