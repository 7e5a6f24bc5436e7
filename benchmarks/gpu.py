"""Elm on one GPU: fine-tuning, generation and likelihood-scoring speed of the transformers backend, one table.

Everything runs through Elm's own code, on GPT-2 shapes with randomly initialised weights (no downloads)
and a word-level vocabulary of GPT-2's size (50,257 entries, one token per word, the last the end token):

- fine-tuning: ``elm.models.transformers.train.fit``, the loop ``dvc repro finetune`` runs (bf16 autocast, fused
  AdamW, TF32, SDPA attention), for GPT-2 124M and 355M, at the study profile's batch
  (profiles/study-gpu.yaml) and at the GPU profile's (profiles/gpu.yaml, halved until it fits), and for
  355M at the GPU profile's batch also with ``finetune.compile`` (compiling takes about a minute).
  Reported: the median tokens/s and step time of the steps after the warm-up ones, the peak GPU memory,
  and MFU: model FLOPs per token (6 x parameters, the tied output layer counted once and position embeddings
  not at all, + 12 x layers x width x seq_len for attention, as nanoGPT counts them) x tokens/s over the
  H200's bf16 dense peak, both as specified (989 TFLOP/s) and as a large bf16 matrix product measured on that
  machine reaches (about 790 TFLOP/s);
- generation: ``elm.models.transformers.generate.TransformersGenerator`` (``generator(prompts, params, seed)``)
  samples 10,000 posts from the 355M shape with the study's settings (generate section of the study profile, batch size from the
  GPU profile), its end token made likely enough that posts end after 23 tokens on average as real posts
  do (``ending_model`` of benchmarks/backends.py); the projected time for the study's 100,000;
- likelihood: ``elm.models.transformers.score.Scorer`` scores those posts (the likelihood stage's encode + features).

    PYTHONPATH=. python benchmarks/gpu.py         # CUDA: sized for at most 8 minutes on one H200 (not yet run there)
    PYTHONPATH=. python benchmarks/gpu.py --tiny  # a 2-layer model on CPU in seconds: the code paths only

(``PYTHONPATH=.``: a bare GPU machine has Elm's source but not ``make setup``'s editable install.)

Imports only torch, transformers, accelerate, numpy, pandas and PyYAML (no dvc, dvclive, peft, ...), so
a bare CUDA machine with PyTorch runs it. Nothing is written inside the project.
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEAKS = {"spec": 989e12, "measured": 790e12}  # H200 bf16 dense: the data sheet; a large bf16 matmul there
SHAPES = {"124M": {"n_layer": 12, "n_head": 12, "n_embd": 768},
          "355M": {"n_layer": 24, "n_head": 16, "n_embd": 1024},
          "tiny": {"n_layer": 2, "n_head": 2, "n_embd": 64}}
STUDY_STEPS, STUDY_POSTS = 10_000, 100_000
MEAN_POST_TOKENS = 23  # real posts of the shared data average 23.4 tokens


# generate.max_new_tokens: 0 (auto) resolves to the longest training post + 10%; on the shared accounts'
# 6,066 clean posts that is 118 SmolLM2 tokens. The benchmark's model ends a post after 23 tokens on average.
AUTO_MAX_NEW_TOKENS = 118


def section(profile: str, name: str) -> dict:
    """params.yaml's section ``name`` with the profile laid over it (profiles are overlays)."""
    from elm import profiles

    return profiles.merged(ROOT / "profiles" / profile, ROOT / "params.yaml")[name]


def log(message: str) -> None:
    print(f"gpu.py: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- models and data


def word_tokenizer(vocab_size: int):
    """A word-level tokenizer of ``vocab_size`` entries: the accounts' prompts, words ``w<i>``, and the end
    token last (as in GPT-2). Every sampled id decodes to one word, so a post's words are its tokens."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from benchmarks.backends import ACCOUNTS
    from elm.models.format import END_TOKEN

    words = [f"{account}:" for account in ACCOUNTS]
    words += [f"w{i}" for i in range(vocab_size - 1 - len(words))] + [END_TOKEN]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token=END_TOKEN))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=END_TOKEN, pad_token=END_TOKEN)


def random_model(shape: dict, vocab_size: int, dev):
    """A randomly initialised GPT-2 of ``shape``, built on ``dev``."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(vocab_size=vocab_size, n_positions=1024, bos_token_id=vocab_size - 1,
                        eos_token_id=vocab_size - 1, **shape)
    with torch.device(dev):
        return GPT2LMHeadModel(config)


def documents(tokenizer, count: int, seed: int) -> list[str]:
    """``count`` training lines ``account: words``, 10-40 words each."""
    import numpy as np

    from benchmarks.backends import ACCOUNTS
    from elm.models.format import format_post

    rng = np.random.default_rng(seed)
    top = len(tokenizer) - 1
    return [format_post(ACCOUNTS[n % len(ACCOUNTS)], " ".join(f"w{i}" for i in rng.integers(0, top - 4, size=k)))
            for n, k in enumerate(rng.integers(10, 41, size=count))]


