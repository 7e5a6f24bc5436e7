"""The finetune and generate stages, run as `python -m stages.X` on the tiny profile."""
from __future__ import annotations

import copy
import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

from elm import generation, paths
from elm.models.manifest import read_manifest

from stage_runner import TINY, kill_stage_when, run_stage, stage_env, write_params


@pytest.fixture(scope="module")
def trained_project(tmp_path_factory):
    """A project directory after scrape, clean and finetune on the tiny profile."""
    cwd = tmp_path_factory.mktemp("project")
    write_params(cwd, TINY)
    for stage in ("scrape", "clean", "finetune"):
        run_stage(stage, cwd)
    return cwd


def copy_project(src, dst, params):
    for part in ("data", "models"):
        shutil.copytree(src / part, dst / part)  # copy2 keeps the model files' times
    write_params(dst, params)
    return dst


def test_finetune_writes_the_model_manifest_and_training_curves(trained_project):
    model_dir = trained_project / "models/finetuned"
    manifest = read_manifest(model_dir)
    assert {k: manifest[k] for k in ("backend", "base_model", "steps")} == {"backend": "transformers",
                                                                            "base_model": "scratch", "steps": 20}
    assert manifest["train_rows"] > 0 and manifest["parameters"] == manifest["trainable_parameters"] > 100_000
    assert (model_dir / "model.safetensors").stat().st_size > 100_000
    metrics = json.loads((trained_project / "reports/train/metrics.json").read_text())
    assert metrics["step"] == 19  # DVCLive counts steps from 0
    assert metrics["final"]["eval_loss"] < 7.0
    # the last step's values and the final four (not a DVC metric: `dvc plots diff` compares the curves)
    assert set(metrics["final"]) == {"eval_loss", "eval_perplexity", "tokens_per_s", "train_seconds"}
    assert len(pd.json_normalize(metrics).columns) <= 10
    curves = trained_project / "reports/train/plots/metrics"
    assert {p.name for p in curves.rglob("*.tsv")} >= {"loss.tsv", "learning_rate.tsv", "tokens_per_s.tsv"}
    assert len((curves / "train/loss.tsv").read_text().splitlines()) == 21  # header + 20 steps


def test_generate_cleans_posts_and_reports_what_it_dropped(trained_project):
    run_stage("generate", trained_project)
    posts = pd.read_json(trained_project / paths.GENERATED, lines=True)
    assert set(posts["account"]) <= {"ada_sails", "basil_bakes", "coach_cleo", "dr_dune"}
    assert (posts["text"].str.len() >= TINY["clean"]["min_chars"]).all()
    # no link and no hashtag as clean defines them (a lone "#" or "C#" is not one)
    assert not posts["text"].str.contains(r"https?://|(?<!\w)#+\w", regex=True).any()
    assert posts["settings"][0]["temperature"] == TINY["generate"]["temperature"]
    metrics = json.loads((trained_project / paths.GENERATE_METRICS).read_text())
    breakdown = json.loads((trained_project / paths.GENERATE_BREAKDOWN).read_text())
    dropped, accounts = breakdown["dropped"], breakdown["accounts"]
    # posts that ran past max_new_tokens are dropped, and more sampled until all the posts asked for ended
    assert dropped["unfinished"] > 0
    assert breakdown["posts_sampled"] == breakdown["posts_ended"] + dropped["unfinished"]
    assert breakdown["posts_ended"] == TINY["generate"]["posts"]
    assert breakdown["posts_kept"] == len(posts)
    assert breakdown["posts_sampled"] - breakdown["posts_dropped"] == len(posts)
    assert breakdown["posts_dropped"] == sum(dropped.values())
    assert metrics == {"copy_rate": breakdown["copy_rate"]}  # the headline; the counts are the breakdown's
    assert not list((trained_project / paths.GENERATED.parent).glob("*.partial"))
    assert sum(a["kept"] for a in accounts.values()) == len(posts)
    assert sum(a["unfinished"] for a in accounts.values()) == dropped["unfinished"]
    assert all(a["real"]["mean_chars"] >= TINY["clean"]["min_chars"] for a in accounts.values())


