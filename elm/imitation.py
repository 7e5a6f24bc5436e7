"""Imitation metrics: does a generated post sound like its account, feel like it, and vary like it?

Plain functions on texts and account names, so they also run on posts from elsewhere:
  voice      a classifier trained on real posts to tell the accounts apart, applied to generated posts
  sentiment  in elm/sentiment.py (light to import: `sample` uses it without scikit-learn)
  diversity  distinct-n (unique n-grams over all n-grams) and self-BLEU (how much posts repeat one another)
  length     characters per post, summarised and binned
Words are lowercase runs of letters, digits and underscores, as in `generate.copy_kind`.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

ALL = "all_accounts"  # the key of the summary over every account
BLEU_ORDER = 4
SMOOTHING = 0.1  # an n-gram order without any match counts as 0.1 matches (nltk's method1), not as 0
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


def closest_length(length: int, reference_lengths) -> int:
    """The reference length nearest to ``length`` (the shorter on a tie), as BLEU's brevity penalty uses."""
    return min(reference_lengths, key=lambda r: (abs(r - length), r))


def bleu(hypothesis: Sequence[str], reference_count: Callable[[tuple], int], reference_length: int) -> float:
    """Smoothed sentence BLEU-4 of a tokenized hypothesis, geometric mean of 1..4-gram precisions times
    the brevity penalty. ``reference_count(gram)``: the most times any one reference holds ``gram``
    (the clip). Hypotheses shorter than 4 words have no 4-grams: 0."""
    if len(hypothesis) < BLEU_ORDER:
        return 0.0
    log_precision = 0.0
    for n in range(1, BLEU_ORDER + 1):
        grams = Counter(ngrams(hypothesis, n))
        total = sum(grams.values())
        matches = sum(min(count, reference_count(gram)) for gram, count in grams.items())
        log_precision += math.log((matches or SMOOTHING) / total) / BLEU_ORDER
    brevity = min(0.0, 1 - reference_length / len(hypothesis))
    return math.exp(log_precision + brevity)


def sentence_bleu(hypothesis: str, references: Sequence[str]) -> float:
    """BLEU-4 of one text against reference texts."""
    reference_words = [words(r) for r in references]
    counts: Counter = Counter()
    for tokens in reference_words:
        counts |= Counter(g for n in range(1, BLEU_ORDER + 1) for g in ngrams(tokens, n))  # | keeps the max
    hypothesis_words = words(hypothesis)
    length = closest_length(len(hypothesis_words), [len(r) for r in reference_words])
    return bleu(hypothesis_words, lambda gram: counts[gram], length)


class ReferenceIndex:
    """For every n-gram of a set of posts, the two posts holding it most often: the clip of BLEU against
    all posts but one (self-BLEU) then costs one look-up, not a pass over every post."""

    def __init__(self, tokenized: Sequence[Sequence[str]]):
        self.top: dict[tuple, list[tuple[int, int]]] = {}  # gram -> up to two (count, post), highest first
        for post, tokens in enumerate(tokenized):
            grams = Counter(g for n in range(1, BLEU_ORDER + 1) for g in ngrams(tokens, n))
            for gram, count in grams.items():
                best = self.top.setdefault(gram, [])
                best.append((count, post))
                best.sort(key=lambda entry: -entry[0])
                del best[2:]

    def count_excluding(self, gram: tuple, post: int) -> int:
        """The most times any post other than ``post`` holds ``gram``."""
        return next((count for count, holder in self.top.get(gram, []) if holder != post), 0)


def self_bleu(texts: Sequence[str], hypotheses: int, seed: int) -> float | None:
    """Mean BLEU-4 of up to ``hypotheses`` posts drawn at random (of those with 4 words or more), each
    against all the other posts: near 0 the posts are varied, near 1 they repeat one another.
    None when fewer than two posts, or no post of 4 words or more."""
    tokenized = [words(text) for text in texts]
    candidates = [i for i, tokens in enumerate(tokenized) if len(tokens) >= BLEU_ORDER]
    if len(tokenized) < 2 or not candidates:
        return None
    chosen = np.random.default_rng(seed).choice(candidates, min(hypotheses, len(candidates)), replace=False)
    index = ReferenceIndex(tokenized)
    lengths = [len(tokens) for tokens in tokenized]
    scores = [
        bleu(tokenized[i], lambda gram, i=i: index.count_excluding(gram, i),
             closest_length(lengths[i], lengths[:i] + lengths[i + 1:]))
        for i in chosen
    ]
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
