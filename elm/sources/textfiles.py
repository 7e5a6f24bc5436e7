"""Exported files as text: opened with errors that name them, UTF-16 refused, a leading UTF-8 BOM dropped, read
line by line as they are used, with undecodable bytes named by line and byte."""
from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from elm.errors import ElmError
from elm.sources.files import SKIP_HINT


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """A whole file's text, decoded from ``encoding`` (a leading UTF-8 BOM is dropped). Undecodable
    bytes are an ElmError giving the line and byte offset, so the user can find and fix them."""
    with open_binary(path) as file:
        data = file.read()
    refuse_utf16(path, data)
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if not data[bom:].strip():
        raise ElmError(f"{path}: the file is empty; re-export it, or remove the account from scrape.accounts")
    try:
        return data[bom:].decode(encoding)
    except UnicodeDecodeError as err:
        start = bom + err.start
        line = data.count(b"\n", 0, start) + 1
        bad = data[start:bom + err.end]
        raise ElmError(f"{not_decodable(path, line, start, bad, encoding)}; re-save the file as UTF-8") from None



def lines(path: Path, on_bad_row: str, undecodable: set[int], encoding: str = "utf-8") -> Iterator[str]:
    """A file's lines, line ends kept, decoded from ``encoding`` (a leading UTF-8 BOM dropped), read as
    they are used rather than all at once. A line holding bytes that do not decode fails the read when
    ``on_bad_row`` is "fail"; with "skip" its number is added to ``undecodable`` (so the row holding
    it can be left out) and it is given with those bytes replaced by U+FFFD."""
    with open_binary(path) as file:
        offset = 0
        for number, raw in enumerate(file, start=1):
            if number == 1:
                refuse_utf16(path, raw)
                bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
                offset, raw = bom, raw[bom:]
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError as err:
                if on_bad_row == "fail":
                    bad = raw[err.start:err.end]
                    raise ElmError(f"{not_decodable(path, number, offset + err.start, bad, encoding)}; re-save "
                                   "the file as UTF-8, " + SKIP_HINT) from None
                undecodable.add(number)
                line = raw.decode(encoding, "replace")
            offset += len(raw)
            yield line


def starts_with(path: Path, prefix: str) -> bool:
    """Whether the file's text, after a BOM and leading whitespace, starts with ``prefix``."""
    with open_binary(path) as file:
        head = file.read(4096)
    return head.removeprefix(codecs.BOM_UTF8).lstrip().startswith(prefix.encode("utf-8"))


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


