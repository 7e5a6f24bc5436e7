"""The `classify` stage: detectors spot obvious fakes, stay near chance on look-alikes, catch leaks,
write their reports, and reproduce the original study on its own data."""
from __future__ import annotations

import json
import sys
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV

from elm import io, paths, profiles
from elm.detect import data as detect_data
from elm.detect import detectors, leak
from elm.detect import features as detect_features
from elm.detect import metrics as detect_metrics
from elm.errors import ElmError
from elm.labels import GENERATED_LABEL, REAL_LABEL
from elm.params.classify import Classify
from elm.params.validation import build
from stages import classify

from helpers import ROOT, TINY_FOREST, VOCABULARY, labelled, posts, separable, tiny_params

DETECTORS = ("naive_bayes", "random_forest", "char_logreg", "leak_check")
TEXT_DETECTORS = ("naive_bayes", "random_forest", "char_logreg")
METRIC_NAMES = {"accuracy", "accuracy_low", "accuracy_high", "roc_auc", "tpr_at_1pct_fpr", "f1"}
PREDICTION_COLUMNS = ["text", "label", "account", *(f"{d}_prob" for d in DETECTORS), *(f"{d}_pred" for d in DETECTORS)]
STUDY_SET = "original-study/modeling_tweets.csv"
# profiles/study-classify.yaml holds the study's settings: TF-IDF word 1-3-grams without English stop
# words, 200k features, 80/20 split, the study's grid winner (one setting: fitted without a search).
STUDY_PROFILE = profiles.merged(ROOT / "profiles" / "study-classify.yaml", ROOT / "params.yaml")
# The study reported 62.52% for its grid winner and 60% for a default 100-tree forest. With scikit-learn's
# English stop words removed (stop_words: english) seed 0 gives 62.43% and 60.58%; keeping them, the winner
# scores 65.0%: the study's figures imply it dropped them. With stop words kept, seeds 0/1/2/42 moved the
# winner by about +-0.5 points.
STUDY_FOREST_ACCURACY = (0.60, 0.65)


def classify_params(default_params: dict) -> Classify:
    return build(Classify, tiny_params(default_params)["classify"], "classify")


def lookalike(per_class: int) -> pd.DataFrame:
    """Both classes drawn from one vocabulary: nothing to tell them apart."""
    vocabulary = VOCABULARY["sailor"] + VOCABULARY["baker"]
    return labelled(posts(vocabulary, per_class, seed=1), posts(vocabulary, per_class, seed=2))


def read_metrics() -> dict:
    """The detail scores (reports/classify/scores.json), checked against the headline metrics file."""
    detail = json.loads(open(paths.CLASSIFY_SCORES).read())
    assert json.loads(open(paths.CLASSIFY_METRICS).read()) == detectors.headline(detail)
    return detail


def test_split_is_stratified_disjoint_and_seeded():
    labels = np.array([REAL_LABEL] * 80 + [GENERATED_LABEL] * 20)

    train, test = detect_data.split(labels, 0.2, seed=0)

    assert len(test) == 20 and sorted(np.concatenate([train, test])) == list(range(100))
    assert all(labels[detect_data.split(labels, 0.2, seed)[1]].sum() == 16 for seed in range(5))
    assert np.array_equal(test, detect_data.split(labels, 0.2, seed=0)[1])
    assert not np.array_equal(test, detect_data.split(labels, 0.2, seed=1)[1])


def test_vectorizer_uses_word_ngrams_up_to_the_limit():
    vectorizer = detect_features.build_vectorizer(ngram_max=2, max_features=1000).fit(["fair winds and following seas"])

    assert {"fair", "fair winds", "following seas"} <= set(vectorizer.get_feature_names_out())
    assert not any(len(f.split()) > 2 for f in vectorizer.get_feature_names_out())


def test_char_vectorizer_uses_character_2_to_5_grams_inside_words():
    names = set(detect_features.build_char_vectorizer(max_features=1000).fit(["Fair winds!"]).get_feature_names_out())

    assert {"fa", " fair", "ds!", "winds"} <= names  # lowercased; char_wb pads each word with spaces
    assert all(2 <= len(name) <= 5 for name in names)
    assert not any("r w" in name for name in names)  # no n-gram spans two words


