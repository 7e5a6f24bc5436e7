"""The cleaning rules in elm/text.py: each rule on concrete posts, the table-level counts,
a property test on arbitrary text, and the real Twint exports."""
from __future__ import annotations

import os
import re

import emoji
import pandas as pd
import pytest

from elm import text as text_module
from elm.params.clean import Clean
from elm.params.validation import build
from elm.text import (
    REPAIRS,
    RULES,
    clean_posts,
    clean_text,
    is_reply,
    is_retweet,
    near_duplicate_key,
)

# What must never survive cleaning; written independently of elm/text.py's own patterns.
EMAIL_LEFT = re.compile(r"(?<![\w@.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.(?:com|org|net)\b")
MID_RETWEET_LEFT = re.compile(r"\S\s+RT\s*@\w")
LINK_LEFT = re.compile(r"(?i)(?:https?|ftp)://|(?<![\w@./-])(?:www\.\w|(?:t\.co|pic\.twitter\.com|bit\.ly)/)")
HASHTAG_LEFT = re.compile(r"(?<!\w)#\w")


def clean_params(default_params, **changes):
    """The project's ``clean`` section with ``changes``, validated like a real params file."""
    return build(Clean, {**default_params["clean"], **changes}, "clean")


# --- links ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("post, expected", [
    ("so good https://t.co/pfOk236hQr", "so good"),
    ("so good http://example.com/a?b=1&c=2 ok", "so good ok"),
    ("HTTPS://EXAMPLE.COM/X loud", "loud"),
    ("photo pic.twitter.com/AbC123xyz", "photo"),
    ("short t.co/AbC123 link", "short link"),
    ("see www.teamcoco.com/live tonight", "see tonight"),
    ("see twitter.com/@teamcoco tonight", "see tonight"),
    ("read example.com/path/to?page=2 now", "read now"),
    ("watch youtu.be/dQw4w9WgXcQ and bit.ly/3abc", "watch and"),
    ("visit example.com, then leave", "visit, then leave"),
    ("visit Amazon.com today", "visit today"),
    ("(see example.com/a/b).", "(see)."),
    ("I love https://x.com/a!", "I love!"),
    ("glued:https://t.co/x and abchttps://t.co/y end", "glued: and abc end"),
    ("Listen @  https://t.co/pfOk236hQr  https://t.co/kksJhz2sWO", "Listen @"),
    ("mail me@example.com please", "mail please"),
    ("Questions? Write to press.office@bbc.co.uk.", "Questions? Write."),
])
def test_links_of_every_shape_are_removed(post, expected):
    assert clean_text(post) == expected


@pytest.mark.parametrize("post", [
    "e.g. this, i.e. that, etc.",
    "It was great.It really was. Me too.Me three",
    "ASP.NET and Node.js and 3.14 and 1.5/10 and w/o",
    "Awww.That is cute",
    "St.Louis/Chicago flights at 9 a.m.",
    "Apple.com's new page",
])
def test_words_that_only_look_like_links_stay(post):
    assert clean_text(post) == post


@pytest.mark.parametrize("post, expected, repair", [
    ("Full schedule (example.com) is out now", "Full schedule is out now", "link_brackets"),
    ("Read the thread [bit.ly/3xYz] before replying", "Read the thread before replying", "link_brackets"),
    ("Join us on the www.example.com at noon", "Join us at noon", "link_preposition"),
    ("Tickets available via eventbrite.com/e/12345 from Monday", "Tickets available from Monday", "link_preposition"),
    ("More info available. www.example.tv/x. More soon", "More info available. More soon", "link_punctuation"),
    ("Slides are up! https://t.co/AbC!! Thanks all", "Slides are up! Thanks all", "link_punctuation"),
    ("Send your questions to ask.me@example.org and I will answer", "Send your questions and I will answer", "email"),
])
def test_removing_a_link_leaves_no_hole(post, expected, repair):
    done = set()
    assert clean_text(post, done=done) == expected
    assert repair in done


@pytest.mark.parametrize("post, expected, repair", [
    ("This is exactly right RT @nytimes: The Senate passed the bill tonight", "This is exactly right", "retweet_cut"),
    ("Had the best time at the lake. Can't wait to go back next summer wi… https://www.facebook.com/1/posts/2",
     "Had the best time at the lake.", "cut_off_cut"),
    ("Just posted a photo @ Central Park — New York, NY… http://instagr.am/p/AbCd/", "", "cut_off_cut"),
    ("Itâ€™s been a long week â€” time for coffee", "It’s been a long week — time for coffee", "mojibake"),
    ("Ã‰tÃ© Ã\xa0 Paris, cafÃ© au lait", "Été à Paris, café au lait", "mojibake"),
])
def test_quoted_cut_off_and_mis_decoded_text_is_repaired(post, expected, repair):
    done = set()
    assert clean_text(post, done=done) == expected
    assert done == {repair}


