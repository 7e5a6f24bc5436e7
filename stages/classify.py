"""Train two detectors to tell real posts from generated ones (accuracy near 50% = good imitation).

Reads data/sample/sample.parquet (text, label: 1 real / 0 generated, account) and splits it,
stratified by label, into train and test posts (classify.test_size, classify.seed). Posts become
TF-IDF word 1..ngram_max-grams (at most max_features); on them it fits a multinomial naive Bayes
(naive_bayes.alpha) and a random forest grid-searched for accuracy with random_forest.cv folds
over random_forest.grid (lists of values to try; null means None, e.g. max_depth: [null]).

How to read the scores: a detector near 50% accuracy (ROC AUC near 0.5) cannot tell the model's
posts from the accounts' real ones, so the imitation is good; near 100% they are easy to spot.

Writes reports/metrics/classify.json (accuracy, roc_auc, f1 per detector, rounded to 4 places;
train_posts, test_posts) and the directory reports/classify/:
  predictions.csv   every test post: text, label, account, <detector>_prob (P(real)), <detector>_pred
  importances.csv   the forest's 50 most important features (feature, importance), highest first
  best_params.json  the grid's winning random forest settings
  roc.csv           true positive rate per detector at false positive rates 0, 0.01, ..., 1

The library functions take plain texts and labels, so they also run on other labelled sets.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score, roc_curve
from sklearn.model_selection import GridSearchCV, ParameterGrid, train_test_split
from sklearn.naive_bayes import MultinomialNB

from stages import cli, io, params
from stages.errors import ElmError

SAMPLE = "data/sample/sample.parquet"
METRICS = "reports/metrics/classify.json"
REPORT_DIR = "reports/classify"
TOP_FEATURES = 50
ROC_FALSE_POSITIVE_RATES = np.linspace(0.0, 1.0, 101)
REAL_LABEL = 1


def check_trainable(labels, test_size: float, cv: int) -> None:
    """Fail with the fix when the labels cannot give a stratified split and a ``cv``-fold search."""
    counts = pd.Series(labels).value_counts()
    if set(counts.index) != {0, 1}:
        found = ", ".join(f"{label!r}: {n}" for label, n in counts.items()) or "no posts"
        raise ElmError(
            f"the detectors need posts of both labels, 1 (real) and 0 (generated); found {found}. "
            "Check the `sample` stage's inputs (data/clean/posts.parquet, data/generated/posts.jsonl)"
        )
    # Each class needs a test post and, after the split, at least `cv` training posts (+1 for rounding).
    needed = max(math.ceil(round((cv + 1) / (1 - test_size), 9)), math.ceil(round(1 / test_size, 9)))
    if counts.min() < needed:
        raise ElmError(
            f"too few posts to classify: {counts.min()} of the smaller class, but a {test_size} test split "
            f"and {cv}-fold grid search need at least {needed} per class; raise sample.posts_per_class "
            "(and generate.posts), or lower classify.random_forest.cv"
        )


def split(labels, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the train and test posts, stratified so both keep the label balance."""
    return train_test_split(np.arange(len(labels)), test_size=test_size, random_state=seed, stratify=labels)


def build_vectorizer(ngram_max: int, max_features: int) -> TfidfVectorizer:
    """TF-IDF over word 1..ngram_max-grams, keeping the ``max_features`` most frequent."""
    return TfidfVectorizer(ngram_range=(1, ngram_max), max_features=max_features)


def fit_naive_bayes(X, y, alpha: float) -> MultinomialNB:
    """Multinomial naive Bayes, smoothing ``alpha`` (the study's Gaussian NB needs dense input: too big here)."""
    return MultinomialNB(alpha=alpha).fit(X, y)


def forest_grid(grid: dict) -> dict:
    """The params grid checked against RandomForestClassifier's parameters (lists of values)."""
    known = RandomForestClassifier().get_params()
    for name, values in grid.items():
        key = f"classify.random_forest.grid.{name}"
        if name not in known:
            raise ElmError(f"{key}: not a RandomForestClassifier parameter; known: {', '.join(known)}")
        if not isinstance(values, list) or not values:
            raise ElmError(f"{key}: expected a non-empty list of values to try (e.g. [5] or [null]), got {values!r}")
    return grid


def fit_random_forest(X, y, grid: dict, cv: int, seed: int) -> tuple[RandomForestClassifier, dict]:
    """The random forest with the best cross-validated accuracy over ``grid``, refit on all of X, and its settings."""
    grid = forest_grid(grid)
    print(f"classify: random forest grid search, {len(ParameterGrid(grid))} settings x {cv} folds", file=sys.stderr)
    # Trees grow in parallel threads: no worker processes to start, no copies of X.
    search = GridSearchCV(
        RandomForestClassifier(random_state=seed, n_jobs=-1),
        param_grid=grid,
        cv=cv,
        scoring="accuracy",
        error_score="raise",
    )
    try:
        search.fit(X, y)
    except ValueError as err:  # the data were checked before, so this is an invalid grid value
        raise ElmError(f"classify.random_forest.grid: {err}") from err
    return search.best_estimator_, search.best_params_


def probability_real(model, X) -> np.ndarray:
    """P(real) for each post."""
    return model.predict_proba(X)[:, list(model.classes_).index(REAL_LABEL)]


