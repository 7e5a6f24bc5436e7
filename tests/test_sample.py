"""The `sample` stage: sample size capping, exact stratification, determinism, clear errors."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from elm import io, paths, proportions
from elm.errors import ElmError
from elm.labels import GENERATED_LABEL, REAL_LABEL
from elm.sample import pick_by_length
from stages import sample

from helpers import VOCABULARY, posts, write_generated, write_real


def set_sample_params(workdir, default_params, posts_per_class: int, seed: int = 0, min_sentiment=None,
                      real_from: str = "heldout", match_lengths: bool = False) -> None:
    default_params["sample"] = {"posts_per_class": posts_per_class, "seed": seed, "min_sentiment": min_sentiment,
                                "real_from": real_from, "match_lengths": match_lengths}
    workdir.write_params(default_params)


def read_outputs() -> tuple[pd.DataFrame, dict]:
    drawn = pd.read_parquet("data/sample/sample.parquet")
    metrics = json.loads(open("reports/sample/breakdown.json").read())  # every count
    return drawn, metrics


def test_sample_is_balanced_labelled_and_reported(workdir, default_params):
    real = write_real({"sailor": 40, "baker": 20})
    generated = posts(VOCABULARY["model"], 50, seed=1)
    write_generated(generated)
    set_sample_params(workdir, default_params, posts_per_class=30)

    sample.main()

    drawn, metrics = read_outputs()
    assert list(drawn.columns) == ["text", "label", "account"]
    assert drawn["label"].value_counts().to_dict() == {REAL_LABEL: 30, GENERATED_LABEL: 30}
    assert set(drawn.loc[drawn["label"] == REAL_LABEL, "text"]) <= set(real["text"])
    assert set(drawn.loc[drawn["label"] == GENERATED_LABEL, "text"]) <= set(generated)
    assert not drawn["text"].duplicated().any()
    assert metrics == {
        "posts_per_class": 30,
        "real_from": "heldout",
        "real_available": 60,
        "generated_available": 50,
        "real_per_account": {"baker": 10, "sailor": 20},
        "sentiment_filter": {"min_sentiment": None, "generated_removed": 0, "generated_removed_share": 0.0,
                             "removed_per_account": {"sailor": 0}},
    }
    assert pd.read_parquet(paths.REMOVED_BY_SENTIMENT).empty


def test_sample_is_shuffled(workdir, default_params):
    write_real({"sailor": 40})
    write_generated(posts(VOCABULARY["model"], 40, seed=1))
    set_sample_params(workdir, default_params, posts_per_class=40)

    sample.main()

    labels = read_outputs()[0]["label"].tolist()
    assert labels != sorted(labels) and labels != sorted(labels, reverse=True)


@pytest.mark.parametrize(
    ("real_counts", "generated", "expected", "short"),
    [({"sailor": 30, "baker": 20}, 12, 12, "generated"), ({"sailor": 5, "baker": 4}, 40, 9, "real")],
)
def test_n_is_capped_by_the_smaller_class_with_a_warning(
    workdir, default_params, capsys, real_counts, generated, expected, short
):
    write_real(real_counts)
    write_generated(posts(VOCABULARY["model"], generated, seed=1))
    set_sample_params(workdir, default_params, posts_per_class=100)

    sample.main()

    drawn, metrics = read_outputs()
    assert metrics["posts_per_class"] == expected
    assert len(drawn) == 2 * expected
    warning = capsys.readouterr().err
    assert "warning" in warning and f"only {expected} {short} posts" in warning


def test_no_warning_when_enough_posts(workdir, default_params, capsys):
    write_real({"sailor": 30})
    write_generated(posts(VOCABULARY["model"], 30, seed=1))
    set_sample_params(workdir, default_params, posts_per_class=10)

    sample.main()

    assert "warning" not in capsys.readouterr().err


def test_real_posts_are_stratified_exactly(workdir, default_params):
    # Exact shares 15, 7.5 and 2.5: the two half posts tie, and the tie goes to the first name (baker).
    write_real({"sailor": 60, "baker": 30, "cook": 10})
    write_generated(posts(VOCABULARY["model"], 40, seed=1))
    set_sample_params(workdir, default_params, posts_per_class=25)

    sample.main()

    drawn, metrics = read_outputs()
    per_account = drawn.loc[drawn["label"] == REAL_LABEL, "account"].value_counts().to_dict()
    assert per_account == {"sailor": 15, "baker": 8, "cook": 2}
    assert metrics["real_per_account"] == {"baker": 8, "cook": 2, "sailor": 15}


@given(
    sizes=st.lists(st.integers(min_value=1, max_value=500), min_size=1, max_size=8),
    fraction=st.floats(min_value=0.0, max_value=1.0),
)
def test_stratified_counts_sum_exactly_and_stay_within_one_of_the_share(sizes, fraction):
    account_sizes = pd.Series(sizes, index=[f"account{i}" for i in range(len(sizes))])
    total = round(fraction * sum(sizes))

    counts = proportions.stratified_counts(account_sizes, total)

    assert sum(counts.values()) == total
    for account, count in counts.items():
        share = account_sizes[account] * total / account_sizes.sum()
        assert abs(count - share) < 1
        assert 0 <= count <= account_sizes[account]


def test_same_seed_same_sample_other_seed_other_sample(workdir, default_params):
    write_real({"sailor": 50, "baker": 50})
    write_generated(posts(VOCABULARY["model"], 80, seed=1))
    set_sample_params(workdir, default_params, posts_per_class=40, seed=3)

    sample.main()
    first = read_outputs()[0]
    sample.main()
    again = read_outputs()[0]
    set_sample_params(workdir, default_params, posts_per_class=40, seed=4)
    sample.main()
    other_seed = read_outputs()[0]

    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other_seed)


def test_blank_posts_are_not_counted(workdir, default_params):
    write_real({"sailor": 20})
    write_generated(posts(VOCABULARY["model"], 10, seed=1) + ["", "   "])
    set_sample_params(workdir, default_params, posts_per_class=50)

    sample.main()

    drawn, metrics = read_outputs()
    assert metrics["generated_available"] == 10
    assert drawn["text"].str.strip().ne("").all()


@pytest.mark.parametrize("real_from", ["heldout", "all"])
def test_real_posts_come_from_the_held_out_split_unless_all_is_asked(workdir, default_params, real_from):
    """heldout: the model never trained on the real posts drawn, so memorization cannot flatter the score."""
    trained = write_real({"sailor": 40}, seed=1, split="train")
    held_out = write_real({"sailor": 40}, seed=2, split="eval")
    io.write_table(pd.concat([trained, held_out], ignore_index=True), "data/clean/posts.parquet")
    write_generated(posts(VOCABULARY["model"], 60, seed=3))
    set_sample_params(workdir, default_params, posts_per_class=60, real_from=real_from)

    sample.main()

    drawn, metrics = read_outputs()
    real = set(drawn.loc[drawn["label"] == REAL_LABEL, "text"])
    if real_from == "heldout":
        assert real <= set(held_out["text"]) and len(real) == metrics["posts_per_class"] == 40
        assert metrics["real_available"] == 40
    else:
        assert real & set(trained["text"]) and real & set(held_out["text"]) and metrics["posts_per_class"] == 60
    assert metrics["real_from"] == real_from


def test_no_held_out_posts_says_how_to_get_some(workdir, default_params):
    write_real({"sailor": 20}, split="train")
    write_generated(posts(VOCABULARY["model"], 10, seed=1))
    set_sample_params(workdir, default_params, posts_per_class=10)

    with pytest.raises(ElmError, match=r"no held-out \(eval\) posts.*raise clean.eval_fraction.*real_from to all"):
        sample.main()


def test_no_generated_posts_names_the_generate_stage(workdir, default_params):
    write_real({"sailor": 20})
    io.write_table(pd.DataFrame(columns=["account", "text"]), "data/generated/posts.jsonl")

    with pytest.raises(ElmError, match=r"data/generated/posts.jsonl holds no posts.*dvc repro generate"):
        sample.main()


def test_no_real_posts_names_the_clean_stage(workdir, default_params):
    write_real({})
    write_generated(posts(VOCABULARY["model"], 10, seed=1))

    with pytest.raises(ElmError, match=r"data/clean/posts.parquet holds no posts.*dvc repro clean"):
        sample.main()


def test_missing_inputs_and_columns_are_clear_errors(workdir, default_params):
    write_real({"sailor": 20})
    with pytest.raises(ElmError, match=r"data/generated/posts.jsonl: not found; run `dvc repro generate`"):
        sample.main()

    io.write_table(pd.DataFrame({"account": ["sailor"], "body": ["a post"]}), "data/generated/posts.jsonl")
    with pytest.raises(ElmError, match=r"missing column\(s\) text"):
        sample.main()


CHEERFUL = ["what a wonderful happy day, I love this", "great news, so proud and grateful", "best sail ever, amazing crew"]
GLOOMY = ["terrible storm, awful and sad", "I hate this miserable rain", "worst day, broken mast, angry crew"]


def test_the_sentiment_filter_keeps_only_posts_at_or_above_the_threshold_and_reports_what_it_removed(
    workdir, default_params, capsys
):
    write_real({"sailor": 20})
    io.write_table(pd.DataFrame({"account": ["sailor"] * 3 + ["baker"] * 3, "text": CHEERFUL + GLOOMY}),
                   "data/generated/posts.jsonl")
    set_sample_params(workdir, default_params, posts_per_class=10, min_sentiment=0.05)

    sample.main()

    drawn, metrics = read_outputs()
    assert set(drawn.loc[drawn["label"] == GENERATED_LABEL, "text"]) == set(CHEERFUL)
    removed = pd.read_parquet(paths.REMOVED_BY_SENTIMENT)
    assert set(removed["text"]) == set(GLOOMY) and (removed["compound"] < 0.05).all()
    assert metrics["sentiment_filter"] == {"min_sentiment": 0.05, "generated_removed": 3, "generated_removed_share": 0.5,
                                           "removed_per_account": {"baker": 3, "sailor": 0}}
    assert metrics["generated_available"] == 3
    assert "removed 3 of 6 generated posts" in capsys.readouterr().err


def test_a_sentiment_filter_that_removes_everything_says_how_to_fix_it(workdir, default_params):
    write_real({"sailor": 20})
    write_generated(GLOOMY)
    set_sample_params(workdir, default_params, posts_per_class=10, min_sentiment=0.9)

    with pytest.raises(ElmError, match=r"min_sentiment 0.9 removes every one of the 3 generated posts.*lower it"):
        sample.main()
    assert not (workdir / "data/sample/sample.parquet").exists()


def test_min_sentiment_outside_minus_one_to_one_is_refused_before_any_work(workdir, default_params):
    write_real({"sailor": 20})
    write_generated(CHEERFUL)
    set_sample_params(workdir, default_params, posts_per_class=10, min_sentiment=1.5)

    with pytest.raises(ElmError, match=r"sample.min_sentiment: 1.5 is above the maximum 1.0"):
        sample.main()


def lengths(short: int, long: int, seed: int) -> np.ndarray:
    """``short`` lengths of 40-80 characters and ``long`` ones of 150-250, shuffled."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.concatenate([rng.integers(40, 81, short), rng.integers(150, 251, long)]))


