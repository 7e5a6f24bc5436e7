"""Shared test fixtures: a scratch project directory with its own params.yaml, the real data, and the tiny
trained model."""
from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import yaml

from elm.models import precision
from elm.models.manifest import write_manifest
from elm.models.transformers import train as hf_train

from helpers import ROOT, corpus, scratch_params

# Real posts for the tests that need them (Twint exports of conan, dalailama and stevemartin in twint/, the
# 2021 study's labelled set in original-study/modeling_tweets.csv): the folder ELM_REAL_DATA names, by default
# ../shared/data beside the project (Elm's development setup). Never copied into the project.
REAL_DATA = Path(os.environ.get("ELM_REAL_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture
def real_data() -> Path:
    """The real-data folder (``ELM_REAL_DATA``), or a skip that says how to supply it."""
    if not REAL_DATA.is_dir():
        pytest.skip(f"real posts not found at {REAL_DATA}: set ELM_REAL_DATA to a folder holding twint/<handle>.csv "
                    "exports (conan, dalailama, stevemartin) and original-study/modeling_tweets.csv")
    return REAL_DATA


@pytest.fixture
def default_params() -> dict:
    """The project's params.yaml as a dict (a fresh copy for each test)."""
    return copy.deepcopy(yaml.safe_load((ROOT / "params.yaml").read_text()))


class Workdir(type(Path())):
    """A scratch project directory; ``write_params(dict)`` writes its params.yaml."""

    def write_params(self, params: dict) -> Path:
        path = self / "params.yaml"
        path.write_text(yaml.safe_dump(params, sort_keys=False))
        return path


@pytest.fixture
def workdir(tmp_path, monkeypatch, default_params) -> Workdir:
    """A temp directory to run stages in, made the cwd, holding a copy of the default params.yaml
    (start from ``default_params``, change what the test needs, and ``workdir.write_params`` it)."""
    monkeypatch.chdir(tmp_path)
    wd = Workdir(tmp_path)
    wd.write_params(default_params)
    return wd


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 2-layer GPT-2 trained from scratch on two voices, saved, with its step metrics."""

    out = tmp_path_factory.mktemp("model")
    steps = []
    summary = hf_train.finetune(corpus(), corpus(1), scratch_params(), out, lambda step, m: steps.append(m))
    write_manifest(out, backend="transformers", base_model="scratch", steps=60)
    return out, steps, summary


def pytest_terminal_summary(terminalreporter):
    """Every run ends by naming its CPU (also under -q): with ``precision: auto``, bf16 support changes outputs,
    never a test's outcome (each test forces the precision it checks or fakes the CPU flags)."""

    terminalreporter.write_line(f"ran on: {precision.describe_cpu()}")


def pytest_configure(config):
    from elm.cli import configure_logging

    configure_logging()  # the library's progress and warnings on stderr, as the entry points show them
    config.addinivalue_line("markers", "cuda: needs a CUDA GPU (skipped where torch sees none)")


def pytest_collection_modifyitems(config, items):
    marked = [item for item in items if "cuda" in item.keywords]
    if not marked:
        return
    import torch

    if not torch.cuda.is_available():
        skip = pytest.mark.skip(reason="needs a CUDA GPU: torch.cuda.is_available() is False on this machine")
        for item in marked:
            item.add_marker(skip)
