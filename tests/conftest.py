"""Shared test fixtures: a scratch project directory with its own params.yaml, and the real data."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` (real third-party posts, never copied into the project), or a skip."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (it lies beside the project root in the dev setup)")
    return SHARED_DATA


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


def pytest_configure(config):
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
