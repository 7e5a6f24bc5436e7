"""The detectors and their registry: each is one entry naming the features it reads, how it is fitted, and its
kind: what a detector needs besides the text.

  text only   the posts' text alone (a reader, a platform, a moderator);
  surrogate   the text and a public model standing in for the generator (its base model): black-box;
  white-box   the generator's own fine-tuned weights (only whoever trained it has them).

Every detector is fitted on the train posts and scored on the test posts of one shared split:
  naive_bayes         text only: multinomial naive Bayes on TF-IDF word 1..ngram_max-grams, as in the study
  random_forest       text only: a random forest on the same features, grid-searched for accuracy
  char_logreg         text only: logistic regression on TF-IDF character 2-5-grams (spelling, punctuation, emoji)
  leak_check          text only: a depth-3 tree on surface features only (elm/detect/leak.py)
  lm_likelihood       white-box: logistic regression on the `likelihood` stage's features by the fine-tuned model
                      (mean log-prob and entropy, GLTR rank-bucket shares, curvature, token count)
  curvature           white-box: Fast-DetectGPT, the fine-tuned model's conditional probability curvature, its
                      threshold fitted on the train posts
  lm_likelihood_base  surrogate: lm_likelihood's logistic regression on the base model's features
  curvature_base      surrogate: Fast-DetectGPT with the base model as sampler and scorer
  neural              a language model with a sequence-classification head, fine-tuned on the train posts:
                      white-box when it starts from the fine-tuned model, surrogate from any other
Adding a detector is one entry in DETECTORS (and, if it reads new features, one in VIEWS).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, ParameterGrid, TunedThresholdClassifierCV
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from elm import paths
from elm.detect import data, features, leak, metrics
from elm.detect.kinds import KINDS, SURROGATE, TEXT_ONLY, WHITE_BOX
from elm.errors import ElmError
from elm.labels import REAL_LABEL
from elm.params.classify import Classify

logger = logging.getLogger(__name__)


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
    """The random forest with the best cross-validated accuracy over ``grid``, refit on all of X, and its settings.

    A grid of one setting leaves nothing to choose, so that forest is fitted directly, skipping the
    ``cv`` fits of the search (the search would refit the same forest on all of X).
    """
    settings = ParameterGrid(forest_grid(grid))
    # Trees grow in parallel threads: no worker processes to start, no copies of X.
    forest = RandomForestClassifier(random_state=seed, n_jobs=-1)
    try:
        if len(settings) == 1:
            logger.info("classify: random forest, one setting (no grid search)")
            return forest.set_params(**settings[0]).fit(X, y), settings[0]
        logger.info(f"classify: random forest grid search, {len(settings)} settings x {cv} folds")
        search = GridSearchCV(forest, param_grid=grid, cv=cv, scoring="accuracy", error_score="raise").fit(X, y)
    except ValueError as err:  # the data were checked before, so this is an invalid grid value
        raise ElmError(f"classify.random_forest.grid: {err}") from err
    return search.best_estimator_, search.best_params_


def logistic_regression(C: float, seed: int) -> LogisticRegression:
    return LogisticRegression(C=C, max_iter=1000, random_state=seed)


def fit_threshold(X, y, seed: int):
    """One score column, one cut: the accuracy-maximising threshold on the train posts (cross-validated), the
    direction learnt from the data (a higher curvature means generated). A plain logistic regression would cut
    where its fitted probability crosses 0.5, which is not the best cut when the two classes spread differently."""
    return TunedThresholdClassifierCV(LogisticRegression(), scoring="accuracy", random_state=seed).fit(X, y)


def fit_neural(texts, y, p: Classify):
    from elm.detect.neural import SequenceClassifier  # torch and transformers load only when it runs

    n = p.neural
    return SequenceClassifier(n.model, n.max_steps, n.batch_size, n.learning_rate, n.max_tokens,
                              n.precision, n.threads, p.seed).fit(texts, y)


@dataclass(frozen=True)
class Inputs:
    """What the views may read: every post's text, the split, the params and optional extra features."""

    texts: np.ndarray
    train: np.ndarray
    test: np.ndarray
    params: Classify
    likelihood: pd.DataFrame | None = None

    def scored(self, prefix: str = "") -> pd.DataFrame | None:
        """The likelihood features of one model: the fine-tuned one's (no prefix) or the base model's
        (``base_``), without the prefix; None when the likelihood stage did not score with it."""
        if self.likelihood is None:
            return None
        mine = [c for c in self.likelihood.columns if c.startswith(prefix) and (prefix or not c.startswith(BASE))]
        return self.likelihood[mine].rename(columns=lambda c: c.removeprefix(prefix)) if mine else None


