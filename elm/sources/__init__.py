"""Where posts come from: one module per source, all behind one function, :func:`read`.

A file source (demo, twint, archive, table) exposes ``read(handle: str, params) -> DataFrame``
where ``params`` is that source's section of ``scrape`` in params.yaml, and returns every post.
A live source (:data:`LIVE`: bluesky, mastodon, xapi) exposes ``read(handle, params, http,
held_ids) -> DataFrame``: ``http`` is ``scrape.http`` (timeouts, retries) and ``held_ids`` the
ids of the posts already held, so that it fetches only posts newer than those (elm/sources/live.py
holds what live sources share). Either frame is normalized by :func:`normalize` to
:data:`RAW_COLUMNS`, one row per post of that one account:

- ``id``: the post's id at the source (string; derived from the text when the source has none)
- ``account``: the handle as written in params
- ``created_at``: ISO 8601 in UTC, or "" when unknown
- ``text``: the post exactly as published (cleaning happens later, in ``clean``)
- ``language``: the source's language code, or "" when the source gives none
- ``reply``: "true" when the post is a reply, "false" when it is not, "" when the source does not
  say (the clean stage then guesses from the text; see elm/text.py)
- ``source``: the source's name (``demo``, ``twint``, ...)
- ``raw``: the source's own record as JSON, so nothing the source said is lost
"""
from __future__ import annotations

import hashlib
import importlib
import json

import pandas as pd

from elm.errors import ElmError

RAW_COLUMNS = ["id", "account", "created_at", "text", "language", "reply", "source", "raw"]
LIVE = ("bluesky", "mastodon", "xapi")
EXPORTS = ("twint", "archive", "table")  # users' exported files, where a row can be broken
NAMES = ("demo", *EXPORTS, *LIVE)
REPLY_FLAGS = {True: "true", False: "false", None: ""}


def parse_account(spec: str) -> tuple[str, str]:
    """Split ``source:handle`` into its parts, with a clear error for anything else."""
    source, sep, handle = spec.partition(":")
    if not sep or not handle.strip():
        raise ElmError(f"scrape.accounts: {spec!r} is not `source:handle` (for example `twint:conan`)")
    if source not in NAMES:
        raise ElmError(f"scrape.accounts: unknown source {source!r} in {spec!r}; known sources: {', '.join(NAMES)}")
    return source, handle.strip()


def expand(accounts: list[str], scrape_params) -> list[str]:
    """``scrape.accounts`` with ``table:*`` replaced by every account the table holds that is not
    listed already."""
    expanded = []
    for spec in accounts:
        if parse_account(spec) != ("table", "*"):
            expanded.append(spec)
            continue
        table = importlib.import_module("elm.sources.table")
        found = table.accounts(scrape_params.table, scrape_params.on_bad_row)
        expanded += [f"table:{handle}" for handle in found if f"table:{handle}" not in accounts]
    return expanded


def is_live(spec: str) -> bool:
    """Whether a ``source:handle`` account is read from a live API (and so fetched incrementally)."""
    return parse_account(spec)[0] in LIVE


def read(spec: str, scrape_params, held_ids: frozenset[str] = frozenset()) -> pd.DataFrame:
    """The posts of one ``source:handle`` account, normalized to :data:`RAW_COLUMNS`: all of them
    for a file source; for a live source, those newer than the posts whose ids are ``held_ids``."""
    source, handle = parse_account(spec)
    module = importlib.import_module(f"elm.sources.{source}")
    if source in LIVE:
        return module.read(handle, getattr(scrape_params, source), scrape_params.http, held_ids)
    if source in EXPORTS:
        return module.read(handle, getattr(scrape_params, source), scrape_params.on_bad_row)
    return module.read(handle, getattr(scrape_params, source))


def normalize(records: list[dict], handle: str, source: str) -> pd.DataFrame:
    """A frame of :data:`RAW_COLUMNS` from dicts holding at least ``text`` and optionally
    ``id``, ``account`` (when not ``handle``), ``created_at``, ``language``, ``reply`` (True, False or
    None: unknown) and ``raw`` (any JSON-serializable value)."""
    rows = []
    for rec in records:
        text = str(rec["text"])
        rows.append({
            "id": str(rec.get("id") or text_id(text)),
            "account": rec.get("account") or handle,
            "created_at": str(rec.get("created_at") or ""),
            "text": text,
            "language": str(rec.get("language") or ""),
            "reply": REPLY_FLAGS[rec.get("reply")],
            "source": source,
            "raw": json.dumps(rec.get("raw", {}), ensure_ascii=False, default=str),
        })
    return pd.DataFrame(rows, columns=RAW_COLUMNS).astype(str)


def text_id(text: str) -> str:
    """A stable id for a post whose source gives none: a hash of its text."""
    return "h" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
