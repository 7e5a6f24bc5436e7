"""People judging posts: the answers file the judge app appends to, and what the `human` stage measures.

data/human/answers.jsonl holds one JSON object a line: post (the post's id, ``elm.results.post_id``),
reader, answer ("real" or "generated"), follow and upbeat (true, false or null: not rated) and time
(UTC, ISO 8601). Each answer is one ``write`` of one whole line to a file opened for appending, then
fsync'd before the reader sees the next post: a stopped server or browser loses nothing confirmed.
"""
from __future__ import annotations

import json
import logging
import os
import random
import re
import threading
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from elm import paths
from elm.errors import ElmError
from elm.labels import REAL_LABEL

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
            raise ElmError(f"{where}: not JSON ({err}); the judge app writes this file: remove or fix the line") from None
        answers.append(check_answer(record, where))
    return answers


class AnswerLog:
    """The answers file as the judge app uses it: who answered what, and appending one answer."""

    def __init__(self, path: str | Path = paths.ANSWERS):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._drop_incomplete_line()
        self._lock = threading.Lock()
        self._answered: dict[str, set[str]] = {}
        for record in read_answers(self.path):
            self._answered.setdefault(record["reader"], set()).add(record["post"])

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
                               "time": datetime.now(timezone.utc).isoformat(timespec="seconds")}, "answer")
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


# --- What the `human` stage measures ---


def accuracy(correct: pd.Series) -> dict:
    from elm.detect.metrics import accuracy_interval  # the detectors' own 95% Wilson interval (scikit-learn: lazily)

    low, high = accuracy_interval(correct.to_numpy())
    return {"answers": len(correct), "accuracy": round(float(correct.mean()), 4),
            "accuracy_low": round(low, 4), "accuracy_high": round(high, 4)}


def agreement(judged: pd.DataFrame) -> tuple[float | None, float | None, int]:
    """Over posts judged by several readers: the share of reader pairs that agreed, Fleiss' kappa (for
    varying readers per post; None when every answer was the same) and how many such posts."""
    votes = judged.groupby("post")["answer"].agg(real=lambda a: int((a == "real").sum()), n="size")
    several = votes[votes["n"] >= 2]
    if several.empty:
        return None, None, 0
    real, n = several["real"], several["n"]
    pairs = (real * (real - 1) + (n - real) * (n - real - 1)) / (n * (n - 1))
    observed = float(pairs.mean())
    share_real = real.sum() / n.sum()
    expected = share_real**2 + (1 - share_real) ** 2
    kappa = None if expected == 1 else round((observed - expected) / (1 - expected), 4)
    return round(observed, 4), kappa, len(several)


def no_answers() -> tuple[dict, dict]:
    headline = {"answers": 0, "readers": 0, "posts_judged": 0, "accuracy": None, "accuracy_low": None,
                "accuracy_high": None, "pairwise_agreement": None, "fleiss_kappa": None,
                "best_detector_accuracy": None, "stale_answers": 0,
                "status": "no answers yet: run `python -m stages.judge`, then `dvc repro human`"}
    return headline, {}


def measure(answers: list[dict], posts: pd.DataFrame) -> tuple[dict, dict]:
    """human.json's headline numbers and breakdown.json's tables, from the answers and the judged test
    posts (``judge_posts``: label 1 real / 0 generated, account, the detectors' *_pred columns)."""
    table = pd.DataFrame(answers, columns=list(FIELDS))
    known = table["post"].isin(posts.index)
    stale = int((~known).sum())
    judged = table[known].join(posts.drop(columns="id"), on="post")
    if judged.empty:
        headline, breakdown = no_answers()
        return {**headline, "stale_answers": stale}, breakdown
    judged["correct"] = (judged["answer"] == "real") == (judged["label"] == REAL_LABEL)
    votes = judged.groupby("post").agg(real=("answer", lambda a: (a == "real").mean()), readers=("answer", "size"),
                                       label=("label", "first"))
    decided = votes[votes["real"] != 0.5]
    majority_correct = (decided["real"] > 0.5) == (decided["label"] == REAL_LABEL)
    same_posts = {"readers (each answer)": accuracy(judged["correct"]),
                  "readers (majority vote)": {"answers": len(decided), "accuracy": round(float(majority_correct.mean()), 4)
                                              if len(decided) else None}}
    seen = posts.loc[votes.index]
    for column in (c for c in posts.columns if c.endswith("_pred")):
        predicted = pd.to_numeric(seen[column], errors="coerce")
        same_posts[column.removesuffix("_pred")] = {"answers": len(seen),
                                                    "accuracy": round(float((predicted == seen["label"]).mean()), 4)}
    detector_scores = [row["accuracy"] for name, row in same_posts.items() if not name.startswith("readers")]
    pairwise, kappa, several = agreement(judged)
    by_count = {}
    for count, group in decided.assign(ok=majority_correct).groupby("readers"):
        by_count[str(count)] = {"posts": len(group), "majority_accuracy": round(float(group["ok"].mean()), 4)}
    ratings = {}
    for label, name in ((1, "real"), (0, "generated")):
        rows = judged[judged["label"] == label]
        ratings[name] = {f"{rating} {key}": value for rating in RATINGS for key, value in (
            ("rated", int(rows[rating].notna().sum())),
            ("yes", round(float(rows[rating].dropna().astype(bool).mean()), 4) if rows[rating].notna().any() else None))}
    overall = accuracy(judged["correct"])
    headline = {"answers": len(judged), "readers": int(judged["reader"].nunique()), "posts_judged": len(votes),
                "accuracy": overall["accuracy"], "accuracy_low": overall["accuracy_low"],
                "accuracy_high": overall["accuracy_high"], "pairwise_agreement": pairwise, "fleiss_kappa": kappa,
                "best_detector_accuracy": max(detector_scores, default=None), "stale_answers": stale}
    breakdown = {
        "same_posts": same_posts,
        "per_account": {str(a): accuracy(g["correct"]) for a, g in judged.groupby("account", sort=True)},
        "per_reader": {str(r): accuracy(g["correct"]) for r, g in judged.groupby("reader", sort=True)},
        "per_readers_per_post": by_count,
        "agreement": {"posts_with_several_readers": several, "pairwise_agreement": pairwise, "fleiss_kappa": kappa},
        "ratings": ratings,
    }
    return headline, breakdown