BASE = "base_"  # the likelihood stage's prefix for the base model's columns (stages/likelihood.py)

VIEWS: dict[str, Callable[[Inputs], features.Features]] = {
    "words": lambda i: features.vectorize(features.build_vectorizer(
        i.params.ngram_max, i.params.max_features, i.params.stop_words), i.texts, i.train, i.test),
    "characters": lambda i: features.vectorize(
        features.build_char_vectorizer(i.params.char_logreg.max_features), i.texts, i.train, i.test),
    "surface": lambda i: features.surface(i.texts, i.train, i.test),
    "texts": lambda i: features.raw_texts(i.texts, i.train, i.test),
    "likelihood": lambda i: features.table(i.scored(), i.train, i.test),
    "likelihood_base": lambda i: features.table(i.scored(BASE), i.train, i.test),
    "curvature": lambda i: features.table(i.scored()[["curvature"]], i.train, i.test),
    "curvature_base": lambda i: features.table(i.scored(BASE)[["curvature"]], i.train, i.test),
}


@dataclass(frozen=True)
class Entry:
    """One detector: the view it reads, how it is fitted -> (model, settings worth recording), its kind (one of
    KINDS, or a function of the params for a detector whose model is a param), when it runs."""

    view: str
    fit: Callable[[object, np.ndarray, Classify], tuple[object, dict]]
    kind: str | Callable[[Classify], str]
    runs: Callable[[Inputs], bool] = field(default=lambda i: True)

    def kind_of(self, p: Classify) -> str:
        return self.kind(p) if callable(self.kind) else self.kind


def likelihood_regression(X, y, p: Classify):
    # standardized: log-probs, entropies, shares, curvatures and token counts live on different scales
    return make_pipeline(StandardScaler(), logistic_regression(p.lm_likelihood.C, p.seed)).fit(X, y), {}


def neural_kind(p: Classify) -> str:
    """White-box when the classifier starts from the generator's own weights, else a surrogate's."""
    return WHITE_BOX if Path(p.neural.model) == paths.MODEL_DIR else SURROGATE


DETECTORS: dict[str, Entry] = {
    "naive_bayes": Entry("words", lambda X, y, p: (MultinomialNB(alpha=p.naive_bayes.alpha).fit(X, y), {}),
                         TEXT_ONLY),
    "random_forest": Entry("words", lambda X, y, p: fit_random_forest(
        X, y, p.random_forest.grid, p.random_forest.cv, p.seed), TEXT_ONLY),
    "char_logreg": Entry("characters", lambda X, y, p: (logistic_regression(p.char_logreg.C, p.seed).fit(X, y), {}),
                         TEXT_ONLY),
    "leak_check": Entry("surface", lambda X, y, p: (leak.fit_leak_check(X, y, p.seed), {}), TEXT_ONLY),
    "lm_likelihood": Entry("likelihood", likelihood_regression, WHITE_BOX, runs=lambda i: i.scored() is not None),
    "curvature": Entry("curvature", lambda X, y, p: (fit_threshold(X, y, p.seed), {}), WHITE_BOX,
                       runs=lambda i: i.scored() is not None),
    "lm_likelihood_base": Entry("likelihood_base", likelihood_regression, SURROGATE,
                                runs=lambda i: i.scored(BASE) is not None),
    "curvature_base": Entry("curvature_base", lambda X, y, p: (fit_threshold(X, y, p.seed), {}), SURROGATE,
                            runs=lambda i: i.scored(BASE) is not None),
    "neural": Entry("texts", lambda X, y, p: (fit_neural(X, y, p), {}), neural_kind,
                    runs=lambda i: i.params.neural.enabled),
}


def verdicts(model, X) -> tuple[np.ndarray, np.ndarray]:
    """P(real) and the predicted label of each post, from one pass (the label: the likelier class,
    as scikit-learn's ``predict`` decides it)."""
    probabilities = model.predict_proba(X)
    return probabilities[:, list(model.classes_).index(REAL_LABEL)], np.asarray(model.classes_)[probabilities.argmax(1)]


@dataclass(frozen=True)
class Detector:
    """A fitted detector, the names of the features it saw, its verdicts on the test posts, its settings, its kind."""

    model: object
    feature_names: np.ndarray
    probability_real: np.ndarray
    predicted: np.ndarray
    settings: dict
    kind: str


