"""Which encoding an exported text file is in, decided from the whole file: UTF-8, or the legacy encoding the user
names or that fits best.

One pass over the file (a block at a time, whatever its size) counts what is and is not valid UTF-8 and keeps a
sample of the lines holding non-ASCII bytes, spread over the whole file (a file whose first legacy byte is deep
inside is seen as such). A file of valid UTF-8, or of UTF-8 with a little damage (reported by line when read), is
UTF-8. Otherwise each candidate (charset-normalizer's, and the Western encodings spreadsheets save in: Windows-1252,
Mac Roman, Latin-1) decodes the sample, and the one whose text reads best wins: charset-normalizer's measure of
mess, taken after ftfy has repaired what was mis-decoded before the file was written (text double-encoded once
already reads alike in every candidate, so only what the candidate itself decoded counts). The text itself is
repaired by the clean stage (elm/text.py), not here.
"""
from __future__ import annotations

import codecs
import logging
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer
import ftfy
from charset_normalizer.md import mess_ratio

from elm.errors import ElmError
from elm.sources.textfiles import open_binary, refuse_utf16

logger = logging.getLogger(__name__)

BLOCK_BYTES = 1 << 20
SAMPLE_BYTES = 64 << 10  # the sample of non-ASCII lines judged, spread over the whole file
SAMPLE_LINE_BYTES = 400  # of each sampled line: the part around its first non-ASCII byte
LINES_PER_BLOCK = 64  # sampled from each block at most, so that every part of the file is in the sample
DAMAGE_SHARE = 0.01  # invalid UTF-8 bytes, as a share of the non-ASCII characters, still read as damaged UTF-8
WESTERN = ("cp1252", "mac_roman", "latin_1")  # preferred, in this order, among candidates that read as well
TIE = 0.01  # mess ratios closer than this read as well
MAX_MESS = 0.2  # a best candidate messier than this is no answer (charset-normalizer's own threshold)
REPLACED = "\ufffd"
_MARK_NON_ASCII = bytes(range(128)) + b"\x80" * 128  # every non-ASCII byte as 0x80, to find them with find()


def detect_encoding(path: Path, encoding: str = "auto", key: str = "scrape.table.encoding") -> str:
    """The encoding to read ``path`` with: ``encoding`` itself when it names one (``key`` is the params key
    that set it), else the one the whole file is in (see the module's docstring), said on stderr when it is
    not UTF-8. A file no candidate reads well is refused, naming ``key`` and the candidates."""
    if encoding != "auto":
        try:
            return codecs.lookup(encoding).name
        except LookupError:
            raise ElmError(f"{key}: unknown encoding {encoding!r}; use auto, utf-8, cp1252, mac_roman, latin-1, "
                           "...") from None
    survey = survey_file(path)
    if survey.is_utf8():
        return "utf-8"
    scores = rank(survey.sample)
    tried = ", ".join(f"{name} ({mess:.2f})" for name, mess in scores[:5]) or "none decodes it"
    if not scores or scores[0][1] > MAX_MESS:
        raise ElmError(f"{path}: is not UTF-8 (line {survey.first_invalid_line} is the first that is not) and no "
                       f"encoding reads it well (candidates, by mess: {tried}); set {key} to the file's encoding "
                       "(cp1252, mac_roman, latin-1, shift_jis, ...) or re-save it as UTF-8")
    chosen = choose(scores)
    logger.info(f"note: {path} is not UTF-8: read as {chosen} (line {survey.first_invalid_line} is the first that is "
                f"not UTF-8; judged on {survey.lines_sampled} lines across the file; candidates, by mess: {tried}); "
                f"set {key} to choose another")
    return chosen


