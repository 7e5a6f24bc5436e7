"""The ``generate`` section: how many posts, and how each is sampled."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from elm.params.validation import PRECISIONS, bounded


@dataclass(frozen=True)
class Rejection:
    enabled: bool
    discriminator_posts: int = bounded(10)
    oversample: float = bounded(0.0, 20.0)
    gamma: float


@dataclass(frozen=True)
class Generate:
    section: ClassVar[str] = "generate"

    posts: int = bounded(1)
    batch_size: int = bounded(1)
    temperature: float = bounded(0.0)
    top_k: int = bounded(0)
    top_p: float = bounded(0.0, 1.0)
    min_p: float = bounded(0.0, 1.0)
    typical_p: float = bounded(0.01, 1.0)
    max_new_tokens: int = bounded(0)
    copy_ngram: int = bounded(0)
    precision: str = bounded(choices=PRECISIONS)
    seed: int
    rejection: Rejection
