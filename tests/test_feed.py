"""The `feed` stage: reports/feed.html, the generated posts that pass the optimism filter, newest first."""
from __future__ import annotations

import json
import re

from elm import paths
from stages import feed

from helpers import Elements

POSTS = [  # account, text, in generation order
    ("ada_sails", "What a wonderful, glorious day at sea! Love it."),
    ("basil_bakes", "Burnt the bread. Terrible, awful morning."),
    ("basil_bakes", "<script>alert(1)</script> Great happy fantastic loaves!"),
    ("ada_sails", "The boat is a boat."),
    ("ada_sails", "Happy, lovely sail today!\nPhotos: HTTPURL"),
]


def write_generated(root) -> None:
    (root / "data/generated").mkdir(parents=True)
    lines = [json.dumps({"account": a, "text": t, "settings": "{}"}) for a, t in POSTS]
    (root / paths.GENERATED).write_text("\n".join(lines) + "\n")


def test_the_feed_holds_the_upbeat_generated_posts_newest_first_as_text(workdir, default_params):
    write_generated(workdir)

    feed.main()

    page = (workdir / paths.FEED_PAGE).read_text(encoding="utf-8")
    parsed = Elements(page)
    assert parsed.named("script") == [] and "default-src 'none'" in page
    shown = [re.sub(r"\s+", " ", text) for text in parsed.text]
    joined = "".join(shown)
    upbeat = [POSTS[4][1].replace("\n", " ").replace("HTTPURL", "\N{LINK SYMBOL}"), POSTS[2][1], POSTS[0][1]]
    assert joined.index(upbeat[0]) < joined.index(upbeat[1]) < joined.index(upbeat[2])  # the last generated first
    assert POSTS[1][1] not in joined and POSTS[3][1] not in joined  # negative and neutral: filtered out
    assert "3 generated posts of 5" in joined and "@basil_bakes" in joined
    assert "sail today!\nPhotos: " in page and [a for a in parsed.named("span") if a.get("class") == "link-sign"]


def test_max_posts_and_a_threshold_nothing_reaches(workdir, default_params):
    write_generated(workdir)
    default_params["feed"] = {"min_sentiment": 0.99, "max_posts": 1}
    workdir.write_params(default_params)

    feed.main()

    assert "No generated post reaches a compound score of 0.99" in (workdir / paths.FEED_PAGE).read_text()
