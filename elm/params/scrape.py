"""The ``scrape`` section: the accounts, how bad rows and failing accounts are handled, and each source's own
settings."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from elm.params.validation import bounded

ON_ERROR = ("fail", "skip")  # on_account_error and on_bad_row


@dataclass(frozen=True)
class DemoSource:
    posts_per_account: int = bounded(1)
    seed: int = bounded()


@dataclass(frozen=True)
class TwintSource:
    dir: str


@dataclass(frozen=True)
class ArchiveSource:
    dir: str


@dataclass(frozen=True)
class TableSource:
    path: str
    text_column: str
    account_column: str
    id_column: str
    created_at_column: str
    created_at_format: str
    language_column: str
    encoding: str


@dataclass(frozen=True)
class Http:
    """How live sources make requests (elm/sources/live.py)."""

    timeout_s: float = bounded(0.1)  # each request's deadline: connecting, the headers and every byte of the reply
    max_reply_mb: float = bounded(0.001)  # a longer reply fails the account (not retried)
    retries: int = bounded(0, 20)
    backoff_s: float = bounded(0.0)
    max_wait_s: float = bounded(0.0)


@dataclass(frozen=True)
class BlueskySource:
    base_url: str
    replies: bool
    page_size: int = bounded(1, 100)
    max_posts: int = bounded(1)  # posts read per account and run, kept or not (elm/sources/paging.py)


@dataclass(frozen=True)
class MastodonSource:
    base_url: str
    replies: bool
    page_size: int = bounded(1, 40)
    max_posts: int = bounded(1)  # statuses read per account and run, kept or not


@dataclass(frozen=True)
class XapiSource:
    base_url: str
    replies: bool
    retweets: bool
    page_size: int = bounded(5, 100)
    max_posts: int = bounded(1, 3200)  # posts read (and billed) per account and run, kept or not


@dataclass(frozen=True)
class Scrape:
    section: ClassVar[str] = "scrape"

    accounts: list[str]
    refresh: int = bounded(0)
    on_account_error: str = bounded(choices=ON_ERROR)
    on_bad_row: str = bounded(choices=ON_ERROR)
    http: Http
    demo: DemoSource
    twint: TwintSource
    archive: ArchiveSource
    table: TableSource
    bluesky: BlueskySource
    mastodon: MastodonSource
    xapi: XapiSource