def test_plan_splits_posts_by_account_share_into_batches():
    train = pd.DataFrame({"account": ["a"] * 30 + ["b"] * 10})
    plan = generation.plan_batches(train, 20, 8)
    assert plan == [("a", 8), ("a", 7), ("b", 5)]


def test_top_ups_ask_each_account_for_the_posts_it_lacks_in_shared_batches():
    assert generation.top_up({"b": 2, "a": 3}, 4) == [("a", "a", "a", "b"), ("b",)]
    assert generation.top_up({}, 4) == []


GENERATE_MORE = {**TINY["generate"], "posts": 160, "batch_size": 16, "max_new_tokens": 40}


@pytest.fixture(scope="module")
def generated_once(trained_project, tmp_path_factory):
    """A project after one uninterrupted, single-process generate of 160 posts in batches of 16."""
    params = {**copy.deepcopy(TINY), "generate": GENERATE_MORE}
    whole = copy_project(trained_project, tmp_path_factory.mktemp("whole"), params)
    run_stage("generate", whole)
    return whole, params


def test_generate_killed_mid_run_resumes_and_matches_an_uninterrupted_run(trained_project, generated_once, tmp_path):
    whole, params = generated_once
    killed = copy_project(trained_project, tmp_path / "killed", params)

    partial = generation.partial_file(killed / paths.GENERATED.parent, 0)
    kill_stage_when("generate", killed, lambda: partial.exists() and len(partial.read_text().splitlines()) >= 32)
    done_before = len(partial.read_text().splitlines())
    assert 32 <= done_before < 160

    resumed = run_stage("generate", killed)
    assert "resuming" in resumed.stderr
    assert (killed / paths.GENERATED).read_text() == (whole / paths.GENERATED).read_text()


def test_a_partial_file_from_other_settings_is_not_resumed(tmp_path):
    partial = tmp_path / "partial.jsonl"
    row = {"batch": 0, "batch_size": 1, "account": "a", "text": "x", "settings": {"temperature": 0.8}}
    partial.write_text(json.dumps(row) + "\n" + '{"batch": 1, "batch_si')  # a torn last line
    assert generation.finished_batches(partial, {"temperature": 0.8}) == {0: [row]}
    assert generation.finished_batches(partial, {"temperature": 1.0}) == {}


def test_a_resumed_run_keeps_the_complete_batches_of_every_process(tmp_path):
    key = {"temperature": 0.8}

    def row(batch, size, text):
        return json.dumps({"batch": batch, "batch_size": size, "account": "a", "text": text, "settings": key}) + "\n"

    generation.partial_file(tmp_path, 0).write_text(row(0, 1, "x") + row(2, 2, None) + row(2, 2, "y"))
    generation.partial_file(tmp_path, 1).write_text(row(1, 1, "z") + row(3, 2, "w") + '{"batch": 3, "ba')
    done = generation.all_finished_batches(tmp_path, key)
    assert sorted(done) == [0, 1, 2]  # batch 3 was torn when its process died
    assert [r["text"] for r in done[2]] == [None, "y"]


def test_generate_without_a_model_says_which_stage_to_run(tmp_path):
    write_params(tmp_path, TINY)
    (tmp_path / "data/clean").mkdir(parents=True)
    pd.DataFrame({"id": ["1"], "account": ["a"], "created_at": [""], "text": ["x" * 40], "split": ["train"]}) \
        .to_parquet(tmp_path / "data/clean/posts.parquet")
    done = run_stage("generate", tmp_path, check=False)
    assert done.returncode == 2
    assert "dvc repro finetune" in done.stderr and "Traceback" not in done.stderr


