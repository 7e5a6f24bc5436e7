"""The ``evaluate`` section: the diversity measures' sample sizes and seed."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from elm.params.validation import bounded


@dataclass(frozen=True)
class Evaluate:
    section: ClassVar[str] = "evaluate"

    sample_posts: int = bounded(2)
    self_bleu_posts: int = bounded(1)
    seed: int
