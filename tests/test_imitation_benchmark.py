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


def test_tiny_runs_over_two_seeds_print_every_score_as_mean_and_spread(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    write_export(exports, "sailor", VOCABULARY["sailor"], 250, seed=1)
    write_export(exports, "baker", VOCABULARY["baker"], 250, seed=2)
    # an overlay: the tiny profile's budget, two Twint accounts
    profile = overlay(TINY, {"scrape": {"accounts": ["twint:sailor", "twint:baker"]}})
    (tmp_path / "profile.yaml").write_text(yaml.safe_dump(profile))
    kept = tmp_path / "runs"

    done = subprocess.run([sys.executable, "benchmarks/imitation.py", "--profile", str(tmp_path / "profile.yaml"),
                           "--import-dir", str(exports), "--keep", str(kept), "--seeds", "2",
                           "--sweep", "generate.temperature=1.3 generate.top_k=20",
                           "--sweep", "generate.temperature=-1"],  # refused by generate: a row that says so
                          cwd=ROOT, env=stage_env(), capture_output=True, text=True, timeout=3600)

    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout
    # two runs, each with its own seeds: every detector over both, grouped by kind, mean ± sd and per seed
    seeds = [yaml.safe_load((kept / f"seed-{n}" / "params.yaml").read_text()) for n in (0, 1)]
    assert [s["finetune"]["seed"] for s in seeds] == [0, 1] and [s["classify"]["seed"] for s in seeds] == [0, 1]
    for detector, kind in (("naive_bayes", "text only"), ("char_logreg", "text only"), ("leak_check", "text only"),
                           ("lm_likelihood", "white-box"), ("curvature", "white-box")):
        row = next(line for line in table.splitlines() if line.startswith(f"| {detector} | {kind} |"))
        cells = row.split("|")
        assert " ± " in cells[3] and "%" in cells[3] and len(cells[6].split(",")) == 2, row  # accuracy; 2 seeds
    for heading in ("strongest detector of each kind", "leak check", "own-account attribution", "distinct-2",
                    "self-bleu", "KS statistic", "copy rate", "stage wall times (per seed)"):
        assert heading in table, heading
    assert "| sailor (" in table and "training posts): ratio |" in table  # attribution per account
    # the sweep: the baseline and the queued experiment over both seeds, one row each, the experiment's numbers
    sweep = table.split("\nsweep: 2 experiments queued on 2 baseline(s)", 1)[1]
    header, _, baseline, swept, failed = [line for line in sweep.splitlines() if line.startswith("|")]
    assert failed.startswith("| generate.temperature=-1 (did not run: see `dvc queue logs` in the run) | n/a |")
    assert "white-box" in header and "attribution ratio" in header and "copy rate" in header, header
    assert baseline.startswith("| the profile (baseline) |") and swept.startswith("| generate.temperature=1.3 "
                                                                                "generate.top_k=20 |")
    assert " ± " in baseline and baseline.split("|")[2:] != swept.split("|")[2:], sweep
    for n in (0, 1):  # baseline again
        assert yaml.safe_load((kept / f"seed-{n}" / "params.yaml").read_text())["generate"]["temperature"] == 1.0

    # more settings on the kept runs, without running them again: the same baseline figures. A `dvc queue stop`
    # sent while no worker ran (as an interrupted sweep sends) stops the next worker after its first
    # experiment: the second must still run.
    dvc = str(Path(sys.executable).with_name("dvc"))
    subprocess.run([dvc, "queue", "stop"], cwd=kept / "seed-0", env=stage_env(), check=True, capture_output=True)
    again = subprocess.run([sys.executable, "benchmarks/imitation.py", "--project", str(kept),
                            "--sweep", "generate.temperature=1.3 generate.top_k=20",
                            "--sweep", "generate.temperature=-1"],
                           cwd=ROOT, env=stage_env(), capture_output=True, text=True, timeout=3600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "stage wall times" not in again.stdout  # nothing ran but the sweep
    rows = [line for line in again.stdout.split("\nsweep: 2 experiments", 1)[1].splitlines() if line.startswith("| ")]
    assert rows[1:3] == [baseline, swept], again.stdout  # same runs, same seeds: the same numbers
    assert rows[3].startswith("| generate.temperature=-1 (did not run"), rows[3]
    assert "measured sweep-3 in" in again.stderr, again.stderr
    # the kept project ran on the exports, with the profile laid over params.yaml
    run = kept / "seed-1"
    assert (run / "data/import/twint/sailor.csv").exists() and (run / "reports/classify/scores.json").exists()
    assert yaml.safe_load((run / "params.yaml").read_text())["scrape"]["accounts"] == ["twint:sailor", "twint:baker"]


def test_a_difference_inside_the_spread_is_marked_and_one_outside_is_not():
    from figures import inside_spread, spread, sweep_table

    assert spread([0.5, 0.6, 0.7], "%") == "60.0% ± 10.0%" and spread([0.5], "%") == "50.0%"
    assert inside_spread([0.50, 0.60, 0.55], [0.58, 0.62, 0.60]) and not inside_spread([0.5, 0.51], [0.7, 0.71])
    assert not inside_spread([0.5], [0.9])  # one run has no spread to be inside of
    table = sweep_table([("baseline", {"white-box": [0.70, 0.72]}), ("near", {"white-box": [0.71, 0.73]}),
                         ("far", {"white-box": [0.55, 0.56]})])
    assert "| near | 72.0% ± 1.4% ≈ |" in table and "| far | 55.5% ± 0.7% |" in table


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
    assert run("--profile", str(tmp_path), "--import-dir", str(tmp_path), "--seeds", "0").startswith(
        "error: --seeds 0: give at least 1")
    assert run("--project", str(tmp_path), "--profile", "p.yaml").startswith("error: --project measures a kept run")
