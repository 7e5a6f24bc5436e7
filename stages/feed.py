"""Write the optimistic feed: reports/feed.html, the generated posts that pass the optimism filter.

The study's "an optimistic feed tailored to you": the generated posts (data/generated/posts.jsonl)
whose VADER compound score (-1 most negative .. 1 most positive) is at least feed.min_sentiment, as
one mixed timeline, the most upbeat first (generated posts have no dates; ties keep the order the model
wrote them in), at most feed.max_posts of them, each with its account's handle and its score. The page
says how many qualified and how many are shown, and names the run at its top (model, accounts, profile,
commit, date: elm/provenance.py) and, once readers have judged posts in the judge app, how they reacted to
generated and to real posts (would follow, upbeat: reports/human/summary.json, stage `human`). Like the
report, the page is self-contained (inline CSS, no scripts, nothing fetched) and shows every post as text.

Params (section `feed`): min_sentiment, max_posts; and, to name the run, report.profile, finetune.model,
finetune.backend and scrape.accounts.
"""
from __future__ import annotations

from elm import cli, io, paths, provenance, results
from elm.params.feed import Feed
from elm.params.validation import load, read_value
from elm.report import build_feed
from elm.sentiment import compound_scores


def main(params_path: str = "params.yaml") -> None:
    p = load(Feed, params_path)
    run = provenance.describe(str(read_value("report", "profile", params_path)), params_path)
    posts = io.read_table(paths.GENERATED, "generate", required=("account", "text"))
    posts = posts[["account", "text"]].fillna("").astype(str)
    posts = posts.assign(compound=compound_scores(posts["text"]))
    qualified = posts[posts["compound"] >= p.min_sentiment]
    feed = qualified.sort_values("compound", ascending=False, kind="stable").head(p.max_posts)
    readers = results.read_json(paths.HUMAN_SUMMARY, "human", required=False)
    page = build_feed(feed, len(qualified), len(posts), p, run, readers)
    with io.outputs() as out:
        out.text(page, paths.FEED_PAGE)
    print(f"feed: wrote {paths.FEED_PAGE}: {len(feed)} of the {len(qualified)} generated posts (of {len(posts)}) "
          f"whose compound score is at least {p.min_sentiment}, at most {p.max_posts} shown (feed.max_posts)")


if __name__ == "__main__":
    cli.run(main, __doc__)
