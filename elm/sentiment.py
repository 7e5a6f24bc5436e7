"""Sentiment: VADER's compound score per post, summarised as shares positive / negative / neutral.

Its own module, apart from `elm.imitation`, so that `sample` (the optimism filter) loads VADER
without scikit-learn.
"""
from __future__ import annotations

import numpy as np
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
