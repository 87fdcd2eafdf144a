"""Who may do what: every route of the hub's route table × six callers × five kinds of repo, each answer asserted
exactly (status and `X-Error-Code`).

Callers: anonymous, a wrong token, a read token and a write token of users unrelated to the repo, the repo's owner
(a user namespace), an admin of the organisation that holds it. Kinds of repo, seen from the caller:

    public             a public repo of the owner's namespace (the admin's org for the admin)
    gated-closed       gated ("manual"), the caller was not let in
    gated-granted      gated, the caller's access request was accepted (the read and write users)
    private-other      private, in the namespace of a stranger
    private-own        private, in the caller's own namespace (the owner's, for callers without a namespace)

The expected answer is a function of the route's kind (`EXPECT`) and of what the caller may do with that repo
(`Rights`): read the info, read the files, write, administer. A route of the table that no case below reaches
fails `test_every_route_has_a_case`.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hubtest import HTTP, bearer
from huggingface_hub import HfApi

from course_hub.app import ROUTES

ROLES = ("anonymous", "wrong-token", "read", "write", "owner", "org-admin")
KINDS = ("public", "gated-closed", "gated-granted", "private-other", "private-own")
GATED = ("gated-closed", "gated-granted")
REPO_NAMES = {"public": "public", "gated-closed": "gated-closed", "gated-granted": "gated-open"}
OK = (200, None)
RESULTS: dict[str, int] = {}  # cells checked per case, for the summary


@dataclass(frozen=True)
class Rights:
    """What one caller may do with one repo, from the hub's rules (not from its answers)."""

    signed_in: bool
    visible: bool  # info, commits, refs
    readable: bool  # files (gated repos: only members and those let in)
    writer: bool  # commits, branches, tags (a write token in a namespace the caller can write)
    admin: bool  # settings, deletion, access requests
    write_token: bool = False  # the caller's token has the write role (discussions, pull requests)


def rights(role: str, kind: str) -> Rights:
    member = (role in ("owner", "org-admin") and kind != "private-other") or (
        kind == "private-own" and role in ("read", "write")
    )
    visible = kind not in ("private-other", "private-own") or member
    readable = visible and (kind not in GATED or member or (kind == "gated-granted" and role in ("read", "write")))
    writer = member and role != "read"
    return Rights(
        role not in ("anonymous", "wrong-token"),
        visible,
        readable,
        writer,
        writer,
        role in ("write", "owner", "org-admin"),
    )


def not_found(r: Rights) -> tuple[int, str]:
    """A repo the caller may not see: 404 RepoNotFound; 401 for anonymous callers (log in, it may be private)."""
    return (404 if r.signed_in else 401), "RepoNotFound"


def login() -> tuple[int, str]:
    return 401, "InvalidCredentials"


def forbidden() -> tuple[int, str]:
    return 403, "Forbidden"


def expect_info(r: Rights, kind: str):
    return OK if r.visible else not_found(r)


def expect_files(r: Rights, kind: str):
    if not r.visible:
        return not_found(r)
    if not r.readable:
        return (403 if r.signed_in else 401), "GatedRepo"
    return OK


def _signed_in_and(r: Rights, allowed: bool):
    """Visible repo, signed-in caller, then `allowed` decides (403 otherwise)."""
    if not r.visible:
        return not_found(r)
    if not r.signed_in:
        return login()
    return OK if allowed else forbidden()


def expect_write(r: Rights, kind: str):
    return _signed_in_and(r, r.writer)


def expect_files_then_write(r: Rights, kind: str):
    files = expect_files(r, kind)
    return files if files != OK else expect_write(r, kind)


def expect_admin(r: Rights, kind: str):
    return _signed_in_and(r, r.admin)


def expect_delete(r: Rights, kind: str):
    """The repo is named in the body: no login, no lookup."""
    return login() if not r.signed_in else expect_admin(r, kind)


def expect_manage_access(r: Rights, kind: str):
    first = expect_admin(r, kind)
    if first != OK:
        return first
    return OK if kind in GATED else (400, "BadRequest")  # not a gated repo: nothing to manage


def expect_ask_access(r: Rights, kind: str):
    if not r.visible:
        return not_found(r)
    if not r.signed_in:
        return login()
    return OK if kind in GATED else (400, "BadRequest")


def expect_create(r: Rights, kind: str):
    if not r.signed_in:
        return login()
    return OK if r.writer else forbidden()


def expect_git_read(r: Rights, kind: str):
    """git: an anonymous refusal is always a 401 with `WWW-Authenticate` (git then asks for credentials)."""
    return expect_files(r, kind)


# --- the website (course_hub/web): a private repo's page is 404 whoever asks; forms need a CSRF token unless a
# Bearer token comes with them (a cross-site form cannot send one); a form's success is a 303 to the next page
SEE_OTHER = (303, None)


def page_not_found(r: Rights) -> tuple[int, str]:
    return 404, "RepoNotFound"


def expect_page_info(r: Rights, kind: str):
    return OK if r.visible else page_not_found(r)


def expect_page_files(r: Rights, kind: str):
    if not r.visible:
        return page_not_found(r)
    if not r.readable:
        return (403 if r.signed_in else 401), "GatedRepo"
    return OK


def expect_page_manage(r: Rights, kind: str, success=OK):
    if not r.visible:
        return page_not_found(r)
    if not r.signed_in:
        return login()
    if not r.admin:
        return forbidden()
    return success if kind in GATED else (400, "BadRequest")


def expect_page_form(then: Callable) -> Callable:
    """A form POST: no session and no Bearer token, no CSRF token: 403 before anything else."""
    return lambda r, kind: forbidden() if not r.signed_in else then(r, kind)


def expect_page_ask(r: Rights, kind: str):
    if not r.visible:
        return page_not_found(r)
    return SEE_OTHER if kind in GATED else (400, "BadRequest")


# --- discussions and pull requests: a read token only reads; a pull request needs the files (gated: access); the
# matrix's discussions and PRs are opened by the user of the repo's namespace (the org's admin for the org), so
# "its author" and "a writer" are the same callers here (tests/test_hub_community.py tells them apart)
def expect_discuss(r: Rights, kind: str):
    return _signed_in_and(r, r.write_token)


def expect_propose(r: Rights, kind: str):
    if not r.visible:
        return not_found(r)
    if not r.signed_in:
        return login()
    if not r.readable:
        return 403, "GatedRepo"
    return OK if r.write_token else forbidden()


def expect_push_pr(r: Rights, kind: str):
    first = expect_propose(r, kind)
    return first if first != OK else (OK if r.writer else forbidden())


