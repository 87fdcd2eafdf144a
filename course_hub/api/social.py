"""Likes and collections: what `HfApi.unlike`, `list_liked_repos`, `list_repo_likers` and the collection methods
call (and the website's like button: `HfApi` has no `like`, the Hub keeps liking to people)."""

from __future__ import annotations

import re
import secrets

from starlette.responses import JSONResponse

from .. import listing
from ..errors import BadRequest, Conflict, NotFound, RepoNotFound, UserNotFound
from ..http import Ctx
from ..names import check_repo_id, iso

ITEM_TYPES = ("model", "dataset", "space", "paper", "collection")
THEMES = ("default", "orange", "blue", "green", "purple", "pink", "indigo", "yellow")


# --- likes -----------------------------------------------------------------------------------------------------------
def like(ctx: Ctx):
    """POST likes, DELETE unlikes (once each: liking twice changes nothing)."""
    rec, ident = ctx.policy.react(ctx.ident, ctx.repo_type, ctx.repo_id)
    ctx.hub.store.like(rec.type, rec.id, ident.user, ctx.request.method == "POST")
    return JSONResponse({"likes": ctx.hub.store.get_repo(rec.type, rec.id).likes})


def likers(ctx: Ctx):
    rec = ctx.policy.see(ctx.ident, ctx.repo_type, ctx.repo_id)
    out = []
    for user in ctx.hub.store.likers(rec.type, rec.id):
        info = ctx.hub.store.get_user(user) or {"name": user, "fullname": user}
        out.append(
            {
                "user": info["name"],
                "fullname": info["fullname"],
                "type": "user",
                "isPro": False,
                "avatarUrl": f"{ctx.endpoint}/avatars/{info['name']}.svg",
            }
        )
    page, headers = listing.paginate(
        out,
        ctx.query("cursor"),
        ctx.settings.page_size,
        str(ctx.request.url).split("?")[0],
        dict(ctx.request.query_params.multi_items()),
    )
    return JSONResponse(page, headers=headers)


def liked_by(ctx: Ctx):
    """A user's likes, public as on the Hub (minus repos the caller may not see)."""
    user = ctx.params["user"]
    if not ctx.hub.store.user_exists(user):
        raise UserNotFound(f"User {user!r} not found")
    out = []
    for repo_type, repo_id, created in ctx.hub.store.liked_by(user):
        rec = ctx.hub.store.get_repo(repo_type, repo_id, follow=False)
        if rec is not None and ctx.policy.can_see(ctx.ident, rec):
            out.append({"createdAt": iso(created), "repo": {"name": rec.id, "type": rec.type}})
    page, headers = listing.paginate(
        out,
        ctx.query("cursor"),
        ctx.settings.page_size,
        str(ctx.request.url).split("?")[0],
        dict(ctx.request.query_params.multi_items()),
    )
    return JSONResponse(page, headers=headers)


# --- collections -----------------------------------------------------------------------------------------------------
def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "collection"


def _found(ctx: Ctx) -> dict:
    coll = ctx.hub.store.get_collection(ctx.params["slug"])
    if coll is None:
        raise NotFound(f"Collection {ctx.params['slug']!r} not found")
    ctx.policy.see_collection(ctx.ident, coll["namespace"], coll["private"], coll["slug"])
    return coll


def _editable(ctx: Ctx) -> dict:
    coll = _found(ctx)
    ctx.policy.edit_collection(ctx.ident, coll["namespace"], coll["private"], coll["slug"])
    return coll


