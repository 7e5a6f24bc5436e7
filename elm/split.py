"""The train / eval split of the clean posts: within each account, the eval_fraction of posts with the lowest
hash of (seed, id) are eval, at least one eval and one train post for an account with two or more posts
(when eval_fraction > 0). The same posts and seed give the same split on every machine."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from elm.labels import EVAL_SPLIT, SPLITS, TRAIN_SPLIT


def assign_splits(posts: pd.DataFrame, eval_fraction: float, seed: int) -> np.ndarray:
    """"eval" or "train" for each post: per account, the posts with the lowest draws are eval."""
    # tolist(): iterating the Series itself costs ~1 us an element more
    draws = pd.Series([stable_draw(seed, post_id) for post_id in posts["id"].tolist()], index=posts.index, dtype=float)
    by_account = draws.groupby(posts["account"])
    rank = by_account.rank(method="first")
    eval_posts = eval_counts(by_account.transform("size"), eval_fraction)
    return np.where(rank <= eval_posts, EVAL_SPLIT, TRAIN_SPLIT)


def stable_draw(seed: int, post_id: str) -> float:
    """A number in [0, 1) fixed by (seed, id) on every machine and run (Python's hash() is not)."""
    digest = hashlib.blake2b(f"{seed}:{post_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def eval_counts(account_sizes: pd.Series, eval_fraction: float) -> pd.Series:
    """How many of an account's posts go to eval: the fraction rounded, but at least one and leaving
    at least one for training (none when the account has fewer than two posts)."""
    rounded = np.floor(account_sizes * eval_fraction + 0.5).clip(lower=1, upper=account_sizes - 1)
    return rounded.where((account_sizes >= 2) & (eval_fraction > 0), 0)


def add_split_counts(report: dict, posts: pd.DataFrame) -> None:
    """Add the train and eval counts to the report, overall and per account."""
    overall = posts["split"].value_counts()
    per_account = posts.groupby("account")["split"].value_counts()
    report["split"] = {split: int(overall.get(split, 0)) for split in SPLITS}
    for account, summary in report["accounts"].items():
        summary["split"] = {split: int(per_account.get((account, split), 0)) for split in SPLITS}
