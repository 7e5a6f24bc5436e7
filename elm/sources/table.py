"""Any table of posts: ``scrape.table.path`` names one file, a folder or a glob (``exports/*.csv``).

Formats, by suffix: ``.csv`` and ``.tsv``, ``.json`` (a JSON array of objects, or one object a line),
``.jsonl``, ``.parquet``, and ``.txt`` (plain text, one post a line, nothing else; a one-column CSV saved
as .txt, a header line above quoted lines, is read as that CSV). Text files are UTF-8, or in the legacy
encoding ``encoding`` names; ``auto`` (the default) decides from the whole file and says so
(elm/sources/charsets.py).

``scrape.table`` names the columns: ``text_column`` (required), ``account_column`` (rows whose value
equals the handle are that account's), and the optional ``id_column``, ``created_at_column`` and
``language_column``: when a file lacks them, ids are derived from the text, dates left empty and
languages left to the clean stage to detect. Dates may be epoch seconds or milliseconds, ISO 8601
(UTC when no zone is given), Twint's or the X archive's format, RFC 2822 or a spreadsheet's
``10/16/17 22:59`` (month first); ``created_at_format`` (strptime's ``%d/%m/%y %H:%M``) reads
day-first or other odd dates exactly. The whole row is kept in ``raw``.

Which account a row belongs to: its ``account_column`` value; for a file without accounts (a
``.txt`` file, or any file when ``account_column`` is ""), the file's name without its suffix
(``alice.txt`` holds alice's posts), or, when the path names a single file, the handle asked for.
``table:*`` in ``scrape.accounts`` stands for every account the table holds.

Every file is read once per run, however many accounts it holds. A row that cannot be read (broken
quoting, a text that is not text, a bad date, ...) fails the read, or is left out and reported once
when ``on_bad_row`` is "skip" (see elm/sources/files.py).
"""
from __future__ import annotations

import csv
import glob
import itertools
import logging
import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from elm.errors import ElmError
from elm.sources import charsets, dates, delimited, files, jsonfiles, textfiles

logger = logging.getLogger(__name__)

SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".parquet", ".txt")
EVERY_ACCOUNT = "*"
JSON_FIX = "fix the file, or export it again"
ENCODING_KEY = "scrape.table.encoding"
SNIFFED_LINES = 50  # the first lines of a .txt file looked at to tell a CSV saved as .txt
QUOTED_SHARE = 0.8  # of those lines wrapped in double quotes, in a CSV saved as .txt
_COLUMN_NAME = re.compile(r"[\w.-]{1,40}")
_LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")
_last_read: dict = {}  # the last table read: its key (params, files and their versions) and posts


def read(handle: str, params, on_bad_row: str = "fail") -> pd.DataFrame:
    """The posts of ``handle`` in the table at ``params.path``."""
    posts = read_all(params, on_bad_row)
    if (posts["account"] == "").all():  # one file without accounts: all of it is the handle's
        return posts.assign(account=handle)
    if handle not in set(posts["account"]):
        counts = posts["account"].value_counts()
        listed = ", ".join(f"{name!r} ({count})" for name, count in counts.head(10).items())
        where = (f"no rows of {params.path} have {params.account_column} == {handle!r}" if params.account_column
                 else f"no file of {params.path} is named {handle!r}")
        raise ElmError(f"table:{handle}: {where}; accounts present (posts): {listed}; fix the handle in "
                       f"scrape.accounts, or list `table:{EVERY_ACCOUNT}` for every account")
    return posts[posts["account"] == handle].reset_index(drop=True)


def accounts(params, on_bad_row: str = "fail") -> list[str]:
    """Every account the table holds, in order of first appearance (what ``table:*`` stands for); a
    single file without accounts is one account, named by the file."""
    return [name or Path(params.path).stem for name in dict.fromkeys(read_all(params, on_bad_row)["account"])]


def read_all(params, on_bad_row: str = "fail") -> pd.DataFrame:
    """Every post of every file at ``params.path``, each under its account. The result is kept for
    the next call with the same params and unchanged files, so each file is read once per run."""
    paths = table_files(params.path)
    key = (params, on_bad_row, tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths))
    if _last_read.get("key") != key:
        _last_read.clear()
        frames = [read_file(path, params, on_bad_row, len(paths) > 1) for path in paths]
        _last_read.update(key=key, posts=pd.concat(frames, ignore_index=True))
    return _last_read["posts"]


