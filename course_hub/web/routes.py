"""The website's routes and handlers (server-rendered, no JavaScript needed).

Every page asks `ctx.policy` exactly what the API would ask: `see` for a repo page, its files list and history;
`download` for file contents and the dataset viewer; `request_access` / `manage_access` for gated repos. A page's
caller is the Bearer token's identity if one is sent, else the signed session cookie's (see `session.py`).
GET pages answer browsers (`Accept: text/html`) only: any other client gets the 404 it got before the website
existed, so git and the Hugging Face clients see no change.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import RedirectResponse, Response

from .. import listing
from ..api import files as api_files
from ..errors import BadRequest, Forbidden, GatedRepo, HubError, InvalidCredentials, NotFound, RepoNotFound
from ..http import PREFIX, REV, Ctx, Route, route
from ..lfs import Pointer
from ..names import check_path
from ..store import digest
from ..urls import file_path, repo_path, space_app_path
from . import jupyterhub_login, render, viewer
from . import session as sessions

HERE = Path(__file__).parent
RESERVED = ("api", "static", "settings", "login", "logout", "models", "datasets", "spaces")
OWNER = rf"(?!(?:{'|'.join(RESERVED)})(?:/|$))[^/]+"
REPO = rf"/{PREFIX}(?P<repo>{OWNER}/[^/]+)"
PER_PAGE = 30
FACET_VALUES = 10  # the most used values of each filter in a list's sidebar
MAX_TEXT = 1024 * 1024  # larger files: no inline view, a download link
PREFIX_RE = re.compile(r"^(/[A-Za-z0-9._~%+-]+)*$")
NEXT_RE = re.compile(r"^/[A-Za-z0-9._~%!$&'()*+,;=:@/?-]*$")  # a path on this site: no scheme, no spaces or tabs
KINDS = {"model": "models", "dataset": "datasets", "space": "spaces"}
SORTS = {
    "trending": "trendingScore",
    "likes": "likes",
    "downloads": "downloads",
    "updated": "lastModified",
    "created": "createdAt",
}
AUTO_CLASSES = {
    "text-classification": "AutoModelForSequenceClassification",
    "token-classification": "AutoModelForTokenClassification",
    "question-answering": "AutoModelForQuestionAnswering",
    "fill-mask": "AutoModelForMaskedLM",
    "text-generation": "AutoModelForCausalLM",
    "summarization": "AutoModelForSeq2SeqLM",
    "translation": "AutoModelForSeq2SeqLM",
    "text2text-generation": "AutoModelForSeq2SeqLM",
}
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; media-src 'self'; script-src 'self'; connect-src 'self'; "
    "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
)
STATIC = {p.name: p for p in (HERE / "static").iterdir() if p.is_file()}

env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["q"] = lambda s: quote(str(s), safe="/")
env.filters["size"] = lambda n: (
    f"{n} B"
    if n < 1024
    else f"{n / 1024:.1f} kB"
    if n < 1024**2
    else f"{n / 1024**2:.1f} MB"
    if n < 1024**3
    else f"{n / 1024**3:.2f} GB"
)
env.filters["date"] = lambda ts: (
    datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if ts else "never"
)
env.filters["num"] = lambda n: f"{n:,}"


class Web:
    """One page request: the caller, their session, the links' base path, rendering."""

    def __init__(self, ctx: Ctx):
        self.ctx = ctx
        self.hub = ctx.hub
        self.policy = ctx.policy
        self.secret = ctx.request.app.state.secret  # the hub dir's signing secret (course_hub/app.py)
        self.cookie = sessions.load(ctx.request.cookies.get(sessions.COOKIE), self.secret)
        self.set_cookie: str | None = None  # a new cookie value to send
        self.posted: dict[str, str] = {}  # a POST's form, once its CSRF token was checked
        self.ident = ctx.ident or sessions.signed_in(self.cookie, self.hub.accounts.identify_digest)
        forwarded = ctx.request.headers.get("x-forwarded-prefix", "").rstrip("/")
        self.base = forwarded if forwarded and PREFIX_RE.match(forwarded) else ctx.settings.root_path
        self.origin = ctx.endpoint + self.base

    # --- sessions and forms ---
    def session(self) -> sessions.Session:
        """The caller's session, made (and sent as a cookie) if they have none yet: forms need one for CSRF."""
        if self.cookie is None:
            self.cookie = sessions.new()
            self.set_cookie = sessions.dump(self.cookie, self.secret)
        return self.cookie

    def csrf(self) -> str:
        return sessions.csrf_token(self.session(), self.secret)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.ctx.body.decode("utf-8", "replace"), keep_blank_values=True))

    def check_csrf(self) -> dict[str, str]:
        """A POST's form, if it carries the CSRF token of the caller's session (or comes with a Bearer token,
        which a cross-site form cannot send); else 403."""
        form = self.form()
        if self.ctx.ident is None and not sessions.check_csrf(self.cookie, self.secret, form.get("csrf")):
            raise Forbidden(
                "This form has expired or did not come from the course hub (CSRF token missing or "
                "invalid): reload the page and try again"
            )
        return form

    # --- responses ---
    def url(self, path: str, **query) -> str:
        q = {k: v for k, v in query.items() if v not in (None, "")}
        return self.base + path + ("?" + urlencode(q) if q else "")

    def page(self, template: str, status: int = 200, **values) -> Response:
        me = None
        if self.ident is not None:
            me = {"name": self.ident.user, "role": self.ident.role}
        html = env.get_template(template).render(
            base=self.base,
            me=me,
            classroom=self.ctx.settings.classroom,
            here=self.ctx.request.url.path,
            web=self,
            **values,
        )
        return self.finish(Response(html, status_code=status, media_type="text/html; charset=utf-8"))

    def redirect(self, path: str) -> Response:
        return self.finish(RedirectResponse(self.location(self.base + path), status_code=303))

    def location(self, path: str) -> str:
        """A redirect's Location for `path` (from /, query included): relative to this page where a proxy sent its
        prefix (jupyter-server-proxy puts its prefix again before a Location that starts with /), else `path`."""
        if not path.startswith("/") or self.base == self.ctx.settings.root_path:
            return path
        target, mark, query = path.partition("?")
        rel = posixpath.relpath(target, posixpath.dirname(self.base + self.ctx.request.url.path))
        rel += "/" if target.endswith("/") and not rel.endswith("/") else ""
        return ("./" if rel in (".", "./") else rel) + mark + query

    def finish(self, response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        response.headers.setdefault("Cache-Control", "private, no-cache")
        response.headers["Vary"] = "Accept, Cookie, Authorization"
        if self.set_cookie is not None:
            response.set_cookie(
                sessions.COOKIE,
                self.set_cookie,
                max_age=sessions.MAX_AGE,
                path=self.base + "/",
                httponly=True,
                samesite="lax",
                secure=self.ctx.request.url.scheme == "https",
            )
        return response

    def error(self, err: HubError) -> Response:
        status = err.status
        if isinstance(err, RepoNotFound):
            status = 404  # a private repo's page: not found, whoever asks (the API tells anonymous callers 401)
        gated = isinstance(err, GatedRepo)
        response = self.page("error.html", status=status, error=err, gated=gated, title=f"{status} error")
        response.headers["X-Error-Message"] = _header_safe(err.message)
        if err.code:
            response.headers["X-Error-Code"] = err.code
        return response


def _header_safe(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ").encode("latin-1", "replace").decode("latin-1")[:2000]


def page(fn, public: bool = False, negotiate: bool = True):
    """A page handler: content negotiation, CSRF on POST, sign-in in classroom mode, HTML errors."""

    def handler(ctx: Ctx) -> Response:
        method = ctx.request.method
        if negotiate and method in ("GET", "HEAD") and "text/html" not in ctx.request.headers.get("accept", ""):
            raw = ctx.request.scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0]
            raise NotFound(f"Not found: {raw} is not a route of the course hub")  # what clients always got
        w = Web(ctx)
        try:
            if method == "POST":
                w.posted = w.check_csrf()  # before anything else: a forged form learns nothing
            if ctx.settings.classroom and w.ident is None and not public:
                if method == "POST":
                    raise w.policy.token_required()
                return w.redirect("/login?" + urlencode({"next": ctx.request.url.path}))
            return fn(w)
        except HubError as e:
            return w.error(e)

    handler.__name__ = fn.__name__
    handler.__qualname__ = fn.__qualname__
    handler.__module__ = fn.__module__
    return handler


def static(ctx: Ctx) -> Response:
    p = STATIC.get(ctx.params["file"])
    if p is None:
        raise NotFound(f"Not found: /static/{ctx.params['file']}")
    return Response(
        p.read_bytes(),
        media_type=mimetypes.guess_type(p.name)[0] or "application/octet-stream",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


# --- lists ------------------------------------------------------------------------------------------------------
def _card_summary(info: dict) -> dict:
    return {
        "id": info["id"],
        "type": info.get("_type"),
        "pipeline_tag": info.get("pipeline_tag"),
        "library": info.get("library_name"),
        "likes": info.get("likes", 0),
        "downloads": info.get("downloads", 0),
        "updated": info.get("lastModified", "")[:10],
        "gated": info.get("gated"),
        "private": info.get("private"),
        "sdk": info.get("sdk"),
        "stage": (info.get("runtime") or {}).get("stage"),
    }


def _rows(w: Web, repo_type: str, **kw) -> list[dict]:
    rows = listing.search_repos(w.hub, w.ident, repo_type, runtime=w.ctx.request.app.state.spaces, **kw)
    for r in rows:
        r["_type"] = repo_type
    return rows


def _everything(w: Web, repo_type: str) -> dict[str, dict]:
    """Every repo of a type the caller may see, by id: read once per page, then filtered (`infos=`)."""
    return {r["id"]: r for r in _rows(w, repo_type)}


def home(w: Web) -> Response:
    sections = []
    for repo_type, sort in (("model", "likes"), ("dataset", "downloads"), ("space", "likes")):
        rows = _rows(w, repo_type, sort=sort)
        sections.append(
            {
                "type": repo_type,
                "kind": KINDS[repo_type],
                "count": len(rows),
                "repos": [_card_summary(r) for r in rows[:6]],
            }
        )
    return w.page("home.html", sections=sections, title="Course hub")


def _facets(rows: list[dict], repo_type: str) -> dict[str, list[tuple[str, int]]]:
    counts: dict[str, dict[str, int]] = {k: {} for k in ("pipeline_tag", "library", "dataset", "license", "language")}
    for r in rows:
        card = r.get("cardData") or {}
        values = {
            "pipeline_tag": [r.get("pipeline_tag")]
            if repo_type == "model"
            else [t.split(":", 1)[1] for t in r["tags"] if t.startswith("task_categories:")],
            "library": [r.get("library_name")] if repo_type == "model" else [],
            "dataset": [t.split(":", 1)[1] for t in r["tags"] if t.startswith("dataset:")],
            "license": [t.split(":", 1)[1] for t in r["tags"] if t.startswith("license:")],
            "language": [str(x) for x in (card.get("language") or [])]
            if isinstance(card.get("language"), list)
            else [str(card["language"])]
            if card.get("language")
            else [],
        }
        for k, vs in values.items():
            for v in vs:
                if v:
                    counts[k][v] = counts[k].get(v, 0) + 1
    return {k: sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_VALUES] for k, v in counts.items() if v}


def repo_list(w: Web) -> Response:
    repo_type = w.ctx.repo_type
    q = w.ctx.query
    sort = q("sort") or "trending"
    if sort not in SORTS:
        raise BadRequest(f"Invalid sort {sort!r}: use one of {', '.join(SORTS)}")
    filters = []
    if q("library"):
        filters.append(q("library"))
    if q("dataset"):
        filters.append(f"dataset:{q('dataset')}")
    if q("license"):
        filters.append(f"license:{q('license')}")
    if q("language"):
        filters.append(q("language") if repo_type == "model" else f"language:{q('language')}")
    task = q("pipeline_tag")
    if task and repo_type != "model":
        filters.append(f"task_categories:{task}")
    search = (q("search") or "").strip()
    everything = _everything(w, repo_type)
    rows = _rows(
        w,
        repo_type,
        searches=search.split() if search else [],
        filters=filters,
        author=q("author"),
        pipeline_tag=task if repo_type == "model" else None,
        gated=(q("gated") or "").lower(),
        sort=SORTS[sort],
        infos=everything,
    )
    try:
        page_no = max(0, int(q("p") or 0))
    except ValueError:
        raise BadRequest("Invalid page number") from None
    pages = max(1, -(-len(rows) // PER_PAGE))
    shown = rows[page_no * PER_PAGE : (page_no + 1) * PER_PAGE]
    current = {
        k: q(k)
        for k in ("pipeline_tag", "library", "dataset", "license", "language", "author", "gated", "search")
        if q(k)
    }
    if q("sort"):
        current["sort"] = sort

    def link(**changes) -> str:
        d = {**current, **changes}
        d.pop("p", None) if "p" not in changes else None
        return w.url(f"/{KINDS[repo_type]}", **d)

    return w.page(
        "list.html",
        repo_type=repo_type,
        kind=KINDS[repo_type],
        repos=[_card_summary(r) for r in shown],
        total=len(rows),
        page_no=page_no,
        pages=pages,
        facets=_facets(list(everything.values()), repo_type),
        current=current,
        sort=sort,
        sorts=list(SORTS),
        link=link,
        search=search,
        title=KINDS[repo_type].capitalize(),
    )


# --- one repo ---------------------------------------------------------------------------------------------------
def _repo_base(rec) -> str:
    return repo_path(rec.type, rec.id)


def _common(w: Web, rec, rev: str | None = None, tab: str = "card", git=None) -> dict:
    branches, tags = (git or w.hub.git(rec.type, rec.id)).refs()
    return {
        "rec": rec,
        "repo_base": _repo_base(rec),
        "rev": rev or "main",
        "tab": tab,
        "branches": sorted(branches),
        "tags": sorted(tags),
        "title": rec.id,
        "can_manage": _can_manage(w, rec),
    }


def _can_manage(w: Web, rec) -> bool:
    return bool(rec.gated) and w.policy.can_manage_access(w.ident, rec)


def _snippets(w: Web, rec, info: dict) -> list[tuple[str, str, str]]:
    """("title", "language", "code") for "Use this model"."""
    out = []
    rid, task, lib = rec.id, info.get("pipeline_tag"), info.get("library_name")
    clone = f"{w.origin}{_repo_base(rec)}"
    if rec.type == "model":
        if lib == "sentence-transformers":
            out.append(
                (
                    "sentence-transformers",
                    "python",
                    f"from sentence_transformers import SentenceTransformer\n\nmodel = SentenceTransformer("
                    f'"{rid}")\nembeddings = model.encode(["The course hub is up.", "It serves models."])\n'
                    f"print(embeddings.shape)",
                )
            )
        if lib in ("transformers", "sentence-transformers") or "config.json" in (info.get("_files") or []):
            if task and lib == "transformers":
                out.append(
                    (
                        "Transformers: pipeline",
                        "python",
                        f'from transformers import pipeline\n\npipe = pipeline("{task}", model="{rid}")',
                    )
                )
            auto = AUTO_CLASSES.get(task or "", "AutoModel")
            out.append(
                (
                    "Transformers: Auto classes",
                    "python",
                    f"from transformers import AutoTokenizer, {auto}\n\ntokenizer = AutoTokenizer."
                    f'from_pretrained("{rid}")\nmodel = {auto}.from_pretrained("{rid}")',
                )
            )
    elif rec.type == "dataset":
        out.append(("Datasets", "python", f'from datasets import load_dataset\n\nds = load_dataset("{rid}")'))
    flag = "" if rec.type == "model" else f" --repo-type {rec.type}"
    out.append(("hf download", "shell", f"export HF_ENDPOINT={w.ctx.endpoint}{w.base}\nhf download {rid}{flag}"))
    out.append(("git clone", "shell", f"git lfs install\ngit clone {clone}"))
    return out


def _model_index(card: dict) -> list[dict]:
    rows = []
    for entry in card.get("model-index") or [] if isinstance(card.get("model-index"), list) else []:
        for res in (entry.get("results") or []) if isinstance(entry, dict) else []:
            if not isinstance(res, dict):
                continue
            task = (res.get("task") or {}) if isinstance(res.get("task"), dict) else {}
            ds = (res.get("dataset") or {}) if isinstance(res.get("dataset"), dict) else {}
            for m in res.get("metrics") or []:
                if isinstance(m, dict):
                    rows.append(
                        {
                            "task": task.get("name") or task.get("type"),
                            "dataset": ds.get("name") or ds.get("type"),
                            "split": ds.get("split"),
                            "metric": m.get("name") or m.get("type"),
                            "value": m.get("value"),
                        }
                    )
    return rows


def _gate(w: Web, rec) -> dict | None:
    """The gated repo's box: the caller's status and the form's fields."""
    if not rec.gated:
        return None
    card = w.hub.head_meta(rec)[1] or {}
    card = card.get("card", {}) if card else {}
    fields = []
    raw = card.get("extra_gated_fields")
    for name, spec in raw.items() if isinstance(raw, dict) else []:
        kind = spec if isinstance(spec, str) else (spec.get("type") if isinstance(spec, dict) else "text")
        options = [str(o) for o in (spec.get("options") or [])] if isinstance(spec, dict) else []
        fields.append(
            {"name": str(name), "type": kind if kind in ("text", "checkbox", "select") else "text", "options": options}
        )
    status = None
    if w.ident is not None:
        status = "accepted" if w.policy.has_file_access(w.ident, rec) else w.hub.access.status(rec, w.ident.user)
    return {
        "status": status,
        "fields": fields,
        "heading": str(
            card.get("extra_gated_heading")
            or f"You need to agree to share your contact information to access this {rec.type}"
        ),
        "prompt": render.markdown(str(card.get("extra_gated_prompt") or "")),
        "button": str(card.get("extra_gated_button_content") or "Agree and access repository"),
    }


def repo_page(w: Web) -> Response:
    rec = w.policy.see(w.ident, w.ctx.repo_type, w.ctx.repo_id)
    git = w.hub.git(rec.type, rec.id)
    sha = git.head()
    values = _common(w, rec, git=git)
    if sha is None:
        return w.page("repo.html", info=None, card_html="", **values)
    info = listing.repo_info(
        w.hub, rec, git, sha, w.ident, spaces=rec.type == "model", runtime=w.ctx.request.app.state.spaces
    )
    files = git.files(sha)
    info["_files"] = list(files)
    card = info.get("cardData") or {}
    readme = files.get("README.md")
    card_html = render.card_html(git.blob(readme.blob), readme.blob) if readme else ""
    datasets = []
    for d in [] if rec.type == "space" else [t.split(":", 1)[1] for t in info["tags"] if t.startswith("dataset:")]:
        drec = w.hub.repo("dataset", d)
        datasets.append({"id": d, "here": drec is not None and w.policy.can_see(w.ident, drec)})
    space_models = []
    if rec.type == "space":
        for m in info.get("models") or []:
            mrec = w.hub.repo("model", str(m))
            space_models.append({"id": str(m), "here": mrec is not None and w.policy.can_see(w.ident, mrec)})
    used_in = info.get("spaces") or (w.hub.spaces_using("dataset", rec.id, w.ident) if rec.type == "dataset" else [])
    meta_tags = _meta_tags(rec, info, card)
    view = None
    if rec.type == "dataset" and w.policy.has_file_access(w.ident, rec):
        view = _viewer(w, rec, git, sha, card, w.ctx.query("config"), w.ctx.query("split"), w.ctx.query("p"))
    return w.page(
        "repo.html",
        info=info,
        card_html=card_html,
        snippets=_snippets(w, rec, info),
        results=_model_index(card),
        datasets=datasets,
        space_models=space_models,
        used_in=used_in,
        meta_tags=meta_tags,
        gate=_gate(w, rec),
        view=view,
        sha=sha,
        stage=(info.get("runtime") or {}).get("stage"),
        space_app=space_app_path(rec.id),
        clone=f"{w.origin}{_repo_base(rec)}",
        **values,
    )


def _meta_tags(rec, info: dict, card: dict) -> list[tuple[str, str, str]]:
    """(label, value, list link query) for the header."""
    kind = KINDS[rec.type]
    out = []
    tags = info["tags"]
    if rec.type == "model":
        if info.get("pipeline_tag"):
            out.append(("Task", info["pipeline_tag"], f"/{kind}?pipeline_tag={quote(info['pipeline_tag'])}"))
        if info.get("library_name"):
            out.append(("Library", info["library_name"], f"/{kind}?library={quote(info['library_name'])}"))
        for d in (t.split(":", 1)[1] for t in tags if t.startswith("dataset:")):
            out.append(("Dataset", d, f"/{kind}?dataset={quote(d)}"))
        for b in (t.split(":", 1)[1] for t in tags if t.startswith("base_model:")):
            out.append(("Base model", b, repo_path("model", b)))
        langs = card.get("language")
        for lang in langs if isinstance(langs, list) else [langs] if langs else []:
            out.append(("Language", str(lang), f"/{kind}?language={quote(str(lang))}"))
    else:
        for t in (t.split(":", 1)[1] for t in tags if t.startswith("task_categories:")):
            out.append(("Task", t, f"/{kind}?pipeline_tag={quote(t)}"))
        for t in (t.split(":", 1)[1] for t in tags if t.startswith("language:")):
            out.append(("Language", t, f"/{kind}?language={quote(t)}"))
        if info.get("sdk"):
            out.append(("SDK", str(info["sdk"]), f"/{kind}?search="))
    for lic in (t.split(":", 1)[1] for t in tags if t.startswith("license:")):
        out.append(("License", lic, f"/{kind}?license={quote(lic)}"))
    return out


def _viewer(w: Web, rec, git, sha: str, card: dict, config: str | None, split: str | None, p: str | None) -> dict:
    all_splits = viewer.splits(card, list(git.files(sha)))
    if not all_splits:
        return {"splits": [], "current": None}
    chosen = next(
        (s for s in all_splits if (config is None or s.config == config) and (split is None or s.name == split)), None
    )
    if chosen is None:
        raise NotFound(f"{rec.id} has no split {split!r} in config {config!r}")
    try:
        page_no = max(0, int(p or 0))
    except ValueError:
        raise BadRequest("Invalid page number") from None
    data = viewer.page(w.hub, git, sha, card, chosen, page_no)
    counts = {(s.config, s.name): viewer.count(w.hub, git, sha, s) for s in all_splits}
    return {
        "splits": all_splits,
        "current": chosen,
        "data": data,
        "counts": counts,
        "configs": len({s.config for s in all_splits}),
        "sha": sha,
    }


def viewer_page(w: Web) -> Response:
    rec = w.policy.download(w.ident, "dataset", w.ctx.repo_id, w.ctx.endpoint)
    git, sha = w.hub.resolve(rec.type, rec.id, "main")
    card = w.hub.meta(rec.type, rec.id, git, sha)["card"]
    view = _viewer(w, rec, git, sha, card, w.ctx.params.get("config"), w.ctx.params.get("split"), w.ctx.query("p"))
    return w.page("viewer.html", view=view, **_common(w, rec, tab="viewer", git=git))


def viewer_media(w: Web) -> Response:
    """An `Image` or `Audio` cell of the viewer (its thumbnails, its players): the policy of the dataset's files,
    the bytes only with the content type their magic bytes prove (`viewer.media`)."""
    rec = w.policy.download(w.ident, "dataset", w.ctx.repo_id, w.ctx.endpoint)
    git, sha = w.hub.resolve(rec.type, rec.id, w.ctx.params["sha"])
    card = w.hub.meta(rec.type, rec.id, git, sha)["card"]
    p = w.ctx.params
    split = next(
        (s for s in viewer.splits(card, list(git.files(sha))) if (s.config, s.name) == (p["config"], p["split"])), None
    )
    if split is None:
        raise NotFound(f"{rec.id} has no split {p['split']!r} in config {p['config']!r}")
    data, ctype = viewer.media(w.hub, git, sha, card, split, int(p["row"]), p["column"])
    return w.finish(Response(data, media_type=ctype, headers={"Cache-Control": "private, max-age=86400"}))


def tree(w: Web) -> Response:
    rec = w.policy.see(w.ident, w.ctx.repo_type, w.ctx.repo_id)
    rev = w.ctx.params["rev"]
    git, sha = w.hub.resolve(rec.type, rec.id, rev)
    folder = w.ctx.params.get("path", "").strip("/")
    if folder:
        check_path(folder)
    try:
        entries = listing.tree_entries(git, sha, folder, recursive=False)
    except KeyError:
        raise NotFound(f"{folder!r} is not a folder at {rev} of {rec.id}") from None
    last = git.commit_info(sha)
    crumbs, acc = [], ""
    for part in folder.split("/") if folder else []:
        acc = f"{acc}/{part}" if acc else part
        crumbs.append((part, acc))
    return w.page(
        "tree.html",
        entries=entries,
        folder=folder,
        crumbs=crumbs,
        sha=sha,
        last=last,
        **_common(w, rec, rev, tab="files", git=git),
    )


def blob(w: Web) -> Response:
    rec = w.policy.download(w.ident, w.ctx.repo_type, w.ctx.repo_id, w.ctx.endpoint)
    rev, path = w.ctx.params["rev"], check_path(w.ctx.params["path"])
    git, sha = w.hub.resolve(rec.type, rec.id, rev)
    entry = w.hub.entry(git, sha, rec.id, rev, path)
    raw = git.blob(entry.blob)
    pointer = Pointer.parse(raw)
    lines = None
    binary = False
    if pointer is None:
        binary = b"\x00" in raw[:8192] or len(raw) > MAX_TEXT
        if not binary:
            lines = raw.decode("utf-8", "replace").splitlines()
    resolve = file_path(rec.type, rec.id, rev, path)
    return w.page(
        "blob.html",
        path=path,
        lines=lines,
        binary=binary,
        pointer=pointer,
        size=len(raw),
        resolve=resolve,
        download=resolve.replace("/resolve/", "/download/", 1),
        blob_sha=entry.blob,
        sha=sha,
        **_common(w, rec, rev, tab="files", git=git),
    )


def download(w: Web) -> Response:
    """A file from a page's link: `resolve` itself (same policy, headers, download count), with the caller of the
    page (its session cookie; `resolve` only knows tokens) and `Content-Disposition: attachment`."""
    w.ctx.ident = w.ident
    response = api_files.resolve(w.ctx)
    name = w.ctx.params["path"].rsplit("/", 1)[-1]
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name, safe='')}"
    return response


def commits(w: Web) -> Response:
    rec = w.policy.see(w.ident, w.ctx.repo_type, w.ctx.repo_id)
    rev = w.ctx.params["rev"]
    git, sha = w.hub.resolve(rec.type, rec.id, rev)
    history = git.log(sha)
    try:
        page_no = max(0, int(w.ctx.query("p") or 0))
    except ValueError:
        raise BadRequest("Invalid page number") from None
    size = listing.COMMITS_PAGE
    return w.page(
        "commits.html",
        history=history[page_no * size : (page_no + 1) * size],
        page_no=page_no,
        pages=max(1, -(-len(history) // size)),
        total=len(history),
        **_common(w, rec, rev, tab="commits", git=git),
    )


def commit(w: Web) -> Response:
    rec = w.policy.see(w.ident, w.ctx.repo_type, w.ctx.repo_id)
    git, sha = w.hub.resolve(rec.type, rec.id, w.ctx.params["sha"])
    info = git.commit_info(sha)
    now = git.files(sha)
    before = git.files(info.parents[0]) if info.parents else {}
    changes = [("added", p) for p in sorted(set(now) - set(before))]
    changes += [("deleted", p) for p in sorted(set(before) - set(now))]
    changes += [("modified", p) for p in sorted(set(now) & set(before)) if now[p].blob != before[p].blob]
    changes.sort(key=lambda c: c[1])
    return w.page("commit.html", commit=info, changes=changes, **_common(w, rec, sha, tab="commits", git=git))


def request_access(w: Web) -> Response:
    form = w.posted
    rec, ident = w.policy.request_access(w.ident, w.ctx.repo_type, w.ctx.repo_id)
    fields = {k: v[:500] for k, v in form.items() if k != "csrf"}
    w.hub.access.ask(rec, ident.user, fields)
    return w.redirect(_repo_base(rec))


def access_requests(w: Web) -> Response:
    rec = w.policy.manage_access(w.ident, w.ctx.repo_type, w.ctx.repo_id)
    if not rec.gated:
        raise BadRequest(f"{rec.id} is not a gated repo")
    if w.ctx.request.method == "POST":
        form = w.posted
        user = form.get("user", "")
        if not w.hub.accounts.exists(user):
            raise NotFound(f"User {user!r} not found on the course hub")
        w.hub.access.set_status(rec, user, form.get("status"))
        return w.redirect(_repo_base(rec) + "/access-requests")
    lists = {status: w.hub.access.listed(rec, status) for status in ("pending", "accepted", "rejected")}
    return w.page("access.html", lists=lists, **_common(w, rec, tab="access"))


# --- people and sign-in ---------------------------------------------------------------------------------------
def person(w: Web) -> Response:
    name = w.ctx.params["user"]
    user = w.hub.accounts.get(name)
    if user is None:
        raise NotFound(f"No user or organisation {name!r} on the course hub")
    repos = {t: [_card_summary(r) for r in _rows(w, t, author=name, sort="likes")] for t in KINDS}
    orgs = [] if user["is_org"] else w.hub.accounts.orgs_of(name)
    return w.page("person.html", person=user, repos=repos, orgs=orgs, title=name)


def _safe_next(value: str | None, base: str) -> str:
    """Where to go after signing in: a path on this site only."""
    if not value or not NEXT_RE.match(value) or value.startswith("//"):
        return "/"
    if base and value.startswith(base + "/"):
        value = value[len(base) :]
    return value


def login(w: Web) -> Response:
    nxt = _safe_next(w.ctx.query("next"), w.base)
    jh = jupyterhub_login.client()  # a JupyterHub service: sign in through JupyterHub (the token form: ?with=token)
    if jh is not None and w.ctx.request.method == "GET" and w.ctx.query("with") != "token":
        return jupyterhub_login.start(w, jh, nxt)
    if w.ctx.request.method == "GET":
        return w.page("login.html", next=nxt, title="Sign in")
    form = w.posted
    nxt = _safe_next(form.get("next"), w.base)
    username, token = form.get("username", "").strip(), form.get("token", "").strip()
    try:
        ident = w.policy.identify(token) if token else None
    except InvalidCredentials:
        ident = None
    if ident is None or ident.user != username:
        response = w.page(
            "login.html",
            next=nxt,
            username=username,
            status=401,
            title="Sign in",
            failed="That username and token do not match a token of the course hub.",
        )
        response.headers["X-Error-Code"] = "InvalidCredentials"
        response.headers["X-Error-Message"] = "Invalid username or token"
        return response
    w.cookie = sessions.new(ident.user, digest(token))  # a fresh nonce: a session is never reused across sign-ins
    w.set_cookie = sessions.dump(w.cookie, w.secret)
    return w.redirect(nxt)


def logout(w: Web) -> Response:
    w.cookie = sessions.new()
    w.set_cookie = sessions.dump(w.cookie, w.secret)
    w.ident = None
    jh = jupyterhub_login.client()  # signed in through JupyterHub: out of JupyterHub too, else /login signs in again
    if jh is not None:
        return w.finish(RedirectResponse(w.location(jh.logout_url), status_code=303))
    return w.redirect("/")


def oauth_callback(w: Web) -> Response:
    """JupyterHub's OAuth redirect (jupyterhub_login.py); outside JupyterHub, the person page it was before."""
    jh = jupyterhub_login.client()
    if jh is None:  # as the person page was: behind the sign-in in classroom mode
        if w.ctx.settings.classroom and w.ident is None:
            return w.redirect("/login?" + urlencode({"next": w.ctx.request.url.path}))
        return person(w)
    return jupyterhub_login.finish(w, jh, lambda nxt: _safe_next(nxt, w.base))


def tokens(w: Web) -> Response:
    if w.ident is None:
        return w.redirect("/login?" + urlencode({"next": "/settings/tokens"}))
    created = None
    if w.ctx.request.method == "POST":
        form = w.posted
        name = form.get("name", "").strip()[:100] or f"{w.ident.user}-{form.get('role', 'read')}"
        role = w.policy.token_for(w.ident, w.ident.user, form.get("role", "read"))
        if role not in ("read", "write"):
            raise BadRequest("A token's role is read or write")
        created = {"name": name, "role": role, "token": w.hub.accounts.create_token(w.ident.user, role, name)}
    response = w.page(
        "tokens.html",
        tokens=w.hub.accounts.tokens_of(w.ident.user),
        created=created,
        current=w.cookie.digest[:16] if w.cookie and w.cookie.digest else None,
        title="Access tokens",
    )
    response.headers["Cache-Control"] = "no-store"  # a new token is shown once
    return response


def delete_token(w: Web) -> Response:
    form = w.posted
    if w.ident is None:
        return w.redirect("/login")
    if not w.hub.accounts.delete_token(w.ident.user, form.get("id", "")):
        raise NotFound("No such token")
    return w.redirect("/settings/tokens")


ROUTES: list[Route] = [
    route("GET", r"/", page(home), page=True),
    route("GET", r"/static/(?P<file>[A-Za-z0-9_.-]+)", static, page=True),
    route("GET|POST", r"/login", page(login, public=True), page=True),
    route("POST", r"/logout", page(logout, public=True), page=True),
    route("GET|POST", r"/settings/tokens", page(tokens), page=True),
    route("POST", r"/settings/tokens/delete", page(delete_token), page=True),
    route("GET", r"/(?P<type>models|datasets|spaces)", page(repo_list), page=True),
    route(
        "GET",
        r"/datasets/(?P<repo>[^/]+/[^/]+)/viewer(?:/(?P<config>[^/]+)/(?P<split>[^/]+))?",
        page(viewer_page),
        page=True,
    ),
    route(
        "GET",
        r"/datasets/(?P<repo>[^/]+/[^/]+)/viewer-media/(?P<sha>[0-9a-f]{40})/(?P<config>[^/]+)/(?P<split>[^/]+)"
        r"/(?P<row>[0-9]{1,12})/(?P<column>.+)",
        page(viewer_media, negotiate=False),
        page=True,
    ),
    route("GET", rf"{REPO}/tree/{REV}(?:/(?P<path>.*))?", page(tree), page=True),
    route("GET", rf"{REPO}/blob/{REV}/(?P<path>.+)", page(blob), page=True),
    route("GET", rf"{REPO}/download/{REV}/(?P<path>.+)", page(download, negotiate=False), page=True),
    route("GET", rf"{REPO}/commits/{REV}", page(commits), page=True),
    route("GET", rf"{REPO}/commit/(?P<sha>[0-9a-f]{{40}})", page(commit), page=True),
    route("POST", rf"{REPO}/request-access", page(request_access), page=True),
    route("GET|POST", rf"{REPO}/access-requests", page(access_requests), page=True),
    route("GET", REPO, page(repo_page), page=True),
    route("GET", r"/(?P<user>oauth_callback)", page(oauth_callback, public=True), page=True),
    route("GET", rf"/(?P<user>{OWNER})", page(person), page=True),
]
