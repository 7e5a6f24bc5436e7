"""The ``report`` section: reports/index.html (``profile`` names the run on the feed's page too)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from elm.params.validation import bounded


@dataclass(frozen=True)
class Report:
    section: ClassVar[str] = "report"

    examples_per_account: int = bounded(1)
    profile: str  # the profile (profiles/<name>.yaml) laid over params.yaml; "": none
