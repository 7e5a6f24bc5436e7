"""The whole graph through the real `dvc repro`, in a fresh git repo holding a copy of the project."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from elm.detect import detectors

from stage_runner import (
    DVC,
    TINY,
    declared_outputs,
    sh,
    stages_run,
    tiny_project,
    tiny_project_first_repro,
    write_params,
)


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A git + DVC repo with the project's files and the tiny profile, after one `dvc repro`."""
    return tiny_project(tmp_path_factory, tmp_path_factory.getbasetemp() / "pipeline")


def test_every_stage_runs_in_order_and_writes_what_it_declares(repo, tmp_path_factory):
    ran = stages_run(tiny_project_first_repro(tmp_path_factory))
    assert sorted(ran) == sorted(["scrape", "clean", "finetune", "generate", "sample", "likelihood", "classify",
                                  "evaluate", "plots", "human", "feed", "report"])
    order = ["scrape", "clean", "finetune", "generate", "sample", "likelihood", "classify", "plots", "report"]
    assert [stage for stage in ran if stage in order] == order
    assert ran.index("generate") < ran.index("evaluate") < ran.index("report")
    assert ran.index("classify") < ran.index("human") < ran.index("report") and ran.index("generate") < ran.index("feed")
    for path in declared_outputs(repo):
        target = repo / path
        assert target.exists(), f"{path} declared in dvc.yaml but not written"
        assert target.is_file() or any(target.iterdir()), f"{path} is empty"


def test_metrics_show_the_headline_and_the_breakdowns_the_counts(repo):
    metrics = json.loads(sh(DVC, "metrics", "show", "--json", cwd=repo))
    data = {Path(k).name: v["data"] for k, v in metrics[""]["data"].items()}
    assert set(data) == {"classify.json", "generate.json", "evaluate.json", "human.json"}
    # no reader has answered yet: every number null, which dvc leaves out
    assert json.loads((repo / "reports/metrics/human.json").read_text()) == dict.fromkeys(
        ["readers_acc", "follow_gen", "follow_real", "upbeat_gen", "upbeat_real"]) and data["human.json"] == {}
    scores = json.loads((repo / "reports/classify/scores.json").read_text())
    strongest = {}
    for detector in ("naive_bayes", "random_forest", "char_logreg", "lm_likelihood", "leak_check"):
        assert 0.0 <= scores[detector]["accuracy"] <= 1.0 and 0.0 <= scores[detector]["roc_auc"] <= 1.0
        key = detectors.accuracy_key(scores[detector]["kind"])
        strongest[key] = max(strongest.get(key, 0.0), scores[detector]["accuracy"])
    assert data["classify.json"] == {**strongest, "leak_warning": scores["leak_warning"]}
    assert set(data["generate.json"]) == {"copy_rate"} and 0.0 <= data["evaluate.json"]["voice_ratio"]
    clean = json.loads((repo / "reports/clean/breakdown.json").read_text())
    generate = json.loads((repo / "reports/generate/breakdown.json").read_text())
    assert clean["posts_in"] - clean["posts_dropped"] == clean["posts_kept"] > 0
    assert generate["posts_sampled"] - generate["posts_dropped"] == generate["posts_kept"] > 0
    assert generate["posts_ended"] == TINY["generate"]["posts"]
    assert json.loads((repo / "reports/train/metrics.json").read_text())["final"]["eval_loss"] > 0


def test_plots_render_through_dvc(repo):
    rendered = json.loads(sh(DVC, "plots", "show", "--json", cwd=repo))
    assert not rendered.get("errors"), rendered.get("errors")
    names = set(rendered["data"]) if "data" in rendered else set(rendered)
    assert any("figures" in n for n in names) and any("train" in n for n in names)


def test_a_second_repro_is_a_no_op_and_status_is_clean(repo):
    assert stages_run(sh(DVC, "repro", cwd=repo)) == []
    assert "up to date" in sh(DVC, "status", cwd=repo)


def test_a_classify_param_reruns_only_classify_plots_human_and_report(repo):
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["classify"]["seed"] += 1
    write_params(repo, params)
    assert sorted(stages_run(sh(DVC, "repro", cwd=repo))) == ["classify", "human", "plots", "report"]


def test_a_likelihood_param_reruns_likelihood_and_at_most_what_reads_it(repo):
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["likelihood"]["batch_size"] = 3
    write_params(repo, params)
    ran = stages_run(sh(DVC, "repro", cwd=repo))
    # the features do not depend on the batch size: classify reruns only if the file's bytes changed
    assert ran[0] == "likelihood" and set(ran) <= {"likelihood", "classify", "plots", "human", "report"}, ran


def test_metrics_diff_shows_each_kind_s_accuracy_side_by_side(repo):
    sh("git", "add", "-A", cwd=repo)
    sh("git", "commit", "-qm", "Tiny run", cwd=repo)
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["classify"]["lm_likelihood"]["C"] = 0.001
    write_params(repo, params)
    assert sorted(stages_run(sh(DVC, "repro", cwd=repo))) == ["classify", "human", "plots", "report"]
    diff = json.loads(sh(DVC, "metrics", "diff", "--all", "--json", cwd=repo))
    classify = next(v for k, v in diff.items() if k.endswith("classify.json"))
    for key in ("text_only_acc", "white_box_acc"):
        accuracy = classify[key]
        assert 0.0 <= accuracy["old"] <= 1.0 and 0.0 <= accuracy["new"] <= 1.0, (key, accuracy)


def test_a_generate_param_reruns_generate_and_what_follows_it(repo):
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["generate"]["temperature"] = 0.7  # the default is 1.0
    write_params(repo, params)
    assert sorted(stages_run(sh(DVC, "repro", cwd=repo))) == ["classify", "evaluate", "feed", "generate", "human",
                                                              "likelihood", "plots", "report", "sample"]
