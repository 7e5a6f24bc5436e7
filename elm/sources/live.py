"""What the live sources (bluesky, mastodon, xapi) share: polite, bounded HTTP.

:class:`Session` is a ``requests.Session`` whose every request must be over, connect, headers and
every byte of the reply, within ``scrape.http.timeout_s`` (elm/sources/deadline.py), and whose reply
may not exceed ``scrape.http.max_reply_mb``. A request is retried, at most ``scrape.http.retries``
times, on network errors, a passed deadline, HTTP 5xx and success replies whose body is not JSON,
after an exponential backoff with jitter. An HTTP 429 waits as long as the server asks
(``Retry-After``, or the time until a rate-limit reset header), never less than that backoff, unless
that is longer than ``scrape.http.max_wait_s``. Each wait is reported on stderr. The X source hands
such a session to tweepy, so its requests are treated the same way.

A credential (an ``Authorization`` header) goes only over https, or to a loopback address for tests:
:func:`check_base_url` refuses a source's ``base_url`` otherwise, and the session refuses to send
one anywhere else. Text a server sent is quoted in messages only through :func:`quote`: cut short,
and with the session's credentials and any ``Authorization``/``Bearer`` echo blotted out.

elm/sources/paging.py reads an account's pages of posts and says when to stop.
"""
from __future__ import annotations

import ipaddress
import itertools
import logging
import random
import re
import time
from collections.abc import Iterable
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests

from elm.errors import ElmError
from elm.sources.deadline import Deadline, DeadlineAdapter

logger = logging.getLogger(__name__)

USER_AGENT = "Elm/1.0 (research scraper of public posts; python-requests)"
# A connection refused, reset or cut mid-reply (by the server, or by the deadline), or a timeout: worth another try.
NETWORK_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                  requests.exceptions.ContentDecodingError)
# Epoch seconds (X: x-rate-limit-reset; Bluesky: ratelimit-reset) or ISO 8601 (Mastodon: X-RateLimit-Reset).
RESET_HEADERS = ("x-rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset")
RESET_MARGIN_S = 1.0  # reset headers count whole seconds on the server's clock
SKIP_HINT = "or set scrape.on_account_error: skip to go on without it"
CHUNK_BYTES = 64 * 1024
QUOTE_CHARS = 200  # the most of a server's text an error message quotes
REDACTED = "[redacted]"
# "Bearer <token>", "Basic <token>" and "Authorization: <value>" (as a header line, JSON or a repr), as a
# server may echo them back; an "Authorization:" whose value is already redacted is left as it is.
CREDENTIAL_ECHO = re.compile(r"(?i)\b(bearer|basic)(?:\s+|%20|\+)[\w.~+/=%-]{8,}"
                             r"|(authorization[\"']?\s*[:=]\s*[\"']?)"
                             r"(?![\s\"']*" + re.escape(REDACTED) + r")[^\"'\r\n,;}\]]+")


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
        adapter = DeadlineAdapter()
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self.credentials: set[str] = set()  # every Authorization value sent, and its token: never quoted
        self.retries = 0
        self.rate_limit_waits = 0

    def request(self, method, url, **kwargs):
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

    def send(self, request: requests.PreparedRequest, **kwargs):
        """Send one prepared request (redirects included), refusing to carry a credential in clear text."""
        if "Authorization" in request.headers:
            self.credentials.update(credentials(request))
            if not may_carry_credentials(request.url):
                raise ElmError(
                    f"{self.label}: refusing to send a token to {request.url}, which is neither https nor a "
                    "loopback address (it would cross the network in clear text); use the API's https:// URL"
                )
        return super().send(request, **kwargs)

    def _request_once(self, method, url, kwargs):
        deadline = Deadline(self.http.timeout_s)
        try:
            with deadline:
                response = super().request(method, url, **{**kwargs, "stream": True, "timeout": deadline.timeouts()})
                self._read_body(response)
        except NETWORK_ERRORS as err:
            if deadline.passed or isinstance(err, requests.Timeout):
                raise Retry(f"no whole reply within scrape.http.timeout_s ({self.http.timeout_s:g} s)") from None
            raise Retry(f"network error ({type(err).__name__})") from None
        except requests.RequestException as err:  # a URL requests cannot use: not the network's fault, nor the disk's
            raise ElmError(f"{self.label}: cannot request {url} ({err}); check the source's base_url") from None
        if response.status_code == 429:
            raise Retry("HTTP 429 (rate-limited)", rate_limit_wait(response.headers, time.time()), rate_limited=True)
        if response.status_code >= 500:
            raise Retry(f"HTTP {response.status_code}")
        if response.ok and not has_json_body(response):
            raise Retry("a reply that is not valid JSON")
        return response

    def _read_body(self, response: requests.Response) -> None:
        """Read the reply's body (streamed, so the deadline covers it), refusing one past ``max_reply_mb``."""
        body = read_capped(response, int(self.http.max_reply_mb * 1_000_000))
        if body is None:
            response.close()
            raise ElmError(
                f"{self.label}: the reply from {response.url} is larger than scrape.http.max_reply_mb "
                f"({self.http.max_reply_mb:g} MB); check the source's base_url, or raise scrape.http.max_reply_mb"
            )
        response._content = body  # where requests keeps a body it has read, for .content, .text and .json()

    def _wait_before_retry(self, retry: Retry, attempt: int) -> None:
        """Sleep before retry number ``attempt``: the backoff, or longer when the server asks for longer."""
        seconds = backoff_s(attempt, self.http.backoff_s, self.http.max_wait_s)
        if retry.wait_s is not None and retry.wait_s > self.http.max_wait_s:
            raise ElmError(
                f"{self.label}: {retry}; the server asks to wait {retry.wait_s:.0f} s, more than "
                f"scrape.http.max_wait_s ({self.http.max_wait_s:g}); run again later (posts already held "
                f"are kept), raise scrape.http.max_wait_s, {SKIP_HINT}"
            )
        seconds = max(seconds, retry.wait_s or 0.0)
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

    def quote(self, text, limit: int = QUOTE_CHARS) -> str:
        """``text`` a server sent, fit for a message: see :func:`quote`."""
        return quote(text, self.credentials, limit)


