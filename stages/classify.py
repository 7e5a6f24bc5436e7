"""Train detectors to tell real posts from generated ones (accuracy near 50% = good imitation).

Reads classify.input: by default data/sample/sample.parquet (text, label: 1 real / 0 generated,
account), the `sample` stage's output. Any labelled set works too (study mode): a .parquet, .csv
or .jsonl file with a `text` (or `tweet_clean`) column and a `label` column (1 real, 0 generated),
`account` optional, e.g. the original study's ../shared/data/original-study/modeling_tweets.csv
(set classify.lm_likelihood.enabled to false for such a set: the `likelihood` stage's features,
data/sample/likelihood.parquet, read by default, score the pipeline's own sample).
The posts are split, stratified by label, into train and test posts (classify.test_size, seed).

Detectors, all fitted on the train posts and scored on the test posts:
  naive_bayes    multinomial naive Bayes (naive_bayes.alpha) on TF-IDF word 1..ngram_max-grams
                 (at most max_features, without English stop words when stop_words: english, as
                 the study's figures imply: see profiles/study-classify.yaml), as in the study
  random_forest  a random forest on the same features, grid-searched for accuracy with
                 random_forest.cv folds over random_forest.grid (lists of values to try; null
                 means None, e.g. max_depth: [null]; a grid of one setting is fitted directly)
  char_logreg    logistic regression (char_logreg.C) on TF-IDF character 2-5-grams inside word
                 boundaries (at most char_logreg.max_features): spelling, punctuation, emoji
  lm_likelihood  logistic regression (lm_likelihood.C) on the standardized per-post features of the
                 `likelihood` stage (data/sample/likelihood.parquet): the fine-tuned model's mean token
                 log-prob and entropy, GLTR rank-bucket shares and token count. Only for the pipeline's
                 own sample (lm_likelihood.enabled; set it to false for other labelled sets)
  leak_check     a depth-3 decision tree on surface features only (starts with @, length, words,
                 punctuation, uppercase/digit/non-ASCII shares, links, last character's class).
                 Above 55% accuracy the two classes differ in form (e.g. generated posts start with
                 @ or are shorter, because cleaning treated them differently), so the other scores
                 measure that as well as style: the stage warns and sets leak_warning to 1.

How to read the scores: a detector near 50% accuracy (ROC AUC near 0.5) cannot tell the model's
posts from the accounts' real ones, so the imitation is good; near 100% they are easy to spot.
Each accuracy comes with a 95% interval (percentile bootstrap over the test posts, 1000 resamples,
seeded): two accuracies whose intervals overlap widely are not shown to differ.

Writes reports/metrics/classify.json ({detector: {accuracy, accuracy_low, accuracy_high, roc_auc,
f1}} with F1 for real as the positive class, rounded to 4 places; leak_warning 0/1; train_posts,
test_posts) and the directory reports/classify/:
  predictions.csv   every test post: text, label, account (blank when the input has none),
                    <detector>_prob (P(real)) and <detector>_pred for each detector
  importances.csv   the forest's 50 most important features (feature, importance), highest first
  best_params.json  the grid's winning random forest settings
  roc.csv           true positive rate per detector at false positive rates 0, 0.01, ..., 1
  leak_check.txt    the leak check's decision rules (which surface features give the classes away)

The library functions take plain texts and labels, so they also run on other labelled sets.
"""
from __future__ import annotations

import math
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score, roc_curve
from sklearn.model_selection import GridSearchCV, ParameterGrid, train_test_split
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, export_text

from elm import cli, io, params
from elm.errors import ElmError

SAMPLE = "data/sample/sample.parquet"
LIKELIHOOD = "data/sample/likelihood.parquet"  # the `likelihood` stage's features of SAMPLE's posts, row by row
METRICS = "reports/metrics/classify.json"
REPORT_DIR = "reports/classify"
TEXT_COLUMNS = ("text", "tweet_clean")  # the study's set names its text column tweet_clean
TOP_FEATURES = 50
ROC_FALSE_POSITIVE_RATES = np.linspace(0.0, 1.0, 101)
REAL_LABEL, GENERATED_LABEL = 1, 0
CHAR_NGRAMS = (2, 5)
LEAK_TREE_DEPTH = 3  # few enough rules to read, and too few to memorise a small training set
LEAK_TREE_MIN_LEAF = 10
LEAK_ACCURACY = 0.55
BOOTSTRAP_RESAMPLES = 1000
CONFIDENCE = 0.95


