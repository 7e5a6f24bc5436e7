"""Accounts as ``source:handle`` (elm/sources/specs.py reads one), and :func:`read`, which reads one through its
source's module."""
from __future__ import annotations

import pandas as pd

from elm.sources.specs import LIVE, parse_account


def expand(accounts: list[str], scrape_params) -> list[str]:
    """``scrape.accounts`` with ``table:*`` replaced by every account the table holds that is not
    listed already."""
    expanded = []
    for spec in accounts:
        if parse_account(spec) != ("table", "*"):
            expanded.append(spec)
            continue
        from elm.sources import table

        found = table.accounts(scrape_params.table, scrape_params.on_bad_row)
        expanded += [f"table:{handle}" for handle in found if f"table:{handle}" not in accounts]
    return expanded


def is_live(spec: str) -> bool:
    """Whether a ``source:handle`` account is read from a live API (and so fetched incrementally)."""
    return parse_account(spec)[0] in LIVE


def read(spec: str, scrape_params, held_ids: frozenset[str] = frozenset()) -> pd.DataFrame:
    """The posts of one ``source:handle`` account, normalized to ``elm.sources.records.RAW_COLUMNS``: all of them
    for a file source; for a live source, those newer than the posts whose ids are ``held_ids``."""
    source, handle = parse_account(spec)
    section = getattr(scrape_params, source)
    if source == "demo":
        from elm.sources import demo

        return demo.read(handle, section)
    if source == "twint":
        from elm.sources import twint

        return twint.read(handle, section, scrape_params.on_bad_row)
    if source == "archive":
        from elm.sources import archive

        return archive.read(handle, section, scrape_params.on_bad_row)
    if source == "table":
        from elm.sources import table

        return table.read(handle, section, scrape_params.on_bad_row)
    if source == "bluesky":
        from elm.sources import bluesky

        return bluesky.read(handle, section, scrape_params.http, held_ids)
    if source == "mastodon":
        from elm.sources import mastodon

        return mastodon.read(handle, section, scrape_params.http, held_ids)
    from elm.sources import xapi

    return xapi.read(handle, section, scrape_params.http, held_ids)
