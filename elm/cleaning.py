"""The cleaning rules of elm/text.py applied to a table of posts, counting what each rule dropped and repaired
(:func:`clean_posts`), with the language detected for posts whose source gives none (:func:`detect_languages`)
and a few before/after examples of each rule per account.
"""
from __future__ import annotations

import concurrent.futures
import logging
import os

import numpy as np
import pandas as pd

from elm.params.clean import UNDETERMINED, primary_language
from elm.text import (
    REPAIRS,
    clean_text,
    has_mojibake,
    is_empty,
    is_reply,
    is_retweet,
    near_duplicate_key,
    post_length,
)

logger = logging.getLogger(__name__)

RULES = ("retweet", "language", "reply", "mojibake_left", "cut_off", "link_label", "empty", "too_short", "duplicate",
         "near_duplicate")
"""The rules that drop posts, in the order :func:`clean_posts` applies (and counts) them."""

PARALLEL_FROM = 20_000   # texts from which language detection uses every core
DETECT_CHUNK = 5_000     # texts a detecting process takes at a time


def clean_posts(posts: pd.DataFrame, params, detect: bool = True, examples: int = 0) -> tuple[pd.DataFrame, dict]:
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
    near-duplicates of each other. mojibake_left drops a post still mis-decoded after repair; cut_off and
    link_label one that cutting a cross-post's tail or a link's dangling label left empty.

    The report: ``posts_in``, ``posts_dropped``, ``posts_kept``, ``posts_changed`` (the share of kept posts whose
    text cleaning changed beyond whitespace), ``dropped`` per rule, ``repaired`` per :data:`REPAIRS` kind and
    ``languages_detected``, overall and (with the detected languages by code) per account; with ``examples``
    > 0, ``examples``: per account, per rule and repair kind, the first ``examples`` posts it dropped or
    changed, ``{"before": raw text, "after": cleaned text, or None when dropped before cleaning}``.
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
    cleaned = np.full(len(posts), None, dtype=object)
    for row in np.flatnonzero(reasons == ""):
        done: set = set()
        cleaned[row] = clean_text(texts[row], params.hashtags, params.leading_mentions, replies[row], done,
                                  emojis=params.emojis, links=params.links)
        if done:
            repaired[row] = done
    candidates = reasons == ""
    if params.leading_mentions == "drop":
        drop("reply", [candidate and is_reply(text, reply)
                       for candidate, text, reply in zip(candidates, cleaned, replies)])
    drop("mojibake_left", [candidate and has_mojibake(text) for candidate, text in zip(candidates, cleaned)])
    empty = np.array([candidate and is_empty(text) for candidate, text in zip(candidates, cleaned)], dtype=bool)
    drop("cut_off", empty & np.array([bool(r) and "cut_off_cut" in r for r in repaired], dtype=bool))
    drop("link_label", empty & np.array([bool(r) and "link_label_cut" in r for r in repaired], dtype=bool))
    drop("empty", empty)
    drop("too_short", [reason == "" and post_length(text) < params.min_chars for reason, text in zip(reasons, cleaned)])
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
    changed = np.array([reason == "" and " ".join(raw.split()) != " ".join(text.split())
                        for reason, raw, text in zip(reasons, texts, cleaned)], dtype=bool)
    repaired[reasons != ""] = None  # count repairs of the posts kept only
    report = _report(accounts, reasons, repaired, detected, changed)
    if examples > 0:
        report["examples"] = _examples(accounts, texts, cleaned, reasons, repaired, examples)
    return kept.reset_index(drop=True), report


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

    return [py3langid.classify(" ".join(text.split()))[0] for text in texts]


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


def _report(accounts: pd.Series, reasons: np.ndarray, repaired: np.ndarray, detected: np.ndarray,
            changed: np.ndarray) -> dict:
    """Posts in, kept, changed, dropped per rule and repaired per kind, overall and per account (in order of
    first appearance), and how many kept posts had their language detected (per account: by code)."""
    def summary(rows: np.ndarray, repairs: np.ndarray, changes: np.ndarray) -> dict:
        dropped = {rule: int((rows == rule).sum()) for rule in RULES}
        done = [kind for kinds in repairs if kinds for kind in kinds]
        kept = int((rows == "").sum())
        return {"posts_in": len(rows), "posts_dropped": len(rows) - kept, "posts_kept": kept,
                "posts_changed": round(int(changes.sum()) / max(1, kept), 4),
                "dropped": dropped, "repaired": {kind: done.count(kind) for kind in REPAIRS}}

    report = summary(reasons, repaired, changed)
    report["languages_detected"] = int(((detected != "") & (reasons == "")).sum())
    frame = pd.DataFrame({"reason": reasons, "repaired": repaired, "detected": detected, "changed": changed})
    report["accounts"] = {}
    for account, rows in frame.groupby(accounts.to_numpy(), sort=False):
        report["accounts"][account] = summary(rows["reason"].to_numpy(), rows["repaired"].to_numpy(),
                                              rows["changed"].to_numpy())
        codes = rows.loc[(rows["detected"] != "") & (rows["reason"] == ""), "detected"].value_counts()
        report["accounts"][account]["languages_detected"] = {str(code): int(n) for code, n in codes.items()}
    return report


def _examples(accounts: pd.Series, texts: np.ndarray, cleaned: np.ndarray, reasons: np.ndarray,
              repaired: np.ndarray, limit: int) -> dict:
    """Per account (in order of first appearance): the first ``limit`` posts each rule dropped and each repair
    changed, before and after, under "dropped" and "repaired"."""
    found: dict = {}
    for account, before, after, reason, kinds in zip(accounts, texts, cleaned, reasons, repaired):
        shown = found.setdefault(account, {"dropped": {}, "repaired": {}})
        names = [("dropped", reason)] if reason else [("repaired", kind) for kind in REPAIRS if kinds and kind in kinds]
        for part, name in names:
            pairs = shown[part].setdefault(name, [])
            if len(pairs) < limit:
                pairs.append({"before": before, "after": after})
    return found
