"""finetune.account_weights: how much of the training each account gets, and that generation keeps each account's
share of the real posts whatever the weighting."""
from __future__ import annotations

import pandas as pd
import pytest

from elm.params.finetune import ACCOUNT_WEIGHTS
from elm.proportions import weighted_posts
from stages import finetune

SIZES = {"big": 900, "mid": 100, "small": 25}


def corpus() -> pd.DataFrame:
    rows = [{"account": account, "text": f"{account} post {i}", "split": "train"}
            for account, size in SIZES.items() for i in range(size)]
    rows += [{"account": account, "text": f"{account} held {i}", "split": "eval"} for account in SIZES for i in range(3)]
    return pd.DataFrame(rows)


def shares(posts: pd.DataFrame) -> dict[str, int]:
    return posts["account"].value_counts().to_dict()


def test_proportional_keeps_the_posts_as_they_are():
    train = corpus()[lambda c: c["split"] == "train"]
    assert weighted_posts(train, ACCOUNT_WEIGHTS["proportional"], seed=0) is train


@pytest.mark.parametrize(("weighting", "expected"), [
    ("balanced", {"big": 342, "mid": 342, "small": 341}),
    # shares grow as the square root of the size: 30 : 10 : 5 of 1,025 posts
    ("sqrt", {"big": 683, "mid": 228, "small": 114}),
])
def test_weighting_gives_small_accounts_more_and_keeps_the_total(weighting, expected):
    train = corpus()[lambda c: c["split"] == "train"]
    weighted = weighted_posts(train, ACCOUNT_WEIGHTS[weighting], seed=0)
    assert len(weighted) == len(train) and shares(weighted) == expected
    small = weighted[weighted["account"] == "small"]["text"]
    # every post of a repeated account is used before any is used again
    assert small.value_counts().max() - small.value_counts().min() <= 1 and small.nunique() == SIZES["small"]
    big = weighted[weighted["account"] == "big"]["text"]
    assert big.is_unique  # a large account is drawn from, never repeated
    assert weighted_posts(train, ACCOUNT_WEIGHTS[weighting], seed=0).equals(weighted)  # seeded
    assert not weighted_posts(train, ACCOUNT_WEIGHTS[weighting], seed=1).equals(weighted)


def test_the_finetune_stage_trains_on_the_weighted_posts_and_holds_out_the_same_eval_posts():
    posts = corpus()
    train, held = finetune.documents(posts, "balanced", seed=0)
    assert len(train) == sum(SIZES.values()) and len(held) == 3 * len(SIZES)
    assert sum(line.startswith("small: ") for line in train) == 341
    assert finetune.documents(posts, "proportional")[1] == held
    plain, _ = finetune.documents(posts, "proportional")
    assert plain == [f"{a}: {t}" for a, t in posts[posts["split"] == "train"][["account", "text"]].to_numpy()]
