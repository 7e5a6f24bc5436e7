"""How well a detector did on the test posts: accuracy with its 95% Wilson interval, ROC AUC, the true positive
rate at 1% false positives, F1, ROC curve."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binomtest
from sklearn.metrics import f1_score, roc_auc_score, roc_curve

from elm.labels import GENERATED_LABEL, REAL_LABEL

CONFIDENCE = 0.95
LOW_FALSE_POSITIVE_RATE = 0.01  # a detector that flags real posts rarely: its catch rate there
ROC_FALSE_POSITIVE_RATES = np.linspace(0.0, 1.0, 101)


def accuracy_interval(correct, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of the accuracy, from 1/0 per test post (right/wrong).

    Unlike the normal approximation it stays inside [0, 1] and keeps its coverage near 0% and 100%."""
    correct = np.asarray(correct, dtype=bool)
    interval = binomtest(int(correct.sum()), len(correct)).proportion_ci(confidence, method="wilson")
    return float(interval.low), float(interval.high)


def evaluate(probability_real, predicted, y_test) -> dict[str, float]:
    """Accuracy with its 95% interval, ROC AUC (from P(real)), the true positive rate at 1% false positives and
    F1 (real as the positive class)."""
    correct = np.asarray(predicted) == np.asarray(y_test)
    low, high = accuracy_interval(correct)
    return {
        "accuracy": float(correct.mean()),
        "accuracy_low": low,
        "accuracy_high": high,
        "roc_auc": float(roc_auc_score(y_test, probability_real)),
        "tpr_at_1pct_fpr": tpr_at_fpr(probability_real, y_test, LOW_FALSE_POSITIVE_RATE),
        "f1": float(f1_score(y_test, predicted, pos_label=REAL_LABEL)),
    }


def tpr_at_fpr(probability_real, y_test, false_positive_rate: float) -> float:
    """The share of generated posts caught while at most ``false_positive_rate`` of real posts are flagged as
    generated (generated is the positive class here, as in the detection literature; the best threshold)."""
    fpr, tpr, _ = roc_curve(np.asarray(y_test) == GENERATED_LABEL, 1 - np.asarray(probability_real, dtype=float))
    return float(tpr[fpr <= false_positive_rate].max())


def roc_points(probability_real, y_test) -> np.ndarray:
    """The ROC curve's true positive rate at each of ROC_FALSE_POSITIVE_RATES (one shared x for plotting)."""
    fpr, tpr, _ = roc_curve(y_test, probability_real, pos_label=REAL_LABEL)
    # The best true positive rate reachable without exceeding each false positive rate.
    reachable = np.searchsorted(fpr, ROC_FALSE_POSITIVE_RATES, side="right") - 1
    return tpr[reachable]


def roc_table(curves: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per detector and false positive rate: detector, fpr, tpr. Long rather than a column per detector,
    so that the ROC chart (dvc.yaml, template .dvc/plots/roc.json) draws whichever detectors ran."""
    fpr = ROC_FALSE_POSITIVE_RATES.round(2)
    return pd.DataFrame({"detector": np.repeat(list(curves), len(fpr)), "fpr": np.tile(fpr, len(curves)),
                         "tpr": np.concatenate([np.asarray(tpr).round(4) for tpr in curves.values()])
                         if curves else np.array([], dtype=float)})