def evaluate(model, X_test, y_test) -> dict[str, float]:
    """Accuracy, ROC AUC (from P(real)) and F1 (real as the positive class) on the test posts."""
    predicted = model.predict(X_test)
    return {
        "accuracy": float(accuracy_score(y_test, predicted)),
        "roc_auc": float(roc_auc_score(y_test, probability_real(model, X_test))),
        "f1": float(f1_score(y_test, predicted, pos_label=REAL_LABEL)),
    }


@dataclass(frozen=True)
class Detection:
    """Both fitted detectors and what they were tested on."""

    models: dict  # detector name -> fitted model
    best_params: dict  # the random forest's grid winner
    feature_names: np.ndarray
    train_positions: np.ndarray
    test_positions: np.ndarray
    X_test: object
    y_test: np.ndarray


def detect(texts, labels, p: params.Classify) -> Detection:
    """Split, vectorize and fit both detectors on texts labelled 1 (real) / 0 (generated)."""
    texts, labels = np.asarray(texts, dtype=object), np.asarray(labels)
    check_trainable(labels, p.test_size, p.random_forest.cv)
    train, test = split(labels, p.test_size, p.seed)
    vectorizer = build_vectorizer(p.ngram_max, p.max_features)
    X_train = vectorizer.fit_transform(texts[train])
    print(f"classify: {len(train)} train / {len(test)} test posts, {X_train.shape[1]} features", file=sys.stderr)
    naive_bayes = fit_naive_bayes(X_train, labels[train], p.naive_bayes.alpha)
    forest, best_params = fit_random_forest(X_train, labels[train], p.random_forest.grid, p.random_forest.cv, p.seed)
    return Detection(
        models={"naive_bayes": naive_bayes, "random_forest": forest},
        best_params=best_params,
        feature_names=vectorizer.get_feature_names_out(),
        train_positions=train,
        test_positions=test,
        X_test=vectorizer.transform(texts[test]),
        y_test=labels[test],
    )


def scores(detection: Detection) -> dict:
    """The metrics file's content: each detector's test scores (4 places) and the split sizes."""
    result = {
        name: {metric: round(value, 4) for metric, value in evaluate(model, detection.X_test, detection.y_test).items()}
        for name, model in detection.models.items()
    }
    return result | {"train_posts": len(detection.train_positions), "test_posts": len(detection.test_positions)}


def predictions_table(posts: pd.DataFrame, detection: Detection) -> pd.DataFrame:
    """Every test post (the rows of ``posts`` the split held out) with each detector's P(real) and prediction."""
    table = posts.iloc[detection.test_positions].reset_index(drop=True)
    for name, model in detection.models.items():
        table[f"{name}_prob"] = probability_real(model, detection.X_test).round(4)
    for name, model in detection.models.items():
        table[f"{name}_pred"] = model.predict(detection.X_test)
    return table


def top_features(forest: RandomForestClassifier, feature_names, count: int) -> pd.DataFrame:
    """The forest's ``count`` most important features, highest first (ties by name)."""
    table = pd.DataFrame({"feature": feature_names, "importance": forest.feature_importances_.round(6)})
    return table.sort_values(["importance", "feature"], ascending=[False, True]).head(count).reset_index(drop=True)


def roc_table(detection: Detection) -> pd.DataFrame:
    """Each detector's ROC curve sampled at fixed false positive rates (one shared x for plotting)."""
    table = pd.DataFrame({"fpr": ROC_FALSE_POSITIVE_RATES.round(2)})
    for name, model in detection.models.items():
        fpr, tpr, _ = roc_curve(detection.y_test, probability_real(model, detection.X_test), pos_label=REAL_LABEL)
        # The best true positive rate reachable without exceeding each false positive rate.
        reachable = np.searchsorted(fpr, ROC_FALSE_POSITIVE_RATES, side="right") - 1
        table[name] = tpr[reachable].round(4)
    return table


def main(params_path: str = "params.yaml") -> None:
    p = params.load("classify", params_path)
    posts = io.read_table(SAMPLE, stage_hint="sample")
    missing = [column for column in ("text", "label", "account") if column not in posts.columns]
    if missing:
        raise ElmError(f"{SAMPLE}: missing column(s) {', '.join(missing)}; rerun `dvc repro sample`")
    detection = detect(posts["text"], posts["label"], p)
    metrics = scores(detection)
    with io.atomic_path(REPORT_DIR, directory=True) as report_dir:
        predictions = predictions_table(posts[["text", "label", "account"]], detection)
        io.write_table(predictions, report_dir / "predictions.csv")
        forest = detection.models["random_forest"]
        io.write_table(top_features(forest, detection.feature_names, TOP_FEATURES), report_dir / "importances.csv")
        io.write_json(detection.best_params, report_dir / "best_params.json")
        io.write_table(roc_table(detection), report_dir / "roc.csv")
    io.write_json(metrics, METRICS)
    for name in detection.models:
        print(f"{name}: accuracy {metrics[name]['accuracy']:.4f}, ROC AUC {metrics[name]['roc_auc']:.4f}")
    print("(accuracy near 0.5: the detectors cannot tell generated posts from real ones)")


if __name__ == "__main__":
    cli.run(main, __doc__)