def read_labelled_posts(path: str) -> pd.DataFrame:
    """text, label (1 real / 0 generated) and account ("" when the file has none) of every post in ``path``."""
    fix = "rerun `dvc repro sample`" if path == SAMPLE else "fix the file or point classify.input at another one"
    if path != SAMPLE and not Path(path).exists():
        raise ElmError(
            f"classify.input: {path} not found (paths are relative to the project root); "
            f"set it to a labelled set, or to {SAMPLE} for the pipeline's own sample"
        )
    posts = io.read_table(path, stage_hint="sample")
    text_column = next((column for column in TEXT_COLUMNS if column in posts.columns), None)
    if text_column is None or "label" not in posts.columns:
        raise ElmError(
            f"{path}: needs a text column ({' or '.join(TEXT_COLUMNS)}) and a label column (1 real, "
            f"0 generated); found columns: {', '.join(map(str, posts.columns)) or 'none'}; {fix}"
        )
    labels = pd.to_numeric(posts["label"], errors="coerce")
    unknown = ~labels.isin([REAL_LABEL, GENERATED_LABEL])
    if unknown.any():
        row = int(np.flatnonzero(unknown)[0])
        raise ElmError(
            f"{path}: label must be 1 (real) or 0 (generated); data row {row + 1} has "
            f"{str(posts['label'].iloc[row])!r} ({int(unknown.sum())} such rows); {fix}"
        )
    accounts = posts["account"].fillna("").astype(str) if "account" in posts.columns else ""
    texts = posts[text_column].fillna("").astype(str)
    return pd.DataFrame({"text": texts, "label": labels.astype(int), "account": accounts})


def read_likelihood_features(posts: pd.DataFrame, path: str = LIKELIHOOD) -> pd.DataFrame:
    """The `likelihood` stage's numeric features of ``posts`` (read from the sample), row by row.

    The file repeats each post's text, so features scored on another sample are refused, not misaligned."""
    features = io.read_table(path, stage_hint="likelihood")
    def stale(detail: str) -> ElmError:
        return ElmError(f"{path} was scored on another sample than {SAMPLE} ({detail}); rerun `dvc repro likelihood`")

    if "text" not in features.columns:
        raise ElmError(f"{path}: no text column; rerun `dvc repro likelihood`")
    if len(features) != len(posts):
        raise stale(f"{len(features)} rows, the sample has {len(posts)}")
    mismatch = np.flatnonzero(features["text"].fillna("").astype(str).to_numpy() != posts["text"].to_numpy())
    if len(mismatch):
        raise stale(f"row {mismatch[0] + 1} differs, {len(mismatch)} such rows")
    numeric = features.drop(columns=["text", "account", "label"], errors="ignore").select_dtypes("number")
    if numeric.empty or numeric.isna().any().any():
        raise ElmError(f"{path}: no features, or missing values in them; rerun `dvc repro likelihood`")
    return numeric.reset_index(drop=True)


def check_trainable(labels, test_size: float, cv: int) -> None:
    """Fail with the fix when the labels cannot give a stratified split and a ``cv``-fold search."""
    counts = pd.Series(labels).value_counts()
    if set(counts.index) != {GENERATED_LABEL, REAL_LABEL}:
        found = ", ".join(f"{label!r}: {n}" for label, n in counts.items()) or "no posts"
        raise ElmError(
            f"the detectors need posts of both labels, 1 (real) and 0 (generated); found {found}. "
            f"Check classify.input (by default {SAMPLE}, from the `sample` stage's inputs "
            "data/clean/posts.parquet and data/generated/posts.jsonl)"
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


def build_vectorizer(ngram_max: int, max_features: int, stop_words: str | None = None) -> TfidfVectorizer:
    """TF-IDF over word 1..ngram_max-grams, keeping the ``max_features`` most frequent, without
    ``stop_words`` ("english": scikit-learn's list) when given."""
    return TfidfVectorizer(ngram_range=(1, ngram_max), max_features=max_features, stop_words=stop_words)


def build_char_vectorizer(max_features: int) -> TfidfVectorizer:
    """TF-IDF over character 2-5-grams inside word boundaries, keeping the ``max_features`` most frequent.

    Sublinear term frequencies: a character pair repeated within a post says little more than once.
    """
    return TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, max_features=max_features, sublinear_tf=True)