@pytest.mark.parametrize("post", [
    "Well… I guess we will see tomorrow",            # an ellipsis, no link after: the writer's own
    "RT this if you agree with me on the matter",   # "RT" without a handle
    "café, naïve, résumé and “quotes” – as written", # correct non-ASCII text is no mojibake
    "She said ART @ the gallery was great",
])
def test_look_alikes_of_quoted_and_damaged_text_stay(post):
    done = set()
    assert clean_text(post, done=done) == post
    assert not done


# --- emojis and invisible characters -------------------------------------------------------------

@pytest.mark.parametrize("post, expected", [
    ("family 👨\u200d👩\u200d👧\u200d👦 time", "family time"),
    ("thumbs 👍🏽 up 👋🏿", "thumbs up"),
    ("go 🇺🇸 and 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f flags", "go and flags"),
    ("keycaps 1\ufe0f\u20e3 #\ufe0f\u20e3 *\u20e3 done", "keycaps done"),
    ("love ❤\ufe0f and ❤ and ☺", "love and and"),
    ("hot🔥dog", "hot dog"),
    ("lone pieces a\u200db\ufe0fc\u20e3d\U0001f1fae \U0001f3fb", "lone pieces abcde"),
    ("marks \u202eright\u200f to \u200bleft\ufeff", "marks right to left"),
    ("bell\x07 and null\x00 and del\x7f", "bell and null and del"),
    ("half a character\ufffd and \ufffd\ufffd", "half a character and"),  # U+FFFD: bytes nobody could decode
])
def test_emojis_and_invisible_characters_are_removed(post, expected):
    cleaned = clean_text(post)
    assert cleaned == expected
    assert emoji.emoji_count(cleaned) == 0


def test_other_scripts_and_curly_quotes_stay():
    post = "“Quoted” — مرحبا بالعالم — שלום — こんにちは — naïve café"
    assert clean_text(post) == post


# --- hashtags, entities, mentions, whitespace ----------------------------------------------------

@pytest.mark.parametrize("mode, expected", [
    ("word", "tbt to the beach, summer and 2020 C# a#b"),
    ("drop", "to the beach, and C# a#b"),
])
def test_hashtag_modes(mode, expected):
    assert clean_text("#tbt to the beach, ##summer and #2020 C# a#b", hashtags=mode) == expected


@pytest.mark.parametrize("post, expected", [
    ("Q&amp;A", "Q&A"),
    ("Harry &amp;amp; David", "Harry & David"),
    ("&amp;amp;amp;lt;3", "<3"),
    ("&quot;hi&quot; &#8220;there&#8221; &#x1F600;", '"hi" “there”'),
    ("&#35;tbt and &#64;ana", "tbt and @ana"),
    ("a&nbsp;b &am\u200bp; c", "a b & c"),
])
def test_entities_are_decoded_until_stable(post, expected):
    assert clean_text(post) == expected


@pytest.mark.parametrize("post, reply, stripped", [
    ("@a @b hi there", True, "hi there"),
    ("@Kroosh: you don't have to", True, "you don't have to"),
    ("@alice@mastodon.social @bob.bsky.social, hey", True, "hey"),
    ("👋 @ana hi", True, "hi"),
    ("hi @ana, see you", True, "hi @ana, see you"),
    (".@Disturbed's cover", True, ".@Disturbed's cover"),
    ("@ana's car is red", True, "@ana's car is red"),
    ("@a @b", True, ""),
    # the source says it is no reply: the mention is the sentence's subject
    ("@CNN just released the full transcript of the interview", False, "@CNN just released the full transcript of the interview"),
    ("@a @b hi there", False, "@a @b hi there"),
    # unknown (a table without reply information, a generated post): only what surely is a reply
    ("@CNN just released the full transcript of the interview", None, "@CNN just released the full transcript of the interview"),
    ("@ana @bo thanks, see you both", None, "thanks, see you both"),
    ("@ana: thanks!", None, "thanks!"),
    ("@alice@mastodon.social hey there", None, "@alice@mastodon.social hey there"),
])
def test_leading_mentions_of_replies_only(post, reply, stripped):
    done = set()
    assert clean_text(post, leading_mentions="strip", reply=reply, done=done) == stripped
    assert ("mentions_stripped" in done) == (stripped != post)
    kept = clean_text(post, leading_mentions="keep", reply=reply)
    assert kept == clean_text(post, leading_mentions="drop", reply=reply)
    assert "@" in kept


