"""The `feed` stage: reports/feed.html, the generated posts that pass the optimism filter, the most upbeat first,
saying how many qualified and how many it shows, under the run's name."""
from __future__ import annotations

import json
import re

from elm import paths
from stages import feed

from browser import needs_chromedriver, webdriver
from helpers import Elements

POSTS = [  # account, text, in generation order
    ("basil_bakes", "<script>alert(1)</script> Great happy fantastic loaves!"),
    ("ada_sails", "What a wonderful, glorious day at sea! Love it."),
    ("basil_bakes", "Burnt the bread. Terrible, awful morning."),
    ("ada_sails", "The boat is a boat."),
    ("ada_sails", "Happy, lovely sail today!\nPhotos: HTTPURL"),
]
# The upbeat ones by VADER compound score, highest first (0.92, 0.91, 0.83): neither the order they were written in
# nor its reverse
BY_SCORE = [POSTS[1][1], POSTS[0][1], POSTS[4][1].replace("\n", " ").replace("HTTPURL", "\N{LINK SYMBOL}")]


def write_generated(root) -> None:
    (root / "data/generated").mkdir(parents=True)
    lines = [json.dumps({"account": a, "text": t, "settings": "{}"}) for a, t in POSTS]
    (root / paths.GENERATED).write_text("\n".join(lines) + "\n")


def shown_text(root) -> str:
    return re.sub(r"\s+", " ", "".join(Elements((root / paths.FEED_PAGE).read_text(encoding="utf-8")).text))


def test_the_feed_holds_the_upbeat_generated_posts_most_upbeat_first_as_text(workdir, default_params):
    write_generated(workdir)

    feed.main()

    page = (workdir / paths.FEED_PAGE).read_text(encoding="utf-8")
    parsed = Elements(page)
    assert parsed.named("script") == [] and "default-src 'none'" in page
    joined = shown_text(workdir)
    assert joined.index(BY_SCORE[0]) < joined.index(BY_SCORE[1]) < joined.index(BY_SCORE[2])
    assert POSTS[2][1] not in joined and POSTS[3][1] not in joined  # negative and neutral: filtered out
    assert ("Shown: 3 of the 3 generated posts (of 5) whose VADER compound score is at least 0.05 "
            "(feed.min_sentiment); at most 200 are shown (feed.max_posts)") in joined
    assert "the most upbeat come first" in joined and "newest" not in joined and "@basil_bakes" in joined
    assert "sail today!\nPhotos: " in page and [a for a in parsed.named("span") if a.get("class") == "link-sign"]
    assert "`" not in joined


def test_the_cap_is_said_and_keeps_the_most_upbeat(workdir, default_params):
    write_generated(workdir)
    default_params["feed"]["max_posts"] = 2
    workdir.write_params(default_params)

    feed.main()

    joined = shown_text(workdir)
    assert "Shown: 2 of the 3 generated posts (of 5)" in joined and "at most 2 are shown (feed.max_posts)" in joined
    assert BY_SCORE[0] in joined and BY_SCORE[1] in joined and BY_SCORE[2] not in joined


def test_a_threshold_nothing_reaches(workdir, default_params):
    write_generated(workdir)
    default_params["feed"] = {"min_sentiment": 0.99, "max_posts": 1}
    workdir.write_params(default_params)

    feed.main()

    assert "No generated post reaches a compound score of 0.99" in shown_text(workdir)


def test_the_feed_names_its_run(workdir, default_params):
    write_generated(workdir)
    feed.main()
    joined = shown_text(workdir)
    assert f"model {default_params['finetune']['model']} (transformers backend)" in joined
    assert "accounts demo:ada_sails, demo:basil_bakes" in joined and "SYNTHETIC accounts" in joined
    assert "profile none (params.yaml as it is) · commit none (not a git checkout) · 20" in joined

    default_params["report"]["profile"] = "real-cpu"
    default_params["scrape"]["accounts"] = ["twint:ada_sails"]
    workdir.write_params(default_params)
    feed.main()
    joined = shown_text(workdir)
    assert "accounts twint:ada_sails · profile real-cpu" in joined and "SYNTHETIC" not in joined


def test_the_feed_says_how_readers_reacted_once_they_have(workdir, default_params):
    write_generated(workdir)
    feed.main()
    assert "No reader has judged posts yet: python -m stages.judge, then dvc repro" in shown_text(workdir)

    summary = {"answers": 12, "follow_generated": 0.25, "follow_real": 0.6667, "upbeat_generated": 0.5,
               "upbeat_real": 1.0}
    (workdir / paths.HUMAN_SUMMARY).parent.mkdir(parents=True)
    (workdir / paths.HUMAN_SUMMARY).write_text(json.dumps(summary))
    feed.main()
    assert ("What readers said in the judge app (12 answers): would follow the account for posts like it, 25.0% of "
            "generated posts against 66.7% of real ones; upbeat, 50.0% against 100.0%") in shown_text(workdir)


@needs_chromedriver
def test_in_chromium_the_feed_fits_a_phone_and_its_run_comes_first(workdir, default_params):
    from selenium.webdriver.common.by import By

    write_generated(workdir)
    feed.main()
    driver = webdriver(workdir)
    try:
        driver.get((workdir / paths.FEED_PAGE).as_uri())
        run, shown = driver.find_element(By.ID, "run").rect, driver.find_element(By.ID, "shown").rect
        first_post = driver.find_element(By.CSS_SELECTOR, "article.post").rect
        assert run["y"] + run["height"] <= shown["y"] < first_post["y"]
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        assert "`" not in driver.find_element(By.TAG_NAME, "body").text
    finally:
        driver.quit()
