"""The one URL builder for repos and their pages: huggingface.co's scheme (a model at `/{id}`, a dataset at
`/datasets/{id}`, a Space at `/spaces/{id}`). Paths start at the hub's root; URLs prefix an endpoint."""

from __future__ import annotations

from urllib.parse import quote


def repo_path(repo_type: str, repo_id: str) -> str:
    """`/owner/name`, `/datasets/owner/name`, `/spaces/owner/name`: the repo's page, and the base of its others."""
    return ("" if repo_type == "model" else f"/{repo_type}s") + f"/{repo_id}"


def repo_url(endpoint: str, repo_type: str, repo_id: str, *page: str) -> str:
    """The repo's page on `endpoint`, or one below it: `repo_url(e, t, id, "discussions", "3")`."""
    return endpoint + repo_path(repo_type, repo_id) + "".join(f"/{p}" for p in page)


def file_path(repo_type: str, repo_id: str, revision: str, path: str) -> str:
    """A file's download path (`…/resolve/{revision}/{path}`, the revision URL-encoded whole: `refs%2Fpr%2F1`)."""
    return f"{repo_path(repo_type, repo_id)}/resolve/{quote(revision, safe='')}/{quote(path)}"


def space_app_path(repo_id: str) -> str:
    """Where the hub serves a Space's app, under its endpoint (with the trailing slash gradio_client needs)."""
    return repo_path("space", repo_id) + "/app/"
