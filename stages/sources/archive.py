"""The X/Twitter "download your data" archive, unzipped under ``scrape.archive.dir``.

The posts are in ``data/tweets.js``: JavaScript that assigns one JSON array,
``window.YTD.tweets.part0 = [{"tweet": {"id_str": ..., "full_text": ..., "created_at":
"Wed Oct 10 20:19:24 +0000 2018", "lang": "en", ...}}, ...]``. Large archives split it into
``tweets-part1.js``, ``tweets-part2.js``, ... beside it; all parts are read. Older archives name
the file ``tweet.js`` and may leave out the ``{"tweet": ...}`` wrapper; both are accepted.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from stages.errors import ElmError
from stages.sources import files, normalize

FILE_NAMES = ("tweets.js", "tweet.js")


def read(handle: str, params):
    """All posts in ``handle``'s archive, every part file included."""
    first = find_tweets_js(Path(params.dir), handle)
    records = [post_record(item, f"{path}: item {index}")
               for path in [first, *part_files(first)]
               for index, item in enumerate(read_items(path))]
    return normalize(records, handle, "archive")


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


def read_items(path: Path) -> list:
    """The JSON array a ``window.YTD.<name>.partN = [...]`` file assigns."""
    text = files.read_text(path)
    prefix, equals, body = text.partition("=")
    if not equals or not prefix.strip().startswith("window.YTD."):
        raise ElmError(
            f"{path}: does not start with `window.YTD.tweets.part0 = [`; "
            "point scrape.archive.dir at the unzipped X archive, unchanged"
        )
    try:
        items = json.loads(body)
    except json.JSONDecodeError as err:
        line = prefix.count("\n") + err.lineno
        raise ElmError(f"{path}: line {line} is not valid JSON ({err.msg}); re-extract the archive") from None
    if not isinstance(items, list):
        raise ElmError(f"{path}: expected a JSON array after `=`, got a {type(items).__name__}")
    return items


def post_record(item, where: str) -> dict:
    """One archive entry as a record for :func:`normalize`; ``where`` names it in errors."""
    tweet = item.get("tweet", item) if isinstance(item, dict) else None
    if not isinstance(tweet, dict):
        raise ElmError(f"{where}: expected an object {{\"tweet\": {{...}}}}, got {str(item)[:60]!r}")
    files.require_columns(where, tweet, {
        "id_str": "each post in an X archive has `id_str`; re-extract the archive",
        "full_text": "each post in an X archive has `full_text`; re-extract the archive",
    })
    try:
        created_at = files.to_iso_utc(tweet.get("created_at"))
    except ValueError as err:
        raise ElmError(f"{where} (id {tweet['id_str']}): created_at: {err}") from None
    return {
        "id": files.as_text(tweet["id_str"]),
        "created_at": created_at,
        "text": files.as_text(tweet["full_text"]),
        "language": files.as_text(tweet.get("lang")),
        "raw": item,
    }
