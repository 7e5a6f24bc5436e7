"""The `classify` stage: detectors spot obvious fakes, stay near chance on look-alikes, write their reports."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from stages import classify, io, params
from stages.errors import ElmError

from conftest import ROOT
from test_sample import VOCABULARY, posts

# A tiny grid keeps each fit well under a second.
TINY_FOREST = {"cv": 2, "grid": {"n_estimators": [30], "max_depth": [None], "min_samples_leaf": [1, 2]}}
DETECTORS = ("naive_bayes", "random_forest")
PREDICTION_COLUMNS = [
    "text", "label", "account", "naive_bayes_prob", "random_forest_prob", "naive_bayes_pred", "random_forest_pred",
]


def tiny_params(default_params: dict) -> dict:
    default_params["classify"]["random_forest"] = TINY_FOREST
    return default_params


def classify_params(default_params: dict) -> params.Classify:
    return params.build(params.Classify, tiny_params(default_params)["classify"], "classify")


def separable(per_class: int) -> pd.DataFrame:
    """Real posts from two accounts' vocabularies against "generated" posts from another one."""
    real = posts(VOCABULARY["sailor"] + VOCABULARY["baker"], per_class, seed=1)
    generated = posts(VOCABULARY["model"], per_class, seed=2)
    return labelled(real, generated)


def lookalike(per_class: int) -> pd.DataFrame:
    """Both classes drawn from one vocabulary: nothing to tell them apart."""
    vocabulary = VOCABULARY["sailor"] + VOCABULARY["baker"]
    return labelled(posts(vocabulary, per_class, seed=1), posts(vocabulary, per_class, seed=2))


def labelled(real: list[str], generated: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"text": real + generated, "label": [1] * len(real) + [0] * len(generated), "account": "sailor"}
    ).sample(frac=1, random_state=0, ignore_index=True)


def test_split_is_stratified_disjoint_and_seeded():
    labels = np.array([1] * 80 + [0] * 20)

    train, test = classify.split(labels, 0.2, seed=0)

    assert len(test) == 20 and sorted(np.concatenate([train, test])) == list(range(100))
    assert all(labels[classify.split(labels, 0.2, seed)[1]].sum() == 16 for seed in range(5))
    assert np.array_equal(test, classify.split(labels, 0.2, seed=0)[1])
    assert not np.array_equal(test, classify.split(labels, 0.2, seed=1)[1])


def test_vectorizer_uses_word_ngrams_up_to_the_limit():
    vectorizer = classify.build_vectorizer(ngram_max=2, max_features=1000).fit(["fair winds and following seas"])

    assert {"fair", "fair winds", "following seas"} <= set(vectorizer.get_feature_names_out())
    assert not any(len(f.split()) > 2 for f in vectorizer.get_feature_names_out())


def test_detectors_spot_obvious_fakes(default_params):
    data = separable(per_class=100)

    detection = classify.detect(data["text"], data["label"], classify_params(default_params))

    metrics = classify.scores(detection)
    for name in DETECTORS:
        assert metrics[name]["accuracy"] > 0.8, metrics
        assert metrics[name]["roc_auc"] > 0.8, metrics
    assert (metrics["train_posts"], metrics["test_posts"]) == (160, 40)


def test_detectors_stay_near_chance_on_lookalikes(default_params):
    data = lookalike(per_class=300)  # 120 test posts: chance accuracy is 0.5 +- 0.05

    metrics = classify.scores(classify.detect(data["text"], data["label"], classify_params(default_params)))

    for name in DETECTORS:
        assert 0.3 <= metrics[name]["accuracy"] <= 0.7, metrics
        assert 0.3 <= metrics[name]["roc_auc"] <= 0.7, metrics


