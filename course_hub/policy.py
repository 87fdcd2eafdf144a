"""Who may do what: the one place the course hub decides access. Every route asks it; none decides by itself.

The rules are huggingface.co's (checked against the Hub's docs and huggingface_hub's client):
- a private repo is invisible to anyone outside its namespace (404; 401 to an anonymous caller, who may log in);
- a gated repo's card, metadata and *file list* are public; its file *contents* need access (anonymous 401
  GatedRepo, signed in but not on the list 403 GatedRepo); members of its namespace always have access;
- writing needs a write token of the namespace's user, or of a write/admin member of its org;
- deleting a repo or changing its settings needs its owner or an org admin (write token);
- accepting or rejecting access requests needs the owner or an org admin (a write token, or the classroom's
  `access` token);
- classroom mode (`Settings.classroom`): nothing without a token, except the few `OPEN_IN_CLASSROOM` paths and
  the LFS URLs the batch API signed; a GET keeps the refusal huggingface.co itself would give.
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import Forbidden, GatedRepo, HubError, InvalidCredentials, NotFound, TokenRequired, repo_not_found
from .names import check_repo_id, check_type
from .settings import course_org
from .store import Identity, RepoRecord, Store
from .urls import repo_url

# no data behind these: is the hub up, and does this card metadata validate (huggingface_hub sends no token)
OPEN_IN_CLASSROOM = ("/api/health", "/api/validate-yaml")
# course-only demo tokens a signed-in learner may ask for (see api/course.py): (user, role asked) -> role given
DEMO_TOKENS = {("alice", "read"): "read", ("instructor", "read"): "read", ("instructor", "write"): "access"}


class Policy:
    """Each rule twice: a predicate (`can_*`, `is_*`, `has_*`: a bool, for lists and pages) and a guard (the
    decisions below: the record, or the Hub's own refusal). `allowed(guard, ...)` turns any guard into a predicate,
    as datasette's `allowed()` beside `ensure_permission()`: a page asks, it never catches a refusal itself."""

    def __init__(self, store: Store, classroom: bool = False):
        self.store = store
        self.classroom = classroom

    # --- who is calling ------------------------------------------------------------------------------------
    def identify(self, token: str | None) -> Identity | None:
        """None for anonymous; 401 for a token the hub does not know."""
        if not token:
            return None
        ident = self.store.identify(token)
        if ident is None:
            raise InvalidCredentials(
                "Invalid credentials in Authorization header: this token is not valid on the "
                "course hub (create one with `course-hub token create USER`)"
            )
        return ident

    def signed_in(self, ident: Identity | None, what: str) -> Identity:
        if ident is None:
            raise InvalidCredentials(
                f"Invalid credentials in Authorization header: no token was sent (you must be authenticated to {what})"
            )
        return ident

    def anonymous_refused(self, ident: Identity | None, path: str) -> bool:
        """Classroom mode: this anonymous request must end in the classroom's 401 (unless the Hub's own refusal
        comes first: the caller raises `token_required()` after the route ran)."""
        return (
            ident is None
            and self.classroom
            and path not in OPEN_IN_CLASSROOM
            and not path.startswith(("/lfs-objects/", "/xet-cas/"))
        )  # those URLs carry their own signature

    @staticmethod
    def token_required() -> TokenRequired:
        return TokenRequired(
            "This classroom hub needs your token on every request: set COURSE_HUB_URL to the line "
            "on your token sheet (or log in with your token)"
        )

    # --- predicates (for lists and pages: filter, never raise) -------------------------------------------
    def allowed(self, guard: Callable, *args) -> bool:
        """Would the guard (`policy.manage_access`, `policy.discuss`, …) let these arguments through?"""
        try:
            guard(*args)
        except HubError:
            return False
        return True

    def is_member(self, ident: Identity | None, namespace: str) -> bool:
        return ident is not None and (ident.user == namespace or self.store.org_role(namespace, ident.user) is not None)

    def can_see(self, ident: Identity | None, rec: RepoRecord) -> bool:
        return not rec.private or self.is_member(ident, rec.namespace)

    def can_write(self, ident: Identity | None, namespace: str) -> bool:
        if ident is None or not ident.can_write:
            return False
        return ident.user == namespace or self.store.org_role(namespace, ident.user) in ("write", "admin")

    def is_admin(self, ident: Identity | None, namespace: str) -> bool:
        if ident is None or not ident.can_write:
            return False
        return ident.user == namespace or self.store.org_role(namespace, ident.user) == "admin"

    def has_file_access(self, ident: Identity | None, rec: RepoRecord) -> bool:
        return (
            not rec.gated
            or self.is_member(ident, rec.namespace)
            or (ident is not None and self.store.access_status(rec.type, rec.id, ident.user) == "accepted")
        )

    def can_manage_access(self, ident: Identity | None, rec: RepoRecord) -> bool:
        """The owner or an org admin, with a write token (or the classroom's `access` token)."""
        return (
            ident is not None
            and ident.role in ("write", "access")
            and (ident.user == rec.namespace or self.store.org_role(rec.namespace, ident.user) == "admin")
        )

    def can_see_collection(self, ident: Identity | None, coll: dict) -> bool:
        """A collection is public, or private to its namespace."""
        return not coll["private"] or self.is_member(ident, coll["namespace"])

    @staticmethod
    def auto_accepts(rec: RepoRecord) -> bool:
        """A repo gated `auto` accepts every access request at once (`manual`: the owner decides)."""
        return rec.gated == "auto"

    # --- decisions: the record, or the Hub's own refusal -------------------------------------------------
    def see(self, ident: Identity | None, repo_type: str, repo_id: str) -> RepoRecord:
        """Info, card, file list, commits, refs: anyone who may know the repo exists (gated repos included)."""
        check_type(repo_type)
        check_repo_id(repo_id, legacy=True)  # `gpt2`: looked up (and not found), as the Hub's legacy ids are
        rec = self.store.get_repo(repo_type, repo_id)  # any case; a moved repo's old id leads to it
        if rec is None or not self.can_see(ident, rec):
            raise repo_not_found(repo_type, repo_id, anonymous=ident is None)
        return rec

    def download(self, ident: Identity | None, repo_type: str, repo_id: str, endpoint: str) -> RepoRecord:
        """File contents (resolve, LFS download, git clone): a gated repo needs access."""
        rec = self.see(ident, repo_type, repo_id)
        if self.has_file_access(ident, rec):
            return rec
        if ident is None:
            raise GatedRepo(
                f"Access to {rec.type} {rec.id} is restricted. You must have access to it and be "
                "authenticated to access it. Please log in.",
                status=401,
            )
        raise GatedRepo(
            f"Access to {rec.type} {rec.id} is restricted and you are not in the authorized list. "
            f"Visit {repo_url(endpoint, rec.type, rec.id)} to ask for access."
        )

    def create(self, ident: Identity | None, namespace: str, what: str) -> Identity:
        """Make something new under `namespace` (a repo): a write token of that namespace."""
        ident = self.signed_in(ident, what + " (with a write token)")
        if not ident.can_write:
            raise Forbidden(f"You cannot {what}: your token has the '{ident.role}' role; use a 'write' token")
        if not self.can_write(ident, namespace):
            raise Forbidden(f"You cannot {what}: {ident.user!r} has no write access to the namespace {namespace!r}")
        return ident

    def write(self, ident: Identity | None, repo_type: str, repo_id: str) -> RepoRecord:
        """Commits, branches, tags, LFS uploads, git push."""
        rec = self.see(ident, repo_type, repo_id)
        self.create(ident, rec.namespace, f"write to {repo_type} {repo_id}")
        return rec

    def administer(self, ident: Identity | None, repo_type: str, repo_id: str, what: str) -> RepoRecord:
        """Delete the repo or change its settings: its owner or an org admin, with a write token."""
        rec = self.see(ident, repo_type, repo_id)
        self.signed_in(ident, f"{what} {rec.id} (with a write token)")
        if not self.is_admin(ident, rec.namespace):
            raise Forbidden(
                f"You cannot {what} {rec.id}: you are not its owner or an admin of {rec.namespace!r}, "
                "or your token is read-only"
            )
        return rec

    def manage_access(self, ident: Identity | None, repo_type: str, repo_id: str) -> RepoRecord:
        """List, accept, reject and grant access requests of a gated repo."""
        rec = self.see(ident, repo_type, repo_id)
        ident = self.signed_in(ident, "manage access requests")
        if not self.can_manage_access(ident, rec):
            raise Forbidden(
                f"You cannot manage access to {rec.id}: you need a write token of its owner or of an "
                f"admin of {rec.namespace!r}"
            )
        return rec

    def react(self, ident: Identity | None, repo_type: str, repo_id: str) -> tuple[RepoRecord, Identity]:
        """Like or unlike a repo: anyone signed in who can see it (a read token is enough)."""
        rec = self.see(ident, repo_type, repo_id)
        return rec, self.signed_in(ident, "like a repo")

    def move(self, ident: Identity | None, repo_type: str, from_id: str, to_id: str) -> RepoRecord:
        """Rename or transfer a repo: administer it, and be allowed to create in the namespace it goes to."""
        self.signed_in(ident, "move a repo (with a write token)")
        rec = self.administer(ident, repo_type, from_id, "move")
        self.create(ident, check_repo_id(to_id)[0], f"move {rec.id} to {to_id}")
        return rec

    def duplicate(self, ident: Identity | None, repo_type: str, from_id: str, endpoint: str) -> RepoRecord:
        """Copy a repo: its files must be readable (a gated repo: access granted); creating the copy in the
        target namespace is `create`'s decision."""
        rec = self.download(ident, repo_type, from_id, endpoint)
        self.signed_in(ident, "duplicate a repo (with a write token)")
        return rec

    def see_collection(self, ident: Identity | None, coll: dict | None, slug: str) -> dict:
        """The collection (`can_see_collection`), or 404 to anyone else, as a private repo (or a missing one)."""
        if coll is None or not self.can_see_collection(ident, coll):
            raise NotFound(f"Collection {slug!r} not found")
        return coll

    def edit_collection(self, ident: Identity | None, coll: dict | None, slug: str) -> dict:
        """Change or delete a collection, or its items: a write token of its namespace."""
        coll = self.see_collection(ident, coll, slug)
        self.create(ident, coll["namespace"], f"change the collection {coll['slug']!r}")
        return coll

    def request_access(self, ident: Identity | None, repo_type: str, repo_id: str) -> tuple[RepoRecord, Identity]:
        """Ask for access to a gated repo: anyone signed in who can see it."""
        rec = self.see(ident, repo_type, repo_id)
        return rec, self.signed_in(ident, "ask for access (log in first)")

    # --- discussions and pull requests (course_hub/api/community.py) ----------------------------------------
    def discuss(self, ident: Identity | None, repo_type: str, repo_id: str) -> tuple[RepoRecord, Identity]:
        """Open a discussion or comment in one: anyone signed in who can see the repo (a gated repo's included),
        with a write token (a read token only reads, as on huggingface.co)."""
        rec = self.see(ident, repo_type, repo_id)
        ident = self.signed_in(ident, "take part in a repo's discussions (with a write token)")
        if not ident.can_write:
            raise Forbidden(
                f"You cannot open or comment on discussions of {rec.id}: your token has the "
                f"'{ident.role}' role; use a 'write' token"
            )
        return rec, ident

    def propose(
        self, ident: Identity | None, repo_type: str, repo_id: str, endpoint: str
    ) -> tuple[RepoRecord, Identity]:
        """Open a pull request (`create_commit(create_pr=True)`, `create_pull_request`) or upload its files:
        anyone signed in who can read the repo's files (a gated repo: access granted), with a write token; the
        repo's writers are not needed (the PR lands on its own `refs/pr/N`)."""
        rec = self.see(ident, repo_type, repo_id)
        ident = self.signed_in(ident, "open a pull request (with a write token)")
        self.download(ident, repo_type, repo_id, endpoint)
        if not ident.can_write:
            raise Forbidden(
                f"You cannot open a pull request on {rec.id}: your token has the '{ident.role}' role; "
                "use a 'write' token"
            )
        return rec, ident

    def push_to_pr(
        self, ident: Identity | None, repo_type: str, repo_id: str, endpoint: str, pr_author: str
    ) -> tuple[RepoRecord, Identity]:
        """Commit to an open pull request's `refs/pr/N`: `propose`, and be its author or a writer of the repo."""
        rec, ident = self.propose(ident, repo_type, repo_id, endpoint)
        if ident.user != pr_author and not self.can_write(ident, rec.namespace):
            raise Forbidden(
                f"You cannot push to this pull request of {rec.id}: only its author ({pr_author!r}) "
                f"and the writers of {rec.namespace!r} can"
            )
        return rec, ident

    def upload_objects(self, ident: Identity | None, repo_type: str, repo_id: str, endpoint: str) -> RepoRecord:
        """Upload LFS objects to a repo (the batch API's `upload`): its writers, and whoever may `propose` a pull
        request (huggingface_hub uploads a PR's LFS files before the commit, with no revision). An object only
        becomes a file through a commit, which `write` / `push_to_pr` decide."""
        rec = self.see(ident, repo_type, repo_id)
        if self.can_write(ident, rec.namespace):
            return rec
        return self.propose(ident, repo_type, repo_id, endpoint)[0]

    def moderate(
        self, ident: Identity | None, repo_type: str, repo_id: str, author: str, what: str, writers: bool = True
    ) -> tuple[RepoRecord, Identity]:
        """Change a discussion or a comment (`what`): its `author` (close/reopen or rename their own discussion,
        edit or hide their own comment) or, with `writers`, a writer of the repo."""
        rec, ident = self.discuss(ident, repo_type, repo_id)
        if ident.user != author and not (writers and self.can_write(ident, rec.namespace)):
            raise Forbidden(
                f"You cannot {what}: only its author ({author!r})"
                + (f" and the writers of {rec.namespace!r} can" if writers else " can")
            )
        return rec, ident

    def merge(self, ident: Identity | None, repo_type: str, repo_id: str) -> RepoRecord:
        """Merge a pull request into its target branch: the repo's writers only."""
        return self.write(ident, repo_type, repo_id)

    def may_run_space(
        self, rec: RepoRecord, allowed: tuple[str, ...] | None, classroom: bool, sandboxed: bool = False
    ) -> str | None:
        """May the hub run this Space's code on its own machine? None if so, else why not. `allowed` is
        `Settings.run_spaces` (`course-hub serve --run-spaces OWNER,...`; "*" = everyone); unset, every Space runs
        on a learner's own hub and, in classroom mode, where Spaces run `sandboxed` (spaces/sandbox.py); an
        unsandboxed classroom hub runs only those of the course's org and `instructor` (a learner's pushed code
        does not run as the instructor's user unless allowed)."""
        if allowed is None:
            allowed = (course_org(), "instructor") if classroom and not sandboxed else ("*",)
        if "*" in allowed or rec.namespace in allowed:
            return None
        return (
            f"This course hub does not run Spaces of {rec.namespace!r}: it runs only those of "
            f"{', '.join(allowed)} (the instructor can allow more with `course-hub serve --run-spaces`"
            + ("" if sandboxed else "; Spaces run unsandboxed here, as the hub's own user")
            + ")"
        )

    def token_for(self, ident: Identity | None, user: str, role: str) -> str:
        """Course-only (classroom demos): the role of the token `ident` may get for `user`, or 403."""
        ident = self.signed_in(ident, "get a course token")
        if user == ident.user:
            if role == "write" and not ident.can_write:
                raise Forbidden("A read token cannot make a write token")
            return role
        if (user, role) in DEMO_TOKENS and self.store.user_exists(user):
            return DEMO_TOKENS[(user, role)]
        raise Forbidden(
            f"You can get tokens of your own ({ident.user!r}) and the demo tokens of "
            f"{sorted({u for u, _ in DEMO_TOKENS})}, not a {role} token of {user!r}"
        )
