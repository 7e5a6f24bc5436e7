"""Twint exports: ``<dir>/<handle>.csv``, ``.json`` or ``.jsonl`` (``scrape.twint.dir``).

Twint's "CSV" is usually tab-separated; the header line tells which separator a file uses. Its
JSON output is one object a line (a single JSON array is accepted too). Each row's ``tweet`` is
the text, ``id`` the id, ``language`` the language; the whole row is kept in ``raw``.

``created_at`` is either epoch milliseconds or local time with a zone abbreviation
(``2021-01-22 14:14:00 CST``). The abbreviation is trusted over the ``timezone`` column: Twint
fills that column with the scraping machine's offset at scrape time, which is an hour off for
posts written in summer time (the tweet ids confirm the abbreviation). The column is used only
when ``created_at`` carries no zone Elm knows.
"""
from __future__ import annotations

import json
from pathlib import Path

from stages.errors import ElmError
from stages.sources import files, normalize

SUFFIXES = (".csv", ".json", ".jsonl")
REQUIRED = {
    "id": "a Twint export has an `id` column; for other files use the `table` source",
    "tweet": "a Twint export keeps the text in `tweet`; for other files use the `table` source",
}


def read(handle: str, params):
    """All posts in the Twint export for ``handle``."""
    path = find_export(Path(params.dir), handle)
    records = [post_record(row, f"{path}: row {number}") for number, row in enumerate(read_rows(path), start=1)]
    return normalize(records, handle, "twint")


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


def read_rows(path: Path) -> list[dict]:
    if path.suffix == ".csv":
        return files.read_delimited(path)
    text = files.read_text(path)
    if text.lstrip().startswith("["):
        return _json_array(path, text)
    return files.read_json_lines(path)


def _json_array(path: Path, text: str) -> list[dict]:
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as err:
        raise ElmError(f"{path}: line {err.lineno} is not valid JSON ({err.msg}); fix that line") from None
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ElmError(f"{path}: item {index} is a JSON {type(row).__name__}, expected an object {{...}}")
    return rows


def post_record(row: dict, where: str) -> dict:
    """One Twint row as a record for :func:`normalize`; ``where`` names the row in errors."""
    files.require_columns(where, row, REQUIRED)
    try:
        created_at = files.to_iso_utc(row.get("created_at"), files.as_text(row.get("timezone")))
    except ValueError as err:
        raise ElmError(f"{where} (id {row['id']}): created_at: {err}") from None
    return {
        "id": files.as_text(row["id"]),
        "created_at": created_at,
        "text": files.as_text(row["tweet"]),
        "language": files.as_text(row.get("language")),
        "raw": row,
    }
