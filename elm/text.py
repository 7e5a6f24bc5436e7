"""Cleaning rules shared by the clean and generate stages, so real and generated posts are cleaned alike.

The seed study filtered its real posts but not its generated ones, and a detector then learned "starts
with @" and "is short" instead of style. Every rule therefore lives here once:

- :func:`clean_text` rewrites one post (entities, links, emojis, hashtags, leading mentions, spaces);
- :func:`is_retweet`, :func:`is_reply` and :func:`near_duplicate_key` are the named predicates;
- :func:`clean_posts` applies all of it to a table of posts and counts what each rule dropped.
"""
from __future__ import annotations

import html
import re
import unicodedata

import emoji
import numpy as np
import pandas as pd

RULES = ("retweet", "language", "reply", "empty", "too_short", "duplicate", "near_duplicate")
"""The rules that drop posts, in the order :func:`clean_posts` applies (and counts) them."""

HASHTAG_MODES = ("word", "drop")
LEADING_MENTION_MODES = ("strip", "drop", "keep")

# --- links ---------------------------------------------------------------------------------------
# Links are found word by word (a word: what lies between spaces), which is several times faster
# than one regex over the whole post.
_SCHEME_LINK = re.compile(r"(?:https?|ftp)://", re.IGNORECASE)   # anywhere, even glued: "see:https://x"
# Top-level domains that a bare domain without a path may end in. Only ones that are not English
# words: "great.It was" or "there.Me too" (no space after a full stop, common in tweets) must stay.
_BARE_TLDS = "com|org|net|edu|gov|mil|io|co|ly|tv|fm|gl|gd|uk|ca|de|fr|jp|au|ru|info|biz|xyz"
_LINK_TAIL = ".,!?;:)]}'\"’”"   # closing punctuation after a link belongs to the sentence
_DOMAIN_LINK = re.compile(
    r"(?<![\w@./-])"                                          # not inside an email, @handle or path
    r"(?:www\.\w"                                              # www.example.com
    r"|(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"               # labels: pic.twitter. t. example.
    r"(?-i:"                                                 # lowercase TLDs only: "ASP.NET" stays
    r"[a-z]{2,24}/"                                          # any TLD before a path: t.co/x, youtu.be/x
    rf"|(?:{_BARE_TLDS})[{re.escape(_LINK_TAIL)}]*$))",      # a known TLD alone: example.com, x.org.
    re.IGNORECASE,
)
_MAYBE_LINK = re.compile(r"://|\.\w")

# --- emojis and invisible characters -------------------------------------------------------------
# emoji.replace_emoji is slow (~3 us a character), so it runs only on the words holding a character
# that occurs in some emoji; every emoji contains at least one non-ASCII one.
_EMOJI_CHARS = frozenset(ch for key in emoji.EMOJI_DATA for ch in key if not ch.isascii()) | {
    "\ufe0e", "\ufe0f"}  # replace_emoji also drops a variation selector standing alone ("a\ufe0eb" -> "ab")
_WHITESPACE_RUNS = re.compile(r"(\s+)")  # for split() that keeps the separators


def _invisible_chars() -> frozenset[str]:
    """Characters that render as nothing or as a placeholder: control and format characters (except
    whitespace, which becomes a space), the replacement character and the emoji pieces that outlive replace_emoji: variation selectors, skin tones,
    the keycap mark and lone regional indicators (which could pair up into a flag)."""
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

# --- hashtags, mentions, retweets ----------------------------------------------------------------
_HASHTAG_SIGN = re.compile(r"(?<!\w)#+(?=\w)")        # "#tbt" -> "tbt"; "C#" is not a hashtag
_HASHTAG = re.compile(r"(?<!\w)#+\w+")
# A handle as Twitter, Mastodon (@a@host.social) and Bluesky (@a.bsky.social) write it, followed by
# a space, ":" or ","; "@ana's" is a sentence about Ana, not a reply to her.
_MENTION = r"@\w+(?:[.@-]\w+)*[:,]?(?:\s+|$)"
_LEADING_MENTIONS = re.compile(rf"(?:{_MENTION})+")
_REPLY = re.compile(rf"\s*{_MENTION}")
_RETWEET = re.compile(r"\s*RT\s*@\w", re.IGNORECASE)
_NOT_LETTERS = re.compile(r"[\W\d_]+")
_ASCII_NOT_LETTERS = bytes(byte for byte in range(128) if not chr(byte).isalpha())