def character_class(character: str) -> str:
    """letter, digit, punctuation or other (emoji, symbols, nothing) for one character."""
    if character.isalpha():
        return "letter"
    if character.isdigit():
        return "digit"
    if character and unicodedata.category(character).startswith("P"):
        return "punctuation"
    return "other"


def surface_features(texts) -> pd.DataFrame:
    """Features any cleaning difference shows up in, and no wording: one row per text."""
    rows = []
    for text in texts:
        characters, letters = max(len(text), 1), max(sum(c.isalpha() for c in text), 1)
        last = character_class(text.rstrip()[-1:])
        rows.append({
            "starts_with_at": text.startswith("@"),
            "starts_with_uppercase": text[:1].isupper(),
            "characters": len(text),
            "words": len(text.split()),
            "punctuation": sum(unicodedata.category(c).startswith("P") for c in text),
            "uppercase_share": sum(c.isupper() for c in text) / letters,
            "digit_share": sum(c.isdigit() for c in text) / characters,
            "non_ascii_share": sum(not c.isascii() for c in text) / characters,
            "has_link": "http" in text or "www." in text,
        } | {f"ends_with_{kind}": last == kind for kind in ("letter", "digit", "punctuation", "other")})
    return pd.DataFrame(rows).astype(float)


@dataclass(frozen=True)
class Features:
    """One way of turning posts into a matrix, fitted on the train posts and applied to the test posts."""

    train: object
    test: object
    names: np.ndarray


def vectorize(vectorizer, texts: np.ndarray, train, test) -> Features:
    """``vectorizer`` fitted on the train posts' texts, applied to both splits."""
    fitted = vectorizer.fit_transform(texts[train])
    return Features(fitted, vectorizer.transform(texts[test]), vectorizer.get_feature_names_out())


def surface(texts: np.ndarray, train, test) -> Features:
    """The surface features of both splits (nothing to fit: each post's features are its own)."""
    train_features = surface_features(texts[train])
    test_features = surface_features(texts[test])
    return Features(train_features.to_numpy(), test_features.to_numpy(), train_features.columns.to_numpy())


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
    """The random forest with the best cross-validated accuracy over ``grid``, refit on all of X, and its settings.

    A grid of one setting leaves nothing to choose, so that forest is fitted directly, skipping the
    ``cv`` fits of the search (the search would refit the same forest on all of X).
    """
    settings = ParameterGrid(forest_grid(grid))
    # Trees grow in parallel threads: no worker processes to start, no copies of X.
    forest = RandomForestClassifier(random_state=seed, n_jobs=-1)
    try:
        if len(settings) == 1:
            print("classify: random forest, one setting (no grid search)", file=sys.stderr)
            return forest.set_params(**settings[0]).fit(X, y), settings[0]
        print(f"classify: random forest grid search, {len(settings)} settings x {cv} folds", file=sys.stderr)
        search = GridSearchCV(forest, param_grid=grid, cv=cv, scoring="accuracy", error_score="raise").fit(X, y)
    except ValueError as err:  # the data were checked before, so this is an invalid grid value
        raise ElmError(f"classify.random_forest.grid: {err}") from err
    return search.best_estimator_, search.best_params_


def fit_char_logreg(X, y, C: float, seed: int) -> LogisticRegression:
    """Logistic regression with inverse regularisation strength ``C``."""
    return LogisticRegression(C=C, max_iter=1000, random_state=seed).fit(X, y)


def fit_lm_likelihood(X, y, C: float, seed: int):
    """Logistic regression with inverse regularisation strength ``C`` on standardized features
    (log-probs, entropies, shares and token counts live on different scales)."""
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=1000, random_state=seed)).fit(X, y)