def test_surface_features_measure_form_not_wording():
    features = detect_features.surface_features(["@ada Fair WINDS, 2 days! http://x.co", "calm seas 🙂", "no end"])

    first, emoji, plain = features.to_dict("records")
    assert first["starts_with_at"] == 1 and first["starts_with_uppercase"] == 0 and first["has_link"] == 1
    assert (first["characters"], first["words"]) == (36, 6)
    assert first["punctuation"] == 7  # @ , ! : / / .
    assert first["uppercase_share"] == pytest.approx(6 / 23) and first["digit_share"] == pytest.approx(1 / 36)
    assert first["ends_with_letter"] == 1 and first["ends_with_punctuation"] == 0
    assert emoji["ends_with_other"] == 1 and emoji["non_ascii_share"] == pytest.approx(1 / 11)
    assert plain["starts_with_at"] == plain["has_link"] == plain["punctuation"] == 0
    ends_with = features.filter(like="ends_with_")
    assert ends_with.shape[1] == 4 and (ends_with.sum(axis=1) == 1).all()  # exactly one class per post


def test_accuracy_interval_is_wilsons():
    correct = np.array([1, 0] * 200)  # accuracy 0.5 on 400 posts: 95% half-width 1.96 * sqrt(0.25 / 400) = 0.049

    low, high = detect_metrics.accuracy_interval(correct)

    assert low == pytest.approx(0.4511, abs=1e-3) and high == pytest.approx(0.5489, abs=1e-3)
    # Wilson, not the normal approximation: all right on 50 posts still leaves room below 100%
    # (z^2 / (n + z^2) = 3.84 / 53.84 -> lower bound 0.929), and the interval never leaves [0, 1].
    assert detect_metrics.accuracy_interval(np.ones(50)) == (pytest.approx(0.9287, abs=1e-3), 1.0)
    assert detect_metrics.accuracy_interval(np.zeros(50))[0] == 0.0


def test_detectors_spot_obvious_fakes(default_params):
    data = separable(per_class=100)

    detection = detectors.detect(data["text"], data["label"], classify_params(default_params))

    metrics = detectors.scores(detection)
    for name in TEXT_DETECTORS:
        assert metrics[name]["accuracy"] > 0.8, metrics
        assert metrics[name]["roc_auc"] > 0.8, metrics
        assert metrics[name]["accuracy_low"] < metrics[name]["accuracy"] < metrics[name]["accuracy_high"] or (
            metrics[name]["accuracy"] == 1.0
        ), metrics
    assert (metrics["train_posts"], metrics["test_posts"]) == (160, 40)


def test_detectors_stay_near_chance_on_lookalikes(default_params):
    data = lookalike(per_class=300)  # 120 test posts: chance accuracy is 0.5 +- 0.05

    metrics = detectors.scores(detectors.detect(data["text"], data["label"], classify_params(default_params)))

    for name in DETECTORS:
        assert 0.3 <= metrics[name]["accuracy"] <= 0.7, metrics
        assert 0.3 <= metrics[name]["roc_auc"] <= 0.7, metrics
        # An interval this wide (about +-0.09) must contain chance.
        assert metrics[name]["accuracy_low"] < 0.5 < metrics[name]["accuracy_high"], metrics
    assert metrics["leak_warning"] == 0


def test_leak_check_catches_a_cleaning_difference(workdir, default_params, capsys):
    """The study's leak: generated posts kept their leading @mention, real ones lost it."""
    workdir.write_params(tiny_params(default_params))
    data = lookalike(per_class=100)
    generated = data["label"] == GENERATED_LABEL
    data.loc[generated, "text"] = "@someone " + data.loc[generated, "text"]
    io.write_table(data, paths.SAMPLE)

    classify.main()

    metrics = read_metrics()
    assert metrics["leak_check"]["accuracy"] == 1.0 and metrics["leak_warning"] == 1
    err = capsys.readouterr().err
    assert "WARNING: the leak check" in err and "accuracy 100.0%" in err
    assert "starts_with_at" in open("reports/classify/leak_check.txt").read()
    # what to try, and, the accounts being the demo's, that it is expected there (the report says the same)
    assert "sample.match_lengths" in err and "clean.leading_mentions" in err and leak.WARNING_DEMO in err

    default_params["scrape"]["accounts"] = ["twint:sailor"]
    workdir.write_params(default_params)
    classify.main()
    err = capsys.readouterr().err
    assert "WARNING: the leak check" in err and leak.WARNING_DEMO not in err


