"""Every params section at once: for profiles (which lay an overlay over the whole file) and tests. Stages
never import this module: each loads its own section (``elm.params.validation.load``)."""
from __future__ import annotations

from pathlib import Path

from elm.params.classify import Classify
from elm.params.clean import Clean
from elm.params.evaluate import Evaluate
from elm.params.feed import Feed
from elm.params.finetune import Finetune
from elm.params.generate import Generate
from elm.params.judge import Judge
from elm.params.likelihood import Likelihood
from elm.params.plots import Plots
from elm.params.report import Report
from elm.params.sample import Sample
from elm.params.scrape import Scrape
from elm.params.validation import PARAMS_FILE, SECTION_NAMES, ParamsError, build, read

SCHEMAS = {schema.section: schema for schema in (Scrape, Clean, Finetune, Generate, Sample, Likelihood, Classify,
                                                  Evaluate, Plots, Report, Judge, Feed)}
assert tuple(SCHEMAS) == SECTION_NAMES, "elm/params/validation.py's SECTION_NAMES lists every section, in this order"


def validate(path: Path | str = PARAMS_FILE) -> dict:
    """Every section of a params file, validated."""
    return validate_data(read(path), str(path))


def validate_data(data: dict, where: str) -> dict:
    """Every section of params already read (``where`` names them in errors), validated."""
    missing = set(SCHEMAS) - set(data)
    if missing:
        raise ParamsError(f"{where}: sections missing: {', '.join(sorted(missing))}")
    return {name: build(schema, data[name], f"{where}: {name}") for name, schema in SCHEMAS.items()}
