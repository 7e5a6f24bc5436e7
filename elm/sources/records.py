"""The raw post table every source returns: :data:`RAW_COLUMNS`, built by :func:`normalize` (see
``elm/sources/__init__.py`` for what each column holds)."""
from __future__ import annotations

import hashlib
import json
import math

import pandas as pd

RAW_COLUMNS = ["id", "account", "created_at", "text", "language", "reply", "source", "raw"]
REPLY_FLAGS = {True: "true", False: "false", None: ""}


def normalize(records: list[dict], handle: str, source: str) -> pd.DataFrame:
    """A frame of :data:`RAW_COLUMNS` from dicts holding at least ``text`` and optionally
    ``id``, ``account`` (when not ``handle``), ``created_at``, ``language``, ``reply`` (True, False or
    None: unknown) and ``raw`` (any JSON-serializable value)."""
    rows = []
    for rec in records:
        text = str(rec["text"])
        rows.append({
            "id": str(rec.get("id") or text_id(text)),
            "account": rec.get("account") or handle,
            "created_at": str(rec.get("created_at") or ""),
            "text": text,
            "language": str(rec.get("language") or ""),
            "reply": REPLY_FLAGS[rec.get("reply")],
            "source": source,
            "raw": json.dumps(rec.get("raw", {}), ensure_ascii=False, default=str),
        })
    return pd.DataFrame(rows, columns=RAW_COLUMNS).astype(str)


def text_id(text: str) -> str:
    """A stable id for a post whose source gives none: a hash of its text."""
    return "h" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def as_text(value) -> str:
    """A cell as text: missing values (None, NaN, NaT) become ""."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)