def test_finetune_killed_mid_run_resumes_and_ends_as_an_uninterrupted_run(trained_project, tmp_path):
    from safetensors.torch import load_file

    params = copy.deepcopy(TINY)
    params["finetune"].update(max_steps=30, checkpoint_every=5, threads=1)
    whole = copy_project(trained_project, tmp_path / "whole", params)
    killed = copy_project(trained_project, tmp_path / "killed", params)
    run_stage("finetune", whole)

    marker = killed / "models/.checkpoints/finetune.json"
    kill_stage_when("finetune", killed, lambda: marker.exists() and json.loads(marker.read_text())["step"] >= 10)

    resumed = run_stage("finetune", killed)
    assert "resuming from the checkpoint of step" in resumed.stderr
    assert not marker.exists()
    weights = load_file(killed / "models/finetuned/model.safetensors")
    expected = load_file(whole / "models/finetuned/model.safetensors")
    assert weights.keys() == expected.keys()
    for name in expected:
        assert torch.allclose(weights[name], expected[name], atol=1e-5), name
    curve = (killed / "reports/train/plots/metrics/train/loss.tsv").read_text().splitlines()
    assert [int(row.split("\t")[0]) for row in curve[1:]] == list(range(30))


def test_copies_of_training_posts_are_found_exactly_and_by_shared_word_runs():
    train = pd.Series(["the tide is turning in the harbor at dawn today", "fresh rye bread out of the oven"])
    generated = pd.Series(["fresh rye bread out of the oven",                        # exact copy
                           "Look: the tide is turning in the harbor now",            # shares 7 words in a row
                           "the tide is turning, so is the bread"])                  # shares 4 at most
    assert generation.copy_kind(generated, train, 7).tolist() == ["exact", "ngram", ""]
    assert generation.copy_kind(generated, train, 8).tolist() == ["exact", "", ""]
    assert generation.copy_kind(generated, train, 0).tolist() == ["exact", "", ""]


def test_finetune_trains_data_parallel_over_two_processes(trained_project, tmp_path):
    params = copy.deepcopy(TINY)
    params["finetune"].update(max_steps=6, checkpoint_every=0, eval_every=0)
    project = copy_project(trained_project, tmp_path / "ddp", params)
    shutil.rmtree(project / "models")
    torchrun = str(Path(sys.executable).with_name("torchrun"))
    done = subprocess.run([torchrun, "--nproc_per_node", "2", "--master_port", str(free_port()),
                           "-m", "stages.finetune"], cwd=project, env=stage_env(), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "data-parallel over 2 processes" in done.stderr
    assert read_manifest(project / "models/finetuned")["steps"] == 6
    curve = (project / "reports/train/plots/metrics/train/loss.tsv").read_text().splitlines()
    assert len(curve) == 1 + 6  # one process logged, once per step
    speed = json.loads((project / "reports/train/metrics.json").read_text())["final"]
    assert speed["tokens_per_s"] > 0


def test_generate_data_parallel_over_two_processes_samples_the_posts_of_one(trained_project, generated_once, tmp_path):
    whole, params = generated_once
    project = copy_project(trained_project, tmp_path / "ddp", params)
    torchrun = str(Path(sys.executable).with_name("torchrun"))
    done = subprocess.run([torchrun, "--nproc_per_node", "2", "--master_port", str(free_port()),
                           "-m", "stages.generate"], cwd=project, env=stage_env(), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "generate [1]" in done.stderr  # the second process sampled its share of the batches
    assert (project / paths.GENERATED).read_text() == (whole / paths.GENERATED).read_text()
    assert (project / paths.GENERATE_METRICS).read_text() == (whole / paths.GENERATE_METRICS).read_text()
    breakdown = json.loads((project / paths.GENERATE_BREAKDOWN).read_text())
    expected = json.loads((whole / paths.GENERATE_BREAKDOWN).read_text())
    assert {**breakdown, "posts_per_s": 0} == {**expected, "posts_per_s": 0}
    assert not list((project / paths.GENERATED.parent).glob("*.partial"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
