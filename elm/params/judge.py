"""The ``judge`` section: the judge app (``python -m stages.judge``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from elm.params.validation import bounded


@dataclass(frozen=True)
class Judge:
    section: ClassVar[str] = "judge"

    posts_per_reader: int = bounded(1)
    seed: int
    request_timeout: int = bounded(1, 600)
