"""Discriminator rejection sampling (Azadi et al., "Discriminator Rejection Sampling", ICLR 2019): keep a generated
post with a probability that grows with a discriminator's odds that it is real, so the posts kept follow the
real posts more closely. Off by default (``generate.rejection.enabled``).

Honest only if the evaluation never sees what the discriminator learnt from: it is trained on the real posts of
clean's *train* split (the sample draws its real posts from the held-out split) against generated posts set
apart for it (``discriminator_posts``, never written out), and the detectors are then trained afresh on the
posts it kept. The discriminator is a logistic regression on TF-IDF character 2-5-grams (the char_logreg
detector's features: text only). With D(x) its probability that x is real and logit L(x), DRS accepts x with
probability sigmoid(F(x) - gamma), F(x) = L(x) - L* - log(1 - exp(L(x) - L* - eps)), L* the largest logit among
the candidates: the odds D/(1-D) estimate p_real/p_generated, and DRS keeps a post in proportion to that ratio,
gamma shifting how many are kept (higher: fewer, closer to the real posts).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from elm.proportions import stratified_counts

EPSILON = 1e-6


def fit_discriminator(real: pd.Series, generated: pd.Series, seed: int):
    """P(real) of a post: char 2-5-gram TF-IDF and a logistic regression, real labelled 1, generated 0."""
    texts = pd.concat([real, generated], ignore_index=True)
    labels = np.r_[np.ones(len(real), dtype=int), np.zeros(len(generated), dtype=int)]
    model = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, max_features=100_000),
                          LogisticRegression(max_iter=1000, random_state=seed, class_weight="balanced"))
    return model.fit(texts, labels)


def acceptance(logits: np.ndarray, gamma: float) -> np.ndarray:
    """DRS's acceptance probability of each candidate from the discriminator's logits (log odds of real)."""
    shifted = logits - logits.max()  # <= 0: the likeliest-real candidate has ratio 1
    f = shifted - np.log1p(-np.exp(shifted - EPSILON)) - gamma
    return 1.0 / (1.0 + np.exp(-f))


def select(generated: pd.DataFrame, train: pd.DataFrame, posts: int, discriminator_posts: int, gamma: float,
           seed: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """The generated posts (account, text) DRS keeps, at most each account's share of ``posts`` (in proportion to
    its training posts), and what it set aside: {discriminator: posts it trained on, rejected: posts DRS
    refused, surplus: accepted beyond an account's share}."""
    rng = np.random.default_rng(seed)
    pool = np.zeros(len(generated), dtype=bool)
    pool[rng.choice(len(generated), size=min(discriminator_posts, len(generated) // 2), replace=False)] = True
    discriminator = fit_discriminator(train["text"], generated.loc[pool, "text"], seed)
    candidates = generated[~pool]
    real_column = list(discriminator.classes_).index(1)
    probability = np.clip(discriminator.predict_proba(candidates["text"])[:, real_column], EPSILON, 1 - EPSILON)
    accepted = candidates[rng.random(len(candidates)) < acceptance(np.log(probability / (1 - probability)), gamma)]
    wanted = stratified_counts(train["account"].value_counts(), posts)
    kept = pd.concat([accepted[accepted["account"] == account].head(count) for account, count in wanted.items()])
    counts = {"discriminator": int(pool.sum()), "rejected": len(candidates) - len(accepted),
              "surplus": len(accepted) - len(kept)}
    return kept.sort_index(), counts
