"""Cleaning rules for one post, shared by the clean and generate stages, so real and generated posts are cleaned alike.

The seed study filtered its real posts but not its generated ones, and a detector then learned "starts
with @" and "is short" instead of style. Every rule therefore lives here once (links in elm/links.py), and
elm/cleaning.py applies them to a table of posts (a little over 300 lines: the rules of one post, in the order
clean_text applies them, read best together). Elm imitates what people wrote, so cleaning keeps the voice:

- :func:`clean_text` rewrites one post: HTML to text, encoding damage repaired, entities decoded, a
  quoted retweet or a cross-post's cut-off tail cut, invisible characters removed, emojis kept or dropped
  (``clean.emojis``), links marked or dropped (``clean.links``, elm/links.py), hashtags, a reply's leading
  mentions, and whitespace collapsed with the post's line breaks kept (:func:`normalize_whitespace`);
- :func:`is_retweet`, :func:`is_reply`, :func:`has_mojibake`, :func:`looks_like_html`,
  :func:`near_duplicate_key` and :func:`post_length` are the named predicates and measures.

Replies. A post's leading @mentions are cut (``leading_mentions: strip``) or the post dropped
(``drop``) only when the post is a reply. Sources that know say so in a ``reply`` column (True,
False, or missing/None when unknown: the twint, archive and live sources fill it); "@CNN just
released ..." from a source that says it is no reply keeps its subject. Where it is unknown (a table
without reply information, generated posts) a conservative text rule decides (:func:`looks_like_reply`):
two or more leading mentions, or one followed by ":" or ",".

Quotes of others are not the account's voice: a retweet ("RT @bo: ...", "MT @bo: ...") or a manual one
(a post opening with '"@bo: ...') is dropped, and what follows such a quote mid-post is cut.
"""
from __future__ import annotations

import html
import re
import unicodedata

import emoji
import ftfy
from ftfy import badness

from elm.links import LINK_MARKER, drop_links, mark_links
from elm.markup import html_to_text
from elm.params.clean import EMOJI_MODES, HASHTAG_MODES, LEADING_MENTION_MODES, LINK_MODES

REPAIRS = ("html", "mojibake", "mentions_stripped", "retweet_cut", "cut_off_cut", "emoji", "link", "email",
           "link_label_cut", "link_brackets", "link_preposition", "link_punctuation")
"""What :func:`clean_text` may change in a post it keeps ("emoji": emojis dropped; "link", "email": links
and addresses marked or dropped); elm/cleaning.py counts each per account."""

# --- emojis and invisible characters -------------------------------------------------------------
# emoji.replace_emoji is slow (~3 us a character), so it runs only on the words holding a character
# that occurs in some emoji; every emoji contains at least one non-ASCII one.
_EMOJI_CHARS = frozenset(ch for key in emoji.EMOJI_DATA for ch in key if not ch.isascii()) | {
    "\ufe0e", "\ufe0f"}  # replace_emoji also drops a variation selector standing alone ("a\ufe0eb" -> "ab")
_WHITESPACE_RUNS = re.compile(r"(\s+)")  # for split() that keeps the separators


def _invisible_chars() -> frozenset[str]:
    """Characters that render as nothing or as a placeholder: control and format characters (except
    whitespace, which becomes a space), the replacement character and the emoji pieces that outlive
    replace_emoji: variation selectors, skin tones, the keycap mark and lone regional indicators (which could
    pair up into a flag)."""
    # Unicode assigns format and control characters only in planes 0, 1 and 14; scanning just those
    # keeps the import fast.
    planes = [range(0x20000), range(0xE0000, 0xE1000)]
    controls = [
        cp for plane in planes for cp in plane
        if unicodedata.category(chr(cp)) in ("Cc", "Cf", "Cs") and not chr(cp).isspace()
    ]
    emoji_pieces = [
        *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0),   # variation selectors
        *range(0x1F3FB, 0x1F400),                           # skin tones
        0x20E3,                                             # combining enclosing keycap
        *range(0x1F1E6, 0x1F200),                           # regional indicators
    ]
    # U+FFFD stands where a decoder met bytes it could not read: a broken source file, or a generated
    # post whose byte-level tokens stopped halfway through a character
    unreadable = [0xFFFD]
    return frozenset(map(chr, controls + emoji_pieces + unreadable))


