"""Exported files as text: opened with errors that name them, UTF-16 refused, a leading UTF-8 BOM dropped, read
line by line as they are used, with undecodable bytes named by line and byte.

Lines are read at most :data:`MAX_LINE_BYTES` at a time: a file with a longer line (a 2 GB file without a line
break) is refused at that line, having held no more than that in memory.
"""
from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from elm.errors import ElmError
from elm.sources.files import SKIP_HINT

# The longest line (or JSON array item) read. A post has at most files.MAX_POST_CHARS characters, a row a
# few of them plus its other fields: a longer line is not a row of posts, and reading it whole would only
# spend memory.
MAX_LINE_BYTES = 32 << 20
HEAD_BYTES = 4096  # what is read of a file to tell its kind


def lines(path: Path, on_bad_row: str, undecodable: set[int], encoding: str = "utf-8",
          encoding_key: str = "") -> Iterator[str]:
    """A file's lines, line ends kept, decoded from ``encoding`` (a leading UTF-8 BOM dropped), read as
    they are used rather than all at once. A line holding bytes that do not decode fails the read when
    ``on_bad_row`` is "fail" (naming ``encoding_key``, the params key that sets the encoding, if any); with
    "skip" its number is added to ``undecodable`` (so the row holding it can be left out) and it is given
    with those bytes replaced by U+FFFD. A line longer than :data:`MAX_LINE_BYTES` fails the read."""
    with open_binary(path) as file:
        offset, number = 0, 0
        while raw := file.readline(MAX_LINE_BYTES + 1):
            number += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                raise ElmError(too_long(path, number, "line"))
            if number == 1:
                refuse_utf16(path, raw)
                bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
                offset, raw = bom, raw[bom:]
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError as err:
                if on_bad_row == "fail":
                    bad = raw[err.start:err.end]
                    raise ElmError(f"{not_decodable(path, number, offset + err.start, bad, encoding)}; "
                                   f"{resave_hint(encoding_key)}, {SKIP_HINT}") from None
                undecodable.add(number)
                line = raw.decode(encoding, "replace")
            offset += len(raw)
            yield line


def too_long(path: Path, line: int, what: str) -> str:
    """The error for a line (or JSON item) over :data:`MAX_LINE_BYTES`."""
    return (f"{path}: line {line}: the {what} is longer than {MAX_LINE_BYTES >> 20} MiB, far more than a row of "
            "posts holds; the file is not a table of posts (check the path), or its lines end with a lone \\r "
            "(re-save it with Unix or Windows line ends)")


def resave_hint(encoding_key: str = "") -> str:
    """How to fix text that does not decode: re-save it as UTF-8, or name its encoding where params can."""
    return "re-save the file as UTF-8" + (f", or set {encoding_key} to its encoding" if encoding_key else "")


def head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The file's first ``size`` bytes after a UTF-8 BOM (UTF-16 is refused)."""
    with open_binary(path) as file:
        data = file.read(size)
    refuse_utf16(path, data)
    return data.removeprefix(codecs.BOM_UTF8)


def starts_with(path: Path, prefix: str) -> bool:
    """Whether the file's text, after a BOM and leading whitespace, starts with ``prefix``."""
    return head(path).lstrip().startswith(prefix.encode("utf-8"))


def open_binary(path: Path):
    try:
        return path.open("rb")
    except OSError as err:
        raise ElmError(f"{path}: cannot be read ({err.strerror}); check the path and its permissions") from None


def refuse_utf16(path: Path, head: bytes) -> None:
    """UTF-16 is what Excel saves as "Unicode text"; decoding it as UTF-8 would only fail later."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ElmError(f"{path}: the file is UTF-16 text (it starts with a UTF-16 byte order mark); "
                       "re-save it as UTF-8 (in Excel: CSV UTF-8)")


def not_decodable(path: Path, line: int, byte: int, bad: bytes, encoding: str = "utf-8") -> str:
    name = "UTF-8" if codecs.lookup(encoding).name == "utf-8" else encoding
    return f"{path}: line {line} (byte {byte}) is not valid {name} ({bad!r})"
