"""Links in a post (http(s) and ftp URLs, www. and bare domains, media links such as pic.twitter.com/...,
e-mail addresses): each kept as one marker (``clean.links: marker``) or removed without leaving a hole (``drop``).

``marker`` (the default) puts :data:`LINK_MARKER` where each link was, as BERTweet normalizes URLs: the sentence
keeps its shape ("Podcast audio: HTTPURL"), the model learns where this person puts links, and the pages show
the marker as a link sign. Links with only spaces between them become one marker.

``drop`` removes them, as the 2021 study did, and repairs what a removed link leaves behind: brackets holding
only the link go with it ("(example.com)"), so does an article or preposition left pointing at nothing ("at the
www.example.com at noon" -> "at noon"), and a link between two full stops leaves one. A label left dangling at
the end of the post by the links removed after it goes too (:func:`drop_dangling_label`: "Podcast audio:
<link> Podcast video: <link>" leaves nothing, "Watch it here: <link>" nothing, "... with Riley: <link>" ends
"... with Riley").
"""
from __future__ import annotations

import re

LINK_MARKER = "HTTPURL"  # BERTweet's marker: one plain word, the same in every tokenizer

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
_WORD = re.compile(r"\S+")
_LINK_WORD = re.compile(r"\S*(?:://|\.\w)\S*")   # the words that may hold a link
_LAST_WORD = re.compile(r"(\S+)\s*$")
_OPENERS = "([{<\"'“‘«"   # a marker right after one of these stays glued to it: "(HTTPURL)"
_DOUBLED_MARKERS = re.compile(rf"{LINK_MARKER}(?:\s*{LINK_MARKER})+")
_BRACKETS = {"(": ")", "[": "]", "{": "}"}
_SENTENCE_MARKS = ".,!?;:"
# Words that only point at the link after them: with the link gone they would point at nothing
# ("the www.example.com at noon" -> "the at noon"), so they go with it.
_POINTING_WORDS = frozenset("a an the at on in to via from by of for into onto".split())

# --- dangling labels: what a link removed at the very end of a post leaves behind ---
# a pointing mark ending the post: "Listen @", "Video:", "Tickets ->", "Watch 👉"
_END_MARK = re.compile(r"(?:(?:^|\s)(?:@|[-–—|>»→⇒]+|->|=>|[👉👇⬇➡🔗]\ufe0f?)|[:,])\s*$")
_END_POINTING_WORD = re.compile(rf"(?:^|\s)(?:{'|'.join(sorted(_POINTING_WORDS))})\s*$", re.IGNORECASE)
_SENTENCE_BREAK = re.compile(r"[.!?…;:][\"'”’)\]]*(?=\s)|\n")   # "U.S." or "10:30" is no break
_CLAUSE_BREAK = re.compile(r"[.!?…;:,][\"'”’)\]]*(?=\s)|\n")
LABEL_WORDS = 3            # "Podcast video:", "Watch it here:": a sentence this short before ":" only labels the link
# A clause that only points at the link after it, by how it starts ("Listen now", "Hear our conversation") if it
# has at most POINTING_START_WORDS words (a longer one says something of its own: "Watch the life drain from my
# eyes in the first minute"), or by how it ends ("Check it out", "Please take a listen", "Get tix & watch the
# first 4 mins here", "Link in bio") if it has at most POINTING_END_WORDS; of a longer one only that ending goes.
POINTING_START_WORDS = 8
POINTING_END_WORDS = 12
_POINTING_START = re.compile(
    r"(?:(?:please|pls|so|and|now|go|come|be sure to|make sure to|don[’']t forget to)\s+)*"
    r"(?:listen|watch|hear|read|check|learn|find out|stream|click|tap|download|subscribe|order|pre-?order|sign up"
    r"|rsvp|donate|register|tune in|get (?:tickets|tix)|tickets|details|more info|info|link|via"
    r"|here[’']s|here (?:is|are)|full (?:video|story|episode|interview|article|thread))\b",
    re.IGNORECASE,
)
_POINTING_END = re.compile(
    r".*\b(?:(?P<phrase>check (?:it|this|them) out|(?:take|have|give it) a (?:listen|look|watch|read)"
    r"|link in (?:my )?bio|(?:more|details|tickets|info) (?:here|below)|read more|learn more)"
    r"|(?:watch|listen|read|hear|check|find|get|stream|download|order|buy|learn|register|donate|click|tap)\b.*\b(?P<here>here))"
    r"\W*$",
    re.IGNORECASE,
)
_END_JOINER = re.compile(r"\s+(?:and|so|or|but|then|&|\+)$", re.IGNORECASE)   # "... in Vermont, so [check it out]"
_END_HERE = re.compile(r"\s+(?:here|below)$", re.IGNORECASE)   # "... my favorites here:" points at the link


def link_start(word: str) -> int | None:
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


def _kind(link: str) -> str:
    """The repair a link's removal or marking counts as: "email" or "link"."""
    return "email" if "@" in link and _EMAIL.match(link) else "link"


def mark_links(text: str, done: set | None = None) -> str:
    """Each link and e-mail address replaced by :data:`LINK_MARKER` (a word of its own: "see:https://x" ->
    "see: HTTPURL"), the punctuation after it kept, and markers with only spaces between them made one. Adds
    "link" or "email" to ``done`` for each kind marked."""
    if _MAYBE_LINK.search(text):
        found = set()

        def mark(match: re.Match) -> str:
            word = match.group(0)
            start = link_start(word)
            if start is None:
                return word
            prefix, link = word[:start], word[start:]
            found.add(_kind(link))
            space = " " if prefix and prefix[-1] not in _OPENERS else ""
            return prefix + space + LINK_MARKER + link[len(link.rstrip(_LINK_TAIL)):]

        text = _LINK_WORD.sub(mark, text)
        if done is not None:
            done |= found
    return _DOUBLED_MARKERS.sub(LINK_MARKER, text) if LINK_MARKER in text else text


