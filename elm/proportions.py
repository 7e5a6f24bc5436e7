"""Splitting a total across accounts: in proportion to their sizes (sample and generate both do this), or by a
weighting that gives small accounts more (finetune's ``account_weights``)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def stratified_counts(account_sizes: pd.Series, total: int) -> dict[str, int]:
    """Posts to draw per account: proportional to each account's size and summing to ``total``.

    Largest-remainder rounding: every account first gets the floor of its exact share, then the
    accounts with the largest fractional parts (ties by name) get one more post each.
    """
    account_sizes = account_sizes.sort_index()
    shares = account_sizes * total / account_sizes.sum()
    counts = np.floor(shares).astype(int)
    remainders = (shares - counts).sort_values(ascending=False, kind="stable")
    counts[remainders.index[: total - counts.sum()]] += 1
    return {str(account): int(count) for account, count in counts.items()}


def weighted_posts(posts: pd.DataFrame, exponent: float, seed: int) -> pd.DataFrame:
    """``posts`` (with an ``account`` column) re-drawn so that each account's share of them grows as its size to the
    power ``exponent``, as many in all as there are: 1 returns them as they are; below 1 a small account's posts
    repeat (every post before any twice, each round in a fresh seeded order) and a large account's are drawn
    without repeats (0: every account the same share). Accounts stay in their first-seen order."""
    if exponent == 1.0:
        return posts
    weights = posts["account"].value_counts().astype(float) ** exponent
    counts = stratified_counts(weights, len(posts))
    rng = np.random.default_rng(seed)
    drawn = []
    for account in dict.fromkeys(posts["account"]):
        own = posts[posts["account"] == account]
        rounds = -(-counts[str(account)] // len(own))  # ceiling: whole passes over the account's posts
        order = np.concatenate([rng.permutation(len(own)) for _ in range(rounds)])[:counts[str(account)]]
        drawn.append(own.iloc[np.sort(order) if rounds == 1 else order])
    return pd.concat(drawn, ignore_index=True)
