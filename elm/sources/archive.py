"""A platform's own "download your data" export, ``archive:<handle>``: the unzipped folder
``<scrape.archive.dir>/<handle>/`` or the file itself, whichever platform wrote it, told from its files:

- X: ``data/tweets.js`` (below); ``<handle>.js`` when it is the file itself;
- Mastodon: ``outbox.json`` (elm/sources/archive_mastodon.py); ``<handle>.json``;
- Bluesky: the repository's ``.car`` file (elm/sources/archive_bluesky.py); ``<handle>.car``.

A folder holding more than one platform's export is refused: which one is meant cannot be guessed.

X's posts are in ``data/tweets.js``: JavaScript that assigns one JSON array,
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
from elm.sources import archive_bluesky, archive_mastodon, dates, files, jsonfiles, textfiles

FILE_NAMES = ("tweets.js", "tweet.js")
NEWLINE = "\n"
REEXTRACT = "unzip the archive again from the file X sent"
_YTD_PREFIX = re.compile(r"window\.YTD\.\w+\.part\d+")


def read(handle: str, params, on_bad_row: str = "fail"):
    """All posts in ``handle``'s export, whichever platform wrote it (every part file of an X archive)."""
    platform, first = find_export(Path(params.dir), handle)
    if platform == "Mastodon":
        return archive_mastodon.read(first, handle, on_bad_row)
    if platform == "Bluesky":
        return archive_bluesky.read(first, handle, on_bad_row)
    parts = [files.read_posts(path, read_items(path), post_record, handle, "archive", on_bad_row)
             for path in [first, *part_files(first)]]
    return pd.concat(parts, ignore_index=True)


def candidate_paths(folder: Path, handle: str) -> dict[str, list[Path]]:
    """Where each platform's export of ``handle`` may be, in the order they are tried."""
    root = folder / handle
    cars = sorted(root.glob("*.car")) if root.is_dir() else []
    if len(cars) > 1:
        raise ElmError(f"archive:{handle}: {root} holds {len(cars)} .car files ({', '.join(p.name for p in cars)}); "
                       "keep the one Bluesky export to read")
    return {
        "X": [*(root / "data" / name for name in FILE_NAMES), *(root / name for name in FILE_NAMES),
              folder / f"{handle}.js"],
        "Mastodon": [root / "outbox.json", folder / f"{handle}.json"],
        "Bluesky": [*cars, folder / f"{handle}.car"],
    }


def find_export(folder: Path, handle: str) -> tuple[str, Path]:
    """The platform of ``handle``'s export and its file (for X, the first tweets.js)."""
    tried = candidate_paths(folder, handle)
    found = {platform: path for platform, paths in tried.items()
             if (path := next((p for p in paths if p.is_file()), None))}
    if len(found) > 1:
        listed = " and ".join(f"{path} ({platform})" for platform, path in found.items())
        raise ElmError(f"archive:{handle}: found exports of {len(found)} platforms, {listed}; keep one platform's "
                       f"export per handle: move the others into their own folders under {folder} and list each "
                       "as its own archive:<handle>")
    if not found:
        listed = "; ".join(f"{platform}: {', '.join(map(str, paths))}" for platform, paths in tried.items())
        raise ElmError(f"archive:{handle}: no export found; tried {listed}; unzip the export there (see "
                       "data/import/README.md) or set scrape.archive.dir")
    return next(iter(found.items()))


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