EXPECT: dict[str, Callable[[Rights, str], tuple[int, str | None]]] = {
    "discuss": expect_discuss,
    "propose": expect_propose,
    "push-pr": expect_push_pr,
    "open": lambda r, kind: OK,
    "who": lambda r, kind: OK if r.signed_in else login(),
    "info": expect_info,
    "files": expect_files,
    "write": expect_write,
    "files+write": expect_files_then_write,
    "admin": expect_admin,
    "delete": expect_delete,
    "manage-access": expect_manage_access,
    "ask-access": expect_ask_access,
    "create": expect_create,
    "signed-url": lambda r, kind: forbidden(),  # no valid signature: refused whoever asks (tokens don't matter)
    "xet-cas": lambda r, kind: login(),  # only a Xet token from xet-read/write-token opens the CAS
    "git-read": expect_git_read,
    "git-write": expect_write,
    "react": lambda r, kind: _signed_in_and(r, True),  # like/unlike: anyone signed in who sees the repo
    # webhooks: a write token manages its user's own; another id (here none exists) is 404 (tests/test_webhooks.py)
    "webhooks": lambda r, kind: login() if not r.signed_in else OK if r.write_token else forbidden(),
    "webhook-missing": lambda r, kind: (
        login() if not r.signed_in else (404, "NotFound") if r.write_token else forbidden()
    ),
    "page-open": lambda r, kind: OK,
    "page-info": expect_page_info,
    "page-files": expect_page_files,
    "page-never": lambda r, kind: page_not_found(r),
    "page-no-user": lambda r, kind: (404, "NotFound"),  # a person page of a user who does not exist
    "page-manage": expect_page_manage,
    "page-manage-post": expect_page_form(lambda r, kind: expect_page_manage(r, kind, SEE_OTHER)),
    "page-ask": expect_page_form(expect_page_ask),
    "page-signed-in": lambda r, kind: OK if r.signed_in else SEE_OTHER,  # anonymous: to the sign-in page
    "page-login-post": expect_page_form(lambda r, kind: login()),  # a Bearer caller, no user name and token
    "page-logout": expect_page_form(lambda r, kind: SEE_OTHER),
    "page-token-create": expect_page_form(lambda r, kind: OK),
    "page-token-delete": expect_page_form(lambda r, kind: (404, "NotFound")),  # no token has that id
    # the Community tab's forms (new discussion, comment): as the API's `discuss`, a page's 404 for hidden repos
    "page-discuss": expect_page_form(
        lambda r, kind: page_not_found(r) if not r.visible else SEE_OTHER if r.write_token else forbidden()
    ),
    # inference: access as for a download; the matrix's repos have no pipeline_tag, so an allowed caller gets the
    # 400 that names the tasks the hub runs (the worker is never started by these)
    "inference": lambda r, kind: expect_files(r, kind) if expect_files(r, kind) != OK else (400, "BadRequest"),
}


# --- the world: fresh users, an org and eleven repos, made through the API ---------------------------------------
@dataclass
class World:
    hub: object
    tag: str
    tokens: dict  # role -> token (None: anonymous)
    setup: dict  # namespace -> write token used to build it
    names: dict  # "owner"/"org"/... -> namespace

    def ns_of(self, role: str) -> str:
        """The namespace whose public and gated repos the caller sees: the org for its admin, else the owner's."""
        return self.names["org"] if role == "org-admin" else self.names["owner"]

    def repo(self, role: str, kind: str) -> str:
        if kind == "private-other":
            return f"{self.names['stranger']}/private"
        if kind == "private-own":
            own = {"read": "reader", "write": "writer", "org-admin": "org"}.get(role, "owner")
            return f"{self.names[own]}/private"
        return f"{self.ns_of(role)}/{REPO_NAMES[kind]}"

    def user(self, role: str) -> str:
        return self.names[{"read": "reader", "write": "writer", "org-admin": "admin"}.get(role, "owner")]

    def api(self, namespace: str) -> HfApi:
        return HfApi(endpoint=self.hub.url, token=self.setup[namespace])

    def sacrificial(self, role: str, kind: str) -> str:
        """A new repo with the same namespace and settings as the cell's repo (for deletions)."""
        ns, name = self.repo(role, kind).split("/")
        repo_id = f"{ns}/{name}-del-{role}"
        make_repo(self.api(ns), repo_id, kind)
        return repo_id


def make_repo(api: HfApi, repo_id: str, kind: str) -> None:
    api.create_repo(repo_id, private=kind.startswith("private"))
    if kind in GATED:
        api.update_repo_settings(repo_id, gated="manual")


@pytest.fixture(scope="module")
def world(hub):
    tag = "mx" + uuid.uuid4().hex[:6]
    store = hub.store()
    names = {k: f"{tag}-{k}" for k in ("owner", "admin", "reader", "writer", "stranger", "org", "asker", "target")}
    store.add_member(names["org"], names["admin"], "admin")
    tokens = {
        "anonymous": None,
        "wrong-token": "hf_" + "x" * 34,
        "read": store.create_token(names["reader"], "read"),
        "write": store.create_token(names["writer"], "write"),
        "owner": store.create_token(names["owner"], "write"),
        "org-admin": store.create_token(names["admin"], "write"),
    }
    setup = {
        names["owner"]: tokens["owner"],
        names["org"]: tokens["org-admin"],
        names["writer"]: tokens["write"],
        names["reader"]: store.create_token(names["reader"], "write", name="setup"),
        names["stranger"]: store.create_token(names["stranger"], "write"),
    }
    store.ensure_user(names["target"])
    w = World(hub, tag, tokens, setup, names)
    asker = store.create_token(names["asker"], "read")
    for ns in (names["owner"], names["org"]):
        api = w.api(ns)
        for kind, name in (
            ("public", "public"),
            ("gated-closed", "gated-closed"),
            ("gated-granted", "gated-open"),
            ("private-own", "private"),
        ):
            make_repo(api, f"{ns}/{name}", kind)
        for name in ("gated-closed", "gated-open"):  # someone asked: an owner has a request to handle
            assert HTTP.post(f"{hub.url}/{ns}/{name}/ask-access", headers=bearer(asker)).status_code == 200
        for user in (names["reader"], names["writer"]):
            api.grant_access(f"{ns}/gated-open", user)
    for ns in (names["stranger"], names["reader"], names["writer"]):
        make_repo(w.api(ns), f"{ns}/private", "private-own")
    for role in ROLES:  # a branch and a tag for each caller to delete
        for kind in KINDS:
            repo_id = w.repo(role, kind)
            api = w.api(repo_id.split("/")[0])
            api.create_branch(repo_id, branch=f"del-{role}", exist_ok=True)
            api.create_tag(repo_id, tag=f"del-{role}", exist_ok=True)
    make_spaces(w)
    return w


