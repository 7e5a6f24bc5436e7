"""Output writes (a stage's outputs replaced as a set, nothing ever half-written or lost), and the one reader of the
tables stages write (formats by suffix, columns checked).

A stage writes its outputs as one set::

    with io.outputs() as out:
        out.table(posts, paths.CLEAN_POSTS)
        out.json(report, paths.CLEAN_BREAKDOWN)

Each output is first written to a temporary beside it (``.<name>.<random>.tmp``); once every one is complete, they
are moved into place, a directory in one step where the system allows (elm/replace.py says how, and how a killed
run's leftovers are completed, put back or removed). A run killed before that leaves the old set as it was;
after, the next run completes the new set before anything else (:func:`elm.replace.recover`, which every entry
point and every write calls). Until then `dvc status` sees the set changed, so `dvc repro` reruns the stage.
"""
from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from elm import replace
from elm.errors import ElmError

TABLE_SUFFIXES = (".parquet", ".csv", ".jsonl")


class OutputError(ElmError):
    """An output that could not be written (disk full, permission denied, ...)."""

    def __init__(self, path: Path | str, reason: str):
        self.path, self.reason = Path(path), reason
        super().__init__(f"cannot write {path}: {reason}; check the folder's permissions and free space")


class Outputs:
    """The outputs of one :func:`outputs` set. Each method writes an output's temporary; the set moves them all
    into place when its ``with`` block ends without an error."""

    def __init__(self):
        self._temporaries: dict[Path, tuple[Path, int]] = {}  # output -> its temporary, and the fd locking it
        self._journal: tuple[Path, int] | None = None
        self._moved = False

    def path(self, target: Path | str, directory: bool = False) -> Path:
        """A new empty temporary file (or directory) to write ``target`` to. A path inside a directory this set
        writes is returned as it is: the directory is replaced as a whole."""
        target = Path(target)
        if target in self._temporaries:
            return self._temporaries[target][0]
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if any(temporary in target.parents for temporary, _ in self._temporaries.values()):
                return target
            replace.restore_set_aside(target)
            replace.remove_abandoned(target)
            self._temporaries[target] = replace.new_temporary(target, directory)
        except OSError as err:
            raise OutputError(target, err.strerror or str(err)) from err
        return self._temporaries[target][0]

    def directory(self, target: Path | str) -> Path:
        """A new empty directory to fill with ``target``'s files."""
        return self.path(target, directory=True)

    def table(self, df: pd.DataFrame, target: Path | str) -> None:
        """The table ``df`` as ``target``; the format follows the suffix (.parquet, .csv, .jsonl)."""
        target = Path(target)
        if target.suffix not in TABLE_SUFFIXES:
            raise ElmError(f"{target}: unsupported table suffix {target.suffix!r} (use .parquet, .csv or .jsonl)")
        tmp = self.path(target)
        try:
            if target.suffix == ".parquet":
                df.to_parquet(tmp, index=False)
            elif target.suffix == ".csv":
                df.to_csv(tmp, index=False)
            else:
                df.to_json(tmp, orient="records", lines=True, force_ascii=False)
        except OSError as err:  # pyarrow's write errors name no file
            raise OutputError(target, err.strerror or str(err)) from err

    def json(self, obj, target: Path | str) -> None:
        """``obj`` as JSON, pretty-printed with sorted keys so diffs stay readable."""
        self.text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", target)

    def text(self, text: str, target: Path | str) -> None:
        """``text`` as UTF-8."""
        try:
            self.path(target).write_text(text, encoding="utf-8")
        except OSError as err:
            raise OutputError(target, err.strerror or str(err)) from err

    def _commit(self) -> None:
        """Move every temporary into place; with more than one, a journal lets the next run finish after a kill."""
        umask = os.umask(0)
        os.umask(umask)
        swaps = []
        for target, (tmp, fd) in self._temporaries.items():
            tmp.chmod((0o777 if tmp.is_dir() else 0o666) & ~umask)  # mkstemp/mkdtemp make private ones
            swaps.append((target, tmp, os.fstat(fd).st_ino))
        if len(swaps) > 1:
            self._journal = replace.write_journal(swaps)
        for swap in swaps:
            replace.swap_in(*swap)
        if self._journal:
            self._journal[0].unlink()
        self._moved = True

    def _blame(self, err: OSError | OutputError) -> Path | None:
        """The output a failure belongs to: the one whose temporary holds the failing file (the last begun when
        the error names none); None for a file that is none of this set's."""
        failed = err.path if isinstance(err, OutputError) else err.filename and Path(err.filename)
        if not failed:
            return next(reversed(self._temporaries), None)
        return next((target for target, (tmp, _) in self._temporaries.items()
                     if failed in (target, tmp) or tmp in failed.parents), None)

    def _close(self) -> None:
        """Release the locks; the temporaries of a set that was not moved into place are removed, unless its
        journal was written (the next run finishes moving them)."""
        for tmp, fd in self._temporaries.values():
            if not self._moved and self._journal is None:
                replace.remove(tmp)
            os.close(fd)
        if self._journal:
            os.close(self._journal[1])


@contextlib.contextmanager
def outputs():
    """A set of outputs (:class:`Outputs`) replaced together when the block ends: a run killed at any moment
    leaves the whole old set, or a journal from which the next run completes the whole new one; an error or an
    interrupt leaves the old set."""
    replace.recover()
    out = Outputs()
    try:
        yield out
        out._commit()
    except (OSError, OutputError) as err:
        target = out._blame(err)
        if target is None:
            raise
        # a write nested in this one (a file inside a directory output) is reported as this output's failure
        raise OutputError(target, err.reason if isinstance(err, OutputError) else err.strerror or str(err)) from err
    finally:
        out._close()


@contextlib.contextmanager
def atomic_path(path: Path | str, directory: bool = False):
    """Yield a temporary path beside ``path`` (a fresh directory with ``directory=True``); on success it replaces
    ``path`` as a whole. On any error the temporary is removed and ``path`` is left exactly as it was."""
    with outputs() as out:
        yield out.path(path, directory)


def write_table(df: pd.DataFrame, path: Path | str) -> None:
    """Write a table atomically; the format follows the suffix (.parquet, .csv, .jsonl)."""
    with outputs() as out:
        out.table(df, path)


def write_json(obj, path: Path | str) -> None:
    """Write JSON atomically, pretty-printed with sorted keys so diffs stay readable."""
    with outputs() as out:
        out.json(obj, path)


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

