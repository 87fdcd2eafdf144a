"""Discussions and pull requests on the course hub, with the real clients: HfApi's community calls,
`create_commit(create_pr=True)` / `upload_file(create_pr=True)`, `refs/pr/N` through resolve, tree, model_info and
git, merging (fast-forward, merge commit, conflict) and who may do what (alice owns the repos, bob is a stranger)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hubtest import HTTP, bearer, git
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download
from huggingface_hub.community import (
    DiscussionComment,
    DiscussionCommit,
    DiscussionStatusChange,
    DiscussionTitleChange,
    DiscussionWithDetails,
)
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

ROOT = Path(__file__).resolve().parents[1]
CARD = b"---\nlicense: mit\n---\n# A model\n\nIt classifys sentences.\n"


def status_of(excinfo) -> tuple[int, str | None]:
    r = excinfo.value.response
    return r.status_code, r.headers.get("x-error-code")


@pytest.fixture
def repo(api, new_repo_id):
    repo_id = new_repo_id(prefix="community")
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=CARD, path_in_repo="README.md", repo_id=repo_id)
    api.upload_file(path_or_fileobj=b"a\nb\nc\n", path_in_repo="notes.txt", repo_id=repo_id)
    return repo_id


def read_api(hub, user="reader"):
    return HfApi(endpoint=hub.url, token=hub.token(user, "read"))


def test_discussions_with_the_client(hub, api, bob_api, anon_api, repo):
    d = bob_api.create_discussion(repo, "Question about the labels", description="Which label is **positive**?")
    assert isinstance(d, DiscussionWithDetails)
    assert (d.num, d.status, d.author, d.is_pull_request, d.repo_id, d.repo_type) == (
        1,
        "open",
        "bob",
        False,
        repo,
        "model",
    )
    assert d.url == f"{hub.url}/{repo}/discussions/1" and d.git_reference is None
    first = d.events[0]
    assert isinstance(first, DiscussionComment) and first.content == "Which label is **positive**?"
    assert "<strong>positive</strong>" in first.rendered and not first.edited and not first.hidden
    # anyone who can see the repo reads them (anonymous too)
    listed = list(anon_api.get_repo_discussions(repo))
    assert [(x.num, x.title, x.author) for x in listed] == [(1, "Question about the labels", "bob")]
    # comments: alice answers, bob edits his own, alice may not edit bob's
    c = api.comment_discussion(repo, 1, "Label 1 is positive. <script>alert(1)</script>")
    assert isinstance(c, DiscussionComment) and c.author == "alice" and "<script>" not in c.rendered
    edited = bob_api.edit_discussion_comment(repo, 1, first.id, "Which label is positive, 0 or 1?")
    assert edited.edited and edited.content.endswith("0 or 1?") and edited.number_of_edits == 2
    with pytest.raises(HfHubHTTPError) as e:
        api.edit_discussion_comment(repo, 1, first.id, "hijacked")
    assert status_of(e) == (403, "Forbidden")
    # renaming and closing: the discussion's author (and writers); a stranger's read token reads only
    t = bob_api.rename_discussion(repo, 1, "Which label is positive?")
    assert isinstance(t, DiscussionTitleChange) and (t.old_title, t.new_title) == (
        "Question about the labels",
        "Which label is positive?",
    )
    with pytest.raises(HfHubHTTPError) as e:
        read_api(hub).comment_discussion(repo, 1, "me too")
    assert status_of(e) == (403, "Forbidden")
    with pytest.raises(HfHubHTTPError) as e:
        anon_api.comment_discussion(repo, 1, "anonymous")
    assert status_of(e) == (401, "InvalidCredentials")
    other = HfApi(endpoint=hub.url, token=hub.token("carol", "write"))
    with pytest.raises(HfHubHTTPError) as e:
        other.change_discussion_status(repo, 1, "closed")
    assert status_of(e) == (403, "Forbidden")
    s = bob_api.change_discussion_status(repo, 1, "closed", comment="Answered, thanks")
    assert isinstance(s, DiscussionStatusChange) and s.new_status == "closed"
    assert list(api.get_repo_discussions(repo, discussion_status="open")) == []
    assert [x.num for x in api.get_repo_discussions(repo, discussion_status="closed")] == [1]
    api.change_discussion_status(repo, 1, "open")
    # hiding: a writer hides a comment; its text is gone for good
    with pytest.warns(UserWarning):
        hidden = api.hide_discussion_comment(repo, 1, first.id)
    assert hidden.hidden and hidden.content == "" and hidden.edit_history == []
    details = api.get_discussion_details(repo, 1)
    assert details.title == "Which label is positive?" and details.status == "open"
    kinds = [type(ev).__name__ for ev in details.events]
    assert kinds == [
        "DiscussionComment",
        "DiscussionComment",
        "DiscussionTitleChange",
        "DiscussionComment",
        "DiscussionStatusChange",
        "DiscussionStatusChange",
    ]
    assert "Which label" not in str(details.events[0]._event)
    # filters and pages
    for i in range(3):
        bob_api.create_discussion(repo, f"Another question {i}")
    assert len(list(api.get_repo_discussions(repo, author="bob"))) == 4
    assert list(api.get_repo_discussions(repo, discussion_type="pull_request")) == []
    with pytest.raises(HfHubHTTPError) as e:
        api.get_discussion_details(repo, 99)
    assert status_of(e) == (404, "NotFound")
    with pytest.raises(HfHubHTTPError) as e:
        bob_api.create_discussion(repo, "no")  # too short a title
    assert status_of(e) == (400, "BadRequest")


def test_pull_request_from_a_stranger_is_readable_then_merged(hub, api, bob_api, repo, tmp_path):
    card = CARD.replace(b"classifys", b"classifies")
    info = bob_api.upload_file(
        path_or_fileobj=card,
        path_in_repo="README.md",
        repo_id=repo,
        create_pr=True,
        commit_message="Fix a typo in the card",
        commit_description="classifys -> classifies",
    )
    assert (info.pr_num, info.pr_revision) == (1, "refs/pr/1")
    assert info.pr_url == f"{hub.url}/{repo}/discussions/1"
    main_sha = api.model_info(repo).sha
    # the PR's files: resolve, tree, model_info and git at refs/pr/1; main unchanged
    got = hf_hub_download(repo, "README.md", revision="refs/pr/1", token=hub.token("bob"), cache_dir=tmp_path / "c")
    assert Path(got).read_bytes() == card
    got = hf_hub_download(repo, "README.md", token=hub.token("bob"), cache_dir=tmp_path / "c")
    assert b"classifys" in Path(got).read_bytes()
    assert api.model_info(repo, revision="refs/pr/1").sha == info.oid != main_sha
    assert {f.path for f in api.list_repo_tree(repo, revision="refs/pr/1")} >= {"README.md", "notes.txt"}
    refs = api.list_repo_refs(repo, include_pull_requests=True)
    assert [(r.ref, r.target_commit) for r in refs.pull_requests] == [("refs/pr/1", info.oid)]
    assert [b.name for b in refs.branches] == ["main"]
    work = tmp_path / "work"
    git("clone", f"{hub.url}/{repo}", str(work))
    git("fetch", "origin", "refs/pr/1", cwd=work)
    assert git("rev-parse", "FETCH_HEAD", cwd=work).stdout.strip() == info.oid
    # the PR as a discussion: title from the commit, description as its first comment, a commit event, a diff
    d = api.get_discussion_details(repo, 1)
    assert (d.is_pull_request, d.status, d.author, d.title, d.target_branch) == (
        True,
        "open",
        "bob",
        "Fix a typo in the card",
        "refs/heads/main",
    )
    assert d.git_reference == "refs/pr/1" and d.conflicting_files == [] and d.merge_commit_oid is None
    assert d.events[0].content == "classifys -> classifies"
    assert isinstance(d.events[1], DiscussionCommit) and d.events[1].oid == info.oid
    assert "-It classifys sentences." in d.diff and "+It classifies sentences." in d.diff
    # its author adds a commit; a stranger may not; nobody but writers merges
    more = bob_api.upload_file(
        path_or_fileobj=b"a\nb\nc\nd\n",
        path_in_repo="notes.txt",
        repo_id=repo,
        revision="refs/pr/1",
        commit_message="One more line",
    )
    assert more.pr_url is None and api.model_info(repo, revision="refs/pr/1").sha == more.oid
    carol = HfApi(endpoint=hub.url, token=hub.token("carol", "write"))
    with pytest.raises(HfHubHTTPError) as e:
        carol.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo, revision="refs/pr/1")
    assert status_of(e) == (403, "Forbidden")
    with pytest.raises(HfHubHTTPError) as e:
        bob_api.merge_pull_request(repo, 1)
    assert status_of(e) == (403, "Forbidden")
    with pytest.raises(HfHubHTTPError) as e:
        read_api(hub, "bob").upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo, create_pr=True)
    assert status_of(e) == (403, "Forbidden")
    api.comment_discussion(repo, 1, "Thanks!")
    api.merge_pull_request(repo, 1, comment="Merging")
    d = api.get_discussion_details(repo, 1)
    assert d.status == "merged" and d.merge_commit_oid == more.oid  # main had not moved: a fast-forward
    assert api.model_info(repo).sha == more.oid
    assert (
        Path(hf_hub_download(repo, "README.md", token=hub.token("bob"), cache_dir=tmp_path / "d")).read_bytes() == card
    )
    assert [x.status for x in api.get_repo_discussions(repo, discussion_type="pull_request")] == ["merged"]
    with pytest.raises(HfHubHTTPError) as e:
        api.merge_pull_request(repo, 1)
    assert status_of(e) == (400, "BadRequest")
    with pytest.raises(HfHubHTTPError) as e:
        bob_api.upload_file(path_or_fileobj=b"late", path_in_repo="late.txt", repo_id=repo, revision="refs/pr/1")
    assert status_of(e) == (400, "BadRequest")


def test_pull_request_with_lfs_files(hub, api, bob_api, repo, tmp_path):
    """A stranger's PR with weights: the LFS upload (no revision, as huggingface_hub sends it), then the commit."""
    weights = os.urandom(50_000)
    pr = bob_api.upload_file(path_or_fileobj=weights, path_in_repo="model.safetensors", repo_id=repo, create_pr=True)
    got = hf_hub_download(
        repo, "model.safetensors", revision=pr.pr_revision, token=hub.token("bob"), cache_dir=tmp_path / "c"
    )
    assert Path(got).read_bytes() == weights
    assert next(f for f in api.list_repo_tree(repo, revision=pr.pr_revision) if f.path == "model.safetensors").lfs
    api.merge_pull_request(repo, pr.pr_num)
    got = hf_hub_download(repo, "model.safetensors", token=hub.token("carol"), cache_dir=tmp_path / "d")
    assert Path(got).read_bytes() == weights
    with pytest.raises(HfHubHTTPError) as e:  # a read token uploads nothing
        read_api(hub, "bob").upload_file(
            path_or_fileobj=os.urandom(50_000), path_in_repo="w.safetensors", repo_id=repo, create_pr=True
        )
    assert status_of(e)[0] == 403


