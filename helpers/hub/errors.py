"""Errors the hub answers with: an HTTP status, the Hub's `X-Error-Code`, and a message for the learner."""
from __future__ import annotations


class HubError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}


def repo_not_found(repo_type: str, repo_id: str, anonymous: bool = False) -> HubError:
    """404 RepoNotFound; 401 for an anonymous caller, as the Hub answers (it may be a private repo: log in)."""
    return HubError(401 if anonymous else 404, f"Repository Not Found for {repo_type} '{repo_id}'. Please make sure "
                    "you specified the correct `repo_id` and `repo_type`. If you are trying to access a private or "
                    "gated repo, make sure you are authenticated with a token that can read it.", "RepoNotFound")


def revision_not_found(repo_id: str, revision: str) -> HubError:
    return HubError(404, f"Invalid rev id: {revision} (repo '{repo_id}' has no branch, tag or commit of that "
                    "name)", "RevisionNotFound")


def entry_not_found(repo_id: str, revision: str, path: str, headers: dict | None = None) -> HubError:
    return HubError(404, f"Entry not found: '{path}' does not exist at revision '{revision}' of '{repo_id}'",
                    "EntryNotFound", headers)


def bad_request(message: str) -> HubError:
    return HubError(400, message, "BadRequest")


def unauthorized(message: str = "Invalid credentials in Authorization header") -> HubError:
    return HubError(401, message, "InvalidCredentials")


def forbidden(message: str) -> HubError:
    return HubError(403, message, "Forbidden")
