"""JSON exports: one object a line (JSON lines), or one JSON array of items, both read as they are used.

Reading is capped while it goes, before anything is parsed: a line (or array item) longer than
textfiles.MAX_LINE_BYTES, or JSON nested deeper than :data:`MAX_JSON_DEPTH`, is an error naming the file and
line, so that a damaged or hostile file costs neither a RecursionError nor the memory of holding it whole.

An array is decoded a block at a time and its items parsed one by one from the text read so far, which is read
on while an item may be cut by its end. Broken JSON fails the whole file: what follows the damage cannot be
trusted.
"""
from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from pathlib import Path

from elm.errors import ElmError
from elm.sources import textfiles
from elm.sources.files import BadRow, Rows

MAX_JSON_DEPTH = 100  # posts nest a few levels (an X archive's entries six or so)
READ_BYTES = 1 << 20
OUTBOX_HINT = ("it is a Mastodon archive's outbox.json: read it with `archive:<handle>`, the folder in "
               "data/import/archive/<handle> (see data/import/README.md)")
_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_LONGEST_TOKEN = 16  # a JSON error this close to the end of the text read may be a literal or number cut there
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = re.compile(r"[\[\]{}]")


def read_json(path: Path, on_bad_row: str, fix: str, encoding: str = "utf-8", encoding_key: str = "") -> Rows:
    """A JSON export's rows, whatever its shape: an array (whatever the file is called), or one object a line.
    A file that is one object over several lines is refused, saying so."""
    if textfiles.starts_with(path, "["):
        return json_array_items(path, 0, fix, encoding)
    if textfiles.starts_with(path, "{") and not _first_line_is_json(path, encoding):
        outbox = b'"orderedItems"' in textfiles.head(path, READ_BYTES)
        raise ElmError(f"{path}: holds one JSON object over several lines, not posts: a JSON table is an array of "
                       "objects `[{...}, ...]` or one object a line (JSON lines); "
                       + (OUTBOX_HINT if outbox else "re-export it as one of those"))
    return read_json_lines(path, on_bad_row, encoding, encoding_key)


def _first_line_is_json(path: Path, encoding: str) -> bool:
    first = next((line for line in textfiles.lines(path, "skip", set(), encoding) if line.strip()), "")
    try:
        json.loads(first) if not too_deep(first) else None
    except json.JSONDecodeError:
        return False
    return True


def read_json_lines(path: Path, on_bad_row: str = "fail", encoding: str = "utf-8",
                    encoding_key: str = "") -> Iterator[tuple[str, dict | BadRow]]:
    """The objects of a JSON-lines file as ``(where, object)``, read lazily (blank lines are skipped).
    A line that is not a JSON object, nests too deep or holds bytes that do not decode is given as a BadRow."""
    undecodable: set[int] = set()
    blank = True
    for number, line in enumerate(textfiles.lines(path, on_bad_row, undecodable, encoding, encoding_key), start=1):
        if not line.strip():
            continue
        blank = False
        where = f"{path}: line {number}"
        if number in undecodable:
            yield where, BadRow(f"{where}: holds bytes that are not valid {encoding}; "
                                f"{textfiles.resave_hint(encoding_key)}")
            continue
        if too_deep(line):
            yield where, BadRow(f"{where}: {_deep_problem()}; fix or remove that line")
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


