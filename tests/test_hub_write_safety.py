"""Writes that survive a classroom: concurrent commits to one branch (linear history, each commit lands or fails
with a clean 412 the client sees), a server killed with SIGKILL in the middle of uploads and commits (every repo
passes `git fsck`, the store is consistent, acknowledged commits are all there, the next start serves), size limits
(a clear 413, nothing written) and tokens (stored hashed, never in a log or in the hub dir)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import start_server, stop_server
from hubtest import HTTP, bearer, git
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError

from course_hub.lfs import Pointer
from course_hub.net import free_port

WRITERS = 12
KILLS = 10
SUMMARY = Path(__file__).resolve().parents[1] / "build" / "write-safety-summary.json"


def record(**figures) -> None:
    SUMMARY.parent.mkdir(exist_ok=True)
    data = json.loads(SUMMARY.read_text()) if SUMMARY.exists() else {}
    data.update(figures)
    SUMMARY.write_text(json.dumps(data, indent=1))


def first_parent_chain(api, repo_id) -> list:
    commits = api.list_repo_commits(repo_id)
    return [c.commit_id for c in commits]


def assert_linear(repo_dir: Path, branch: str = "main") -> list[str]:
    """Every commit on the branch has at most one parent; returns the history, newest first."""
    out = git("--git-dir", str(repo_dir), "rev-list", "--parents", branch).stdout.split("\n")
    rows = [line.split() for line in out if line.strip()]
    assert all(len(r) <= 2 for r in rows), "a merge commit in the history"
    return [r[0] for r in rows]


# --- concurrent writers ------------------------------------------------------------------------------------------
def commit_as(hub, repo_id, i, parent=None):
    api = HfApi(endpoint=hub.url, token=hub.token("alice"))
    ops = [
        CommitOperationAdd(f"writers/{i}.txt", f"writer {i}\n".encode()),
        CommitOperationAdd(f"writers/{i}.safetensors", os.urandom(64) + bytes([i])),
    ]  # LFS by its suffix
    return api.create_commit(repo_id, ops, commit_message=f"writer {i}", parent_commit=parent).oid


def test_concurrent_commits_all_land_in_a_linear_history(hub, api, new_repo_id, tmp_path):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    with ThreadPoolExecutor(WRITERS) as pool:
        oids = list(pool.map(lambda i: commit_as(hub, repo_id, i), range(WRITERS)))
    history = assert_linear(hub.git_path("model", repo_id))
    assert len(history) == WRITERS + 1 and set(oids) <= set(history)
    assert history == first_parent_chain(api, repo_id)
    files = {s.rfilename for s in api.model_info(repo_id).siblings}
    assert {f"writers/{i}.{ext}" for i in range(WRITERS) for ext in ("txt", "safetensors")} <= files
    path = hf_hub_download(repo_id, "writers/3.safetensors", cache_dir=tmp_path)
    assert open(path, "rb").read()[-1] == 3
    record(concurrent_writers=WRITERS, concurrent_commits_landed=len(oids))


def test_concurrent_commits_on_one_parent_one_wins_the_rest_get_412(hub, api, new_repo_id):
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    parent = api.model_info(repo_id).sha

    def attempt(i):
        try:
            return commit_as(hub, repo_id, i, parent)
        except HfHubHTTPError as e:
            return e.response.status_code

    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(pool.map(attempt, range(WRITERS)))
    won = [r for r in results if isinstance(r, str)]
    assert len(won) == 1 and sorted(r for r in results if not isinstance(r, str)) == [412] * (WRITERS - 1)
    assert assert_linear(hub.git_path("model", repo_id)) == [won[0], parent]


def test_writers_that_retry_on_conflict_all_land(hub, api, new_repo_id):
    """The client's answer to a 412: read the new head, commit again. Nothing is lost, nothing is doubled."""
    repo_id = new_repo_id()
    api.create_repo(repo_id)
    conflicts = []

    def writer(i):
        for _ in range(100):
            head = HfApi(endpoint=hub.url, token=hub.token("alice")).model_info(repo_id).sha
            try:
                return commit_as(hub, repo_id, i, head)
            except HfHubHTTPError as e:
                assert e.response.status_code == 412, e
                assert "A commit has happened since" in e.response.headers["x-error-message"]
                conflicts.append(i)
        raise AssertionError(f"writer {i} never got through")

    with ThreadPoolExecutor(WRITERS) as pool:
        oids = list(pool.map(writer, range(WRITERS)))
    history = assert_linear(hub.git_path("model", repo_id))
    assert len(history) == WRITERS + 1 and set(oids) == set(history[:-1])
    record(retrying_writers=WRITERS, conflicts_retried=len(conflicts))


