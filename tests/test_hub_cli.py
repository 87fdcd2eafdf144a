"""The `course-hub` command: tokens, orgs, status, serve (and how fast it starts), stop, and --hub-dir."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, start_server, stop_server
from hubtest import HTTP
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from course_hub import HubDir
from course_hub.net import ServerInfo, free_port, wait_until_up

COURSE_HUB = Path(sys.executable).parent / "course-hub"  # the installed console script


def course_hub(*args, env: dict | None = None, script: bool = False) -> subprocess.CompletedProcess:
    cmd = [str(COURSE_HUB)] if script and COURSE_HUB.exists() else [sys.executable, "-m", "course_hub"]
    return subprocess.run(
        [*cmd, *[str(a) for a in args]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_token_create_prints_a_token_whoami_accepts(hub):
    out = course_hub("token", "create", "carol", "--role", "write", "--hub-dir", hub.dir, script=True)
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip()
    assert re.fullmatch(r"hf_[A-Za-z0-9]{30,}", token), out.stdout
    me = HfApi(endpoint=hub.url, token=token).whoami()
    assert me["name"] == "carol" and me["auth"]["accessToken"]["role"] == "write"
    # the default role is read, and a read token cannot create repos
    out = course_hub("token", "create", "carol", "--name", "carol-laptop", "--hub-dir", hub.dir)
    reader = HfApi(endpoint=hub.url, token=out.stdout.strip())
    me = reader.whoami()
    assert me["auth"]["accessToken"] == {"displayName": "carol-laptop", "role": "read"}
    with pytest.raises(HfHubHTTPError) as e:
        reader.create_repo("carol/nope")
    assert e.value.response.status_code == 403
    # an organisation cannot have a token
    out = course_hub("token", "create", "acme", "--hub-dir", hub.dir)
    assert out.returncode != 0 and "organisation" in out.stderr


def test_org_command(hub, new_repo_id):
    token = course_hub("token", "create", "dave", "--role", "write", "--hub-dir", hub.dir).stdout.strip()
    dave = HfApi(endpoint=hub.url, token=token)
    repo_id = new_repo_id("acme")
    with pytest.raises(HfHubHTTPError):
        dave.create_repo(repo_id)
    out = course_hub("org", "acme", "dave", "--role", "write", "--hub-dir", hub.dir)
    assert out.returncode == 0, out.stderr
    me = dave.whoami()
    assert me["name"] == "dave" and {"name": "acme", "roleInOrg": "write"}.items() <= me["orgs"][0].items()
    dave.create_repo(repo_id)
    assert dave.model_info(repo_id).author == "acme"
    out = course_hub("org", "acme", "dave", "--role", "owner", "--hub-dir", hub.dir)
    assert out.returncode != 0


def test_status_lists_repos_and_users(hub, api, new_repo_id):
    public, private = new_repo_id(prefix="status"), new_repo_id(prefix="status-private")
    api.create_repo(public, repo_type="dataset")
    api.create_repo(private, private=True)
    api.update_repo_settings(public, gated="manual", repo_type="dataset")
    out = course_hub("status", "--hub-dir", hub.dir, script=True)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert f"hub dir: {hub.dir}" in text
    assert re.search(rf"dataset\s+{re.escape(public)}\s+\[gated=manual\]", text), text
    assert re.search(rf"model\s+{re.escape(private)}\s+\[private\]", text), text
    assert re.search(r"user\s+alice\s+tokens: [1-9]", text) and "member of: acme (admin)" in text
    assert re.search(r"org\s+acme", text)
    assert hub.url in text  # the running server (from server.json)


def test_hub_dir_option_overrides_the_environment(tmp_path):
    env_dir, flag_dir = tmp_path / "from-env", tmp_path / "from-flag"
    from course_hub.store import Store

    env = {"COURSE_HUB_DIR": str(env_dir)}
    for args in (
        ["token", "create", "erin", "--hub-dir", flag_dir],
        ["--hub-dir", flag_dir, "token", "create", "erin"],
    ):
        out = course_hub(*args, env=env)
        assert out.returncode == 0, out.stderr
        assert Store(flag_dir / "hub.sqlite3").identify(out.stdout.strip()).user == "erin"
    assert not env_dir.exists()
    out = course_hub("status", env=env)
    assert f"hub dir: {env_dir}" in out.stdout and "not built yet" in out.stdout
    out = course_hub("status", "--hub-dir", flag_dir, env=env)
    assert f"hub dir: {flag_dir}" in out.stdout and "erin" in out.stdout
    out = course_hub("--hub-dir", flag_dir, "status", env=env)
    assert f"hub dir: {flag_dir}" in out.stdout


def test_serve_starts_fast_then_status_and_stop(tmp_path, record_property):
    """Serve an empty hub dir: it answers /api/health (under a second on a quiet machine; its speed is make bench's
    to report, so this only bounds it loosely), records itself in server.json, refuses a second server on the same
    port, and `course-hub stop` ends it."""
    hub_dir, port = tmp_path / "fresh-hub", free_port()
    proc, startup = start_server(hub_dir, port, tmp_path / "serve.log")
    try:
        record_property("serve_startup_s", round(startup, 3))
        print(f"course-hub serve answered /api/health after {startup:.2f}s")
        assert startup < 30  # no build, no model load on the way (a loaded 2-core machine: seconds, not minutes)
        url = f"http://127.0.0.1:{port}"
        info = ServerInfo.read(HubDir(hub_dir).server_file)
        assert info.url == url and info.pid == proc.pid
        assert HTTP.get(f"{url}/api/health").json()["repos"] == 0
        out = course_hub("status", "--hub-dir", hub_dir)
        assert f"{url} (pid {proc.pid})" in out.stdout
        again = course_hub("serve", "--hub-dir", hub_dir, "--port", port)
        assert again.returncode == 1 and "already serves" in again.stderr
        out = course_hub("stop", "--hub-dir", hub_dir)
        assert out.returncode == 0 and url in out.stdout
        assert proc.wait(10) == 0
        assert not HubDir(hub_dir).server_file.exists()
        assert "not running" in course_hub("status", "--hub-dir", hub_dir).stdout
        assert "no course hub is running" in course_hub("stop", "--hub-dir", hub_dir).stdout
    finally:
        stop_server(proc)


def test_serve_the_session_hub_started_fast(hub):
    """The session's server (on a copy of the built hub, when there is one) starts without rebuilding anything."""
    print(f"session hub (built content: {hub.built}) answered after {hub.startup_s:.2f}s")
    assert hub.startup_s < 30