def refused(label: str, response: requests.Response) -> ElmError:
    """The error for an API that refused an account's request, with the API's own words."""
    return ElmError(
        f"{label}: HTTP {response.status_code} from {response.url}: {api_message(response)}; check that "
        f"the account exists and is public (deleted, suspended and private accounts cannot be read), {SKIP_HINT}"
    )


def api_message(response: requests.Response) -> str:
    """What an error reply says, from the shapes the three APIs use, quoted (:func:`quote`)."""
    secrets = credentials(response.request)
    try:
        body = response.json()
    except ValueError:
        return quote(response.text, secrets) or response.reason
    if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        body = body["errors"][0]  # X: {"errors": [{"title": ..., "detail": ...}]}
    if isinstance(body, dict):
        parts = [str(body[key]) for key in ("error", "title", "message", "detail") if body.get(key)]
        if parts:
            return quote(": ".join(parts), secrets)
    return quote(str(body), secrets)


def credentials(request: requests.PreparedRequest | None) -> tuple[str, ...]:
    """The Authorization header a request carried, and the token in it (the header's last word)."""
    authorization = request.headers.get("Authorization", "") if request is not None else ""
    return (authorization, authorization.split()[-1]) if authorization.strip() else ()


def quote(text, secrets: Iterable[str] = (), limit: int = QUOTE_CHARS) -> str:
    """``text`` (or its ``str``) as a message may quote it: each of ``secrets`` and anything that looks like
    an echoed credential (``Bearer ...``, ``Authorization: ...``) replaced by [redacted], whitespace made
    single spaces, and cut to ``limit`` characters (after the redacting, so no cut can leave part of a
    secret unrecognised)."""
    text = str(text)
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = CREDENTIAL_ECHO.sub(lambda match: (match.group(2) or match.group(1) + " ") + REDACTED, text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def read_capped(response: requests.Response, limit: int) -> bytes | None:
    """The reply's whole body, or None (having read no further) once it proves longer than ``limit`` bytes:
    by its Content-Length, or as it arrives (a body may come without one, or longer than it said)."""
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    for chunk in response.iter_content(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def may_carry_credentials(url: str) -> bool:
    """Whether a token may go to ``url``: over https, or to this machine (127.0.0.1, localhost, ::1)."""
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname or ""))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(url: str, key: str, token: str = "") -> str:
    """``url``, the ``base_url`` at params key ``key``, without its trailing slash, after checking that it is
    a whole http(s) URL, and, when requests to it carry ``token`` (the name of the variable holding
    it), that the token would not cross the network in clear text."""
    parts = urlsplit(url)
    if "://" not in url:
        raise ElmError(f"{key}: {url!r} is not a whole URL (it lacks https://); write it as https://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ElmError(f"{key}: {url!r} is not an http(s) URL with a host; write the API's https:// URL")
    if token and not may_carry_credentials(url):
        raise ElmError(
            f"{key}: {url} is plain http, so {token} would cross the network in clear text; use "
            f"https://{url.split('://', 1)[1]} (plain http is allowed only to 127.0.0.1, localhost or ::1, for tests)"
        )
    return url.rstrip("/")


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

