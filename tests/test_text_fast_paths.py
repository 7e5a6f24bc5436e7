"""The fast paths of elm/text.py (see benchmarks/README.md) give exactly what the plain rules give."""
from __future__ import annotations

import os
import re
import string

import emoji
import pytest

from elm import text

EXAMPLES = int(os.environ.get("ELM_FUZZ_EXAMPLES", "300"))


def test_emojis_replaced_word_by_word_match_emoji_on_the_whole_text():
    """text._replace_emojis runs emoji.replace_emoji on single words; the result must be the same as
    on the whole post, whatever the mix of emojis, their pieces, spaces and letters."""
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    pieces = st.sampled_from(
        sorted(emoji.EMOJI_DATA)[::5]
        + ["\u200d", "\ufe0f", "\ufe0e", "\u20e3", "\U0001f3fb", "\U0001f1fa", "\U0001f1f8", "\U000e0067",
           "\U000e007f", "#", "1", "*", " ", "  ", "\n", "\t", "\u00a0", "\u3000", "a", "é", "x.", "@"]
    )
    posts = st.one_of(st.lists(pieces, max_size=12).map("".join), st.text(max_size=20))

    @hypothesis.settings(max_examples=EXAMPLES, deadline=None)
    @hypothesis.given(posts)
    def check(post):
        assert text._replace_emojis(post) == emoji.replace_emoji(post, " ")

    check()


@pytest.mark.parametrize("post", [
    "family 👨\u200d👩\u200d👧\u200d👦 time", "👨 \u200d👩", "👍🏽👍 🏽", "1\ufe0f\u20e3 #\u20e3",
    "🇺🇸🇫 🇷", "a\u200d👩 b👩\u200d", "❤\ufe0e❤\ufe0f ☺\ufe0e", "\u200d\u200d👩\u200d\u200d",
    "🏴\U000e0067\U000e0062 x", "\ufe0e", "a\ufe0eb \ufe0f",  # lone variation selectors: the fuzz found them
])
def test_emoji_edge_cases_word_by_word(post):
    assert text._replace_emojis(post) == emoji.replace_emoji(post, " ")


def test_ascii_near_duplicate_key_matches_the_unicode_rule():
    unicode_rule = re.compile(r"[\W\d_]+")
    every_ascii = "".join(map(chr, range(128)))
    assert text.near_duplicate_key(every_ascii) == unicode_rule.sub("", every_ascii.casefold())
    for sample in ["Day 1: Coffee, then WORK!", string.printable, "ÀB c", "Straße", ""]:
        assert text.near_duplicate_key(sample) == unicode_rule.sub("", sample.casefold())
