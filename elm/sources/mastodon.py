"""Mastodon: an account's public statuses on its instance (``mastodon:user@instance.social``).

The account is looked up with ``/api/v1/accounts/lookup?acct=user@instance``, then its statuses
are read from ``/api/v1/accounts/:id/statuses``, 40 a page at most, newest first (``max_id``
pagination), with reblogs left out and replies too unless ``scrape.mastodon.replies``. Requests go
to ``https://<instance>``, or to ``scrape.mastodon.base_url`` when it is set. A status's HTML
``content`` becomes plain text (paragraphs and line breaks kept, links as their full URL); the
status is kept whole in ``raw``. An incremental run asks only for statuses newer than the newest
held (``since_id``).
"""
from __future__ import annotations

from elm.errors import ElmError
from elm.markup import html_to_text
from elm.sources import live
from elm.sources.records import normalize


def read(handle: str, params, http, held_ids: frozenset[str] = frozenset()):
    """The statuses of ``handle`` newer than those in ``held_ids`` (all of them when it is empty)."""
    user, instance = split_acct(handle)
    session = live.Session(f"mastodon:{handle}", http)
    base_url = params.base_url.rstrip("/") or f"https://{instance}"
    since_id = live.newest_numeric_id(held_ids)
    posts = live.collect(pages(session, base_url, f"{user}@{instance}", params, since_id),
                         held_ids, params.max_posts, session)
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


def pages(session: live.Session, base_url: str, acct: str, params, since_id: str | None):
    """The account's statuses, one list of records per page, newest first."""
    account = find_account(session, base_url, acct)
    url = f"{base_url}/api/v1/accounts/{account['id']}/statuses"
    query = {
        "limit": params.page_size,
        "exclude_reblogs": "true",
        "exclude_replies": "false" if params.replies else "true",
        **({"since_id": since_id} if since_id else {}),
    }
    while True:
        statuses = session.get_json(url, query)
        yield live.records(statuses, status_record, session.label, url)
        if not statuses:
            return
        query["max_id"] = statuses[-1]["id"]


def find_account(session: live.Session, base_url: str, acct: str) -> dict:
    url = f"{base_url}/api/v1/accounts/lookup"
    account = session.get_json(url, {"acct": acct})
    if not isinstance(account, dict) or "id" not in account:
        raise ElmError(f"{session.label}: {url} replied {str(account)[:80]!r}, not an account; check the base_url")
    if account.get("suspended"):
        raise ElmError(f"{session.label}: the account is suspended on its instance; {live.SKIP_HINT}")
    return account


def status_record(status: dict) -> dict:
    return {
        "id": status["id"],
        "created_at": live.iso_time(status.get("created_at")),
        "text": html_to_text(status.get("content") or ""),
        "language": status.get("language") or "",
        "reply": status.get("in_reply_to_id") is not None,
        "raw": status,
    }
