"""clean_posts (elm/cleaning.py): the rules on a table of posts, what each dropped and repaired per account, the
share of posts cleaning changed, before/after examples, languages, and the real Twint exports."""
from __future__ import annotations

import re

import emoji
import pandas as pd
import pytest

from elm import cleaning
from elm.cleaning import RULES, clean_posts
from elm.links import LINK_MARKER
from elm.params.clean import Clean
from elm.params.validation import build
from elm.text import REPAIRS, clean_text, is_reply, post_length

# What must never survive cleaning; written independently of elm/text.py's own patterns.
LINK_LEFT = re.compile(r"(?i)(?:https?|ftp)://|(?<![\w@./-])(?:www\.\w|(?:t\.co|pic\.twitter\.com|bit\.ly)/)")
HASHTAG_LEFT = re.compile(r"(?<!\w)#\w")


def clean_params(default_params, **changes):
    """The project's ``clean`` section with ``changes``, validated like a real params file."""
    return build(Clean, {**default_params["clean"], **changes}, "clean")


def small_posts() -> pd.DataFrame:
    rows = [  # account, text, language, the rule that should drop it ("" = kept)
        ("ana", "RT @bo: a retweet that is long enough to keep", "en", "retweet"),
        ("ana", '"@bo: a manual retweet, quoted, long enough too"', "en", "retweet"),
        ("ana", "una publicación en español bastante larga", "es", "language"),
        ("ana", "a post whose language the source does not know", "", ""),
        ("ana", "an English post tagged en-US, long enough too", "en-US", ""),
        ("ana", "Thatâ€s it, I donâ€t know what happened to this one", "en", "mojibake_left"),
        ("ana", "https://t.co/abc https://t.co/def", "en", "empty"),
        ("ana", "too short #tbt", "en", "too_short"),
        ("ana", "@bo the first post that is long enough here", "en", ""),
        ("ana", "the first post that is long enough here", "en", "duplicate"),
        ("ana", "The first post that is long enough, here!!", "en", "near_duplicate"),
        ("bo", "the first post that is long enough here", "en", ""),
        ("bo", "2021 2022 2023 2024 2025 2026 2027 2028", "en", ""),
        ("bo", "2031 2032 2033 2034 2035 2036 2037 2038", "en", ""),
    ]
    frame = pd.DataFrame(rows, columns=["account", "text", "language", "expected"])
    frame.insert(0, "id", [f"p{number}" for number in range(len(frame))])
    frame.insert(4, "reply", ["true" if text.startswith("@bo the") else "" for text in frame["text"]])
    frame.index = range(100, 100 + len(frame))  # clean_posts must not rely on a 0..n index
    return frame


def test_clean_posts_counts_each_rule_per_account(default_params):
    posts = small_posts()
    kept, report = clean_posts(posts, clean_params(default_params))

    assert kept["id"].tolist() == posts.loc[posts.expected == "", "id"].tolist()
    assert list(kept.columns) == list(posts.columns)
    assert kept.index.tolist() == list(range(len(kept)))
    assert kept["text"].tolist() == [
        "a post whose language the source does not know",
        "an English post tagged en-US, long enough too",
        "the first post that is long enough here",
        "the first post that is long enough here",
        "2021 2022 2023 2024 2025 2026 2027 2028",
        "2031 2032 2033 2034 2035 2036 2037 2038",
    ]
    assert report["posts_in"] == 14
    assert report["posts_kept"] == 6 and report["posts_dropped"] == 8
    assert report["posts_changed"] == round(1 / 6, 4)  # the reply whose mention was cut
    assert report["dropped"] == {
        "retweet": 2, "language": 1, "reply": 0, "mojibake_left": 1, "cut_off": 0, "link_label": 0, "empty": 1,
        "too_short": 1, "duplicate": 1, "near_duplicate": 1,
    }
    assert report["repaired"] == {**dict.fromkeys(REPAIRS, 0), "mentions_stripped": 1}
    assert report["accounts"]["ana"]["posts_in"] == 11
    assert report["accounts"]["ana"]["posts_kept"] == 3
    assert report["accounts"]["ana"]["posts_changed"] == round(1 / 3, 4)
    assert report["accounts"]["ana"]["languages_detected"] == {"en": 1}
    assert report["languages_detected"] == 1
    assert report["accounts"]["bo"] == {
        "posts_in": 3, "posts_dropped": 0, "posts_kept": 3, "posts_changed": 0.0, "dropped": dict.fromkeys(RULES, 0),
        "repaired": dict.fromkeys(REPAIRS, 0), "languages_detected": {},
    }
    assert "examples" not in report


