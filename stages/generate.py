"""Generate posts in each account's voice with the fine-tuned model.

Splits `posts` across the accounts in proportion to their training posts, prompts the model with
`account:` in batches of `batch_size`, and samples with `temperature`, `top_k`, `top_p`, `min_p` and
`typical_p`, each post ending at the end token or a line break. A post that has not ended after
`max_new_tokens` tokens (0: auto, the longest training post's tokens + 10%) is dropped, counted as
`unfinished`, and more are sampled until every account has its share. Batches stream to
data/generated/.posts.<process>.jsonl.partial as they finish, so a rerun after a crash continues where it
stopped (each batch has its own seed, so the result is the same as an uninterrupted run).

Data-parallel over several processes (the same posts as one process): `torchrun --nproc_per_node 2 -m
stages.generate` on CPUs, `accelerate launch --multi_gpu --num_processes N -m stages.generate` on GPUs.

The generated posts then go through the same `clean` rules as the real ones (or a detector would learn
the noise), and posts that copy a training post (exactly, or sharing a run of `copy_ngram` words with
one) are dropped and counted: the copy rate measures memorization. Writes data/generated/posts.jsonl
(account, text, settings), reports/metrics/generate.json (copy_rate, the share of cleaned posts copying a training
post: what `dvc exp show` compares) and reports/generate/breakdown.json (posts_sampled, posts_ended within
max_new_tokens, posts_dropped and posts_kept, posts_sampled - posts_dropped = posts_kept; copy_rate and
copy_rate_exact; posts_per_s; dropped per reason; per account: unfinished and kept posts, their length and endings
next to the training posts').
With generate.rejection.enabled, more posts are sampled (rejection.discriminator_posts + posts x oversample) and
discriminator rejection sampling keeps each account's share of `posts` (elm/rejection.py): a discriminator trained on
the real train posts against posts set apart for it, which are never written out.
Params: the `generate` section (`precision`: auto samples with bf16 weights where the hardware has native
bf16, else in fp32 with weight-first layers; see elm/models/precision.py), and `clean` for the cleaning rules.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import time
from pathlib import Path

import pandas as pd
import torch
from accelerate import PartialState

from elm import cleaning, cli, generation, io, paths, rejection
from elm.errors import ElmError
from elm.labels import TRAIN_SPLIT
from elm.models.interface import Generator
from elm.models.manifest import MANIFEST, check_backend
from elm.params.clean import Clean
from elm.params.generate import Generate
from elm.params.validation import load, read_value

logger = logging.getLogger(__name__)



def load_generator(backend: str, precision: str) -> Generator:
    """The fine-tuned model, ready to sample with ``backend``'s code (only that backend's is imported)."""
    if backend == "gpt2simple":
        from elm.models.gpt2simple.generate import Gpt2SimpleGenerator

        return Gpt2SimpleGenerator(paths.MODEL_DIR)  # TensorFlow samples in fp32: precision does not apply
    from elm.models.transformers.generate import TransformersGenerator

    return TransformersGenerator(paths.MODEL_DIR, precision)


def main(params_path: str = "params.yaml") -> None:
    p = load(Generate, params_path)
    clean_params = load(Clean, params_path)
    posts = io.read_table(paths.CLEAN_POSTS, "clean", required=("account", "text", "split"))
    train = posts[posts["split"] == TRAIN_SPLIT]
    manifest = check_backend(paths.MODEL_DIR, read_value("finetune", "backend", params_path))
    state = PartialState(cpu=not torch.cuda.is_available())  # one of several processes under torchrun

    generator = load_generator(manifest["backend"], p.precision)
    if not p.max_new_tokens:
        p = dataclasses.replace(p, max_new_tokens=generation.auto_max_new_tokens(generator, train))
        if state.is_main_process:
            logger.info(f"generate: max_new_tokens auto: {p.max_new_tokens}")
    settings = {**dataclasses.asdict(p), "model": manifest["base_model"]}
    if p.rejection.enabled:  # more candidates than posts: the discriminator's own, and those DRS will refuse
        extra = p.rejection.discriminator_posts + math.ceil(p.posts * p.rejection.oversample)
        p = dataclasses.replace(p, posts=p.posts + extra)
    # a partial file is resumed only for the same settings and the very same fine-tuned model
    resume_key = {**settings, "model_file_time": Path(paths.MODEL_DIR, MANIFEST).stat().st_mtime_ns}
    started = time.perf_counter()
    rows = generation.generate_posts(generator, train, p, resume_key, paths.GENERATED.parent, state.process_index,
                                   state.num_processes, state.wait_for_everyone)
    seconds = time.perf_counter() - started
    state.wait_for_everyone()  # every process has read the partial files
    if not state.is_main_process:
        return

    raw = pd.DataFrame(rows, columns=["account", "text"])
    ended = raw[raw["text"].notna()]
    cleaned, report = cleaning.clean_posts(ended, clean_params, detect=False)  # see clean_posts on why
    copies = generation.copy_kind(cleaned["text"], train["text"], p.copy_ngram)
    kept = cleaned[copies == ""].reset_index(drop=True)
    if kept.empty:
        raise ElmError("generate: every generated post was dropped by the cleaning rules; train longer "
                       "(finetune.max_steps)")
    rejected = {}
    if p.rejection.enabled:
        r = p.rejection
        kept, rejected = rejection.select(kept, train, settings["posts"], r.discriminator_posts, r.gamma, p.seed)
        kept = kept.reset_index(drop=True)
        logger.info(f"generate: discriminator rejection sampling kept {len(kept)} posts (trained on "
                    f"{rejected['discriminator']}, refused {rejected['rejected']}, {rejected['surplus']} surplus)")
    kept["settings"] = [settings] * len(kept)

    exact, ngram = int((copies == "exact").sum()), int((copies == "ngram").sum())
    dropped = {"unfinished": len(raw) - len(ended), **report["dropped"], "copy_exact": exact,
               f"copy_{p.copy_ngram}gram": ngram, **{f"rejection_{k}": v for k, v in rejected.items()}}
    copy_rate = round((exact + ngram) / max(1, len(cleaned)), 4)
    with io.outputs() as out:  # replaced as a set (elm/io.py)
        out.table(kept[["account", "text", "settings"]], paths.GENERATED)
        out.json({"copy_rate": copy_rate}, paths.GENERATE_METRICS)
        out.json({
            "posts_sampled": len(raw),
            "posts_ended": len(ended),
            "posts_dropped": sum(dropped.values()),
            "posts_kept": len(kept),
            "copy_rate": copy_rate,
            "copy_rate_exact": round(exact / max(1, len(cleaned)), 4),
            "posts_per_s": round(len(raw) / seconds, 3),
            "dropped": dropped,
            "accounts": generation.breakdown(raw, kept, train),
        }, paths.GENERATE_BREAKDOWN)
    generation.remove_partials(paths.GENERATED.parent)
    print(f"generate: kept {len(kept)} of {len(raw)} posts ({len(raw) - len(ended)} that did not end within "
          f"{p.max_new_tokens} tokens, {exact} exact copies of training posts and {ngram} sharing "
          f"{p.copy_ngram} words in a row with one dropped)", flush=True)


if __name__ == "__main__":
    cli.run(main, __doc__)
