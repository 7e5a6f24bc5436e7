"""Shared by the CPU benchmarks (decode_step.py, train_step.py, precision.py): best-of-N timing and the CPU line."""
from __future__ import annotations

import sys
from collections.abc import Callable

import torch

from elm.models import precision


def best_of(runs: dict[str, Callable[[], float]], repeats: int) -> dict[str, float]:
    """The least seconds each run returned over ``repeats`` rounds, the runs alternating order each round
    (so neither a warm cache nor a busy neighbour always favours the same one); each time goes to stderr."""
    best = {name: float("inf") for name in runs}
    for repeat in range(repeats):
        for name in (list(runs) if repeat % 2 == 0 else list(runs)[::-1]):
            seconds = runs[name]()
            best[name] = min(best[name], seconds)
            print(f"repeat {repeat + 1}: {name}: {seconds * 1000:.1f} ms", file=sys.stderr, flush=True)
    return best


def cpu_line() -> str:
    """The CPU, its cores, torch's threads and the native bf16 flags: what every timing depends on."""
    return f"CPU: {precision.describe_cpu()}, {torch.get_num_threads()} torch threads"