# --- one concrete request per route ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One request to one route: `build(world, role, kind) -> (method, path, body, content_type)`."""

    name: str
    handler: str  # module.function of the route it must reach
    kind: str  # a key of EXPECT
    build: Callable
    per_repo: bool = True  # False: no repo in the request, one cell per caller


def api_path(w, role, kind, rest=""):
    return f"/api/models/{w.repo(role, kind)}{rest}"


def ndjson(*items) -> bytes:
    return b"\n".join(json.dumps(i).encode() for i in items)


def commit_body(role, kind) -> bytes:
    content = base64.b64encode(f"{role} {kind}\n".encode()).decode()
    return ndjson(
        {"key": "header", "value": {"summary": f"matrix {role}"}},
        {"key": "file", "value": {"path": f"matrix/{role}-{kind}.txt", "content": content, "encoding": "base64"}},
    )


def spare_repo(w, role, kind, what: str) -> str:
    """A new repo like the cell's (same namespace and settings), for a case that takes it away (made once; "-del-"
    keeps it out of the listing checks)."""
    ns, name = w.repo(role, kind).split("/")
    repo_id = f"{ns}/{name}-del-{what}-{role}"
    made = w.__dict__.setdefault("spares", set())
    if repo_id not in made:
        make_repo(w.api(ns), repo_id, kind)
        made.add(repo_id)
    return repo_id


def collection(w, role, spare: bool = False) -> dict:
    """A public collection of the caller's namespace (the owner's for callers without one), holding one paper per
    caller to delete; `spare`: a new one, to delete."""
    ns = w.ns_of(role)
    key = (ns, role if spare else None)
    made = w.__dict__.setdefault("collections", {})
    if key not in made:
        token = w.setup[ns]
        r = HTTP.post(
            f"{w.hub.url}/api/collections",
            headers=bearer(token),
            json={"title": f"matrix {role if spare else 'shared'}", "namespace": ns},
        )
        slug = r.json()["slug"]
        for i in range(len(ROLES) + 1):
            r = HTTP.post(
                f"{w.hub.url}/api/collections/{slug}/items",
                headers=bearer(token),
                json={"item": {"type": "paper", "id": f"2301.{i:05d}"}},
            )
        made[key] = r.json()
    return made[key]


def lfs_batch(operation):
    return lambda w, role, kind: (
        "POST",
        f"/{w.repo(role, kind)}.git/info/lfs/objects/batch",
        json.dumps(
            {"operation": operation, "transfers": ["basic"], "objects": [{"oid": "0" * 64, "size": 1}]}
        ).encode(),
        "application/vnd.git-lfs+json",
    )


JSON = "application/json"


def webhook_case(name: str, method: str, rest: str = "") -> Case:
    """A route of one webhook, asked for an id that is nobody's."""

    def build(w, role, kind):
        body = b"{}" if method == "POST" else None
        return method, f"/api/settings/webhooks/{'0' * 24}{rest}", body, JSON if body else None

    return Case(f"webhook {name}", f"webhooks.{name}", "webhook-missing", build, False)