def test_headline_metrics_hold_the_strongest_detector_of_each_kind_and_the_leak_warning_only():
    def scores(kind, accuracy, auc):
        return {"kind": kind, "accuracy": accuracy, "accuracy_low": 0.5, "accuracy_high": 0.7, "roc_auc": auc,
                "tpr_at_1pct_fpr": 0.02, "f1": 0.6}

    detail = {"naive_bayes": scores("text only", 0.6, 0.61), "char_logreg": scores("text only", 0.65, 0.7),
              "curvature_base": scores("surrogate", 0.55, 0.56), "lm_likelihood": scores("white-box", 0.7, 0.75),
              "curvature": scores("white-box", 0.68, 0.8), "leak_warning": 1, "train_posts": 8, "test_posts": 2}

    assert detectors.headline(detail) == {"text_only_acc": 0.65, "surrogate_acc": 0.55, "white_box_acc": 0.7,
                                          "leak_warning": 1}


def test_adding_a_detector_is_one_registry_entry(monkeypatch, default_params):
    from sklearn.dummy import DummyClassifier

    monkeypatch.setitem(detectors.DETECTORS, "constant", detectors.Entry(
        "surface", lambda X, y, p: (DummyClassifier(strategy="constant", constant=1).fit(X, y), {}), "text only"))
    data = separable(per_class=30)

    scores = detectors.scores(detectors.detect(data["text"], data["label"], classify_params(default_params)))

    assert scores["constant"]["accuracy"] == 0.5 and scores["constant"]["roc_auc"] == 0.5
    assert scores["constant"]["kind"] == "text only"


def test_stage_writes_metrics_and_reports(workdir, default_params, capsys):
    workdir.write_params(tiny_params(default_params))
    data = separable(per_class=60)
    io.write_table(data, paths.SAMPLE)

    classify.main()

    metrics = read_metrics()
    assert set(metrics) == {*DETECTORS, "leak_warning", "train_posts", "test_posts"}
    assert metrics["train_posts"] + metrics["test_posts"] == len(data) and metrics["test_posts"] == 24
    assert metrics["leak_warning"] in (0, 1)
    for name in DETECTORS:
        assert set(metrics[name]) == {"kind", *METRIC_NAMES} and metrics[name]["kind"] == "text only"
        assert all(0.0 <= metrics[name][m] <= 1.0 and round(metrics[name][m], 4) == metrics[name][m]
                   for m in METRIC_NAMES)
        assert metrics[name]["accuracy_low"] <= metrics[name]["accuracy"] <= metrics[name]["accuracy_high"]

    predictions = pd.read_csv("reports/classify/predictions.csv")
    assert list(predictions.columns) == PREDICTION_COLUMNS
    assert len(predictions) == metrics["test_posts"]
    assert set(predictions["text"]) <= set(data["text"]) and (predictions["account"] == "sailor").all()
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
    assert list(roc.columns) == ["detector", "fpr", "tpr"] and list(roc["detector"].unique()) == list(DETECTORS)
    for _, curve in roc.groupby("detector"):
        assert curve["fpr"].iloc[0] == 0 and curve["fpr"].iloc[-1] == 1 and curve["fpr"].is_monotonic_increasing
        assert curve["tpr"].is_monotonic_increasing and curve["tpr"].iloc[-1] == 1

    assert "class: " in open("reports/classify/leak_check.txt").read()

    out = capsys.readouterr().out
    for name in DETECTORS:
        m = metrics[name]
        assert f"{name}: accuracy {m['accuracy']:.4f} (95% interval {m['accuracy_low']:.4f}-" in out


def test_stage_is_deterministic(workdir, default_params):
    workdir.write_params(tiny_params(default_params))
    io.write_table(lookalike(per_class=40), paths.SAMPLE)

    classify.main()
    first = open("reports/classify/predictions.csv").read(), open(paths.CLASSIFY_METRICS).read()
    classify.main()
    again = open("reports/classify/predictions.csv").read(), open(paths.CLASSIFY_METRICS).read()

    assert first == again


