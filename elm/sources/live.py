"""What the live sources (bluesky, mastodon, xapi) share: polite HTTP and incremental paging.

:class:`Session` is a ``requests.Session`` whose every request has a timeout and is retried, at
most ``scrape.http.retries`` times, on network errors, HTTP 5xx and success replies whose body is
not JSON, after an exponential backoff with jitter. An HTTP 429 waits as long as the server asks
(``Retry-After``, or the time until a rate-limit reset header), unless that is longer than
``scrape.http.max_wait_s``. Each wait is reported on stderr. The X source hands such a session to
tweepy, so its requests are treated the same way.

:func:`collect` reads an account's pages of posts, newest first, until the API has no more, a page
reaches posts already held, or ``max_posts`` new posts are in; it reports each page on stderr.
"""
from __future__ import annotations

import itertools
import logging
import random
import re
import time
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Callable, Iterable

import requests

from elm.errors import ElmError
from elm.sources import files

logger = logging.getLogger(__name__)

USER_AGENT = "Elm/1.0 (research scraper of public posts; python-requests)"
# A connection refused, reset or cut mid-reply, or a timeout: worth another try.
NETWORK_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
# Epoch seconds (X: x-rate-limit-reset; Bluesky: ratelimit-reset) or ISO 8601 (Mastodon: X-RateLimit-Reset).
RESET_HEADERS = ("x-rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset")
RESET_MARGIN_S = 1.0  # reset headers count whole seconds on the server's clock
SKIP_HINT = "or set scrape.on_account_error: skip to go on without it"


class Retry(Exception):
    """A failed request worth trying again; ``wait_s``: how long the server asked to wait, if it said."""

    def __init__(self, problem: str, wait_s: float | None = None, rate_limited: bool = False):
        super().__init__(problem)
        self.wait_s = wait_s
        self.rate_limited = rate_limited


class Session(requests.Session):
    """A requests session for one account, labelled ``source:handle`` in messages and errors."""

    def __init__(self, label: str, http):
        super().__init__()
        self.label = label
        self.http = http
        self.headers["User-Agent"] = USER_AGENT
        self.retries = 0
        self.rate_limit_waits = 0

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", self.http.timeout_s)
        for attempt in itertools.count(1):
            try:
                return self._request_once(method, url, kwargs)
            except Retry as retry:
                if attempt > self.http.retries:
                    raise ElmError(
                        f"{self.label}: {retry} from {url}, {attempt} tries in all; run again later "
                        f"(posts already held are kept), raise scrape.http.retries, {SKIP_HINT}"
                    ) from None
                self._wait_before_retry(retry, attempt)

    def _request_once(self, method, url, kwargs):
        try:
            response = super().request(method, url, **kwargs)
        except NETWORK_ERRORS as err:
            raise Retry(f"network error ({type(err).__name__})") from None
        if response.status_code == 429:
            raise Retry("HTTP 429 (rate-limited)", rate_limit_wait(response.headers, time.time()), rate_limited=True)
        if response.status_code >= 500:
            raise Retry(f"HTTP {response.status_code}")
        if response.ok and not has_json_body(response):
            raise Retry("a reply that is not valid JSON")
        return response

    def _wait_before_retry(self, retry: Retry, attempt: int) -> None:
        if retry.wait_s is None:
            seconds = backoff_s(attempt, self.http.backoff_s, self.http.max_wait_s)
        elif retry.wait_s > self.http.max_wait_s:
            raise ElmError(
                f"{self.label}: {retry}; the server asks to wait {retry.wait_s:.0f} s, more than "
                f"scrape.http.max_wait_s ({self.http.max_wait_s:g}); run again later (posts already held "
                f"are kept), raise scrape.http.max_wait_s, {SKIP_HINT}"
            )
        else:
            seconds = retry.wait_s
        self.retries += 1
        self.rate_limit_waits += retry.rate_limited
        logger.info(f"{self.label}: {retry}; retry {attempt} of {self.http.retries} in {seconds:.1f} s")
        time.sleep(seconds)

    def get_json(self, url: str, params: dict):
        """The JSON reply to a GET; a refusal (HTTP 4xx) is an ElmError naming the account."""
        response = self.get(url, params=params)
        if not response.ok:
            raise refused(self.label, response)
        return response.json()


