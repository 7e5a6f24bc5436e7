"""The cleaning rules of one post (elm/text.py, elm/links.py): each rule on concrete posts, and property tests on
arbitrary text (ELM_FUZZ_EXAMPLES sets how many). Links on real-looking posts: tests/test_links.py; tables of
posts: tests/test_cleaning.py."""
from __future__ import annotations

import os
import re

import emoji
import pytest

from elm.links import LINK_MARKER
from elm.text import (
    clean_text,
    is_reply,
    is_retweet,
    near_duplicate_key,
)

# What must never survive cleaning; written independently of elm/text.py's own patterns.
EMAIL_LEFT = re.compile(r"(?<![\w@.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.(?:com|org|net)\b")
MID_RETWEET_LEFT = re.compile(r"\S\s+(?:RT\s*@\w|MT\s*@\w|[\"“]\s*@\w+(?:[.@-]\w+)*\s*:)")
LINK_LEFT = re.compile(r"(?i)(?:https?|ftp)://|(?<![\w@./-])(?:www\.\w|(?:t\.co|pic\.twitter\.com|bit\.ly)/)")
HASHTAG_LEFT = re.compile(r"(?<!\w)#\w")
HTML_LEFT = re.compile(r"(?i)<br\s*/?>|</(?:p|a|span)>")
DOUBLED_MARKER = re.compile(rf"{LINK_MARKER}\s*{LINK_MARKER}")
DANGLING_END = re.compile(r"(?:[:@>]|\b(?:via|at|the|here|bio|out))[.!]?$")
MODES = [(emojis, links) for emojis in ("keep", "drop") for links in ("marker", "drop")]
EXAMPLES = int(os.environ.get("ELM_FUZZ_EXAMPLES", "300"))


@pytest.mark.parametrize("post, expected, repair", [
    ("This is exactly right RT @nytimes: The Senate passed the bill tonight", "This is exactly right", "retweet_cut"),
    ('Ha! So true "@nytimes: The Senate passed the bill tonight"', "Ha! So true", "retweet_cut"),
    ("Exactly. MT @nytimes: Senate passes bill", "Exactly.", "retweet_cut"),
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
    done = set()
    cleaned = clean_text(post, emojis="drop", done=done)
    assert cleaned == expected
    assert emoji.emoji_count(cleaned) == 0
    assert ("emoji" in done) == (emoji.emoji_count(post) > 0)


@pytest.mark.parametrize("post, expected", [
    ("We all ♥️ PyTorch.", "We all ♥️ PyTorch."),
    ("Elon: 🚀", "Elon: 🚀"),
    ("family 👨\u200d👩\u200d👧\u200d👦 time", "family 👨\u200d👩\u200d👧\u200d👦 time"),
    ("thumbs 👍🏽 up 👋🏿", "thumbs 👍🏽 up 👋🏿"),
    ("go 🇺🇸 and 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f flags",
     "go 🇺🇸 and 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f flags"),
    ("keycaps 1\ufe0f\u20e3 #\ufe0f\u20e3 done", "keycaps 1\ufe0f\u20e3 #\ufe0f\u20e3 done"),
    ("hot🔥dog", "hot🔥dog"),
    # the pieces that hold an emoji together go where they hold none
    ("lone pieces a\u200db\ufe0fc\u20e3d\U0001f1fae", "lone pieces abcde"),
    ("a joiner left over 👩\u200d and \u200d👩", "a joiner left over 👩 and 👩"),
    ("marks \u202eright\u200f to \u200bleft\ufeff", "marks right to left"),
    ("half a character\ufffd", "half a character"),
])
def test_emojis_are_kept_by_default_and_invisible_characters_outside_them_removed(post, expected):
    done = set()
    assert clean_text(post, done=done) == expected
    assert "emoji" not in done
    assert emoji.emoji_list(clean_text(post)) == emoji.emoji_list(expected)


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
    ("&quot;hi&quot; &#8220;there&#8221; &#x1F600;", '"hi" “there” 😀'),
    ("&#35;tbt and &#64;ana", "tbt and @ana"),
    ("a&nbsp;b &am\u200bp; c", "a b & c"),
])
def test_entities_are_decoded_until_stable(post, expected):
    assert clean_text(post) == expected