def test_merge_commit_and_conflict(hub, api, bob_api, repo):
    pr = bob_api.create_commit(
        repo, [CommitOperationAdd("bob.txt", b"bob\n")], commit_message="Add bob.txt", create_pr=True
    )
    clash = bob_api.create_commit(
        repo, [CommitOperationAdd("notes.txt", b"bob's notes\n")], commit_message="Rewrite notes", create_pr=True
    )
    assert (pr.pr_num, clash.pr_num) == (1, 2)
    main = api.upload_file(path_or_fileobj=b"alice's notes\n", path_in_repo="notes.txt", repo_id=repo).oid
    assert api.get_discussion_details(repo, 2).conflicting_files == ["notes.txt"]
    api.merge_pull_request(repo, 1)
    merged = api.get_discussion_details(repo, 1).merge_commit_oid
    commit = api.list_repo_commits(repo)[0]
    assert commit.commit_id == merged and merged not in (main, pr.oid)
    files = {f.path for f in api.list_repo_tree(repo)}
    assert {"bob.txt", "notes.txt", "README.md"} <= files
    r = HTTP.get(f"{hub.url}/{repo}/resolve/main/notes.txt")
    assert r.content == b"alice's notes\n"
    with pytest.raises(HfHubHTTPError) as e:
        api.merge_pull_request(repo, 2)
    assert status_of(e) == (409, "Conflict") and "notes.txt" in str(e.value)
    assert api.model_info(repo).sha == merged and api.get_discussion_details(repo, 2).status == "open"
    # a draft PR (create_pull_request), then commits to refs/pr/N: it opens
    draft = bob_api.create_pull_request(repo, "Draft: more files")
    assert (draft.num, draft.status, draft.is_pull_request) == (3, "draft", True)
    bob_api.upload_file(path_or_fileobj=b"more\n", path_in_repo="more.txt", repo_id=repo, revision=draft.git_reference)
    assert api.get_discussion_details(repo, 3).status == "open"
    bob_api.change_discussion_status(repo, 3, "closed")
    with pytest.raises(HfHubHTTPError) as e:
        api.merge_pull_request(repo, 3)
    assert status_of(e) == (400, "BadRequest")