def test_clean_posts_rules_follow_their_params(default_params):
    posts = small_posts()
    loose = clean_params(
        default_params, drop_retweets=False, languages=[], near_duplicates=False, min_chars=0, leading_mentions="drop",
    )
    kept, report = clean_posts(posts, loose)
    assert report["dropped"] == {
        "retweet": 0, "language": 0, "reply": 1, "mojibake_left": 1, "cut_off": 0, "link_label": 0, "empty": 1,
        "too_short": 0, "duplicate": 0, "near_duplicate": 0,
    }
    assert "RT @bo: a retweet that is long enough to keep" in kept["text"].tolist()
    assert "too short tbt" in kept["text"].tolist()
    assert not any(is_reply(text, True) for text in kept["text"])


def test_a_post_emptied_by_its_dangling_label_is_counted_and_emojis_follow_their_param(default_params):
    posts = pd.DataFrame({"account": "ana", "text": [
        "Podcast audio: https://t.co/a1 Podcast video: https://t.co/b2",
        "A long enough post about the new episode. Listen @ https://t.co/a1 https://t.co/b2",
        "We all ♥️ PyTorch, and we all love a good benchmark 🚀",
    ]})
    dropping = clean_params(default_params, links="drop", emojis="drop", min_chars=0, languages=[])
    kept, report = clean_posts(posts, dropping)
    assert kept["text"].tolist() == ["A long enough post about the new episode.",
                                     "We all PyTorch, and we all love a good benchmark"]
    assert report["dropped"]["link_label"] == 1
    assert report["repaired"]["link_label_cut"] == 1 and report["repaired"]["emoji"] == 1
    kept, report = clean_posts(posts, clean_params(default_params, min_chars=0, languages=[]))
    assert kept["text"].tolist() == [f"Podcast audio: {LINK_MARKER} Podcast video: {LINK_MARKER}",
                                     f"A long enough post about the new episode. Listen @ {LINK_MARKER}",
                                     "We all ♥️ PyTorch, and we all love a good benchmark 🚀"]
    assert report["dropped"]["link_label"] == 0 and report["repaired"]["link"] == 2


def test_min_chars_counts_a_line_break_an_emoji_as_one_and_a_marker_as_none(default_params):
    assert post_length(f"ab\n\ncd 👨\u200d👩\u200d👧\u200d👦 {LINK_MARKER}") == len("ab cd e")
    posts = pd.DataFrame({"account": "ana", "text": [
        "Short line one\nshort line two ok",         # 31 characters with the line break as one
        "Short line one\n\n\nshort line two",         # 30: too short, however many line breaks
        "Twenty-nine characters here!! 🎉",           # 29 + 1 + the emoji as one = 31
        "See this post here, all of it https://t.co/x",  # 30 without its link marker
    ]})
    kept, report = clean_posts(posts, clean_params(default_params, min_chars=31))
    assert kept["text"].tolist() == ["Short line one\nshort line two ok", "Twenty-nine characters here!! 🎉"]
    assert report["dropped"]["too_short"] == 2


