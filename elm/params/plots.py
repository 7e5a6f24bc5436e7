"""The ``plots`` section."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from elm.params.validation import bounded


@dataclass(frozen=True)
class Plots:
    section: ClassVar[str] = "plots"

    top_words: int = bounded(1)
