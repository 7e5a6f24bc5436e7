"""Any table of posts: a ``.csv``, ``.tsv``, ``.jsonl`` or ``.parquet`` file at ``scrape.table.path``.

``scrape.table`` names its columns: ``text_column`` (required), ``account_column`` (rows whose
value equals the handle are that account's; "" gives every row to the handle), and the optional
``id_column`` and ``created_at_column``: when the file lacks them, ids are derived from the text
and dates left empty. Dates may be epoch seconds or milliseconds, ISO 8601 (UTC when no zone is
given), Twint's or the X archive's format. The whole row is kept in ``raw``.
"""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pandas as pd

from stages.errors import ElmError
from stages.sources import files, normalize

SUFFIXES = (".csv", ".tsv", ".jsonl", ".parquet")


def read(handle: str, params):
    """The posts of ``handle`` in the table at ``params.path``."""
    path = Path(params.path)
    rows = read_rows(path)
    if not rows:
        raise ElmError(f"{path}: holds no rows; expected one row per post")
    columns = list(rows[0])
    files.require_columns(path, columns, {
        params.text_column: "set scrape.table.text_column to the column holding the posts",
    })
    if params.account_column:
        files.require_columns(path, columns, {
            params.account_column: 'set scrape.table.account_column to the column naming each account, '
                                   'or "" if the file holds one account',
        })
        rows = rows_of_account(rows, handle, params.account_column, path)
    note_missing_optional(path, columns, params)
    records = [post_record(row, params, f"{path}: row {number}") for number, row in enumerate(rows, start=1)]
    return normalize(records, handle, "table")


def read_rows(path: Path) -> list[dict]:
    """The rows of a table file as dicts, whatever its format."""
    if path.suffix not in SUFFIXES:
        raise ElmError(f"scrape.table.path: {path} is not one of {', '.join(SUFFIXES)}; convert it or rename it")
    if not path.is_file():
        raise ElmError(f"scrape.table.path: {path} not found; put the table there or set scrape.table.path")
    if path.suffix == ".parquet":
        try:
            return pd.read_parquet(path).to_dict("records")
        except Exception as err:  # pyarrow raises several types for a damaged or non-Parquet file
            raise ElmError(f"{path}: not a readable Parquet file ({err}); re-export it") from None
    if path.suffix == ".jsonl":
        return files.read_json_lines(path)
    return files.read_delimited(path, "\t" if path.suffix == ".tsv" else None)


def rows_of_account(rows: list[dict], handle: str, column: str, path: Path) -> list[dict]:
    mine = [row for row in rows if files.as_text(row.get(column)).strip() == handle]
    if not mine:
        present = Counter(files.as_text(row.get(column)) for row in rows)
        listed = ", ".join(f"{name!r} ({count})" for name, count in present.most_common(10))
        raise ElmError(
            f"table:{handle}: no rows of {path} have {column} == {handle!r}; accounts present (posts): "
            f"{listed or 'none'}; fix the handle in scrape.accounts"
        )
    return mine


def post_record(row: dict, params, where: str) -> dict:
    """One table row as a record for :func:`normalize`; ``where`` names the row in errors."""
    try:
        created_at = files.to_iso_utc(row.get(params.created_at_column))
    except ValueError as err:
        raise ElmError(f"{where}: {params.created_at_column}: {err}") from None
    return {
        "id": files.as_text(row.get(params.id_column)),
        "created_at": created_at,
        "text": files.as_text(row[params.text_column]),
        "raw": row,
    }


def note_missing_optional(path: Path, columns: list, params) -> None:
    """Say on stderr when an optional column is absent, so a typo in its name is noticed."""
    optional = [("id_column", params.id_column, "ids derived from the text"),
                ("created_at_column", params.created_at_column, "dates left empty")]
    for key, column, effect in optional:
        if column and column not in columns:
            print(f"note: {path} has no column {column!r} (scrape.table.{key}): {effect}", file=sys.stderr)
