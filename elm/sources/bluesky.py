"""Bluesky: an account's own posts from the public AppView, no login (``bluesky:alice.bsky.social``).

The handle may also be a DID (``bluesky:did:plc:...``). ``app.bsky.feed.getAuthorFeed`` at
``scrape.bluesky.base_url`` is read page by page (``cursor``, up to 100 posts a page), newest
first, until one of the stops of elm/sources/paging.py. Reposts are left out (their feed item has
a ``reason``); replies are left out unless ``scrape.bluesky.replies``. A post's id is its ``at://``
URI, its date the ``createdAt`` its app wrote (``indexedAt``, when the AppView saw it, if that is
missing), its language the first of its ``langs``. The feed item is kept whole in ``raw``.

Bluesky's feed has no "newer than" parameter: an incremental run reads from the newest post and
stops at the first page holding a post already held.
"""
from __future__ import annotations

from elm.sources import live, paging
from elm.sources.records import normalize

FEED_METHOD = "app.bsky.feed.getAuthorFeed"


def read(handle: str, params, http, held_ids: frozenset[str] = frozenset()):
    """The posts of ``handle`` newer than those in ``held_ids`` (all of them when it is empty)."""
    handle = handle.removeprefix("@")
    base_url = live.check_base_url(params.base_url, "scrape.bluesky.base_url")
    session = live.Session(f"bluesky:{handle}", http)
    posts = paging.collect(page_reader(session, base_url, handle, params), held_ids, params, session,
                           "scrape.bluesky")
    return normalize(posts, handle, "bluesky")


def page_reader(session: live.Session, base_url: str, handle: str, params):
    """``fetch(cursor, limit)``: one page of the account's own posts (:class:`paging.Page`), newest first."""
    url = f"{base_url}/{FEED_METHOD}"
    query = {"actor": handle, "filter": "posts_with_replies" if params.replies else "posts_no_replies"}

    def fetch(cursor: str | None, limit: int) -> paging.Page:
        reply = session.get_json(url, {**query, "limit": limit, **({"cursor": cursor} if cursor else {})})
        feed, cursor = (reply.get("feed"), reply.get("cursor")) if isinstance(reply, dict) else (None, None)
        return paging.page(feed, own_post_record, cursor, session, url)

    return fetch


def own_post_record(item: dict) -> tuple[str, dict | None]:
    """A feed item's id (its post's ``at://`` URI) and its record for :func:`normalize`, or None for a repost
    (an item with a ``reason``)."""
    post = item["post"]
    if "reason" in item:
        return post["uri"], None
    record = post["record"]
    return post["uri"], {
        "id": post["uri"],
        "created_at": paging.iso_time(record.get("createdAt") or post.get("indexedAt")),
        "text": record.get("text", ""),
        "language": (record.get("langs") or [""])[0],
        "reply": "reply" in record,
        "raw": item,
    }