def fit_leak_check(X, y, seed: int) -> DecisionTreeClassifier:
    """A small decision tree: a few readable rules on the surface features."""
    tree = DecisionTreeClassifier(max_depth=LEAK_TREE_DEPTH, min_samples_leaf=LEAK_TREE_MIN_LEAF, random_state=seed)
    return tree.fit(X, y)


def probability_real(model, X) -> np.ndarray:
    """P(real) for each post."""
    return model.predict_proba(X)[:, list(model.classes_).index(REAL_LABEL)]


@dataclass(frozen=True)
class Detector:
    """A fitted detector, the names of the features it saw, and its verdicts on the test posts."""

    model: object
    feature_names: np.ndarray
    probability_real: np.ndarray
    predicted: np.ndarray


def tested(model, features: Features) -> Detector:
    """``model``'s P(real) and predicted label for each test post."""
    return Detector(model, features.names, probability_real(model, features.test), model.predict(features.test))


@dataclass(frozen=True)
class Detection:
    """Every fitted detector and what they were tested on."""

    detectors: dict[str, Detector]  # detector name -> fitted and tested detector
    best_params: dict  # the random forest's grid winner
    train_positions: np.ndarray
    test_positions: np.ndarray
    y_test: np.ndarray


def detect(texts, labels, p: params.Classify, likelihood: pd.DataFrame | None = None) -> Detection:
    """Split the posts, then fit and test every detector on texts labelled 1 (real) / 0 (generated).

    ``likelihood``: the posts' LM-likelihood features, row by row (None: no lm_likelihood detector)."""
    texts, labels = np.asarray(texts, dtype=object), np.asarray(labels)
    check_trainable(labels, p.test_size, p.random_forest.cv)
    train, test = split(labels, p.test_size, p.seed)
    y_train = labels[train]
    words = vectorize(build_vectorizer(p.ngram_max, p.max_features, p.stop_words), texts, train, test)
    print(f"classify: {len(train)} train / {len(test)} test posts, {len(words.names)} word features", file=sys.stderr)
    forest, best_params = fit_random_forest(words.train, y_train, p.random_forest.grid, p.random_forest.cv, p.seed)
    characters = vectorize(build_char_vectorizer(p.char_logreg.max_features), texts, train, test)
    print(f"classify: logistic regression on {len(characters.names)} character n-grams", file=sys.stderr)
    surface_view = surface(texts, train, test)
    detectors = {
        "naive_bayes": tested(fit_naive_bayes(words.train, y_train, p.naive_bayes.alpha), words),
        "random_forest": tested(forest, words),
        "char_logreg": tested(fit_char_logreg(characters.train, y_train, p.char_logreg.C, p.seed), characters),
        "leak_check": tested(fit_leak_check(surface_view.train, y_train, p.seed), surface_view),
    }
    if likelihood is not None:
        values = likelihood.to_numpy(dtype=float)
        view = Features(values[train], values[test], likelihood.columns.to_numpy())
        print(f"classify: logistic regression on {len(view.names)} LM-likelihood features", file=sys.stderr)
        detectors["lm_likelihood"] = tested(fit_lm_likelihood(view.train, y_train, p.lm_likelihood.C, p.seed), view)
    return Detection(detectors, best_params, train, test, labels[test])


def accuracy_interval(correct, seed: int, resamples: int = BOOTSTRAP_RESAMPLES, confidence: float = CONFIDENCE):
    """Percentile bootstrap interval of the accuracy, from 1/0 per test post (right/wrong)."""
    correct = np.asarray(correct, dtype=float)
    rng = np.random.default_rng(seed)
    accuracies = np.array([correct[rng.integers(0, len(correct), len(correct))].mean() for _ in range(resamples)])
    tail = (1 - confidence) / 2
    low, high = np.quantile(accuracies, [tail, 1 - tail])
    return float(low), float(high)


