"""Draw a balanced set of real and generated posts for the detectors to tell apart.

Reads data/clean/posts.parquet (real posts) and data/generated/posts.jsonl (the model's posts).
The real posts come from the held-out split only (`sample.real_from: heldout`, the default: posts
the model never trained on, so memorization cannot flatter the imitation or the lm_likelihood
detector; `clean.eval_fraction` sets its size), or from every clean post (`all`, as the 2021 study
did). Draws N posts of each class, N = min(sample.posts_per_class, real posts, generated posts):
the real ones stratified by account (each account keeps its share), the generated ones at random.
Posts with blank text are not counted.

With `sample.min_sentiment` set, generated posts whose VADER compound score (-1 most negative ..
1 most positive) is below it are removed first: the optimism filter. What it removed goes to
data/sample/removed_by_sentiment.parquet (account, text, compound; empty when the filter is off)
and its counts, overall and per account, to the breakdown.

Writes data/sample/sample.parquet (text, label: 1 real / 0 generated, account; rows shuffled),
reports/metrics/sample.json (the headline: N, posts available in each class, posts the sentiment filter
removed) and reports/sample/breakdown.json (also real posts per account and the filter's removals per
account).

Params (section `sample`): posts_per_class, seed, min_sentiment, real_from. Same inputs and seed give the
same sample.
"""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from elm import cli, io, params, results
from elm.sentiment import compound_scores
from elm.proportions import stratified_counts
from elm.errors import ElmError
from elm.labels import GENERATED_LABEL, REAL_LABEL

REAL = "data/clean/posts.parquet"
GENERATED = "data/generated/posts.jsonl"
SAMPLE = "data/sample/sample.parquet"
METRICS = "reports/metrics/sample.json"
REMOVED = "data/sample/removed_by_sentiment.parquet"
COLUMNS = ["text", "label", "account"]
HELD_OUT = "eval"  # clean's split of posts the model never trained on


def read_posts(path: str, stage: str, columns: tuple[str, ...] = ("account", "text")) -> pd.DataFrame:
    """The ``columns`` of every non-blank post in an earlier stage's output."""
    posts = io.read_table(path, stage_hint=stage)
    if posts.empty:
        raise ElmError(f"{path} holds no posts; check the `{stage}` stage's output and rerun `dvc repro {stage}`")
    missing = [column for column in columns if column not in posts.columns]
    if missing:
        raise ElmError(f"{path}: missing column(s) {', '.join(missing)}; rerun `dvc repro {stage}`")
    posts = posts[list(columns)].fillna("").astype(str)
    posts = posts[posts["text"].str.strip() != ""]
    if posts.empty:
        raise ElmError(f"{path}: every post's text is blank; check the `{stage}` stage and rerun `dvc repro {stage}`")
    return posts


def real_posts(posts: pd.DataFrame, real_from: str) -> pd.DataFrame:
    """The real posts the sample may draw: the held-out split's (``heldout``) or all of them (``all``)."""
    if real_from == "all":
        return posts
    held_out = posts[posts["split"] == HELD_OUT]
    if held_out.empty:
        raise ElmError(f"{REAL} holds no held-out ({HELD_OUT}) posts to sample real posts from; raise "
                       "clean.eval_fraction (and rerun `dvc repro clean`), or set sample.real_from to all "
                       "(real posts may then include posts the model trained on)")
    return held_out


def sentiment_filter(generated: pd.DataFrame, min_sentiment: float | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The generated posts kept (compound score >= ``min_sentiment``; all when None) and those removed,
    the removed ones with their score."""
    if min_sentiment is None:
        return generated, generated.iloc[:0].assign(compound=pd.Series(dtype=float))
    compound = compound_scores(generated["text"])
    keep = compound >= min_sentiment
    return generated[keep], generated[~keep].assign(compound=compound[~keep])


def removal_counts(generated: pd.DataFrame, removed: pd.DataFrame, min_sentiment: float | None) -> dict:
    """How many generated posts the sentiment filter removed, overall and per account."""
    per_account = removed["account"].value_counts().reindex(sorted(generated["account"].unique()), fill_value=0)
    return {
        "min_sentiment": min_sentiment,
        "generated_removed": len(removed),
        "generated_removed_share": round(len(removed) / len(generated), 4),
        "removed_per_account": {str(a): int(n) for a, n in per_account.items()},
    }


def sample_size(posts_per_class: int, real_available: int, generated_available: int) -> int:
    """N posts per class: what was asked for, capped by the smaller class; warns when capped."""
    size = min(posts_per_class, real_available, generated_available)
    if size < posts_per_class:
        short = "generated" if generated_available < real_available else "real"
        fix = ("raise generate.posts" if short == "generated"
               else "raise clean.eval_fraction, add posts or accounts in `scrape`")
        print(
            f"warning: sample.posts_per_class is {posts_per_class} but only {size} {short} posts are "
            f"available; using {size} per class ({fix}, or lower sample.posts_per_class)",
            file=sys.stderr,
        )
    return size


def draw_sample(real: pd.DataFrame, generated: pd.DataFrame, size: int, seed: int) -> pd.DataFrame:
    """``size`` real posts stratified by account and ``size`` random generated posts, shuffled."""
    rng = np.random.default_rng(seed)
    counts = stratified_counts(real["account"].value_counts(), size)
    real_drawn = [real[real["account"] == account].sample(n=n, random_state=rng) for account, n in counts.items()]
    generated_drawn = generated.sample(n=size, random_state=rng)
    sample = pd.concat(
        [pd.concat(real_drawn).assign(label=REAL_LABEL), generated_drawn.assign(label=GENERATED_LABEL)],
        ignore_index=True,
    )
    return sample.sample(frac=1, random_state=rng).reset_index(drop=True)[COLUMNS]


def main(params_path: str = "params.yaml") -> None:
    p = params.load("sample", params_path)
    real = real_posts(read_posts(REAL, "clean", ("account", "text", "split")), p.real_from)
    generated = read_posts(GENERATED, "generate")
    kept, removed = sentiment_filter(generated, p.min_sentiment)
    if kept.empty:
        raise ElmError(f"sample.min_sentiment {p.min_sentiment} removes every one of the {len(generated)} generated "
                       f"posts (their best compound score is {removed['compound'].max():.3f}); lower it, or set it "
                       f"to null to keep every post")
    io.write_table(removed.reset_index(drop=True), REMOVED)
    size = sample_size(p.posts_per_class, len(real), len(kept))
    sample = draw_sample(real, kept, size, p.seed)
    io.write_table(sample, SAMPLE)
    real_per_account = sample[sample["label"] == REAL_LABEL]["account"].value_counts().sort_index()
    breakdown = {
        "posts_per_class": size,
        "real_from": p.real_from,
        "real_available": len(real),
        "generated_available": len(kept),
        "real_per_account": {str(a): int(n) for a, n in real_per_account.items()},
        "sentiment_filter": removal_counts(generated, removed, p.min_sentiment),
    }
    io.write_json(breakdown, results.SAMPLE_BREAKDOWN)
    io.write_json({key: breakdown[key] for key in ("posts_per_class", "real_available", "generated_available")}
                  | {"removed_by_sentiment": breakdown["sentiment_filter"]["generated_removed"]}, METRICS)
    if p.min_sentiment is not None:
        print(f"sample: the sentiment filter (compound >= {p.min_sentiment}) removed {len(removed)} of "
              f"{len(generated)} generated posts -> {REMOVED}", file=sys.stderr)
    print(f"sample: {size} real + {size} generated posts -> {SAMPLE}", file=sys.stderr)


if __name__ == "__main__":
    cli.run(main, __doc__)
