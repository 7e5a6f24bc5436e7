"""Run stages as DVC does, `python -m stages.<name>`, in a scratch project directory."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TINY = yaml.safe_load((ROOT / "profiles" / "tiny.yaml").read_text())


def stage_env(pythonpath: str = str(ROOT)) -> dict:
    """The environment DVC gives a stage: this interpreter's `python` and `dvc` first on PATH."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path, "PYTHONPATH": pythonpath, "HF_HUB_OFFLINE": "1"}


def run_stage(name: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", f"stages.{name}"], cwd=cwd, env=stage_env(),
                          capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"stages.{name} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done


def write_params(cwd: Path, params: dict) -> None:
    (cwd / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
