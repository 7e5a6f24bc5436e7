"""CSV and TSV files: the header, then the rows read lazily, each broken row given as a BadRow that names
its line and what is wrong."""
from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from elm.errors import ElmError
from elm.sources import textfiles
from elm.sources.files import BadRow

OTHER_SEPARATORS = (";", "|", ",", "\t")


def read_delimited(path: Path, delimiter: str | None = None, on_bad_row: str = "fail", encoding: str = "utf-8",
                   encoding_key: str = "") -> tuple[list[str], Iterator[tuple[str, dict | BadRow]]]:
    """The header of a CSV or TSV file and its rows as ``(where, {column: value})``, read lazily.
    Without ``delimiter`` the header decides: a tab in it means tab-separated (Twint writes TSV
    into files named .csv). A row with too many or too few fields, broken quoting or undecodable
    bytes is given as a :class:`BadRow` (``encoding_key``: the params key that sets the encoding, if any)."""
    undecodable: set[int] = set()
    file_lines = textfiles.lines(path, on_bad_row, undecodable, encoding, encoding_key)
    first = next(file_lines, "")
    accepted = "tabs" if delimiter == "\t" else "commas or tabs"
    if delimiter is None:
        delimiter = "\t" if "\t" in first else ","
    reader = csv.reader(_chain(first, file_lines), delimiter=delimiter, strict=True)
    try:
        header = next((fields for fields in reader if "".join(fields).strip()), None)
    except csv.Error as err:
        raise ElmError(f"{path}: line {reader.line_num} (the header): {_csv_problem(err)}") from None
    if header is None:
        raise ElmError(f"{path}: the file is empty; expected a header line and one row per post")
    _check_header(path, header, delimiter, accepted)
    return header, _delimited_rows(path, reader, header, undecodable, textfiles.resave_hint(encoding_key))


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _check_header(path: Path, header: list[str], delimiter: str, accepted: str) -> None:
    if len(header) == 1:
        other = next((sep for sep in OTHER_SEPARATORS if sep != delimiter and sep in header[0]), None)
        if other:
            raise ElmError(
                f"{path}: line 1 (the header) is a single column, {header[0][:80]!r}, that looks separated by "
                f"{other!r}; re-export the file separated by {accepted}"
            )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ElmError(f"{path}: line 1 (the header) names column(s) {', '.join(map(repr, repeated))} twice; "
                       "rename one of each so every column has its own name")


def _delimited_rows(path: Path, reader, header: list[str], undecodable: set[int], resave: str):
    while True:
        line = reader.line_num + 1
        where = f"{path}: line {line}"
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            yield where, BadRow(f"{where}: {_csv_problem(err)}")
            continue
        if not fields:  # a blank line
            continue
        if undecodable and not undecodable.isdisjoint(range(line, reader.line_num + 1)):
            yield where, BadRow(f"{where}: holds bytes that are not valid UTF-8; {resave}")
        elif len(fields) != len(header):
            yield where, BadRow(f"{where}: {_field_count_problem(len(fields), len(header))}")
        else:
            yield where, dict(zip(header, fields))


def _field_count_problem(found: int, expected: int) -> str:
    if found > expected:
        return (f"has {found} fields where the header has {expected}; quote the field that holds the separator, "
                "or remove the extra one")
    return (f"has {found} fields where the header has {expected}; the row is cut short (if the file ends "
            "here, it was cut: re-export it) or a separator is missing")


def _csv_problem(err: csv.Error) -> str:
    message = str(err)
    if "field larger than field limit" in message:
        return (f"a field is longer than {csv.field_size_limit():,} characters, more than any post; look for "
                'an unclosed quote (") at or before this line, or remove the row')
    if "unexpected end of data" in message:
        return ('the file ends inside a quoted field: it looks cut short (re-export it), or a quote (") '
                "is not closed")
    if "expected after" in message:
        return ('a quote (") inside a quoted field is not doubled; write it as "" or remove it')
    if "new-line character seen in unquoted field" in message:
        return r"a line break (\r) inside an unquoted field; save the file with Unix or Windows line ends"
    return f"{message}; check the quoting in that row"