CASES = [
    Case("whoami", "read.whoami", "who", lambda w, role, kind: ("GET", "/api/whoami-v2", None, None), False),
    Case("health", "read.health", "open", lambda w, role, kind: ("GET", "/api/health", None, None), False),
    Case(
        "validate-yaml",
        "write.validate_yaml",
        "open",
        lambda w, role, kind: ("POST", "/api/validate-yaml", b'{"content": "---\\nlicense: mit\\n---\\n"}', JSON),
        False,
    ),
    Case(
        "list",
        "read.list_repos",
        "open",
        lambda w, role, kind: ("GET", f"/api/models?search={w.tag}", None, None),
        False,
    ),
    Case(
        "create",
        "write.create_repo",
        "create",
        lambda w, role, kind: (
            "POST",
            "/api/repos/create",
            json.dumps(
                {
                    "name": f"new-{role}-{kind}",
                    "organization": w.repo(role, kind).split("/")[0],
                    "private": kind.startswith("private"),
                }
            ).encode(),
            JSON,
        ),
    ),
    Case(
        "delete",
        "write.delete_repo",
        "delete",
        lambda w, role, kind: (
            "DELETE",
            "/api/repos/delete",
            json.dumps(dict(zip(("organization", "name"), w.sacrificial(role, kind).split("/")))).encode(),
            JSON,
        ),
    ),
    Case("info", "read.repo_info", "info", lambda w, role, kind: ("GET", api_path(w, role, kind), None, None)),
    Case(
        "info@rev",
        "read.repo_info",
        "info",
        lambda w, role, kind: ("GET", api_path(w, role, kind, "/revision/main"), None, None),
    ),
    # a gated repo's file list is public, as on huggingface.co since 2024 (only file contents are gated)
    Case(
        "tree",
        "read.tree",
        "info",
        lambda w, role, kind: ("GET", api_path(w, role, kind, "/tree/main"), None, None),
    ),
    Case(
        "paths-info",
        "read.paths_info",
        "info",
        lambda w, role, kind: (
            "POST",
            api_path(w, role, kind, "/paths-info/main"),
            b"paths=.gitattributes",
            "application/x-www-form-urlencoded",
        ),
    ),
    Case(
        "commits",
        "read.commits",
        "info",
        lambda w, role, kind: ("GET", api_path(w, role, kind, "/commits/main"), None, None),
    ),
    Case("refs", "read.refs", "info", lambda w, role, kind: ("GET", api_path(w, role, kind, "/refs"), None, None)),
    Case(
        "auth-check",
        "read.auth_check",
        "files",
        lambda w, role, kind: ("GET", api_path(w, role, kind, "/auth-check"), None, None),
    ),
    Case(
        "auth-check/write",
        "read.auth_check",
        "files+write",
        lambda w, role, kind: ("GET", api_path(w, role, kind, "/auth-check/write"), None, None),
    ),
    Case(
        "settings",
        "write.update_settings",
        "admin",
        lambda w, role, kind: ("PUT", api_path(w, role, kind, "/settings"), b"{}", JSON),
    ),
    Case(
        "branch",
        "write.create_branch",
        "write",
        lambda w, role, kind: ("POST", api_path(w, role, kind, f"/branch/new-{role}"), b"{}", JSON),
    ),
    Case(
        "branch-delete",
        "write.delete_branch",
        "write",
        lambda w, role, kind: ("DELETE", api_path(w, role, kind, f"/branch/del-{role}"), None, None),
    ),
    Case(
        "tag",
        "write.create_tag",
        "write",
        lambda w, role, kind: (
            "POST",
            api_path(w, role, kind, "/tag/main"),
            json.dumps({"tag": f"new-{role}"}).encode(),
            JSON,
        ),
    ),
    Case(
        "tag-delete",
        "write.delete_tag",
        "write",
        lambda w, role, kind: ("DELETE", api_path(w, role, kind, f"/tag/del-{role}"), None, None),
    ),
    Case(
        "preupload",
        "write.preupload",
        "write",
        lambda w, role, kind: (
            "POST",
            api_path(w, role, kind, "/preupload/main"),
            b'{"files": [{"path": "a.txt", "size": 1, "sample": "YQ=="}]}',
            JSON,
        ),
    ),
    Case(
        "commit",
        "write.commit",
        "write",
        lambda w, role, kind: (
            "POST",
            api_path(w, role, kind, "/commit/main"),
            commit_body(role, kind),
            "application/x-ndjson",
        ),
    ),
    Case(
        "access-requests",
        "access.list_requests",
        "manage-access",
        lambda w, role, kind: ("GET", api_path(w, role, kind, "/user-access-request/pending"), None, None),
    ),
    Case(
        "access-handle",
        "access.handle",
        "manage-access",
        lambda w, role, kind: (
            "POST",
            api_path(w, role, kind, "/user-access-request/handle"),
            json.dumps({"user": w.names["asker"], "status": "rejected"}).encode(),
            JSON,
        ),
    ),
    Case(
        "access-grant",
        "access.grant",
        "manage-access",
        lambda w, role, kind: (
            "POST",
            api_path(w, role, kind, "/user-access-request/grant"),
            json.dumps({"user": w.names["target"]}).encode(),
            JSON,
        ),
    ),
    Case(
        "ask-access",
        "access.ask_access",
        "ask-access",
        lambda w, role, kind: ("POST", f"/{w.repo(role, kind)}/ask-access", b"", None),
    ),
    Case(
        "resolve",
        "files.resolve",
        "files",
        lambda w, role, kind: ("GET", f"/{w.repo(role, kind)}/resolve/main/.gitattributes", None, None),
    ),
    Case(
        "resolve HEAD",
        "files.resolve",
        "files",
        lambda w, role, kind: ("HEAD", f"/{w.repo(role, kind)}/resolve/main/.gitattributes", None, None),
    ),
    Case("lfs-batch download", "lfs.batch", "files", lfs_batch("download")),
    # a pull request's LFS files are uploaded before its commit: whoever may propose one uploads (api/community.py)
    Case("lfs-batch upload", "lfs.batch", "propose", lfs_batch("upload")),
    # Xet (api/xet.py): its tokens follow downloads and LFS uploads; the CAS takes only its own tokens (a hub token,
    # anyone's, is 401) and its xorb URLs only their signature
    Case(
        "xet read token",
        "xet.read_token",
        "files",
        lambda w, role, kind: ("GET", f"/api/models/{w.repo(role, kind)}/xet-read-token/main", None, None),
    ),
    Case(
        "xet write token",
        "xet.write_token",
        "propose",
        lambda w, role, kind: ("GET", f"/api/models/{w.repo(role, kind)}/xet-write-token/main", None, None),
    ),
    Case(
        "xet reconstruction",
        "xet.reconstruction",
        "xet-cas",
        lambda w, role, kind: ("GET", f"/xet-cas/v1/reconstructions/{'0' * 64}", None, None),
        False,
    ),
    Case(
        "xet xorb data",
        "xet.xorb_data",
        "signed-url",
        lambda w, role, kind: ("GET", f"/xet-cas/v1/xorb-data/{'0' * 64}?lo=0&hi=1&exp=9999999999&sig=00", None, None),
        False,
    ),
    Case(
        "xet xorb upload",
        "xet.upload_xorb",
        "xet-cas",
        lambda w, role, kind: ("POST", f"/xet-cas/v1/xorbs/default/{'0' * 64}", b"x", "application/octet-stream"),
        False,
    ),
    Case(
        "xet shard upload",
        "xet.upload_shard",
        "xet-cas",
        lambda w, role, kind: ("POST", "/xet-cas/v1/shards", b"x", "application/octet-stream"),
        False,
    ),
    Case(
        "xet dedupe",
        "xet.dedupe",
        "xet-cas",
        lambda w, role, kind: ("GET", f"/xet-cas/v1/chunks/default/{'0' * 64}", None, None),
        False,
    ),
    Case("xet stats", "xet.stats", "open", lambda w, role, kind: ("GET", "/xet-cas/v1/stats", None, None), False),
    Case(
        "lfs-object PUT",
        "lfs.upload",
        "signed-url",
        lambda w, role, kind: (
            "PUT",
            f"/lfs-objects/{'0' * 64}?size=1&expires=9999999999&action=upload&sig=00",
            b"x",
            "application/octet-stream",
        ),
        False,
    ),
    Case(
        "lfs-object GET",
        "lfs.download",
        "signed-url",
        lambda w, role, kind: (
            "GET",
            f"/lfs-objects/{'0' * 64}?size=1&expires=9999999999&action=download&sig=00",
            None,
            None,
        ),
        False,
    ),
    Case(
        "git info/refs (fetch)",
        "git_http.git_http",
        "git-read",
        lambda w, role, kind: ("GET", f"/{w.repo(role, kind)}.git/info/refs?service=git-upload-pack", None, None),
    ),
    Case(
        "git-upload-pack",
        "git_http.git_http",
        "git-read",
        lambda w, role, kind: (
            "POST",
            f"/{w.repo(role, kind)}.git/git-upload-pack",
            b"0000",
            "application/x-git-upload-pack-request",
        ),
    ),
    Case(
        "git info/refs (push)",
        "git_http.git_http",
        "git-write",
        lambda w, role, kind: ("GET", f"/{w.repo(role, kind)}.git/info/refs?service=git-receive-pack", None, None),
    ),
    Case(
        "git-receive-pack",
        "git_http.git_http",
        "git-write",
        lambda w, role, kind: (
            "POST",
            f"/{w.repo(role, kind)}.git/git-receive-pack",
            b"0000",
            "application/x-git-receive-pack-request",
        ),
    ),
    Case(
        "course token",
        "course.token",
        "who",
        lambda w, role, kind: (
            "POST",
            "/api/course/token",
            json.dumps({"user": w.user(role), "role": "read"}).encode(),
            JSON,
        ),
        False,
    ),
    # whole repos: move (a repo made for it; named in the body, like delete), duplicate, squash, LFS storage
    Case(
        "move",
        "manage.move_repo",
        "delete",
        lambda w, role, kind: (
            "POST",
            "/api/repos/move",
            json.dumps(
                {"fromRepo": (src := spare_repo(w, role, kind, "mv")), "toRepo": src + "-moved", "type": "model"}
            ).encode(),
            JSON,
        ),
    ),
    Case(
        "duplicate",
        "manage.duplicate",
        "files+write",
        lambda w, role, kind: (
            "POST",
            api_path(w, role, kind, "/duplicate"),
            json.dumps({"repository": f"{w.repo(role, kind)}-del-dup-{role}"}).encode(),
            JSON,
        ),
    ),
    Case(
        "super-squash",
        "manage.super_squash",
        "write",
        lambda w, role, kind: ("POST", api_path(w, role, kind, "/super-squash/main"), b'{"message": "squash"}', JSON),
    ),
    Case(
        "lfs-files",
        "manage.list_lfs_files",
        "admin",
        lambda w, role, kind: ("GET", api_path(w, role, kind, "/lfs-files"), None, None),
    ),
    Case(
        "lfs-files delete",
        "manage.delete_lfs_files",
        "admin",
        lambda w, role, kind: (
            "POST",
            api_path(w, role, kind, "/lfs-files/batch"),
            json.dumps({"deletions": {"sha": ["0" * 64], "rewriteHistory": True}}).encode(),
            JSON,
        ),
    ),
    # likes and collections (collections of the caller's namespace, or the owner's: one cell per caller)
    Case("like", "social.like", "react", lambda w, role, kind: ("POST", api_path(w, role, kind, "/like"), None, None)),
    Case(
        "likers",
        "social.likers",
        "info",
        lambda w, role, kind: ("GET", api_path(w, role, kind, "/likers"), None, None),
    ),
    Case(
        "liked repos",
        "social.liked_by",
        "open",
        lambda w, role, kind: ("GET", f"/api/users/{w.names['owner']}/likes", None, None),
        False,
    ),
    Case(
        "collections",
        "social.list_collections",
        "open",
        lambda w, role, kind: ("GET", f"/api/collections?owner={w.ns_of(role)}", None, None),
        False,
    ),
    Case(
        "collection create",
        "social.create_collection",
        "create",
        lambda w, role, kind: (
            "POST",
            "/api/collections",
            json.dumps({"title": f"made by {role}", "namespace": w.ns_of(role)}).encode(),
            JSON,
        ),
        False,
    ),
    Case(
        "collection",
        "social.get_collection",
        "open",
        lambda w, role, kind: ("GET", f"/api/collections/{collection(w, role)['slug']}", None, None),
        False,
    ),
    Case(
        "collection update",
        "social.update_collection",
        "create",
        lambda w, role, kind: (
            "PATCH",
            f"/api/collections/{collection(w, role)['slug']}",
            b'{"description": "updated"}',
            JSON,
        ),
        False,
    ),
    Case(
        "collection delete",
        "social.delete_collection",
        "create",
        lambda w, role, kind: ("DELETE", f"/api/collections/{collection(w, role, spare=True)['slug']}", None, None),
        False,
    ),
    Case(
        "collection add item",
        "social.add_item",
        "create",
        lambda w, role, kind: (
            "POST",
            f"/api/collections/{collection(w, role)['slug']}/items",
            json.dumps({"item": {"type": "model", "id": w.repo(role, "public")}}).encode(),
            JSON,
        ),
        False,
    ),
    Case(
        "collection update item",
        "social.update_item",
        "create",
        lambda w, role, kind: (
            "PATCH",
            f"/api/collections/{(c := collection(w, role))['slug']}/items/{c['items'][0]['_id']}",
            b'{"note": "updated"}',
            JSON,
        ),
        False,
    ),
    Case(
        "collection delete item",
        "social.delete_item",
        "create",
        lambda w, role, kind: (
            "DELETE",
            f"/api/collections/{(c := collection(w, role))['slug']}/items/{c['items'][ROLES.index(role) + 1]['_id']}",
            None,
            None,
        ),
        False,
    ),
    # inference (course_hub/inference)
    Case(
        "inference task",
        "api.task_api",
        "inference",
        lambda w, role, kind: ("POST", f"/models/{w.repo(role, kind)}", b'{"inputs": "hi"}', JSON),
    ),
    Case(
        "inference task (pipeline)",
        "api.task_api",
        "inference",
        lambda w, role, kind: (
            "POST",
            f"/hf-inference/models/{w.repo(role, kind)}/pipeline/feature-extraction",
            b'{"inputs": "hi"}',
            JSON,
        ),
    ),
    Case(
        "inference chat",
        "api.chat",
        "inference",
        lambda w, role, kind: (
            "POST",
            "/v1/chat/completions",
            json.dumps({"model": w.repo(role, kind), "messages": [{"role": "user", "content": "hi"}]}).encode(),
            JSON,
        ),
    ),
    Case(
        "inference chat (model URL)",
        "api.chat",
        "inference",
        lambda w, role, kind: (
            "POST",
            f"/models/{w.repo(role, kind)}/v1/chat/completions",
            b'{"model": "dummy", "messages": [{"role": "user", "content": "hi"}]}',
            JSON,
        ),
    ),
    Case("inference models", "api.list_models", "open", lambda w, role, kind: ("GET", "/v1/models", None, None), False),
    Case(
        "inference widget",
        "api.static",
        "page-open",
        lambda w, role, kind: ("GET", "/inference-static/widget.js", None, None),
        False,
    ),
]


