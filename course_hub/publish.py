"""`course-hub publish`: push the built course repos to a Hub you control (huggingface.co, or another course hub).

    course-hub publish --endpoint https://huggingface.co --token hf_... [--org ORG] [--gated auto|manual]

Only huggingface_hub's public HTTP API: `create_repo(exist_ok=True)` (a Space with its SDK), one `create_commit` per
commit of the built `main` branch (so the history and the tags, e.g. `v1.0`, that the notebooks use exist there
too), `create_tag`, `update_repo_settings(gated=...)`. Large files go as LFS, as the remote hub's `.gitattributes`
says. Idempotent: a repo whose files (git blob ids, LFS pointers included) already equal the built head is "up to
date" and gets no commit; a repo that has older files gets one commit that brings it to the built head.

What is published: the built repos of the course's organisation (`build.json`'s list, not what the notebooks
created since). `--upstream` also pushes the upstream models the course serves under their own ids
(`sentence-transformers/...`, `HuggingFaceTB/...`): only for a stand-in of huggingface.co, which has them already.
Another user's private repo (`alice/private-notes`) is never published.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .gitrepo import GitRepo
from .hubdir import HubDir
from .lfs import Pointer
from .store import Store

HF_CO = "https://huggingface.co"
IGNORED_REMOTE = {".gitattributes"}  # the Hub writes one into every new repo (the built repos carry the same one)


class PublishError(RuntimeError):
    """A problem the publisher can fix; its message says how (the command prints it as one line)."""


@dataclass
class Local:
    """A built repo as the local hub dir has it."""

    repo_type: str
    repo_id: str
    private: bool
    gated: str | bool
    git: GitRepo

    def history(self) -> list[str]:
        """`main`'s first-parent commits, oldest first."""
        head = self.git.head("main")
        return [c.sha for c in reversed(self.git.log(head))] if head else []

    def files(self, sha: str) -> dict[str, str]:
        return {path: entry.blob for path, entry in self.git.files(sha).items()}

    def space_sdk(self, sha: str) -> str | None:
        if self.repo_type != "space":
            return None
        import yaml

        text = self.git.blob(self.git.files(sha)["README.md"].blob).decode("utf-8", "replace")
        if text.startswith("---"):
            meta = yaml.safe_load(text.split("---", 2)[1]) or {}
            return meta.get("sdk")
        return None


def built_repos(hub_dir: Path, org: str, upstream: bool = False) -> list[Local]:
    """The repos `course-hub build` made, in build order: those of `org` (and the upstream ones if asked)."""
    layout = HubDir(hub_dir)
    info = layout.build_info()
    if info is None:
        raise PublishError(f"the course hub in {layout.root} is not built: run `course-hub build` first")
    store = Store(layout.store_db)
    orgs = {u["name"] for u in store.users() if u["is_org"]}
    out = []
    for entry in info.get("repos", []):
        repo_type, repo_id = entry.split(":", 1)
        rec = store.get_repo(repo_type, repo_id)
        if rec is None or rec.private:
            continue
        namespace = repo_id.split("/", 1)[0]
        if namespace != org and not (upstream and namespace in orgs):  # never a user's repo
            continue
        out.append(
            Local(repo_type, repo_id, rec.private, rec.gated or False, GitRepo(layout.repo_path(repo_type, repo_id)))
        )
    if not any(r.repo_id.startswith(f"{org}/") for r in out):
        raise PublishError(
            f"no built repo belongs to {org!r}: `course-hub build` made the course's repos under the "
            "org in pyproject.toml's [tool.hf-hands-on]; set it there and rebuild, or pass --org"
        )
    return out