@dataclass
class Survey:
    """What one pass over a file found: its valid non-ASCII characters and invalid bytes as UTF-8, the first
    line holding one of those, and a sample of its non-ASCII lines."""

    non_ascii: int = 0
    invalid: int = 0
    first_invalid_line: int = 0
    sample: list[bytes] = field(default_factory=list)
    lines_sampled: int = 0

    def is_utf8(self) -> bool:
        """UTF-8, or UTF-8 with a little damage: a few invalid bytes among many valid characters."""
        return self.invalid <= DAMAGE_SHARE * self.non_ascii

    def add(self, lines: list[bytes], stride: int) -> int:
        """Keep every ``stride``-th of ``lines``; when the sample outgrows :data:`SAMPLE_BYTES`, halve it (and
        double the stride). Returns the stride now, so the sample stays spread over the whole file."""
        self.sample += lines[::stride]
        self.lines_sampled = len(self.sample)
        if sum(map(len, self.sample)) > SAMPLE_BYTES:
            self.sample = self.sample[::2]
            self.lines_sampled = len(self.sample)
            return stride * 2
        return stride


def survey_file(path: Path) -> Survey:
    """One pass over ``path`` a block at a time (see :class:`Survey`); UTF-16 is refused."""
    survey, stride, lines_before, carry = Survey(), 1, 0, b""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    with open_binary(path) as file:
        first = file.read(BLOCK_BYTES)
        refuse_utf16(path, first)
        block = first.removeprefix(codecs.BOM_UTF8)
        while block:
            text = decoder.decode(block)
            _count(survey, text, lines_before)
            lines_before += block.count(b"\n")
            data = carry + block
            cut = data.rfind(b"\n") + 1
            stride = survey.add(_non_ascii_lines(data[:cut]), stride)
            carry = data[cut:][-SAMPLE_LINE_BYTES:]
            block = file.read(BLOCK_BYTES)
        _count(survey, decoder.decode(b"", final=True), lines_before)
    survey.add(_non_ascii_lines(carry), 1)
    return survey


def _count(survey: Survey, text: str, lines_before: int) -> None:
    """Add ``text``'s valid non-ASCII characters and its runs of invalid bytes (decoded as U+FFFD) to ``survey``."""
    if text.isascii():
        return
    invalid = text.count(REPLACED)
    if invalid and not survey.invalid:
        survey.first_invalid_line = lines_before + text.count("\n", 0, text.index(REPLACED)) + 1
    survey.invalid += invalid
    survey.non_ascii += len(text) - len(text.encode("ascii", "ignore")) - invalid


def _non_ascii_lines(data: bytes) -> list[bytes]:
    """Of the first :data:`LINES_PER_BLOCK` lines of ``data`` holding non-ASCII bytes, the part around the first
    (enough to judge, never a whole huge line)."""
    found: list[bytes] = []
    if data.isascii():
        return found
    marked = data.translate(_MARK_NON_ASCII)
    hit = marked.find(b"\x80")
    while hit >= 0 and len(found) < LINES_PER_BLOCK:
        start = max(data.rfind(b"\n", 0, hit) + 1, hit - SAMPLE_LINE_BYTES // 2)
        end = data.find(b"\n", hit)
        end = len(data) if end < 0 else end
        found.append(data[start:min(end, hit + SAMPLE_LINE_BYTES // 2)].strip())
        hit = marked.find(b"\x80", end)
    return found


def rank(sample: list[bytes]) -> list[tuple[str, float]]:
    """The candidates that decode every sampled line, with the mess of their text after ftfy's repair of text
    mis-decoded before (see the module's docstring), least messy first."""
    joined = b"\n".join(sample)
    found = [match.encoding for match in charset_normalizer.from_bytes(joined)][:5]
    scores = []
    for name in dict.fromkeys([*found, *WESTERN]):
        try:
            text = joined.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        repaired = "\n".join(ftfy.fix_encoding(line) for line in text.split("\n"))
        scores.append((codecs.lookup(name).name, round(mess_ratio(repaired, 1.0), 4)))
    return sorted(scores, key=lambda score: score[1])


def choose(scores: list[tuple[str, float]]) -> str:
    """The least messy candidate, or of those that read as well (within :data:`TIE`), the first of
    :data:`WESTERN`: a short sample often fits several single-byte encodings equally well."""
    best = scores[0][1]
    tied = {name for name, mess in scores if mess <= best + TIE}
    return next((name for name in map(lambda n: codecs.lookup(n).name, WESTERN) if name in tied), scores[0][0])