def community(w, role, kind) -> dict:
    """The cell's repo's discussion (a description and a second comment), a draft PR to merge and one to push to,
    opened once by its namespace's user."""
    repo_id = w.repo(role, kind)
    made = w.__dict__.setdefault("community", {})
    if repo_id not in made:
        h = bearer(w.setup[repo_id.split("/")[0]])
        url = f"{w.hub.url}/api/models/{repo_id}/discussions"
        talk = HTTP.post(url, headers=h, json={"title": "matrix talk", "description": "first"}).json()
        second = HTTP.post(f"{url}/{talk['num']}/comment", headers=h, json={"comment": "second"}).json()
        pr = HTTP.post(url, headers=h, json={"title": "matrix merge", "pullRequest": True}).json()
        push = HTTP.post(url, headers=h, json={"title": "matrix push", "pullRequest": True}).json()
        made[repo_id] = {
            "talk": talk["num"],
            "first": talk["events"][0]["id"],
            "second": second["newMessage"]["id"],
            "pr": pr["num"],
            "push": push["num"],
        }
    return made[repo_id]


def discussion_path(w, role, kind, which="talk", rest=""):
    return api_path(w, role, kind, f"/discussions/{community(w, role, kind)[which]}{rest}")


CASES += [
    Case(
        "discussions",
        "community.list_discussions",
        "info",
        lambda w, role, kind: ("GET", api_path(w, role, kind, "/discussions"), None, None),
    ),
    Case(
        "discussion create",
        "community.create_discussion",
        "discuss",
        lambda w, role, kind: (
            "POST",
            api_path(w, role, kind, "/discussions"),
            json.dumps({"title": f"by {role}", "description": "hi"}).encode(),
            JSON,
        ),
    ),
    Case(
        "pull request create",
        "community.create_discussion",
        "propose",
        lambda w, role, kind: (
            "POST",
            api_path(w, role, kind, "/discussions"),
            json.dumps({"title": f"PR by {role}", "pullRequest": True}).encode(),
            JSON,
        ),
    ),
    Case(
        "discussion",
        "community.get_discussion",
        "info",
        lambda w, role, kind: ("GET", discussion_path(w, role, kind, "pr", "?diff=1"), None, None),
    ),
    Case(
        "discussion comment",
        "community.comment",
        "discuss",
        lambda w, role, kind: (
            "POST",
            discussion_path(w, role, kind, "talk", "/comment"),
            json.dumps({"comment": f"from {role}"}).encode(),
            JSON,
        ),
    ),
    Case(
        "discussion comment edit",
        "community.edit_comment",
        "write",
        lambda w, role, kind: (
            "POST",
            discussion_path(w, role, kind, "talk", f"/comment/{community(w, role, kind)['first']}/edit"),
            json.dumps({"content": f"edited by {role}"}).encode(),
            JSON,
        ),
    ),
    Case(
        "discussion comment hide",
        "community.hide_comment",
        "write",
        lambda w, role, kind: (
            "POST",
            discussion_path(w, role, kind, "talk", f"/comment/{community(w, role, kind)['second']}/hide"),
            None,
            None,
        ),
    ),
    Case(
        "discussion title",
        "community.rename",
        "write",
        lambda w, role, kind: (
            "POST",
            discussion_path(w, role, kind, "talk", "/title"),
            json.dumps({"title": f"renamed by {role}"}).encode(),
            JSON,
        ),
    ),
    Case(
        "discussion status",
        "community.change_status",
        "write",
        lambda w, role, kind: (
            "POST",
            discussion_path(w, role, kind, "talk", "/status"),
            json.dumps({"status": "closed"}).encode(),
            JSON,
        ),
    ),
    Case(
        "pull request merge",
        "community.merge",
        "write",
        lambda w, role, kind: ("POST", discussion_path(w, role, kind, "pr", "/merge"), None, None),
    ),
    Case(
        "commit create_pr",
        "write.commit",
        "propose",
        lambda w, role, kind: (
            "POST",
            api_path(w, role, kind, "/commit/main?create_pr=1"),
            commit_body(role, kind),
            "application/x-ndjson",
        ),
    ),
    Case(
        "commit to refs/pr/N",
        "write.commit",
        "push-pr",
        lambda w, role, kind: (
            "POST",
            api_path(w, role, kind, f"/commit/refs%2Fpr%2F{community(w, role, kind)['push']}"),
            commit_body(role, kind),
            "application/x-ndjson",
        ),
    ),
    Case(
        "preupload create_pr",
        "write.preupload",
        "propose",
        lambda w, role, kind: (
            "POST",
            api_path(w, role, kind, "/preupload/main?create_pr=1"),
            b'{"files": [{"path": "a.txt", "size": 1, "sample": "YQ=="}]}',
            JSON,
        ),
    ),
]


