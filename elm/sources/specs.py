"""Accounts as ``source:handle`` (scrape.accounts): the sources' names, reading a spec, and which accounts are
SYNTHETIC. Apart from elm/sources/accounts.py, which imports every source to read one, so that the stages that
only name the accounts (classify, report, feed) do not depend on the sources' code."""
from __future__ import annotations

from elm.errors import ElmError

LIVE = ("bluesky", "mastodon", "xapi")
EXPORTS = ("twint", "archive", "table")  # users' exported files, where a row can be broken
NAMES = ("demo", *EXPORTS, *LIVE)


def parse_account(spec: str) -> tuple[str, str]:
    """Split ``source:handle`` into its parts, with a clear error for anything else."""
    source, sep, handle = spec.partition(":")
    if not sep or not handle.strip():
        raise ElmError(f"scrape.accounts: {spec!r} is not `source:handle` (for example `twint:conan`)")
    if source not in NAMES:
        raise ElmError(f"scrape.accounts: unknown source {source!r} in {spec!r}; known sources: {', '.join(NAMES)}")
    return source, handle.strip()


def synthetic(accounts: list[str]) -> list[str]:
    """The SYNTHETIC accounts among ``accounts``: those of the ``demo`` source, invented voices written from
    templates (elm/sources/demo.py), not real people."""
    return [spec for spec in accounts if parse_account(spec)[0] == "demo"]
