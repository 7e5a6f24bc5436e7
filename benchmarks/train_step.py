"""Where one fine-tuning step of GPT-2 124M (random weights) spends its time on CPU, part by part.

The step ``elm.models.transformers.train.train_step`` runs, at ``--batch`` x ``--seq`` tokens (default 1 x 1024: the
windows gpt-2-simple always trains on, so the backend benchmark's equal-window row), under the autocast
``finetune.precision: auto`` picks on this CPU, its parts timed apart:

- forward + backward, with transformers' ``gelu_new`` (eight elementwise kernels) and with the same
  function as one kernel (``elm.models.transformers.train.fuse_gelu``, which finetune applies on CUDA);
- clipping the gradients to norm 1;
- the AdamW update with torch's default on CPU (a loop of small ops per tensor) and fused (one kernel,
  what ``elm.models.transformers.train.optimizer_for`` builds on CPUs).

Printed: the best milliseconds of ``--repeats`` runs of each part, the variants alternating order each
repeat, and the step's tokens/s with each choice.

    python benchmarks/train_step.py                   # about 3 minutes on 2 cores
    python benchmarks/train_step.py --batch 8 --seq 64
"""
from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

import torch
from transformers import GPT2Config, GPT2LMHeadModel

from elm.models import precision
from elm.models.transformers import train as hf_train

from best_of import best_of, cpu_line  # benchmarks/: this script's folder

ROOT = Path(__file__).resolve().parents[1]


def timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def forward_backward(model, ids: torch.Tensor, dtype) -> None:
    model.zero_grad(set_to_none=True)  # as each step starts
    with torch.autocast("cpu", dtype=dtype or torch.bfloat16, enabled=dtype is not None):
        loss = model(input_ids=ids, labels=ids).loss
    loss.backward()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1, help="rows per step (default: %(default)s)")
    parser.add_argument("--seq", type=int, default=1024, help="tokens per row (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each part (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    dtype = precision.autocast_dtype("auto", torch.device("cpu"), "train")
    torch.manual_seed(0)
    config = GPT2Config(n_layer=12, n_embd=768, n_head=12, vocab_size=50257, n_positions=max(1024, args.seq),
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)  # finetune.dropout 0, as benchmarked
    plain = GPT2LMHeadModel(config).train()
    fused = copy.deepcopy(plain)
    hf_train.fuse_gelu(fused)
    ids = torch.randint(0, config.vocab_size, (args.batch, args.seq), generator=torch.Generator().manual_seed(1))
    optimizers = {"AdamW, torch's default": torch.optim.AdamW(plain.parameters(), lr=1e-5),
                  "AdamW, fused": torch.optim.AdamW(plain.parameters(), lr=1e-5, fused=True)}
    parts = {"forward + backward, gelu_new": lambda: forward_backward(plain, ids, dtype),
             "forward + backward, one-kernel GELU": lambda: forward_backward(fused, ids, dtype),
             "clip gradients": lambda: torch.nn.utils.clip_grad_norm_(plain.parameters(), 1.0),
             **{name: optimizer.step for name, optimizer in optimizers.items()}}
    forward_backward(plain, ids, dtype)  # warm-up; the gradients then stay for clip and the optimizers
    forward_backward(fused, ids, dtype)
    for optimizer in optimizers.values():
        optimizer.step()
    best = best_of({name: lambda work=work: timed(work) for name, work in parts.items()}, args.repeats)
    print(f"\n{cpu_line()}; autocast: {dtype or 'none (fp32)'}; GPT-2 124M, {args.batch} x {args.seq} tokens a "
          f"step, best of {args.repeats}\n")
    print("| part of a step | ms |\n|---|---:|")
    for name, seconds in best.items():
        print(f"| {name} | {seconds * 1000:.0f} |")
    tokens = args.batch * args.seq
    print("\n| step | ms | tokens/s |\n|---|---:|---:|")
    for gelu in ("gelu_new", "one-kernel GELU"):
        for adamw in ("torch's default", "fused"):
            seconds = (best[f"forward + backward, {gelu}"] + best["clip gradients"] + best[f"AdamW, {adamw}"])
            print(f"| {gelu}, AdamW {adamw} | {seconds * 1000:.0f} | {tokens / seconds:.0f} |")


if __name__ == "__main__":
    main()