class Publisher:
    def __init__(self, hub_dir: Path, endpoint: str, token: str, gated: str = "auto", progress=print):
        from huggingface_hub import HfApi

        self.layout = HubDir(hub_dir)
        self.endpoint = endpoint.rstrip("/")
        self.api = HfApi(endpoint=self.endpoint, token=token)
        self.gated = gated
        self.progress = progress
        self.commits = 0

    # --- checks before anything is written -------------------------------------------------------------------
    def whoami(self, orgs: list[str]) -> str:
        from huggingface_hub.errors import HfHubHTTPError

        try:
            me = self.api.whoami()
        except HfHubHTTPError as e:
            status = e.response.status_code if e.response is not None else "?"
            raise PublishError(
                f"{self.endpoint} refused the token ({status}): make a write token of a user who "
                "administers the course's organisation, and pass it with --token"
            ) from None
        role = me.get("auth", {}).get("accessToken", {}).get("role")
        if role == "read":
            raise PublishError(
                "the token is a read token: publishing needs a write token (or a fine-grained token "
                "that may write to the organisation's repos)"
            )
        mine = {o["name"] for o in me.get("orgs", [])} | {me["name"]}
        for org in orgs:
            if org not in mine:
                raise PublishError(
                    f"{me['name']} is not a member of the organisation {org!r} on {self.endpoint}: "
                    f"create it there ({self.endpoint}/organizations/new) or ask its admin to add "
                    "you as admin/write, or set another org in pyproject.toml's [tool.hf-hands-on] "
                    "and rebuild"
                )
        return me["name"]

    # --- one repo ---------------------------------------------------------------------------------------------
    def remote_files(self, repo: Local, revision: str = "main") -> dict[str, str] | None:
        from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

        try:
            items = self.api.list_repo_tree(repo.repo_id, repo_type=repo.repo_type, recursive=True, revision=revision)
            return {f.path: f.blob_id for f in items if hasattr(f, "blob_id")}
        except RevisionNotFoundError:
            return {}
        except RepositoryNotFoundError:
            return None

    def operations(self, repo: Local, want: dict[str, str], have: dict[str, str]) -> list:
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete

        ops = []
        for path, blob in sorted(want.items()):
            if have.get(path) == blob:
                continue
            data = repo.git.blob(blob)
            pointer = Pointer.parse(data)
            if (
                pointer is not None
                and self.layout.lfs_dir.joinpath(pointer.oid[:2], pointer.oid[2:4], pointer.oid).is_file()
            ):
                content = self.layout.lfs_dir / pointer.oid[:2] / pointer.oid[2:4] / pointer.oid
                ops.append(CommitOperationAdd(path_in_repo=path, path_or_fileobj=str(content)))
            else:
                ops.append(CommitOperationAdd(path_in_repo=path, path_or_fileobj=data))
        for path in sorted(set(have) - set(want) - IGNORED_REMOTE):
            ops.append(CommitOperationDelete(path_in_repo=path))
        return ops

    def publish_repo(self, repo: Local) -> str:
        """Bring one remote repo to the built state; returns what was done, in a few words."""
        history = repo.history()
        head_files = repo.files(history[-1])
        have = self.remote_files(repo)
        created = have is None
        if created:
            self.api.create_repo(
                repo.repo_id,
                repo_type=repo.repo_type,
                private=False,
                exist_ok=True,
                space_sdk=repo.space_sdk(history[-1]),
            )
            have = self.remote_files(repo) or {}
        done = []
        theirs = {p: b for p, b in have.items() if p not in IGNORED_REMOTE or p in head_files}
        if theirs == head_files:
            done.append("files up to date")
        else:
            # a repo with none of the built files yet gets the whole history; one that has older files, one commit
            replay = created or not (set(have) - IGNORED_REMOTE)
            todo = history if replay else history[-1:]
            for sha in todo:
                info = repo.git.commit_info(sha)
                want = repo.files(sha)
                ops = self.operations(repo, want, have)
                if not ops:
                    continue
                self.api.create_commit(
                    repo.repo_id,
                    ops,
                    commit_message=info.title,
                    commit_description=info.message.partition("\n")[2].strip() or None,
                    repo_type=repo.repo_type,
                )
                self.commits += 1
                have = {**{p: b for p, b in have.items() if p in IGNORED_REMOTE}, **want}
            done.append(f"{len(todo)} commit(s)" if replay else "updated to the built head")
        done += self.tags(repo, history)
        done += self.settings(repo)
        return ", ".join(done)

    def tags(self, repo: Local, history: list[str]) -> list[str]:
        """The built tags on the remote commit with the same files and title (tags are releases: never moved)."""
        _, local_tags = repo.git.refs()
        if not local_tags:
            return []
        refs = self.api.list_repo_refs(repo.repo_id, repo_type=repo.repo_type)
        remote_tags = {t.name for t in refs.tags}
        missing = {name: sha for name, sha in local_tags.items() if name not in remote_tags}
        if not missing:
            return ["tags up to date"]
        remote = self.api.list_repo_commits(repo.repo_id, repo_type=repo.repo_type)
        out = []
        for name, sha in sorted(missing.items()):
            title, want = repo.git.commit_info(sha).title, repo.files(sha)
            match = next(
                (
                    c.commit_id
                    for c in remote
                    if c.title == title
                    and {
                        p: b
                        for p, b in (self.remote_files(repo, c.commit_id) or {}).items()
                        if p not in IGNORED_REMOTE or p in want
                    }
                    == want
                ),
                None,
            )
            if match is None:
                out.append(
                    f"tag {name} NOT made (no commit there has its files; delete the repo's tag-less "
                    "history or tag it by hand)"
                )
                continue
            self.api.create_tag(
                repo.repo_id, tag=name, revision=match, repo_type=repo.repo_type, tag_message=f"Release {name}"
            )
            out.append(f"tag {name}")
        return out

    def settings(self, repo: Local) -> list[str]:
        if not repo.gated:
            return []
        current = self.api.repo_info(repo.repo_id, repo_type=repo.repo_type).gated
        if current == self.gated:
            return [f"gated={self.gated} up to date"]
        self.api.update_repo_settings(repo.repo_id, gated=self.gated, repo_type=repo.repo_type)
        return [f"gated={self.gated}"]


def publish(
    hub_dir: Path, endpoint: str, token: str, org: str, gated: str = "auto", upstream: bool = False, progress=print
) -> int:
    """Push every built repo of `org` (and the upstream ones with `upstream`); returns the number of commits made."""
    repos = built_repos(hub_dir, org, upstream)
    pub = Publisher(hub_dir, endpoint, token, gated, progress)
    user = pub.whoami(sorted({r.repo_id.split("/", 1)[0] for r in repos}))
    progress(f"publishing {len(repos)} repos to {pub.endpoint} as {user}")
    for repo in repos:
        what = pub.publish_repo(repo)
        progress(f"  {repo.repo_type:8} {repo.repo_id}: {what}")
    progress("up to date: no new commits" if pub.commits == 0 else f"done: {pub.commits} new commit(s)")
    return pub.commits
