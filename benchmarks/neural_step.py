"""Time the neural detector's training steps: what `classify.neural` costs per step on this machine.

Fine-tunes the default model (params.yaml's finetune.model; --model for another) with a
classification head on batches of synthetic demo posts, as classify.neural does, and prints each
step's width in tokens, process CPU seconds and wall seconds. CPU seconds at --threads 1 stay
meaningful on a busy machine, where wall times do not.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from elm.detect import neural
from elm.models import precision
from elm.params.finetune import Finetune
from elm.params.scrape import DemoSource
from elm.params.validation import load
from elm.sources import demo

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--model", default=load(Finetune, ROOT / "params.yaml").model)
    parser.add_argument("--precision", default="auto", choices=("auto", "bf16", "fp32"))
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    posts = demo.read("ada_sails", DemoSource(posts_per_account=args.steps * args.batch_size, seed=7))
    texts, labels = posts["text"].tolist(), torch.arange(len(posts)) % 2
    classifier = neural.SequenceClassifier(args.model, args.steps, args.batch_size, learning_rate=5e-5,
                                           max_tokens=args.max_tokens, precision=args.precision,
                                           threads=args.threads)
    classifier.start()
    dtype = precision.autocast_dtype(args.precision, classifier.device)
    print(f"{args.model}, {args.precision} ({dtype or 'fp32'}), {args.threads} thread(s), {args.batch_size} posts a step")
    for step in range(args.steps):
        rows = slice(step * args.batch_size, (step + 1) * args.batch_size)
        width = classifier.tokenizer(texts[rows], padding=True, truncation=True, max_length=args.max_tokens,
                                     return_tensors="pt")["input_ids"].shape[1]
        cpu, wall = time.process_time(), time.perf_counter()
        classifier.train_step(texts[rows], labels[rows])
        print(f"step {step + 1}: {width} tokens wide, CPU {time.process_time() - cpu:.1f} s, "
              f"wall {time.perf_counter() - wall:.1f} s", flush=True)


if __name__ == "__main__":
    main()