def test_stage_writes_metrics_and_reports(workdir, default_params, capsys):
    workdir.write_params(tiny_params(default_params))
    data = separable(per_class=60)
    io.write_table(data, "data/sample/sample.parquet")

    classify.main()

    metrics = json.loads(open("reports/metrics/classify.json").read())
    assert set(metrics) == {*DETECTORS, "train_posts", "test_posts"}
    assert metrics["train_posts"] + metrics["test_posts"] == len(data) and metrics["test_posts"] == 24
    for name in DETECTORS:
        assert set(metrics[name]) == {"accuracy", "roc_auc", "f1"}
        assert all(0.0 <= value <= 1.0 and round(value, 4) == value for value in metrics[name].values())

    predictions = pd.read_csv("reports/classify/predictions.csv")
    assert list(predictions.columns) == PREDICTION_COLUMNS
    assert len(predictions) == metrics["test_posts"]
    assert set(predictions["text"]) <= set(data["text"])
    for name in DETECTORS:
        assert predictions[f"{name}_prob"].between(0, 1).all()
        assert set(predictions[f"{name}_pred"]) <= {0, 1}
        accuracy = (predictions[f"{name}_pred"] == predictions["label"]).mean()
        assert accuracy == pytest.approx(metrics[name]["accuracy"], abs=1e-4)

    importances = pd.read_csv("reports/classify/importances.csv")
    assert list(importances.columns) == ["feature", "importance"]
    assert 0 < len(importances) <= classify.TOP_FEATURES
    assert importances["importance"].is_monotonic_decreasing
    # The real and generated vocabularies differ, so the top features are words of one of them.
    assert importances["feature"].iloc[0].split()[0] in VOCABULARY["model"] + VOCABULARY["sailor"] + VOCABULARY["baker"]

    best = json.loads(open("reports/classify/best_params.json").read())
    assert set(best) == set(TINY_FOREST["grid"]) and best["min_samples_leaf"] in (1, 2)

    roc = pd.read_csv("reports/classify/roc.csv")
    assert list(roc.columns) == ["fpr", *DETECTORS]
    assert roc["fpr"].iloc[0] == 0 and roc["fpr"].iloc[-1] == 1
    assert (roc[list(DETECTORS)].diff().dropna() >= 0).all().all() and (roc.iloc[-1][list(DETECTORS)] == 1).all()

    out = capsys.readouterr().out
    assert f"naive_bayes: accuracy {metrics['naive_bayes']['accuracy']:.4f}" in out and "random_forest: accuracy" in out


def test_stage_is_deterministic(workdir, default_params):
    workdir.write_params(tiny_params(default_params))
    io.write_table(lookalike(per_class=40), "data/sample/sample.parquet")

    classify.main()
    first = open("reports/classify/predictions.csv").read(), open("reports/metrics/classify.json").read()
    classify.main()
    again = open("reports/classify/predictions.csv").read(), open("reports/metrics/classify.json").read()

    assert first == again


def test_one_class_sample_is_a_clear_error(workdir, default_params):
    data = separable(per_class=30)
    io.write_table(data[data["label"] == 1], "data/sample/sample.parquet")

    with pytest.raises(ElmError, match=r"both labels.*found 1: 30.*sample"):
        classify.main()


def test_too_few_posts_for_the_cv_is_a_clear_error(default_params):
    data = separable(per_class=4)

    with pytest.raises(ElmError, match=r"too few posts.*at least 5 per class.*sample.posts_per_class"):
        classify.detect(data["text"], data["label"], classify_params(default_params))


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({"n_estimator": [10]}, r"grid.n_estimator: not a RandomForestClassifier parameter"),
        ({"max_depth": None}, r"grid.max_depth: expected a non-empty list"),
        ({"criterion": ["gin"]}, r"classify.random_forest.grid: .*criterion"),
    ],
)
def test_bad_grid_is_a_clear_error(default_params, grid, message):
    data = separable(per_class=20)
    X = classify.build_vectorizer(1, 100).fit_transform(data["text"])

    with pytest.raises(ElmError, match=message):
        classify.fit_random_forest(X, data["label"], grid, cv=2, seed=0)


def test_missing_sample_names_the_stage(workdir):
    with pytest.raises(ElmError, match=r"data/sample/sample.parquet: not found; run `dvc repro sample`"):
        classify.main()


def test_help_shows_the_docstring_title():
    result = subprocess.run(
        [sys.executable, "-m", "stages.classify", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert classify.__doc__.strip().splitlines()[0] in result.stdout
