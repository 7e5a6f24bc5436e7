"""benchmarks/imitation.py runs the real pipeline in a scratch copy on a profile and an import folder."""
from __future__ import annotations

import subprocess
import sys

import yaml

from elm import profiles

from stage_runner import ROOT, TINY, stage_env
from helpers import VOCABULARY, posts

TWINT_HEADER = "id\tcreated_at\ttimezone\ttweet\tlanguage"


def write_export(folder, handle: str, vocabulary: list[str], count: int, seed: int) -> None:
    """A Twint export (tab separated, Twint's column names) of ``count`` posts in one vocabulary."""
    rows = [f"{seed}{i:05d}\t2021-01-22 14:14:00 CST\t-0600\t{text}\ten"
            for i, text in enumerate(posts(vocabulary, count, seed))]
    (folder / f"{handle}.csv").write_text("\n".join([TWINT_HEADER, *rows]) + "\n", encoding="utf-8")


def test_a_tiny_run_prints_every_score_in_one_table(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    write_export(exports, "sailor", VOCABULARY["sailor"], 250, seed=1)
    write_export(exports, "baker", VOCABULARY["baker"], 250, seed=2)
    # an overlay: the tiny profile's budget, two Twint accounts
    profile = profiles.overlay(TINY, {"scrape": {"accounts": ["twint:sailor", "twint:baker"]}})
    (tmp_path / "profile.yaml").write_text(yaml.safe_dump(profile))
    kept = tmp_path / "run"

    done = subprocess.run([sys.executable, "benchmarks/imitation.py", "--profile", str(tmp_path / "profile.yaml"),
                           "--import-dir", str(exports), "--keep", str(kept),
                           "--sweep", "generate.temperature=1.3 generate.top_k=20",
                           "--sweep", "generate.temperature=-1"],  # refused by generate: a row that says so
                          cwd=ROOT, env=stage_env(), capture_output=True, text=True, timeout=1500)

    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout
    for detector in ("naive_bayes", "random_forest", "char_logreg", "lm_likelihood", "leak_check"):
        row = next(line for line in table.splitlines() if line.startswith(f"|   {detector} |"))
        assert "%" in row and " - " in row, row  # accuracy and its interval
    for heading in ("leak warning", "own-account attribution", "distinct-2", "self-bleu",
                    "KS statistic", "copy rate", "stage wall times"):
        assert heading in table, heading
    assert "|   sailor |" in table and "|   baker |" in table  # attribution and length distance per account
    # the sweep: the baseline and the queued experiment, one row each, the experiment's own numbers
    sweep = table.split("\nsweep: 2 experiments queued on the baseline", 1)[1]
    header, _, baseline, swept, failed = [line for line in sweep.splitlines() if line.startswith("|")]
    assert failed.startswith("| generate.temperature=-1 (did not run: `dvc queue logs sweep-2`) | n/a |"), failed
    assert "lm_likelihood" in header and "leak warning" in header and "copy rate" in header, header
    assert baseline.startswith("| the profile (baseline) |") and swept.startswith("| generate.temperature=1.3 "
                                                                                "generate.top_k=20 |")
    assert baseline.split("|")[2:] != swept.split("|")[2:], sweep  # generate onward reran on the new params
    assert yaml.safe_load((kept / "params.yaml").read_text())["generate"]["temperature"] == 1.3  # applied last
    # the kept project ran on the exports, with the profile laid over params.yaml
    assert (kept / "data/import/twint/sailor.csv").exists() and (kept / "reports/classify/scores.json").exists()
    assert yaml.safe_load((kept / "params.yaml").read_text())["scrape"]["accounts"] == ["twint:sailor", "twint:baker"]


def test_bad_arguments_are_clear_errors(tmp_path):
    done = subprocess.run([sys.executable, "benchmarks/imitation.py", "--profile", str(tmp_path / "none.yaml"),
                           "--import-dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.startswith("error: --profile:") and "not found" in done.stderr
