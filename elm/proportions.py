"""Splitting a total across accounts in proportion to their sizes (sample and generate both do this)."""
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
