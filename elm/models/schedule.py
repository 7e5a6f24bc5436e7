"""What every training run here shares (fine-tuning, and the neural detector's): the learning-rate schedule and
the seeded order of training batches."""
from __future__ import annotations

import math

import torch


def lr_factor(step: int, warmup: int, total: int) -> float:
    """The learning rate's multiplier at ``step`` (from 0): linear warm-up over ``warmup`` steps to the full
    rate, then cosine decay to a tenth of it at ``total``."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def lambda_schedule(optimizer, warmup: int, total: int):
    """``lr_factor`` as a torch scheduler over ``optimizer``: call its ``step()`` after each optimizer step."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, warmup, total))


class BatchOrder:
    """Which packed rows form training batch ``k``: a fresh seeded shuffle every epoch.

    A pure function of (seed, k), so a run resumed at step n draws exactly the batches an
    uninterrupted run would have."""

    def __init__(self, rows: int, batch_size: int, seed: int):
        self.rows, self.batch_size, self.seed = rows, min(batch_size, rows), seed
        self.per_epoch = rows // self.batch_size
        self._epoch, self._order = None, None

    def __call__(self, k: int) -> torch.Tensor:
        epoch, position = divmod(k, self.per_epoch)
        if epoch != self._epoch:
            generator = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            self._epoch, self._order = epoch, torch.randperm(self.rows, generator=generator)
        return self._order[position * self.batch_size:(position + 1) * self.batch_size]
