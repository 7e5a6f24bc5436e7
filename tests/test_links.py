"""Links in posts (elm/links.py through text.clean_text): each one a marker by default, or removed without a
hole, a dangling label included; on real-looking posts (the property tests are in tests/test_text.py)."""
from __future__ import annotations

import re

import pytest

from elm.links import LINK_MARKER, drop_dangling_label
from elm.text import clean_text

M = LINK_MARKER


def drop(post: str, done: set | None = None) -> str:
    return clean_text(post, links="drop", done=done)


# --- marker (the default) ------------------------------------------------------------------------

@pytest.mark.parametrize("post, expected", [
    ("so good https://t.co/pfOk236hQr", f"so good {M}"),
    ("HTTPS://EXAMPLE.COM/X loud", f"{M} loud"),
    ("photo pic.twitter.com/AbC123xyz", f"photo {M}"),
    ("see www.teamcoco.com/live tonight", f"see {M} tonight"),
    ("watch youtu.be/dQw4w9WgXcQ and bit.ly/3abc", f"watch {M} and {M}"),
    ("visit example.com, then leave", f"visit {M}, then leave"),
    ("Full schedule (example.com) is out now", f"Full schedule ({M}) is out now"),
    ("I love https://x.com/a!", f"I love {M}!"),
    ("glued:https://t.co/x and abchttps://t.co/y end", f"glued: {M} and abc {M} end"),
    ("Podcast audio: https://t.co/a1 Podcast video: https://t.co/b2", f"Podcast audio: {M} Podcast video: {M}"),
    ("Watch it here: https://youtu.be/x", f"Watch it here: {M}"),
    ("Will try elonmusk@hotmail.com next.", f"Will try {M} next."),
    # links with only spaces (or line breaks) between them are one marker, and a marker stays one
    ("Listen @  https://t.co/pfOk236hQr  https://t.co/kksJhz2sWO", f"Listen @ {M}"),
    (f"read this https://t.co/a\n\n{M} {M} pic.twitter.com/b", f"read this {M}"),
    (f"already marked {M} and {M}", f"already marked {M} and {M}"),
])
def test_each_link_becomes_one_marker_and_the_sentence_keeps_its_shape(post, expected):
    assert clean_text(post) == expected
    assert clean_text(expected) == expected


def test_marking_counts_links_and_email_addresses():
    done = set()
    clean_text("mail me@example.com or see https://t.co/x", done=done)
    assert done == {"email", "link"}


# --- drop ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("post, expected", [
    ("so good https://t.co/pfOk236hQr", "so good"),
    ("so good http://example.com/a?b=1&c=2 ok", "so good ok"),
    ("HTTPS://EXAMPLE.COM/X loud", "loud"),
    ("photo pic.twitter.com/AbC123xyz", "photo"),
    ("short t.co/AbC123 link", "short link"),
    ("see www.teamcoco.com/live tonight", "see tonight"),
    ("see twitter.com/@teamcoco tonight", "see tonight"),
    ("read example.com/path/to?page=2 now", "read now"),
    ("watch youtu.be/dQw4w9WgXcQ and bit.ly/3abc now", "watch and now"),
    ("visit example.com, then leave", "visit, then leave"),
    ("visit Amazon.com today", "visit today"),
    ("(see example.com/a/b).", "(see)."),
    ("I love https://x.com/a!", "I love!"),
    ("glued:https://t.co/x and abchttps://t.co/y end", "glued: and abc end"),
    ("mail me@example.com please", "mail please"),
    ("Questions? Write to press.office@bbc.co.uk.", "Questions? Write."),
])
def test_links_of_every_shape_are_removed(post, expected):
    assert drop(post) == expected


@pytest.mark.parametrize("post", [
    "e.g. this, i.e. that, etc.",
    "It was great.It really was. Me too.Me three",
    "ASP.NET and Node.js and 3.14 and 1.5/10 and w/o",
    "Awww.That is cute",
    "St.Louis/Chicago flights at 9 a.m.",
    "Apple.com's new page",
])
@pytest.mark.parametrize("links", ["marker", "drop"])
def test_words_that_only_look_like_links_stay(post, links):
    assert clean_text(post, links=links) == post


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
    assert drop(post, done) == expected
    assert repair in done


