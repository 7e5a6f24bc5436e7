"""Decode-step linear layers as transformers runs them against weight first (``elm.models.weight_first``).

GPT-2 124M's shape, random weights. Per thread count, in a fresh process each:

- each kind of linear layer on a decode step's 32 rows (a batch of 32 posts, one token each): the
  median milliseconds of ``--repeats`` calls as ``transformers`` runs it (``Conv1D``: ``addmm``; the
  output layer: ``torch.nn.Linear``) and as a ``WeightFirstLinear``;
- a whole sampling run through ``elm.models.sampling.sample``, 32 posts x 48 tokens at
  temperature 0.8: the median of 2 runs (after a warm-up) each way, in seconds; the same seed must
  give the same tokens both ways.

    nice -n 10 python benchmarks/linear_layers.py                # 1 and 2 threads: about 3 minutes
    nice -n 10 python benchmarks/linear_layers.py --threads 1 4
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POSTS, TOKENS = 32, 48
SAMPLING = f"whole sampling run, {POSTS} posts x {TOKENS} tokens (s)"


def median_seconds(call, repeats: int) -> float:
    call()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def layers(model) -> dict:
    block = model.transformer.h[0]
    return {"attention in (768 -> 2,304)": block.attn.c_attn, "attention out (768 -> 768)": block.attn.c_proj,
            "MLP in (768 -> 3,072)": block.mlp.c_fc, "MLP out (3,072 -> 768)": block.mlp.c_proj,
            "output layer (768 -> 50,257)": model.lm_head}


def time_layers(model, repeats: int) -> dict:
    """Median ms of each layer on a decode step's input: ``POSTS`` rows of its input width."""
    import torch

    timings = {}
    for name, layer in layers(model).items():
        x = torch.randn(POSTS, int(name.split("(")[1].split(" ")[0].replace(",", "")))
        timings[name] = median_seconds(lambda layer=layer, x=x: layer(x), repeats) * 1000
    return timings


def measure(threads: int, repeats: int) -> dict:
    """{row: [usual, weight first]} at ``threads`` torch threads."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from elm.models.transformers import generate as hf_generate

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(n_layer=12, n_head=12, n_embd=768)).eval()
    prompts = torch.randint(0, model.config.vocab_size, (POSTS, 3))

    def sample_run():
        torch.manual_seed(1)
        return hf_generate.decode(model, prompts, torch.ones_like(prompts), [model.config.eos_token_id], TOKENS,
                               0.8, 0, 1.0)

    with torch.inference_mode():
        usual, tokens = time_layers(model, repeats), sample_run()
        usual[SAMPLING] = median_seconds(sample_run, 2)
        hf_generate.weight_first(model)
        first = time_layers(model, repeats)
        if sample_run() != tokens:
            sys.exit("the weight-first layers sampled other tokens from the same seed")
        first[SAMPLING] = median_seconds(sample_run, 2)
    return {name: [usual[name], first[name]] for name in usual}


def table(results: dict) -> str:
    lines = ["| threads | GPT-2 124M, 32 rows | as transformers runs it (ms) | weight first (ms) | speed-up |",
             "|---:|---|---:|---:|---:|"]
    for threads, rows in results.items():
        for name, (usual, first) in rows.items():
            lines.append(f"| {threads} | {name} | {usual:.2f} | {first:.2f} | {usual / first:.2f}x |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="torch thread counts (default: 1 2)")
    parser.add_argument("--repeats", type=int, default=50, help="timed calls per layer (default: %(default)s)")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)  # the worker process: one thread count
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.repeats)))
        return
    results = {}
    for threads in args.threads:
        done = subprocess.run([sys.executable, __file__, "--measure", str(threads), "--repeats", str(args.repeats)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"measuring at {threads} threads failed:\n{done.stderr}")
        results[threads] = json.loads(done.stdout)
    print(table(results))


if __name__ == "__main__":
    main()
