"""The X/Twitter "download your data" archive, unzipped under ``scrape.archive.dir``.

The posts are in ``data/tweets.js``: JavaScript that assigns one JSON array,
``window.YTD.tweets.part0 = [{"tweet": {"id_str": ..., "full_text": ..., "created_at":
"Wed Oct 10 20:19:24 +0000 2018", "lang": "en", ...}}, ...]``. Large archives split it into
``tweets-part1.js``, ``tweets-part2.js``, ... beside it; all parts are read. Older archives name
the file ``tweet.js`` and may leave out the ``{"tweet": ...}`` wrapper; both are accepted.

A broken file (prefix, JSON syntax, bytes that are not UTF-8) always fails: what follows the damage
cannot be trusted. A well-formed entry that cannot be read (no text, a bad date, ...) fails the read,
or is left out and reported when ``on_bad_row`` is "skip" (see elm/sources/files.py).
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from elm.errors import ElmError
from elm.sources import dates, files, jsonfiles, textfiles

FILE_NAMES = ("tweets.js", "tweet.js")
NEWLINE = "\n"
REEXTRACT = "unzip the archive again from the file X sent"
_YTD_PREFIX = re.compile(r"window\.YTD\.\w+\.part\d+")


def read(handle: str, params, on_bad_row: str = "fail"):
    """All posts in ``handle``'s archive, every part file included."""
    first = find_tweets_js(Path(params.dir), handle)
    parts = [files.read_posts(path, read_items(path), post_record, handle, "archive", on_bad_row)
             for path in [first, *part_files(first)]]
    return pd.concat(parts, ignore_index=True)


def candidate_paths(folder: Path, handle: str) -> list[Path]:
    """Where a handle's tweets.js may be, in the order they are tried."""
    unzipped = [folder / handle / "data" / name for name in FILE_NAMES]
    flat = [folder / handle / name for name in FILE_NAMES]
    return [*unzipped, *flat, folder / f"{handle}.js"]


def find_tweets_js(folder: Path, handle: str) -> Path:
    tried = candidate_paths(folder, handle)
    for path in tried:
        if path.is_file():
            return path
    raise ElmError(
        f"archive:{handle}: no tweets.js found; tried {', '.join(map(str, tried))}; "
        "unzip the archive there (see data/import/README.md) or set scrape.archive.dir"
    )


def part_files(first: Path) -> list[Path]:
    """``<name>-part1.js``, ``-part2.js``, ... beside ``first``, in numeric order."""
    pattern = re.compile(re.escape(first.stem) + r"-part(\d+)\.js")
    parts = [(int(m.group(1)), p) for p in first.parent.iterdir() if (m := pattern.fullmatch(p.name))]
    return [path for _, path in sorted(parts)]


def read_items(path: Path) -> files.Rows:
    """The items of the JSON array a ``window.YTD.<name>.partN = [...]`` file assigns, as
    ``(where, item)``. A broken prefix or broken JSON fails the whole file."""
    text = textfiles.head(path).decode("utf-8", "replace")
    if not text.strip():
        raise ElmError(f"{path}: the file is empty; re-export it, or remove the account from scrape.accounts")
    prefix, equals, _ = text.partition("=")
    if not equals or not _YTD_PREFIX.fullmatch(prefix.strip()):
        start = len(text) - len(text.lstrip())
        raise ElmError(
            f"{path}: line {text.count(NEWLINE, 0, start) + 1}: expected the file to start with "
            f"`window.YTD.tweets.part0 = [`, found {text[start:start + 40]!r}; point scrape.archive.dir at the "
            "unzipped X archive, with its files unchanged"
        )
    return jsonfiles.json_array_items(path, len(prefix) + 1, REEXTRACT)


def post_record(item, where: str) -> dict:
    """One archive entry as a record for :func:`normalize`; ``where`` names it in errors."""
    tweet = item.get("tweet", item) if isinstance(item, dict) else None
    if not isinstance(tweet, dict):
        raise files.BadRow(f"{where}: expected an object {{\"tweet\": {{...}}}}, found {str(item)[:60]!r}")
    files.require_columns(where, tweet, {
        "id_str": "each post in an X archive has `id_str`; " + REEXTRACT,
        "full_text": "each post in an X archive has `full_text`; " + REEXTRACT,
    })
    try:
        created_at = dates.to_iso_utc(tweet.get("created_at"))
    except ValueError as err:
        raise files.BadRow(f"{where} (id {tweet['id_str']}): created_at: {err}") from None
    return {
        "id": files.as_text(tweet["id_str"]),
        "created_at": created_at,
        "text": files.post_text(tweet["full_text"], where, "full_text"),
        "language": files.as_text(tweet.get("lang")),
        "reply": bool(tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_user_id_str")),
        "raw": item,
    }
