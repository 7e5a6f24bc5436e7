"""Sentiment: VADER's compound score per post, summarised as shares positive / negative / neutral, and the
optimism filter that keeps generated posts at or above a score.

Its own module, apart from `elm.imitation`, so that `sample` (the optimism filter) loads VADER
without scikit-learn.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

POSITIVE, NEGATIVE = 0.05, -0.05  # VADER's usual thresholds on the compound score
SENTIMENT_FIELDS = ("positive", "negative", "neutral", "mean_compound")


def compound_scores(texts) -> np.ndarray:
    """VADER's compound score (-1 most negative .. 1 most positive) of each text."""
    analyzer = SentimentIntensityAnalyzer()
    return np.array([analyzer.polarity_scores(text)["compound"] for text in texts], dtype=float)


def sentiment_summary(compounds) -> dict[str, float]:
    """Shares of posts positive (compound >= 0.05), negative (<= -0.05) and neutral, and the mean compound."""
    compounds = np.asarray(compounds, dtype=float)
    positive, negative = compounds >= POSITIVE, compounds <= NEGATIVE
    shares = (positive.mean(), negative.mean(), (~positive & ~negative).mean(), compounds.mean())
    return dict(zip(SENTIMENT_FIELDS, map(float, shares)))


def sentiment_filter(generated: pd.DataFrame, min_sentiment: float | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The generated posts kept (compound score >= ``min_sentiment``; all when None) and those removed,
    the removed ones with their score."""
    if min_sentiment is None:
        return generated, generated.iloc[:0].assign(compound=pd.Series(dtype=float))
    compound = compound_scores(generated["text"])
    keep = compound >= min_sentiment
    return generated[keep], generated[~keep].assign(compound=compound[~keep])


def removal_counts(generated: pd.DataFrame, removed: pd.DataFrame, min_sentiment: float | None) -> dict:
    """How many generated posts the sentiment filter removed, overall and per account."""
    per_account = removed["account"].value_counts().reindex(sorted(generated["account"].unique()), fill_value=0)
    return {
        "min_sentiment": min_sentiment,
        "generated_removed": len(removed),
        "generated_removed_share": round(len(removed) / len(generated), 4),
        "removed_per_account": {str(a): int(n) for a, n in per_account.items()},
    }
