"""Sampling and scoring speed of the default model in fp32 (weight-first layers) and in bf16.

bf16 is what the stages run: sampling with the model's weights in bf16, scoring under bf16 autocast.

What ``precision: auto`` should choose for ``generate`` and ``likelihood`` on this CPU
(elm/models/precision.py). The default model (params.yaml's finetune.model, SmolLM2-135M-Instruct
from its GGUF) is saved once as plain weights in a temp folder; then, through the stages' own code
(``TransformersGenerator`` and ``Scorer`` of elm/models/transformers/):

- generate: batches of params.yaml's generate.batch_size posts (prompts ``<account>:``, the default
  run's temperature and max_new_tokens); the pretrained model ends its posts itself, so this is the
  real mix of lengths. Each repeat runs both precisions, alternating which goes first;
- score: the posts the fp32 run generated, in likelihood.batch_size batches.

Prints a markdown table: per precision, posts/s of each repeat's best (fastest) batch, median over
repeats; the ratio bf16 / fp32; the CPU model and its bf16 flags.

    python benchmarks/precision.py                 # about 5 minutes on 2 cores
    python benchmarks/precision.py --repeats 5 --threads 1

Nothing is written inside the project.
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from elm.models import precision
from elm.models.format import prompt_for
from elm.models.transformers import common as hf_common
from elm.models.transformers import generate as hf_generate
from elm.models.transformers import score as hf_score
from elm.params.finetune import Finetune
from elm.params.generate import Generate
from elm.params.likelihood import Likelihood
from elm.params.validation import load

from best_of import cpu_line  # benchmarks/: this script's folder

ROOT = Path(__file__).resolve().parents[1]

ACCOUNTS = ("ada_sails", "basil_bakes", "coach_cleo", "dr_dune")


def save_default_model(folder: Path) -> Path:
    model, tokenizer = hf_common.load_pretrained(load(Finetune, ROOT / "params.yaml").model)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def generation_rate(generator, settings, prompts: list[str], seed: int) -> tuple[float, list[str]]:
    start = time.perf_counter()
    texts = generator(prompts, settings, seed)
    return len(prompts) / (time.perf_counter() - start), texts


def scoring_rate(scorer, texts: list[str], batch_size: int) -> float:
    encoded = [scorer.encode(prompt_for(ACCOUNTS[i % len(ACCOUNTS)]), " " + text, 128) for i, text in enumerate(texts)]
    start = time.perf_counter()
    for first in range(0, len(encoded), batch_size):
        scorer.features(encoded[first:first + batch_size])
    return len(encoded) / (time.perf_counter() - start)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repeats of each measurement (default: %(default)s)")
    parser.add_argument("--batches", type=int, default=2, help="generation batches per repeat and precision")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    # max_new_tokens 0 (auto) is the generate stage's to resolve from the corpus; 64 tokens ends most posts
    base = dataclasses.replace(load(Generate, ROOT / "params.yaml"), max_new_tokens=64)
    batch_size = load(Likelihood, ROOT / "params.yaml").batch_size
    prompts = [prompt_for(ACCOUNTS[i % len(ACCOUNTS)]) for i in range(base.batch_size)]
    choices = ("fp32", "bf16")
    with tempfile.TemporaryDirectory() as tmp:
        folder = save_default_model(Path(tmp))
        generators = {p: hf_generate.TransformersGenerator(folder, p) for p in choices}
        scorers = {p: hf_score.Scorer(folder, p) for p in choices}
        generated, scored = {p: [] for p in choices}, {p: [] for p in choices}
        texts: list[str] = []
        for p in choices:  # warm-up
            generators[p](prompts[:4], dataclasses.replace(base, precision=p, max_new_tokens=4), 0)
        for repeat in range(args.repeats):
            for p in (choices if repeat % 2 == 0 else choices[::-1]):
                settings = dataclasses.replace(base, precision=p)
                rates = []
                for batch in range(args.batches):
                    rate, batch_texts = generation_rate(generators[p], settings, prompts, 1000 * repeat + batch)
                    rates.append(rate)
                    if p == "fp32" and repeat == 0:
                        texts += [t for t in batch_texts if t]  # None: a post that did not end
                generated[p].append(max(rates))
                print(f"repeat {repeat + 1}: generate {p}: {max(rates):.2f} posts/s", file=sys.stderr, flush=True)
            for p in (choices if repeat % 2 == 0 else choices[::-1]):
                scored[p].append(scoring_rate(scorers[p], texts, batch_size))
                print(f"repeat {repeat + 1}: score {p}: {scored[p][-1]:.1f} posts/s", file=sys.stderr, flush=True)
    print(f"\n{cpu_line()}. "
          f"SmolLM2-135M, generate {base.batch_size} posts a batch (temperature {base.temperature}, "
          f"max {base.max_new_tokens} new tokens), score {len(texts)} posts in batches of {batch_size}; "
          f"median over {args.repeats} repeats.\n")
    print("| work | fp32 (weight-first layers) posts/s | bf16 posts/s | bf16 / fp32 | auto picks here |")
    print("|---|---:|---:|---:|---|")
    for work, rates, kind in (("generate", generated, "sample"), ("likelihood", scored, "score")):
        fp32, bf16 = statistics.median(rates["fp32"]), statistics.median(rates["bf16"])
        picked = "bf16" if precision.auto_is_bf16(kind, torch.device("cpu")) else "fp32"
        print(f"| {work} | {fp32:.2f} | {bf16:.2f} | {bf16 / fp32:.2f}x | {picked} |")


if __name__ == "__main__":
    main()
