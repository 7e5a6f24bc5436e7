"""Every stage's `python -m stages.<name> --help`: it exits 0 and shows the usage, the ``--params``
option and the stage's description (its docstring). Stages are found in stages/, so a new one is covered."""
from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from helpers import ROOT
from stage_runner import stage_env

STAGES = sorted(path.stem for path in (ROOT / "stages").glob("*.py") if path.stem != "__init__")
# What the description must say beyond its first line, where a stage's users look for it.
DETAILS = {
    "clean": "data/clean/posts.parquet",
    "finetune": "Params:",
    "generate": "Params:",
    "likelihood": "rank_over_1000",
    "scrape": "data/raw",
}


def docstring_title(stage: str) -> str:
    module = ast.parse((ROOT / "stages" / f"{stage}.py").read_text(encoding="utf-8"))
    return ast.get_docstring(module).strip().splitlines()[0]


def test_every_detail_names_a_stage():
    assert set(DETAILS) <= set(STAGES)


@pytest.mark.parametrize("stage", STAGES)
def test_help_shows_the_usage_the_options_and_the_description(stage):
    done = subprocess.run([sys.executable, "-m", f"stages.{stage}", "--help"], cwd=ROOT, capture_output=True,
                          text=True, env=stage_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: python -m stages.{stage} ")
    assert "--params" in done.stdout
    assert docstring_title(stage) in done.stdout
    assert DETAILS.get(stage, "") in done.stdout