def test_study_style_csv_input(workdir, default_params):
    """classify.input may name any labelled CSV: text in `tweet_clean`, no account column."""
    params_file = tiny_params(default_params)
    params_file["classify"]["input"] = "elsewhere/study.csv"
    workdir.write_params(params_file)
    data = separable(per_class=30).rename(columns={"text": "tweet_clean"}).drop(columns="account")
    (workdir / "elsewhere").mkdir()
    data.to_csv(workdir / "elsewhere/study.csv", index=False)

    classify.main()

    predictions = pd.read_csv("reports/classify/predictions.csv", keep_default_na=False)
    assert list(predictions.columns) == PREDICTION_COLUMNS and (predictions["account"] == "").all()
    assert set(predictions["text"]) <= set(data["tweet_clean"])
    assert read_metrics()["test_posts"] == 12


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (None, r"classify.input: elsewhere/posts.csv not found .*relative to the project root"),
        ({"post": ["a"], "label": [1]}, r"needs a text column \(text or tweet_clean\).*found columns: post, label"),
        ({"text": ["a", "b", "c"], "label": [1, "fake", 0]}, r"label must be 1 \(real\) or 0.*data row 2 has 'fake'"),
        ({"text": ["a", "b"], "label": [1, 2]}, r"label must be 1 \(real\) or 0.*data row 2 has '2'"),
    ],
)
def test_bad_input_is_a_clear_error(workdir, default_params, table, message):
    params_file = tiny_params(default_params)
    params_file["classify"]["input"] = "elsewhere/posts.csv"
    workdir.write_params(params_file)
    if table is not None:
        (workdir / "elsewhere").mkdir()
        pd.DataFrame(table).to_csv(workdir / "elsewhere/posts.csv", index=False)

    with pytest.raises(ElmError, match=message):
        classify.main()


def test_one_class_sample_is_a_clear_error(workdir, default_params):
    workdir.write_params(tiny_params(default_params))
    data = separable(per_class=30)
    io.write_table(data[data["label"] == REAL_LABEL], paths.SAMPLE)

    with pytest.raises(ElmError, match=r"both labels.*found 1: 30.*classify.input.*sample"):
        classify.main()


def test_too_few_posts_for_the_cv_is_a_clear_error(default_params):
    data = separable(per_class=4)

    with pytest.raises(ElmError, match=r"too few posts.*at least 5 per class.*sample.posts_per_class"):
        detectors.detect(data["text"], data["label"], classify_params(default_params))


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({"n_estimator": [10]}, r"grid.n_estimator: not a RandomForestClassifier parameter"),
        ({"max_depth": None}, r"grid.max_depth: expected a non-empty list"),
        ({"criterion": ["gin"]}, r"classify.random_forest.grid: .*criterion"),  # one setting: fitted directly
        ({"criterion": ["gini", "gin"]}, r"classify.random_forest.grid: .*criterion"),  # searched
    ],
)
def test_bad_grid_is_a_clear_error(default_params, grid, message):
    data = separable(per_class=20)
    X = detect_features.build_vectorizer(1, 100).fit_transform(data["text"])

    with pytest.raises(ElmError, match=message):
        detectors.fit_random_forest(X, data["label"], grid, cv=2, seed=0)


def test_one_setting_grid_is_the_forest_a_search_would_refit():
    data = separable(per_class=20)
    X, y = detect_features.build_vectorizer(1, 100).fit_transform(data["text"]), data["label"]
    grid = {"n_estimators": [15], "min_samples_leaf": [2]}

    forest, best = detectors.fit_random_forest(X, y, grid, cv=2, seed=3)

    search = GridSearchCV(RandomForestClassifier(random_state=3), grid, cv=2).fit(X, y)
    assert best == search.best_params_ == {"n_estimators": 15, "min_samples_leaf": 2}
    # Equal up to the order threads add up the trees' votes.
    assert np.allclose(forest.predict_proba(X), search.best_estimator_.predict_proba(X), rtol=0, atol=1e-12)


def test_missing_sample_names_the_stage(workdir, default_params):
    workdir.write_params(tiny_params(default_params))

    with pytest.raises(ElmError, match=r"data/sample/sample.parquet: not found; run `dvc repro sample`"):
        classify.main()


