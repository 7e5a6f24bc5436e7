"""Time each stage of `dvc repro` in this project: the numbers the README quotes.

Runs the real `dvc repro --force` (every stage, in order) with the current params.yaml and prints a
markdown table of each stage's wall time, from DVC's "Running stage" lines as they stream, and the
whole run's wall time and peak memory (the largest stage process's resident set).
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed_repro(extra: list[str], cwd: Path = ROOT) -> tuple[list[tuple[str, float]], float]:
    """(stage, seconds) in the order DVC ran them in the project at ``cwd``, and the whole run's seconds."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    marks: list[tuple[str, float]] = []
    start = time.perf_counter()
    with subprocess.Popen([str(bin_dir / "dvc"), "repro", "--force", *extra], cwd=cwd, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as run:
        for line in run.stdout:
            sys.stderr.write(line)
            found = re.search(r"Running stage '(\w+)'", line)
            if found:
                marks.append((found.group(1), time.perf_counter()))
    if run.returncode != 0:
        sys.exit(f"dvc repro failed with exit code {run.returncode}")
    end = time.perf_counter()
    ends = [t for _, t in marks[1:]] + [end]
    return [(stage, stop - begin) for (stage, begin), stop in zip(marks, ends)], end - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("targets", nargs="*", help="stages to run (default: all)")
    args = parser.parse_args(argv)
    stages, total = timed_repro(args.targets)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
    load = os.getloadavg()[0]
    print(f"\n`{Path(sys.executable).name} benchmarks/repro_times.py` on {os.cpu_count()} cores "
          f"(load average {load:.1f} at the end)\n")
    print("| stage | wall time |\n|---|---:|")
    for stage, seconds in stages:
        print(f"| {stage} | {seconds:.0f} s |")
    print(f"| **whole `dvc repro`** | **{total / 60:.1f} min** (peak RSS {peak:.1f} GiB) |")


if __name__ == "__main__":
    main()