def test_near_duplicates_ignore_line_breaks_and_count_the_marker_as_a_word(default_params):
    posts = pd.DataFrame({"account": "ana", "text": [
        "The same words on two lines\nof one long enough post",
        "The same words on two lines of one long enough post!",
        f"The same words on two lines of one long enough post {LINK_MARKER}",
    ]})
    kept, report = clean_posts(posts, clean_params(default_params))
    assert len(kept) == 2 and report["dropped"]["near_duplicate"] == 1


def test_clean_posts_gives_a_few_examples_of_each_rule_per_account(default_params):
    posts = pd.DataFrame({"account": ["ana"] * 5 + ["bo"], "text": [
        "RT @bo: one retweet that is long enough to keep", "RT @bo: two", "RT @bo: three", "RT @bo: four",
        "<p>A Mastodon post long enough,<br>on two lines: https://example.com/x</p>",
        "Great talk tonight with the whole team, watch it https://youtu.be/x 🎤",
    ]})
    kept, report = clean_posts(posts, clean_params(default_params), examples=3)
    examples = report["examples"]
    assert list(examples) == ["ana", "bo"]
    assert examples["ana"]["dropped"]["retweet"] == [{"before": text, "after": None} for text in posts["text"][:3]]
    pair = {"before": posts["text"][4], "after": f"A Mastodon post long enough,\non two lines: {LINK_MARKER}"}
    assert examples["ana"]["repaired"] == {"html": [pair], "link": [pair]}
    assert examples["bo"] == {"dropped": {}, "repaired": {"link": [
        {"before": posts["text"][5], "after": f"Great talk tonight with the whole team, watch it {LINK_MARKER} 🎤"}]}}
    assert report["posts_changed"] == 1.0


def test_clean_posts_detects_languages_the_source_does_not_give(default_params):
    posts = pd.DataFrame({
        "account": ["ana"] * 5,
        "text": ["Je ne sais pas quoi faire ce soir avec mes amis du quartier",
                 "I have no idea what to do tonight with my friends from the block",
                 "Das ist ein sehr schöner Tag heute, wir gehen an den See",
                 "😂😂 https://t.co/xyz and some words in a language nobody tagged",
                 "Ich weiß nicht, was ich heute Abend mit meinen Freunden machen soll"],
        "language": ["", "", "", "und", "en"],
    })
    kept, report = clean_posts(posts, clean_params(default_params, languages=["en"]))
    assert kept["text"].tolist() == ["I have no idea what to do tonight with my friends from the block",
                                     f"😂😂 {LINK_MARKER} and some words in a language nobody tagged",
                                     "Ich weiß nicht, was ich heute Abend mit meinen Freunden machen soll"]
    assert report["dropped"]["language"] == 2
    assert report["accounts"]["ana"]["languages_detected"] == {"en": 1}  # "und" and "en" are the source's
    _, keep_all = clean_posts(posts, clean_params(default_params, languages=[]))
    assert keep_all["posts_kept"] == 5 and keep_all["languages_detected"] == 0


def test_language_detection_in_parallel_gives_the_serial_result_in_order(monkeypatch):
    texts = ["Je ne sais pas quoi faire ce soir", "I have no idea what to do tonight",
             "Das ist ein sehr schöner Tag heute", "Hoy hace mucho calor en la ciudad"] * 3
    serial = cleaning.detect_languages(texts)
    assert serial[:4] == ["fr", "en", "de", "es"]
    monkeypatch.setattr(cleaning, "PARALLEL_FROM", 5)
    monkeypatch.setattr(cleaning, "DETECT_CHUNK", 4)
    assert cleaning.detect_languages(texts) == serial


