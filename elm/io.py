"""Atomic output writes, and the one reader of the tables stages write (formats by suffix, columns checked).

Every output goes to a temporary sibling first and is renamed into place only when complete, so a
stage killed at any moment leaves the previous output or the new one, never half of one.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from elm.errors import ElmError


class OutputError(ElmError):
    """An output that could not be written (disk full, permission denied, ...)."""

    def __init__(self, path: Path, reason: str):
        self.reason = reason
        super().__init__(f"cannot write {path}: {reason}; check the folder's permissions and free space")


@contextlib.contextmanager
def atomic_path(path: Path | str, directory: bool = False):
    """Yield a temporary path beside ``path``; on success move it over ``path`` in one rename.

    With ``directory=True`` the temporary path is a fresh directory and the old directory at
    ``path`` is replaced as a whole. On any error the temporary path is removed and ``path``
    is left exactly as it was.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if directory:
            tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
        else:
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            os.close(fd)
            tmp = Path(name)
    except OSError as err:
        raise OutputError(path, err.strerror or str(err)) from err
    try:
        yield tmp
        # mkstemp/mkdtemp create private (0600/0700) paths; give outputs the usual umask modes
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod((0o777 if directory else 0o666) & ~umask)
        if directory:
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            if path.exists():
                path.rename(old)
            tmp.rename(path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except (OSError, OutputError) as err:
        _remove(tmp)
        # a write nested in this one (a file inside a directory output) is reported as this output's failure
        reason = err.reason if isinstance(err, OutputError) else err.strerror or str(err)
        raise OutputError(path, reason) from err
    except BaseException:
        _remove(tmp)
        raise


def _remove(tmp: Path):
    if tmp.is_dir():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.unlink(missing_ok=True)


def write_table(df: pd.DataFrame, path: Path | str) -> None:
    """Write a table atomically; the format follows the suffix (.parquet, .csv, .jsonl)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        if path.suffix == ".parquet":
            df.to_parquet(tmp, index=False)
        elif path.suffix == ".csv":
            df.to_csv(tmp, index=False)
        elif path.suffix == ".jsonl":
            df.to_json(tmp, orient="records", lines=True, force_ascii=False)
        else:
            raise ElmError(f"{path}: unsupported table suffix {path.suffix!r} (use .parquet, .csv or .jsonl)")


def read_table(path: Path | str, stage: str, required: Sequence[str] = (),
               optional: Sequence[str] | None = None) -> pd.DataFrame:
    """A table the ``stage`` stage wrote (.parquet, .csv or .jsonl), with an error naming the file, what is wrong
    and the stage to rerun when it is missing, unreadable or lacks one of the ``required`` columns. With
    ``optional`` given, only the required columns and those of ``optional`` the file has are read (a parquet
    file's other columns stay on disk)."""
    path = Path(path)
    rerun = f"rerun `dvc repro {stage}`"
    if not path.exists():
        raise ElmError(f"{path}: not found; run `dvc repro {stage}` first")
    try:
        if path.suffix == ".parquet":
            present = pq.read_schema(path).names
            wanted = None if optional is None else [c for c in [*required, *optional] if c in present]
            table = pd.read_parquet(path, columns=wanted)
        elif path.suffix == ".csv":
            table = pd.read_csv(path, keep_default_na=False)
        elif path.suffix == ".jsonl":
            table = pd.read_json(path, lines=True, dtype=False)
        else:
            raise ElmError(f"{path}: unsupported table suffix {path.suffix!r} (use .parquet, .csv or .jsonl)")
    except (OSError, ValueError) as err:  # pyarrow's and pandas' errors for a damaged or foreign file
        raise ElmError(f"{path}: not a readable {path.suffix[1:]} file ({err}); {rerun}") from None
    require_columns(table, path, stage, required)
    if optional is not None:
        table = table[[c for c in [*required, *optional] if c in table.columns]]
    return table


def require_columns(table: pd.DataFrame, path: Path | str, stage: str, columns: Sequence[str]) -> None:
    """An error naming the file, the ``columns`` it lacks, those it has and the stage to rerun."""
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise ElmError(f"{path}: missing column(s) {', '.join(missing)} (found: "
                       f"{', '.join(map(str, table.columns)) or 'none'}); rerun `dvc repro {stage}`")


def read_posts(path: Path | str, stage: str, columns: Sequence[str]) -> pd.DataFrame:
    """The ``columns`` of every post with non-blank text in an earlier stage's output, as strings, indexed 0..n-1."""
    posts = read_table(path, stage)
    if posts.empty:
        raise ElmError(f"{path} holds no posts; check the `{stage}` stage's output and rerun `dvc repro {stage}`")
    require_columns(posts, path, stage, columns)
    posts = posts[list(columns)].fillna("").astype(str)
    posts = posts[posts["text"].str.strip() != ""].reset_index(drop=True)
    if posts.empty:
        raise ElmError(f"{path}: every post's text is blank; check the `{stage}` stage and rerun `dvc repro {stage}`")
    return posts


def write_json(obj, path: Path | str) -> None:
    """Write JSON atomically, pretty-printed with sorted keys so diffs stay readable."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
