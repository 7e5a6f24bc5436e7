"""Bluesky: an account's own posts from the public AppView, no login (``bluesky:alice.bsky.social``).

The handle may also be a DID (``bluesky:did:plc:...``). ``app.bsky.feed.getAuthorFeed`` at
``scrape.bluesky.base_url`` is read page by page (``cursor``, up to 100 posts a page), newest
first. Reposts are left out (their feed item has a ``reason``); replies are left out unless
``scrape.bluesky.replies``. A post's id is its ``at://`` URI, its date the ``createdAt`` its app
wrote (``indexedAt``, when the AppView saw it, if that is missing), its language the first of its
``langs``. The feed item is kept whole in ``raw``.

Bluesky's feed has no "newer than" parameter: an incremental run reads from the newest post and
stops at the first page holding a post already held.
"""
from __future__ import annotations

from elm.sources import live
from elm.sources.records import normalize

FEED_METHOD = "app.bsky.feed.getAuthorFeed"


def read(handle: str, params, http, held_ids: frozenset[str] = frozenset()):
    """The posts of ``handle`` newer than those in ``held_ids`` (all of them when it is empty)."""
    handle = handle.removeprefix("@")
    session = live.Session(f"bluesky:{handle}", http)
    posts = live.collect(pages(session, handle, params), held_ids, params.max_posts, session)
    return normalize(posts, handle, "bluesky")


def pages(session: live.Session, handle: str, params):
    """The account's own posts, one list of records per feed page, newest first."""
    url = f"{params.base_url.rstrip('/')}/{FEED_METHOD}"
    query = {
        "actor": handle,
        "limit": params.page_size,
        "filter": "posts_with_replies" if params.replies else "posts_no_replies",
    }
    while True:
        reply = session.get_json(url, query)
        feed = reply.get("feed") if isinstance(reply, dict) else None
        yield live.records(feed, own_post_record, session.label, url)
        cursor = reply.get("cursor")
        if not feed or not cursor:
            return
        query["cursor"] = cursor


def own_post_record(item: dict) -> dict | None:
    """A feed item as a record for :func:`normalize`, or None for a repost (an item with a ``reason``)."""
    if "reason" in item:
        return None
    post = item["post"]
    record = post["record"]
    return {
        "id": post["uri"],
        "created_at": live.iso_time(record.get("createdAt") or post.get("indexedAt")),
        "text": record.get("text", ""),
        "language": (record.get("langs") or [""])[0],
        "reply": "reply" in record,
        "raw": item,
    }
