"""Draw a balanced set of real and generated posts for the detectors to tell apart.

Reads data/clean/posts.parquet (real posts) and data/generated/posts.jsonl (the model's posts).
The real posts come from the held-out split only (`sample.real_from: heldout`, the default: posts
the model never trained on, so memorization cannot flatter the imitation or the lm_likelihood
detector; `clean.eval_fraction` sets its size), or from every clean post (`all`, as the 2021 study
did). Draws N posts of each class, N = min(sample.posts_per_class, real posts, generated posts):
the real ones stratified by account (each account keeps its share). The generated ones, with
`sample.match_lengths` (the default): as many per account as the real ones, spread over character
lengths like the account's training posts (as many from each length decile as the training posts put
there, a decile short of posts made up from the nearest lengths), so that post length, which a model
counting tokens follows only loosely (real posts crowd under old limits such as 140 characters), does
not give them away; without it, at random (the study's way). Posts with blank text are not counted.

With `sample.min_sentiment` set, generated posts whose VADER compound score (-1 most negative ..
1 most positive) is below it are removed first: the optimism filter. What it removed goes to
data/sample/removed_by_sentiment.parquet (account, text, compound; empty when the filter is off)
and its counts, overall and per account, to the breakdown.

Writes data/sample/sample.parquet (text, label: 1 real / 0 generated, account; rows shuffled) and
reports/sample/breakdown.json (N as posts_per_class, real_from, the posts available in each class, real posts per
account, and what the sentiment filter removed, overall and per account). No DVC metric: counts are not what
`dvc exp show` compares runs by.

Params (section `sample`): posts_per_class, seed, min_sentiment, real_from, match_lengths. Same inputs and seed give the
same sample.
"""
from __future__ import annotations

import logging

import pandas as pd

from elm import cli, io, paths
from elm.errors import ElmError
from elm.labels import EVAL_SPLIT, REAL_LABEL, TRAIN_SPLIT
from elm.params.sample import Sample
from elm.params.validation import load
from elm.sample import draw_sample, sample_size
from elm.sentiment import removal_counts, sentiment_filter

logger = logging.getLogger(__name__)



def real_posts(posts: pd.DataFrame, real_from: str) -> pd.DataFrame:
    """The real posts the sample may draw: the held-out split's (``heldout``) or all of them (``all``)."""
    if real_from == "all":
        return posts
    held_out = posts[posts["split"] == EVAL_SPLIT]
    if held_out.empty:
        raise ElmError(f"{paths.CLEAN_POSTS} holds no held-out ({EVAL_SPLIT}) posts to sample real posts from; raise "
                       "clean.eval_fraction (and rerun `dvc repro clean`), or set sample.real_from to all "
                       "(real posts may then include posts the model trained on)")
    return held_out


def main(params_path: str = "params.yaml") -> None:
    p = load(Sample, params_path)
    posts = io.read_posts(paths.CLEAN_POSTS, "clean", ("account", "text", "split"))
    real = real_posts(posts, p.real_from)
    train = posts[posts["split"] == TRAIN_SPLIT] if p.match_lengths else None
    generated = io.read_posts(paths.GENERATED, "generate", ("account", "text"))
    kept, removed = sentiment_filter(generated, p.min_sentiment)
    if kept.empty:
        raise ElmError(f"sample.min_sentiment {p.min_sentiment} removes every one of the {len(generated)} generated "
                       f"posts (their best compound score is {removed['compound'].max():.3f}); lower it, or set it "
                       f"to null to keep every post")
    size = sample_size(p.posts_per_class, len(real), len(kept))
    sample = draw_sample(real, kept, size, p.seed, train)
    real_per_account = sample[sample["label"] == REAL_LABEL]["account"].value_counts().sort_index()
    breakdown = {
        "posts_per_class": size,
        "real_from": p.real_from,
        "real_available": len(real),
        "generated_available": len(kept),
        "real_per_account": {str(a): int(n) for a, n in real_per_account.items()},
        "sentiment_filter": removal_counts(generated, removed, p.min_sentiment),
    }
    with io.outputs() as out:
        out.table(sample, paths.SAMPLE)
        out.table(removed.reset_index(drop=True), paths.REMOVED_BY_SENTIMENT)
        out.json(breakdown, paths.SAMPLE_BREAKDOWN)
    if p.min_sentiment is not None:
        logger.info(f"sample: the sentiment filter (compound >= {p.min_sentiment}) removed {len(removed)} of "
                    f"{len(generated)} generated posts -> {paths.REMOVED_BY_SENTIMENT}")
    logger.info(f"sample: {size} real + {size} generated posts -> {paths.SAMPLE}")


if __name__ == "__main__":
    cli.run(main, __doc__)