def clean_text(text: str, hashtags: str = "word", leading_mentions: str = "strip") -> str:
    """One post with entities decoded and links, emojis, invisible characters, hashtags (``word``: keep
    the word; ``drop``: remove it) and, with ``leading_mentions="strip"``, leading @mentions removed,
    whitespace collapsed. Never raises on a ``str`` and is idempotent.

    One removal can uncover another ("&am\\u200bp;" becomes "&amp;" once the zero-width space goes),
    so the rules repeat until nothing changes. That ends: every pass that changes the text shortens
    it or turns some other character into a plain space.
    """
    if hashtags not in HASHTAG_MODES:
        raise ValueError(f"hashtags must be one of {HASHTAG_MODES}, got {hashtags!r}")
    if leading_mentions not in LEADING_MENTION_MODES:
        raise ValueError(f"leading_mentions must be one of {LEADING_MENTION_MODES}, got {leading_mentions!r}")
    while True:
        cleaned = _clean_once(text, hashtags, leading_mentions == "strip")
        if cleaned == text:
            return cleaned
        text = cleaned


def _clean_once(text: str, hashtags: str, strip_mentions: bool) -> str:
    text = remove_links(remove_emojis(decode_entities(text)))
    text = remove_hashtags(text, hashtags)
    if strip_mentions:
        text = strip_leading_mentions(text)
    return " ".join(text.split())


def decode_entities(text: str) -> str:
    """HTML entities decoded until none is left: "&amp;amp;" -> "&"."""
    while "&" in text:
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def remove_emojis(text: str) -> str:
    """Emojis replaced by a space (so "hot🔥dog" stays two words), invisible characters removed."""
    if text.isascii():  # most posts; no emoji is ASCII
        return _INVISIBLE_ASCII.sub("", text)
    if not _EMOJI_CHARS.isdisjoint(text):
        text = _replace_emojis(text)
    if not _INVISIBLE_CHARS.isdisjoint(text):
        text = "".join(ch for ch in text if ch not in _INVISIBLE_CHARS)
    return text


def _replace_emojis(text: str) -> str:
    """``emoji.replace_emoji(text, " ")`` applied to each word holding an emoji character. No emoji
    contains whitespace, so its tokenizer gives the same result word by word; it is slow per character
    (~3 us), so leaving the other words alone makes a post with one emoji about ten times faster."""
    return "".join(
        piece if piece.isascii() or _EMOJI_CHARS.isdisjoint(piece) else emoji.replace_emoji(piece, " ")
        for piece in _WHITESPACE_RUNS.split(text)
    )


def remove_links(text: str) -> str:
    """Links of every shape (http(s)://, www., t.co/..., pic.twitter.com/..., example.com/path)
    removed, and whitespace collapsed. Punctuation that closes the sentence after a link stays,
    without the space before the link: "see x.com/a, then" -> "see, then"."""
    if not _MAYBE_LINK.search(text):
        return text
    words: list[str] = []
    for word in text.split():
        start = _link_start(word)
        if start is None:
            words.append(word)
            continue
        link = word[start:]
        kept = word[:start] + link[len(link.rstrip(_LINK_TAIL)):]
        if kept and start == 0 and words:
            words[-1] += kept
        elif kept:
            words.append(kept)
    return " ".join(words)


def _link_start(word: str) -> int | None:
    """Where a link begins in a word without spaces, or None when it holds none."""
    if "." in word:
        domain = _DOMAIN_LINK.search(word)
        if domain:
            return domain.start()
    if "://" in word:
        scheme = _SCHEME_LINK.search(word)
        if scheme:
            return scheme.start()
    return None


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
    """True for a retweet: "RT @user: ..." at the start (any case)."""
    return bool(_RETWEET.match(text))


def is_reply(text: str) -> bool:
    """True when the post starts with an @mention ("@ana thanks!")."""
    return bool(_REPLY.match(text))


