"""Reading the files users export from elsewhere, with errors that name the file, line and fix.

The twint, archive and table sources share these: text decoding (UTF-8, with or without a BOM, or
a legacy encoding that :func:`detect_encoding` recognizes or the user names), CSV/TSV, JSON-lines and JSON-array rows, required columns, post texts, timestamps in the formats
exports use, and what to do with a row that cannot be read. A reader gives each row as
``(where, values)``, ``where`` naming it ("posts.csv: line 12"), or as ``(where, BadRow)`` when the
row itself is broken; :func:`read_posts` then turns the rows into posts as ``on_bad_row`` says:

- ``"fail"`` (the default): the first bad row stops the read with an ElmError naming the file, the
  line, what was expected and how to fix it;
- ``"skip"``: bad rows are left out, and their number, lines and problems are printed on stderr.

Problems with a whole file always fail: missing, unreadable or empty, UTF-16, a header without a
needed column or with another separator, broken JSON in a single-document file (an X archive's
tweets.js, a JSON array), whose later items cannot be trusted.
"""
from __future__ import annotations

import codecs
import csv
import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import charset_normalizer
import pandas as pd
from dateutil import parser as dateutil_parser

from elm.errors import ElmError
from elm.params.scrape import ON_ERROR
from elm.sources.records import normalize

logger = logging.getLogger(__name__)

# X's longest posts have 25,000 characters. A longer field is a broken row, most often an unclosed
# quote that swallowed the rows after it. This is also the csv module's own limit per field.
MAX_POST_CHARS = 131_072
SKIPPED_LISTED = 5  # bad rows listed on stderr for each file, with the count of the rest
BATCH_ROWS = 20_000
SKIP_HINT = "or set scrape.on_bad_row: skip to leave out such rows"
OTHER_SEPARATORS = (";", "|", ",", "\t")

# Zone abbreviations Twint and similar tools print after a local time. Ambiguous ones (IST, ...)
# are left out on purpose: a wrong offset would be worse than asking for one.
ZONE_OFFSETS_HOURS = {
    "UTC": 0, "GMT": 0, "Z": 0,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "AKST": -9, "AKDT": -8, "HST": -10,
    "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3,
    "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
}
TIMESTAMP_FORMATS = (
    "epoch seconds or milliseconds, ISO 8601 (2021-01-31T18:45:02Z), "
    "'2021-01-31 18:45:02 EST' (Twint), 'Wed Oct 10 20:19:24 +0000 2018' (X archive), "
    "RFC 2822 (Mon, 16 Oct 2017 22:59:00 +0000) or a spreadsheet's date (10/16/17 22:59, month first)"
)
ENCODING_SAMPLE_BYTES = 1 << 20  # what encoding detection looks at: the first MiB
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
_LOCAL_TIME_WITH_ZONE = re.compile(r"(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})\s+([A-Za-z]+|[+-]\d{4})")
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")
_EPOCH = re.compile(r"\d+(\.\d+)?")
# 10/16/17 22:59, 1/2/2018 7:00 PM: read month first, always (dateutil would quietly read 20/10/2017 as
# day first and 05/10/2017 as month first in the same file)
_SLASHED_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?")
_JSON_SPACE = re.compile(r"[ \t\n\r]*")

Rows = Iterable[tuple[str, "dict | BadRow"]]


class BadRow(ElmError):
    """One row of an input file that cannot be read. Inside :func:`read_posts` it fails the read or is
    skipped, as ``on_bad_row`` says; raised anywhere else (a file's header) it fails the read.
    ``column_fix``, for a problem with one column's values (a date format), is what fixes the whole
    column: when every row of a file fails with it, the file fails once, saying so."""

    def __init__(self, message: str, column_fix: str = ""):
        super().__init__(message)
        self.column_fix = column_fix


# --- files as text -------------------------------------------------------------------------------

