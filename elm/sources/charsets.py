"""Which encoding an exported text file is in: UTF-8, or the legacy encoding the user names or
charset-normalizer recognizes."""
from __future__ import annotations

import codecs
import logging
import re
from pathlib import Path

import charset_normalizer

from elm.errors import ElmError
from elm.sources.textfiles import open_binary, refuse_utf16

logger = logging.getLogger(__name__)

ENCODING_SAMPLE_BYTES = 1 << 20  # what encoding detection looks at: the first MiB
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


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
    with open_binary(path) as file:
        sample = file.read(ENCODING_SAMPLE_BYTES)
    refuse_utf16(path, sample)
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