def evaluate(detector: Detector, y_test, seed: int) -> dict[str, float]:
    """Accuracy with its bootstrap interval, ROC AUC (from P(real)) and F1 (real as the positive class)."""
    low, high = accuracy_interval(detector.predicted == y_test, seed)
    return {
        "accuracy": float(accuracy_score(y_test, detector.predicted)),
        "accuracy_low": low,
        "accuracy_high": high,
        "roc_auc": float(roc_auc_score(y_test, detector.probability_real)),
        "f1": float(f1_score(y_test, detector.predicted, pos_label=REAL_LABEL)),
    }


def scores(detection: Detection, seed: int) -> dict:
    """The metrics file's content: each detector's test scores (4 places), the leak warning and the split sizes."""
    result = {
        name: {metric: round(value, 4) for metric, value in evaluate(detector, detection.y_test, seed).items()}
        for name, detector in detection.detectors.items()
    }
    return result | {
        "leak_warning": int(result["leak_check"]["accuracy"] > LEAK_ACCURACY),
        "train_posts": len(detection.train_positions),
        "test_posts": len(detection.test_positions),
    }


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
    table = pd.DataFrame({"fpr": ROC_FALSE_POSITIVE_RATES.round(2)})
    for name, detector in detection.detectors.items():
        fpr, tpr, _ = roc_curve(detection.y_test, detector.probability_real, pos_label=REAL_LABEL)
        # The best true positive rate reachable without exceeding each false positive rate.
        reachable = np.searchsorted(fpr, ROC_FALSE_POSITIVE_RATES, side="right") - 1
        table[name] = tpr[reachable].round(4)
    return table


def leak_rules(leak_check: Detector) -> str:
    """The leak check's decision rules, one line per split; "class: 1" leaves predict real."""
    return export_text(leak_check.model, feature_names=list(leak_check.feature_names), decimals=3)


def leak_warning(leak_scores: dict) -> str:
    """The loud message printed when surface features alone tell the classes apart."""
    return (
        f"\n{'!' * 78}\nWARNING: the leak check tells real from generated posts by surface features alone "
        f"(accuracy {leak_scores['accuracy']:.1%}, 95% interval {leak_scores['accuracy_low']:.1%}-"
        f"{leak_scores['accuracy_high']:.1%}; above {LEAK_ACCURACY:.0%} warns).\nThe classes differ in form "
        "(leading @, length, punctuation, ...), so the other detectors' scores measure that as well as style.\n"
        f"See {REPORT_DIR}/leak_check.txt for the rules; clean real and generated posts identically.\n{'!' * 78}\n"
    )


def main(params_path: str = "params.yaml") -> None:
    p = params.load("classify", params_path)
    posts = read_labelled_posts(p.input)
    likelihood = None
    if p.lm_likelihood.enabled:
        if p.input != SAMPLE:
            raise ElmError(
                f"classify.lm_likelihood.enabled: the LM-likelihood features ({LIKELIHOOD}) score the pipeline's "
                f"sample, not {p.input}; set classify.lm_likelihood.enabled to false for other labelled sets"
            )
        likelihood = read_likelihood_features(posts)
    detection = detect(posts["text"], posts["label"], p, likelihood)
    metrics = scores(detection, p.seed)
    with io.atomic_path(REPORT_DIR, directory=True) as report_dir:
        io.write_table(predictions_table(posts, detection), report_dir / "predictions.csv")
        forest = detection.detectors["random_forest"]
        io.write_table(top_features(forest.model, forest.feature_names, TOP_FEATURES), report_dir / "importances.csv")
        io.write_json(detection.best_params, report_dir / "best_params.json")
        io.write_table(roc_table(detection), report_dir / "roc.csv")
        (report_dir / "leak_check.txt").write_text(leak_rules(detection.detectors["leak_check"]), encoding="utf-8")
    io.write_json(metrics, METRICS)
    for name in detection.detectors:
        m = metrics[name]
        print(
            f"{name}: accuracy {m['accuracy']:.4f} (95% interval {m['accuracy_low']:.4f}-{m['accuracy_high']:.4f}), "
            f"ROC AUC {m['roc_auc']:.4f}"
        )
    print("(accuracy near 0.5: the detectors cannot tell generated posts from real ones)")
    if metrics["leak_warning"]:
        print(leak_warning(metrics["leak_check"]), file=sys.stderr)


if __name__ == "__main__":
    cli.run(main, __doc__)
