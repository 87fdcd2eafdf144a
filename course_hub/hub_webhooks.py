"""Webhooks, as on huggingface.co (`HfApi.create_webhook`, `hf webhooks`): a user's webhooks watch users, orgs or
repos, and the hub POSTs the Hub's JSON payload to their URL on pushes (domain `repo`) and on discussions, pull
requests and comments (domain `discussion`), with the webhook's secret in `X-Webhook-Secret`, as the Hub sends it.

The webhooks live in the hub dir's `webhooks.json`. Deliveries run on one background thread (started by the first
event, stopped by `close()`: the app's shutdown), never on the request's path; each is tried up to 3 times (1 s, then
4 s apart) and logged to `logs/webhooks.log`. A target must be an address the instructor allows: loopback only by
default; `COURSE_HUB_WEBHOOK_ALLOW` (comma-separated networks, e.g. `127.0.0.0/8,10.0.0.0/8`) widens it. The address
is checked when the webhook is saved and again before every delivery (a name that now resolves elsewhere is not
sent to), and redirects are not followed. A webhook only hears of repos its owner may see."""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import queue
import secrets
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from .errors import BadRequest, NotFound
from .store import Identity
from .urls import repo_url

ALLOW_ENV = "COURSE_HUB_WEBHOOK_ALLOW"
DEFAULT_ALLOW = "127.0.0.0/8,::1/128"
DOMAINS = ("repo", "discussion")
WATCH_TYPES = ("user", "org", "model", "dataset", "space")
MAX_PER_USER = 25
BACKOFF = (1.0, 4.0)  # seconds before the 2nd and 3rd tries
TIMEOUT = 10.0
log = logging.getLogger("course_hub.webhooks")


def allowed_networks() -> list:
    spec = os.environ.get(ALLOW_ENV, "").strip() or DEFAULT_ALLOW
    try:
        return [ipaddress.ip_network(n.strip(), strict=False) for n in spec.split(",") if n.strip()]
    except ValueError:
        return [ipaddress.ip_network(n) for n in DEFAULT_ALLOW.split(",")]


