"""The ``likelihood`` section: scoring every sampled post with the fine-tuned model and its base model."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from elm.params.validation import PRECISIONS, bounded


@dataclass(frozen=True)
class Likelihood:
    section: ClassVar[str] = "likelihood"

    batch_size: int = bounded(1)
    max_tokens: int = bounded(1)
    precision: str = bounded(choices=PRECISIONS)
    threads: int = bounded(0)
    surrogate: bool  # also score with the base model (finetune.model): the black-box detectors' features
