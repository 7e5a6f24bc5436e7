"""People judging posts: the answers file the judge app appends to, which posts each reader judges, and the
rule that a reader's first answer to a post is the one that counts.

data/human/answers.jsonl holds one JSON object a line: post (the post's id, ``elm.results.post_id``),
reader, answer ("real" or "generated"), follow and upbeat (true, false or null: not rated) and time
(UTC, ISO 8601). Each answer is one ``write`` of one whole line to a file opened for appending, then
fsync'd before the reader sees the next post: a stopped server or browser loses nothing confirmed.

One ``AnswerLog`` at a time per answers file: it holds an exclusive lock (flock on answers.jsonl.lock beside
it) for its life, so two judge servers can never both take the same reader's answer to the same post. Files
merged by hand (or by git) can still hold a reader's post twice: ``first_answers`` keeps the first.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import random
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import pandas as pd

from elm import paths
from elm.errors import ElmError

logger = logging.getLogger(__name__)

CHOICES = ("real", "generated")
RATINGS = ("follow", "upbeat")
READER = re.compile(r"[A-Za-z0-9_.-]{1,40}")  # a reader's name: safe in a cookie, a file and a table
FIELDS = ("post", "reader", "answer", *RATINGS, "time")


def judge_posts(predictions: pd.DataFrame) -> pd.DataFrame:
    """The test posts readers judge, indexed by id: every post of ``elm.results.read_predictions`` whose
    id is unique (a text posted twice by one account, once real and once generated, is left out)."""
    return predictions[~predictions["id"].duplicated(keep=False)].set_index("id", drop=False)


def reader_posts(ids, reader: str, seed: int, count: int) -> list[str]:
    """The ``count`` post ids ``reader`` judges, in the reader's own shuffled order (same every restart)."""
    order = sorted(ids)
    random.Random(f"{seed}:{reader}").shuffle(order)
    return order[:count]


def check_answer(record, where: str) -> dict:
    """``record`` if it is a well-formed answer, else an ElmError naming ``where``."""
    if not isinstance(record, dict) or set(record) != set(FIELDS):
        raise ElmError(f"{where}: not an answer (expected the fields {', '.join(FIELDS)})")
    problems = [name for name, ok in (
        ("post", isinstance(record["post"], str) and bool(record["post"])),
        ("reader", isinstance(record["reader"], str) and READER.fullmatch(record["reader"]) is not None),
        ("answer", record["answer"] in CHOICES),
        ("follow", record["follow"] in (True, False, None)),
        ("upbeat", record["upbeat"] in (True, False, None)),
        ("time", isinstance(record["time"], str))) if not ok]
    if problems:
        raise ElmError(f"{where}: invalid {', '.join(problems)}")
    return record


def read_answers(path: str | Path = paths.ANSWERS) -> list[dict]:
    """Every answer in the file ([] when it does not exist yet). A last line without its newline is an
    answer being written when the app stopped, never confirmed to the reader: it is skipped."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    lines = data.split(b"\n")
    if lines[-1]:
        logger.info(f"{path}: the last line is incomplete (the app stopped while writing it); it is left out")
    answers = []
    for number, line in enumerate(lines[:-1], start=1):
        where = f"{path} line {number}"
        try:
            record = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ElmError(f"{where}: not JSON ({err}); the judge app writes this file: "
                           "remove or fix the line") from None
        answers.append(check_answer(record, where))
    return answers


def lock_path(answers: Path) -> Path:
    """The lock file beside ``answers`` (ignored by git and DVC: .gitignore, .dvcignore)."""
    return answers.with_name(answers.name + ".lock")


def first_answers(answers: list[dict]) -> tuple[list[dict], int]:
    """Each reader's first answer to each post (the earliest time; the first line when times tie), in file
    order, and how many later answers to the same (reader, post) were left out. The judge stores one per
    pair; answer files merged by hand or by git can hold two, which must not count twice."""
    first: dict[tuple[str, str], int] = {}
    for index in sorted(range(len(answers)), key=lambda i: answers[i]["time"]):  # stable: ties keep file order
        first.setdefault((answers[index]["reader"], answers[index]["post"]), index)
    kept = sorted(first.values())
    return [answers[i] for i in kept], len(answers) - len(kept)


class AnswerLog:
    """The answers file as the judge app uses it: who answered what, and appending one answer. It holds the
    file's lock from creation to ``close()`` (or the process's end, however it ends): one writer at a time.
    ``holder`` says who holds it (e.g. the judge's address), for the error another AnswerLog gets."""

    def __init__(self, path: str | Path = paths.ANSWERS, holder: str = "another process"):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_file = self._hold_lock(holder)
        self._drop_incomplete_line()
        self._lock = threading.Lock()
        self._answered: dict[str, set[str]] = {}
        for record in read_answers(self.path):
            self._answered.setdefault(record["reader"], set()).add(record["post"])

    def _hold_lock(self, holder: str) -> TextIO:
        """Take the answers file's lock without waiting and write who holds it (pid and ``holder``) into the
        lock file; an ElmError naming the one who holds it already. The file stays: deleting a lock file
        would let two processes lock two different files."""
        lock = open(lock_path(self.path), "a+", encoding="utf-8")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            other = lock.read().strip() or "another process (it has not said which yet)"
            lock.close()
            raise ElmError(f"{self.path} is in use by {other}: one judge per answers file, or two would take the "
                           f"same reader's answer to the same post. Use that judge, or stop it (Ctrl+C where it "
                           f"runs) and start this one again") from None
        lock.truncate(0)
        lock.write(f"{holder} (pid {os.getpid()})\n")
        lock.flush()
        return lock

    def close(self) -> None:
        """Release the answers file's lock; this AnswerLog appends nothing more."""
        self._lock_file.close()

    def _drop_incomplete_line(self) -> None:
        """Cut a last line the app was writing when it stopped, so the next answer starts a line."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        data = self.path.read_bytes()
        if not data.endswith(b"\n"):
            os.truncate(self.path, data.rfind(b"\n") + 1)
            logger.info(f"{self.path}: removed an incomplete last line (an answer never confirmed)")

    def answered(self, reader: str) -> set[str]:
        with self._lock:
            return set(self._answered.get(reader, ()))

    def append(self, post: str, reader: str, answer: str, follow: bool | None, upbeat: bool | None) -> bool:
        """Append one answer and fsync it; False (nothing written) when ``reader`` already answered ``post``."""
        record = check_answer({"post": post, "reader": reader, "answer": answer, "follow": follow, "upbeat": upbeat,
                               "time": datetime.now(UTC).isoformat(timespec="seconds")}, "answer")
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            if post in self._answered.get(reader, ()):
                return False
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                if os.write(fd, line) != len(line):
                    raise OSError(f"short write to {self.path}")
                os.fsync(fd)
            finally:
                os.close(fd)
            self._answered.setdefault(reader, set()).add(post)
        return True