_INVISIBLE_CHARS = _invisible_chars()
_INVISIBLE_ASCII = re.compile("[" + "".join(re.escape(ch) for ch in sorted(_INVISIBLE_CHARS) if ch.isascii()) + "]")

# --- hashtags, mentions, retweets, HTML, line breaks ---------------------------------------------
_HASHTAG_SIGN = re.compile(r"(?<!\w)#+(?=\w)")        # "#tbt" -> "tbt"; "C#" is not a hashtag
_HASHTAG = re.compile(r"(?<!\w)#+\w+")
# A handle as Twitter, Mastodon (@a@host.social) and Bluesky (@a.bsky.social) write it, followed by
# a space, ":" or ","; "@ana's" is a sentence about Ana, not a reply to her.
_MENTION = r"@\w+(?:[.@-]\w+)*[:,]?(?:\s+|$)"
_LEADING_MENTIONS = re.compile(rf"(?:{_MENTION})+")
_REPLY = re.compile(rf"\s*{_MENTION}")
_ONE_MENTION = re.compile(_MENTION)
# someone else's words: "RT @bo", "MT @bo" (a modified retweet) and a manual retweet, a quote opening '"@bo: '
_QUOTE = r"MT\s*@\w|[\"“]\s*@\w+(?:[.@-]\w+)*\s*:"
_RETWEET = re.compile(rf"\s*(?:(?i:RT)\s*@\w|{_QUOTE})")
_MID_RETWEET = re.compile(rf"(?<=\S)\s+(?:RT\s*@\w|{_QUOTE})")  # "so true RT @bo: ...": "rt" mid-post may be a word
# A cross-post another service cut short: a word broken by "…", then the link to the whole post.
_CUT_OFF = re.compile(r"\S*…\s*(?:(?:https?://|www\.)\S*|[\w-]+(?:\.[\w-]+)+/\S*)\s*$", re.IGNORECASE)
_SENTENCE_END = re.compile(r".*[.!?][\"')\]”’]*(?=\s)", re.DOTALL)
_MOJIBAKE_PAIR = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014"
    "\u2018\u2019\u201a\u201c\u201d\u201e\u2020\u2021\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]")