def near_duplicate_key(text: str) -> str:
    """The post lowercased with everything but letters removed, so posts that differ only in case,
    punctuation, digits or spacing share a key ("Day 1: coffee!" and "day 2 -- coffee" do)."""
    if text.isascii():  # most posts: the same key, ten times faster
        return text.encode("ascii").translate(None, _ASCII_NOT_LETTERS).lower().decode("ascii")
    return _NOT_LETTERS.sub("", text.casefold())


def clean_posts(posts: pd.DataFrame, params) -> tuple[pd.DataFrame, dict]:
    """The posts that survive every rule, cleaned, and a report of what each rule dropped.

    ``posts`` holds at least ``account`` and ``text`` (and optionally ``language``); ``params`` is the
    ``clean`` params section. The kept rows keep all their columns and their order, with ``text``
    replaced by the cleaned text. A post is counted under the first rule (in :data:`RULES` order) that
    drops it. ``reply`` looks at the cleaned text, so "👋 @ana hi" is a reply too. Posts whose
    near-duplicate key is empty (only digits and punctuation) are not near-duplicates of each other.
    """
    posts = posts.reset_index(drop=True)
    accounts = posts["account"].astype(str)
    texts = posts["text"].fillna("").astype(str).to_numpy(dtype=object)
    reasons = np.full(len(posts), "", dtype=object)

    def drop(rule: str, mask) -> None:
        reasons[np.asarray(mask, dtype=bool) & (reasons == "")] = rule

    def on_kept(function, values: np.ndarray) -> np.ndarray:
        """``function`` applied to the values of the rows no rule has dropped yet ("" elsewhere)."""
        result = np.full(len(values), "", dtype=object)
        kept = np.flatnonzero(reasons == "")
        result[kept] = [function(value) for value in values[kept]]
        return result

    if params.drop_retweets:
        drop("retweet", [is_retweet(t) for t in texts])
    if params.languages and "language" in posts:
        drop("language", _unwanted_language(posts["language"], params.languages))
    cleaned = on_kept(lambda t: clean_text(t, params.hashtags, params.leading_mentions), texts)
    if params.leading_mentions == "drop":
        drop("reply", [is_reply(t) for t in cleaned])
    drop("empty", cleaned == "")
    drop("too_short", np.fromiter(map(len, cleaned), int, len(cleaned)) < params.min_chars)
    drop("duplicate", _repeated(accounts, cleaned, reasons == ""))
    if params.near_duplicates:
        keys = on_kept(near_duplicate_key, cleaned)
        drop("near_duplicate", _repeated(accounts, keys, (reasons == "") & (keys != "")))

    kept = posts[reasons == ""].copy()
    kept["text"] = cleaned[reasons == ""]
    return kept.reset_index(drop=True), _report(accounts, reasons)


def _unwanted_language(languages: pd.Series, wanted: list[str]) -> np.ndarray:
    """Rows whose source gives a language outside ``wanted``; "" (unknown) is kept."""
    kept = {_primary_language(code) for code in wanted} | {""}
    codes, distinct = pd.factorize(languages.fillna("").astype(str))  # few distinct codes in many rows
    unwanted = np.array([_primary_language(code) not in kept for code in distinct], dtype=bool)
    return unwanted[codes]


def _primary_language(code: str) -> str:
    """A language code's primary subtag in lowercase: "en-US", "en_GB" and "EN" are all "en"."""
    return code.strip().lower().replace("_", "-").split("-")[0]


def _repeated(accounts: pd.Series, values: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Among the ``candidates`` rows, those whose value an earlier candidate of the same account had."""
    repeated = np.zeros(len(values), dtype=bool)
    index = np.flatnonzero(candidates)
    pairs = pd.DataFrame({"account": accounts.to_numpy()[index], "value": values[index]})
    repeated[index] = pairs.duplicated().to_numpy()
    return repeated


def _report(accounts: pd.Series, reasons: np.ndarray) -> dict:
    """Posts in, kept and dropped per rule, overall and per account (in order of first appearance)."""
    def summary(rows: np.ndarray) -> dict:
        dropped = {rule: int((rows == rule).sum()) for rule in RULES}
        return {"posts_in": len(rows), "posts_kept": int((rows == "").sum()), "dropped": dropped}

    report = summary(reasons)
    by_account = pd.Series(reasons, dtype=object).groupby(accounts.to_numpy(), sort=False)
    report["accounts"] = {account: summary(rows.to_numpy()) for account, rows in by_account}
    return report
