"""JSON shapes of the Hub API: repo info, tree entries, commits — built from the git repo and the store."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from urllib.parse import urlencode

from dulwich.object_store import tree_lookup_path
from dulwich.refs import DiskRefsContainer

from .errors import BadRequest
from .gitrepo import FileEntry, GitRepo
from .hub import Hub
from .lfs import Pointer
from .names import iso
from .stages import SpaceStage
from .store import Identity, RepoRecord

COMMITS_PAGE = 50
COMMON = ("_id", "id")


def object_id(kind: str, name: str) -> str:
    """A stable 24-hex `_id`, as the Hub gives every repo and user."""
    return hashlib.sha1(f"{kind}/{name}".encode()).hexdigest()[:24]


def file_meta(git: GitRepo, entry: FileEntry) -> dict:
    """`{"size", "blobId", "lfs"?}` for one file (LFS pointers report the real size)."""
    raw = git.blob(entry.blob)
    pointer = Pointer.parse(raw)
    out = {"size": pointer.size if pointer else len(raw), "blobId": entry.blob}
    if pointer:
        out["lfs"] = {"sha256": pointer.oid, "size": pointer.size, "pointerSize": len(raw)}
    return out


def repo_info(
    hub: Hub,
    rec: RepoRecord,
    git: GitRepo,
    sha: str,
    ident: Identity | None,
    blobs: bool = False,
    expand: list[str] | None = None,
    spaces: bool = True,
    endpoint: str | None = None,
    runtime=None,
) -> dict:
    """The info JSON of a repo at a commit; `spaces=False` skips the scan for Spaces that use a model. `runtime`: the
    app's Space runtime (`request.app.state.spaces`, a `SpaceManager`): a Space's info has its live stage, and with
    the `endpoint` its app's `host` (what gradio_client's `Client("owner/space")` connects to)."""
    meta = hub.meta(rec.type, rec.id, git, sha)
    card = meta["card"]
    files = git.files(sha)
    siblings = [{"rfilename": name, **(file_meta(git, files[name]) if blobs else {})} for name in meta["files"]]
    d = {
        "_id": object_id(rec.type, rec.id),
        "id": rec.id,
        "author": rec.namespace,
        "sha": sha,
        "lastModified": iso(meta["date"]),
        "createdAt": iso(rec.created),
        "private": rec.private,
        "gated": rec.gated,
        "disabled": False,
        "downloads": rec.downloads,
        "likes": rec.likes,
        "tags": meta["tags"],
        "cardData": card,
        "siblings": siblings,
    }
    if blobs:
        d["usedStorage"] = sum(s["size"] for s in siblings)
    if rec.type == "model":
        d["modelId"] = rec.id
        lib = card.get("library_name") or ("transformers" if "config.json" in files else None)
        if lib:
            d["library_name"] = lib
        if card.get("pipeline_tag"):
            d["pipeline_tag"] = card["pipeline_tag"]
        if spaces:
            d["spaces"] = hub.spaces_using("model", rec.id, ident)
    elif rec.type == "dataset":
        d["description"] = _first_paragraph(git, files)
        if card.get("citation"):
            d["citation"] = card["citation"]
    else:
        d["sdk"] = card.get("sdk")
        d["models"] = card.get("models") or []
        d["datasets"] = card.get("datasets") or []
        d["subdomain"] = rec.id.replace("/", "-").lower()
        if runtime is not None:  # served: the live runtime (reading it never wakes the Space)
            d["runtime"] = runtime.runtime(rec)
            if endpoint:
                d["host"] = runtime.host(endpoint, rec.id)
        else:
            d["runtime"] = {
                "stage": SpaceStage.STOPPED if card.get("sdk") else SpaceStage.NO_APP_FILE,
                "hardware": {"current": None, "requested": "cpu-basic"},
            }
    if expand:
        keep = set(COMMON) | set(expand)
        d = {k: v for k, v in d.items() if k in keep}
    return d


SORT_KEYS = {
    "downloads": "downloads",
    "likes": "likes",
    "lastModified": "lastModified",
    "last_modified": "lastModified",
    "createdAt": "createdAt",
    "created_at": "createdAt",
    "trendingScore": "likes",
    "trending_score": "likes",
}


def search_repos(
    hub: Hub,
    ident: Identity | None,
    repo_type: str,
    *,
    searches: list[str] = (),
    filters: list[str] = (),
    author: str | None = None,
    pipeline_tag: str | None = None,
    gated: str = "",
    models: list[str] = (),
    datasets: list[str] = (),
    sort: str | None = None,
    descending: bool = True,
    spaces: bool = False,
    infos: dict[str, dict] | None = None,
    runtime=None,
) -> list[dict]:
    """The repos of one type that `ident` may see and that match every filter, as info dicts (the one filter
    engine: the search API and the website's lists both use it). `filters` are tags (or the repo id). `infos`:
    the info dicts already made by `search_repos` without filters (the website filters one set several ways)."""
    if sort and sort not in SORT_KEYS:
        raise BadRequest(f"Invalid sort {sort!r}: use one of {', '.join(sorted(set(SORT_KEYS)))}")
    if gated not in ("", "true", "false"):
        raise BadRequest(f"Invalid gated {gated!r}: use true or false")
    searches = [s.lower() for s in searches]
    rows = []
    for rec in hub.repos(repo_type):
        if not hub.policy.can_see(ident, rec):
            continue
        if author and rec.namespace.lower() != author.lower():
            continue
        if gated and bool(rec.gated) != (gated == "true"):
            continue
        if searches and not all(s in rec.id.lower() for s in searches):
            continue
        if infos is not None:
            info = infos.get(rec.id)
            if info is None:
                continue
        else:
            info = _listed_info(hub, rec, ident, spaces, runtime)
            if info is None:
                continue
        tags = set(info["tags"])
        if any(f not in tags and f != rec.id for f in filters):
            continue
        if pipeline_tag and info.get("pipeline_tag") != pipeline_tag:
            continue
        if repo_type == "space" and not all(m in info.get("models", []) for m in models):
            continue
        if repo_type == "space" and not all(d in info.get("datasets", []) for d in datasets):
            continue
        rows.append(info)
    if sort:
        key = SORT_KEYS[sort]
        rows.sort(key=lambda r: (r.get(key) or 0, r["id"]), reverse=descending)
    return rows


_LISTED: OrderedDict[tuple[RepoRecord, str], dict] = OrderedDict()
_LISTED_LOCK = threading.Lock()


def _listed_info(hub: Hub, rec: RepoRecord, ident: Identity | None, spaces: bool, runtime=None) -> dict | None:
    """A repo's info for a list, None while it has no commit. Without `spaces` it depends only on the record and
    the head commit: kept by both (reading the head ref alone costs ~0.1 ms; opening the repo ~1.5 ms)."""
    try:
        raw = DiskRefsContainer(str(hub.dir.repo_path(rec.type, rec.id))).read_ref(b"refs/heads/main")
    except OSError:
        raw = None
    sha = raw.decode() if raw and len(raw) == 40 else None
    if sha is None or spaces or rec.type == "space":  # a Space's info holds its live runtime: never kept
        git = hub.git(rec.type, rec.id)
        sha = git.head()
        return None if sha is None else repo_info(hub, rec, git, sha, ident, spaces=spaces, runtime=runtime)
    key = (rec, sha)
    with _LISTED_LOCK:
        info = _LISTED.get(key)
    if info is None:
        info = repo_info(hub, rec, hub.git(rec.type, rec.id), sha, ident, spaces=False)
        with _LISTED_LOCK:
            _LISTED[key] = info
            while len(_LISTED) > 4096:
                _LISTED.popitem(last=False)
    return dict(info)  # callers drop or add keys of their copy


def _first_paragraph(git: GitRepo, files: dict) -> str:
    readme = files.get("README.md")
    if readme is None:
        return ""
    text = git.blob(readme.blob).decode("utf-8", "replace")
    if text.startswith("---"):
        text = text.split("\n---", 1)[-1].split("\n", 1)[-1]
    for para in text.split("\n\n"):
        para = para.strip()
        if para and not para.startswith("#"):
            return para[:500]
    return ""


def tree_entries(git: GitRepo, sha: str, folder: str, recursive: bool) -> list[dict]:
    """Files and folders under `folder` ('' for the root), as the tree API lists them."""
    files = git.files(sha)
    prefix = folder.strip("/") + "/" if folder.strip("/") else ""
    if prefix and not any(p.startswith(prefix) for p in files):
        raise KeyError(folder)
    dirs: set[str] = set()
    entries: list[dict] = []
    for path in sorted(files):
        if not path.startswith(prefix):
            continue
        rest = path[len(prefix) :]
        parts = rest.split("/")
        for i in range(1, len(parts)):
            d = prefix + "/".join(parts[:i])
            if (recursive or i == 1) and d not in dirs:
                dirs.add(d)
        if recursive or len(parts) == 1:
            entries.append(file_entry(git, files[path]))
    root = git.repo[git.repo[sha.encode()].tree].id
    for d in dirs:
        _, tree_sha = tree_lookup_path(git.repo.__getitem__, root, d.encode())
        entries.append({"type": "directory", "oid": tree_sha.decode(), "size": 0, "path": d})
    entries.sort(key=lambda e: (e["path"].count("/"), e["type"] != "directory", e["path"]))
    return entries


def file_entry(git: GitRepo, entry: FileEntry) -> dict:
    meta = file_meta(git, entry)
    out = {"type": "file", "oid": entry.blob, "size": meta["size"], "path": entry.path}
    if "lfs" in meta:
        out["lfs"] = {
            "oid": meta["lfs"]["sha256"],
            "size": meta["lfs"]["size"],
            "pointerSize": meta["lfs"]["pointerSize"],
        }
    return out


def last_commits(git: GitRepo, sha: str, paths: list[str]) -> dict[str, dict]:
    """The newest commit that touched each path (walks first-parent history)."""
    wanted, found = set(paths), {}
    history = git.log(sha)
    for i, c in enumerate(history):
        if not wanted:
            break
        now = git.files(c.sha)
        before = git.files(history[i + 1].sha) if i + 1 < len(history) else {}
        for p in list(wanted):
            in_now = {k: v.blob for k, v in now.items() if k == p or k.startswith(p + "/")}
            in_before = {k: v.blob for k, v in before.items() if k == p or k.startswith(p + "/")}
            if in_now != in_before:
                found[p] = {"id": c.sha, "title": c.title, "date": iso(c.date)}
                wanted.discard(p)
    return found


def commit_json(c) -> dict:
    return {"id": c.sha, "title": c.title, "message": c.message, "authors": [{"user": c.author}], "date": iso(c.date)}


def paged(ctx, rows: list, path: str):
    """The JSON answer of a list route: `limit` applied, then a page of `ctx.settings.page_size` rows with the
    `Link` header of the next page (`path`: the route's own, e.g. /api/models)."""
    from starlette.responses import JSONResponse

    limit = ctx.query("limit")
    if limit is not None:
        try:
            rows = rows[: max(0, int(limit))]
        except ValueError:
            raise BadRequest(f"Invalid limit {limit!r}") from None
    page, headers = paginate(
        rows,
        ctx.query("cursor"),
        ctx.settings.page_size,
        f"{ctx.endpoint}{path}",
        dict(ctx.request.query_params.multi_items()),
    )
    return JSONResponse(page, headers=headers)


def paginate(items: list, cursor: str | None, size: int, url: str, query: dict) -> tuple[list, dict]:
    """A page of `items` and the `Link` header pointing at the next one."""
    try:
        start = int(cursor or 0)
    except ValueError:
        raise BadRequest(f"Invalid cursor {cursor!r}") from None
    page = items[start : start + size]
    headers = {}
    if start + size < len(items):
        q = {k: v for k, v in query.items() if k != "cursor"}
        q["cursor"] = str(start + size)
        headers["Link"] = f'<{url}?{urlencode(q, doseq=True)}>; rel="next"'
    return page, headers