def table_files(path_param: str) -> list[Path]:
    """The files ``scrape.table.path`` names: one file, a folder's table files, or a glob's."""
    path = Path(path_param)
    if glob.has_magic(path_param):
        found = sorted(Path(p) for p in glob.glob(path_param) if Path(p).suffix in SUFFIXES and Path(p).is_file())
        if not found:
            raise ElmError(f"scrape.table.path: {path_param} matches no {', '.join(SUFFIXES)} file; check the pattern")
        return found
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
        if not found:
            raise ElmError(f"scrape.table.path: the folder {path} holds no {', '.join(SUFFIXES)} file; put the "
                           "exports there or point scrape.table.path at the file")
        return found
    if path.suffix not in SUFFIXES:
        raise ElmError(f"scrape.table.path: {path} is not one of {', '.join(SUFFIXES)}; convert it or rename it")
    if not path.is_file():
        raise ElmError(f"scrape.table.path: {path} not found; put the table there or set scrape.table.path")
    return [path]


def read_file(path: Path, params, on_bad_row: str, several: bool) -> pd.DataFrame:
    """One file's posts, each under its account (see the module's docstring): ``account`` is the
    account column's value, or the file's stem, or "" (one file without accounts: the handle's)."""
    encoding = "" if path.suffix == ".parquet" else charsets.detect_encoding(path, params.encoding, ENCODING_KEY)
    columns, rows = read_rows(path, on_bad_row, encoding, params.text_column)
    files.require_columns(path, columns, {
        params.text_column: "set scrape.table.text_column to the column holding the posts",
    })
    by_column = bool(params.account_column) and path.suffix != ".txt"
    if by_column:
        files.require_columns(path, columns, {
            params.account_column: 'set scrape.table.account_column to the column naming each account, '
                                   'or "" if each file holds one account',
        })
    note_missing_optional(path, columns, params)
    default = path.stem if several else ""
    record = partial(post_record, params=params, account=default, by_column=by_column)
    return files.read_posts(path, rows, record, default, "table", on_bad_row)


def read_rows(path: Path, on_bad_row: str, encoding: str, text_column: str) -> tuple[list[str], Iterator]:
    """The columns of a table file and its rows as ``(where, row)``, read lazily, whatever its format
    (a JSON array, being one document, is read whole). A JSON file's columns are its first row's."""
    if path.suffix == ".parquet":
        columns, rows = parquet_rows(path)
    elif path.suffix in (".json", ".jsonl"):
        rows = jsonfiles.read_json(path, on_bad_row, JSON_FIX, encoding, ENCODING_KEY)
        first = list(itertools.islice(rows, 1))
        columns = list(first[0][1]) if first and isinstance(first[0][1], dict) else []
        if "orderedItems" in columns:
            raise ElmError(f"{path}: holds an ActivityPub collection, not a table of posts; {jsonfiles.OUTBOX_HINT}")
        rows = itertools.chain(first, rows)
    elif path.suffix == ".txt":
        columns, rows = [text_column], text_rows(path, on_bad_row, encoding, text_column)
    else:
        columns, rows = delimited.read_delimited(path, "\t" if path.suffix == ".tsv" else None, on_bad_row, encoding,
                                                 ENCODING_KEY)
    first = next(rows, None)
    if first is None:
        raise ElmError(f"{path}: holds no rows; expected one row per post")
    return columns, itertools.chain([first], rows)


def text_rows(path: Path, on_bad_row: str, encoding: str, text_column: str) -> Iterator:
    """A plain text file's lines as rows ``{text_column: line}`` (blank lines left out), or, for a one-column CSV
    saved as .txt (a header line, then lines wrapped in double quotes), its CSV rows: never posts in quotes."""
    column = quoted_header(path, encoding)
    if column is None:
        return plain_lines(path, on_bad_row, encoding, text_column)
    header, rows = delimited.read_delimited(path, ",", on_bad_row, encoding, ENCODING_KEY)
    if len(header) != 1:
        raise ElmError(f"{path}: is a CSV with columns {', '.join(header)}, saved as .txt; rename it .csv and set "
                       "scrape.table.text_column to the column holding the posts")
    logger.info(f"note: {path}: its lines are wrapped in double quotes under a header line ({column!r}): read as a "
                "one-column CSV (rename it .csv to say so)")
    return ((where, row if isinstance(row, files.BadRow) else {text_column: row[header[0]]}) for where, row in rows)