def target_problem(url: str) -> str | None:
    """Why the hub will not send to `url` (not http(s), or an address outside the allowed networks), or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "the URL must be http:// or https:// with a host"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = {a[4][0] for a in socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)}
    except (OSError, ValueError) as e:
        return f"its host does not resolve ({e})"
    networks = allowed_networks()
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not any(ip in n for n in networks):
            allowed = ", ".join(map(str, networks))
            return f"{parts.hostname} is {ip}, outside what the instructor allows ({allowed}; {ALLOW_ENV})"
    return None


class Webhooks:
    """The webhooks of every user (`hub_dir/webhooks.json`) and the thread that delivers their payloads."""

    def __init__(self, hub):
        self.hub = hub
        self.path: Path = hub.dir.root / "webhooks.json"
        self.log_path: Path = hub.dir.logs_dir / "webhooks.log"
        self.lock = threading.Lock()
        self.queue: queue.Queue = queue.Queue()
        self.thread: threading.Thread | None = None
        self.closed = threading.Event()
        self.delivered: list[dict] = []  # the latest deliveries' outcomes (tests, the instructor)

    # --- storage ---------------------------------------------------------------------------------------------
    def _load(self) -> list[dict]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return []
        return data if isinstance(data, list) else []

    def _save(self, hooks: list[dict]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(hooks, indent=1))
        tmp.replace(self.path)

    @staticmethod
    def as_json(hook: dict) -> dict:
        """What `WebhookInfo` reads (the owner's own view: the secret included, as the Hub shows it to them)."""
        keys = ("id", "url", "watched", "domains", "secret", "disabled")
        return {**{k: hook.get(k) for k in keys}, "job": None}

    def _check(self, data: dict, hook: dict) -> dict:
        out = dict(hook)
        if "url" in data:
            if not isinstance(data["url"], str) or not data["url"]:
                raise BadRequest("`url` must be a string")
            problem = target_problem(data["url"])
            if problem:
                raise BadRequest(f"The course hub does not send webhooks to {data['url']!r}: {problem}")
            out["url"] = data["url"]
        if data.get("jobSourceId") is not None:
            raise BadRequest("Webhooks that trigger a Job are not part of the course hub (it runs no Jobs)")
        if "watched" in data and not (data["watched"] == [] and out.get("watched")):  # update_webhook sends []
            watched = data["watched"]
            if not isinstance(watched, list) or not watched:
                raise BadRequest("`watched` must be a non-empty list of {type, name}")
            for w in watched:
                if not isinstance(w, dict) or w.get("type") not in WATCH_TYPES or not isinstance(w.get("name"), str):
                    raise BadRequest(f"Each watched item needs a `type` in {', '.join(WATCH_TYPES)} and a `name`")
            out["watched"] = [{"type": w["type"], "name": w["name"]} for w in watched]
        if "domains" in data:
            domains = data["domains"]
            if not isinstance(domains, list) or not domains or any(d not in DOMAINS for d in domains):
                raise BadRequest(f"`domains` must be a non-empty list of {', '.join(DOMAINS)}")
            out["domains"] = list(dict.fromkeys(domains))
        if "secret" in data:
            if data["secret"] is not None and not isinstance(data["secret"], str):
                raise BadRequest("`secret` must be a string")
            out["secret"] = data["secret"] or None
        return out

    # --- operations (the caller is signed in: api/webhooks.py asks the policy) ----------------------------------
    def list(self, user: str) -> list[dict]:
        with self.lock:
            return [self.as_json(h) for h in self._load() if h["owner"] == user]

    def get(self, user: str, hook_id: str) -> dict:
        with self.lock:
            return self.as_json(self._find(self._load(), user, hook_id))

    @staticmethod
    def _find(hooks: list[dict], user: str, hook_id: str) -> dict:
        for h in hooks:
            if h["id"] == hook_id and h["owner"] == user:  # another user's webhook: not found, as on the Hub
                return h
        raise NotFound(f"Webhook {hook_id} not found")

    def create(self, user: str, data: dict) -> dict:
        if not data.get("url"):
            raise BadRequest("`url` is required")
        if "watched" not in data:
            raise BadRequest("`watched` is required")
        hook = self._check(
            {"domains": list(DOMAINS), **data},
            {"id": secrets.token_hex(12), "owner": user, "secret": None, "disabled": False, "created": time.time()},
        )
        with self.lock:
            hooks = self._load()
            if sum(h["owner"] == user for h in hooks) >= MAX_PER_USER:
                raise BadRequest(f"A user has at most {MAX_PER_USER} webhooks")
            self._save([*hooks, hook])
        return self.as_json(hook)

    def update(self, user: str, hook_id: str, data: dict) -> dict:
        with self.lock:
            hooks = self._load()
            old = self._find(hooks, user, hook_id)
            new = self._check(data, old)
            self._save([new if h is old else h for h in hooks])
        return self.as_json(new)

    def set_disabled(self, user: str, hook_id: str, disabled: bool) -> dict:
        with self.lock:
            hooks = self._load()
            hook = self._find(hooks, user, hook_id)
            hook["disabled"] = disabled
            self._save(hooks)
        return self.as_json(hook)

    def delete(self, user: str, hook_id: str) -> None:
        with self.lock:
            hooks = self._load()
            hook = self._find(hooks, user, hook_id)
            self._save([h for h in hooks if h is not hook])

    # --- events ----------------------------------------------------------------------------------------------
    def _watching(self, rec, domain: str) -> list[dict]:
        out = []
        for h in self._load():
            if h.get("disabled") or domain not in h.get("domains", ()):
                continue
            if not any(
                (w["type"] in ("user", "org") and w["name"] == rec.namespace)
                or (w["type"] == rec.type and w["name"] == rec.id)
                for w in h.get("watched", ())
            ):
                continue
            if self.hub.policy.can_see(Identity(h["owner"], "read", "webhook"), rec):
                out.append(h)
        return out

    def emit(self, rec, domain: str, payload: dict) -> None:
        """Queue `payload` (the Hub's shape, less `webhook`) for every enabled webhook that watches `rec` and
        `domain` and whose owner may see the repo. Returns at once: the thread delivers."""
        if self.closed.is_set() or not self.path.exists():
            return
        with self.lock:
            hooks = self._watching(rec, domain)
        if not hooks:
            return
        self._ensure_thread()
        for h in hooks:
            self.queue.put((h, {**payload, "webhook": {"id": h["id"], "version": 3}}))

    def _ensure_thread(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, daemon=True, name="webhook-deliveries")
                self.thread.start()

    def _run(self) -> None:
        import httpx

        with httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False) as client:
            while True:
                item = self.queue.get()
                if item is None:
                    return
                self._deliver(client, *item)

    def _deliver(self, client, hook: dict, payload: dict) -> None:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "course-hub-webhooks"}
        if hook.get("secret"):
            headers["X-Webhook-Secret"] = hook["secret"]
        outcome = ""
        for attempt in range(1 + len(BACKOFF)):
            if attempt and self.closed.wait(BACKOFF[attempt - 1]):
                outcome = "not retried: the hub stopped"
                break
            problem = target_problem(hook["url"])  # again: a name may resolve elsewhere now
            if problem:
                outcome = f"refused: {problem}"
                break
            try:
                status = client.post(hook["url"], content=body, headers=headers).status_code
            except Exception as e:  # noqa: BLE001 - any failure of the receiver is logged and retried
                outcome = f"failed: {type(e).__name__}: {e}"
                continue
            outcome = f"HTTP {status}"
            if status < 300:
                break
        event = payload["event"]
        line = f"{time.strftime('%Y-%m-%dT%H:%M:%S')} webhook {hook['id']} {event['scope']}.{event['action']} "
        line += f"{payload['repo']['type']}:{payload['repo']['name']} -> {hook['url']}: {outcome} (try {attempt + 1})"
        self._log(line)
        self.delivered = [*self.delivered[-99:], {"id": hook["id"], "outcome": outcome, "tries": attempt + 1}]

    def _log(self, line: str) -> None:
        try:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("a") as f:
                f.write(line + "\n")
        except OSError:
            log.warning("%s", line)

    def close(self) -> None:
        """Stop the delivery thread (the app's shutdown): what is queued and not yet sent is dropped."""
        self.closed.set()
        thread = self.thread
        if thread is not None and thread.is_alive():
            while not self.queue.empty():
                try:
                    self.queue.get_nowait()
                except queue.Empty:
                    break
            self.queue.put(None)
            thread.join(timeout=TIMEOUT + 2)