def test_study_reproduction(workdir, default_params, real_data, capsys):
    """Study mode, as profiles/study-classify.yaml sets it, on the study's 30k posts lands on its 62.52%.

    Slow (1-3 minutes on 2 cores, most of it the 300-tree forest on 200k features).
    """
    study = {**STUDY_PROFILE["classify"], "input": str(real_data / STUDY_SET)}
    workdir.write_params({**default_params, "classify": study})
    started = time.monotonic()

    classify.main()

    metrics = read_metrics()
    print(f"study mode: {time.monotonic() - started:.0f} s, {json.dumps(metrics)}", file=sys.__stderr__)
    assert (metrics["train_posts"], metrics["test_posts"]) == (24000, 6000)
    low, high = STUDY_FOREST_ACCURACY
    assert low <= metrics["random_forest"]["accuracy"] <= high, metrics
    assert 0.55 <= metrics["naive_bayes"]["accuracy"] <= 0.72, metrics
    assert metrics["char_logreg"]["accuracy"] > 0.65, metrics
    # "starts with @" alone scores about 71% on this set: the leak check must find it and warn.
    assert metrics["leak_check"]["accuracy"] > 0.68 and metrics["leak_warning"] == 1, metrics
    assert "starts_with_at" in open("reports/classify/leak_check.txt").read()
    assert "WARNING: the leak check" in capsys.readouterr().err


def test_english_stop_words_leave_the_word_features(workdir):
    vectorizer = detect_features.build_vectorizer(1, 100, stop_words="english").fit(["the boat and the tide"])
    assert list(vectorizer.get_feature_names_out()) == ["boat", "tide"]


