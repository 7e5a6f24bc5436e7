"""Every command README.md shows runs as written. The cheap ones run here, in a copy of the tiny project after its
`dvc repro` (what a user has after the quick start), each as a user types it; the costly ones (the whole pipeline,
the test suite, a GPU benchmark, a server) are run by the test or CI script named beside them, which must hold the
command, so that a claim cannot go stale. A command added to the README fails here until it is placed in one list.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from elm import profiles

from stage_runner import ROOT, cli_env, sh, tiny_project

README = ROOT / "README.md"
WALKTHROUGH = "<!-- tests/test_experiments.py runs the next block as written -->"
COMMAND_WORDS = ("make ", "dvc ", "python ", "PYTHONPATH=", ".venv/bin/", "git ")

# Run here, in that order (the last ones change the project), each must succeed. `<name>` stands for each stage.
RUN_HERE = [
    "dvc metrics show",
    "dvc metrics diff",
    "dvc exp show",
    "dvc plots show",
    "dvc repro human report",
    "python -m stages.<name> --help",
    "make profile PROFILE=profiles/real-cpu.yaml",
]
# Run here with --help only (they need hours, a GPU or real exports): the script and its options must exist.
HELP_ONLY = ["PYTHONPATH=. python benchmarks/gpu.py",
             ".venv/bin/python benchmarks/imitation.py --profile profiles/real-cpu.yaml --import-dir path/to/twint-exports "
             "--seeds 3"]
# Run elsewhere: the command, and (file, text it holds) for the place that runs it.
ELSEWHERE = {
    "make repro": ("Makefile", 'repro: setup\n\tPATH="$(CURDIR)/$(BIN):$$PATH" dvc repro'),
    "dvc repro": ("tests/test_pipeline.py", 'sh(DVC, "repro"'),
    "make test": (".ci/run", "make setup-gpt2simple lint test"),
    "make lint": (".ci/run", "make setup-gpt2simple lint test"),
    "make setup-gpt2simple": (".ci/run", "make setup-gpt2simple lint test"),
    "make setup-gpt2simple lint test": (".ci/run", "make setup-gpt2simple lint test"),
    "make compare": ("tests/test_compare.py", 'COMPARE = "make compare"'),
    "dvc exp run -S key=value": ("README.md", "dvc exp run --queue -n temp-$t -S"),  # the walkthrough block
    "dvc plots diff": ("tests/test_offline_plots.py", 'dvc_page(repo, "diff", "diff", "HEAD")'),
    "dvc plots": ("tests/test_offline_plots.py", 'dvc_page(repo, "show", "show")'),
    "dvc push": ("tests/test_remote.py", 'DVC, "push"'),
    "dvc pull models/finetuned data/clean/posts.parquet && dvc repro --downstream generate":
        ("tests/test_remote.py", 'DVC, "repro", "--downstream", "generate"'),
    "dvc artifacts get <repo> elm-model --rev v1.0.0": ("tests/test_remote.py", '"artifacts", "get"'),
    "python -m stages.judge": ("tests/test_judge.py", '"-m", "stages.judge"'),
}


def readme_commands() -> list[str]:
    """The commands README.md shows: each line of its ```bash blocks (comments cut) but the walkthrough block,
    which tests/test_experiments.py runs, and each `inline` span that starts with a command word."""
    text = README.read_text()
    if WALKTHROUGH in text:
        before, after = text.split(WALKTHROUGH, 1)
        text = before + after.split("```", 2)[2]
    found = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.DOTALL):
        found += [line.split(" #")[0].strip() for line in block.splitlines() if line.split(" #")[0].strip()]
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    found += [span for span in re.findall(r"`([^`\n]+)`", text) if span.startswith(COMMAND_WORDS)]
    return list(dict.fromkeys(found))


def test_every_readme_command_is_run_here_or_by_a_named_test():
    placed = {*RUN_HERE, *HELP_ONLY, *ELSEWHERE}
    unplaced = [command for command in readme_commands() if command not in placed]
    assert not unplaced, f"README.md commands no test runs: {unplaced}; add each to RUN_HERE, HELP_ONLY or ELSEWHERE"
    stale = [command for command in placed if command not in readme_commands()]
    assert not stale, f"listed here but no longer in README.md: {stale}"


@pytest.mark.parametrize("command", sorted(ELSEWHERE))
def test_the_place_named_for_a_costly_command_runs_it(command):
    where, text = ELSEWHERE[command]
    assert text in (ROOT / where).read_text(), f"{where} no longer holds {text!r}, which runs `{command}`"


def stage_names() -> list[str]:
    return list(yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"])


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The tiny project after its `dvc repro`, committed, with this test run's virtualenv as its .venv (so that
    `make` finds Elm installed and installs nothing)."""
    repo = tiny_project(tmp_path_factory, tmp_path_factory.mktemp("readme") / "elm")
    sh("git", "add", "-A", cwd=repo)
    sh("git", "commit", "-qm", "Tiny run", cwd=repo)
    venv = Path(shutil.which("python", path=cli_env()["PATH"])).parent.parent
    (repo / ".venv").symlink_to(venv)
    return repo


def run_as_written(command: str, repo: Path) -> str:
    return sh("bash", "-c", command, cwd=repo, env=cli_env(COLUMNS="120"))


def test_the_cheap_commands_run_as_written(project):
    for command in RUN_HERE:
        if command.startswith("make "):
            installed = subprocess.run(["make", "-q", ".venv/.installed"], cwd=project, env=cli_env())
            if installed.returncode != 0:
                pytest.skip(f"this virtualenv's install stamp is older than pyproject.toml: `{command}` would "
                            "reinstall Elm into it from the copy (`make setup` refreshes it)")
        for each in ([command.replace("<name>", name) for name in stage_names()] if "<name>" in command
                     else [command]):
            run_as_written(each, project)
    assert "max_steps: 400" in (project / "params.yaml").read_text()  # profiles/real-cpu.yaml was laid over it


@pytest.mark.parametrize("command", HELP_ONLY)
def test_the_costly_scripts_take_their_options(command):
    assert "usage:" in run_as_written(f"{command} --help", ROOT)


def readme_params_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", README.read_text(), re.DOTALL)


@pytest.mark.parametrize("block", readme_params_blocks())
def test_each_params_block_is_valid_laid_over_params_yaml(block, tmp_path):
    """A params block the README shows, laid over params.yaml as a profile, passes validation as written."""
    overlay = tmp_path / "block.yaml"
    overlay.write_text(block)
    merged = profiles.merged(overlay, ROOT / "params.yaml")  # raises, naming the key, when a block is wrong
    for section, values in yaml.safe_load(block).items():
        assert set(values) <= set(merged[section]), (section, values)