def test_generated_posts_are_picked_with_the_training_posts_length_spread():
    train = lengths(short=400, long=100, seed=0)  # 80% short
    pool = lengths(short=300, long=300, seed=1)  # the model's posts: half long
    picked = pick_by_length(pool, train, 100, np.random.default_rng(0))
    assert len(set(picked)) == 100
    assert (pool[picked] <= 80).sum() == 80 and (pool[picked] >= 150).sum() == 20
    # within a length decile at random, not the shortest first
    assert pool[picked][pool[picked] <= 80].max() >= 75


def test_a_length_bin_short_of_posts_is_made_up_from_the_nearest_lengths():
    train = lengths(short=400, long=100, seed=0)
    pool = lengths(short=300, long=10, seed=1)  # 20 long posts wanted, 10 made
    picked = pick_by_length(pool, train, 100, np.random.default_rng(0))
    assert len(set(picked)) == 100
    assert (pool[picked] >= 150).sum() == 10  # every long post
    longest_short = np.sort(pool[pool <= 80])[-10:]  # and the longest short ones in their place
    assert set(longest_short) <= set(pool[picked])


def test_posts_longer_than_every_training_post_are_taken_last():
    train = lengths(short=400, long=100, seed=0)  # at most 250 characters
    pool = np.concatenate([lengths(short=300, long=15, seed=1), np.full(20, 400)])
    picked = pick_by_length(pool, train, 100, np.random.default_rng(0))
    assert (pool[picked] == 400).sum() == 0  # 20 long wanted, 15 made: the other 5 are the longest short ones
    assert (pool[picked] >= 150).sum() == 15
    assert len(pick_by_length(pool, train, len(pool), np.random.default_rng(0))) == len(pool)  # when all are wanted