def read_text(path: Path, encoding: str = "utf-8") -> str:
    """A whole file's text, decoded from ``encoding`` (a leading UTF-8 BOM is dropped). Undecodable
    bytes are an ElmError giving the line and byte offset, so the user can find and fix them."""
    with _open(path) as file:
        data = file.read()
    _refuse_utf16(path, data)
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if not data[bom:].strip():
        raise ElmError(f"{path}: the file is empty; re-export it, or remove the account from scrape.accounts")
    try:
        return data[bom:].decode(encoding)
    except UnicodeDecodeError as err:
        start = bom + err.start
        line = data.count(b"\n", 0, start) + 1
        bad = data[start:bom + err.end]
        raise ElmError(f"{_not_decodable(path, line, start, bad, encoding)}; re-save the file as UTF-8") from None


def detect_encoding(path: Path, encoding: str = "auto", key: str = "scrape.table.encoding") -> str:
    """The encoding to read ``path`` with: ``encoding`` itself when it names one (``key`` is the
    params key that set it), else UTF-8 when the file's first MiB is UTF-8 (or mostly so: a few broken
    bytes among valid multi-byte characters are damage, reported by line when read), else the legacy
    encoding charset-normalizer recognizes, said on stderr. A file it cannot place is refused."""
    if encoding != "auto":
        try:
            return codecs.lookup(encoding).name
        except LookupError:
            raise ElmError(f"{key}: unknown encoding {encoding!r}; use auto, utf-8, cp1252, latin-1, ...") from None
    with _open(path) as file:
        sample = file.read(ENCODING_SAMPLE_BYTES)
    _refuse_utf16(path, sample)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        if _UTF8_MULTIBYTE.search(sample):
            return "utf-8"
    matches = list(charset_normalizer.from_bytes(sample))
    if not matches:
        raise ElmError(f"{path}: is not UTF-8 text and its encoding could not be recognized; set {key} to the "
                       "file's encoding (cp1252, latin-1, shift_jis, ...) or re-save it as UTF-8")
    # A short sample often fits several single-byte encodings equally well; Windows-1252 (what Excel
    # saves on Western systems, a superset of Latin-1's printable characters) is the likeliest of them.
    best = matches[0]
    tied = [m for m in matches if m.chaos <= best.chaos + 0.01 and m.coherence >= best.coherence - 0.05]
    encoding = "cp1252" if any("cp1252" in m.could_be_from_charset for m in tied) else best.encoding
    logger.info(f"note: {path} is not UTF-8: read as {encoding} (detected; set {key} to choose another)")
    return encoding


def lines(path: Path, on_bad_row: str, undecodable: set[int], encoding: str = "utf-8") -> Iterator[str]:
    """A file's lines, line ends kept, decoded from ``encoding`` (a leading UTF-8 BOM dropped), read as
    they are used rather than all at once. A line holding bytes that do not decode fails the read when
    ``on_bad_row`` is "fail"; with "skip" its number is added to ``undecodable`` (so the row holding
    it can be left out) and it is given with those bytes replaced by U+FFFD."""
    with _open(path) as file:
        offset = 0
        for number, raw in enumerate(file, start=1):
            if number == 1:
                _refuse_utf16(path, raw)
                bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
                offset, raw = bom, raw[bom:]
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError as err:
                if on_bad_row == "fail":
                    bad = raw[err.start:err.end]
                    raise ElmError(f"{_not_decodable(path, number, offset + err.start, bad, encoding)}; re-save "
                                   "the file as UTF-8, " + SKIP_HINT) from None
                undecodable.add(number)
                line = raw.decode(encoding, "replace")
            offset += len(raw)
            yield line


def starts_with(path: Path, prefix: str) -> bool:
    """Whether the file's text, after a BOM and leading whitespace, starts with ``prefix``."""
    with _open(path) as file:
        head = file.read(4096)
    return head.removeprefix(codecs.BOM_UTF8).lstrip().startswith(prefix.encode("utf-8"))


def _open(path: Path):
    try:
        return path.open("rb")
    except OSError as err:
        raise ElmError(f"{path}: cannot be read ({err.strerror}); check the path and its permissions") from None