def likelihood_features(data: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Made-up `likelihood` stage output for ``data``: generated posts score higher log-probs."""
    rng = np.random.default_rng(seed)
    generated = (data["label"] == GENERATED_LABEL).to_numpy()
    logprob = rng.normal(-4.0, 0.5, len(data)) + np.where(generated, 1.5, 0.0)
    top = rng.uniform(0.1, 0.3, len(data)) + np.where(generated, 0.2, 0.0)
    curvature = rng.normal(0.0, 1.0, len(data)) + np.where(generated, 3.0, 0.0)
    return pd.DataFrame({"text": data["text"], "account": data["account"], "tokens": rng.integers(5, 40, len(data)),
                         "mean_logprob": logprob, "mean_entropy": rng.normal(3.0, 0.3, len(data)),
                         "rank_1": top, "rank_over_1": 1 - top, "curvature": curvature})


def lm_params(default_params: dict) -> dict:
    params_file = tiny_params(default_params)
    params_file["classify"]["lm_likelihood"] = {"enabled": True, "C": 1.0}
    return params_file


def test_lm_likelihood_detector_is_reported_like_the_others(workdir, default_params):
    workdir.write_params(lm_params(default_params))
    data = lookalike(per_class=60)  # the texts cannot tell; the likelihood features can
    io.write_table(data, paths.SAMPLE)
    io.write_table(likelihood_features(data), paths.LIKELIHOOD)

    classify.main()

    metrics = read_metrics()
    assert set(metrics) == {*DETECTORS, "lm_likelihood", "curvature", "leak_warning", "train_posts", "test_posts"}
    assert set(metrics["lm_likelihood"]) == {"kind", *METRIC_NAMES} and metrics["lm_likelihood"]["kind"] == "white-box"
    assert metrics["lm_likelihood"]["accuracy"] > 0.8 and metrics["lm_likelihood"]["roc_auc"] > 0.8, metrics
    # Fast-DetectGPT's curvature alone, its threshold fitted on the train posts: generated posts score higher
    assert metrics["curvature"]["accuracy"] > 0.75 and metrics["curvature"]["kind"] == "white-box", metrics
    assert metrics["char_logreg"]["accuracy"] < 0.75, metrics
    predictions = pd.read_csv("reports/classify/predictions.csv")
    assert {"lm_likelihood_prob", "lm_likelihood_pred"} <= set(predictions.columns)
    accuracy = (predictions["lm_likelihood_pred"] == predictions["label"]).mean()
    assert accuracy == pytest.approx(metrics["lm_likelihood"]["accuracy"], abs=1e-4)
    roc = pd.read_csv("reports/classify/roc.csv")
    assert list(roc["detector"].unique()) == [*DETECTORS, "lm_likelihood", "curvature"]
    assert roc[roc["detector"] == "lm_likelihood"]["tpr"].iloc[-1] == 1


def test_lm_likelihood_uses_the_same_split_as_the_other_detectors(default_params):
    data = lookalike(per_class=40)
    features = likelihood_features(data).drop(columns=["text", "account"])
    p = build(Classify, lm_params(default_params)["classify"], "classify")

    with_lm = detectors.detect(data["text"], data["label"], p, features)
    without = detectors.detect(data["text"], data["label"], p)

    assert np.array_equal(with_lm.test_positions, without.test_positions)
    assert np.array_equal(with_lm.detectors["char_logreg"].predicted, without.detectors["char_logreg"].predicted)
    assert "lm_likelihood" in with_lm.detectors and "lm_likelihood" not in without.detectors


@pytest.mark.parametrize(("change", "message"), [
    (lambda f: f.iloc[:-1], r"likelihood.parquet was scored on another sample.*79 rows, the sample has 80"),
    (lambda f: f.assign(text=f["text"].iloc[::-1].to_numpy()), r"another sample.*row 1 differs.*dvc repro likelihood"),
    (None, r"data/sample/likelihood.parquet: not found; run `dvc repro likelihood`"),
])
def test_stale_or_missing_likelihood_features_are_a_clear_error(workdir, default_params, change, message):
    workdir.write_params(lm_params(default_params))
    data = lookalike(per_class=40)
    io.write_table(data, paths.SAMPLE)
    if change is not None:
        io.write_table(change(likelihood_features(data)), paths.LIKELIHOOD)

    with pytest.raises(ElmError, match=message):
        classify.main()


def test_lm_likelihood_refuses_another_labelled_set(workdir, default_params):
    params_file = lm_params(default_params)
    params_file["classify"]["input"] = "study.csv"
    workdir.write_params(params_file)
    separable(per_class=30).to_csv(workdir / "study.csv", index=False)

    with pytest.raises(ElmError, match=r"lm_likelihood.enabled: .*not study.csv; set .*enabled to false"):
        classify.main()


def test_the_base_models_features_make_the_surrogate_detectors_kept_apart_from_the_white_box_ones(workdir,
                                                                                                 default_params):
    workdir.write_params(lm_params(default_params))
    data = lookalike(per_class=60)
    generator = likelihood_features(data, seed=0)
    base = likelihood_features(data, seed=1).drop(columns=["text", "account"]).add_prefix("base_")
    io.write_table(data, paths.SAMPLE)
    io.write_table(pd.concat([generator, base], axis=1), paths.LIKELIHOOD)

    classify.main()

    metrics = read_metrics()
    kinds = {name: metrics[name]["kind"] for name in ("lm_likelihood", "curvature", "lm_likelihood_base",
                                                      "curvature_base", "char_logreg")}
    assert kinds == {"lm_likelihood": "white-box", "curvature": "white-box", "lm_likelihood_base": "surrogate",
                     "curvature_base": "surrogate", "char_logreg": "text only"}
    headline = json.loads(open(paths.CLASSIFY_METRICS).read())
    assert set(headline) == {"text_only_acc", "surrogate_acc", "white_box_acc", "leak_warning"}
    assert headline["surrogate_acc"] == max(metrics[n]["accuracy"] for n in ("lm_likelihood_base", "curvature_base"))


def test_the_true_positive_rate_at_1_percent_false_positives_counts_generated_posts_caught():
    from elm.detect import metrics

    real, generated = np.ones(200, dtype=int), np.zeros(100, dtype=int)
    y = np.concatenate([real, generated])
    # P(real): real posts spread over 0.5..1, 40 generated posts below every real one, the rest mixed in
    p_real = np.concatenate([np.linspace(0.5, 1.0, 200), np.linspace(0.0, 0.1, 40), np.linspace(0.5, 1.0, 60)])
    assert metrics.tpr_at_fpr(p_real, y, 0.01) == pytest.approx(0.4 + 0.01, abs=0.02)
    assert metrics.tpr_at_fpr(p_real, y, 0.0) == pytest.approx(0.4, abs=0.011)
