"""The ``clean`` section: the cleaning rules' settings and the train / eval split."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from elm.params.validation import bounded, checked, require_known

HASHTAG_MODES = ("word", "drop")
LEADING_MENTION_MODES = ("strip", "drop", "keep")
EMOJI_MODES = ("keep", "drop")
LINK_MODES = ("marker", "drop")

# The codes py3langid 0.4.0 detects (elm/text.py detect_languages; tests/test_params.py checks the list against
# its model, which takes a second to load), and Twitter's "und" (undetermined), which clean keeps whatever
# clean.languages lists.
DETECTED_LANGUAGES = (
    "ace af am an ar ary arz as az ba bcl be bg bn br bs ca crh cs cy da de dz el en eo es et eu ext fa fi fo fr fuv "
    "fy ga gcf gcr gd gl gom grc gu gug guw ha hbo he hi hr ht hu hy id ig is it ja jv ka kab kik kk km kn ko ku ky "
    "la lb lg lij ln lo lt ltg lv mg mk ml mn mr ms mt my ne nl nn no nso oc om or pa pcm pl ps pt qu ro ru rw sa sdh "
    "se si sk sl sn so sq sr st sv sw ta te tg th tk tl tr tt ug uk ur uz uzs vec vi vo wa wuu xh yo yue zh zu zxx"
).split()
UNDETERMINED = "und"


def primary_language(code: str) -> str:
    """A language code's primary subtag in lowercase: "en-US", "en_GB" and "EN" are all "en"."""
    return code.strip().lower().replace("_", "-").split("-")[0]


def detectable_languages(codes: list[str], key: str) -> None:
    """Each code of clean.languages names a language py3langid detects (or is "und"): a code it never returns
    ("eng", "english") would drop every post whose language is detected, which is most of them."""
    for i, code in enumerate(codes):
        require_known(primary_language(code), [*DETECTED_LANGUAGES, UNDETERMINED], f"{key}[{i}]",
                      "a language code py3langid detects", "write ISO 639-1 codes such as en, es, de (all of them: "
                      "DETECTED_LANGUAGES in elm/params/clean.py)")


@dataclass(frozen=True)
class Clean:
    section: ClassVar[str] = "clean"

    hashtags: str = bounded(choices=HASHTAG_MODES)
    emojis: str = bounded(choices=EMOJI_MODES)
    links: str = bounded(choices=LINK_MODES)
    drop_retweets: bool
    leading_mentions: str = bounded(choices=LEADING_MENTION_MODES)
    min_chars: int = bounded(0)
    languages: list[str] = checked(detectable_languages)
    near_duplicates: bool
    eval_fraction: float = bounded(0.0, 0.9)
    seed: int
