"""Imitation metrics: does a generated post sound like its account, feel like it, and vary like it?

Plain functions on texts and account names, so they also run on posts from elsewhere:
  voice      a classifier trained on real posts to tell the accounts apart, applied to generated posts
  sentiment  in elm/sentiment.py (light to import: `sample` uses it without scikit-learn)
  diversity  distinct-n (unique n-grams over all n-grams) and self-BLEU (how much posts repeat one another)
  length     characters per post, summarised and binned
and what the evaluate stage reports of them: the voice classifier's verdicts on real and generated posts
(``voice``), the summary's headline, and its tables.
Words are lowercase runs of letters, digits and underscores, as in `generate.copy_kind`.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from elm.labels import EVAL_SPLIT, TRAIN_SPLIT
from elm.sentiment import SENTIMENT_FIELDS

logger = logging.getLogger(__name__)

ALL = "all_accounts"  # the key of the summary over every account
BLEU_ORDER = 4
LENGTH_BIN_CHARS = 20
DECIMALS = 4  # what the summary and its tables are rounded to
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


# --- What the evaluate stage reports ---

@dataclass(frozen=True)
class Attribution:
    """What the voice classifier found: which account each generated post is attributed to."""

    shares: pd.DataFrame  # index: all_accounts then each account; columns real_eval, generated (NaN: no posts)
    chance: float  # the share a classifier guessing at random would attribute rightly
    attributions: pd.DataFrame  # each generated post: text, account (generated as), predicted (attributed to)

    def metrics(self) -> dict:
        by_account = {account: row.dropna().to_dict() for account, row in self.shares.iterrows()}
        by_account[ALL]["chance"] = self.chance
        return by_account


def voice(real: pd.DataFrame, generated: pd.DataFrame) -> Attribution | None:
    """Train the voice classifier on the real train posts; attribute the real eval posts and the
    generated ones. None (with a note) when the real train posts hold fewer than two accounts."""
    train, held_out = real[real["split"] == TRAIN_SPLIT], real[real["split"] == EVAL_SPLIT]
    accounts = sorted(train["account"].unique())
    if len(accounts) < 2:
        logger.info("evaluate: voice skipped, the real train posts hold fewer than two accounts")
        return None
    unknown = sorted(set(generated["account"]) - set(accounts))
    if unknown:
        logger.info(f"evaluate: no real train posts for {', '.join(unknown)}: their generated posts cannot be "
                    "attributed to them")
    logger.info(f"evaluate: voice classifier on {len(train)} real train posts, {len(accounts)} accounts")
    classifier = fit_voice_classifier(train["text"], train["account"])
    predicted = classifier.predict(generated["text"])
    shares = {"real_eval": {}, "generated": attribution_rates(generated["account"], predicted)}
    if held_out.empty:
        logger.info("evaluate: no real eval posts (clean.eval_fraction 0): no real_eval baseline")
    else:
        shares["real_eval"] = attribution_rates(held_out["account"], classifier.predict(held_out["text"]))
    table = pd.DataFrame(shares, columns=["real_eval", "generated"], dtype=float)
    table = table.reindex([ALL, *sorted(set(table.index) - {ALL})]).rename_axis("account")
    attributions = generated.assign(predicted=predicted)[["text", "account", "predicted"]]
    return Attribution(table, 1 / len(accounts), attributions)


def sample_diversity(real: pd.DataFrame, generated: pd.DataFrame, sample_posts: int, self_bleu_posts: int,
                     seed: int) -> dict:
    """distinct-1/2 and self-BLEU of equal-size random samples of real and generated posts."""
    real_texts, generated_texts = equal_samples(list(real["text"]), list(generated["text"]), sample_posts, seed)
    logger.info(f"evaluate: diversity of {len(real_texts)} real and {len(generated_texts)} generated posts")
    return {
        "sample_posts": len(real_texts),
        **{source: diversity(texts, self_bleu_posts, seed)
           for source, texts in (("real", real_texts), ("generated", generated_texts))},
    }


def wide_table(summaries: dict[str, dict[str, dict]], fields) -> pd.DataFrame:
    """One row per account, columns <source>_<field> (e.g. generated_positive), from by_account's result."""
    rows = [{"account": account, **{f"{source}_{field}": summary.get(source, {}).get(field)
                                    for source in ("real", "generated") for field in fields}}
            for account, summary in summaries.items()]
    return pd.DataFrame(rows)


def rounded(value):
    """``value`` with every float in it rounded to DECIMALS places."""
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    return round(value, DECIMALS) if isinstance(value, float) else value


def headline(summary: dict) -> dict:
    """What `dvc exp show` compares of ``summary`` (reports/metrics/evaluate.json): ``voice_ratio``, the share of
    generated posts attributed to their own account over that of real held-out posts (1: the generated posts carry
    their account's voice as well as its real posts do; None when no real held-out post is attributed); nothing
    when voice was not measured. Every other number, real and generated side by side, is in summary.json."""
    voice_all = summary.get("voice", {}).get(ALL, {})
    if "generated" not in voice_all or "real_eval" not in voice_all:
        return {}
    return {"voice_ratio": voice_all["generated"] / voice_all["real_eval"] if voice_all["real_eval"] else None}


def report_tables(posts: pd.DataFrame, sentiments: dict, voice_result: Attribution | None) -> dict[str, pd.DataFrame]:
    """The CSV files of reports/evaluate/ by name."""
    chars = {source: posts.loc[posts["source"] == source, "chars"] for source in ("real", "generated")}
    tables = {
        "sentiment.csv": wide_table(sentiments, SENTIMENT_FIELDS).round(DECIMALS),
        "lengths.csv": length_histogram(chars, LENGTH_BIN_CHARS).round(DECIMALS),
    }
    if voice_result is not None:
        tables["voice.csv"] = voice_result.shares.round(DECIMALS).reset_index()
        tables["voice_predictions.csv"] = voice_result.attributions
    return tables
