"""Likes and collections: what `HfApi.unlike`, `list_liked_repos`, `list_repo_likers` and the collection methods
call (and the website's like button: `HfApi` has no `like`, the Hub keeps liking to people)."""

from __future__ import annotations

import re

from starlette.responses import JSONResponse

from .. import listing
from ..errors import BadRequest, RepoNotFound, UserNotFound
from ..http import Ctx
from ..names import check_repo_id, iso

ITEM_TYPES = ("model", "dataset", "space", "paper", "collection")
THEMES = ("default", "orange", "blue", "green", "purple", "pink", "indigo", "yellow")


# --- likes -----------------------------------------------------------------------------------------------------------
def like(ctx: Ctx):
    """POST likes, DELETE unlikes (once each: liking twice changes nothing)."""
    rec, ident = ctx.policy.react(ctx.ident, ctx.repo_type, ctx.repo_id)
    return JSONResponse({"likes": ctx.hub.social.like(rec, ident.user, ctx.request.method == "POST")})


def likers(ctx: Ctx):
    rec = ctx.policy.see(ctx.ident, ctx.repo_type, ctx.repo_id)
    out = []
    for user in ctx.hub.social.likers(rec):
        info = ctx.hub.accounts.card(user)
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
    if not ctx.hub.accounts.exists(user):
        raise UserNotFound(f"User {user!r} not found")
    out = []
    for rec, created in ctx.hub.social.liked_by(user):
        if ctx.policy.can_see(ctx.ident, rec):
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
def _found(ctx: Ctx) -> dict:
    coll = ctx.hub.social.collection(ctx.params["slug"])
    return ctx.policy.see_collection(ctx.ident, coll, coll["slug"] if coll else ctx.params["slug"])


def _editable(ctx: Ctx) -> dict:
    coll = _found(ctx)
    return ctx.policy.edit_collection(ctx.ident, coll, coll["slug"])


def collection_json(ctx: Ctx, coll: dict, max_items: int | None = None) -> dict:
    owner = ctx.hub.accounts.card(coll["namespace"])
    items = []
    for it in ctx.hub.social.items(coll):
        item = {"_id": it["item_id"], "position": it["position"], "type": it["type"], "id": it["id"]}
        if it["note"]:
            item["note"] = {"text": it["note"], "html": it["note"]}
        if it["type"] in ("model", "dataset", "space"):
            rec = ctx.hub.repo(it["type"], it["id"])
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
            inner = ctx.hub.social.collection(it["id"])
            if inner is None or not ctx.policy.can_see_collection(ctx.ident, inner):
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
    for coll in ctx.hub.social.collections(ctx.query("owner")):
        if not ctx.policy.can_see_collection(ctx.ident, coll):
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
            if not any(it["type"] == kind and it["id"].lower() == ident.lower() for it in ctx.hub.social.items(coll)):
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
    coll = ctx.hub.social.create_collection(namespace, title, description, bool(data.get("private")))
    return JSONResponse(collection_json(ctx, coll))


def get_collection(ctx: Ctx):
    return JSONResponse(collection_json(ctx, _found(ctx)))


def update_collection(ctx: Ctx):
    """PATCH {title?, description?, private?, theme?, position?} -> {"data": collection}; a new title gives a new
    slug (the trailing id stays)."""
    coll = _editable(ctx)
    data = ctx.json()
    fields = {}
    if "title" in data:
        if not isinstance(data["title"], str) or not data["title"].strip() or len(data["title"]) > 60:
            raise BadRequest("`title` must be 1 to 60 characters")
        fields["title"] = data["title"]
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
    coll = ctx.hub.social.update_collection(coll, **fields)
    return JSONResponse({"success": True, "data": collection_json(ctx, coll)})


def delete_collection(ctx: Ctx):
    coll = _editable(ctx)
    ctx.hub.social.delete_collection(coll)
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
        item_id = ctx.policy.see_collection(ctx.ident, ctx.hub.social.collection(item_id), item_id)["slug"]
    elif not re.fullmatch(r"[0-9]{4}\.[0-9]{4,5}", item_id):
        raise BadRequest("A paper is named by its arXiv id (e.g. 2307.09288)")
    return JSONResponse(collection_json(ctx, ctx.hub.social.add_item(coll, item_type, item_id, note)))


def update_item(ctx: Ctx):
    coll = _editable(ctx)
    data = ctx.json()
    note, position = data.get("note"), data.get("position")
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        raise BadRequest("`note` must be a string of at most 500 characters")
    if position is not None and (not isinstance(position, int) or isinstance(position, bool) or position < 0):
        raise BadRequest("`position` must be a non-negative integer")
    ctx.hub.social.update_item(coll, ctx.params["item"], note, position)
    return JSONResponse({"success": True})


def delete_item(ctx: Ctx):
    coll = _editable(ctx)
    ctx.hub.social.delete_item(coll, ctx.params["item"])
    return JSONResponse({})