def test_whitespace_is_collapsed():
    assert clean_text("  a\t\tb\n\nc \u00a0 d\u3000e\r\n") == "a b c d e"


@pytest.mark.parametrize("post, expected", [
    ("RT @conan: so funny", True),
    ("rt @conan: lowercase", True),
    ("  RT @conan: leading space", True),
    ("RT this if you agree", False),
    ("ART @gallery opening", False),
    ("so funny RT @conan:", False),
])
def test_is_retweet(post, expected):
    assert is_retweet(post) is expected


@pytest.mark.parametrize("post, reply, expected", [
    ("@ana thanks!", True, True),
    ("@ana: thanks!", True, True),
    ("thanks @ana", True, False),
    (".@ana thanks", True, False),
    ("@ana's car", True, False),
    ("", True, False),
    ("@ana thanks!", False, False),
    ("@CNN just released the report", None, False),
    ("@ana: thanks!", None, True),
    ("@ana @bo thanks!", None, True),
])
def test_is_reply(post, reply, expected):
    assert is_reply(post, reply) is expected


def test_near_duplicate_key_ignores_case_punctuation_digits_and_spaces():
    assert near_duplicate_key("Day 1: Coffee, then work!") == near_duplicate_key("day 2 -- coffee then  WORK")
    assert near_duplicate_key("coffee then work") != near_duplicate_key("tea then work")
    assert near_duplicate_key("2020!!! 2021???") == ""


@pytest.mark.parametrize("post", [
    "", " ", "\x00", "\ud800 lone surrogate", "&#xD800; &#0; &#x110000; &#99999999999;", "&", "#", "@", "RT",
    "&amp;#35;tag", "#https://t.co/x", "@a #b https://c.com/d 👍🏽 &amp;", "‮‏ ", "a" * 5000,
])
def test_odd_input_never_raises_and_is_idempotent(post):
    once = clean_text(post)
    assert clean_text(once) == once
    assert clean_text(post, "drop", "keep") == clean_text(clean_text(post, "drop", "keep"), "drop", "keep")


# --- clean_posts ---------------------------------------------------------------------------------

def small_posts() -> pd.DataFrame:
    rows = [  # account, text, language, the rule that should drop it ("" = kept)
        ("ana", "RT @bo: a retweet that is long enough to keep", "en", "retweet"),
        ("ana", "una publicación en español bastante larga", "es", "language"),
        ("ana", "a post whose language the source does not know", "", ""),
        ("ana", "an English post tagged en-US, long enough too", "en-US", ""),
        ("ana", "https://t.co/abc 👍", "en", "empty"),
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
    assert report["posts_in"] == 12
    assert report["posts_kept"] == 6
    assert report["dropped"] == {
        "retweet": 1, "language": 1, "reply": 0, "cut_off": 0, "empty": 1, "too_short": 1, "duplicate": 1,
        "near_duplicate": 1,
    }
    assert report["repaired"] == {**dict.fromkeys(REPAIRS, 0), "mentions_stripped": 1}
    assert report["accounts"]["ana"]["posts_in"] == 9
    assert report["accounts"]["ana"]["posts_kept"] == 3
    assert report["accounts"]["ana"]["languages_detected"] == {"en": 1}
    assert report["languages_detected"] == 1
    assert report["accounts"]["bo"] == {
        "posts_in": 3, "posts_kept": 3, "dropped": dict.fromkeys(RULES, 0), "repaired": dict.fromkeys(REPAIRS, 0),
        "languages_detected": {},
    }


def test_clean_posts_rules_follow_their_params(default_params):
    posts = small_posts()
    loose = clean_params(
        default_params, drop_retweets=False, languages=[], near_duplicates=False, min_chars=0, leading_mentions="drop",
    )
    kept, report = clean_posts(posts, loose)
    assert report["dropped"] == {
        "retweet": 0, "language": 0, "reply": 1, "cut_off": 0, "empty": 1, "too_short": 0, "duplicate": 0,
        "near_duplicate": 0,
    }
    assert "RT @bo: a retweet that is long enough to keep" in kept["text"].tolist()
    assert "too short tbt" in kept["text"].tolist()
    assert not any(is_reply(text, True) for text in kept["text"])


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
                                     "and some words in a language nobody tagged",
                                     "Ich weiß nicht, was ich heute Abend mit meinen Freunden machen soll"]
    assert report["dropped"]["language"] == 2
    assert report["accounts"]["ana"]["languages_detected"] == {"en": 1}  # "und" and "en" are the source's
    _, keep_all = clean_posts(posts, clean_params(default_params, languages=[]))
    assert keep_all["posts_kept"] == 5 and keep_all["languages_detected"] == 0


