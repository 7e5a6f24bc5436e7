"""The ``clean`` section: the cleaning rules' settings and the train / eval split."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from elm.params.validation import bounded

HASHTAG_MODES = ("word", "drop")
LEADING_MENTION_MODES = ("strip", "drop", "keep")
EMOJI_MODES = ("keep", "drop")
LINK_MODES = ("marker", "drop")


@dataclass(frozen=True)
class Clean:
    section: ClassVar[str] = "clean"

    hashtags: str = bounded(choices=HASHTAG_MODES)
    emojis: str = bounded(choices=EMOJI_MODES)
    links: str = bounded(choices=LINK_MODES)
    drop_retweets: bool
    leading_mentions: str = bounded(choices=LEADING_MENTION_MODES)
    min_chars: int = bounded(0)
    languages: list[str]
    near_duplicates: bool
    eval_fraction: float = bounded(0.0, 0.9)
    seed: int
