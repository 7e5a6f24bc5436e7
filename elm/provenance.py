"""What produced a run, as the report and the feed say at their top: the model and its backend, the accounts
(and which of them are SYNTHETIC demo accounts), the profile, the commit and the date.

A profile (profiles/*.yaml) is an overlay of params.yaml that would leave no trace, so each names itself in
``report.profile`` ("" for params.yaml as it is). The commit is ``git rev-parse --short HEAD``, "with uncommitted
changes" when ``git status`` lists a change outside what a run itself rewrites (dvc.lock and reports/: DVC
keeps the rest of its outputs out of git).
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from elm.params.validation import PARAMS_FILE, read_value
from elm.sources.specs import synthetic

RUN_WRITES = ("dvc.lock", "reports")  # what `dvc repro` changes in git's view: not a change to what ran
NOT_GIT = "none (not a git checkout)"


@dataclass(frozen=True)
class Run:
    model: str
    backend: str
    accounts: list[str]
    synthetic: list[str]  # the demo accounts among ``accounts``
    profile: str  # "" for params.yaml as it is
    commit: str
    date: str  # UTC, to the minute


def git(*args: str) -> subprocess.CompletedProcess | None:
    """``git args`` in the current directory, or None when git cannot be run."""
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None


def commit() -> str:
    """The commit checked out here (short hash), "with uncommitted changes" when there are some besides the run's
    own outputs; "none (not a git checkout)" outside git; "unknown (...)" with what went wrong when git cannot tell."""
    head = git("rev-parse", "--short", "HEAD")
    if head is None:
        return "unknown (git could not be run)"
    if "not a git repository" in head.stderr:
        return NOT_GIT
    if head.returncode != 0:
        said = (head.stderr.strip().splitlines() or ["git rev-parse failed"])[0]
        return f"unknown ({said})"
    short = head.stdout.strip()
    status = git("status", "--porcelain", "--", ".", *(f":(exclude){path}" for path in RUN_WRITES))
    if status is None or status.returncode != 0:
        return f"{short} (uncommitted changes unknown: git status failed)"
    return f"{short} with uncommitted changes" if status.stdout.strip() else short


def describe(profile: str, params_path: Path | str = PARAMS_FILE) -> Run:
    """This run: ``profile`` (the caller's report.profile) and the other sections' keys from ``params_path``."""
    accounts = [str(spec) for spec in read_value("scrape", "accounts", params_path)]
    return Run(model=str(read_value("finetune", "model", params_path)),
               backend=str(read_value("finetune", "backend", params_path)), accounts=accounts,
               synthetic=synthetic(accounts), profile=profile, commit=commit(),
               date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
