"""The ``sample`` section: the labelled set of real and generated posts the detectors learn from."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from elm.params.validation import bounded


@dataclass(frozen=True)
class Sample:
    section: ClassVar[str] = "sample"

    posts_per_class: int = bounded(1)
    seed: int
    min_sentiment: float | None = bounded(-1.0, 1.0)
    real_from: str = bounded(choices=("heldout", "all"))
    match_lengths: bool
