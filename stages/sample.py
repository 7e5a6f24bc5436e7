"""Draw a balanced set of real and generated posts for the detectors to tell apart.

Reads data/clean/posts.parquet (real posts, both splits) and data/generated/posts.jsonl (the
model's posts). Draws N posts of each class, N = min(sample.posts_per_class, real posts,
generated posts): the real ones stratified by account (each account keeps its share of the
corpus), the generated ones at random. Posts with blank text are not counted.

With `sample.min_sentiment` set, generated posts whose VADER compound score (-1 most negative ..
1 most positive) is below it are removed first: the optimism filter. What it removed goes to
data/sample/removed_by_sentiment.parquet (account, text, compound; empty when the filter is off)
and its counts, overall and per account, to the metrics.

Writes data/sample/sample.parquet (text, label: 1 real / 0 generated, account; rows shuffled)
and reports/metrics/sample.json (N, posts available in each class, real posts per account, the
sentiment filter's removals).

Params (section `sample`): posts_per_class, seed, min_sentiment. Same inputs and seed give the
same sample.
"""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from elm import cli, io, params
from elm.sentiment import compound_scores
from elm.proportions import stratified_counts
from elm.errors import ElmError

REAL = "data/clean/posts.parquet"
GENERATED = "data/generated/posts.jsonl"
SAMPLE = "data/sample/sample.parquet"
METRICS = "reports/metrics/sample.json"
REMOVED = "data/sample/removed_by_sentiment.parquet"
COLUMNS = ["text", "label", "account"]
REAL_LABEL, GENERATED_LABEL = 1, 0


def read_posts(path: str, stage: str) -> pd.DataFrame:
    """The account and text of every non-blank post in an earlier stage's output."""
    posts = io.read_table(path, stage_hint=stage)
    if posts.empty:
        raise ElmError(f"{path} holds no posts; check the `{stage}` stage's output and rerun `dvc repro {stage}`")
    missing = [column for column in ("account", "text") if column not in posts.columns]
    if missing:
        raise ElmError(f"{path}: missing column(s) {', '.join(missing)}; rerun `dvc repro {stage}`")
    posts = posts[["account", "text"]].fillna("").astype(str)
    posts = posts[posts["text"].str.strip() != ""]
    if posts.empty:
        raise ElmError(f"{path}: every post's text is blank; check the `{stage}` stage and rerun `dvc repro {stage}`")
    return posts


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
        fix = "raise generate.posts" if short == "generated" else "add posts or accounts in `scrape`"
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
    real = read_posts(REAL, "clean")
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
    io.write_json(
        {
            "posts_per_class": size,
            "real_available": len(real),
            "generated_available": len(kept),
            "real_per_account": {str(a): int(n) for a, n in real_per_account.items()},
            "sentiment_filter": removal_counts(generated, removed, p.min_sentiment),
        },
        METRICS,
    )
    if p.min_sentiment is not None:
        print(f"sample: the sentiment filter (compound >= {p.min_sentiment}) removed {len(removed)} of "
              f"{len(generated)} generated posts -> {REMOVED}", file=sys.stderr)
    print(f"sample: {size} real + {size} generated posts -> {SAMPLE}", file=sys.stderr)


if __name__ == "__main__":
    cli.run(main, __doc__)
