"""Which number format a model runs in: plain fp32, or bf16 where that is the faster choice.

``precision`` params (``finetune``, ``generate``, ``likelihood``) take ``auto``, ``bf16`` or ``fp32``.
``bf16`` and ``fp32`` are obeyed everywhere (bf16 on a CPU without native bf16 is emulated: correct,
about 20x slower). ``auto`` picks by the hardware and the work, from what ``benchmarks/precision.py``
measured (table in benchmarks/README.md):

- on a GPU with bf16: bf16, for every kind of work;
- on a CPU with native bf16 (the ``avx512_bf16`` or ``amx_bf16`` flag): bf16 for training, scoring and
  sampling (sampling with the weights cast to bf16, which ran 1.37x fp32 with weight-first layers on
  AVX512-BF16 without AMX; under autocast it had been slower);
- on other CPUs (AVX2): fp32, with weight-first layers for sampling (``elm.models.weight_first``).

bf16 and fp32 runs give slightly different numbers, so outputs (and ``dvc.lock`` hashes) differ between
machines where ``auto`` chooses differently: set the precision explicitly for identical reruns.
"""
from __future__ import annotations

import os
import platform
from pathlib import Path

import torch

from elm.params.validation import PRECISIONS as CHOICES

WORK = ("train", "sample", "score")
NATIVE_BF16 = {"avx512_bf16", "amx_bf16"}  # CPU flags of bf16 dot products (AVX-512) or tiles (AMX)


def cpu_info() -> str:
    """The text of ``/proc/cpuinfo``; empty where there is none."""
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The CPU feature flags of ``/proc/cpuinfo`` (or of the text given, for tests); empty if unreadable."""
    for line in (cpu_info() if cpuinfo is None else cpuinfo).splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def cpu_name(cpuinfo: str | None = None) -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (or the text given), else what ``platform`` knows."""
    for line in (cpu_info() if cpuinfo is None else cpuinfo).splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or "unknown CPU"


def describe_cpu() -> str:
    """The CPU, its cores and its native bf16 flags: what CPU timings and ``auto``'s outputs depend on."""
    flags = ", ".join(sorted(NATIVE_BF16 & cpu_flags())) or "none (bf16 emulated: auto picks fp32)"
    return f"{cpu_name()} ({os.cpu_count()} cores), native bf16 flags: {flags}"


def auto_is_bf16(work: str, device: torch.device, flags: set[str] | None = None) -> bool:
    """Whether ``auto`` means bf16 for ``work`` (train, sample or score) on ``device``."""
    if work not in WORK:
        raise ValueError(f"work must be one of {WORK}, not {work!r}")
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    flags = cpu_flags() if flags is None else flags
    return bool(NATIVE_BF16 & flags)


def autocast_dtype(precision: str, device: torch.device, work: str, flags: set[str] | None = None):
    """The autocast dtype for a ``precision`` param (``None``: plain fp32)."""
    if precision not in CHOICES:
        raise ValueError(f"precision must be one of {CHOICES}, not {precision!r}")
    if precision == "bf16" or (precision == "auto" and auto_is_bf16(work, device, flags)):
        return torch.bfloat16
    return None


def autocast(device: torch.device, dtype):
    """The context that runs a forward pass in ``dtype`` (``autocast_dtype``'s answer; ``None``: plain fp32)."""
    return torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None)