def test_language_detection_in_parallel_gives_the_serial_result_in_order(monkeypatch):
    texts = ["Je ne sais pas quoi faire ce soir", "I have no idea what to do tonight",
             "Das ist ein sehr schöner Tag heute", "Hoy hace mucho calor en la ciudad"] * 3
    serial = text_module.detect_languages(texts)
    assert serial[:4] == ["fr", "en", "de", "es"]
    monkeypatch.setattr(text_module, "PARALLEL_FROM", 5)
    monkeypatch.setattr(text_module, "DETECT_CHUNK", 4)
    assert text_module.detect_languages(texts) == serial


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
    kept, report = clean_posts(pd.DataFrame({"account": [], "text": []}), clean_params(default_params))
    assert kept.empty
    assert report == {"posts_in": 0, "posts_kept": 0, "dropped": dict.fromkeys(RULES, 0),
                      "repaired": dict.fromkeys(REPAIRS, 0), "languages_detected": 0, "accounts": {}}


def test_clean_posts_on_the_real_twint_exports(real_data, default_params):
    frames = []
    for path in sorted((real_data / "twint").glob("*.csv")):
        export = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
        frames.append(pd.DataFrame({"account": path.stem, "text": export["tweet"], "language": export["language"]}))
    posts = pd.concat(frames, ignore_index=True)
    clean = clean_params(default_params)

    kept, report = clean_posts(posts, clean)

    texts = kept["text"]
    assert report["posts_in"] == len(posts) == 6322
    assert report["posts_kept"] == len(kept)
    assert report["posts_kept"] + sum(report["dropped"].values()) == report["posts_in"]
    for account, counts in report["accounts"].items():
        assert counts["posts_kept"] + sum(counts["dropped"].values()) == counts["posts_in"]
        assert counts["posts_kept"] == (kept["account"] == account).sum()
    assert report["dropped"]["language"] > 0 and report["dropped"]["too_short"] > 0
    assert len(kept) > 0.9 * len(posts)  # real posts: the rules trim the edges, not the bulk
    assert not texts.str.contains(LINK_LEFT).any()
    assert not texts.str.contains(HASHTAG_LEFT).any()
    assert not texts.str.contains("&amp;", regex=False).any()
    assert (texts.map(emoji.emoji_count) == 0).all()
    assert (texts.str.len() >= clean.min_chars).all()
    assert not any(is_reply(text) for text in texts)
    assert not kept.duplicated(["account", "text"]).any()
    assert (texts.map(clean_text) == texts).all()


# --- property test -------------------------------------------------------------------------------

