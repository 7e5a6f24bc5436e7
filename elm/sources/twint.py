"""Twint exports: ``<dir>/<handle>.csv``, ``.json`` or ``.jsonl`` (``scrape.twint.dir``).

Twint's "CSV" is usually tab-separated; the header line tells which separator a file uses. Its
JSON output is one object a line (a single JSON array is accepted too). Each row's ``tweet`` is
the text, ``id`` the id, ``language`` the language; ``conversation_id`` and ``reply_to`` say
whether it is a reply; the whole row is kept in ``raw``. The export's ``username`` is checked
against the handle: when it names someone else, a warning says so and the handle is used.

``created_at`` is either epoch milliseconds or local time with a zone abbreviation
(``2021-01-22 14:14:00 CST``). The abbreviation is trusted over the ``timezone`` column: Twint
fills that column with the scraping machine's offset at scrape time, which is an hour off for
posts written in summer time (the tweet ids confirm the abbreviation). The column is used only
when ``created_at`` carries no zone Elm knows.

A row that cannot be read (broken quoting, a missing field, a bad date, ...) fails the read, or
is left out and reported when ``on_bad_row`` is "skip" (see elm/sources/files.py).
"""
from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

from elm.errors import ElmError
from elm.sources import dates, delimited, files, jsonfiles

logger = logging.getLogger(__name__)

SUFFIXES = (".csv", ".json", ".jsonl")
REQUIRED = {
    "id": "a Twint export has an `id` column; for other files use the `table` source",
    "tweet": "a Twint export keeps the text in `tweet`; for other files use the `table` source",
}
JSON_FIX = "fix that line, or export the posts again"


def read(handle: str, params, on_bad_row: str = "fail"):
    """All posts in the Twint export for ``handle``, with a warning when the export's ``username``
    column names someone else (the posts are kept under ``handle``)."""
    path = find_export(Path(params.dir), handle)
    usernames: Counter = Counter()

    def record(row, where: str) -> dict:
        if isinstance(row, dict) and files.as_text(row.get("username")):
            usernames[files.as_text(row["username"]).removeprefix("@")] += 1
        return post_record(row, where)

    posts = files.read_posts(path, read_rows(path, on_bad_row), record, handle, "twint", on_bad_row)
    if usernames and handle.casefold() not in {name.casefold() for name in usernames}:
        listed = ", ".join(f"{name!r} ({count} posts)" for name, count in usernames.most_common(3))
        logger.warning(f"warning: twint:{handle}: {path}'s username column says {listed}, not {handle!r}; its "
                       f"posts are kept as {handle!r}, the handle in scrape.accounts (rename the file and the "
                       "account to use the export's name)")
    return posts


def find_export(folder: Path, handle: str) -> Path:
    """The first of ``<handle>.csv``, ``.json``, ``.jsonl`` in ``folder``."""
    tried = [folder / f"{handle}{suffix}" for suffix in SUFFIXES]
    for path in tried:
        if path.is_file():
            return path
    present = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    raise ElmError(
        f"twint:{handle}: no export found; tried {', '.join(map(str, tried))}"
        f" ({folder} holds: {', '.join(present[:10]) or 'nothing'}); "
        "put the Twint export there (see data/import/README.md) or set scrape.twint.dir"
    )


def read_rows(path: Path, on_bad_row: str) -> files.Rows:
    """The export's rows as ``(where, row)``, whatever its format."""
    if path.suffix == ".csv":
        header, rows = delimited.read_delimited(path, on_bad_row=on_bad_row)
        files.require_columns(f"{path}: line 1 (the header)", header, REQUIRED)
        return rows
    return jsonfiles.read_json(path, on_bad_row, JSON_FIX)


def is_reply(row: dict) -> bool | None:
    """Whether a Twint row is a reply: its ``conversation_id`` is another post's, or its ``reply_to``
    lists someone (``[]`` for a post that is none); None when the export has neither column."""
    post, conversation = files.as_text(row.get("id")), files.as_text(row.get("conversation_id"))
    reply_to = files.as_text(row.get("reply_to")).strip()
    if not conversation and not reply_to:
        return None
    return bool(conversation and conversation != post) or reply_to not in ("", "[]")


def post_record(row, where: str) -> dict:
    """One Twint row as a record for :func:`normalize`; ``where`` names the row in errors."""
    if not isinstance(row, dict):
        raise files.BadRow(f"{where}: is a JSON {type(row).__name__}, expected an object {{...}}")
    files.require_columns(where, row, REQUIRED)
    try:
        created_at = dates.to_iso_utc(row.get("created_at"), files.as_text(row.get("timezone")))
    except ValueError as err:
        raise files.BadRow(f"{where} (id {row['id']}): created_at: {err}") from None
    return {
        "id": files.as_text(row["id"]),
        "created_at": created_at,
        "text": files.post_text(row["tweet"], where, "tweet"),
        "language": files.as_text(row.get("language")),
        "reply": is_reply(row),
        "raw": row,
    }
