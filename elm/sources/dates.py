"""Timestamps as exports write them, read into ISO 8601 UTC: epoch seconds or milliseconds, ISO 8601, Twint's
local time with a zone abbreviation, X's archive format, RFC 2822 and spreadsheets' month-first dates."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from dateutil import parser as dateutil_parser

from elm.sources.records import as_text

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
_LOCAL_TIME_WITH_ZONE = re.compile(r"(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})\s+([A-Za-z]+|[+-]\d{4})")
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")
_EPOCH = re.compile(r"\d+(\.\d+)?")
# 10/16/17 22:59, 1/2/2018 7:00 PM: read month first, always (dateutil would quietly read 20/10/2017 as
# day first and 05/10/2017 as month first in the same file)
_SLASHED_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?")


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
            when = when.replace(tzinfo=_offset_zone(fallback_offset) if fallback_offset else UTC)
        return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if _EPOCH.fullmatch(value):
        seconds = float(value)
        # Epoch milliseconds (Twint's JSON) from seconds: 1e11 s is the year 5138, 1e11 ms is 1973.
        try:
            when = datetime.fromtimestamp(seconds / 1000 if seconds >= 1e11 else seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"{value} is out of range for epoch seconds or milliseconds") from None
    else:
        when = _parse_text_time(value, fallback_offset)
        if when.tzinfo is None:
            when = when.replace(tzinfo=_offset_zone(fallback_offset) if fallback_offset else UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
