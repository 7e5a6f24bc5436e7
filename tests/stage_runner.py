"""Run stages as DVC does, `python -m stages.<name>`, in a scratch project directory."""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from elm import profiles

from helpers import ROOT

TINY = profiles.merged(ROOT / "profiles" / "tiny.yaml", ROOT / "params.yaml")  # the complete params of the tiny profile


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


def kill_stage_when(name: str, cwd: Path, ready, timeout: float = 300) -> None:
    """Start `python -m stages.<name>` in ``cwd`` and SIGKILL it as soon as ``ready()`` is true: a crash
    at a moment the test chose. Fails if the stage ends first (give it more work) or ``ready`` never holds."""
    with _killed_when(name, [sys.executable, "-m", f"stages.{name}"], cwd, ready, timeout):
        pass


@contextlib.contextmanager
def paused_stage(name: str, cwd: Path, call: str, path_part: str, *options: str, timeout: float = 300):
    """`python -m stages.<name>` in ``cwd``, held by tests/paused_stage.py right after its first call of ``call``
    (``"os:replace"``) on a path containing ``path_part`` (``options``: that script's, such as ``--no-exchange``):
    a live run stopped at an exact moment, however fast the stage runs. SIGKILLed when the block ends: a crash at
    that moment."""
    with tempfile.TemporaryDirectory() as folder:
        ready = Path(folder) / "paused"
        command = [sys.executable, str(ROOT / "tests" / "paused_stage.py"), name, call, path_part, str(ready), *options]
        with _killed_when(name, command, cwd, ready.exists, timeout):
            yield


@contextlib.contextmanager
def _killed_when(name: str, command: list[str], cwd: Path, ready, timeout: float):
    """``command`` running in ``cwd`` until ``ready()`` holds; SIGKILLed when the block ends."""
    process = subprocess.Popen(command, cwd=cwd, env=stage_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and process.poll() is None and not ready():
            time.sleep(0.02)
        assert process.poll() is None, f"stages.{name} ended before it could be killed; give it more work"
        assert ready(), f"stages.{name} did not reach the kill point in {timeout:.0f} s"
        yield
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()


def write_params(cwd: Path, params: dict) -> None:
    (cwd / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


# --- Whole-project runs: the real `dvc` and `git` in a fresh repo holding a copy of the project ---

DVC = str(Path(sys.executable).with_name("dvc"))
# Commits made by the tests, and by `dvc exp`, need an identity; CI's machine may have none configured.
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Elm tests", "GIT_AUTHOR_EMAIL": "tests@elm.invalid",
                "GIT_COMMITTER_NAME": "Elm tests", "GIT_COMMITTER_EMAIL": "tests@elm.invalid"}


def cli_env(**overrides: str) -> dict:
    """What a user's shell gives `dvc` and `git`: the venv's bin first on PATH, a git identity,
    no DVC Studio token (so `dvc artifacts get` never calls Studio), plus ``overrides``."""
    env = {k: v for k, v in stage_env(pythonpath="").items() if not k.startswith("DVC_STUDIO")}
    return {**env, **GIT_IDENTITY, "DVC_NO_ANALYTICS": "1", **overrides}


def sh(*args, cwd: Path, env: dict | None = None, timeout: float = 900) -> str:
    """Run a command in ``cwd`` as a user would; its stdout + stderr. A failure or a timeout raises
    AssertionError showing the output; on timeout the command's whole process group is killed."""
    proc = subprocess.Popen([str(a) for a in args], cwd=cwd, env=env or cli_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        raise AssertionError(f"{' '.join(map(str, args))} ran past {timeout}s:\n{output[-3000:]}") from None
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed ({proc.returncode}):\n{output[-4000:]}")
    return output


def stages_run(output: str) -> list[str]:
    """The stages a `dvc repro` / `dvc exp run` output says it ran, in order."""
    return re.findall(r"Running stage '(\w+)'", output)


def declared_outputs(repo: Path) -> list[str]:
    """Every path dvc.yaml's stages write (outs, metrics, plots)."""
    pipeline = yaml.safe_load((repo / "dvc.yaml").read_text())
    paths = []
    for stage in pipeline["stages"].values():
        for kind in ("outs", "metrics", "plots"):
            for entry in stage.get(kind, []):
                paths.append(entry if isinstance(entry, str) else next(iter(entry)))
    return paths


def project_files() -> list[str]:
    """What a clone of the project holds: tracked files plus new, not ignored ones, less the pipeline's
    outputs and dvc.lock (a local run may have left them here)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    outputs = tuple(declared_outputs(ROOT))
    return [f for f in listed if (ROOT / f).is_file() and f != "dvc.lock" and not f.startswith(outputs)]


def new_project(dest: Path, params: dict) -> Path:
    """``dest`` made a git repo (branch main) holding a copy of the project with ``params`` as its
    params.yaml, in one commit, nothing run yet."""
    for name in project_files():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest / name)
    write_params(dest, params)
    sh("git", "init", "-q", "-b", "main", cwd=dest)
    sh("git", "add", "-A", cwd=dest)
    sh("git", "commit", "-qm", "Elm on the test's params", cwd=dest)
    return dest


def tiny_project(tmp_path_factory, dest: Path) -> Path:
    """``dest`` made a git repo (branch main) holding the project on the tiny profile, with one
    commit, after one `dvc repro` whose results are left uncommitted. The repro runs once per test
    session; each call copies its result, so modules share it without sharing state."""
    shutil.copytree(_tiny_baseline(tmp_path_factory), dest, symlinks=True)
    return dest


def tiny_project_first_repro(tmp_path_factory) -> str:
    """The output of the one `dvc repro` that the copies from ``tiny_project`` come from."""
    return _tiny_baseline(tmp_path_factory).with_suffix(".log").read_text()


def _tiny_baseline(tmp_path_factory) -> Path:
    baseline = tmp_path_factory.getbasetemp() / "tiny-project"
    if not baseline.is_dir():
        building = new_project(tmp_path_factory.mktemp("tiny-project-building"), TINY)
        baseline.with_suffix(".log").write_text(sh(DVC, "repro", cwd=building))
        building.rename(baseline)
    return baseline
