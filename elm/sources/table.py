"""Any table of posts: a ``.csv``, ``.tsv``, ``.jsonl`` or ``.parquet`` file at ``scrape.table.path``.

``scrape.table`` names its columns: ``text_column`` (required), ``account_column`` (rows whose
value equals the handle are that account's; "" gives every row to the handle), and the optional
``id_column`` and ``created_at_column``: when the file lacks them, ids are derived from the text
and dates left empty. Dates may be epoch seconds or milliseconds, ISO 8601 (UTC when no zone is
given), Twint's or the X archive's format. The whole row is kept in ``raw``.

A row that cannot be read (broken quoting, a text that is not text, a bad date, ...) fails the
read, or is left out and reported when ``on_bad_row`` is "skip" (see elm/sources/files.py).
"""
from __future__ import annotations

import itertools
import sys
from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pyarrow.parquet as pq

from elm.errors import ElmError
from elm.sources import files

SUFFIXES = (".csv", ".tsv", ".jsonl", ".parquet")


def read(handle: str, params, on_bad_row: str = "fail"):
    """The posts of ``handle`` in the table at ``params.path``. The file is read row by row, so a
    table of millions of rows is never in memory whole."""
    path = Path(params.path)
    columns, rows = read_rows(path, on_bad_row)
    files.require_columns(path, columns, {
        params.text_column: "set scrape.table.text_column to the column holding the posts",
    })
    accounts: Counter = Counter()
    if params.account_column:
        files.require_columns(path, columns, {
            params.account_column: 'set scrape.table.account_column to the column naming each account, '
                                   'or "" if the file holds one account',
        })
        rows = rows_of_account(rows, handle, params.account_column, accounts)
    note_missing_optional(path, columns, params)
    posts = files.read_posts(path, rows, partial(post_record, params=params), handle, "table", on_bad_row)
    if accounts and not accounts[handle]:
        listed = ", ".join(f"{name!r} ({count})" for name, count in accounts.most_common(10))
        raise ElmError(
            f"table:{handle}: no rows of {path} have {params.account_column} == {handle!r}; accounts present "
            f"(posts): {listed}; fix the handle in scrape.accounts"
        )
    return posts


def read_rows(path: Path, on_bad_row: str) -> tuple[list[str], Iterator]:
    """The columns of a table file and its rows as ``(where, row)``, read lazily, whatever its format.
    A JSON-lines file's columns are those of its first row."""
    if path.suffix not in SUFFIXES:
        raise ElmError(f"scrape.table.path: {path} is not one of {', '.join(SUFFIXES)}; convert it or rename it")
    if not path.is_file():
        raise ElmError(f"scrape.table.path: {path} not found; put the table there or set scrape.table.path")
    if path.suffix == ".parquet":
        columns, rows = parquet_rows(path)
    elif path.suffix == ".jsonl":
        rows = files.read_json_lines(path, on_bad_row)
        first = [(where, row) for where, row in itertools.islice(rows, 1)]
        columns = list(first[0][1]) if first and isinstance(first[0][1], dict) else []
        rows = itertools.chain(first, rows)
    else:
        columns, rows = files.read_delimited(path, "\t" if path.suffix == ".tsv" else None, on_bad_row)
    first = next(rows, None)
    if first is None:
        raise ElmError(f"{path}: holds no rows; expected one row per post")
    return columns, itertools.chain([first], rows)


def parquet_rows(path: Path) -> tuple[list[str], Iterator]:
    """A Parquet file's columns, and its rows as ``(where, row)`` read a batch at a time."""
    try:
        parquet = pq.ParquetFile(path)
    except Exception as err:  # pyarrow raises several types for a damaged or non-Parquet file
        raise ElmError(f"{path}: not a readable Parquet file ({err}); re-export it") from None

    def rows():
        number = 0
        try:
            for batch in parquet.iter_batches():
                for row in batch.to_pylist():
                    number += 1
                    yield f"{path}: row {number}", row
        except (OSError, ValueError) as err:  # a damaged page
            raise ElmError(f"{path}: row {number + 1} and after are not readable ({err}); re-export it") from None

    return parquet.schema_arrow.names, rows()


def rows_of_account(rows: Iterator, handle: str, column: str, accounts: Counter) -> Iterator:
    """The rows whose ``column`` is ``handle``, and the bad rows (whose account cannot be known).
    ``accounts`` counts the good rows of every account, ``handle`` included."""
    for where, row in rows:
        account = None if isinstance(row, files.BadRow) else files.as_text(row.get(column)).strip()
        if account is not None:
            accounts[account] += 1
        if account in (None, handle):
            yield where, row


def post_record(row: dict, where: str, params) -> dict:
    """One table row as a record for :func:`normalize`; ``where`` names the row in errors."""
    files.require_columns(where, row, {params.text_column: "give every row the text column"})
    try:
        created_at = files.to_iso_utc(row.get(params.created_at_column))
    except ValueError as err:
        raise files.BadRow(f"{where}: {params.created_at_column}: {err}") from None
    return {
        "id": files.as_text(row.get(params.id_column)),
        "created_at": created_at,
        "text": files.post_text(row[params.text_column], where, params.text_column,
                                "check that scrape.table.text_column names the column holding the posts"),
        "raw": row,
    }


def note_missing_optional(path: Path, columns: list, params) -> None:
    """Say on stderr when an optional column is absent, so a typo in its name is noticed."""
    optional = [("id_column", params.id_column, "ids derived from the text"),
                ("created_at_column", params.created_at_column, "dates left empty")]
    for key, column, effect in optional:
        if column and column not in columns:
            print(f"note: {path} has no column {column!r} (scrape.table.{key}): {effect}", file=sys.stderr)
