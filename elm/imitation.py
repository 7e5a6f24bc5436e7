"""Imitation metrics: does a generated post sound like its account, feel like it, and vary like it?

Plain functions on texts and account names, so they also run on posts from elsewhere:
  voice      a classifier trained on real posts to tell the accounts apart, applied to generated posts
  sentiment  in elm/sentiment.py (light to import: `sample` uses it without scikit-learn)
  diversity  distinct-n (unique n-grams over all n-grams) and self-BLEU (how much posts repeat one another)
  length     characters per post, summarised and binned
Words are lowercase runs of letters, digits and underscores, as in `generate.copy_kind`.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

ALL = "all_accounts"  # the key of the summary over every account
BLEU_ORDER = 4
WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


# --- Voice ---

def fit_voice_classifier(texts, accounts) -> Pipeline:
    """TF-IDF word 1-2-grams and a logistic regression that tells the accounts apart.

    Balanced class weights: a big account would otherwise attract the posts the model is unsure of,
    and its attribution rate would look better than its voice is. Newton-CG converges in a few
    iterations here, where lbfgs took 20+ and, on a busy 2-core machine, 10-30 times longer; and it
    draws nothing at random, so it needs no seed.
    """
    classifier = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        LogisticRegression(solver="newton-cg", max_iter=1000, class_weight="balanced"),
    )
    return classifier.fit(list(texts), list(accounts))


def attribution_rates(accounts, predicted) -> dict[str, float]:
    """Per account, the share of its posts the classifier attributed to it; under ALL, the share of all posts."""
    hits = pd.Series(np.asarray(predicted) == np.asarray(accounts), index=np.asarray(accounts))
    return {ALL: float(hits.mean()), **{str(a): float(share) for a, share in hits.groupby(level=0).mean().items()}}


# --- Length ---

def length_summary(chars) -> dict[str, float]:
    chars = np.asarray(chars, dtype=float)
    return {"mean_chars": float(chars.mean()), "median_chars": float(np.median(chars))}


def length_histogram(chars_by_source: dict[str, Sequence[int]], bin_chars: int) -> pd.DataFrame:
    """Share of each source's posts per ``bin_chars``-wide length bin; column ``chars`` is the bin's start."""
    longest = max(max(chars, default=0) for chars in chars_by_source.values())
    table = pd.DataFrame({"chars": np.arange(0, longest + 1, bin_chars)})
    for source, chars in chars_by_source.items():
        counts = Counter(np.asarray(chars, dtype=int) // bin_chars * bin_chars)
        table[source] = [counts[start] / max(1, len(chars)) for start in table["chars"]]
    return table


# --- Diversity ---

def distinct_n(texts, n: int) -> float:
    """Distinct n-grams over all n-grams in ``texts`` (0 when they hold none). Depends on how many texts
    there are (more texts repeat more), so compare sets of equal size."""
    grams = [gram for text in texts for gram in ngrams(words(text), n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def equal_samples(first, second, size: int, seed: int) -> tuple[list[str], list[str]]:
    """``size`` texts drawn at random, without replacement, from each of two collections (capped by the smaller)."""
    rng = np.random.default_rng(seed)
    size = min(size, len(first), len(second))
    return ([first[i] for i in rng.choice(len(first), size, replace=False)],
            [second[i] for i in rng.choice(len(second), size, replace=False)])


def self_bleu(texts: Sequence[str], hypotheses: int, seed: int) -> float | None:
    """Mean BLEU-4 of up to ``hypotheses`` posts drawn at random (of those with 4 words or more), each
    against all the other posts (nltk's sentence BLEU, smoothed by its method 1: an n-gram order without
    a match counts 0.1 matches): near 0 the posts are varied, near 1 they repeat one another.
    None when fewer than two posts, or no post of 4 words or more."""
    tokenized = [words(text) for text in texts]
    candidates = [i for i, tokens in enumerate(tokenized) if len(tokens) >= BLEU_ORDER]
    if len(tokenized) < 2 or not candidates:
        return None
    chosen = np.random.default_rng(seed).choice(candidates, min(hypotheses, len(candidates)), replace=False)
    smoothing = SmoothingFunction().method1
    scores = [sentence_bleu(tokenized[:i] + tokenized[i + 1:], tokenized[i], smoothing_function=smoothing)
              for i in chosen]
    return float(np.mean(scores))


def diversity(texts: Sequence[str], self_bleu_posts: int, seed: int) -> dict[str, float]:
    """distinct-1, distinct-2 and self-BLEU (when defined) of a set of posts."""
    summary = {"distinct_1": distinct_n(texts, 1), "distinct_2": distinct_n(texts, 2)}
    repetition = self_bleu(texts, self_bleu_posts, seed)
    return summary if repetition is None else {**summary, "self_bleu": repetition}


# --- Per account ---

def by_account(posts: pd.DataFrame, column: str, summarize: Callable) -> dict[str, dict[str, dict]]:
    """{account: {source: summarize(values of ``column``)}} for ALL and each account, for each source
    ("real", "generated") that has posts of that account."""
    groups = {ALL: posts, **{str(account): group for account, group in posts.groupby("account", sort=True)}}
    return {
        account: {source: summarize(values[column]) for source, values in group.groupby("source", sort=False)}
        for account, group in groups.items()
    }
