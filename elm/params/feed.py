"""The ``feed`` section: reports/feed.html, the optimistic feed."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from elm.params.validation import bounded


@dataclass(frozen=True)
class Feed:
    section: ClassVar[str] = "feed"

    min_sentiment: float = bounded(-1.0, 1.0)
    max_posts: int = bounded(1)
