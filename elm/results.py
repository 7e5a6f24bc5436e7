"""Reading what earlier stages wrote, for the pages (report, feed, judge) and the `human` stage.

The paths live here once; each reader fails with the file, what is wrong and the stage to rerun.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from elm import io, paths
from elm.errors import ElmError
from elm.labels import GENERATED_LABEL, REAL_LABEL

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def read_json(path: str, stage: str, required: bool) -> dict | None:
    """A metrics file as a dict; None when an optional one is missing. A corrupt file always fails."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        if not required:
            return None
        raise ElmError(f"{path}: not found; run `dvc repro {stage}` first") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ElmError(f"{path}: not readable JSON ({err}); rerun `dvc repro {stage}`") from None
    if not isinstance(data, dict):
        raise ElmError(f"{path}: expected a JSON object, got {type(data).__name__}; rerun `dvc repro {stage}`")
    return data


def post_id(account: str, text: str) -> str:
    """A post's stable id: 16 hex digits of the SHA-256 of its account and text (never of its label)."""
    return hashlib.sha256(f"{account}\x00{text}".encode()).hexdigest()[:16]


def read_predictions(path: str = paths.PREDICTIONS) -> pd.DataFrame:
    """The classify stage's test posts: id (``post_id``), text, label, account ("" when none) and the
    detectors' *_prob / *_pred columns."""
    predictions = io.read_table(path, "classify", required=("text", "label"))
    labels = pd.to_numeric(predictions["label"], errors="coerce")
    if not labels.isin([REAL_LABEL, GENERATED_LABEL]).all():
        raise ElmError(f"{path}: label must be 1 (real) or 0 (generated) in every row; rerun `dvc repro classify`")
    predictions = predictions.assign(label=labels.astype(int), text=predictions["text"].astype(str))
    if "account" not in predictions.columns:
        predictions["account"] = ""
    predictions["account"] = predictions["account"].astype(str)
    predictions.insert(0, "id", [post_id(a, t) for a, t in zip(predictions["account"], predictions["text"])])
    return predictions


def read_figures(folder: str = paths.FIGURES) -> dict[str, bytes] | None:
    """Every PNG in ``folder`` by file name, sorted; None when the folder is missing."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    figures = {}
    for path in sorted(folder.glob("*.png")):
        data = path.read_bytes()
        if not data.startswith(PNG_MAGIC):
            raise ElmError(f"{path}: not a PNG image; rerun `dvc repro plots`")
        figures[path.name] = data
    return figures
