"""Collect every account's posts into data/raw, one table per account.

Reads each `source:handle` in scrape.accounts through its source (elm/sources/): files users
export (twint, archive, table; data/import/README.md says where they go; `table:*` is every account
in the table), the SYNTHETIC demo, or
the live APIs bluesky, mastodon and xapi (docs/live-sources.md). Writes
data/raw/<source>-<handle>.parquet with the columns id, account, created_at, text, language,
source and raw (the source's own record as JSON). Texts are kept exactly as published; the clean
stage filters them.

File sources are read again in full on every run. Live accounts are incremental: their posts are
kept from run to run, and the network is used only for an account not held yet, or when
scrape.refresh differs from its value at the account's last fetch; a fetch asks only for posts
newer than those held and merges them in, each id once. data/raw/fetched.json records, per live
account, that refresh value, when it was fetched and how many posts came.

data/raw is replaced as a whole, once every account is done: an error or an interrupt leaves the
previous data/raw as it was. With scrape.on_account_error: skip, an account that fails is reported,
keeps the posts data/raw held for it (if any), and the others go on.

Params (scrape): accounts, refresh, on_account_error, http (live sources' timeouts and retries),
and one section per source (demo, twint, archive, table, bluesky, mastodon, xapi).
"""
from __future__ import annotations

import json
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from elm import cli, io, params
from elm.errors import ElmError
from elm.sources import RAW_COLUMNS, expand, is_live, parse_account, read

RAW_DIR = Path("data/raw")
FETCH_STATE = "fetched.json"


def main(params_path="params.yaml"):
    scrape = params.load("scrape", params_path)
    filenames = raw_filenames(expand(scrape.accounts, scrape))
    fetched = read_fetch_state(RAW_DIR / FETCH_STATE)
    kept_fetched = {}
    with io.atomic_path(RAW_DIR, directory=True) as tmp:
        for spec, filename in filenames.items():
            try:
                posts, fetch = gather(spec, scrape, RAW_DIR / filename, fetched.get(spec))
            except ElmError as err:
                if scrape.on_account_error == "fail":
                    raise
                posts, fetch = read_held(RAW_DIR / filename), fetched.get(spec)
                print(f"scrape: skipped {spec} (scrape.on_account_error: skip), keeping its "
                      f"{0 if posts is None else len(posts)} held posts: {err}", file=sys.stderr)
            if posts is None:
                continue
            io.write_table(posts, tmp / filename)
            if fetch:
                kept_fetched[spec] = fetch
            print(f"scrape: {spec}: {len(posts)} posts -> {RAW_DIR}/{filename}", file=sys.stderr)
        if not any(tmp.iterdir()):
            raise ElmError("scrape: no account gave any posts (see the errors above); data/raw left as it was")
        if any(is_live(spec) for spec in filenames):
            io.write_json(kept_fetched, tmp / FETCH_STATE)


def raw_filenames(accounts: list[str]) -> dict[str, str]:
    """Each account's output file name, after checking the list names each account once."""
    if not accounts:
        raise ElmError("scrape.accounts is empty; list at least one `source:handle` (for example `demo:ada_sails`)")
    by_name: dict[str, str] = {}
    for spec in accounts:
        source, handle = parse_account(spec)
        name = f"{source}-{safe_filename(handle)}.parquet"
        # casefold: on macOS and Windows `Conan` and `conan` would be the same file
        earlier = next((s for s, n in by_name.items() if n.casefold() == name.casefold()), None)
        if earlier is not None:
            raise ElmError(
                f"scrape.accounts: {spec!r} repeats {earlier!r} (both would be {RAW_DIR}/{name}); list each account once"
            )
        by_name[spec] = name
    return by_name


def safe_filename(handle: str) -> str:
    """The handle with anything but letters, digits, `_`, `-` and `.` replaced by `_`."""
    return re.sub(r"[^\w.-]", "_", handle, flags=re.ASCII).lstrip(".") or "_"


def gather(spec: str, scrape, raw_path: Path, last_fetch: dict | None):
    """An account's posts for data/raw, and for a live account what to record of its fetch."""
    if not is_live(spec):
        return require_posts(spec, read(spec, scrape)), None
    held = read_held(raw_path)
    if held is not None and last_fetch and last_fetch.get("refresh") == scrape.refresh:
        print(f"scrape: {spec}: keeping its {len(held)} held posts without fetching "
              f"(bump scrape.refresh to fetch newer ones)", file=sys.stderr)
        return held, last_fetch
    held_ids = frozenset() if held is None else frozenset(held["id"])
    new = read(spec, scrape, held_ids)
    posts = require_posts(spec, merge(held, new))
    fetch = {
        "refresh": scrape.refresh,
        "fetched_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "new_posts": len(posts) - (0 if held is None else len(held)),
    }
    return posts, fetch


def require_posts(spec: str, posts: pd.DataFrame) -> pd.DataFrame:
    if posts.empty:
        where = ("its feed is empty, or holds only posts that params leave out (reposts, replies)" if is_live(spec)
                 else "check that its input holds rows for this handle (see data/import/README.md)")
        raise ElmError(f"scrape.accounts: {spec} has no posts; {where}; or remove it from scrape.accounts")
    return posts


def merge(held: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
    """Held and newly fetched posts, each id once (the held copy wins), oldest first."""
    if held is None:
        held = new.iloc[:0]
    posts = pd.concat([held, new], ignore_index=True).drop_duplicates("id", keep="first")
    return posts.sort_values(["created_at", "id"], kind="stable", ignore_index=True)


def read_held(path: Path) -> pd.DataFrame | None:
    """The posts data/raw already holds for an account, or None."""
    if not path.exists():
        return None
    try:
        held = pd.read_parquet(path)
    except (OSError, ValueError) as err:
        raise ElmError(f"{path}: not a readable Parquet file ({err}); delete it to fetch the account again") from None
    if "reply" not in held and list(held.columns) == [c for c in RAW_COLUMNS if c != "reply"]:
        held.insert(RAW_COLUMNS.index("reply"), "reply", "")  # held from before sources said which posts reply
    if list(held.columns) != RAW_COLUMNS:
        raise ElmError(f"{path}: columns {list(held.columns)}, expected {RAW_COLUMNS}; delete it to fetch the account again")
    return held


def read_fetch_state(path: Path) -> dict:
    """data/raw/fetched.json: per live account, the refresh value and time of its last fetch."""
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as err:
        raise ElmError(f"{path}: unreadable ({err}); delete it (live accounts will then be fetched again)") from None


if __name__ == "__main__":
    cli.run(main, __doc__)
