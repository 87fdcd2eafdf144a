"""The course hub's peers, over the same bytes: nginx serving a static tree (hard links to the same LFS objects,
API answers recorded from the course hub as JSON files) and olah in offline mode over git mirrors of the same repos.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

from course_hub import HubDir

from .common import BENCH, Server, fresh_dir

OLAH_VERSION = "0.5.4"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# (repo type, repo id): what the peer benchmarks download
REPOS = [
    ("model", "sentence-transformers/all-MiniLM-L6-v2"),
    ("model", "HuggingFaceTB/SmolLM2-135M-Instruct"),
    ("dataset", "hf-hands-on/sentiment-snippets"),
]
POINTER_PREFIX = b"version https://git-lfs.github.com/spec/v1\noid sha256:"


def git(repo: Path, *args: str, text: bool = True):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=text).stdout


def checkout(hub_dir: Path, repo_type: str, repo_id: str, rev: str = "main"):
    """(commit sha, [(path, blob bytes or None, LFS object path or None)]) of a repo in a built hub."""
    repo = HubDir(hub_dir).repo_path(repo_type, repo_id)
    sha = git(repo, "rev-parse", rev).strip()
    files = []
    for line in git(repo, "ls-tree", "-r", "-l", sha).splitlines():
        meta, path = line.split("\t", 1)
        _, kind, blob, size = meta.split()
        if kind != "blob":
            continue
        data = git(repo, "cat-file", "blob", blob, text=False)
        if int(size) < 200 and data.startswith(POINTER_PREFIX):
            oid = data[len(POINTER_PREFIX) :].split(b"\n", 1)[0].decode()
            files.append((path, None, hub_dir / "lfs" / oid[:2] / oid[2:4] / oid))
        else:
            files.append((path, data, None))
    return sha, files


def _put(dst: Path, data: bytes | None, link: Path | None) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if link is not None:
        os.link(link, dst)  # the very same inode as the course hub's object: same bytes, same page cache
    else:
        dst.write_bytes(data)


# --- nginx -----------------------------------------------------------------------------------------------------
def _record(hub_url: str, path: str, query: str, dest: Path) -> None:
    with urllib.request.urlopen(f"{hub_url}{urllib.parse.quote(path)}{query}", timeout=30) as r:
        body = r.read()
    out = dest / path.lstrip("/") / "index.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(body)


def static_tree(hub_url: str, hub_dir: Path, dest: Path) -> dict[str, str]:
    """Files at files/{type}s/{id}/{path} and the API answers snapshot_download, model_info and list_models
    read, as JSON files at api/.../index.json; returns {url prefix of a repo's files: commit sha}."""
    fresh_dir(dest)
    commits = {}
    _record(hub_url, "/api/models", "", dest)
    for repo_type, repo_id in REPOS:
        sha, files = checkout(hub_dir, repo_type, repo_id)
        for path, data, link in files:
            _put(dest / "files" / f"{repo_type}s" / repo_id / path, data, link)
        api = f"/api/{repo_type}s/{repo_id}"
        for path in (api, f"{api}/revision/main", f"{api}/revision/{sha}"):
            _record(hub_url, path, "", dest)
        for rev in ("main", sha):
            _record(hub_url, f"{api}/tree/{rev}", "?recursive=true&expand=false", dest)
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        commits[f"{prefix}{repo_id}|{repo_type}s/{repo_id}"] = sha
    return commits


def nginx_config(root: Path, commits: dict[str, str], port: int) -> str:
    """One worker process (the course hub is one process too), sendfile on, logs and temp files under root."""
    resolve = []
    for key, sha in commits.items():
        url_prefix, files = key.split("|")
        resolve.append(f"""
        location ~ ^/{url_prefix}/resolve/[^/]+/(?<p>.+)$ {{
            add_header X-Repo-Commit {sha} always;
            alias {root}/static/files/{files}/$p;
        }}""")
    user = "user root;\n" if os.geteuid() == 0 else ""  # the LFS objects are 0600 and owned by us
    temps = "\n".join(
        f"    {k}_temp_path {root}/tmp/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 30;
{temps}
    server {{
        listen 127.0.0.1:{port};
        root {root}/static;
        location = /health {{ return 200 "ok"; }}
        location /api/ {{
            default_type application/json;
            try_files $uri/index.json =404;
        }}{"".join(resolve)}
    }}
}}
"""


def nginx(hub_url: str, hub_dir: Path) -> Server:
    root = fresh_dir(BENCH / "nginx")
    commits = static_tree(hub_url, hub_dir, root / "static")
    for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (root / "tmp" / k).mkdir(parents=True)

    def argv(port: int) -> list[str]:
        (root / "nginx.conf").write_text(nginx_config(root, commits, port))
        return [NGINX, "-p", str(root), "-c", str(root / "nginx.conf"), "-e", str(root / "error.log")]

    return Server("nginx", argv, root, "/health")


def nginx_version() -> str:
    out = subprocess.run([NGINX, "-v"], capture_output=True, text=True)
    return (out.stderr or out.stdout).strip().split("/")[-1]


# --- olah ------------------------------------------------------------------------------------------------------
def olah_venv() -> Path:
    """olah in its own venv under build/ (it pins its own FastAPI/pydantic stack); installed once."""
    venv = BENCH / "olah-venv"
    cli = venv / "bin" / "olah-cli"
    if not cli.exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", f"olah=={OLAH_VERSION}"], check=True
        )
    return venv


def olah_mirrors(hub_dir: Path, dest: Path) -> None:
    """olah's mirror layout: {type}s/{org}/{name}/.git, a git dir with its LFS objects in .git/lfs/objects
    (olah reads a mirror with GitPython and LFS content from there). Hard links, so the same bytes again."""
    fresh_dir(dest)
    for repo_type, repo_id in REPOS:
        bare = HubDir(hub_dir).repo_path(repo_type, repo_id)
        gitdir = dest / f"{repo_type}s" / repo_id / ".git"
        gitdir.parent.mkdir(parents=True)
        shutil.copytree(bare, gitdir, copy_function=os.link)
        (gitdir / "config").unlink()
        (gitdir / "config").write_text("[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n")
        for _, _, link in checkout(hub_dir, repo_type, repo_id)[1]:
            if link is not None:
                oid = link.name
                target = gitdir / "lfs" / "objects" / oid[:2] / oid[2:4] / oid
                if not target.exists():
                    _put(target, None, link)


def olah(hub_dir: Path) -> Server:
    root = fresh_dir(BENCH / "olah")
    venv = olah_venv()
    olah_mirrors(hub_dir, root / "mirrors")
    (root / "cache").mkdir()
    (root / "logs").mkdir()

    def argv(port: int) -> list[str]:
        (root / "olah.toml").write_text(f"""[basic]
host = "127.0.0.1"
port = {port}
repos-path = "{root}/cache"
mirrors-path = ["{root}/mirrors"]
mirror-netloc = "127.0.0.1:{port}"
mirror-lfs-netloc = "127.0.0.1:{port}"
[accessibility]
offline = true
""")
        return [str(venv / "bin" / "olah-cli"), "-c", str(root / "olah.toml"), "--log-path", str(root / "logs")]

    return Server("olah", argv, root, "/api/models/sentence-transformers/all-MiniLM-L6-v2")


def olah_version() -> str:
    venv = BENCH / "olah-venv"
    try:
        out = subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import importlib.metadata as m;print(m.version('olah'))"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not installed"
