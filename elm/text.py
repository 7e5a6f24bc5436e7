"""Cleaning rules shared by the clean and generate stages, so real and generated posts are cleaned alike.

The seed study filtered its real posts but not its generated ones, and a detector then learned "starts
with @" and "is short" instead of style. Every rule therefore lives here once:

- :func:`clean_text` rewrites one post (encoding damage, entities, links and e-mail addresses, emojis,
  hashtags, a reply's leading mentions, a quoted retweet or a cross-post's cut-off tail, spaces);
- :func:`is_retweet`, :func:`is_reply` and :func:`near_duplicate_key` are the named predicates;
- :func:`clean_posts` applies all of it to a table of posts and counts what each rule dropped and
  repaired, detecting the language of posts whose source gives none (:func:`detect_languages`).

Removing something must not leave a hole the detectors could learn: a link in brackets takes its
brackets along ("(example.com)"), an article or preposition left pointing at nothing goes too ("at
the www.example.com at noon" -> "at noon"), and a link between two full stops leaves one.

Replies. A post's leading @mentions are cut (``leading_mentions: strip``) or the post dropped
(``drop``) only when the post is a reply. Sources that know say so in a ``reply`` column (True,
False, or missing/None when unknown: the twint, archive and live sources fill it); "@CNN just
released ..." from a source that says it is no reply keeps its subject. Where it is unknown (a table
without reply information, generated posts) a conservative text rule decides (:func:`looks_like_reply`):
two or more leading mentions, or one followed by ":" or ",".
"""
from __future__ import annotations

import concurrent.futures
import html
import logging
import os
import re
import unicodedata

import emoji
import ftfy
import numpy as np
import pandas as pd

from elm.params.clean import HASHTAG_MODES, LEADING_MENTION_MODES, UNDETERMINED, primary_language

logger = logging.getLogger(__name__)


RULES = ("retweet", "language", "reply", "cut_off", "empty", "too_short", "duplicate", "near_duplicate")
"""The rules that drop posts, in the order :func:`clean_posts` applies (and counts) them."""

REPAIRS = ("mojibake", "mentions_stripped", "retweet_cut", "cut_off_cut", "link_brackets", "link_preposition",
           "link_punctuation", "email")
"""What :func:`clean_text` may repair in a post it keeps; :func:`clean_posts` counts each per account."""

PARALLEL_FROM = 20_000   # texts from which language detection uses every core
DETECT_CHUNK = 5_000     # texts a detecting process takes at a time

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
_EMAIL = re.compile(r"(?<![\w@.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,24}", re.IGNORECASE)
_BRACKETS = {"(": ")", "[": "]", "{": "}"}
_SENTENCE_MARKS = ".,!?;:"
# Words that only point at the link after them: with the link gone they would point at nothing
# ("the www.example.com at noon" -> "the at noon"), so they go with it.
_POINTING_WORDS = frozenset("a an the at on in to via from by of for into onto".split())

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
_ONE_MENTION = re.compile(_MENTION)
_RETWEET = re.compile(r"\s*RT\s*@\w", re.IGNORECASE)
_MID_RETWEET = re.compile(r"(?<=\S)\s+RT\s*@\w")     # "so true RT @bo: ..." quotes someone else's words
# A cross-post another service cut short: a word broken by "…", then the link to the whole post.
_CUT_OFF = re.compile(r"\S*…\s*(?:(?:https?://|www\.)\S*|[\w-]+(?:\.[\w-]+)+/\S*)\s*$", re.IGNORECASE)
_SENTENCE_END = re.compile(r".*[.!?][\"')\]”’]*(?=\s)", re.DOTALL)
_MOJIBAKE_PAIR = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014"
    "\u2018\u2019\u201a\u201c\u201d\u201e\u2020\u2021\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]")
_NOT_LETTERS = re.compile(r"[\W\d_]+")
_ASCII_NOT_LETTERS = bytes(byte for byte in range(128) if not chr(byte).isalpha())


