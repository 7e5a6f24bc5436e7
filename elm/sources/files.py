"""Turning the rows of the files users export from elsewhere into posts, with errors that name the file, line
and fix.

The twint, archive and table sources share these. A reader (elm/sources/delimited.py, jsonfiles.py, textfiles.py
read the text; charsets.py finds its encoding) gives each row as ``(where, values)``, ``where`` naming it
("posts.csv: line 12"), or as ``(where, BadRow)`` when the row itself is broken; :func:`read_posts` then turns the
rows into posts as ``on_bad_row`` says:

- ``"fail"`` (the default): the first bad row stops the read with an ElmError naming the file, the
  line, what was expected and how to fix it;
- ``"skip"``: bad rows are left out, and their number, lines and problems are printed on stderr.

Problems with a whole file always fail: missing, unreadable or empty, UTF-16, a header without a
needed column or with another separator, broken JSON in a single-document file (an X archive's
tweets.js, a JSON array), whose later items cannot be trusted.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from elm.errors import ElmError
from elm.params.scrape import ON_ERROR
from elm.sources.dates import to_iso_utc  # noqa: F401 (elm/sources/live.py reads it as files.to_iso_utc)
from elm.sources.records import as_text, normalize

logger = logging.getLogger(__name__)

# X's longest posts have 25,000 characters. A longer field is a broken row, most often an unclosed
# quote that swallowed the rows after it. This is also the csv module's own limit per field.
MAX_POST_CHARS = 131_072
SKIPPED_LISTED = 5  # bad rows listed on stderr for each file, with the count of the rest
BATCH_ROWS = 20_000
SKIP_HINT = "or set scrape.on_bad_row: skip to leave out such rows"

Rows = Iterable[tuple[str, "dict | BadRow"]]


class BadRow(ElmError):
    """One row of an input file that cannot be read. Inside :func:`read_posts` it fails the read or is
    skipped, as ``on_bad_row`` says; raised anywhere else (a file's header) it fails the read.
    ``column_fix``, for a problem with one column's values (a date format), is what fixes the whole
    column: when every row of a file fails with it, the file fails once, saying so."""

    def __init__(self, message: str, column_fix: str = ""):
        super().__init__(message)
        self.column_fix = column_fix


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
        logger.warning(f"warning: {self.path}: left out {self.count} bad row(s) (scrape.on_bad_row is skip):"
                       f"{listed}{rest}")


# --- values --------------------------------------------------------------------------------------

def require_columns(where, found, wanted: dict[str, str]) -> None:
    """Raise a :class:`BadRow` unless every column in ``wanted`` is among ``found``. ``where`` names
    the file's header or the row; ``wanted`` maps a column to the fix to suggest (e.g. the params key
    that names it)."""
    for column, fix in wanted.items():
        if column not in found:
            listed = ", ".join(map(str, found)) or "(none)"
            raise BadRow(f"{where}: no column {column!r}; columns found: {listed}; {fix}")


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