def collection_json(ctx: Ctx, coll: dict, max_items: int | None = None) -> dict:
    owner = ctx.hub.store.get_user(coll["namespace"]) or {
        "name": coll["namespace"],
        "fullname": coll["namespace"],
        "is_org": False,
    }
    items = []
    for it in ctx.hub.store.collection_items(coll["slug"]):
        item = {"_id": it["item_id"], "position": it["position"], "type": it["type"], "id": it["id"]}
        if it["note"]:
            item["note"] = {"text": it["note"], "html": it["note"]}
        if it["type"] in ("model", "dataset", "space"):
            rec = ctx.hub.store.get_repo(it["type"], it["id"])
            if rec is None or not ctx.policy.can_see(ctx.ident, rec):
                continue  # deleted, or private to someone else: not shown
            item.update(
                {
                    "id": rec.id,
                    "author": rec.namespace,
                    "private": rec.private,
                    "gated": rec.gated,
                    "downloads": rec.downloads,
                    "likes": rec.likes,
                    "repoType": rec.type,
                }
            )
        elif it["type"] == "collection":
            inner = ctx.hub.store.get_collection(it["id"])
            if inner is None or (inner["private"] and not ctx.policy.is_member(ctx.ident, inner["namespace"])):
                continue
            item.update({"slug": inner["slug"], "title": inner["title"]})
        items.append(item)
    return {
        "slug": coll["slug"],
        "title": coll["title"],
        "description": coll["description"] or None,
        "owner": {
            "_id": listing.object_id("user", owner["name"]),
            "name": owner["name"],
            "fullname": owner["fullname"],
            "type": "org" if owner.get("is_org") else "user",
        },
        "items": items[:max_items] if max_items is not None else items,
        "lastUpdated": iso(coll["updated"]),
        "position": coll["position"],
        "private": coll["private"],
        "theme": coll["theme"],
        "upvotes": 0,
        "isUpvotedByUser": False,
        "shareUrl": f"{ctx.endpoint}/collections/{coll['slug']}",
        "gating": False,
    }


def list_collections(ctx: Ctx):
    """GET /api/collections?owner=&item=&sort=&limit= (at most 4 items each, as the Hub lists them)."""
    item = ctx.query("item")
    sort = ctx.query("sort")
    if sort not in (None, "lastModified", "trending", "upvotes"):
        raise BadRequest("`sort` must be lastModified, trending or upvotes")
    out = []
    for coll in ctx.hub.store.collections(ctx.query("owner")):
        if coll["private"] and not ctx.policy.is_member(ctx.ident, coll["namespace"]):
            continue
        if item:
            kind, _, ident = item.partition("/")
            kind = {
                "models": "model",
                "datasets": "dataset",
                "spaces": "space",
                "papers": "paper",
                "collections": "collection",
            }.get(kind, kind)
            if not any(
                it["type"] == kind and it["id"].lower() == ident.lower()
                for it in ctx.hub.store.collection_items(coll["slug"])
            ):
                continue
        entry = collection_json(ctx, coll, max_items=4)
        entry.pop("position")  # the list's order is the position (HfApi.list_collections numbers them itself)
        out.append(entry)
    return listing.paged(ctx, out, "/api/collections")


def create_collection(ctx: Ctx):
    data = ctx.json()
    ident = ctx.policy.signed_in(ctx.ident, "create a collection (with a write token)")
    title, namespace = data.get("title"), data.get("namespace") or ident.user
    if not isinstance(title, str) or not title.strip() or len(title) > 60:
        raise BadRequest("`title` is required (1 to 60 characters)")
    if not isinstance(namespace, str):
        raise BadRequest("`namespace` must be a user or organisation name")
    check_repo_id(f"{namespace}/x")
    description = data.get("description") or ""
    if not isinstance(description, str) or len(description) > 150:
        raise BadRequest("`description` must be a string of at most 150 characters")
    ctx.policy.create(ctx.ident, namespace, f"create a collection under the namespace {namespace!r}")
    existing = ctx.hub.store.collection_by_title(namespace, title)
    if existing is not None:  # the body carries `slug`: create_collection(exists_ok=True) reads it
        raise Conflict(f"A collection titled {title!r} already exists in {namespace}", slug=existing["slug"])
    slug = f"{namespace}/{slugify(title)}-{secrets.token_hex(12)}"
    ctx.hub.store.create_collection(slug, namespace, title, description, bool(data.get("private")))
    return JSONResponse(collection_json(ctx, ctx.hub.store.get_collection(slug)))


def get_collection(ctx: Ctx):
    return JSONResponse(collection_json(ctx, _found(ctx)))