def _refuse_utf16(path: Path, head: bytes) -> None:
    """UTF-16 is what Excel saves as "Unicode text"; decoding it as UTF-8 would only fail later."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ElmError(f"{path}: the file is UTF-16 text (it starts with a UTF-16 byte order mark); "
                       "re-save it as UTF-8 (in Excel: CSV UTF-8)")


def _not_decodable(path: Path, line: int, byte: int, bad: bytes, encoding: str = "utf-8") -> str:
    name = "UTF-8" if codecs.lookup(encoding).name == "utf-8" else encoding
    return f"{path}: line {line} (byte {byte}) is not valid {name} ({bad!r})"


# --- rows ----------------------------------------------------------------------------------------

def read_delimited(path: Path, delimiter: str | None = None, on_bad_row: str = "fail",
                   encoding: str = "utf-8") -> tuple[list[str], Iterator[tuple[str, dict | BadRow]]]:
    """The header of a CSV or TSV file and its rows as ``(where, {column: value})``, read lazily.
    Without ``delimiter`` the header decides: a tab in it means tab-separated (Twint writes TSV
    into files named .csv). A row with too many or too few fields, broken quoting or undecodable
    bytes is given as a :class:`BadRow`."""
    undecodable: set[int] = set()
    file_lines = lines(path, on_bad_row, undecodable, encoding)
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
    return header, _delimited_rows(path, reader, header, undecodable)


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


def _delimited_rows(path: Path, reader, header: list[str], undecodable: set[int]):
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
            yield where, BadRow(f"{where}: holds bytes that are not valid UTF-8; re-save the file as UTF-8")
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


def read_json_lines(path: Path, on_bad_row: str = "fail", encoding: str = "utf-8") -> Iterator[tuple[str, dict | BadRow]]:
    """The objects of a JSON-lines file as ``(where, object)``, read lazily (blank lines are skipped).
    A line that is not a JSON object, or holds bytes that do not decode, is given as a BadRow."""
    undecodable: set[int] = set()
    blank = True
    for number, line in enumerate(lines(path, on_bad_row, undecodable, encoding), start=1):
        if not line.strip():
            continue
        blank = False
        where = f"{path}: line {number}"
        if number in undecodable:
            yield where, BadRow(f"{where}: holds bytes that are not valid {encoding}; re-save the file as UTF-8")
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            yield where, BadRow(f"{where} is not valid JSON ({err.msg}); fix or remove that line")
            continue
        if not isinstance(row, dict):
            yield where, BadRow(f"{where} is a JSON {type(row).__name__}, expected an object {{...}}")
            continue
        yield where, row
    if blank:
        raise ElmError(f"{path}: the file is empty; expected one JSON object a line, one per post")


def json_array_items(path: Path, text: str, start: int, fix: str) -> list[tuple[str, object]]:
    """The items of the JSON array at ``text[start:]`` as ``("<path>: line <n> (item <i>)", item)``,
    decoded one at a time so each gets its line. Broken JSON fails the whole file, before any item
    is used (what follows the damage cannot be trusted), with its line and ``fix``. Whitespace and a
    `;` may follow the array."""
    decoder = json.JSONDecoder()
    position = _skip_space(text, start)
    if not text.startswith("[", position):
        raise ElmError(f"{path}: line {_line(text, position)}: expected a JSON array `[`, "
                       f"found {text[position:position + 30]!r}; {fix}")
    position = _skip_space(text, position + 1)
    items: list[tuple[str, object]] = []
    line, counted = 1, 0
    while not text.startswith("]", position):
        if items:
            if not text.startswith(",", position):
                problem = ("expected `,` or the closing `]`" if position < len(text)
                           else "the file ends before the array's closing `]`: it looks cut short")
                raise ElmError(f"{path}: line {_line(text, position)}: {problem}; {fix}")
            position = _skip_space(text, position + 1)
        try:
            item, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as err:
            raise ElmError(f"{path}: {_json_problem(err, text)}; {fix}") from None
        line, counted = line + text.count("\n", counted, position), position
        items.append((f"{path}: line {line} (item {len(items)})", item))
        position = _skip_space(text, end)
    if text[position + 1:].strip(" \t\n\r;"):
        raise ElmError(f"{path}: line {_line(text, position)}: text after the array's closing `]`; {fix}")
    return items


def _skip_space(text: str, position: int) -> int:
    return _JSON_SPACE.match(text, position).end()


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _json_problem(err: json.JSONDecodeError, text: str) -> str:
    if err.pos >= len(text.rstrip()):
        return f"line {err.lineno}: the file ends in the middle of the JSON; it looks cut short"
    if err.msg.startswith("Unterminated string"):
        return f"line {err.lineno}: a string starting here runs to the end of the file; it looks cut short"
    return f"line {err.lineno} is not valid JSON ({err.msg})"


def read_posts(path: Path, rows: Rows, to_record: Callable[[dict, str], dict], handle: str, source: str,
               on_bad_row: str = "fail") -> pd.DataFrame:
    """The posts of ``rows`` (from a reader above) as one frame (see :func:`normalize`), where
    ``to_record(values, where)`` makes a post's record from a row. A row the reader gave as a
    :class:`BadRow`, or one ``to_record`` raises BadRow for, fails the read when ``on_bad_row`` is
    "fail"; with "skip" it is left out, and the rows left out are counted and listed on stderr.
    Records are normalized :data:`BATCH_ROWS` at a time: a row as a dict takes a few kB, a
    normalized one a few hundred bytes, so a file of a million rows stays well under 2 GB."""
    if on_bad_row not in ON_ERROR:
        raise ElmError(f"scrape.on_bad_row is {on_bad_row!r}; use one of {', '.join(ON_ERROR)}")
    frames, batch, skipped, good = [], [], Skipped(path), 0
    for where, values in rows:
        try:
            if isinstance(values, BadRow):
                raise values
            batch.append(to_record(values, where))
            good += 1
        except BadRow as problem:
            if on_bad_row == "fail":
                fix = f"{problem.column_fix}, " if problem.column_fix else ""
                raise BadRow(f"{problem}; {fix}{SKIP_HINT}") from None
            skipped.add(problem)
        if len(batch) == BATCH_ROWS:
            frames.append(normalize(batch, handle, source))
            batch = []
    if not good and len(skipped.column_fixes) == 1 and "" not in skipped.column_fixes:
        raise ElmError(f"{path}: every row ({skipped.count}) failed the same way, e.g. {skipped.listed[0]}; "
                       f"{next(iter(skipped.column_fixes))}")
    if batch or not frames:
        frames.append(normalize(batch, handle, source))
    skipped.report()
    return pd.concat(frames, ignore_index=True)


class Skipped:
    """The bad rows left out of one file: how many, and the first few problems."""

    def __init__(self, path: Path):
        self.path, self.count, self.listed, self.column_fixes = path, 0, [], set()

    def add(self, problem: BadRow) -> None:
        self.count += 1
        self.column_fixes.add(problem.column_fix)
        if len(self.listed) < SKIPPED_LISTED:
            self.listed.append(str(problem))

    def report(self) -> None:
        """Say on stderr how many rows were left out, listing the first few and why."""
        if not self.count:
            return
        listed = "".join(f"\n  {problem}" for problem in self.listed)
        rest = f"\n  ... and {self.count - len(self.listed)} more" if self.count > len(self.listed) else ""
        logger.warning(f"warning: {self.path}: left out {self.count} bad row(s) (scrape.on_bad_row is skip):{listed}{rest}")


# --- values --------------------------------------------------------------------------------------

def require_columns(where, found, wanted: dict[str, str]) -> None:
    """Raise a :class:`BadRow` unless every column in ``wanted`` is among ``found``. ``where`` names
    the file's header or the row; ``wanted`` maps a column to the fix to suggest (e.g. the params key
    that names it)."""
    for column, fix in wanted.items():
        if column not in found:
            listed = ", ".join(map(str, found)) or "(none)"
            raise BadRow(f"{where}: no column {column!r}; columns found: {listed}; {fix}")


def as_text(value) -> str:
    """A cell as text: missing values (None, NaN, NaT) become ""."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def post_text(value, where: str, column: str, fix: str = "check that the file holds posts there") -> str:
    """A post's text from its cell: a string of at most :data:`MAX_POST_CHARS` characters, or ""
    when missing. Anything else (a number, a list, ...) is a :class:`BadRow` suggesting ``fix``."""
    if not isinstance(value, str):
        if as_text(value) == "":
            return ""
        kind = "number" if isinstance(value, (int, float)) else type(value).__name__
        raise BadRow(f"{where}: {column} is a {kind} ({str(value)[:40]!r}), expected the post's text "
                     f"as a string; {fix}")
    if len(value) > MAX_POST_CHARS:
        raise BadRow(f"{where}: {column} holds {len(value):,} characters, more than any post "
                     f"(at most {MAX_POST_CHARS:,} are read); the row is probably broken: fix or remove it")
    return value


