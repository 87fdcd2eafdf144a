"""Fast, in-process tests of the course hub's handlers and access policy: Starlette's TestClient over
`create_app(Settings(...))` on a fresh hub dir — no server process, no client library. The real-client suites
(test_hub_*.py against a running hub) stay the contract; these pin the pieces between them."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from course_hub import Hub, HubDir, Settings
from course_hub.app import create_app
from course_hub.errors import GatedRepo, RepoNotFound
from course_hub.store import Identity

README = b"---\nlicense: mit\npipeline_tag: text-classification\n---\n# A model\n"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("inprocess") / "hub"
    hub = Hub(root)
    for user in ("owner", "stranger", "granted"):
        hub.store.ensure_user(user)
    hub.store.add_member("org", "owner", "admin")
    tokens = {u: hub.store.create_token(u, role="write") for u in ("owner", "stranger", "granted")}
    tokens["reader"] = hub.store.create_token("stranger", role="read")
    files = {"README.md": README, "config.json": b"{}", "weights.bin": b"\0" * 64}
    hub.create_repo("model", "owner/public", initial=files, author="owner")
    hub.create_repo("model", "owner/gated", gated="manual", initial=files, author="owner")
    hub.create_repo("model", "owner/private", private=True, initial=files, author="owner")
    hub.store.set_access("model", "owner/gated", "granted", "accepted")
    return {"root": root, "hub": hub, "tokens": tokens}


def client(world, **settings) -> TestClient:
    return TestClient(create_app(Settings(hub_dir=world["root"], **settings)))


def auth(world, who: str | None) -> dict:
    return {"Authorization": f"Bearer {world['tokens'][who]}"} if who else {}


# --- the policy on its own: decisions without HTTP -------------------------------------------------------
def ident(user: str, role: str = "write") -> Identity:
    return Identity(user, role, "test")


def test_policy_gated_repo_list_is_public_contents_are_not(world):
    policy = world["hub"].policy
    for who in (None, ident("stranger"), ident("granted"), ident("owner")):
        assert policy.see(who, "model", "owner/gated").id == "owner/gated"
    with pytest.raises(GatedRepo) as e:
        policy.download(None, "model", "owner/gated", "http://hub")
    assert e.value.status == 401 and "log in" in e.value.message
    with pytest.raises(GatedRepo) as e:
        policy.download(ident("stranger"), "model", "owner/gated", "http://hub")
    assert e.value.status == 403 and "http://hub/owner/gated" in e.value.message
    assert policy.download(ident("granted"), "model", "owner/gated", "http://hub")
    assert policy.download(ident("owner", "read"), "model", "owner/gated", "http://hub")  # members always


def test_policy_private_is_invisible_outside_its_namespace(world):
    policy = world["hub"].policy
    with pytest.raises(RepoNotFound) as e:
        policy.see(None, "model", "owner/private")
    assert e.value.status == 401  # anonymous: log in, it may be private
    with pytest.raises(RepoNotFound) as e:
        policy.see(ident("stranger"), "model", "owner/private")
    assert e.value.status == 404
    assert policy.see(ident("owner", "read"), "model", "owner/private")


def test_policy_write_and_admin(world):
    policy = world["hub"].policy
    assert policy.write(ident("owner"), "model", "owner/public")
    for who, status in ((None, 401), (ident("owner", "read"), 403), (ident("stranger"), 403)):
        with pytest.raises(Exception) as e:
            policy.write(who, "model", "owner/public")
        assert e.value.status == status, who
    assert policy.can_write(ident("owner"), "org") and not policy.can_write(ident("stranger"), "org")
    assert policy.is_admin(ident("owner"), "org") and not policy.is_admin(ident("owner", "read"), "org")


# --- handlers through HTTP, in process --------------------------------------------------------------------
def test_gated_tree_is_public_download_is_gated(world):
    c = client(world)
    tree = c.get("/api/models/owner/gated/tree/main")
    assert tree.status_code == 200 and "weights.bin" in {e["path"] for e in tree.json()}
    r = c.get("/owner/gated/resolve/main/config.json")
    assert r.status_code == 401 and r.headers["x-error-code"] == "GatedRepo"
    r = c.get("/owner/gated/resolve/main/config.json", headers=auth(world, "stranger"))
    assert r.status_code == 403 and r.headers["x-error-code"] == "GatedRepo"
    r = c.get("/owner/gated/resolve/main/config.json", headers=auth(world, "granted"))
    assert r.status_code == 200 and r.content == b"{}"


def test_errors_render_in_one_shape(world):
    c = client(world)
    r = c.get("/api/models/owner/nope")
    assert r.status_code == 401 and r.headers["x-error-code"] == "RepoNotFound"
    assert r.json()["error"] == r.headers["x-error-message"]
    head = c.head("/owner/public/resolve/main/missing.txt")
    assert head.status_code == 404 and head.headers["x-error-code"] == "EntryNotFound" and head.content == b""
    assert len(head.headers["x-repo-commit"]) == 40
    r = c.get("/api/models/owner/public/revision/no-such-branch")
    assert r.status_code == 404 and r.headers["x-error-code"] == "RevisionNotFound"
    r = c.delete("/api/health")
    assert r.status_code == 405 and r.headers["x-error-code"] == "MethodNotAllowed"
    r = c.get("/api/not-a-route/at-all/really")
    assert r.status_code == 404 and r.headers["x-error-code"] == "NotFound"


def test_repo_exists_answer_carries_its_url(world):
    r = client(world).post("/api/repos/create", json={"name": "public"}, headers=auth(world, "owner"))
    assert r.status_code == 409 and r.headers["x-error-code"] == "RepoExists"
    assert r.json()["url"].endswith("/owner/public") and r.headers["x-repo-url"] == r.json()["url"]


def test_private_repos_are_filtered_from_lists(world):
    c = client(world)
    ids = lambda who: {m["id"] for m in c.get("/api/models", headers=auth(world, who)).json()}
    assert "owner/private" not in ids(None) and "owner/private" not in ids("stranger")
    assert "owner/private" in ids("owner") and "owner/gated" in ids(None)


def test_settings_reach_the_handlers(world):
    c = client(world, page_size=1, max_body=100)
    r = c.get("/api/models")
    assert len(r.json()) == 1 and 'rel="next"' in r.headers["link"]
    r = c.post("/api/validate-yaml", content=b"x" * 200, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.headers["x-error-code"] == "PayloadTooLarge"


def test_lean_settings_are_a_small_machines_defaults(tmp_path):
    """COURSE_HUB_LEAN=1 (set by helpers.ensure_server on a small machine): one Space, shorter idle times; a
    variable set explicitly still wins."""
    from course_hub.settings import Settings

    plain = Settings.from_env({"COURSE_HUB_DIR": str(tmp_path)})
    assert (plain.lean, plain.max_spaces, plain.space_idle_s, plain.inference_idle_s) == (False, 2, 1800.0, 600.0)
    lean = Settings.from_env({"COURSE_HUB_DIR": str(tmp_path), "COURSE_HUB_LEAN": "1"})
    assert (lean.lean, lean.max_spaces, lean.space_idle_s, lean.inference_idle_s) == (True, 1, 300.0, 120.0)
    mine = Settings.from_env(
        {
            "COURSE_HUB_DIR": str(tmp_path),
            "COURSE_HUB_LEAN": "1",
            "COURSE_HUB_MAX_SPACES": "3",
            "COURSE_HUB_INFERENCE_IDLE_S": "30",
        }
    )
    assert (mine.max_spaces, mine.inference_idle_s) == (3, 30.0)


def test_classroom_refuses_anonymous_but_keeps_the_hubs_own_answers(world):
    c = client(world, classroom=True)
    assert c.get("/api/health").status_code == 200
    r = c.get("/api/models")
    assert r.status_code == 401 and r.headers["x-error-code"] == "Unauthorized"
    r = c.get("/owner/gated/resolve/main/config.json")  # huggingface.co's own refusal comes first
    assert r.status_code == 401 and r.headers["x-error-code"] == "GatedRepo"
    r = c.post("/api/repos/create", json={"name": "x"})
    assert r.status_code == 401 and r.headers["x-error-code"] == "Unauthorized"
    assert c.get("/api/models", headers=auth(world, "stranger")).status_code == 200


def test_a_bad_token_is_401_everywhere(world):
    r = client(world).get("/api/models", headers={"Authorization": "Bearer hf_notatoken"})
    assert r.status_code == 401 and r.headers["x-error-code"] == "InvalidCredentials"


def test_copy_to_export_forgets_credentials(world, tmp_path):
    out = HubDir(world["root"]).copy_to(tmp_path / "export", export=True)
    assert not out.secret_file.exists() and not out.tokens_dir.exists()
    hub = Hub(out.root)
    assert hub.store.identify(world["tokens"]["owner"]) is None
    assert hub.store.access_status("model", "owner/gated", "granted") is None
    assert {r.id for r in hub.store.repos()} == {"owner/public", "owner/gated", "owner/private"}
    private = HubDir(world["root"]).copy_to(tmp_path / "private")
    assert Hub(private.root).store.identify(world["tokens"]["owner"]).user == "owner"
