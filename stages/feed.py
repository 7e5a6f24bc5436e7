"""Write the optimistic feed: reports/feed.html, the generated posts that pass the optimism filter.

The study's "an optimistic feed tailored to you": the generated posts (data/generated/posts.jsonl)
whose VADER compound score (-1 most negative .. 1 most positive) is at least feed.min_sentiment, as
one mixed timeline, newest first (the last generated on top), at most feed.max_posts of them, each
with its account's handle and its score. Like the report, the page is self-contained (inline CSS, no
scripts, nothing fetched) and shows every post as text.

Params (section `feed`): min_sentiment, max_posts.
"""
from __future__ import annotations

from elm import cli, io, paths
from elm.params.feed import Feed
from elm.params.validation import load
from elm.report import build_feed
from elm.sentiment import compound_scores


def main(params_path: str = "params.yaml") -> None:
    p = load(Feed, params_path)
    posts = io.read_table(paths.GENERATED, "generate", required=("account", "text"))
    posts = posts[["account", "text"]].fillna("").astype(str)
    posts = posts.assign(compound=compound_scores(posts["text"]))
    feed = posts[posts["compound"] >= p.min_sentiment].iloc[::-1].head(p.max_posts)
    page = build_feed(feed, p.min_sentiment, len(posts))
    with io.outputs() as out:
        out.text(page, paths.FEED_PAGE)
    print(f"feed: wrote {paths.FEED_PAGE}: {len(feed)} of {len(posts)} generated posts (compound >= {p.min_sentiment})")


if __name__ == "__main__":
    cli.run(main, __doc__)