def head_of(w, role, kind) -> str:
    from course_hub.gitrepo import GitRepo

    return GitRepo(w.hub.git_path("model", w.repo(role, kind))).head()


FORM = "application/x-www-form-urlencoded"
CASES += [
    Case("web home", "routes.home", "page-open", lambda w, role, kind: ("GET", "/", None, None), False),
    Case(
        "web static",
        "routes.static",
        "page-open",
        lambda w, role, kind: ("GET", "/static/style.css", None, None),
        False,
    ),
    Case(
        "web list",
        "routes.repo_list",
        "page-open",
        lambda w, role, kind: ("GET", f"/models?search={w.tag}&sort=likes", None, None),
        False,
    ),
    Case(
        "web person",
        "routes.person",
        "page-open",
        lambda w, role, kind: ("GET", f"/{w.names['owner']}", None, None),
        False,
    ),
    Case("web login", "routes.login", "page-open", lambda w, role, kind: ("GET", "/login", None, None), False),
    # outside JupyterHub (here) the person page it was before: no user is called oauth_callback
    Case(
        "web oauth callback",
        "routes.oauth_callback",
        "page-no-user",
        lambda w, role, kind: ("GET", "/oauth_callback?code=x&state=y", None, None),
        False,
    ),
    Case(
        "web login POST",
        "routes.login",
        "page-login-post",
        lambda w, role, kind: ("POST", "/login", b"username=&token=", FORM),
        False,
    ),
    Case("web logout", "routes.logout", "page-logout", lambda w, role, kind: ("POST", "/logout", b"", FORM), False),
    Case(
        "web tokens",
        "routes.tokens",
        "page-signed-in",
        lambda w, role, kind: ("GET", "/settings/tokens", None, None),
        False,
    ),
    Case(
        "web token create",
        "routes.tokens",
        "page-token-create",
        lambda w, role, kind: ("POST", "/settings/tokens", b"name=matrix&role=read", FORM),
        False,
    ),
    Case(
        "web token delete",
        "routes.delete_token",
        "page-token-delete",
        lambda w, role, kind: ("POST", "/settings/tokens/delete", b"id=" + b"0" * 16, FORM),
        False,
    ),
    Case(
        "web repo", "routes.repo_page", "page-info", lambda w, role, kind: ("GET", f"/{w.repo(role, kind)}", None, None)
    ),
    Case(
        "web tree",
        "routes.tree",
        "page-info",
        lambda w, role, kind: ("GET", f"/{w.repo(role, kind)}/tree/main", None, None),
    ),
    Case(
        "web blob",
        "routes.blob",
        "page-files",
        lambda w, role, kind: ("GET", f"/{w.repo(role, kind)}/blob/main/.gitattributes", None, None),
    ),
    Case(
        "web download",
        "routes.download",
        "page-files",
        lambda w, role, kind: ("GET", f"/{w.repo(role, kind)}/download/main/.gitattributes", None, None),
    ),
    Case(
        "web commits",
        "routes.commits",
        "page-info",
        lambda w, role, kind: ("GET", f"/{w.repo(role, kind)}/commits/main", None, None),
    ),
    Case(
        "web commit",
        "routes.commit",
        "page-info",
        lambda w, role, kind: ("GET", f"/{w.repo(role, kind)}/commit/{head_of(w, role, kind)}", None, None),
    ),
    # the matrix's repos are models: as a dataset, none exists (the viewer itself: tests/test_web_pages.py)
    Case(
        "web viewer",
        "routes.viewer_page",
        "page-never",
        lambda w, role, kind: ("GET", f"/datasets/{w.repo(role, kind)}/viewer", None, None),
    ),
    Case(
        "web viewer media",
        "routes.viewer_media",
        "page-never",
        lambda w, role, kind: (
            "GET",
            f"/datasets/{w.repo(role, kind)}/viewer-media/{'0' * 40}/default/train/0/image",
            None,
            None,
        ),
    ),
    Case(
        "webhooks list",
        "webhooks.list_webhooks",
        "webhooks",
        lambda w, role, kind: ("GET", "/api/settings/webhooks", None, None),
        False,
    ),
    Case(
        "webhooks create",
        "webhooks.create",
        "webhooks",
        lambda w, role, kind: (
            "POST",
            "/api/settings/webhooks",
            json.dumps(
                {"url": "http://127.0.0.1:9/hook", "watched": [{"type": "user", "name": f"{w.tag}-nobody"}]}
            ).encode(),
            JSON,
        ),
        False,
    ),
    webhook_case("get", "GET"),
    webhook_case("update", "POST"),
    webhook_case("delete", "DELETE"),
    webhook_case("enable", "POST", "/enable"),
    webhook_case("disable", "POST", "/disable"),
    Case(
        "web discussions",
        "community.discussions",
        "page-info",
        lambda w, role, kind: ("GET", f"/{w.repo(role, kind)}/discussions", None, None),
    ),
    Case(
        "web discussion new",
        "community.discussions",
        "page-discuss",
        lambda w, role, kind: (
            "POST",
            f"/{w.repo(role, kind)}/discussions",
            b"title=From+the+page&description=x",
            FORM,
        ),
    ),
    Case(
        "web discussion",
        "community.discussion",
        "page-info",
        lambda w, role, kind: (
            "GET",
            f"/{w.repo(role, kind)}/discussions/{community(w, role, kind)['pr']}",
            None,
            None,
        ),
    ),
    Case(
        "web discussion comment",
        "community.discussion",
        "page-discuss",
        lambda w, role, kind: (
            "POST",
            f"/{w.repo(role, kind)}/discussions/{community(w, role, kind)['talk']}",
            b"action=comment&comment=from+the+page",
            FORM,
        ),
    ),
    Case(
        "web request access",
        "routes.request_access",
        "page-ask",
        lambda w, role, kind: ("POST", f"/{w.repo(role, kind)}/request-access", b"Name=matrix", FORM),
    ),
    Case(
        "web access requests",
        "routes.access_requests",
        "page-manage",
        lambda w, role, kind: ("GET", f"/{w.repo(role, kind)}/access-requests", None, None),
    ),
    Case(
        "web access handle",
        "routes.access_requests",
        "page-manage-post",
        lambda w, role, kind: (
            "POST",
            f"/{w.repo(role, kind)}/access-requests",
            f"user={w.names['asker']}&status=accepted".encode(),
            FORM,
        ),
    ),
]