def test_private_and_gated_repos(hub, api, bob_api, anon_api, new_repo_id):
    private = new_repo_id(prefix="community-private")
    api.create_repo(private, private=True)
    api.create_discussion(private, "Private notes")
    for client in (bob_api, anon_api):
        with pytest.raises(RepositoryNotFoundError):
            list(client.get_repo_discussions(private))
        with pytest.raises(RepositoryNotFoundError):
            client.get_discussion_details(private, 1)
    with pytest.raises(RepositoryNotFoundError):
        bob_api.create_discussion(private, "Let me in")
    with pytest.raises(RepositoryNotFoundError):
        bob_api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=private, create_pr=True)
    gated = new_repo_id(prefix="community-gated")
    api.create_repo(gated)
    api.update_repo_settings(gated, gated="manual")
    # a gated repo: anyone signed in discusses; a pull request needs access to its files
    assert bob_api.create_discussion(gated, "How do I get access?").num == 1
    with pytest.raises(GatedRepoError):
        bob_api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=gated, create_pr=True)
    with pytest.raises(HfHubHTTPError) as e:
        bob_api.create_pull_request(gated, "A PR")
    assert status_of(e) == (403, "GatedRepo")
    api.grant_access(gated, "bob")
    assert (
        bob_api.upload_file(path_or_fileobj=b"secret\n", path_in_repo="x.txt", repo_id=gated, create_pr=True).pr_num
        == 2
    )
    # the PR's diff is file contents: gated like them (the discussion itself stays readable)
    carol = HfApi(endpoint=hub.url, token=hub.token("carol", "write"))
    for client in (carol, anon_api):
        d = client.get_discussion_details(gated, 2)
        assert d.diff is None and d.is_pull_request and d.title
    assert "+secret" in bob_api.get_discussion_details(gated, 2).diff
    from test_web_pages import page

    assert "+secret" not in page(hub, f"/{gated}/discussions/2") and "x.txt" in page(hub, f"/{gated}/discussions/2")
    for repo_id in (private, gated):  # out of the lists the website's tests check (`/models?gated=true`)
        api.delete_repo(repo_id)