def test_second_server_on_port_zero(tmp_path):
    hub_dir = tmp_path / "hub0"
    log = tmp_path / "serve0.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "course_hub", "serve", "--hub-dir", str(hub_dir), "--port", "0"],
        cwd=ROOT,
        stdout=open(log, "wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while (info := ServerInfo.read(HubDir(hub_dir).server_file)) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        url = info.url
        wait_until_up(url, proc, 10, hub=True, log_path=log)
        assert HTTP.get(f"{url}/api/health").json()["service"] == "course-hub"
        assert not url.endswith(":0")
    finally:
        stop_server(proc)
    assert proc.returncode == 0
    assert not HubDir(hub_dir).server_file.exists()


def test_built_hub_copy_leaves_the_original_alone(hub, tmp_path):
    """The session hub is a hard-linked copy of the built course hub: writing to it (API commits with LFS files,
    tags, git pushes) must not change the original's files, nor show up in it."""
    if not hub.built:
        pytest.skip("the course hub is not built: the session hub is empty, not a copy")
    import hashlib

    from conftest import file_state
    from hubtest import git, with_credentials
    from huggingface_hub import CommitOperationAdd

    store = hub.store()
    rec = next(r for r in store.repos("model") if not r.private)
    is_org = store.get_user(rec.namespace)["is_org"]
    if is_org:
        store.add_member(rec.namespace, "copy-tester", "write")
    user = "copy-tester" if is_org else rec.namespace
    api = HfApi(endpoint=hub.url, token=hub.token(user, "write"))
    original = hub.source / "repos" / "models" / f"{rec.id}.git"
    # (the original may be in use by a course hub of its own while we run: only what existed now must stay put)
    before = file_state(original)
    assert before, original
    branch = f"copy-test-{os.urandom(3).hex()}"
    weights = os.urandom(2000)
    refs_before = api.list_repo_refs(rec.id)
    api.create_branch(rec.id, branch=branch)
    try:
        commit = api.create_commit(
            rec.id,
            revision=branch,
            commit_message="writes to the copy",
            operations=[
                CommitOperationAdd("copy-test.safetensors", weights),
                CommitOperationAdd("copy-test.txt", b"x"),
            ],
        ).oid
        api.create_tag(rec.id, tag=branch, revision=branch, tag_message="a tag in the copy")
        work = tmp_path / "clone"
        git(
            "clone",
            "--quiet",
            "--branch",
            branch,
            with_credentials(hub.url, user, hub.token(user, "write")) + "/" + rec.id,
            str(work),
        )
        (work / "pushed.txt").write_text("pushed to the copy\n")
        git("add", "-A", cwd=work)
        git("commit", "--quiet", "-m", "push to the copy", cwd=work)
        git("push", "--quiet", "origin", f"HEAD:refs/heads/{branch}-git", cwd=work)
        pushed = git("rev-parse", "HEAD", cwd=work).stdout.strip()
        assert api.model_info(rec.id, revision=f"{branch}-git").sha == pushed
    finally:  # leave the copy's refs as the content tests expect them
        for b in (branch, f"{branch}-git"):
            if b in {r.name for r in api.list_repo_refs(rec.id).branches}:
                api.delete_branch(rec.id, branch=b)
        if branch in {t.name for t in api.list_repo_refs(rec.id).tags}:
            api.delete_tag(rec.id, tag=branch)
    assert api.list_repo_refs(rec.id) == refs_before
    # the copy really changed...
    copy = hub.git_path("model", rec.id)
    assert (copy / "objects" / commit[:2] / commit[2:]).exists()
    oid = hashlib.sha256(weights).hexdigest()
    assert (hub.dir / "lfs" / oid[:2] / oid[2:4] / oid).exists()
    # ...the original did not: no file that was there changed, none of our objects, refs or LFS files are there
    after = file_state(original)
    assert {k: after.get(k) for k in before} == before
    for sha in (commit, pushed):
        assert not (original / "objects" / sha[:2] / sha[2:]).exists()
    assert not (hub.source / "lfs" / oid[:2] / oid[2:4] / oid).exists()
    assert not any(branch in name for name in after)
    packed = original / "packed-refs"
    assert not packed.exists() or branch not in packed.read_text()