def flops_per_token(model, seq_len: int) -> float:
    """Training FLOPs per token: 6 x parameters (position embeddings left out; the output layer shares
    the token embedding's weights, counted once) + attention's 12 x layers x width x seq_len."""
    config = model.config
    params = sum(p.numel() for p in model.parameters()) - model.transformer.wpe.weight.numel()
    return 6 * params + 12 * config.n_layer * config.n_embd * seq_len


# ---------------------------------------------------------------- fine-tuning


def finetune_row(shape: str, label: str, batch: int, seq_len: int, compiled: bool, steps: int, args) -> dict:
    """Train ``steps`` steps with Elm's loop; the median of the steps after the warm-up ones."""
    import torch

    from elm.models import precision
    from elm.models.transformers import common as hf_common
    from elm.models.transformers import train as hf_train
    from elm.params.finetune import Finetune
    from elm.params.validation import build

    dev = hf_common.device()
    tokenizer = word_tokenizer(args.vocab_size)
    model = random_model(SHAPES[shape], args.vocab_size, dev)
    per_token = flops_per_token(model, seq_len)
    tokens_needed = batch * seq_len * 2  # two epochs' worth of rows is plenty: batches repeat across epochs
    docs = documents(tokenizer, tokens_needed // 24 + 64, args.seed)
    p = build(Finetune, {**section("gpu.yaml", "finetune"), "max_steps": steps, "batch_size": batch,
                                       "seq_len": seq_len, "grad_accum": 1, "eval_every": 0, "eval_batches": 1,
                                       "checkpoint_every": 0, "compile": compiled, "early_stopping_patience": 0},
                     "benchmark finetune")
    rates = []
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    hf_train.fit(model, tokenizer, docs, docs[:64], p, lambda step, m: rates.append(m["tokens_per_s"]), None,
                precision.autocast_dtype(p.precision, dev, "train"))
    wall = time.perf_counter() - started
    rate = statistics.median(rates[args.warmup_steps:])
    row = {"what": f"fine-tune{' (compiled)' if compiled else ''}", "model": shape, "batch": f"{label} {batch} x {seq_len}",
           "rate": f"{rate:,.0f} tokens/s", "step": f"{batch * seq_len / rate * 1e3:.1f} ms",
           "memory": f"{torch.cuda.max_memory_allocated() / 2**30:.1f} GiB" if dev.type == "cuda" else "-",
           "mfu": (f"{per_token * rate / PEAKS['spec']:.1%} / {per_token * rate / PEAKS['measured']:.1%}"
                   if dev.type == "cuda" else "-")}
    study_tokens = STUDY_STEPS * args.study_batch * args.study_seq_len
    row["note"] = (f"the study's {STUDY_STEPS:,} x {args.study_batch} x {args.study_seq_len} tokens: "
                   f"{study_tokens / rate:.0f} s; {steps} steps took {wall:.0f} s")
    del model
    gc.collect()
    if dev.type == "cuda":
        torch.cuda.empty_cache()
    return row


def fine_tuning(args) -> list[dict]:
    import torch

    rows = []
    for shape in args.shapes:
        for label, batch, seq_len in (("study", args.study_batch, args.study_seq_len),
                                      ("GPU", args.gpu_batch, args.gpu_seq_len)):
            for compiled in (False, True) if shape in args.compile_shapes and label == "GPU" else (False,):
                steps = args.warmup_steps + (args.steps_small if label == "study" else args.steps)
                log(f"fine-tuning {shape} at {batch} x {seq_len}{' compiled' if compiled else ''}")
                while True:
                    try:
                        rows.append(finetune_row(shape, label, batch, seq_len, compiled, steps, args))
                        break
                    except torch.OutOfMemoryError:
                        if batch == 1:
                            raise
                    gc.collect()  # out of the handler: its traceback no longer holds the model
                    torch.cuda.empty_cache()
                    log(f"out of memory at batch {batch}: halving it")
                    batch //= 2
    return rows


# ---------------------------------------------------------------- generation and scoring


def generation_and_scoring(args) -> list[dict]:
    """Sample ``args.posts`` posts with the TransformersGenerator, then score them with the Scorer."""
    import torch

    from benchmarks.backends import ACCOUNTS, ending_model
    from elm.models.format import prompt_for
    from elm.models.transformers import generate as hf_generate
    from elm.models.transformers import score as hf_score
    from elm.params.generate import Generate
    from elm.params.validation import build

    shape = args.shapes[-1]
    settings = build(Generate, {**section("study-gpu.yaml", "generate"),
                                              "batch_size": section("gpu.yaml", "generate")["batch_size"],
                                              "max_new_tokens": AUTO_MAX_NEW_TOKENS},
                            "benchmark generate")
    scoring = section("gpu.yaml", "likelihood")
    rows = []
    with tempfile.TemporaryDirectory(prefix="elm-gpu-") as tmp:
        folder = Path(tmp)
        log(f"building the {shape} model whose posts end after {MEAN_POST_TOKENS} tokens on average")
        torch.manual_seed(args.seed)
        random_model(SHAPES[shape], args.vocab_size, "cpu").save_pretrained(folder / "transformers")
        word_tokenizer(args.vocab_size).save_pretrained(folder / "transformers")
        ending_model(folder, MEAN_POST_TOKENS)
        model_dir = folder / "transformers-ending"

        generator = hf_generate.TransformersGenerator(model_dir)
        accounts = [ACCOUNTS[n % len(ACCOUNTS)] for n in range(args.posts)]
        generator([prompt_for(a) for a in accounts[:settings.batch_size]], settings, args.seed)  # warm-up
        log(f"generating {args.posts:,} posts in batches of {settings.batch_size}")
        sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
        sync()
        started, texts = time.perf_counter(), []
        for start in range(0, args.posts, settings.batch_size):
            prompts = [prompt_for(a) for a in accounts[start:start + settings.batch_size]]
            texts += generator(prompts, settings, args.seed + start)
        sync()
        seconds = time.perf_counter() - started
        ended = [(account, text) for account, text in zip(accounts, texts) if text is not None]
        rate = len(ended) / seconds  # the stage drops a post that has not ended and samples another
        mean_tokens = statistics.mean(len(t.split()) for _, t in ended)
        rows.append({"what": "generate", "model": shape, "batch": f"{settings.batch_size} posts",
                     "rate": f"{rate:,.1f} posts/s", "step": "-", "memory": "-", "mfu": "-",
                     "note": f"{len(ended):,} of {args.posts:,} posts ended in {seconds:.1f} s (mean "
                             f"{mean_tokens:.1f} words, temperature {settings.temperature}, at most "
                             f"{settings.max_new_tokens}); {STUDY_POSTS:,} posts: "
                             f"{STUDY_POSTS / rate / 60:.1f} min"})
        del generator
        gc.collect()

        scorer = hf_score.Scorer(model_dir, "auto")
        encoded = [scorer.encode(prompt_for(a), f" {t}", 128) for a, t in ended]
        encoded.sort(key=lambda e: -len(e[0]))  # as the likelihood stage orders them: batches of like lengths
        log(f"scoring {len(encoded):,} posts in batches of {scoring['batch_size']}")
        scorer.features(encoded[:scoring["batch_size"]])  # warm-up
        sync()
        started = time.perf_counter()
        for start in range(0, len(encoded), scoring["batch_size"]):
            scorer.features(encoded[start:start + scoring["batch_size"]])
        sync()
        seconds = time.perf_counter() - started
        rows.append({"what": "likelihood", "model": shape, "batch": f"{scoring['batch_size']} posts",
                     "rate": f"{len(encoded) / seconds:,.1f} posts/s", "step": "-", "memory": "-", "mfu": "-",
                     "note": f"{len(encoded):,} posts in {seconds:.1f} s; the study's 30,000: "
                             f"{30_000 / (len(encoded) / seconds):.0f} s"})
    return rows


def table(rows: list[dict]) -> str:
    head = ["what", "model", "batch (rows x tokens)", "rate", "step time", "peak memory",
            "MFU (989 / 790 TFLOP/s)", "note"]
    keys = ["what", "model", "batch", "rate", "step", "memory", "mfu", "note"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(row[k]) for k in keys) + " |" for row in rows]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--device", choices=["cuda", "cpu"], default=None,
                        help="cpu hides any GPU from torch (default: cuda where there is one)")
    parser.add_argument("--tiny", action="store_true",
                        help="a 2-layer, 64-wide model, small batches and 24 posts: the code paths in seconds")
    parser.add_argument("--posts", type=int, default=10_000,
                        help="posts to generate and score (default: %(default)s; --tiny: at most 24)")
    parser.add_argument("--no-compile", action="store_true", help="leave out the compiled fine-tuning row")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before torch starts: every code path then runs on the CPU
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("gpu.py: --device cuda, but torch sees no CUDA device")
    study, gpu = section("study-gpu.yaml", "finetune"), section("gpu.yaml", "finetune")
    args.study_batch, args.study_seq_len = study["batch_size"], study["seq_len"]
    args.gpu_batch, args.gpu_seq_len = gpu["batch_size"], gpu["seq_len"]
    args.vocab_size, args.shapes = 50257, ["124M", "355M"]
    args.compile_shapes = [] if args.no_compile else ["355M"]
    args.warmup_steps, args.steps, args.steps_small = 3, 12, 40
    if args.tiny:
        args.vocab_size, args.shapes, args.compile_shapes = 512, ["tiny"], []
        args.study_batch, args.study_seq_len, args.gpu_batch, args.gpu_seq_len = 2, 16, 8, 32
        args.warmup_steps, args.steps, args.steps_small, args.posts = 1, 2, 2, min(args.posts, 24)
        torch.set_num_threads(1)  # a model this small gains nothing from more, and a busy CI machine costs 100x
    started = time.perf_counter()
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else f"CPU ({os.cpu_count()} cores)"
    rows = fine_tuning(args) + generation_and_scoring(args)
    print(f"\n{device}, torch {torch.__version__}; random weights; {time.perf_counter() - started:.0f} s in all\n")
    print(table(rows))


if __name__ == "__main__":
    main()
