"""One decode step of GPT-2 124M (random weights) on CPU in each way Elm could run it.

A batch of ``--batch`` posts, each with an 8-token prompt already in the KV cache, steps one token at a
time through ``--steps`` steps (greedy, so every variant does the same work); printed: the best
milliseconds per step of ``--repeats`` runs, the variants alternating order each repeat:

- fp32: the model as transformers builds it;
- fp32 weight-first: every linear layer as ``elm.models.weight_first`` runs it (generate's fp32 path);
- bf16 autocast: the fp32 model under ``torch.autocast`` (each weight cast to bf16 at every step);
- bf16 weights: the model's weights in bf16 (generate's bf16 path).

    python benchmarks/decode_step.py                    # about 2 minutes on 2 cores
    python benchmarks/decode_step.py --threads 1 --batch 8
"""
from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import torch
from transformers import GPT2Config, GPT2LMHeadModel

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from elm.models import weight_first  # noqa: E402
from best_of import best_of, cpu_line  # noqa: E402  (benchmarks/ is this script's folder)


def variants() -> dict[str, tuple[torch.nn.Module, torch.dtype | None]]:
    """name -> (model, autocast dtype or None)."""
    torch.manual_seed(0)
    plain = GPT2LMHeadModel(GPT2Config(n_layer=12, n_embd=768, n_head=12, vocab_size=50257)).eval()
    first = copy.deepcopy(plain)
    weight_first.convert(first)
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
    print(f"\n{cpu_line()}; GPT-2 124M, {args.batch} posts a step, best of {args.repeats}\n")
    print("| variant | ms per decode step | vs fp32 weight-first |\n|---|---:|---:|")
    for name, seconds in best.items():
        print(f"| {name} | {seconds * 1000:.1f} | {best['fp32 weight-first'] / seconds:.2f}x |")


if __name__ == "__main__":
    main()