def test_matched_lengths_give_each_account_as_many_generated_posts_as_real_ones(workdir, default_params, capsys):
    write_real({"sailor": 60, "baker": 20})
    real = pd.read_parquet("data/clean/posts.parquet")
    train = real.assign(split="train", id=real["id"] + "-train")  # the same posts, as trained on
    io.write_table(pd.concat([real, train], ignore_index=True), "data/clean/posts.parquet")
    generated = pd.DataFrame({"account": ["sailor"] * 100 + ["baker"] * 5,
                              "text": posts(VOCABULARY["model"], 100, seed=1) + posts(VOCABULARY["model"], 5, seed=2)})
    io.write_table(generated, "data/generated/posts.jsonl")
    set_sample_params(workdir, default_params, posts_per_class=40, match_lengths=True)

    sample.main()

    drawn, _ = read_outputs()
    per_account = drawn.groupby(["label", "account"]).size().to_dict()
    assert per_account[(REAL_LABEL, "sailor")] == 30 and per_account[(REAL_LABEL, "baker")] == 10
    # baker made 5 posts for its 10 real ones: all 5, and 5 more from sailor's
    assert per_account[(GENERATED_LABEL, "baker")] == 5 and per_account[(GENERATED_LABEL, "sailor")] == 35
    assert "baker has 5 generated posts for its 10 real ones" in capsys.readouterr().err
    assert not drawn["text"].duplicated().any()