# --- Spaces that run (course_hub/spaces): the same repos as static Spaces (served as files: nothing runs) -----------
def make_spaces(w) -> None:
    """A static Space with each model repo's id and settings; its gated ones let the read and write users in."""
    made = set()
    for role in ROLES:
        for kind in KINDS:
            repo_id = w.repo(role, kind)
            if repo_id in made:
                continue
            made.add(repo_id)
            api = w.api(repo_id.split("/")[0])
            api.create_repo(repo_id, repo_type="space", space_sdk="static", private=kind.startswith("private"))
            api.upload_file(
                path_or_fileobj=b"<h1>matrix</h1>", path_in_repo="index.html", repo_id=repo_id, repo_type="space"
            )
            if kind in GATED:
                api.update_repo_settings(repo_id, gated="manual", repo_type="space")
            if kind == "gated-granted":
                for user in (w.names["reader"], w.names["writer"]):
                    api.grant_access(repo_id, user, repo_type="space")


def space_api(w, role, kind, rest):
    return f"/api/spaces/{w.repo(role, kind)}{rest}"


CASES += [
    Case(
        "space runtime",
        "routes.runtime",
        "info",
        lambda w, role, kind: ("GET", space_api(w, role, kind, "/runtime"), None, None),
    ),
    Case(
        "space restart",
        "routes.restart",
        "write",
        lambda w, role, kind: ("POST", space_api(w, role, kind, "/restart"), None, None),
    ),
    Case(
        "space pause",
        "routes.pause",
        "write",
        lambda w, role, kind: ("POST", space_api(w, role, kind, "/pause"), None, None),
    ),
    Case(
        "space logs",
        "routes.logs",
        "files",
        lambda w, role, kind: ("GET", space_api(w, role, kind, "/logs/run"), None, None),
    ),
    Case(
        "space app",
        "routes.app",
        "files",
        lambda w, role, kind: ("GET", f"/spaces/{w.repo(role, kind)}/app/", None, None),
    ),
]


def handler_name(route) -> str:
    return f"{route.handler.__module__.rsplit('.', 1)[-1]}.{route.handler.__name__}"


def route_of(method: str, path: str):
    """The route the hub's router picks for this request (first match, HEAD falls back to GET)."""
    raw = path.split("?", 1)[0]
    for r in ROUTES:
        if r.regex.match(raw) and (method in r.methods or (method == "HEAD" and "GET" in r.methods)):
            return r
    return None


def auth_headers(token: str | None, git: bool) -> dict:
    if token is None:
        return {}
    if git:  # what git sends after `http://user:TOKEN@host/...`
        return {"Authorization": "Basic " + base64.b64encode(f"user:{token}".encode()).decode()}
    return bearer(token)


def case_route(case: Case, world: World):
    """The route a case's request reaches (deletion: without making the repo it would delete)."""
    if case.name == "delete":
        return route_of("DELETE", "/api/repos/delete")
    return route_of(*case.build(world, "owner", "public")[:2])


