"""The labelled posts the detectors read, checked, and their train/test split."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from elm import io, paths
from elm.errors import ElmError
from elm.labels import GENERATED_LABEL, REAL_LABEL

TEXT_COLUMNS = ("text", "tweet_clean")  # the study's set names its text column tweet_clean


def read_labelled_posts(path: str | Path) -> pd.DataFrame:
    """text, label (1 real / 0 generated) and account ("" when the file has none) of every post in ``path``."""
    path = Path(path)
    fix = "rerun `dvc repro sample`" if path == paths.SAMPLE else "fix the file or point classify.input at another one"
    if path != paths.SAMPLE and not Path(path).exists():
        raise ElmError(
            f"classify.input: {path} not found (paths are relative to the project root); "
            f"set it to a labelled set, or to {paths.SAMPLE} for the pipeline's own sample"
        )
    posts = io.read_table(path, "sample")
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


def read_likelihood_features(posts: pd.DataFrame, path: str = paths.LIKELIHOOD) -> pd.DataFrame:
    """The `likelihood` stage's numeric features of ``posts`` (read from the sample), row by row.

    The file repeats each post's text, so features scored on another sample are refused, not misaligned."""
    features = io.read_table(path, "likelihood")

    def stale(detail: str) -> ElmError:
        return ElmError(f"{path} was scored on another sample than {paths.SAMPLE} ({detail}); rerun `dvc repro likelihood`")

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
            f"Check classify.input (by default {paths.SAMPLE}, from the `sample` stage's inputs "
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
