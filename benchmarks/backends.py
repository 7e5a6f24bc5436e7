"""Fine-tune and generation speed of Elm's transformers backend against gpt-2-simple, as a markdown table.

For each model shape (``small``: 4 layers, 256 wide, 8,192 tokens; ``124M``: GPT-2 small's shape), both
backends get the same GPT-2 with random weights and the same byte-level BPE vocabulary (trained on random
SYNTHETIC words), one folder in gpt-2-simple's layout and one in transformers'. Then, in a fresh process per
backend (so one framework's threads never sit beside the other's), through the backend interface Elm's
stages use:

- fine-tune a few steps on SYNTHETIC posts and take the median of the per-step tokens/s the backend
  reports, the first step left out (warm-up). gpt-2-simple always trains on 1024-token windows (batch 1
  here); the transformers backend runs at params.yaml's batch_size x seq_len and at 1 x 1024;
- after a small warm-up batch, generate batches of params.yaml's generate.batch_size posts of
  max_new_tokens tokens from the random model (which rarely ends a post early) until ``--generate-seconds``
  have passed (at least three batches): the median posts/s of a batch;
- for Elm also with posts that end: the same transformers model with its final layer norm's bias
  pointed at the end token, so that it samples the end token with probability 1/``--mean-tokens`` at
  each step (real posts of the shared data average 23 SmolLM2 tokens), as a fine-tuned model ends
  its posts. gpt-2-simple's rate needs no second run: its sampling loop has no stop condition (a
  ``tf.while_loop`` of ``length`` steps whose ``cond`` is always true), so it always samples every
  token and cuts the text at the end token afterwards.

Medians, because on a shared machine another process can take a core at any moment; ``--threads 1``
keeps both frameworks off each other's toes there (2 torch threads beside a busy core run several
times slower than 1).

    nice -n 10 python benchmarks/backends.py --threads 1      # both shapes: about 15 minutes on 2 cores
    nice -n 10 python benchmarks/backends.py --shapes small

Needs the optional gpt2simple install (`make setup-gpt2simple`). Nothing is written inside the project.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
SHAPES = {  # steps: fine-tune steps per run, the first a warm-up (fewer where a step takes long)
    "small": {"n_layer": 4, "n_head": 4, "n_embd": 256, "vocab_size": 8192, "steps": 8},
    "124M": {"n_layer": 12, "n_head": 12, "n_embd": 768, "vocab_size": 50257, "steps": 3},
}
LAYERS = ("n_layer", "n_head", "n_embd")
ACCOUNTS = ("ada", "basil", "cleo", "dune")


def synthetic_words(count: int, rng: np.random.Generator) -> list[str]:
    """Random lowercase 'words' of 2-9 letters: enough distinct pairs for a 50k-token BPE vocabulary."""
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lengths = rng.integers(2, 10, size=count)
    picks = rng.integers(0, len(letters), size=lengths.sum())
    ends = np.cumsum(lengths)
    return ["".join(letters[picks[end - n:end]]) for n, end in zip(lengths, ends)]


def synthetic_posts(words: list[str], count: int) -> list[str]:
    """``count`` training lines `account: twenty words`, as Elm formats posts."""
    from elm.models.format import format_post

    return [format_post(ACCOUNTS[n % len(ACCOUNTS)], " ".join(words[n * 20:(n + 1) * 20])) for n in range(count)]


def build_models(shape: dict, folder: Path, seed: int) -> None:
    """The same random GPT-2 shape for both backends, one vocabulary: ``folder/gpt2simple`` and
    ``folder/transformers``."""
    from elm.models.bpe import train_bpe
    from elm.models.gpt2simple import common as g2s_common
    from elm.models.gpt2simple import train as g2s_train

    words = synthetic_words(400_000, np.random.default_rng(seed))
    tokenizer = train_bpe([" ".join(words[i:i + 20]) for i in range(0, len(words), 20)],
                          shape["vocab_size"])
    if tokenizer.get_vocab_size() != shape["vocab_size"]:
        sys.exit(f"the synthetic corpus gave {tokenizer.get_vocab_size()} tokens, not {shape['vocab_size']}")
    layers = {key: shape[key] for key in LAYERS}
    g2s_train.write_random_checkpoint(folder / "gpt2simple", tokenizer, **layers, seed=seed)

    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    torch.manual_seed(seed)
    end = tokenizer.token_to_id(g2s_common.END)
    config = GPT2Config(vocab_size=shape["vocab_size"], n_positions=g2s_train.WINDOW, **layers,
                        bos_token_id=end, eos_token_id=end)
    GPT2LMHeadModel(config).save_pretrained(folder / "transformers")
    PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token=g2s_common.END, pad_token=g2s_common.END) \
        .save_pretrained(folder / "transformers")
    (folder / "posts.json").write_text(json.dumps(synthetic_posts(words, 600)))


def ending_model(folder: Path, mean_tokens: float) -> None:
    """``folder/transformers`` again as ``folder/transformers-ending``, its final layer norm's bias set to
    ``c * e / |e|^2`` (``e``: the end token's embedding, which is also its output row), which raises the
    end token's logit by ``c`` (other logits move by a little noise). ``c`` makes the end token's
    probability, averaged over the positions of a forward pass at params' temperature, 1 / ``mean_tokens``."""
    import torch
    from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

    temperature = generate_section()["temperature"]
    model = AutoModelForCausalLM.from_pretrained(folder / "transformers").eval()
    end, prompt = model.config.eos_token_id, PreTrainedTokenizerFast.from_pretrained(folder / "transformers")(
        f"{ACCOUNTS[0]}:", add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.no_grad():  # where sampling reads logits: after the prompt, then after each (near random) token
        contexts = torch.cat([prompt.repeat(8, 1), torch.randint(0, model.config.vocab_size, (8, 47))], 1)
        logits = model(contexts).logits[:, prompt.shape[1] - 1:].flatten(0, 1) / temperature
        others = torch.logsumexp(torch.cat([logits[:, :end], logits[:, end + 1:]], 1), 1)
        low, high = -100.0, 100.0  # bisect on c: the end token's mean probability grows with it
        for _ in range(60):
            raise_by = (low + high) / 2
            if torch.sigmoid(logits[:, end] + raise_by / temperature - others).mean() < 1 / mean_tokens:
                low = raise_by
            else:
                high = raise_by
        embedding = model.get_output_embeddings().weight[end]
        model.transformer.ln_f.bias.copy_(raise_by * embedding / embedding.dot(embedding))
    shutil.copytree(folder / "transformers", folder / "transformers-ending")  # the tokenizer's files
    model.save_pretrained(folder / "transformers-ending")


# ---------------------------------------------------------------- one backend, in its own process


def finetune_speed(finetune, model: Path, posts: list[str], batch_size: int, seq_len: int, steps: int,
                   out: Path) -> float:
    """Median tokens/s of the steps after the first, fine-tuning ``model`` through a backend's ``finetune``."""
    from elm.params.finetune import Finetune
    from elm.params.validation import build

    section = yaml.safe_load((ROOT / "params.yaml").read_text())["finetune"]
    section.update(model=str(model), max_steps=steps, batch_size=batch_size, seq_len=seq_len, grad_accum=1,
                   warmup_steps=0, eval_every=0, eval_batches=1, checkpoint_every=0,
                   dropout=0.0)  # equal work: gpt-2-simple's GPT-2 has no dropout (Elm's is ignored there)
    rates = []
    finetune(posts[:-20], posts[-20:], build(Finetune, section, "benchmark"), out,
                     lambda step, metrics: rates.append(metrics["tokens_per_s"]))
    return statistics.median(rates[1:])


AUTO_MAX_NEW_TOKENS = 48
"""max_new_tokens for the benchmark when params say 0 (auto, which the generate stage derives from a corpus)."""


def generate_section() -> dict:
    """params.yaml's generate section: the settings both backends sample with."""
    section = yaml.safe_load((ROOT / "params.yaml").read_text())["generate"]
    return {**section, "max_new_tokens": section["max_new_tokens"] or AUTO_MAX_NEW_TOKENS}


def generation_speed(generator, seconds: float) -> float:
    """Median posts/s of batches ``generator`` (a loaded backend) samples for ``seconds``, after a warm-up batch."""
    from elm.params.generate import Generate
    from elm.params.validation import build

    section = generate_section()
    settings = build(Generate, section, "benchmark")
    generator([f"{ACCOUNTS[0]}:"] * 2, build(Generate, {**section, "max_new_tokens": 4}, "warm-up"), 0)
    rates, start = [], time.perf_counter()
    while len(rates) < 3 or time.perf_counter() - start < seconds:
        batch_start = time.perf_counter()
        generator([f"{ACCOUNTS[len(rates) % len(ACCOUNTS)]}:"] * settings.batch_size, settings, seed=len(rates))
        rates.append(settings.batch_size / (time.perf_counter() - batch_start))
    return statistics.median(rates)


def measure(backend_name: str, folder: Path, steps: int, seconds: float) -> dict:
    """One backend's numbers on the models in ``folder``; run in a process of its own."""
    if backend_name == "gpt2simple":
        from elm.models.gpt2simple.generate import Gpt2SimpleGenerator as generator
        from elm.models.gpt2simple.train import finetune
    else:
        from elm.models.transformers.generate import TransformersGenerator as generator
        from elm.models.transformers.train import finetune
    posts = json.loads((folder / "posts.json").read_text())
    model = folder / backend_name
    if backend_name == "gpt2simple":
        windows = {"1x1024": finetune_speed(finetune, model, posts, 1, 1024, steps, folder / "out-gpt2simple")}
    else:
        defaults = yaml.safe_load((ROOT / "params.yaml").read_text())["finetune"]
        batch, seq_len = defaults["batch_size"], defaults["seq_len"]
        windows = {f"{batch}x{seq_len}": finetune_speed(finetune, model, posts, batch, seq_len, steps,
                                                        folder / "out-default"),
                   "1x1024": finetune_speed(finetune, model, posts, 1, 1024, steps, folder / "out-window")}
    result = {"finetune_tokens_per_s": windows,
              "generate_posts_per_s": generation_speed(generator(model), seconds)}
    if backend_name == "transformers":
        ending = generator(folder / "transformers-ending")
        result["ending"] = {"posts_per_s": generation_speed(ending, seconds), "mean_tokens": mean_tokens_sampled(ending)}
    return result


def mean_tokens_sampled(generator, posts: int = 256) -> float:
    """Mean tokens per post (end token excluded) the transformers ``generator`` samples with params'
    settings: counted on the sampler's token ids, as decoded text would re-tokenize differently."""
    import torch

    from elm.models.transformers import generate as hf_generate
    from elm.params.generate import Generate
    from elm.params.validation import build

    settings = build(Generate, generate_section(), "benchmark")
    batch = generator.tokenizer([f"{ACCOUNTS[0]}:"] * posts, return_tensors="pt", add_special_tokens=False)
    torch.manual_seed(0)
    with torch.inference_mode():
        tokens = hf_generate.decode(generator.model, batch["input_ids"], batch["attention_mask"], generator.stop_ids,
                                 settings.max_new_tokens, settings.temperature, settings.top_k, settings.top_p)
    return statistics.mean(map(len, tokens))


def run_measure(backend: str, folder: Path, steps: int, args) -> dict:
    """``measure`` in a fresh Python process; its log goes to our stderr."""
    result = folder / f"{backend}.json"
    command = [sys.executable, __file__, "--measure", backend, str(folder), "--steps", str(steps),
               "--generate-seconds", str(args.generate_seconds)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if args.threads:  # read by torch (OpenMP) and by TensorFlow when its session is given no thread count
        env.update({name: str(args.threads) for name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                                                          "TF_NUM_INTEROP_THREADS")})
    started = time.perf_counter()
    done = subprocess.run(command, stdout=sys.stderr, env=env)
    if done.returncode != 0:
        sys.exit(f"measuring {backend} in {folder} failed (exit {done.returncode})")
    print(f"{backend} on {folder.name}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return json.loads(result.read_text())


def table(results: dict) -> str:
    lines = ["| model shape | fine-tune tokens/s: gpt-2-simple (1 x 1024) | Elm (default) | Elm (1 x 1024) "
             "| Elm / gpt-2-simple | generate posts/s: gpt-2-simple | Elm | Elm / gpt-2-simple "
             "| Elm, posts that end (mean tokens) | Elm / gpt-2-simple |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for shape, (simple, elm) in results.items():
        base = simple["finetune_tokens_per_s"]["1x1024"]
        default_key = next(key for key in elm["finetune_tokens_per_s"] if key != "1x1024")
        default, window = elm["finetune_tokens_per_s"][default_key], elm["finetune_tokens_per_s"]["1x1024"]
        gen_simple, gen_elm, ending = simple["generate_posts_per_s"], elm["generate_posts_per_s"], elm["ending"]
        lines.append(f"| {shape} | {base:,.0f} | {default:,.0f} ({default_key.replace('x', ' x ')}) | {window:,.0f} "
                     f"| {default / base:.1f}x ({window / base:.1f}x) | {gen_simple:.2f} | {gen_elm:.2f} "
                     f"| {gen_elm / gen_simple:.1f}x | {ending['posts_per_s']:.2f} ({ending['mean_tokens']:.0f}) "
                     f"| {ending['posts_per_s'] / gen_simple:.1f}x |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--shapes", nargs="+", choices=list(SHAPES), default=list(SHAPES))
    parser.add_argument("--steps", type=int, help="fine-tune steps per run, the first one a warm-up "
                                                   "(default: 8 for small, 3 for 124M)")
    parser.add_argument("--generate-seconds", type=float, default=20,
                        help="keep sampling batches this long, at least three (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=0,
                        help="CPU threads for both frameworks (default: their own choice, all cores)")
    parser.add_argument("--mean-tokens", type=float, default=23,
                        help="mean post length, in tokens, of the posts that end (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--measure", nargs=2, metavar=("BACKEND", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:  # the worker process
        backend, folder = args.measure
        result = measure(backend, Path(folder), args.steps, args.generate_seconds)
        (Path(folder) / f"{backend}.json").write_text(json.dumps(result))
        return

    results, load = {}, os.getloadavg()[0]  # other processes' load, before ours starts
    with tempfile.TemporaryDirectory(prefix="elm-backends-") as tmp:
        for shape in args.shapes:
            folder = Path(tmp) / shape
            started = time.perf_counter()
            build_models(SHAPES[shape], folder, args.seed)
            ending_model(folder, args.mean_tokens)
            print(f"{shape}: models built in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
            steps = args.steps or SHAPES[shape]["steps"]
            results[shape] = (run_measure("gpt2simple", folder, steps, args),
                              run_measure("transformers", folder, steps, args))
    settings = generate_section()
    print(f"\n{os.cpu_count()} CPUs, {args.threads or 'default'} threads, load average "
          f"{load:.1f} at the start; random weights; fine-tune: median tokens/s of the steps after the first; "
          f"generate: median posts/s of batches of {settings['batch_size']} posts x {settings['max_new_tokens']} "
          f"tokens\n")
    print(table(results))


if __name__ == "__main__":
    main()