# --- the Hub's payloads ------------------------------------------------------------------------------------------
def repo_part(rec, endpoint: str, head_sha: str | None = None) -> dict:
    out = {
        "type": rec.type,
        "name": rec.id,
        "id": rec.id,
        "private": rec.private,
        "url": {"web": repo_url(endpoint, rec.type, rec.id), "api": f"{endpoint}/api/{rec.type}s/{rec.id}"},
        "owner": {"id": rec.namespace},
    }
    if head_sha:
        out["headSha"] = head_sha
    return out


def push_payload(rec, endpoint: str, updated: list[tuple[str, str | None, str | None]], head_sha: str | None) -> dict:
    """A push (a commit through the API, a `git push`): `updated` is [(ref, old sha, new sha)]."""
    return {
        "event": {"action": "update", "scope": "repo.content"},
        "repo": repo_part(rec, endpoint, head_sha),
        "updatedRefs": [{"ref": r, "oldSha": old, "newSha": new} for r, old, new in updated],
    }


def discussion_payload(rec, endpoint: str, d: dict, action: str, comment: dict | None = None) -> dict:
    """A discussion or pull request opened (`create`) or changed (`update`), or a new comment on it."""
    web = repo_url(endpoint, rec.type, rec.id, "discussions", str(d["num"]))
    api = f"{endpoint}/api/{rec.type}s/{rec.id}/discussions/{d['num']}"
    discussion = {
        "id": f"{rec.id}#{d['num']}",
        "num": d["num"],
        "title": d["title"],
        "status": d["status"],
        "author": {"id": d["author"]},
        "isPullRequest": d["is_pr"],
        "url": {"web": web, "api": api},
    }
    if d["is_pr"]:
        discussion["changes"] = {"base": f"refs/heads/{d.get('target') or 'main'}"}
    out = {
        "event": {"action": action, "scope": "discussion.comment" if comment else "discussion"},
        "repo": repo_part(rec, endpoint),
        "discussion": discussion,
    }
    if comment:
        data = comment.get("data") or {}
        history = data.get("history") or [{}]
        out["comment"] = {
            "id": str(comment["event_id"]),
            "author": {"id": comment["author"]},
            "content": history[0].get("raw", ""),
            "hidden": bool(data.get("hidden")),
            "url": {"web": f"{web}#{comment['event_id']}"},
        }
    return out