def refused(label: str, response: requests.Response) -> ElmError:
    """The error for an API that refused an account's request, with the API's own words."""
    return ElmError(
        f"{label}: HTTP {response.status_code} from {response.url}: {api_message(response)}; check that "
        f"the account exists and is public (deleted, suspended and private accounts cannot be read), {SKIP_HINT}"
    )


def api_message(response: requests.Response) -> str:
    """What an error reply says, from the shapes the three APIs use."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200] or response.reason
    if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        body = body["errors"][0]  # X: {"errors": [{"title": ..., "detail": ...}]}
    if isinstance(body, dict):
        parts = [str(body[key]) for key in ("error", "title", "message", "detail") if body.get(key)]
        if parts:
            return ": ".join(parts)
    return str(body)[:200]


def has_json_body(response: requests.Response) -> bool:
    try:
        response.json()
    except ValueError:  # requests' JSONDecodeError is a ValueError
        return False
    return True


def backoff_s(attempt: int, base_s: float, cap_s: float) -> float:
    """Seconds before retry number ``attempt`` (1, 2, ...): ``base_s`` doubled each time, capped at
    ``cap_s``; half of it fixed and half random, so clients that failed together retry apart."""
    full = min(cap_s, base_s * 2 ** (attempt - 1))
    return full / 2 + random.uniform(0, full / 2)


def rate_limit_wait(headers, now: float) -> float | None:
    """Seconds a 429 reply asks to wait: its ``Retry-After`` (seconds or an HTTP date), else the time
    until its rate-limit reset header (plus a second for clock skew); None when it says neither."""
    retry_after = headers.get("Retry-After", "").strip()
    if re.fullmatch(r"\d+(\.\d+)?", retry_after):
        return float(retry_after)
    if retry_after:
        try:
            return max(0.0, parsedate_to_datetime(retry_after).timestamp() - now)
        except ValueError:
            pass
    for name in RESET_HEADERS:
        value = headers.get(name, "").strip()
        try:
            reset = float(value) if re.fullmatch(r"\d+(\.\d+)?", value) else datetime.fromisoformat(value).timestamp()
        except ValueError:
            continue
        return max(0.0, reset - now) + RESET_MARGIN_S
    return None


def collect(pages: Iterable[list[dict]], held_ids: frozenset[str], max_posts: int, session: Session) -> list[dict]:
    """Records (for :func:`elm.sources.records.normalize`) from ``pages``, which yields an account's posts
    page by page, newest first. Stops at the first page holding a post already held (the rest are
    older), when the pages run out, or with ``max_posts`` new posts; posts seen twice are kept once."""
    posts: list[dict] = []
    seen = set(held_ids)
    pages_read = 0
    for pages_read, page in enumerate(pages, start=1):
        new = [post for post in page if post["id"] not in seen]
        seen.update(post["id"] for post in new)
        posts.extend(new)
        logger.info(f"{session.label}: page {pages_read}: {len(posts)} new posts so far")
        if len(posts) >= max_posts or any(post["id"] in held_ids for post in page):
            break
    posts = posts[:max_posts]
    logger.info(
                f"{session.label}: fetched {len(posts)} new posts in {pages_read} pages "
                f"({session.rate_limit_waits} rate-limit waits, {session.retries} retries in all)")
    return posts


def records(items: list, to_record: Callable[[dict], dict | None], label: str, url: str) -> list[dict]:
    """``to_record`` of each item of an API reply, leaving out items it returns None for (reposts),
    with an ElmError naming the item when one lacks what the API documents (a changed API or a
    wrong base URL) instead of a KeyError."""
    if not isinstance(items, list):
        raise ElmError(f"{label}: {url} replied {str(items)[:80]!r} where a list of posts was expected; check the base_url")
    converted = []
    for index, item in enumerate(items):
        try:
            record = to_record(item)
        except (KeyError, TypeError, AttributeError) as err:
            raise ElmError(
                f"{label}: item {index} of the reply from {url} is not shaped as the API documents "
                f"({type(err).__name__}: {err}): {str(item)[:120]}; check the base_url"
            ) from None
        if record is not None:
            converted.append(record)
    return converted


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
