"""benchmarks/imitation.py runs the real pipeline in a scratch copy on a profile and an import folder."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from elm.params.validation import overlay

from helpers import VOCABULARY, posts
from stage_runner import ROOT, TINY, stage_env

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
    profile = overlay(TINY, {"scrape": {"accounts": ["twint:sailor", "twint:baker"]}})
    (tmp_path / "profile.yaml").write_text(yaml.safe_dump(profile))
    kept = tmp_path / "run"

    done = subprocess.run([sys.executable, "benchmarks/imitation.py", "--profile", str(tmp_path / "profile.yaml"),
                           "--import-dir", str(exports), "--keep", str(kept),
                           "--sweep", "generate.temperature=1.3 generate.top_k=20",
                           "--sweep", "generate.temperature=-1"],  # refused by generate: a row that says so
                          cwd=ROOT, env=stage_env(), capture_output=True, text=True, timeout=3600)

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
    assert yaml.safe_load((kept / "params.yaml").read_text())["generate"]["temperature"] == 1.0  # baseline again

    # more settings on the kept run, without running it again: the same baseline, the next experiments' names.
    # A `dvc queue stop` sent while no worker ran (as an interrupted sweep sends) stops the next worker after
    # its first experiment: the second must still run.
    dvc = str(Path(sys.executable).with_name("dvc"))
    subprocess.run([dvc, "queue", "stop"], cwd=kept, env=stage_env(), check=True, capture_output=True)
    again = subprocess.run([sys.executable, "benchmarks/imitation.py", "--project", str(kept),
                            "--sweep", "generate.temperature=1.3 generate.top_k=20",
                            "--sweep", "generate.temperature=-1"],
                           cwd=ROOT, env=stage_env(), capture_output=True, text=True, timeout=3600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "stage wall times" not in again.stdout  # nothing ran but the sweep
    rows = [line for line in again.stdout.split("\nsweep: 2 experiments", 1)[1].splitlines() if line.startswith("| ")]
    assert rows[1:3] == [baseline, swept], again.stdout  # same run, same seeds: the same numbers
    assert rows[3].startswith("| generate.temperature=-1 (did not run: `dvc queue logs sweep-4`) |"), rows[3]
    assert "measured sweep-3:" in again.stderr, again.stderr
    # the kept project ran on the exports, with the profile laid over params.yaml
    assert (kept / "data/import/twint/sailor.csv").exists() and (kept / "reports/classify/scores.json").exists()
    assert yaml.safe_load((kept / "params.yaml").read_text())["scrape"]["accounts"] == ["twint:sailor", "twint:baker"]


def test_bad_arguments_are_clear_errors(tmp_path):
    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, "benchmarks/imitation.py", *args], cwd=ROOT, capture_output=True,
                              text=True)
        assert done.returncode == 1, done
        return done.stderr

    assert run("--profile", str(tmp_path / "none.yaml"), "--import-dir", str(tmp_path)).startswith(
        f"error: --profile: {tmp_path / 'none.yaml'} not found")
    assert run("--import-dir", str(tmp_path)).startswith("error: --profile is needed for a new run")
    assert run("--project", str(tmp_path)).startswith(f"error: --project: {tmp_path} is not a run kept with --keep")
    assert run("--project", str(tmp_path), "--profile", "p.yaml").startswith("error: --project measures a kept run")