# --- SIGKILL in the middle of writes -------------------------------------------------------------------------------
class Writers:
    """Three kinds of write hammering one server until it dies; remembers which commits it was told landed."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url, token
        self.acked: list[tuple[str, str, str]] = []  # (repo type, repo id, commit oid) the server answered 200 for
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.busy: set[str] = set()  # the kinds of request in flight

    def ack(self, repo_type, repo_id, oid):
        with self.lock:
            self.acked.append((repo_type, repo_id, oid))

    def run(self):
        threads = [
            threading.Thread(target=self._loop, args=(f,), daemon=True)
            for f in (self.big_commit, self.lfs_upload_then_commit, self.slow_ndjson_commit, self.refs)
        ]
        for t in threads:
            t.start()
        return threads

    def _loop(self, step):
        while not self.stop.is_set():
            self.busy.add(step.__name__)
            try:
                step()
            except Exception:  # the server is being killed: any error is expected, only acks count  # noqa: BLE001
                time.sleep(0.01)
            finally:
                self.busy.discard(step.__name__)

    def _commit(self, repo_type, repo_id, lines):
        prefix = "models" if repo_type == "model" else "datasets"
        body = b"\n".join(json.dumps(x).encode() for x in lines)
        r = HTTP.post(
            f"{self.url}/api/{prefix}/{repo_id}/commit/main",
            content=body,
            timeout=10,
            headers={**bearer(self.token), "Content-Type": "application/x-ndjson"},
        )
        if r.status_code == 200:
            self.ack(repo_type, repo_id, r.json()["commitOid"])

    def big_commit(self):
        """Hundreds of new blobs and trees: a long time spent writing git objects before the ref moves."""
        n = random.randint(100, 300)
        lines = [{"key": "header", "value": {"summary": "many files"}}]
        for i in range(n):
            lines.append(
                {
                    "key": "file",
                    "value": {
                        "path": f"many/{i // 50}/{i}-{os.urandom(3).hex()}.txt",
                        "content": base64.b64encode(os.urandom(200)).decode(),
                    },
                }
            )
        self._commit("model", "alice/kill-a", lines)

    def lfs_upload_then_commit(self):
        """A streamed 4 MB LFS upload (killed part-way more often than not), then the commit naming it."""
        data = os.urandom(4 * 1024 * 1024)
        oid = hashlib.sha256(data).hexdigest()
        r = HTTP.post(
            f"{self.url}/datasets/alice/kill-b.git/info/lfs/objects/batch",
            headers=bearer(self.token),
            json={"operation": "upload", "objects": [{"oid": oid, "size": len(data)}]},
            timeout=10,
        )
        href = r.json()["objects"][0]["actions"]["upload"]["href"]

        def chunks():
            for i in range(0, len(data), 128 * 1024):
                time.sleep(0.01)
                yield data[i : i + 128 * 1024]

        assert HTTP.put(href, content=chunks(), timeout=30).status_code == 200
        self._commit(
            "dataset",
            "alice/kill-b",
            [
                {"key": "header", "value": {"summary": "weights"}},
                {
                    "key": "lfsFile",
                    "value": {"path": f"w/{oid[:8]}.parquet", "algo": "sha256", "oid": oid, "size": len(data)},
                },
            ],
        )

    def slow_ndjson_commit(self):
        """A commit whose body trickles in: killed while the server is still reading it."""
        lines = [{"key": "header", "value": {"summary": "slow"}}] + [
            {
                "key": "file",
                "value": {
                    "path": f"slow/{os.urandom(4).hex()}.txt",
                    "content": base64.b64encode(os.urandom(3000)).decode(),
                },
            }
            for _ in range(20)
        ]
        body = b"\n".join(json.dumps(x).encode() for x in lines)

        def trickle():
            for i in range(0, len(body), 4096):
                time.sleep(0.01)
                yield body[i : i + 4096]

        r = HTTP.post(
            f"{self.url}/api/models/alice/kill-a/commit/main",
            content=trickle(),
            timeout=10,
            headers={**bearer(self.token), "Content-Type": "application/x-ndjson"},
        )
        if r.status_code == 200:
            self.ack("model", "alice/kill-a", r.json()["commitOid"])

    def refs(self):
        time.sleep(0.1)
        name = os.urandom(4).hex()
        HTTP.post(
            f"{self.url}/api/models/alice/kill-a/branch/b-{name}", headers=bearer(self.token), json={}, timeout=10
        )
        HTTP.post(
            f"{self.url}/api/models/alice/kill-a/tag/main",
            headers=bearer(self.token),
            json={"tag": f"t-{name}", "message": "tag"},
            timeout=10,
        )
        if random.random() < 0.2:
            HTTP.post(
                f"{self.url}/api/repos/create",
                headers=bearer(self.token),
                json={"name": f"kill-new-{name}"},
                timeout=10,
            )


def check_hub_dir(hub_dir: Path, hashed: set | None = None) -> dict:
    """Every bare repo passes `git fsck --full`, the SQLite store passes `integrity_check`, every file of every ref
    that is an LFS pointer names a stored object whose bytes hash to its name, and every repo of the store exists."""
    from course_hub.gitrepo import GitRepo
    from course_hub.lfs import LfsStore

    db = sqlite3.connect(hub_dir / "hub.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    repos = db.execute("SELECT type, id FROM repos").fetchall()
    db.close()
    lfs = LfsStore(hub_dir / "lfs", hub_dir / "tmp")
    pointers = 0
    for repo_type, repo_id in repos:
        path = hub_dir / "repos" / f"{repo_type}s" / f"{repo_id}.git"
        assert path.is_dir(), f"{repo_type} {repo_id} is in the store but has no git repo"
        fsck = git("--git-dir", str(path), "fsck", "--full", "--no-dangling", check=False)
        assert fsck.returncode == 0 and "error" not in fsck.stderr.lower(), (repo_id, fsck.stdout, fsck.stderr)
        repo = GitRepo(path)
        branches, tags = repo.refs()
        assert "main" in branches, f"{repo_id} has no main branch"
        blobs = {
            e.blob: e.path for sha in set(branches.values()) | set(tags.values()) for e in repo.files(sha).values()
        }
        for blob, name in blobs.items():
            pointer = Pointer.parse(repo.blob(blob))
            if pointer:
                pointers += 1
                assert lfs.has(pointer.oid, pointer.size), (repo_id, name)
    hashed = set() if hashed is None else hashed  # objects already checked (they never change)
    for obj in (hub_dir / "lfs").rglob("*"):
        if obj.is_file() and obj.name not in hashed:
            hashed.add(obj.name)
            h = hashlib.sha256()
            with open(obj, "rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
            assert h.hexdigest() == obj.name, f"LFS object {obj.name} does not hash to its name"
    return {"repos": len(repos), "pointers": pointers}


@pytest.mark.slow  # a server of its own, killed -9 mid-write again and again
@pytest.mark.serial
def test_sigkill_mid_upload_and_commit_leaves_everything_consistent(tmp_path):
    from course_hub.hub import Hub

    hub_dir = tmp_path / "hub"
    token = Hub(hub_dir).store.create_token("alice", "write")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    proc, _ = start_server(hub_dir, port, log)
    api = HfApi(endpoint=url, token=token)
    try:
        api.create_repo("alice/kill-a")
        api.create_repo("alice/kill-b", repo_type="dataset")
        rng = random.Random(os.environ.get("COURSE_HUB_KILL_SEED", "8"))
        stale_locks = acked = 0
        interrupted: dict[str, int] = {}
        hashed: set[str] = set()
        for _ in range(KILLS):
            writers = Writers(url, token)
            threads = writers.run()
            time.sleep(rng.uniform(0.2, 0.8))
            for kind in writers.busy:  # what the kill interrupts
                interrupted[kind] = interrupted.get(kind, 0) + 1
            proc.kill()  # SIGKILL: no cleanup, no finally
            proc.wait(10)
            writers.stop.set()
            for t in threads:
                t.join(30)
            stale_locks += len(list((hub_dir / "repos").rglob("*.lock")))
            check_hub_dir(hub_dir, hashed)
            proc, _ = start_server(hub_dir, port, log)
            assert not list((hub_dir / "repos").rglob("*.lock")), "the restarted hub left stale git locks"
            for repo_type, repo_id in {(t, i) for t, i, _ in writers.acked}:  # acknowledged commits survive
                history = set(assert_linear(hub_dir / "repos" / f"{repo_type}s" / f"{repo_id}.git"))
                lost = [oid for t, i, oid in writers.acked if (t, i) == (repo_type, repo_id) and oid not in history]
                assert not lost, f"acknowledged commits of {repo_id} are lost: {lost}"
            # the restarted hub serves, and takes writes again (no stale lock refuses them)
            assert api.model_info("alice/kill-a").sha == assert_linear(hub_dir / "repos/models/alice/kill-a.git")[0]
            api.upload_file(path_or_fileobj=os.urandom(100), path_in_repo="after.bin", repo_id="alice/kill-a")
            hf_hub_download("alice/kill-a", "after.bin", cache_dir=tmp_path / "cache", token=token, endpoint=url)
            acked += len(writers.acked)
        figures = check_hub_dir(hub_dir)
        record(
            sigkills_survived=KILLS,
            commits_acknowledged_before_kills=acked,
            stale_git_locks_cleared=stale_locks,
            kills_during=interrupted,
            repos_checked=figures["repos"],
            lfs_pointers_checked=figures["pointers"],
        )
    finally:
        stop_server(proc)


# --- size limits ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_hub(tmp_path_factory):
    """A hub that takes request bodies up to 64 KiB and LFS objects up to 100 kB."""
    from course_hub.hub import Hub

    hub_dir = tmp_path_factory.mktemp("small") / "hub"
    token = Hub(hub_dir).store.create_token("alice", "write")
    port = free_port()
    proc, _ = start_server(
        hub_dir,
        port,
        hub_dir.parent / "server.log",
        env={"COURSE_HUB_MAX_BODY": "65536", "COURSE_HUB_MAX_UPLOAD": "100000"},
    )
    url = f"http://127.0.0.1:{port}"
    HfApi(endpoint=url, token=token).create_repo("alice/limits")
    yield url, token, hub_dir
    stop_server(proc)


def state(hub_dir: Path) -> tuple:
    """What a refused upload must not change: the refs, the LFS objects, the temp files."""
    repo = hub_dir / "repos/models/alice/limits.git"
    refs = git("--git-dir", str(repo), "show-ref").stdout
    return (
        refs,
        sorted(p.name for p in (hub_dir / "lfs").rglob("*")),
        sorted(p.name for p in (hub_dir / "tmp").iterdir()),
    )


def test_oversize_bodies_get_a_clear_413_and_write_nothing(small_hub):
    url, token, hub_dir = small_hub
    before = state(hub_dir)
    header = json.dumps({"key": "header", "value": {"summary": "big"}}).encode()
    big = (
        header
        + b"\n"
        + json.dumps(
            {"key": "file", "value": {"path": "big.txt", "content": base64.b64encode(os.urandom(200_000)).decode()}}
        ).encode()
    )
    commit_url = f"{url}/api/models/alice/limits/commit/main"
    headers = {**bearer(token), "Content-Type": "application/x-ndjson"}
    r = HTTP.post(commit_url, content=big, headers=headers)  # declared Content-Length
    assert r.status_code == 413 and r.headers["x-error-code"] == "PayloadTooLarge"
    assert "too large" in r.json()["error"] and "65536" in r.json()["error"]
    r = HTTP.post(commit_url, content=iter([big[i : i + 8192] for i in range(0, len(big), 8192)]), headers=headers)
    assert r.status_code == 413 and r.headers["x-error-code"] == "PayloadTooLarge"  # streamed, no length
    api = HfApi(endpoint=url, token=token)
    with pytest.raises(HfHubHTTPError) as e:  # what a learner sees from upload_file
        api.upload_file(path_or_fileobj=os.urandom(100_000), path_in_repo="big.txt", repo_id="alice/limits")
    assert e.value.response.status_code == 413 and "too large" in str(e.value)
    with pytest.raises(HfHubHTTPError) as e:  # a file over the upload limit: refused at preupload, before any byte
        api.upload_file(path_or_fileobj=os.urandom(150_000), path_in_repo="big.bin", repo_id="alice/limits")
    assert e.value.response.status_code == 413 and "takes in one file (100000 bytes" in str(e.value)
    batch = f"{url}/alice/limits.git/info/lfs/objects/batch"  # git-lfs asks the batch API directly: a per-object 413
    r = HTTP.post(
        batch, headers=bearer(token), json={"operation": "upload", "objects": [{"oid": "0" * 64, "size": 150_000}]}
    )
    assert r.json()["objects"][0]["error"]["code"] == 413
    data = os.urandom(90_000)
    oid = hashlib.sha256(data).hexdigest()
    r = HTTP.post(
        batch,
        headers=bearer(token),
        json={"operation": "upload", "objects": [{"oid": oid, "size": len(data)}]},
    )
    href = r.json()["objects"][0]["actions"]["upload"]["href"]
    r = HTTP.put(href, content=data + os.urandom(200_000))  # more than announced (and than the limit)
    assert r.status_code in (400, 413) and r.headers["x-error-code"] in ("BadRequest", "PayloadTooLarge")
    assert state(hub_dir) == before
    api.upload_file(path_or_fileobj=b"small\n", path_in_repo="small.txt", repo_id="alice/limits")  # still works


# --- tokens ----------------------------------------------------------------------------------------------------------
def test_tokens_stored_hashed_never_logged(hub, api, new_repo_id, tmp_path):
    """Tokens travel as Bearer and Basic (git), valid and not; none of them is ever written anywhere in the hub dir
    or the server's log, and the store keeps only SHA-256 digests."""
    store = hub.store()
    token = store.create_token("tokencheck", "write", name="log-check")
    wrong = "hf_" + "Q" * 34
    repo_id = new_repo_id("tokencheck")
    HfApi(endpoint=hub.url, token=token).create_repo(repo_id, private=True)
    HfApi(endpoint=hub.url, token=token).upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id)
    for t in (token, wrong):
        HTTP.get(f"{hub.url}/api/whoami-v2", headers=bearer(t))
        HTTP.get(f"{hub.url}/{repo_id}/resolve/main/x.txt", headers=bearer(t))
        r = HTTP.post(f"{hub.url}/api/models/{repo_id}/commit/main", headers=bearer(t), content=b"\xff not ndjson")
        assert t not in r.text and t not in str(r.headers)
    clone = git("clone", f"http://tokencheck:{token}@127.0.0.1:{hub.port}/{repo_id}", str(tmp_path / "c"), check=False)
    assert clone.returncode == 0, clone.stderr
    git("clone", f"http://tokencheck:{wrong}@127.0.0.1:{hub.port}/{repo_id}", str(tmp_path / "d"), check=False)
    db = sqlite3.connect(hub.dir / "hub.sqlite3")
    digests = [d for (d,) in db.execute("SELECT digest FROM tokens WHERE user='tokencheck'")]
    db.close()
    assert digests == [hashlib.sha256(token.encode()).hexdigest()]
    needles = [t.encode() for t in (token, wrong)] + [
        base64.b64encode(f"tokencheck:{t}".encode()) for t in (token, wrong)
    ]
    found = []
    for path in [hub.log, *hub.dir.rglob("*")]:  # not the LFS objects nor git's (zlib) objects: uploaded content
        if path.is_file() and not path.is_relative_to(hub.dir / "lfs") and "objects" not in path.parts:
            data = path.read_bytes()
            found += [str(path) for n in needles if n in data]
    assert not found, f"a token is written in {found}"
