"""One decode step of GPT-2 124M (random weights) on CPU in each way Elm could run it.

A batch of ``--batch`` posts, each with an 8-token prompt already in the KV cache, steps one token at a
time through ``--steps`` steps (greedy, so every variant does the same work); printed: the best
milliseconds per step of ``--repeats`` runs, the variants alternating order each repeat:

- fp32: the model as transformers builds it;
- fp32 weight-first: every linear layer as ``elm.models.weight_first`` runs it (generate's fp32 path);
- bf16 autocast: the fp32 model under ``torch.autocast`` (each weight cast to bf16 at every step);
- bf16 weights: the model's weights in bf16 (generate's bf16 path).

Each variant's GFLOP/s (two per weight of its matrix products, per post-token) is set against this CPU's
ceiling: the best GFLOP/s of the step's largest product alone (``--batch`` rows by the MLP's 768 x 3,072
weight, which stays in cache), in fp32 and in bf16. A ratio between two programs' speeds on this CPU
cannot exceed the ratio of the ceilings of the precisions they compute in.

    python benchmarks/decode_step.py                    # about 2 minutes on 2 cores
    python benchmarks/decode_step.py --threads 1 --batch 8
"""
from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

import torch
from transformers import GPT2Config, GPT2LMHeadModel

from elm.models.transformers import generate as hf_generate

from best_of import best_of, cpu_line  # benchmarks/: this script's folder

ROOT = Path(__file__).resolve().parents[1]

MLP_IN = (768, 3072)


def variants() -> dict[str, tuple[torch.nn.Module, torch.dtype | None]]:
    """name -> (model, autocast dtype or None)."""
    torch.manual_seed(0)
    plain = GPT2LMHeadModel(GPT2Config(n_layer=12, n_embd=768, n_head=12, vocab_size=50257)).eval()
    first = copy.deepcopy(plain)
    hf_generate.weight_first(first)
    return {"fp32": (plain, None), "fp32 weight-first": (first, None), "bf16 autocast": (plain, torch.bfloat16),
            "bf16 weights": (copy.deepcopy(plain).to(torch.bfloat16), None)}


@torch.inference_mode()
def seconds_per_step(model, dtype, batch: int, steps: int) -> float:
    ids = torch.randint(0, 50257, (batch, 8), generator=torch.Generator().manual_seed(1))
    with torch.autocast("cpu", dtype=dtype or torch.bfloat16, enabled=dtype is not None):
        out = model(ids, use_cache=True)
        cache, chosen = out.past_key_values, out.logits[:, -1:].float().argmax(-1)
        start = time.perf_counter()
        for _ in range(steps):
            out = model(chosen, past_key_values=cache, use_cache=True)
            cache, chosen = out.past_key_values, out.logits[:, -1:].float().argmax(-1)
        return (time.perf_counter() - start) / steps


def matmul_weights(model: torch.nn.Module) -> int:
    """Weights a post-token multiplies: every 2-d parameter but the position table (the output layer is
    the tied token table)."""
    return sum(p.numel() for name, p in model.named_parameters() if p.dim() == 2 and "wpe" not in name)


def matmul_seconds(rows: int, dtype: torch.dtype) -> float:
    x, weight = torch.randn(rows, MLP_IN[0], dtype=dtype), torch.randn(*MLP_IN, dtype=dtype)
    start = time.perf_counter()
    for _ in range(20):
        x @ weight
    return (time.perf_counter() - start) / 20


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32, help="posts stepping together (default: %(default)s)")
    parser.add_argument("--steps", type=int, default=24, help="decode steps per run (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each variant (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    models = variants()
    best = best_of({name: lambda model=model: seconds_per_step(*model, args.batch, args.steps)
                    for name, model in models.items()}, args.repeats)
    ceiling = {dtype: 2 * args.batch * MLP_IN[0] * MLP_IN[1] / 1e9 / seconds for dtype, seconds in best_of(
        {dtype: lambda dtype=dtype: matmul_seconds(args.batch, dtype) for dtype in (torch.float32, torch.bfloat16)},
        args.repeats).items()}
    flops = 2 * args.batch * matmul_weights(models["fp32"][0]) / 1e9
    print(f"\n{cpu_line()}; GPT-2 124M, {args.batch} posts a step, best of {args.repeats}\n")
    print(f"ceiling: {args.batch} x {MLP_IN[0]} by {MLP_IN[0]} x {MLP_IN[1]} alone: fp32 {ceiling[torch.float32]:.0f}, "
          f"bf16 {ceiling[torch.bfloat16]:.0f} GFLOP/s (bf16 {ceiling[torch.bfloat16] / ceiling[torch.float32]:.1f}x)\n")
    print("| variant | ms per decode step | vs fp32 weight-first | GFLOP/s | of its precision's ceiling |\n"
          "|---|---:|---:|---:|---:|")
    for name, seconds in best.items():
        bound = ceiling[torch.bfloat16 if name.startswith("bf16") else torch.float32]
        print(f"| {name} | {seconds * 1000:.1f} | {best['fp32 weight-first'] / seconds:.2f}x | {flops / seconds:.0f} "
              f"| {flops / seconds / bound:.0%} |")


if __name__ == "__main__":
    main()