def test_clean_text_properties_on_arbitrary_text():
    """For any text: no exception, idempotent, and no link, emoji or hashtag left in the result."""
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    word = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
    path = st.text("abcXYZ0189/?=&-_.%", max_size=12)
    links = st.one_of(
        st.builds("{}://{}.{}/{}".format, st.sampled_from(["http", "https", "HTTPS", "ftp"]), word,
                  st.sampled_from(["com", "org", "io"]), path),
        st.builds("www.{}.com{}".format, word, path),
        st.builds("t.co/{}".format, word),
        st.builds("pic.twitter.com/{}".format, word),
        st.builds("{}.{}/{}".format, word, st.sampled_from(["com", "be", "ly", "news"]), path),
        st.builds("{}.com".format, word),
    )
    emoji_pieces = st.sampled_from(
        sorted(emoji.EMOJI_DATA)[::7] + ["\u200d", "\ufe0f", "\ufe0e", "\u20e3", "\U0001f3fb", "\U0001f3ff",
                                         "\U0001f1fa", "\U0001f1f8", "\U000e0067", "\U000e007f", "#", "1", "*"]
    )
    emojis = st.lists(emoji_pieces, min_size=1, max_size=6).map("".join)
    hashtags = st.builds("{}{}".format, st.sampled_from(["#", "##", "＃"]), word)
    entities = st.sampled_from(["&amp;", "&amp;amp;", "&lt;", "&#35;", "&#64;", "&#x1F600;", "&#8203;", "&#x200D;",
                                "&nbsp;", "&", "&#", "&am", "p;", "&#xFE0F;", "&#x20E3;"])
    rtl = st.text(st.characters(min_codepoint=0x590, max_codepoint=0x6FF), max_size=8)
    controls = st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), min_size=1, max_size=3)
    mentions = st.builds("@{}".format, word)
    emails = st.builds("{}@{}.{}".format, word, word, st.sampled_from(["com", "org", "net"]))
    quoted = st.builds(" RT @{}: {}".format, word, word)
    cut_off = st.builds("{}… https://fb.me/{}".format, word, word)
    mojibake = st.sampled_from(["itâ€™s", "cafÃ©", "â€œquoteâ€\x9d", "Ã©tÃ©"])
    fragment = st.one_of(st.text(max_size=10), links, emojis, hashtags, entities, rtl, controls, mentions,
                         emails, quoted, cut_off, mojibake,
                         st.sampled_from(["RT", ":", ".", "/", "(", ")", "www.", "http", "://", "@", "…"]))
    glued = st.lists(fragment, max_size=10).map("".join)
    spaced = st.lists(fragment, max_size=10).map(" ".join)
    posts = st.one_of(st.text(), glued, spaced)

    @hypothesis.settings(max_examples=int(os.environ.get("ELM_FUZZ_EXAMPLES", "300")), deadline=None)
    @hypothesis.given(posts, st.sampled_from(["word", "drop"]), st.sampled_from(["strip", "drop", "keep"]),
                      st.sampled_from([True, False, None]))
    def check(post, hashtags_mode, mentions_mode, reply):
        cleaned = clean_text(post, hashtags_mode, mentions_mode, reply)
        assert clean_text(cleaned, hashtags_mode, mentions_mode, reply) == cleaned
        assert not LINK_LEFT.search(cleaned)
        assert not EMAIL_LEFT.search(cleaned)
        assert not MID_RETWEET_LEFT.search(cleaned)
        assert emoji.emoji_count(cleaned) == 0
        assert not HASHTAG_LEFT.search(cleaned)
        assert cleaned == cleaned.strip() and "  " not in cleaned
        if mentions_mode == "strip":
            assert not is_reply(cleaned, reply)

    sentence_words = st.lists(st.text("abcdefghij", min_size=1, max_size=6), min_size=1, max_size=4).map(" ".join)
    wrapped = st.builds("{}{}{}".format, st.sampled_from(["", "(", "[", "the ", "at the ", "via "]),
                        st.one_of(links, emails), st.sampled_from(["", ")", "]", ".", ",", "!"]))

    @hypothesis.settings(max_examples=int(os.environ.get("ELM_FUZZ_EXAMPLES", "300")), deadline=None)
    @hypothesis.given(st.lists(st.one_of(sentence_words.map(lambda words: words + "."), sentence_words, wrapped,
                                         mojibake), min_size=1, max_size=8))
    @hypothesis.example(["www.0.com..."])   # the post's own ellipsis after a link is not a hole
    def check_no_holes(pieces):
        """Sentences with links in brackets, after "the"/"at"/"via", between full stops, and words
        mis-decoded once: no hole left, no mojibake left."""
        post = " ".join(pieces)
        cleaned = clean_text(post)
        assert "â€" not in cleaned and "Ã" not in cleaned
        assert "()" not in cleaned and "[]" not in cleaned and "( )" not in cleaned
        assert ".." not in cleaned.replace(" ", "").replace("...", "") or ".." in post.replace(" ", "").replace("...", "")
        assert not re.search(r"\b(?:the|at|via)$", cleaned) or re.search(r"\b(?:the|at|via)$", post)

    @hypothesis.settings(max_examples=int(os.environ.get("ELM_FUZZ_EXAMPLES", "300")), deadline=None)
    @hypothesis.given(st.lists(st.one_of(fragment, links.map(lambda link: ("link", link))), max_size=8))
    def check_links_as_words(pieces):
        post = " ".join(piece[1] if isinstance(piece, tuple) else piece for piece in pieces)
        words = clean_text(post).split()
        for piece in pieces:
            if isinstance(piece, tuple):
                assert piece[1] not in words

    check()
    check_links_as_words()
    check_no_holes()