@pytest.mark.parametrize("post, reply, stripped", [
    ("@a @b hi there", True, "hi there"),
    ("@Kroosh: you don't have to", True, "you don't have to"),
    ("@alice@mastodon.social @bob.bsky.social, hey", True, "hey"),
    ("👋 @ana hi", True, "👋 @ana hi"),  # the emoji comes first: the mention is not the reply's opening
    ("hi @ana, see you", True, "hi @ana, see you"),
    (".@Disturbed's cover", True, ".@Disturbed's cover"),
    ("@ana's car is red", True, "@ana's car is red"),
    ("@a @b", True, ""),
    # the source says it is no reply: the mention is the sentence's subject
    ("@CNN just released the full transcript of the interview", False,
     "@CNN just released the full transcript of the interview"),
    ("@a @b hi there", False, "@a @b hi there"),
    # unknown (a table without reply information, a generated post): only what surely is a reply
    ("@CNN just released the full transcript of the interview", None,
     "@CNN just released the full transcript of the interview"),
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


def test_whitespace_is_collapsed_and_line_breaks_kept():
    assert clean_text("  a\t\tb \n\n\n\n c \u00a0 d\u3000e\r\n") == "a b\n\nc d e"
    poem = "Roses are red,  \r\nviolets are blue,\u2028\n\n\n\nsugar is sweet\u2029and so are you.\n"
    assert clean_text(poem) == "Roses are red,\nviolets are blue,\n\nsugar is sweet\nand so are you."


@pytest.mark.parametrize("post, expected", [
    ('<p>Roses are red<br>violets are blue</p><p>Q&amp;A with <a href="https://mastodon.social/@bo" class="u-url '
     'mention">@<span>bo</span></a> <a href="https://mastodon.social/tags/poetry" class="mention hashtag" '
     'rel="tag">#<span>poetry</span></a></p>', "Roses are red\nviolets are blue\n\nQ&A with @bo poetry"),
    ('<p>Slides: <a href="https://example.com/talk/slides.pdf" rel="nofollow noopener" target="_blank"><span '
     'class="invisible">https://</span><span class="ellipsis">example.com/talk/sl</span><span class="invisible">'
     'ides.pdf</span></a></p>', "Slides: HTTPURL"),
    ("first line<br/>second line<br />third", "first line\nsecond line\nthird"),
    ("<b>bold</b> move", "bold move"),
    ("&lt;p&gt;escaped twice&lt;/p&gt;", "escaped twice"),
])
def test_html_becomes_text_with_its_line_breaks(post, expected):
    done = set()
    assert clean_text(post, done=done) == expected
    assert "html" in done


@pytest.mark.parametrize("post", [
    "I <3 you", "a<b and b>c", "x </3 y", "use <p> for a paragraph", "<br", "1 < 2 > 0", "<pizza> party",
])
def test_text_that_only_looks_like_html_stays(post):
    done = set()
    assert clean_text(post, done=done) == post
    assert "html" not in done


@pytest.mark.parametrize("post, expected", [
    ('"@conan: so funny" ha', True),   # a manual retweet: someone else's words, quoted
    ("“@conan: so funny”", True),
    ("MT @conan: so funny (shortened)", True),
    ("rt @conan: lowercase", True),
    ("  RT @conan: leading space", True),
    ("RT this if you agree", False),
    ("ART @gallery opening", False),
    ("so funny RT @conan:", False),
    ('"@conan is so funny" says everyone', False),   # a quote about someone, not of them
    ("MT@ the station", False),
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
    two_lines = "Roses are red,\nviolets are blue"
    assert near_duplicate_key(two_lines) == near_duplicate_key("roses are red violets are blue")
    assert near_duplicate_key(f"read this {LINK_MARKER}") != near_duplicate_key("read this")
    assert near_duplicate_key("coffee then work") != near_duplicate_key("tea then work")
    assert near_duplicate_key("2020!!! 2021???") == ""


@pytest.mark.parametrize("post", [
    "", " ", "\x00", "\ud800 lone surrogate", "&#xD800; &#0; &#x110000; &#99999999999;", "&", "#", "@", "RT",
    "&amp;#35;tag", "#https://t.co/x", "@a #b https://c.com/d 👍🏽 &amp;", "‮‏ ", "a" * 5000, "<p>", "</p></p>",
    "&lt;br&gt;&lt;br&gt;", "\n\n\u2028 \n", f"{LINK_MARKER}{LINK_MARKER}", "🇺\u200b🇸", "❤\u200b\ufe0f", ': https://t.co/x',
    '"@a: "@b: x', "https://t.co/x (https://t.co/y)", "@ https://t.co/x", "via the https://x.com",
])
def test_odd_input_never_raises_and_is_idempotent(post):
    for emojis, links in MODES:
        once = clean_text(post, emojis=emojis, links=links)
        assert clean_text(once, emojis=emojis, links=links) == once
        twice = clean_text(clean_text(post, "drop", "keep", emojis=emojis, links=links), "drop", "keep", emojis=emojis,
                           links=links)
        assert clean_text(post, "drop", "keep", emojis=emojis, links=links) == twice


# --- property tests ------------------------------------------------------------------------------

def test_clean_text_properties_on_arbitrary_text():
    """For any text, in every emojis and links mode: no exception, idempotent; no link, e-mail address, quote
    of someone else, HTML tag or hashtag left, no emoji left when dropped, markers never doubled, lines trimmed
    and at most one blank line in a row; a label a removed link left at the end goes; links are never words of
    the result; emojis between words are kept."""
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
    entities = st.sampled_from(["&amp;", "&amp;amp;", "&lt;", "&gt;", "&#35;", "&#64;", "&#x1F600;", "&#8203;",
                                "&#x200D;", "&nbsp;", "&", "&#", "&am", "p;", "&#xFE0F;", "&#x20E3;"])
    markup = st.sampled_from(["<p>", "</p>", "<br>", "<br/>", '<a href="https://x.social/@bo">', "</a>",
                              '<span class="invisible">', "</span>", "<b>", "</b>", "<3", "a<b", "</3", "&lt;br&gt;"])
    rtl = st.text(st.characters(min_codepoint=0x590, max_codepoint=0x6FF), max_size=8)
    controls = st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), min_size=1, max_size=3)
    breaks = st.sampled_from(["\n", "\n\n\n", "\r\n", " \n ", "\u2028", "\u2029", "\x0b"])
    mentions = st.builds("@{}".format, word)
    emails = st.builds("{}@{}.{}".format, word, word, st.sampled_from(["com", "org", "net"]))
    quoted = st.builds("{}{} @{}: {}".format, st.sampled_from([" ", ""]), st.sampled_from(["RT", "MT", '"', "“"]),
                       word, word)
    cut_off = st.builds("{}… https://fb.me/{}".format, word, word)
    mojibake = st.sampled_from(["itâ€™s", "cafÃ©", "â€œquoteâ€\x9d", "Ã©tÃ©"])
    labels = st.sampled_from(["Watch it here:", "Podcast audio:", "Listen @", "Hear our conversation @", "More:",
                              "Check it out", "Link in bio", "via", "at the", "Tickets ->", "Big news 👉", ":", "@"])
    fragment = st.one_of(st.text(max_size=10), links, emojis, hashtags, entities, markup, rtl, controls, breaks,
                         mentions, emails, quoted, cut_off, mojibake, labels,
                         st.sampled_from(["RT", "MT", ":", ".", "/", "(", ")", "www.", "http", "://", "@", "…",
                                          LINK_MARKER]))
    glued = st.lists(fragment, max_size=10).map("".join)
    spaced = st.lists(fragment, max_size=10).map(" ".join)
    posts = st.one_of(st.text(), glued, spaced)
    modes = st.sampled_from(MODES)

    @hypothesis.settings(max_examples=EXAMPLES, deadline=None)
    @hypothesis.given(posts, st.sampled_from(["word", "drop"]), st.sampled_from(["strip", "drop", "keep"]),
                      st.sampled_from([True, False, None]), modes)
    def check(post, hashtags_mode, mentions_mode, reply, mode):
        emojis_mode, links_mode = mode
        cleaned = clean_text(post, hashtags_mode, mentions_mode, reply, emojis=emojis_mode, links=links_mode)
        assert clean_text(cleaned, hashtags_mode, mentions_mode, reply, emojis=emojis_mode, links=links_mode) == cleaned
        assert not LINK_LEFT.search(cleaned)
        assert not EMAIL_LEFT.search(cleaned)
        assert not MID_RETWEET_LEFT.search(cleaned)
        assert not HTML_LEFT.search(cleaned)
        assert not HASHTAG_LEFT.search(cleaned)
        if emojis_mode == "drop":
            assert emoji.emoji_count(cleaned) == 0
        if links_mode == "marker":
            assert not DOUBLED_MARKER.search(cleaned)
        assert cleaned == cleaned.strip() and "  " not in cleaned and "\n\n\n" not in cleaned
        assert all(line == line.strip() for line in cleaned.split("\n")) and "\r" not in cleaned
        if mentions_mode == "strip":
            assert not is_reply(cleaned, reply)

    sentence_words = st.lists(st.text("abcdefghij", min_size=1, max_size=6), min_size=1, max_size=4).map(" ".join)
    wrapped = st.builds("{}{}{}".format, st.sampled_from(["", "(", "[", "the ", "at the ", "via "]),
                        st.one_of(links, emails), st.sampled_from(["", ")", "]", ".", ",", "!"]))
    ending = st.builds("{} {}{}".format, labels, st.one_of(links, emails, st.builds("({})".format, links)),
                       st.sampled_from(["", ".", "!"]))

    @hypothesis.settings(max_examples=EXAMPLES, deadline=None)
    @hypothesis.given(st.lists(st.one_of(sentence_words.map(lambda words: words + "."), sentence_words, wrapped,
                                         mojibake), min_size=1, max_size=8), st.one_of(st.just(""), ending))
    @hypothesis.example(["www.0.com..."], "")   # the post's own ellipsis after a link is not a hole
    @hypothesis.example(["abc."], "Podcast audio: https://t.co/a Podcast video: https://t.co/b")
    def check_no_holes(pieces, end):
        """Links dropped from sentences, in brackets, after "the"/"at"/"via", between full stops, after a label
        at the end, and words mis-decoded once: no hole left, no mojibake left, no dangling label."""
        post = " ".join(pieces + [end])
        cleaned = clean_text(post, links="drop")
        assert "â€" not in cleaned and "Ã" not in cleaned
        assert "()" not in cleaned and "[]" not in cleaned and "( )" not in cleaned
        squeezed = cleaned.replace(" ", "").replace("...", "")
        assert ".." not in squeezed or ".." in post.replace(" ", "").replace("...", "")
        assert not re.search(r"\b(?:the|at|via)$", cleaned) or re.search(r"\b(?:the|at|via)$", post)
        if end:
            assert not DANGLING_END.search(cleaned)

    @hypothesis.settings(max_examples=EXAMPLES, deadline=None)
    @hypothesis.given(st.lists(st.one_of(fragment, links.map(lambda link: ("link", link))), max_size=8), modes)
    def check_links_as_words(pieces, mode):
        post = " ".join(piece[1] if isinstance(piece, tuple) else piece for piece in pieces)
        words = clean_text(post, emojis=mode[0], links=mode[1]).split()
        for piece in pieces:
            if isinstance(piece, tuple):
                assert piece[1] not in words

    every_emoji = st.sampled_from(sorted(emoji.EMOJI_DATA))

    @hypothesis.settings(max_examples=EXAMPLES, deadline=None)
    @hypothesis.given(st.lists(st.one_of(sentence_words, every_emoji), min_size=1, max_size=8),
                      st.sampled_from([" ", "\n"]))
    def check_emojis_kept(pieces, separator):
        post = separator.join(pieces)
        kept = [found["emoji"] for found in emoji.emoji_list(clean_text(post))]
        assert kept == [found["emoji"] for found in emoji.emoji_list(post)]

    check()
    check_links_as_words()
    check_no_holes()
    check_emojis_kept()
