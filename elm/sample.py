"""Drawing the labelled sample the detectors learn from: N real posts stratified by account and N generated
posts, N capped by the smaller class. The generated posts are drawn at random, or (``match_lengths``) as
many per account as the real ones, their lengths spread like the account's training posts'."""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from elm.labels import GENERATED_LABEL, REAL_LABEL
from elm.proportions import stratified_counts

logger = logging.getLogger(__name__)

COLUMNS = ["text", "label", "account"]


def sample_size(posts_per_class: int, real_available: int, generated_available: int) -> int:
    """N posts per class: what was asked for, capped by the smaller class; warns when capped."""
    size = min(posts_per_class, real_available, generated_available)
    if size < posts_per_class:
        short = "generated" if generated_available < real_available else "real"
        fix = ("raise generate.posts" if short == "generated"
               else "raise clean.eval_fraction, add posts or accounts in `scrape`")
        logger.warning(f"warning: sample.posts_per_class is {posts_per_class} but only {size} {short} posts are "
                       f"available; using {size} per class ({fix}, or lower sample.posts_per_class)")
    return size


LENGTH_BINS = 10
"""``match_lengths`` spreads each account's generated posts over the deciles of its training posts' lengths."""


def length_bins(train_lengths: np.ndarray) -> np.ndarray:
    """Edges between the length deciles of one account's training posts (fewer where lengths repeat)."""
    return np.unique(np.quantile(train_lengths, np.linspace(0, 1, LENGTH_BINS + 1)[1:-1]))


def pick_by_length(lengths: np.ndarray, train_lengths: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of ``n`` of the posts of ``lengths`` (characters), spread over the length bins as
    ``train_lengths`` are: at random within a bin; a bin with too few posts is made up from the posts
    nearest to its range. A post longer than every training post is in no bin: taken only as the nearest
    left to make up a bin."""
    edges, longest = length_bins(train_lengths), train_lengths.max()
    bins = np.searchsorted(edges, lengths, side="right")  # bin b holds edges[b-1] <= length < edges[b]
    bins[lengths > longest] = -1
    wanted = {int(b): count for b, count in stratified_counts(
        pd.Series(np.searchsorted(edges, train_lengths, side="right")).value_counts(), n).items()}
    order = rng.permutation(len(lengths))
    taken = np.zeros(len(lengths), dtype=bool)
    for b, count in wanted.items():
        taken[order[bins[order] == b][:count]] = True
    for b, count in wanted.items():
        short = count - int((taken & (bins == b)).sum())
        if short > 0:
            low = edges[b - 1] if b > 0 else -np.inf
            high = edges[b] - 1 if b < len(edges) else longest
            distance = np.maximum(low - lengths, 0) + np.maximum(lengths - high, 0)
            free = order[~taken[order]]
            taken[free[np.argsort(distance[free], kind="stable")[:short]]] = True
    return np.flatnonzero(taken)


def match_lengths(generated: pd.DataFrame, train: pd.DataFrame, counts: dict[str, int],
                  rng: np.random.Generator) -> pd.DataFrame:
    """``counts[account]`` generated posts of each account, their lengths spread like the account's training
    posts' (``pick_by_length``). An account with too few generated posts gives all it has, and the rest are
    drawn at random from the other accounts' posts left over."""
    drawn, short = [], 0
    for account, n in counts.items():
        pool = generated[generated["account"] == account]
        if len(pool) < n:
            logger.warning(f"warning: sample.match_lengths: {account} has {len(pool)} generated posts for its {n} real ones; "
                           f"the other {n - len(pool)} come from other accounts (raise generate.posts)")
            drawn.append(pool)
            short += n - len(pool)
            continue
        train_lengths = train.loc[train["account"] == account, "text"].str.len().to_numpy()
        if len(train_lengths):
            drawn.append(pool.iloc[pick_by_length(pool["text"].str.len().to_numpy(), train_lengths, n, rng)])
        else:  # every post of the account was held out: no lengths to follow
            drawn.append(pool.sample(n=n, random_state=rng))
    if short:
        left = generated.drop(pd.concat(drawn).index)
        drawn.append(left.sample(n=short, random_state=rng))
    return pd.concat(drawn)


def draw_sample(real: pd.DataFrame, generated: pd.DataFrame, size: int, seed: int,
                train: pd.DataFrame | None = None) -> pd.DataFrame:
    """``size`` real posts stratified by account and ``size`` generated posts, shuffled: at random, or with
    ``train`` (the training posts: account, text) as many per account as the real ones and spread over
    lengths like the account's training posts (``match_lengths``)."""
    rng = np.random.default_rng(seed)
    counts = stratified_counts(real["account"].value_counts(), size)
    real_drawn = [real[real["account"] == account].sample(n=n, random_state=rng) for account, n in counts.items()]
    generated_drawn = (generated.sample(n=size, random_state=rng) if train is None
                       else match_lengths(generated, train, counts, rng))
    sample = pd.concat(
        [pd.concat(real_drawn).assign(label=REAL_LABEL), generated_drawn.assign(label=GENERATED_LABEL)],
        ignore_index=True,
    )
    return sample.sample(frac=1, random_state=rng).reset_index(drop=True)[COLUMNS]