def to_iso_utc(value, fallback_offset: str = "", time_format: str = "") -> str:
    """A timestamp in any of :data:`TIMESTAMP_FORMATS`, or in ``time_format`` (strptime's, for files
    whose dates are ambiguous: ``%d/%m/%Y %H:%M``) when given, as ISO 8601 UTC (``2021-01-31T23:45:02Z``),
    or "" when ``value`` is empty. A time without a zone, or with a zone abbreviation not in
    :data:`ZONE_OFFSETS_HOURS`, takes ``fallback_offset`` (``-0600``) if given; a time without a
    zone and no fallback is UTC. Raises ValueError for anything else; callers add the file and line."""
    value = as_text(value).strip()
    if not value:
        return ""
    if time_format:
        try:
            when = datetime.strptime(value, time_format)
        except ValueError:
            raise ValueError(f"{value!r} does not match the format {time_format!r}") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=_offset_zone(fallback_offset) if fallback_offset else timezone.utc)
        return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if _EPOCH.fullmatch(value):
        seconds = float(value)
        # Epoch milliseconds (Twint's JSON) from seconds: 1e11 s is the year 5138, 1e11 ms is 1973.
        try:
            when = datetime.fromtimestamp(seconds / 1000 if seconds >= 1e11 else seconds, timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"{value} is out of range for epoch seconds or milliseconds") from None
    else:
        when = _parse_text_time(value, fallback_offset)
        if when.tzinfo is None:
            when = when.replace(tzinfo=_offset_zone(fallback_offset) if fallback_offset else timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_text_time(value: str, fallback_offset: str) -> datetime:
    local = _LOCAL_TIME_WITH_ZONE.fullmatch(value)
    if local:
        when = datetime.fromisoformat(local.group(1))
        return when.replace(tzinfo=_zone(local.group(2), fallback_offset))
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    try:
        return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        pass
    slashed = _SLASHED_DATE.fullmatch(value)
    if slashed:
        return _month_first(value, *slashed.groups())
    # dateutil reads what spreadsheets and mail write (16 Oct 2017 22:59, RFC 2822); a value without a
    # digit ("Monday") it would place relative to today, so it must hold one, and missing fields are
    # fixed (not today's) so that the same file always gives the same dates
    if any(ch.isdigit() for ch in value):
        try:
            return dateutil_parser.parse(value, default=datetime(2000, 1, 1))
        except (ValueError, OverflowError):
            pass
    raise ValueError(f"unrecognized timestamp {value!r}; expected {TIMESTAMP_FORMATS}")


def _month_first(value: str, month, day, year, hour, minute, second, half_day) -> datetime:
    """A slashed date read month first (``10/16/17 22:59``), as US spreadsheets write it."""
    year = int(year) + (0 if len(year) == 4 else 2000 if int(year) < 69 else 1900)  # strptime's %y rule
    hour = int(hour or 0)
    if half_day:  # 12:30 AM is 00:30, 12:30 PM is 12:30
        hour = hour % 12 + (12 if half_day.lower() == "pm" else 0)
    try:
        return datetime(year, int(month), int(day), hour, int(minute or 0), int(second or 0))
    except ValueError:
        raise ValueError(f"{value!r} is not month/day/year (the US order read by default)") from None


def _zone(name: str, fallback_offset: str) -> timezone:
    if _OFFSET.fullmatch(name):
        return _offset_zone(name)
    if name.upper() not in ZONE_OFFSETS_HOURS and fallback_offset:
        return _offset_zone(fallback_offset)
    if name.upper() not in ZONE_OFFSETS_HOURS:
        raise ValueError(f"unknown time zone {name!r}; write the time in UTC or with an offset like -0500")
    return timezone(timedelta(hours=ZONE_OFFSETS_HOURS[name.upper()]))


def _offset_zone(offset: str) -> timezone:
    match = _OFFSET.fullmatch(offset.strip())
    if not match:
        raise ValueError(f"unrecognized UTC offset {offset!r}; expected one like -0600")
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta)