def clean_text(text: str, hashtags: str = "word", leading_mentions: str = "strip", reply: bool | None = None,
               done: set | None = None) -> str:
    """One post with encoding damage repaired, entities decoded, links, e-mail addresses, emojis and
    invisible characters removed, hashtags (``word``: keep the word; ``drop``: remove it) handled, a
    quoted retweet ("... RT @bo: ...") or a cross-post's cut-off tail ("... the beac… fb.me/x") cut,
    and, with ``leading_mentions="strip"``, a reply's leading @mentions removed; whitespace collapsed.
    ``reply`` says whether the post is a reply (None: unknown, :func:`looks_like_reply` decides).
    The names of the :data:`REPAIRS` made are added to ``done``. Never raises on a ``str`` and is
    idempotent.

    One removal can uncover another ("&am\\u200bp;" becomes "&amp;" once the zero-width space goes),
    so the rules repeat until nothing changes. That ends: every pass that changes the text shortens
    it or turns some other character into a plain space.
    """
    if hashtags not in HASHTAG_MODES:
        raise ValueError(f"hashtags must be one of {HASHTAG_MODES}, got {hashtags!r}")
    if leading_mentions not in LEADING_MENTION_MODES:
        raise ValueError(f"leading_mentions must be one of {LEADING_MENTION_MODES}, got {leading_mentions!r}")
    done = set() if done is None else done
    while True:
        cleaned = _clean_once(text, hashtags, leading_mentions == "strip" and reply is not False, reply, done)
        if cleaned == text:
            return cleaned
        text = cleaned


def _clean_once(text: str, hashtags: str, strip_mentions: bool, reply: bool | None, done: set) -> str:
    text = cut_quoted_parts(repair_encoding(decode_entities(text), done), done)  # "&#8230;" is a "…" too
    text = remove_links(remove_emojis(text), done)
    text = remove_hashtags(text, hashtags)
    if strip_mentions and (reply or looks_like_reply(text)):
        stripped = strip_leading_mentions(text)
        if stripped != text:
            done.add("mentions_stripped")
            text = stripped
    return " ".join(text.split())


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


def cut_quoted_parts(text: str, done: set | None = None) -> str:
    """The post without what follows a mid-post "RT @user" (someone else's words) and without the
    fragment a cross-posting service cut off with "…" before its link: the post is cut back to its
    last full sentence, or to nothing when it has none (:func:`clean_posts` counts that as cut_off)."""
    if "RT" in text:
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


def remove_links(text: str, done: set | None = None) -> str:
    """Links of every shape (http(s)://, www., t.co/..., pic.twitter.com/..., example.com/path) and
    e-mail addresses removed, and whitespace collapsed, leaving no hole: punctuation that closes the
    sentence after a link stays, without the space before the link ("see x.com/a, then" -> "see, then")
    unless the sentence was closed already; brackets holding only the link go with it, and so do the
    articles and prepositions just before it. The names of those repairs are added to ``done``."""
    if not _MAYBE_LINK.search(text):
        return text
    done = set() if done is None else done
    words: list[str] = []
    for word in text.split():
        start = _link_start(word)
        if start is None:
            words.append(word)
            continue
        prefix, link = word[:start], word[start:]
        if "@" in link and _EMAIL.match(link):
            done.add("email")
        tail = link[len(link.rstrip(_LINK_TAIL)):]
        if prefix[-1:] in _BRACKETS and tail.startswith(_BRACKETS[prefix[-1]]):
            prefix, tail = prefix[:-1], tail[1:]
            done.add("link_brackets")
        if not prefix:
            while words and words[-1].lstrip("([{").lower() in _POINTING_WORDS:
                pointing = words.pop()
                if pointing[0] in _BRACKETS:  # "(the example.com)": the bracket stays, for the check below
                    words.append(pointing[:len(pointing) - len(pointing.lstrip("([{"))])
                done.add("link_preposition")
            if words and words[-1] in _BRACKETS and tail.startswith(_BRACKETS[words[-1]]):
                words.pop()
                tail = tail[1:]
                done.add("link_brackets")
            if words and words[-1][-1:] in _SENTENCE_MARKS and tail[:1] in _SENTENCE_MARKS:
                tail = tail.lstrip(_SENTENCE_MARKS)
                done.add("link_punctuation")
        kept = prefix + tail
        if kept and not prefix and words:
            words[-1] += kept
        elif kept:
            words.append(kept)
    return " ".join(words)