# Markup only where real tags are: a post opening with <p>, a line break, a link or a styled span, or a
# closing tag. "I <3 you", "a<b" and "x </3" are text.
_HTML = re.compile(
    r"^\s*<p[\s>]|<br\s*/?>|<a\s+href=|<span\s+class=|</(?:p|a|span|div|blockquote|li|ul|ol|b|i|em|strong)>",
    re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n{3,}")
_NOT_LETTERS = re.compile(r"[\W\d_]+")
_ASCII_NOT_LETTERS = bytes(byte for byte in range(128) if not chr(byte).isalpha())


def clean_text(text: str, hashtags: str = "word", leading_mentions: str = "strip", reply: bool | None = None,
               done: set | None = None, emojis: str = "keep", links: str = "marker") -> str:
    """One post cleaned (see the module's docstring): ``hashtags`` ``word`` keeps the word, ``drop`` removes
    it; ``emojis`` ``keep`` or ``drop``; ``links`` ``marker`` or ``drop`` (elm/links.py); with
    ``leading_mentions="strip"`` a reply's leading @mentions are removed. ``reply`` says whether the post is a
    reply (None: unknown, :func:`looks_like_reply` decides). The names of the :data:`REPAIRS` made are added
    to ``done``. Never raises on a ``str`` and is idempotent.

    One removal can uncover another ("&am\\u200bp;" becomes "&amp;" once the zero-width space goes),
    so the rules repeat until nothing changes. That ends: every pass that changes the text shortens
    it, turns some other character into a plain space, or puts a link marker (which no rule changes) where
    a link was.
    """
    for name, value, modes in (("hashtags", hashtags, HASHTAG_MODES), ("emojis", emojis, EMOJI_MODES),
                               ("leading_mentions", leading_mentions, LEADING_MENTION_MODES),
                               ("links", links, LINK_MODES)):
        if value not in modes:
            raise ValueError(f"{name} must be one of {modes}, got {value!r}")
    done = set() if done is None else done
    strip_mentions = leading_mentions == "strip" and reply is not False
    while True:
        cleaned = _clean_once(text, hashtags, emojis, links, strip_mentions, reply, done)
        if cleaned == text:
            return cleaned
        text = cleaned


def _clean_once(text: str, hashtags: str, emojis: str, links: str, strip_mentions: bool, reply: bool | None,
                done: set) -> str:
    if looks_like_html(text):
        text = html_to_text(text)
        done.add("html")
    text = cut_quoted_parts(repair_encoding(decode_entities(text), done), done)  # "&#8230;" is a "…" too
    text = remove_emojis(text, done) if emojis == "drop" else remove_invisible(text)
    text = mark_links(text, done) if links == "marker" else drop_links(text, done)
    text = remove_hashtags(text, hashtags)
    if strip_mentions and (reply or looks_like_reply(text)):
        stripped = strip_leading_mentions(text)
        if stripped != text:
            done.add("mentions_stripped")
            text = stripped
    return normalize_whitespace(text)


def looks_like_html(text: str) -> bool:
    """Whether the post holds HTML markup (Mastodon's status content, an export that kept it): real tags only."""
    return "<" in text and bool(_HTML.search(text))


def normalize_whitespace(text: str) -> str:
    """Spaces collapsed and trimmed on each line; the line breaks kept (any Unicode line break becomes "\\n"),
    with at most one blank line in a row and none at either end."""
    lines = text.splitlines()
    if len(lines) <= 1:
        return " ".join(text.split())
    return _BLANK_LINES.sub("\n\n", "\n".join(" ".join(line.split()) for line in lines).strip("\n"))


def repair_encoding(text: str, done: set | None = None) -> str:
    """Text that was decoded with the wrong encoding once already ("itâ€™s" for "it’s") repaired with
    ftfy (only its encoding fixes: quotes, ligatures and the like stay as written). ftfy is slow, so
    it runs only on text holding what UTF-8 read as Windows-1252 or Latin-1 looks like, by far the
    commonest damage: a lead byte (Â..ô) followed by a continuation byte (0x80..0xBF) so decoded."""
    if text.isascii() or not _MOJIBAKE_PAIR.search(text):
        return text
    repaired = ftfy.fix_encoding(text)
    if repaired != text and done is not None:
        done.add("mojibake")
    return repaired


def has_mojibake(text: str) -> bool:
    """Whether mis-decoded text is left that :func:`repair_encoding` could not undo ("he said “hiâ€"), by
    ftfy's own measure of what only mojibake looks like, on text holding what :func:`repair_encoding` looks for."""
    return not text.isascii() and bool(_MOJIBAKE_PAIR.search(text)) and badness.is_bad(text)


def cut_quoted_parts(text: str, done: set | None = None) -> str:
    """The post without what follows a mid-post quote of someone else ("RT @user", "MT @user", '"@user:')
    and without the fragment a cross-posting service cut off with "…" before its link: the post is cut back
    to its last full sentence, or to nothing when it has none (elm/cleaning.py counts that as cut_off)."""
    if "@" in text:
        retweet = _MID_RETWEET.search(text)
        if retweet:
            text = text[:retweet.start()]
            if done is not None:
                done.add("retweet_cut")
    if "…" in text:
        cut = _CUT_OFF.search(text)
        if cut:
            whole = _SENTENCE_END.match(text[:cut.start()] + " ")
            text = whole.group(0) if whole else ""
            if done is not None:
                done.add("cut_off_cut")
    return text


def decode_entities(text: str) -> str:
    """HTML entities decoded until none is left: "&amp;amp;" -> "&"."""
    while "&" in text:
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def remove_emojis(text: str, done: set | None = None) -> str:
    """Emojis replaced by a space (so "hot🔥dog" stays two words), invisible characters removed; "emoji" is
    added to ``done`` when one went."""
    if text.isascii():  # most posts; no emoji is ASCII
        return _INVISIBLE_ASCII.sub("", text)
    if not _EMOJI_CHARS.isdisjoint(text):
        replaced = _replace_emojis(text)
        if done is not None and replaced != text:
            done.add("emoji")
        text = replaced
    if not _INVISIBLE_CHARS.isdisjoint(text):
        text = "".join(ch for ch in text if ch not in _INVISIBLE_CHARS)
    return text


def remove_invisible(text: str) -> str:
    """Invisible characters removed, except inside an emoji, which they hold together ("👍🏽", "❤️", "1️⃣",
    the zero-width joiners of "👨‍👩‍👧"): a lone joiner, skin tone or variation selector goes."""
    if text.isascii():
        return _INVISIBLE_ASCII.sub("", text)
    if _INVISIBLE_CHARS.isdisjoint(text):
        return text
    return "".join(_visible(piece) for piece in _WHITESPACE_RUNS.split(text))


def _visible(word: str) -> str:
    """One word without its invisible characters outside emojis."""
    if _INVISIBLE_CHARS.isdisjoint(word):
        return word
    spans = [] if _EMOJI_CHARS.isdisjoint(word) else [(found["match_start"], found["match_end"])
                                                      for found in emoji.emoji_list(word)]
    kept, position = [], 0
    for start, end in spans + [(len(word), len(word))]:
        kept += [ch for ch in word[position:start] if ch not in _INVISIBLE_CHARS]
        kept.append(word[start:end])
        position = end
    return "".join(kept)


def _replace_emojis(text: str, replacement: str = " ") -> str:
    """``emoji.replace_emoji(text, replacement)`` applied to each word holding an emoji character. No emoji
    contains whitespace, so its tokenizer gives the same result word by word; it is slow per character
    (~3 us), so leaving the other words alone makes a post with one emoji about ten times faster."""
    return "".join(
        piece if piece.isascii() or _EMOJI_CHARS.isdisjoint(piece) else emoji.replace_emoji(piece, replacement)
        for piece in _WHITESPACE_RUNS.split(text)
    )


def post_length(text: str) -> int:
    """The characters of the post's own words, for ``clean.min_chars``: a run of whitespace (a line break
    too) counts as one, an emoji as one, a link marker as none (the study counted posts without their links)."""
    if LINK_MARKER in text:
        text = text.replace(LINK_MARKER, " ")
    text = " ".join(text.split())
    if not text.isascii() and not _EMOJI_CHARS.isdisjoint(text):
        text = _replace_emojis(text, "e")
    return len(text)


def is_empty(text: str) -> bool:
    """True for a post with nothing but whitespace and link markers."""
    return not text.replace(LINK_MARKER, "").strip()


def remove_hashtags(text: str, mode: str = "word") -> str:
    """``word``: "#tbt" -> "tbt"; ``drop``: the hashtag removed. A "#" inside a word ("C#") stays."""
    if "#" not in text:
        return text
    return _HASHTAG_SIGN.sub("", text) if mode == "word" else _HASHTAG.sub("", text)


def strip_leading_mentions(text: str) -> str:
    """ "@a @b: hi @c" -> "hi @c": the mentions a reply starts with; mentions later on stay."""
    mentions = _LEADING_MENTIONS.match(text)
    return text[mentions.end():] if mentions else text


def is_retweet(text: str) -> bool:
    """True for a retweet: "RT @user: ..." (any case) or "MT @user: ..." at the start, or a manual one,
    a quote of someone else opening the post ('"@user: ...', '“@user: ...')."""
    return bool(_RETWEET.match(text))


def is_reply(text: str, reply: bool | None = None) -> bool:
    """True when the post is a reply that starts with an @mention: ``reply`` as its source says
    (True/False), or, when that is unknown (None), as :func:`looks_like_reply` guesses."""
    if reply is None:
        return looks_like_reply(text)
    return reply and bool(_REPLY.match(text))


def looks_like_reply(text: str) -> bool:
    """The guess for a post whose source does not say whether it is a reply: it starts with two or
    more @mentions ("@ana @bo thanks"), or with one followed by ":" or "," ("@ana: thanks"). A single
    mention followed by words ("@CNN just released ...") may be the sentence's subject, so it stays."""
    mentions = _LEADING_MENTIONS.match(text)
    if not mentions:
        return False
    run = mentions.group(0)
    return len(_ONE_MENTION.findall(run)) >= 2 or run.rstrip()[-1:] in ":,"


def near_duplicate_key(text: str) -> str:
    """The post lowercased with everything but letters removed, so posts that differ only in case,
    punctuation, digits, spacing or line breaks share a key ("Day 1: coffee!" and "day 2 -- coffee" do);
    a link marker is a word like any other."""
    if text.isascii():  # most posts: the same key, ten times faster
        return text.encode("ascii").translate(None, _ASCII_NOT_LETTERS).lower().decode("ascii")
    return _NOT_LETTERS.sub("", text.casefold())