@dataclass(frozen=True)
class Detection:
    """Every fitted detector and what they were tested on."""

    detectors: dict[str, Detector]  # detector name -> fitted and tested detector
    train_positions: np.ndarray
    test_positions: np.ndarray
    y_test: np.ndarray

    @property
    def best_params(self) -> dict:
        """The random forest's grid winner."""
        return self.detectors["random_forest"].settings


def detect(texts, labels, p: Classify, likelihood: pd.DataFrame | None = None) -> Detection:
    """Split the posts, then fit and test every detector that runs on texts labelled 1 (real) / 0 (generated).

    ``likelihood``: the posts' LM-likelihood features, row by row (None: no lm_likelihood detector)."""
    texts, labels = np.asarray(texts, dtype=object), np.asarray(labels)
    data.check_trainable(labels, p.test_size, p.random_forest.cv)
    train, test = data.split(labels, p.test_size, p.seed)
    inputs, views, fitted = Inputs(texts, train, test, p, likelihood), {}, {}
    logger.info(f"classify: {len(train)} train / {len(test)} test posts")
    for name, entry in DETECTORS.items():
        if not entry.runs(inputs):
            continue
        if entry.view not in views:
            views[entry.view] = VIEWS[entry.view](inputs)
        view = views[entry.view]
        logger.info(f"classify: {name} on {len(view.names) or 'the'} {entry.view} features")
        model, settings = entry.fit(view.train, labels[train], p)
        fitted[name] = Detector(model, view.names, *verdicts(model, view.test), settings, entry.kind_of(p))
    return Detection(fitted, train, test, labels[test])


def scores(detection: Detection) -> dict:
    """Each detector's kind and test scores (4 places: accuracy, its 95% interval, ROC AUC, the true positive
    rate at 1% false positives, F1), the leak warning and the split sizes."""
    result = {
        name: {"kind": detector.kind} | {metric: round(value, 4) for metric, value in
               metrics.evaluate(detector.probability_real, detector.predicted, detection.y_test).items()}
        for name, detector in detection.detectors.items()
    }
    return result | {
        "leak_warning": int(leak.leaks(result["leak_check"]["accuracy"])),
        "train_posts": len(detection.train_positions),
        "test_posts": len(detection.test_positions),
    }


def headline(detail: dict) -> dict:
    """The headline metrics (reports/metrics/classify.json, what `dvc exp show` compares): per kind of detector, the
    strongest one's accuracy as ``<kind>_acc`` (the one a reader of that kind would use), and the leak warning. Short
    flat names, so that they fit a 120-column `dvc exp show` beside a changed param; every detector's accuracy, ROC
    AUC and true positive rate at 1% false positives are in reports/classify/scores.json."""
    result = {}
    for kind in KINDS:
        ran = [value["accuracy"] for value in detail.values() if isinstance(value, dict) and value["kind"] == kind]
        if ran:
            result[accuracy_key(kind)] = max(ran)
    return result | {"leak_warning": detail["leak_warning"]}


def accuracy_key(kind: str) -> str:
    """classify.json's name for the strongest accuracy of a kind of detector: "white-box" -> white_box_acc."""
    return f"{kind.replace(' ', '_').replace('-', '_')}_acc"


def predictions_table(posts: pd.DataFrame, detection: Detection) -> pd.DataFrame:
    """Every test post (the rows of ``posts`` the split held out) with each detector's P(real) and prediction."""
    table = posts.iloc[detection.test_positions].reset_index(drop=True)
    for name, detector in detection.detectors.items():
        table[f"{name}_prob"] = detector.probability_real.round(4)
    for name, detector in detection.detectors.items():
        table[f"{name}_pred"] = detector.predicted
    return table


def top_features(forest: RandomForestClassifier, feature_names, count: int) -> pd.DataFrame:
    """The forest's ``count`` most important features, highest first (ties by name)."""
    table = pd.DataFrame({"feature": feature_names, "importance": forest.feature_importances_.round(6)})
    return table.sort_values(["importance", "feature"], ascending=[False, True]).head(count).reset_index(drop=True)


def roc_table(detection: Detection) -> pd.DataFrame:
    """Each detector's ROC curve sampled at fixed false positive rates (one shared x for plotting)."""
    return metrics.roc_table({name: metrics.roc_points(d.probability_real, detection.y_test)
                              for name, d in detection.detectors.items()})