def test_every_route_has_a_case(world):
    """A new route in the table must get a case here (and so an expected answer for every caller and repo)."""
    reached = {}
    for case in CASES:
        r = case_route(case, world)
        assert r is not None, f"{case.name}: its request reaches no route"
        assert handler_name(r) == case.handler, f"{case.name} reaches {handler_name(r)}, not {case.handler}"
        reached[id(r)] = r
    missing = [f"{'|'.join(r.methods)} {r.pattern} -> {handler_name(r)}" for r in ROUTES if id(r) not in reached]
    assert not missing, "routes without a case in the authorization matrix:\n" + "\n".join(missing)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_matrix(hub, world, case):
    got, want = {}, {}
    for role in ROLES:
        for kind in KINDS if case.per_repo else ("-",):
            method, path, body, ctype = case.build(world, role, kind)
            git = case.kind.startswith("git")
            headers = {
                **auth_headers(world.tokens[role], git),
                **({"Content-Type": ctype} if ctype else {}),
                **({"Accept": "text/html"} if case.kind.startswith("page") else {}),
            }
            r = HTTP.request(method, hub.url + path, content=body, headers=headers)
            # the Xet CAS knows no hub token (as the Hub's CAS host): a wrong one there is no token at all
            expected = (
                (401, "InvalidCredentials")
                if role == "wrong-token" and not path.startswith("/xet-cas/")
                else EXPECT[case.kind](rights(role, kind if kind != "-" else "public"), kind)
            )
            answer = (r.status_code, r.headers.get("x-error-code"))
            got[role, kind], want[role, kind] = answer, expected
            if answer == expected and r.status_code >= 400:
                assert r.headers.get("x-error-message"), (case.name, role, kind)
                if git and r.status_code == 401 and role == "anonymous":
                    assert r.headers.get("www-authenticate", "").startswith("Basic"), (case.name, kind)
    RESULTS[case.name] = len(got)
    wrong = {k: (got[k], want[k]) for k in got if got[k] != want[k]}
    assert not wrong, f"{case.name}: (role, kind): (got, expected)\n" + "\n".join(
        f"  {k}: got {g}, expected {e}" for k, (g, e) in wrong.items()
    )


def test_listing_shows_exactly_the_visible_repos(hub, world):
    """Search never lists a repo its caller may not see (private repos of others), and lists all the others."""
    for role in ROLES:
        if role == "wrong-token":
            continue
        listed = {
            m["id"]
            for m in HTTP.get(
                f"{hub.url}/api/models", params={"search": world.tag}, headers=auth_headers(world.tokens[role], False)
            ).json()
        }
        for kind in KINDS:
            assert (world.repo(role, kind) in listed) == rights(role, kind).visible, (role, kind)
    RESULTS["list visibility"] = (len(ROLES) - 1) * len(KINDS)


def test_gated_filter_of_list_models(hub, world):
    api = HfApi(endpoint=hub.url, token=world.tokens["owner"])
    ns = world.names["owner"]
    gated = {m.id for m in api.list_models(author=ns, gated=True) if "-del-" not in m.id}
    open_ = {m.id for m in api.list_models(author=ns, gated=False) if "-del-" not in m.id}
    assert gated == {f"{ns}/gated-closed", f"{ns}/gated-open"}
    assert {f"{ns}/public", f"{ns}/private"} <= open_ and not gated & open_


def test_zz_summary(world):
    """Record the matrix's size for the issue's note (build/authz-summary.json)."""
    routes = {id(case_route(c, world)) for c in CASES}
    summary = {
        "routes": len([r for r in ROUTES if id(r) in routes]),
        "cases": len(RESULTS),
        "roles": len(ROLES),
        "repo_kinds": len(KINDS),
        "cells_checked": sum(RESULTS.values()),
    }
    out = os.path.join(os.path.dirname(__file__), "..", "build", "authz-summary.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(summary, f, indent=1)
    print("authorization matrix:", summary)
    assert summary["cells_checked"] > 0


# --- LFS objects are per repo: a sha256 is not a key to another repo's files --------------------------------------
def test_lfs_objects_of_a_private_repo_cannot_be_borrowed(hub, api, bob_api, new_repo_id, tmp_path):
    from hubtest import git, sha256, with_credentials
    from huggingface_hub import CommitOperationAdd, CommitOperationCopy, hf_hub_download

    secret = b"private weights " + os.urandom(64)
    oid = sha256(secret)
    private = new_repo_id(prefix="lfs-private")
    api.create_repo(private, private=True)
    api.upload_file(path_or_fileobj=secret, path_in_repo="w.safetensors", repo_id=private)
    theirs = new_repo_id("bob", prefix="lfs-borrower")
    bob_api.create_repo(theirs)
    bob = {**bearer(hub.token("bob")), "Content-Type": "application/x-ndjson"}

    def commit_pointer(the_oid):
        return HTTP.post(
            f"{hub.url}/api/models/{theirs}/commit/main",
            headers=bob,
            content=ndjson(
                {"key": "header", "value": {"summary": "borrow"}},
                {
                    "key": "lfsFile",
                    "value": {"path": "stolen.safetensors", "algo": "sha256", "oid": the_oid, "size": len(secret)},
                },
            ),
        )

    # naming the object in a commit: refused exactly as for an object that exists nowhere
    stolen, unknown = commit_pointer(oid), commit_pointer(sha256(os.urandom(16)))
    assert (
        (stolen.status_code, stolen.headers["x-error-code"])
        == (unknown.status_code, unknown.headers["x-error-code"])
        == (422, "BadRequest")
    )
    assert "never uploaded" in stolen.json()["error"]
    # the batch API neither hands out a download nor claims to have it already
    public = new_repo_id(prefix="lfs-public")
    api.create_repo(public)
    for repo in (theirs, public):
        r = HTTP.post(
            f"{hub.url}/{repo}.git/info/lfs/objects/batch",
            headers=bearer(hub.token("bob")),
            json={"operation": "download", "objects": [{"oid": oid, "size": len(secret)}]},
        )
        assert r.json()["objects"][0]["error"]["code"] == 404
    r = HTTP.post(
        f"{hub.url}/{theirs}.git/info/lfs/objects/batch",
        headers=bearer(hub.token("bob")),
        json={"operation": "upload", "objects": [{"oid": oid, "size": len(secret)}]},
    )
    assert "upload" in r.json()["objects"][0]["actions"]  # prove you have the bytes: upload them
    # a pointer pushed with plain git: the file is there, its content is not served
    work = tmp_path / "work"
    git("clone", with_credentials(hub.url, "bob", hub.token("bob")) + f"/{theirs}", str(work))
    (work / "pushed.safetensors").write_text(
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(secret)}\n"
    )
    git("add", "-A", cwd=work)
    git("commit", "-m", "pointer", cwd=work)
    git("push", "origin", "main", cwd=work)
    r = HTTP.get(f"{hub.url}/{theirs}/resolve/main/pushed.safetensors", headers=bearer(hub.token("bob")))
    assert r.status_code == 404 and secret not in r.content
    assert bob_api.model_info(theirs).sha  # the repo itself is fine
    # whoever really has the bytes uploads them and then may use them; the owner copies within her repo
    bob_api.create_commit(theirs, [CommitOperationAdd("mine.safetensors", secret)], commit_message="own copy")
    got = hf_hub_download(theirs, "mine.safetensors", token=hub.token("bob"), cache_dir=tmp_path / "c")
    assert open(got, "rb").read() == secret
    api.create_commit(private, [CommitOperationCopy("w.safetensors", "copy.safetensors")], commit_message="copy")
    got = hf_hub_download(private, "copy.safetensors", token=hub.token("alice"), cache_dir=tmp_path / "d")
    assert open(got, "rb").read() == secret