def test_clean_posts_uses_the_sources_reply_flag_and_counts_repairs(default_params):
    posts = pd.DataFrame({
        "account": ["ana", "ana", "ana", "bo"],
        "text": ["@CNN just released the full transcript of the interview",
                 "@CNN you left out the part where he answered the question",
                 "Great day at the lake. We went swimming in the col… https://fb.me/1",
                 "Cannot make it… https://fb.me/2"],
        "reply": [False, True, None, None],
    })
    kept, report = clean_posts(posts, clean_params(default_params))
    assert kept["text"].tolist() == ["@CNN just released the full transcript of the interview",
                                     "you left out the part where he answered the question"]
    assert report["dropped"]["too_short"] == 1 and report["dropped"]["cut_off"] == 1
    assert report["accounts"]["ana"]["repaired"]["mentions_stripped"] == 1
    assert report["accounts"]["ana"]["repaired"]["cut_off_cut"] == 0  # the cut post was dropped as too short
    dropping, report = clean_posts(posts, clean_params(default_params, leading_mentions="drop"))
    assert dropping["text"].tolist() == ["@CNN just released the full transcript of the interview"]
    assert report["dropped"]["reply"] == 1


def test_clean_posts_on_an_empty_table(default_params):
    kept, report = clean_posts(pd.DataFrame({"account": [], "text": []}), clean_params(default_params), examples=3)
    assert kept.empty
    assert report == {"posts_in": 0, "posts_dropped": 0, "posts_kept": 0, "posts_changed": 0.0,
                      "dropped": dict.fromkeys(RULES, 0), "repaired": dict.fromkeys(REPAIRS, 0),
                      "languages_detected": 0, "accounts": {}, "examples": {}}


@pytest.mark.parametrize("emojis, links", [("keep", "marker"), ("drop", "drop")])
def test_clean_posts_on_the_real_twint_exports(real_data, default_params, emojis, links):
    frames = []
    for path in sorted((real_data / "twint").glob("*.csv")):
        export = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
        frames.append(pd.DataFrame({"account": path.stem, "text": export["tweet"], "language": export["language"],
                                    "id": export["id"]}))
    posts = pd.concat(frames, ignore_index=True)
    clean = clean_params(default_params, emojis=emojis, links=links)

    kept, report = clean_posts(posts, clean)

    texts = kept["text"]
    assert report["posts_in"] == len(posts) == 6322
    assert report["posts_kept"] == len(kept)
    assert report["posts_kept"] + sum(report["dropped"].values()) == report["posts_in"]
    assert report["posts_dropped"] == sum(report["dropped"].values())
    for account, counts in report["accounts"].items():
        assert counts["posts_kept"] + sum(counts["dropped"].values()) == counts["posts_in"]
        assert counts["posts_kept"] == (kept["account"] == account).sum()
    assert report["dropped"]["language"] > 0 and report["dropped"]["too_short"] > 0
    assert len(kept) > 0.9 * len(posts)  # real posts: the rules trim the edges, not the bulk
    assert 0.2 < report["posts_changed"] < 0.4  # links, hashtags, replies' mentions, entities
    assert not texts.str.contains(LINK_LEFT).any()
    assert not texts.str.contains(HASHTAG_LEFT).any()
    assert not texts.str.contains("&amp;", regex=False).any()
    raw_emojis = posts.set_index("id").loc[kept["id"], "text"].map(emoji.emoji_count).to_numpy()
    if emojis == "keep":  # the exports hold few: 4 of the kept posts
        assert (texts.map(emoji.emoji_count).to_numpy() == raw_emojis).all() and raw_emojis.sum() >= 4
        assert texts.str.contains(LINK_MARKER).sum() > 1000
    else:
        assert (texts.map(emoji.emoji_count) == 0).all() and report["repaired"]["emoji"] == (raw_emojis > 0).sum()
        assert not texts.str.contains(LINK_MARKER).any()
    assert (texts.map(post_length) >= clean.min_chars).all()
    assert not any(is_reply(text) for text in texts)
    assert not kept.duplicated(["account", "text"]).any()
    assert (texts.map(lambda text: clean_text(text, emojis=emojis, links=links)) == texts).all()