def drop_links(text: str, done: set | None = None) -> str:
    """Links and e-mail addresses removed, leaving no hole (see the module's docstring); line breaks stay.
    Adds "link", "email" and the names of the repairs made ("link_label_cut", "link_brackets",
    "link_preposition", "link_punctuation") to ``done``."""
    if not _MAYBE_LINK.search(text):
        return text
    done = set() if done is None else done
    text = _drop_trailing_links(text, done)
    return "\n".join(_drop_links_in_line(line, done) for line in text.split("\n"))


def _drop_trailing_links(text: str, done: set) -> str:
    """The links ending the post removed, each with the label it leaves dangling; when a label goes, a link
    before it may end the post in turn ("Podcast audio: <link> Podcast video: <link>"). The punctuation after
    the last link stays unless the sentence before it is closed already ("I love https://x.com/a!" -> "I love!")."""
    tail = None
    while True:
        stripped = False
        while (last := _LAST_WORD.search(text)) and (start := link_start(last.group(1))) is not None:
            prefix, link = last.group(1)[:start], last.group(1)[start:]
            core = link.rstrip(_LINK_TAIL)
            closing = link[len(core):]
            if closing.strip(_SENTENCE_MARKS):  # a bracket or quote closes after it: the link's own, or the line rules'
                if prefix not in _BRACKETS or closing.strip(_SENTENCE_MARKS) != _BRACKETS[prefix]:
                    break
                prefix, closing = "", closing[closing.index(_BRACKETS[prefix]) + 1:]  # what follows the bracket
            tail = closing if tail is None else tail
            done.add(_kind(link))
            text = text[:last.start(1)] + prefix
            stripped = True
        if not stripped:
            break
        head = _last_link_end(text)  # a label ends at the link before it
        label = drop_dangling_label(text[head:])
        if label == text[head:].strip():
            break
        done.add("link_label_cut")
        text = text[:head] + (" " if head and label else "") + label
    text = text.rstrip()
    if tail and text and (text[-1].isalnum() or text[-1] in "\"'”’)]"):
        text += tail
    return text


def drop_dangling_label(text: str) -> str:
    """``text``, which a removed link ended, without the label left pointing at nothing: a pointing mark
    (":", "@", "->", "👉") and an article or preposition ("via", "at the"); then the sentence the ":" ended, if
    it has at most :data:`LABEL_WORDS` words ("Podcast video:", "Watch it here:"), or else the clause that
    only points at the link ("Listen now", "Hear our conversation", "Check it out", "Get tix & watch the first
    4 mins here": :data:`_POINTING_START`, :data:`_POINTING_END`). A sentence of its
    own before the ":" stays, without a last "here" ("Man, I'd do anything to trade jobs with Riley:" -> "Man,
    I'd do anything to trade jobs with Riley"; "I've collected some of my favorites here:" -> "I've collected
    some of my favorites")."""
    text = text.rstrip()
    colon = False
    while (mark := _END_MARK.search(text)) or (mark := _END_POINTING_WORD.search(text)):
        colon = colon or mark.group(0).strip() == ":"
        text = text[:mark.start()].rstrip()
    sentence = _after_last(_SENTENCE_BREAK, text)
    clause = _after_last(_CLAUSE_BREAK, text)
    words = text[clause:].split()
    if colon and len(text[sentence:].split()) <= LABEL_WORDS:
        text = text[:sentence]
    elif _points(words):
        text = text[:clause]
    elif pointer := _POINTING_END.match(text, clause):  # a longer clause: only its pointing phrase goes
        text = _END_JOINER.sub("", text[:pointer.start("phrase" if pointer.group("phrase") else "here")].rstrip())
    elif colon:
        text = _END_HERE.sub("", text)
    return text.rstrip().rstrip(",;–—-|").rstrip()


def _points(words: list[str]) -> bool:
    """Whether a clause (its words) only points at the link after it."""
    clause = " ".join(words).lstrip("\"'“‘([")
    return bool(words) and (len(words) <= POINTING_START_WORDS and bool(_POINTING_START.match(clause))
                            or len(words) <= POINTING_END_WORDS and bool(_POINTING_END.match(clause)))


def _last_link_end(text: str) -> int:
    """Where the last word holding a link ends in ``text`` (0 when none does)."""
    if _MAYBE_LINK.search(text):
        for word in reversed(list(_WORD.finditer(text))):
            if link_start(word.group(0)) is not None:
                return word.end()
    return 0


def _after_last(breaks: re.Pattern, text: str) -> int:
    """Where the text after the last match of ``breaks`` begins (0 when none matches)."""
    return max((match.end() for match in breaks.finditer(text)), default=0)


def _drop_links_in_line(line: str, done: set) -> str:
    """One line's links removed word by word, with the repairs of brackets, pointing words and punctuation."""
    if not _MAYBE_LINK.search(line):
        return line
    words: list[str] = []
    for word in line.split():
        start = link_start(word)
        if start is None:
            words.append(word)
            continue
        prefix, link = word[:start], word[start:]
        done.add(_kind(link))
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
