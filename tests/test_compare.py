"""Experiments at a glance, in a real DVC repo on the tiny profile with one experiment run: the README's first
comparison command, run as written in a 120-column terminal, shows each run's strongest accuracy of each kind of
detector and the leak warning, readable and within 120 columns; plain `dvc exp show` has them in its first 120
columns; and `dvc metrics show` (one row per stage's metrics file, a column per metric) fits a maximised terminal
of 200 columns: the four stages' eleven headline numbers cannot share 120 columns.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from elm import paths

from stage_runner import DVC, cli_env, sh, tiny_project

COMPARE = "make compare"  # README.md's first comparison command, exactly as written there: keep the two in sync
TERMINAL_COLUMNS = 120
COLUMN_GAP = 3  # what each column of `dvc exp show` adds beside its widest cell: padding and rule
TABLE_GAP = 4  # the spaces before each column of `dvc metrics show`
METRICS_COLUMNS = 200  # what `dvc metrics show` fits in
EXPERIMENT = "temp-1.2"
HEADLINE = ("text_only_acc", "surrogate_acc", "white_box_acc", "leak_warning")  # classify.json, as exp show names them
HUMAN = ("readers_acc", "follow_gen", "follow_real", "upbeat_gen", "upbeat_real")  # human.json
SHOWN_BY_METRICS = {*HEADLINE, "copy_rate", "voice_ratio", *HUMAN}  # every DVC metric of the pipeline


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A tiny project after its baseline run, committed, and one experiment at another temperature."""
    repo = tiny_project(tmp_path_factory, tmp_path_factory.mktemp("compare") / "elm")
    sh("git", "add", "-A", cwd=repo)
    sh("git", "commit", "-qm", "Baseline run", cwd=repo)
    sh(DVC, "exp", "run", "-n", EXPERIMENT, "-S", "generate.temperature=1.2", cwd=repo)
    return repo


def in_terminal(command: str, repo: Path) -> str:
    """``command`` run by bash as a user types it in a terminal of TERMINAL_COLUMNS columns; its output."""
    return sh("bash", "-c", command, cwd=repo, env=cli_env(COLUMNS=str(TERMINAL_COLUMNS)))


def too_wide(output: str) -> list[str]:
    return [line for line in output.splitlines() if len(line) > TERMINAL_COLUMNS]


def experiment_headline(repo: Path) -> dict:
    """classify.json of the experiment, as `dvc exp show --json` has it."""
    for baseline in json.loads(sh(DVC, "exp", "show", "--json", cwd=repo)):
        for exp in baseline.get("experiments") or []:
            if exp["name"] == EXPERIMENT:
                return exp["revs"][0]["data"]["metrics"][str(paths.CLASSIFY_METRICS)]["data"]
    raise AssertionError(f"no experiment {EXPERIMENT} in `dvc exp show --json`")


def test_the_comparison_command_shows_each_kind_s_accuracy_within_120_columns(repo):
    shown = in_terminal(COMPARE, repo)
    assert not too_wide(shown), shown
    assert "…" not in shown, f"a column was cut to fit:\n{shown}"
    lines = shown.splitlines()
    header = next(line for line in lines if "Experiment" in line).split()
    headline = experiment_headline(repo)
    assert set(headline) <= set(HEADLINE) and {"text_only_acc", "white_box_acc"} <= set(headline)
    assert header[0] == "Experiment" and set(header[1:]) == {*headline, "generate.temperature"}, shown
    absent = [key for key in HEADLINE if key not in headline]  # kinds of detector the tiny profile has none of
    widest = max(map(len, lines)) + sum(len(key) + COLUMN_GAP for key in absent)
    assert widest <= TERMINAL_COLUMNS, f"with {', '.join(absent)} too the table would be {widest} wide:\n{shown}"
    # the experiment's row: "├── <rev> [temp-1.2]" then one value per column, each as classify.json holds it
    row = next(line for line in lines if f"[{EXPERIMENT}]" in line).split()
    values = dict(zip(header[1:], row[3:], strict=True))
    assert {key: float(values[key]) for key in headline} == pytest.approx(headline, abs=1e-5), shown
    assert values["generate.temperature"] == "1.2"


def test_plain_exp_show_has_the_headline_in_its_first_120_columns(repo):
    """In a terminal `dvc exp show` pages through `less -RS`, which shows each line's first columns: the metrics come
    before the params there, so the first screen shows each kind's accuracy and the leak warning."""
    header = next(line for line in in_terminal(f"{DVC} exp show", repo).splitlines() if "Experiment" in line)
    headline = experiment_headline(repo)
    room = TERMINAL_COLUMNS - sum(len(key) + COLUMN_GAP for key in HEADLINE if key not in headline)
    for key in headline:
        assert f" {key} " in header[:room + 1], header[:TERMINAL_COLUMNS]


def test_dvc_metrics_show_fits_a_maximised_terminal_and_shows_every_metric(repo):
    shown = sh("bash", "-c", f"{DVC} metrics show", cwd=repo, env=cli_env(COLUMNS=str(METRICS_COLUMNS)))
    header = shown.splitlines()[0].split()
    assert header[0] == "Path" and set(header[1:]) <= SHOWN_BY_METRICS, shown
    assert {"text_only_acc", "white_box_acc", "leak_warning", "copy_rate", "voice_ratio"} <= set(header), shown
    # absent: kinds of detector the tiny profile has none of, and the readers' numbers, null (no column) until a
    # reader answers
    absent = SHOWN_BY_METRICS - set(header)
    widest = max(map(len, shown.splitlines())) + sum(len(key) + TABLE_GAP for key in absent)
    assert widest <= METRICS_COLUMNS, f"with {', '.join(absent)} too the table would be {widest} wide:\n{shown}"
