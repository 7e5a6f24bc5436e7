"""Reading the files users export from elsewhere, with errors that name the file, line and fix.

The twint, archive and table sources share these: text decoding (UTF-8, with or without a BOM),
CSV/TSV and JSON-lines rows, required columns, and timestamps in the formats exports use.
"""
from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

from stages.errors import ElmError

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
    "'2021-01-31 18:45:02 EST' (Twint) or 'Wed Oct 10 20:19:24 +0000 2018' (X archive)"
)
_LOCAL_TIME_WITH_ZONE = re.compile(r"(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})\s+([A-Za-z]+|[+-]\d{4})")
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")


def read_text(path: Path) -> str:
    """A file's text as UTF-8 (a leading BOM is dropped); undecodable bytes are an ElmError
    giving the byte offset and line, so the user can find and fix them."""
    data = path.read_bytes()
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as err:
        start = bom + err.start
        line = data.count(b"\n", 0, start) + 1
        raise ElmError(
            f"{path}: line {line} (byte {start}) is not valid UTF-8 ({data[start:bom + err.end]!r}); "
            "re-save the file as UTF-8"
        ) from None


def read_delimited(path: Path, delimiter: str | None = None) -> list[dict]:
    """The rows of a CSV or TSV file as dicts keyed by its header. Without ``delimiter`` the header
    line decides: a tab in it means tab-separated (Twint writes TSV into files named .csv)."""
    text = read_text(path)
    if delimiter is None:
        header = text.split("\n", 1)[0]
        delimiter = "\t" if "\t" in header else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            if None in row:
                raise ElmError(
                    f"{path}: line {reader.line_num} has more fields than the header's {len(reader.fieldnames)}; "
                    "check for an unquoted separator in that row"
                )
            rows.append(row)
    except csv.Error as err:
        raise ElmError(f"{path}: line {reader.line_num}: {err}; check the quoting in that row") from None
    if reader.fieldnames is None:
        raise ElmError(f"{path}: the file is empty; expected a header line and one row per post")
    return rows


def read_json_lines(path: Path) -> list[dict]:
    """The objects of a JSON-lines file (one object a line; blank lines are skipped)."""
    rows = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise ElmError(f"{path}: line {number} is not valid JSON ({err.msg}); fix or remove that line") from None
        if not isinstance(row, dict):
            raise ElmError(f"{path}: line {number} is a JSON {type(row).__name__}, expected an object {{...}}")
        rows.append(row)
    return rows


def require_columns(where, found, wanted: dict[str, str]) -> None:
    """Fail unless every column in ``wanted`` is among ``found``. ``where`` names the file (or row);
    ``wanted`` maps a column to the fix to suggest (e.g. the params key that names it)."""
    found = list(found)
    for column, fix in wanted.items():
        if column not in found:
            raise ElmError(
                f"{where}: no column {column!r}; columns found: {', '.join(map(str, found)) or '(none)'}; {fix}"
            )


def as_text(value) -> str:
    """A cell as text: missing values (None, NaN, NaT) become ""."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def to_iso_utc(value, fallback_offset: str = "") -> str:
    """A timestamp in any of :data:`TIMESTAMP_FORMATS` as ISO 8601 UTC (``2021-01-31T23:45:02Z``),
    or "" when ``value`` is empty. A time without a zone, or with a zone abbreviation not in
    :data:`ZONE_OFFSETS_HOURS`, takes ``fallback_offset`` (``-0600``) if given; a time without a
    zone and no fallback is UTC. Raises ValueError for anything else; callers add the file and line."""
    value = as_text(value).strip()
    if not value:
        return ""
    if re.fullmatch(r"\d+(\.\d+)?", value):
        seconds = float(value)
        # Epoch milliseconds (Twint's JSON) from seconds: 1e11 s is the year 5138, 1e11 ms is 1973.
        when = datetime.fromtimestamp(seconds / 1000 if seconds >= 1e11 else seconds, timezone.utc)
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
        raise ValueError(f"unrecognized timestamp {value!r}; expected {TIMESTAMP_FORMATS}") from None


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
