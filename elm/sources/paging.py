"""An account's posts from a live API, page by page, newest first, and when the reading stops.

A source hands :func:`collect` a function ``fetch(cursor, limit) -> Page`` that asks its API for one page (the
first when ``cursor`` is None; at most ``limit`` posts) and turns the reply into a :class:`Page` with
:func:`page`. Reading ends as it should when the API has no more (no cursor, or an empty page) or when a page
reaches a post already held (the rest are older). It also always ends, whatever the API sends:

- at a page that holds no post not read before (the API sent the same page again);
- at a cursor the API sent before (its pages would go round in a loop);
- once ``max_posts`` posts have been read: every post the API sent counts, kept or not (reposts, and replies
  when they are left out), since each costs the API's time and X bills each;
- after :func:`page_cap` pages, for an API whose pages come back short (one post a page would otherwise take
  ``max_posts`` requests).

Each of these early stops is said on stderr with its reason and what was kept: the posts read so far.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from elm.errors import ElmError
from elm.sources import files
from elm.sources.live import Session

logger = logging.getLogger(__name__)

PAGE_CAP_FACTOR = 2  # pages allowed, in multiples of the pages that max_posts would fill


@dataclass(frozen=True)
class Page:
    ids: list[str]  # the id of every post the API sent, kept or not: each counts as read
    records: list[dict]  # the posts kept, as records for elm.sources.records.normalize
    cursor: str | None  # what asks the API for the next page; None when it has no more


def page(items, to_record: Callable[[dict], tuple[str, dict | None]], cursor, session: Session, url: str) -> Page:
    """The :class:`Page` of the ``items`` of an API reply and its next ``cursor``. ``to_record`` gives an
    item's id and its record, or None for an item left out (a repost); an item that lacks what the API
    documents (a changed API or a wrong base URL) is an ElmError naming it instead of a KeyError."""
    if not isinstance(items, list):
        raise ElmError(f"{session.label}: {url} replied {session.quote(items, 80)!r} where a list of posts was "
                       "expected; check the base_url")
    ids, records = [], []
    for index, item in enumerate(items):
        try:
            item_id, record = to_record(item)
        except (KeyError, TypeError, AttributeError) as err:
            raise ElmError(
                f"{session.label}: item {index} of the reply from {url} is not shaped as the API documents "
                f"({type(err).__name__}: {session.quote(err, 80)}): {session.quote(item, 120)}; check the base_url"
            ) from None
        ids.append(str(item_id))
        if record is not None:
            records.append(record)
    return Page(ids, records, str(cursor) if cursor else None)


def page_cap(max_posts: int, page_size: int) -> int:
    """The most pages one account's reading may take: :data:`PAGE_CAP_FACTOR` times as many as ``max_posts``
    would fill at ``page_size`` a page, leaving room for pages the API sends short."""
    return PAGE_CAP_FACTOR * math.ceil(max_posts / page_size)


def collect(fetch: Callable[[str | None, int], Page], held_ids: frozenset[str], params, session: Session,
            key: str) -> list[dict]:
    """The new records of an account, newest first, read with ``fetch`` until the API has no more, a page
    reaches a post in ``held_ids``, or one of the stops above; posts seen twice are kept once. ``params``
    is the source's section (``max_posts``, ``page_size``), ``key`` its name in params (scrape.bluesky)."""
    max_pages = page_cap(params.max_posts, params.page_size)
    posts: list[dict] = []
    seen, cursors = set(held_ids), set()
    cursor, read, number = None, 0, 0
    while True:
        current = fetch(cursor, min(params.page_size, params.max_posts - read))
        number += 1
        read += len(current.ids)
        adds_new = any(post_id not in seen for post_id in current.ids)
        for record in current.records:
            if record["id"] not in seen:
                seen.add(record["id"])
                posts.append(record)
        seen.update(current.ids)
        logger.info(f"{session.label}: page {number}: {len(posts)} new posts so far")
        if not current.ids or current.cursor is None or any(post_id in held_ids for post_id in current.ids):
            break
        reason = stop_reason(adds_new, current.cursor in cursors, read, number, max_pages, params, key)
        if reason:
            logger.warning(f"{session.label}: stopped reading at page {number}: {reason}; keeping the "
                           f"{min(len(posts), params.max_posts)} new posts read (older posts were not read)")
            break
        cursors.add(current.cursor)
        cursor = current.cursor
    posts = posts[:params.max_posts]
    logger.info(f"{session.label}: fetched {len(posts)} new posts in {number} pages, {read} posts read "
                f"({session.rate_limit_waits} rate-limit waits, {session.retries} retries in all)")
    return posts


def stop_reason(adds_new: bool, cursor_seen: bool, read: int, pages: int, max_pages: int, params, key: str):
    """Why reading must stop before the API says it has no more, or None to read on."""
    if not adds_new:
        return "the page holds only posts already read (the API sent a page again)"
    if cursor_seen:
        return "the API sent a page cursor it had sent before (its pages would go round in a loop)"
    if read >= params.max_posts:
        return (f"{read} posts read (reposts and left-out replies count too), the most {key}.max_posts "
                f"({params.max_posts}) allows; raise it to read further back")
    if pages >= max_pages:
        return (f"{pages} pages read, the most allowed for {key}.max_posts ({params.max_posts}) at page_size "
                f"{params.page_size}: the API sends pages short")
    return None


def newest_numeric_id(ids: Iterable[str]) -> str | None:
    """The largest of ``ids`` compared as numbers (X and Mastodon ids grow with time), or None."""
    numeric = [int(i) for i in ids if i.isdigit()]
    return str(max(numeric)) if numeric else None


def iso_time(value) -> str:
    """An API timestamp as ISO 8601 UTC, or "" when it is missing or unreadable: one odd date must
    not stop a whole account."""
    try:
        return files.to_iso_utc(value)
    except ValueError:
        return ""