def update_collection(ctx: Ctx):
    """PATCH {title?, description?, private?, theme?, position?} -> {"data": collection}; a new title gives a new
    slug (the trailing id stays)."""
    coll = _editable(ctx)
    data = ctx.json()
    fields, new_slug = {}, None
    if "title" in data:
        if not isinstance(data["title"], str) or not data["title"].strip() or len(data["title"]) > 60:
            raise BadRequest("`title` must be 1 to 60 characters")
        fields["title"] = data["title"]
        new_slug = f"{coll['namespace']}/{slugify(data['title'])}-{coll['slug'].rsplit('-', 1)[-1]}"
    if "description" in data:
        if not isinstance(data["description"], str) or len(data["description"]) > 150:
            raise BadRequest("`description` must be a string of at most 150 characters")
        fields["description"] = data["description"]
    if "private" in data:
        if not isinstance(data["private"], bool):
            raise BadRequest("`private` must be true or false")
        fields["private"] = data["private"]
    if "theme" in data:
        if data["theme"] not in THEMES:
            raise BadRequest(f"`theme` must be one of {', '.join(THEMES)}")
        fields["theme"] = data["theme"]
    if "position" in data:
        if not isinstance(data["position"], int) or isinstance(data["position"], bool) or data["position"] < 0:
            raise BadRequest("`position` must be a non-negative integer")
        fields["position"] = data["position"]
    ctx.hub.store.update_collection(coll["slug"], new_slug, **fields)
    return JSONResponse(
        {"success": True, "data": collection_json(ctx, ctx.hub.store.get_collection(new_slug or coll["slug"]))}
    )


def delete_collection(ctx: Ctx):
    coll = _editable(ctx)
    ctx.hub.store.delete_collection(coll["slug"])
    return JSONResponse({})


def add_item(ctx: Ctx):
    """POST {item: {type, id}, note?}: a repo the caller can see, a paper id, or another collection."""
    coll = _editable(ctx)
    data = ctx.json()
    item, note = data.get("item"), data.get("note")
    if not isinstance(item, dict) or item.get("type") not in ITEM_TYPES or not isinstance(item.get("id"), str):
        raise BadRequest(f"`item` must be {{type, id}} with a type among {', '.join(ITEM_TYPES)}")
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        raise BadRequest("`note` must be a string of at most 500 characters")
    item_type, item_id = item["type"], item["id"]
    if item_type in ("model", "dataset", "space"):
        try:
            item_id = ctx.policy.see(ctx.ident, item_type, item_id).id
        except RepoNotFound as e:
            raise RepoNotFound(e.message) from None  # always 404 here: the caller is signed in
    elif item_type == "collection":
        inner = ctx.hub.store.get_collection(item_id)
        if inner is None or (inner["private"] and not ctx.policy.is_member(ctx.ident, inner["namespace"])):
            raise NotFound(f"Collection {item_id!r} not found")
        item_id = inner["slug"]
    elif not re.fullmatch(r"[0-9]{4}\.[0-9]{4,5}", item_id):
        raise BadRequest("A paper is named by its arXiv id (e.g. 2307.09288)")
    if ctx.hub.store.add_collection_item(coll["slug"], item_type, item_id, note) is None:
        raise Conflict(f"{item_type} {item_id} is already in the collection {coll['slug']}")
    return JSONResponse(collection_json(ctx, ctx.hub.store.get_collection(coll["slug"])))


def update_item(ctx: Ctx):
    coll = _editable(ctx)
    data = ctx.json()
    note, position = data.get("note"), data.get("position")
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        raise BadRequest("`note` must be a string of at most 500 characters")
    if position is not None and (not isinstance(position, int) or isinstance(position, bool) or position < 0):
        raise BadRequest("`position` must be a non-negative integer")
    if not ctx.hub.store.update_collection_item(coll["slug"], ctx.params["item"], note, position):
        raise NotFound(f"Item {ctx.params['item']!r} not found in {coll['slug']}")
    return JSONResponse({"success": True})


def delete_item(ctx: Ctx):
    coll = _editable(ctx)
    if not ctx.hub.store.delete_collection_item(coll["slug"], ctx.params["item"]):
        raise NotFound(f"Item {ctx.params['item']!r} not found in {coll['slug']}")
    return JSONResponse({})
