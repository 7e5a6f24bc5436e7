"""Mastodon: an account's public statuses on its instance (``mastodon:user@instance.social``).

The account is looked up with ``/api/v1/accounts/lookup?acct=user@instance``, then its statuses
are read from ``/api/v1/accounts/:id/statuses``, 40 a page at most, newest first (``max_id``
pagination) until one of the stops of elm/sources/paging.py, with reblogs left out (asked of the server,
and dropped should it send some anyway) and replies too unless ``scrape.mastodon.replies``. Requests go
to ``https://<instance>``, or to ``scrape.mastodon.base_url`` when it is set. A status's HTML
``content`` becomes plain text (paragraphs and line breaks kept, links as their full URL); the
status is kept whole in ``raw``. An incremental run asks only for statuses newer than the newest
held (``since_id``).
"""
from __future__ import annotations

from elm.errors import ElmError
from elm.markup import html_to_text
from elm.sources import live, paging
from elm.sources.records import normalize


def read(handle: str, params, http, held_ids: frozenset[str] = frozenset()):
    """The statuses of ``handle`` newer than those in ``held_ids`` (all of them when it is empty)."""
    user, instance = split_acct(handle)
    base_url = (live.check_base_url(params.base_url, "scrape.mastodon.base_url") if params.base_url
                else f"https://{instance}")
    session = live.Session(f"mastodon:{handle}", http)
    since_id = paging.newest_numeric_id(held_ids)
    fetch = page_reader(session, base_url, f"{user}@{instance}", params, since_id)
    posts = paging.collect(fetch, held_ids, params, session, "scrape.mastodon")
    return normalize(posts, handle, "mastodon")


def split_acct(handle: str) -> tuple[str, str]:
    """``user@instance`` (a leading ``@`` allowed) as its two parts."""
    user, at, instance = handle.removeprefix("@").partition("@")
    if not (user and at and instance) or "@" in instance:
        raise ElmError(
            f"scrape.accounts: mastodon:{handle}: write Mastodon accounts as `mastodon:user@instance` "
            "(for example `mastodon:Gargron@mastodon.social`)"
        )
    return user, instance


def page_reader(session: live.Session, base_url: str, acct: str, params, since_id: str | None):
    """``fetch(cursor, limit)``: one page of the account's statuses (:class:`paging.Page`), newest first; the
    cursor is the oldest status id of the page before (``max_id``)."""
    account = find_account(session, base_url, acct)
    url = f"{base_url}/api/v1/accounts/{account['id']}/statuses"
    query = {
        "exclude_reblogs": "true",
        "exclude_replies": "false" if params.replies else "true",
        **({"since_id": since_id} if since_id else {}),
    }

    def fetch(cursor: str | None, limit: int) -> paging.Page:
        statuses = session.get_json(url, {**query, "limit": limit, **({"max_id": cursor} if cursor else {})})
        current = paging.page(statuses, status_record, None, session, url)
        return paging.Page(current.ids, current.records, current.ids[-1] if current.ids else None)

    return fetch


def find_account(session: live.Session, base_url: str, acct: str) -> dict:
    url = f"{base_url}/api/v1/accounts/lookup"
    account = session.get_json(url, {"acct": acct})
    if not isinstance(account, dict) or "id" not in account:
        raise ElmError(f"{session.label}: {url} replied {session.quote(account, 80)!r}, not an account; "
                       "check the base_url")
    if account.get("suspended"):
        raise ElmError(f"{session.label}: the account is suspended on its instance; {live.SKIP_HINT}")
    return account


def status_record(status: dict) -> tuple[str, dict | None]:
    """A status's id and its record for :func:`normalize`, or None for a reblog."""
    if status.get("reblog"):
        return status["id"], None
    return status["id"], {
        "id": status["id"],
        "created_at": paging.iso_time(status.get("created_at")),
        "text": html_to_text(status.get("content") or ""),
        "language": status.get("language") or "",
        "reply": status.get("in_reply_to_id") is not None,
        "raw": status,
    }