def test_duplicated_repo_keeps_pr_refs_and_numbers_after_them(api, bob_api, repo, new_repo_id):
    """duplicate_repo copies refs/pr/N (git) but not the discussions: new ones are numbered after the refs."""
    bob_api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo, create_pr=True)
    copy = new_repo_id(prefix="community-copy")
    api.duplicate_repo(repo, to_id=copy)
    assert list(api.get_repo_discussions(copy)) == []
    assert api.create_discussion(copy, "First here").num == 2
    assert bob_api.upload_file(path_or_fileobj=b"y", path_in_repo="y.txt", repo_id=copy, create_pr=True).pr_num == 3
    assert [r.ref for r in api.list_repo_refs(copy, include_pull_requests=True).pull_requests] == [
        "refs/pr/1",
        "refs/pr/3",
    ]


def test_bad_pr_revisions(hub, api, bob_api, repo):
    with pytest.raises(RevisionNotFoundError):
        bob_api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo, revision="refs/pr/7")
    with pytest.raises(RevisionNotFoundError):
        api.model_info(repo, revision="refs/pr/7")
    api.create_discussion(repo, "Not a PR")
    with pytest.raises(RevisionNotFoundError):  # a discussion has no ref
        bob_api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo, revision="refs/pr/1")
    with pytest.raises(HfHubHTTPError) as e:
        api.merge_pull_request(repo, 1)
    assert status_of(e) == (400, "BadRequest")
    # create_pr with parent_commit: the pull request starts there; a commit that is not on main is refused
    first = api.model_info(repo).sha
    api.upload_file(path_or_fileobj=b"newer\n", path_in_repo="notes.txt", repo_id=repo)
    pr = bob_api.create_commit(
        repo,
        [CommitOperationAdd("old.txt", b"old\n")],
        commit_message="From the past",
        parent_commit=first,
        create_pr=True,
    )
    assert [c.commit_id for c in api.list_repo_commits(repo, revision=pr.pr_revision)][:2] == [pr.oid, first]
    with pytest.raises(HfHubHTTPError) as e:
        bob_api.create_commit(
            repo, [CommitOperationAdd("a.txt", b"a")], commit_message="x", parent_commit=pr.oid, create_pr=True
        )
    assert status_of(e) == (400, "BadRequest")
    # a refused commit leaves no pull request behind
    r = HTTP.post(
        f"{hub.url}/api/models/{repo}/commit/main?create_pr=1",
        headers={**bearer(hub.token("bob")), "Content-Type": "application/x-ndjson"},
        content=b'{"key": "header", "value": {"summary": "x"}}\n{"key": "lfsFile", "value": '
        b'{"path": "w.bin", "algo": "sha256", "oid": "' + b"a" * 64 + b'", "size": 3}}',
    )
    assert r.status_code == 422
    assert [d.num for d in api.get_repo_discussions(repo)] == [2, 1]
    branches = api.list_repo_refs(repo)
    assert [b.name for b in branches.branches] == ["main"]