def too_deep(text: str) -> bool:
    """Whether the JSON ``text`` nests deeper than :data:`MAX_JSON_DEPTH` (brackets inside strings aside)."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return False
    depth = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > MAX_JSON_DEPTH:
            return True
    return False


def _deep_problem() -> str:
    return f"the JSON nests deeper than {MAX_JSON_DEPTH} levels, far more than any post"


def json_array_items(path: Path, start: int, fix: str, encoding: str = "utf-8",
                     after: str | None = " \t\n\r;") -> Iterator[tuple[str, object]]:
    """The items of the JSON array starting at byte ``start`` of the file (after a UTF-8 BOM) as
    ``("<path>: line <n> (item <i>)", item)``, read as they are used. Broken JSON, bytes that do not decode,
    an item longer than textfiles.MAX_LINE_BYTES or nested deeper than :data:`MAX_JSON_DEPTH` fail the file with
    their line and ``fix``. Only the characters in ``after`` may follow the closing `]` (None: anything may)."""
    with textfiles.open_binary(path) as file:
        stream = _Stream(path, file, start, encoding)
        position = stream.skip_space(0)
        if not stream.text.startswith("[", position):
            found = stream.text[position:position + 30]
            raise ElmError(f"{path}: line {stream.line(position)}: expected a JSON array `[`, found {found!r}; {fix}")
        position, index = stream.skip_space(position + 1), 0
        while not stream.text.startswith("]", position):
            item, begin, position = stream.item(position, fix)
            yield f"{path}: line {stream.line(begin)} (item {index})", item
            index += 1
            position = stream.skip_space(position)
            if stream.text.startswith(",", position):
                position = stream.skip_space(position + 1)
            elif not stream.text.startswith("]", position):
                problem = ("expected `,` or the closing `]`" if position < len(stream.text)
                           else "the file ends before the array's closing `]`: it looks cut short")
                raise ElmError(f"{path}: line {stream.line(position)}: {problem}; {fix}")
        if after is not None and not stream.only(position + 1, after):
            raise ElmError(f"{path}: line {stream.line(position)}: text after the array's closing `]`; {fix}")


class _Stream:
    """A file's text from the array on, decoded a block at a time. ``text`` holds it from the item being read
    on; :meth:`line` tells the line of a position in it (counted once, as positions move forward)."""

    def __init__(self, path: Path, file, start: int, encoding: str):
        self.path, self.file, self.encoding = path, file, encoding
        bom = len(codecs.BOM_UTF8) if file.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8 else 0
        file.seek(0)
        prefix = file.read(bom + start)
        self.bytes_read = len(prefix)  # the file's bytes decoded so far
        self.decoder = codecs.getincrementaldecoder(encoding)()
        self.text, self.eof = "", False
        self.counted, self.counted_line = 0, prefix.count(b"\n") + 1

    def more(self, keep_from: int) -> bool:
        """Read and decode another block, first dropping the text before ``keep_from``; False at the end."""
        self.line(keep_from)
        self.text = self.text[keep_from:]
        self.counted -= keep_from
        block = self.file.read(READ_BYTES)
        self.eof = not block
        pending = self.decoder.getstate()[0]
        try:
            self.text += self.decoder.decode(block, final=self.eof)
        except UnicodeDecodeError as err:
            data = pending + block
            byte = self.bytes_read - len(pending) + err.start
            line = self.counted_line + self.text.count("\n", self.counted) + data.count(b"\n", 0, err.start)
            raise ElmError(f"{textfiles.not_decodable(self.path, line, byte, data[err.start:err.end], self.encoding)}"
                           f"; {textfiles.resave_hint()}") from None
        self.bytes_read += len(block)
        return not self.eof

    def line(self, position: int) -> int:
        if position >= self.counted:
            self.counted_line += self.text.count("\n", self.counted, position)
        else:
            self.counted_line -= self.text.count("\n", position, self.counted)
        self.counted = position
        return self.counted_line

    def skip_space(self, position: int) -> int:
        """The first position from ``position`` on that is not blank (the text's end at the file's end)."""
        while True:
            position = _SPACE.match(self.text, position).end()
            if position < len(self.text) or not self.more(position):
                return position
            position = 0

    def item(self, begin: int, fix: str) -> tuple[object, int, int]:
        """The JSON value at ``begin``, where it begins once read whole (reading drops the text before it)
        and where it ends. The text is read on while the value may be cut by the end of what is read."""
        while True:
            try:
                item, end = _DECODER.raw_decode(self.text, begin)
            except RecursionError:
                raise ElmError(f"{self.path}: line {self.line(begin)}: {_deep_problem()}; {fix}") from None
            except json.JSONDecodeError as err:
                if self.eof or not _maybe_cut(err, len(self.text)):
                    problem = _json_problem(err, self.text, self.eof, self.line(err.pos))
                    raise ElmError(f"{self.path}: {problem}; {fix}") from None
            else:
                if end < len(self.text) or self.eof:
                    if too_deep(self.text[begin:end]):
                        raise ElmError(f"{self.path}: line {self.line(begin)}: {_deep_problem()}; {fix}")
                    return item, begin, end
            if len(self.text) - begin > textfiles.MAX_LINE_BYTES:
                raise ElmError(textfiles.too_long(self.path, self.line(begin), "JSON item starting there"))
            self.more(begin)
            begin = 0

    def only(self, position: int, allowed: str) -> bool:
        """Whether the rest of the file, from ``position``, holds only characters in ``allowed``."""
        while True:
            if self.text[position:].strip(allowed):
                return False
            if not self.more(len(self.text)):
                return True
            position = 0


def _maybe_cut(err: json.JSONDecodeError, read: int) -> bool:
    """Whether ``err`` may come from the text read so far (``read`` characters) ending inside a value."""
    return err.msg.startswith("Unterminated string") or err.pos >= read - _LONGEST_TOKEN


def _json_problem(err: json.JSONDecodeError, text: str, at_end: bool, line: int) -> str:
    """``err`` in ``text``, on line ``line`` of the file; ``at_end``: the file ends where ``text`` does."""
    if at_end and err.pos >= len(text.rstrip()):
        return f"line {line}: the file ends in the middle of the JSON; it looks cut short"
    if at_end and err.msg.startswith("Unterminated string"):
        return f"line {line}: a string starting here runs to the end of the file; it looks cut short"
    return f"line {line} is not valid JSON ({err.msg})"