# The endings of real posts (an X archive, Twint exports), their links removed.
@pytest.mark.parametrize("post, expected", [
    ("New episode! Podcast audio: https://t.co/a1B2 Podcast video: https://youtu.be/x9", "New episode!"),
    ("Podcast audio: https://t.co/a1B2\nPodcast video: https://youtu.be/x9", ""),
    ("My talk at PyCon is online. Watch it here: https://youtu.be/abc", "My talk at PyCon is online."),
    ("Sona and I talk about Michael Jordan. Listen @  https://t.co/pfOk236hQr  https://t.co/kksJhz2sWO",
     "Sona and I talk about Michael Jordan."),
    ("Hear our conversation @ https://t.co/pfOk236hQr", ""),
    ("Brilliant piece on grief. Check it out @ https://t.co/Q0Tr4HD858.  https://t.co/2mXvZr15Lg",
     "Brilliant piece on grief."),
    ("I'll be at @upandup tonight, get tickets here https://t.co/whhzVdkOCb", "I'll be at @upandup tonight"),
    ("The movie is opening tomorrow. Get tix & watch the first 4 mins here:  http://t.co/UCWU4ER",
     "The movie is opening tomorrow."),
    ("New merch is out! Link in bio https://linktr.ee/x", "New merch is out!"),
    ("Big news 👉 https://t.co/x", "Big news"),
    ("Tickets -> https://t.co/x", ""),
    ("Find it via https://t.co/x", "Find it"),
    # a sentence of its own before the ":" stays, without its ":" or a last "here"
    ("Man, I’d do anything to trade jobs with Riley:  https://t.co/kUi2llFsXV",
     "Man, I’d do anything to trade jobs with Riley"),
    ("Right now, Trump is fuming that he went with Giuliani over his first choice, Sweet James:  https://t.co/hM",
     "Right now, Trump is fuming that he went with Giuliani over his first choice, Sweet James"),
    ("Through the years I’ve collected some of my favorites here:  https://t.co/HwSLxLZ2Jo",
     "Through the years I’ve collected some of my favorites"),
    ("Watch the life drain from my eyes in the first minute of the tasting: https://t.co/x",
     "Watch the life drain from my eyes in the first minute of the tasting"),
])
def test_a_label_left_dangling_by_a_removed_link_goes_with_it(post, expected):
    done = set()
    assert drop(post, done) == expected
    assert "link_label_cut" in done
    assert drop(expected) == expected


@pytest.mark.parametrize("post, expected", [
    ("Have a question you want me to ask her? Reply below. https://t.co/XodVpDY1Jd",
     "Have a question you want me to ask her? Reply below."),
    ("We talked about everything and much more https://t.co/x", "We talked about everything and much more"),
    ("Here we are on Colbert last night: https://t.co/x", "Here we are on Colbert last night"),  # says where
])
def test_a_sentence_that_says_something_is_no_label(post, expected):
    assert drop(post) == expected


def test_a_label_before_a_link_mid_post_and_a_post_ending_in_its_own_colon_stay():
    assert drop("Watch: https://t.co/x is the best site I know") == "Watch: is the best site I know"
    assert drop("Three things I learned:") == "Three things I learned:"  # no link was removed
    assert drop_dangling_label("Podcast audio: ") == ""
    sentence = "A whole sentence with a point of its own"
    assert drop_dangling_label(f"{sentence}: ") == sentence


def test_no_kept_post_ends_in_a_dangling_label_on_real_posts(real_data):
    """The Twint exports: among the posts that ended in a link, none is left ending in ":", "@" or a pointing
    word once the link is removed (the old rules left 203), and none with the marker."""
    import pandas as pd

    dangling = re.compile(r"(?i)(?::|(?:^|\s)@|\b(?:here|via|watch|listen|link in bio|check it out|read more"
                          r"|learn more|tickets|at|the|on))[.!]?$")
    ends_in_link = re.compile(r"(?:https?://\S+|pic\.twitter\.com/\S+)\s*$")
    texts = pd.concat([pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)["tweet"]
                       for path in sorted((real_data / "twint").glob("*.csv"))], ignore_index=True)
    linked = texts[texts.str.contains(ends_in_link)]
    assert len(linked) > 1000
    for mode in ("drop", "marker"):
        cleaned = linked.map(lambda post, mode=mode: clean_text(post, links=mode))
        left = cleaned[cleaned.str.contains(dangling)]
        assert left.empty, left.head().tolist()
