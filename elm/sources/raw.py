"""data/raw, what `scrape` writes: one Parquet file an account (named from its handle) and, for the live
sources, fetched.json (each live account's last fetch). A live account's rerun adds the newly fetched posts
to those its file holds."""
from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from elm import paths
from elm.errors import ElmError
from elm.sources.accounts import is_live, parse_account, read
from elm.sources.records import RAW_COLUMNS

logger = logging.getLogger(__name__)



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
                f"scrape.accounts: {spec!r} repeats {earlier!r} (both would be {paths.RAW_DIR}/{name}); list each account once"
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
        logger.info(f"scrape: {spec}: keeping its {len(held)} held posts without fetching "
                    f"(bump scrape.refresh to fetch newer ones)")
        return held, last_fetch
    held_ids = frozenset() if held is None else frozenset(held["id"])
    new = read(spec, scrape, held_ids)
    posts = require_posts(spec, merge(held, new))
    fetch = {
        "refresh": scrape.refresh,
        "fetched_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
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