def _link_start(word: str) -> int | None:
    """Where a link or e-mail address begins in a word without spaces, or None when it holds none."""
    starts = []
    if "." in word:
        domain = _DOMAIN_LINK.search(word)
        if domain:
            starts.append(domain.start())
        if "@" in word:
            email = _EMAIL.search(word)
            if email:
                starts.append(email.start())
    if "://" in word:
        scheme = _SCHEME_LINK.search(word)
        if scheme:
            starts.append(scheme.start())
    return min(starts) if starts else None


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
    punctuation, digits or spacing share a key ("Day 1: coffee!" and "day 2 -- coffee" do)."""
    if text.isascii():  # most posts: the same key, ten times faster
        return text.encode("ascii").translate(None, _ASCII_NOT_LETTERS).lower().decode("ascii")
    return _NOT_LETTERS.sub("", text.casefold())


def clean_posts(posts: pd.DataFrame, params, detect: bool = True) -> tuple[pd.DataFrame, dict]:
    """The posts that survive every rule, cleaned, and a report of what each rule dropped and repaired.

    ``posts`` holds at least ``account`` and ``text``, and optionally ``language`` (the source's code,
    "" when it gives none) and ``reply`` (True/False, or "true"/"false", as the source says; anything
    else is unknown); ``params`` is the ``clean`` params section. The kept rows keep all their columns
    and their order, with ``text`` replaced by the cleaned text. A post is counted under the first rule
    that drops it, in :data:`RULES` order, except that a post whose language is detected here (its
    source gave none; only with ``detect``) is checked last, once the cheaper rules have run. The
    generate stage does not detect: a detector that errs on odd generated posts would drop exactly
    the posts that look least real, flattering the model. Twitter's "und" (undetermined)
    is kept as it is. Posts whose near-duplicate key is empty (only digits and punctuation) are not
    near-duplicates of each other.

    The report: ``posts_in``, ``posts_kept``, ``dropped`` per rule, ``repaired`` per :data:`REPAIRS`
    kind and ``languages_detected``, overall and (with the detected languages by code) per account.
    """
    posts = posts.reset_index(drop=True)
    accounts = posts["account"].astype(str)
    texts = posts["text"].fillna("").astype(str).to_numpy(dtype=object)
    replies = _reply_flags(posts)
    reasons = np.full(len(posts), "", dtype=object)
    repaired = np.full(len(posts), None, dtype=object)

    def drop(rule: str, mask) -> None:
        reasons[np.asarray(mask, dtype=bool) & (reasons == "")] = rule

    if params.drop_retweets:
        drop("retweet", [is_retweet(t) for t in texts])
    languages = (posts["language"].fillna("").astype(str).str.strip().to_numpy(dtype=object) if "language" in posts
                 else np.full(len(posts), "", dtype=object))
    if params.languages:
        drop("language", _unwanted_language(pd.Series(languages), params.languages))
    cleaned = np.full(len(posts), "", dtype=object)
    for row in np.flatnonzero(reasons == ""):
        done: set = set()
        cleaned[row] = clean_text(texts[row], params.hashtags, params.leading_mentions, replies[row], done)
        if done:
            repaired[row] = done
    if params.leading_mentions == "drop":
        drop("reply", [is_reply(text, reply) for text, reply in zip(cleaned, replies)])
    drop("cut_off", (cleaned == "") & np.array([bool(r) and "cut_off_cut" in r for r in repaired], dtype=bool))
    drop("empty", cleaned == "")
    drop("too_short", np.fromiter(map(len, cleaned), int, len(cleaned)) < params.min_chars)
    drop("duplicate", _repeated(accounts, cleaned, reasons == ""))
    if params.near_duplicates:
        keys = np.full(len(posts), "", dtype=object)
        candidates = np.flatnonzero(reasons == "")
        keys[candidates] = [near_duplicate_key(text) for text in cleaned[candidates]]
        drop("near_duplicate", _repeated(accounts, keys, (reasons == "") & (keys != "")))
    detected = np.full(len(posts), "", dtype=object)
    if params.languages and detect:
        unknown = np.flatnonzero((reasons == "") & (languages == ""))
        detected[unknown] = detect_languages(cleaned[unknown])
        drop("language", (detected != "") & _unwanted_language(pd.Series(detected), params.languages))

    kept = posts[reasons == ""].copy()
    kept["text"] = cleaned[reasons == ""]
    repaired[reasons != ""] = None  # count repairs of the posts kept only
    return kept.reset_index(drop=True), _report(accounts, reasons, repaired, detected)


def detect_languages(texts) -> list[str]:
    """The language (ISO 639-1 code) of each text, by py3langid: deterministic, ~3,000 posts/s a core
    (its model loads in ~2 s on first use). From :data:`PARALLEL_FROM` texts on, chunks go to one
    process per CPU core, the results in the texts' order."""
    texts = list(texts)
    workers = min(os.cpu_count() or 1, len(texts) // DETECT_CHUNK + 1)
    if len(texts) < PARALLEL_FROM or workers < 2:
        return _detect(texts)
    logger.info(f"clean: detecting the language of {len(texts):,} posts on {workers} processes")
    chunks = [texts[start:start + DETECT_CHUNK] for start in range(0, len(texts), DETECT_CHUNK)]
    with concurrent.futures.ProcessPoolExecutor(workers) as pool:
        return [code for chunk in pool.map(_detect, chunks) for code in chunk]


def _detect(texts: list[str]) -> list[str]:
    import py3langid  # loads its model on first use; only needed when a source gives no language

    return [py3langid.classify(text)[0] for text in texts]


def _reply_flags(posts: pd.DataFrame) -> np.ndarray:
    """Each post's ``reply`` as True, False or None (unknown)."""
    flags = np.full(len(posts), None, dtype=object)
    if "reply" in posts:
        known = {True: True, False: False, "true": True, "false": False, "True": True, "False": False}
        flags[:] = [known.get(value) if isinstance(value, (bool, str)) else None for value in posts["reply"]]
    return flags


def _unwanted_language(languages: pd.Series, wanted: list[str]) -> np.ndarray:
    """Rows whose language is outside ``wanted``; "" (unknown) and Twitter's "und" (undetermined:
    links, emojis, a single word) are kept."""
    kept = {primary_language(code) for code in wanted} | {"", UNDETERMINED}
    codes, distinct = pd.factorize(languages.fillna("").astype(str))  # few distinct codes in many rows
    unwanted = np.array([primary_language(code) not in kept for code in distinct], dtype=bool)
    return unwanted[codes]


def _repeated(accounts: pd.Series, values: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Among the ``candidates`` rows, those whose value an earlier candidate of the same account had."""
    repeated = np.zeros(len(values), dtype=bool)
    index = np.flatnonzero(candidates)
    pairs = pd.DataFrame({"account": accounts.to_numpy()[index], "value": values[index]})
    repeated[index] = pairs.duplicated().to_numpy()
    return repeated


def _report(accounts: pd.Series, reasons: np.ndarray, repaired: np.ndarray, detected: np.ndarray) -> dict:
    """Posts in, kept, dropped per rule and repaired per kind, overall and per account (in order of
    first appearance), and how many kept posts had their language detected (per account: by code)."""
    def summary(rows: np.ndarray, repairs: np.ndarray) -> dict:
        dropped = {rule: int((rows == rule).sum()) for rule in RULES}
        done = [kind for kinds in repairs if kinds for kind in kinds]
        return {"posts_in": len(rows), "posts_kept": int((rows == "").sum()), "dropped": dropped,
                "repaired": {kind: done.count(kind) for kind in REPAIRS}}

    report = summary(reasons, repaired)
    report["languages_detected"] = int(((detected != "") & (reasons == "")).sum())
    frame = pd.DataFrame({"reason": reasons, "repaired": repaired, "detected": detected})
    report["accounts"] = {}
    for account, rows in frame.groupby(accounts.to_numpy(), sort=False):
        report["accounts"][account] = summary(rows["reason"].to_numpy(), rows["repaired"].to_numpy())
        codes = rows.loc[(rows["detected"] != "") & (rows["reason"] == ""), "detected"].value_counts()
        report["accounts"][account]["languages_detected"] = {str(code): int(n) for code, n in codes.items()}
    return report
