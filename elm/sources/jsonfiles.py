"""JSON exports: one object a line (JSON lines), or one JSON array of items (read whole, its items each given
their line)."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from elm.errors import ElmError
from elm.sources.files import BadRow
from elm.sources.textfiles import lines

_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def read_json_lines(path: Path, on_bad_row: str = "fail",
                    encoding: str = "utf-8") -> Iterator[tuple[str, dict | BadRow]]:
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

