"""The ``report`` section: reports/index.html."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from elm.params.validation import bounded


@dataclass(frozen=True)
class Report:
    section: ClassVar[str] = "report"

    examples_per_account: int = bounded(1)
