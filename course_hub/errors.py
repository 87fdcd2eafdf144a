"""Errors the hub answers with: one class per Hub error kind, carrying its HTTP status and `X-Error-Code`.

Raise them anywhere below the routes (`raise RevisionNotFound("…")`); `http.error_response` renders every one the
same way: `X-Error-Code`, `X-Error-Message` and a JSON `{"error": …}` body (none for HEAD, as on the Hub).
"""

from __future__ import annotations


class HubError(Exception):
    status = 500
    code: str | None = "InternalError"

    def __init__(self, message: str, headers: dict | None = None, status: int | None = None, **body):
        super().__init__(message)
        self.message = message
        self.headers = headers or {}
        self.body = body  # more fields of the JSON answer, beside `error`
        if status is not None:  # the few kinds the Hub answers with two statuses (see their docstrings)
            self.status = status


class BadRequest(HubError):
    status, code = 400, "BadRequest"


class InvalidCredentials(HubError):
    """401: no token where one is needed, or one the hub does not know."""

    status, code = 401, "InvalidCredentials"


class TokenRequired(HubError):
    """401: a classroom hub serves nothing without a token."""

    status, code = 401, "Unauthorized"


class GatedRepo(HubError):
    """401 for an anonymous caller, 403 for a signed-in one who is not on the repo's list."""

    status, code = 403, "GatedRepo"


class Forbidden(HubError):
    status, code = 403, "Forbidden"


class NotFound(HubError):
    status, code = 404, "NotFound"


class RepoNotFound(HubError):
    """404; 401 for an anonymous caller, as the Hub answers (it may be a private repo: log in)."""

    status, code = 404, "RepoNotFound"


class RevisionNotFound(HubError):
    status, code = 404, "RevisionNotFound"


class EntryNotFound(HubError):
    status, code = 404, "EntryNotFound"


class UserNotFound(HubError):
    status, code = 404, "UserNotFound"


class MethodNotAllowed(HubError):
    status, code = 405, "MethodNotAllowed"


class RepoExists(HubError):
    status, code = 409, "RepoExists"


class RefExists(HubError):
    status, code = 409, "RefExists"


class Conflict(HubError):
    """409: the thing exists already (a collection of that title, an item already in the collection)."""

    status, code = 409, "Conflict"


class PreconditionFailed(HubError):
    """412: the commit's `parentCommit` is no longer the branch head (someone pushed in between)."""

    status, code = 412, "PreconditionFailed"


class PayloadTooLarge(HubError):
    status, code = 413, "PayloadTooLarge"


class RangeNotSatisfiable(HubError):
    status, code = 416, "RangeNotSatisfiable"


class Unprocessable(HubError):
    """422: well-formed but refers to something unusable (an LFS object never uploaded to this repo)."""

    status, code = 422, "BadRequest"


class GitFailed(HubError):
    """400: `git http-backend` refused the request (its last words are the message)."""

    status, code = 400, "GitError"


class ServiceUnavailable(HubError):
    """503 (with Retry-After): inference is busy (queue full), restarting after a crash, or out of memory; a
    Space's app that is not running (paused, failed, not allowed to run, not started in time)."""

    status, code = 503, "ServiceUnavailable"


class GatewayTimeout(HubError):
    """504: an inference request ran past `Settings.inference_timeout_s`."""

    status, code = 504, "Timeout"


class InternalError(HubError):
    status, code = 500, "InternalError"


def repo_not_found(repo_type: str, repo_id: str, anonymous: bool = False) -> RepoNotFound:
    return RepoNotFound(
        f"Repository Not Found for {repo_type} '{repo_id}'. Please make sure you specified the "
        "correct `repo_id` and `repo_type`. If you are trying to access a private or gated repo, make "
        "sure you are authenticated with a token that can read it.",
        status=401 if anonymous else 404,
    )


def revision_not_found(repo_id: str, revision: str) -> RevisionNotFound:
    return RevisionNotFound(f"Invalid rev id: {revision} (repo '{repo_id}' has no branch, tag or commit of that name)")


def entry_not_found(repo_id: str, revision: str, path: str, headers: dict | None = None) -> EntryNotFound:
    return EntryNotFound(f"Entry not found: '{path}' does not exist at revision '{revision}' of '{repo_id}'", headers)