def test_hf_discussions_cli(hub, api, bob_api, repo, tmp_path):
    """`hf discussions ...` of huggingface_hub 2.x against the course hub."""
    env = {
        **os.environ,
        "HF_ENDPOINT": hub.url,
        "HF_HOME": str(tmp_path / "home"),
        "NO_COLOR": "1",
    }
    hf = [sys.executable, "-c", "from huggingface_hub.cli.hf import main; main()"]

    def run(*args, user="bob"):
        p = subprocess.run(
            [*hf, "discussions", *args, "--token", hub.token(user)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
        assert p.returncode == 0, p.stderr + p.stdout
        return p.stdout

    run("create", repo, "--title", "Typo in the card", "--body", "classifys")
    bob_api.upload_file(path_or_fileobj=b"fixed\n", path_in_repo="notes.txt", repo_id=repo, create_pr=True)
    out = run("list", repo, "--kind", "all", user="alice")
    assert "Typo in the card" in out and "Upload notes.txt" in out
    run("comment", repo, "1", "--body", "Thanks", user="alice")
    assert "fixed" in run("diff", repo, "2", user="alice")
    run("merge", repo, "2", "--yes", user="alice")
    run("close", repo, "1", "--yes", user="alice")
    assert api.get_discussion_details(repo, 2).status == "merged"
    assert api.get_discussion_details(repo, 1).status == "closed"


def test_classroom_report_lists_learners_pull_requests(tmp_path):
    from course_hub import classroom
    from course_hub.hub import Hub

    hub = Hub(tmp_path / "hub")
    hub.create_repo("model", "hf-hands-on/minilm-sentiment", initial={"README.md": b"# card\n"})
    classroom.create_roster(hub, ["learner01", "learner02"], "http://127.0.0.1:1")
    hub.store.create_discussion(
        "model", "hf-hands-on/minilm-sentiment", "Fix a typo", "learner02", True, "open", "main", []
    )
    hub.store.create_discussion(
        "model", "hf-hands-on/minilm-sentiment", "A question", "learner01", False, "open", None, []
    )
    report = classroom.report(hub)
    assert "Pull requests by learners:" in report
    assert "learner02" in report and "hf-hands-on/minilm-sentiment#1 [open]: Fix a typo" in report
    assert "A question" not in report  # discussions are not pull requests


def test_community_pages(hub, api, bob_api, repo):
    """The website's Community tab: lists, a discussion's page with escaped comments and a CSRF-checked comment
    form, a pull request's files changed, its merge button for writers only."""
    import re

    from test_web_pages import csrf_of, page, sign_in

    bob_api.create_discussion(repo, "<b>Bold</b> question", description="Hi <script>alert(1)</script> **there**")
    bob_api.upload_file(
        path_or_fileobj=b"a\nb\nc\nd\n",
        path_in_repo="notes.txt",
        repo_id=repo,
        create_pr=True,
        commit_message="Add a line <img src=x onerror=alert(1)>",
    )
    listing = page(hub, f"/{repo}/discussions")
    assert "&lt;b&gt;Bold&lt;/b&gt; question" in listing and "<b>Bold</b>" not in listing
    assert f'href="/{repo}/discussions/2"' in listing and ">Community</a>" in listing
    prs = page(hub, f"/{repo}/discussions?kind=pull_request")
    assert 'data-num="2"' in prs and 'data-num="1"' not in prs
    talk = page(hub, f"/{repo}/discussions/1")
    assert "<strong>there</strong>" in talk and "<script>alert" not in talk
    assert "Sign in" in talk and 'name="comment"' not in talk  # anonymous: no form
    pr = page(hub, f"/{repo}/discussions/2")
    assert "onerror=alert" not in pr.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert "+d" in pr and "notes.txt" in pr and 'value="merge"' not in pr
    assert "notes.txt" in page(hub, f"/{repo}/tree/refs%2Fpr%2F2")  # "browse files at refs/pr/2"
    # bob (signed in): comments through the form (CSRF checked), no merge button on alice's repo
    bob = sign_in(hub, "bob", hub.token("bob"))
    text = page(hub, f"/{repo}/discussions/2", client=bob)
    assert 'value="comment"' in text and 'value="merge"' not in text
    r = bob.post(f"{hub.url}/{repo}/discussions/2", data={"action": "comment", "comment": "no csrf"})
    assert r.status_code == 403
    r = bob.post(
        f"{hub.url}/{repo}/discussions/2",
        data={"csrf": csrf_of(text), "action": "comment", "comment": "Looks *good*"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].endswith(f"/{repo}/discussions/2")
    assert "<em>good</em>" in page(hub, f"/{repo}/discussions/2", client=bob)
    r = bob.post(f"{hub.url}/{repo}/discussions/2", data={"csrf": csrf_of(text), "action": "merge"})
    assert r.status_code == 403
    # alice merges from the page; main has the change
    alice = sign_in(hub, "alice", hub.token("alice"))
    text = page(hub, f"/{repo}/discussions/2", client=alice)
    assert 'value="merge"' in text
    r = alice.post(
        f"{hub.url}/{repo}/discussions/2", data={"csrf": csrf_of(text), "action": "merge"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert api.get_discussion_details(repo, 2).status == "merged"
    assert re.search(r'id="status">merged<', page(hub, f"/{repo}/discussions/2"))
    # a new discussion from the page
    text = page(hub, f"/{repo}/discussions", client=bob)
    r = bob.post(
        f"{hub.url}/{repo}/discussions",
        data={"csrf": csrf_of(text), "title": "From the website", "description": "hello"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].endswith(f"/{repo}/discussions/3")
    assert api.get_discussion_details(repo, 3).title == "From the website"
    page(hub, f"/{repo}/discussions/99", status=404)