def quoted_header(path: Path, encoding: str) -> str | None:
    """The header of a .txt file that is a one-column CSV: its first line, a column name, above lines that
    start with a double quote and read as one CSV field each. None for plain text; a file of such lines
    without that header is refused."""
    nonblank = (line for line in textfiles.lines(path, "skip", set(), encoding) if line.strip())
    first, *body = [*itertools.islice(nonblank, SNIFFED_LINES)] or [""]
    quoted = sum(line.startswith('"') for line in body)
    if not body or quoted < QUOTED_SHARE * len(body) or not _one_field_each(body):
        return None
    if _COLUMN_NAME.fullmatch(first.strip().strip('"')):
        return first.strip().strip('"')
    quoted += first.startswith('"')
    raise ElmError(f"{path}: {quoted} of its first {len(body) + 1} lines are wrapped in double quotes, as a CSV's "
                   "fields are; rename it .csv and give it a header line naming its column (text), so that the "
                   "quotes are read as CSV quoting, not as part of each post")


def _one_field_each(lines: list[str]) -> bool:
    """Whether ``lines`` read as CSV rows of one field each (a quoted field may hold line breaks, and the
    last one may be cut where the lines end)."""
    rows = csv.reader(lines, strict=True)
    try:
        return all(len(row) <= 1 for row in rows)
    except csv.Error as err:
        return "unexpected end of data" in str(err)


def plain_lines(path: Path, on_bad_row: str, encoding: str, text_column: str) -> Iterator:
    """A plain text file's lines as rows ``{text_column: line}``; blank lines are left out."""
    undecodable: set[int] = set()
    for number, line in enumerate(textfiles.lines(path, on_bad_row, undecodable, encoding, ENCODING_KEY), start=1):
        where = f"{path}: line {number}"
        if number in undecodable:
            yield where, files.BadRow(f"{where}: holds bytes that are not valid {encoding}; "
                                      f"{textfiles.resave_hint(ENCODING_KEY)}")
        elif line.strip():
            yield where, {text_column: line.rstrip("\r\n")}


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


def post_record(row, where: str, params, account: str, by_column: bool) -> dict:
    """One table row as a record for :func:`normalize`; ``where`` names the row in errors."""
    if not isinstance(row, dict):
        raise files.BadRow(f"{where}: is a JSON {type(row).__name__}, expected an object {{...}}")
    files.require_columns(where, row, {params.text_column: "give every row the text column"})
    if by_column:
        account = files.as_text(row.get(params.account_column)).strip()
        if not account:
            raise files.BadRow(f"{where}: {params.account_column} is empty; give every row its account")
    column = params.created_at_column
    try:
        created_at = dates.to_iso_utc(row.get(column), time_format=params.created_at_format)
    except ValueError as err:
        fix = ('set scrape.table.created_at_format to the dates\' strptime format (e.g. "%d/%m/%Y %H:%M"), '
               'scrape.table.created_at_column to the column holding the dates, or created_at_column: "" '
               "to leave dates out")
        raise files.BadRow(f"{where}: {column}: {err}", column_fix=fix) from None
    return {
        "id": files.as_text(row.get(params.id_column)),
        "account": account,
        "created_at": created_at,
        "text": files.post_text(row[params.text_column], where, params.text_column,
                                "check that scrape.table.text_column names the column holding the posts"),
        "language": language_code(row, where, params.language_column),
        "raw": row,
    }


def language_code(row: dict, where: str, column: str) -> str:
    """A row's language code (``en``, ``pt-BR``; "" when missing). A name ("English") is a BadRow:
    the clean stage compares codes."""
    value = files.as_text(row.get(column)).strip() if column else ""
    if value and not _LANGUAGE_CODE.fullmatch(value):
        raise files.BadRow(f"{where}: {column} is {value[:30]!r}, not a language code like en or pt-BR",
                           column_fix='set scrape.table.language_column: "" to have clean detect each post\'s '
                                      "language instead")
    return value


def note_missing_optional(path: Path, columns: list, params) -> None:
    """Say on stderr when an optional column is absent, so a typo in its name is noticed."""
    if path.suffix == ".txt":
        return
    optional = [("id_column", params.id_column, "ids derived from the text"),
                ("created_at_column", params.created_at_column, "dates left empty"),
                ("language_column", params.language_column, "languages detected by the clean stage")]
    for key, column, effect in optional:
        if column and column not in columns:
            logger.info(f"note: {path} has no column {column!r} (scrape.table.{key}): {effect}")
