"""Fine-tune a causal language model on the clean posts, one voice per account.

Reads data/clean/posts.parquet and turns each post into a training line `account: text` (so the model
learns which voice goes with which account), packs the lines into sequences of `seq_len` tokens, and
trains for `max_steps` optimizer steps with AdamW, warm-up then cosine decay, and bf16 autocast where the
hardware runs it natively. Loss on the held-out `eval` split is measured every `eval_every` steps.
Every `checkpoint_every` steps the whole training state is saved to models/.checkpoints/ (not a DVC
output, so it survives a crash): rerunning after a kill continues from the last checkpoint, and
gives the same model an uninterrupted run would have.

Data-parallel over several processes: `torchrun --nproc_per_node 2 -m stages.finetune` on CPUs,
`accelerate launch --multi_gpu --num_processes N -m stages.finetune` on GPUs.

Writes models/finetuned/ (the model and tokenizer in the backend's own format, plus elm.json naming the
backend) and reports/train/ (DVCLive: loss, eval loss, learning rate and tokens/s per step, drawn by
`dvc plots show`; metrics.json holds the last step's values and the final eval loss, perplexity,
tokens/s and seconds). Params: the `finetune` section.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging

import torch
from accelerate import PartialState
from dvclive import Live
from tqdm import tqdm

from elm import cli, io, paths
from elm.errors import ElmError
from elm.labels import EVAL_SPLIT
from elm.models.checkpoint import Checkpoint
from elm.models.format import format_post
from elm.models.interface import Trainer
from elm.models.manifest import write_manifest
from elm.params.finetune import ACCOUNT_WEIGHTS, Finetune
from elm.params.validation import load
from elm.proportions import weighted_posts

logger = logging.getLogger(__name__)

# The final numbers metrics.json holds (the eval loss of the weights kept, early stopping or not), and the
# facts of the backend's summary that describe the model, which its elm.json holds.
HEADLINE = ("eval_loss", "eval_perplexity", "tokens_per_s", "train_seconds")
MODEL_FACTS = ("steps", "train_rows", "parameters", "trainable_parameters")


def documents(posts, account_weights: str = "proportional", seed: int = 0) -> tuple[list[str], list[str]]:
    """Training and eval lines (`account: text`) from the clean posts; the training posts re-drawn by
    ``account_weights`` (elm/proportions.py: small accounts repeat under sqrt and balanced)."""
    held = posts[posts["split"] == EVAL_SPLIT]
    train = weighted_posts(posts[posts["split"] != EVAL_SPLIT], ACCOUNT_WEIGHTS[account_weights], seed)
    if train.empty:
        raise ElmError(f"{paths.CLEAN_POSTS}: no training posts; check `dvc repro clean` output and clean.eval_fraction")
    return ([format_post(a, t) for a, t in zip(train["account"], train["text"])],
            [format_post(a, t) for a, t in zip(held["account"], held["text"])])


def fingerprint(p, train: list[str], held: list[str]) -> str:
    """What makes a checkpoint this run's: the params and the exact training and eval lines."""
    digest = hashlib.sha256(json.dumps(dataclasses.asdict(p), sort_keys=True).encode())
    for line in train + ["\0"] + held:
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def trim_curves(last_step: int) -> None:
    """Drop the curve rows a killed run logged after its last checkpoint (they are redone)."""
    for tsv in paths.TRAIN_CURVES.rglob("*.tsv"):
        header, *rows = tsv.read_text().splitlines()
        step_column = header.split("\t").index("step")
        kept = [r for r in rows if int(r.split("\t")[step_column]) < last_step]
        with io.atomic_path(tsv) as tmp:
            tmp.write_text("\n".join([header, *kept]) + "\n")


def trainer(backend: str) -> Trainer:
    """The fine-tuning of ``finetune.backend``; only that backend's code is imported (and listed in dvc.yaml)."""
    if backend == "gpt2simple":
        from elm.models.gpt2simple.train import finetune
    else:
        from elm.models.transformers.train import finetune
    return finetune


def main(params_path: str = "params.yaml") -> None:
    p = load(Finetune, params_path)
    train, held = documents(io.read_table(paths.CLEAN_POSTS, "clean", required=("account", "text", "split")),
                            p.account_weights, p.seed)
    finetune = trainer(p.backend)
    checkpoint = Checkpoint(paths.CHECKPOINT, fingerprint(p, train, held))
    # another process of a data-parallel run trains but reports nothing: the first one reports
    if not PartialState(cpu=not torch.cuda.is_available()).is_main_process:
        finetune(train, held, p, None, lambda step, metrics: None, checkpoint)
        return
    logger.info(f"finetune: {p.model} on {len(train)} posts ({len(held)} held out), {p.max_steps} steps")
    resume_from = checkpoint.step()
    if resume_from:  # keep the killed run's curves up to its checkpoint; otherwise DVCLive starts afresh
        trim_curves(resume_from)

    with Live(dir=paths.TRAIN_LOG, save_dvc_exp=False, dvcyaml=None, report=None, resume=bool(resume_from)) as live, \
            tqdm(total=p.max_steps, desc="finetune", unit="step") as bar:
        def on_step(step: int, metrics: dict) -> None:
            live.step = step - 1  # steps count from 0 in DVCLive
            for name, value in metrics.items():
                live.log_metric(name, value)
            bar.n = step
            bar.set_postfix({k: f"{v:.3g}" for k, v in metrics.items() if "loss" in k})

        with io.atomic_path(paths.MODEL_DIR, directory=True) as out:
            summary = finetune(train, held, p, out, on_step, checkpoint)
            facts = {name: summary[name] for name in MODEL_FACTS if name in summary}
            write_manifest(out, backend=p.backend, base_model=p.model, **{"steps": p.max_steps, **facts})
        for name in HEADLINE:  # beside DVCLive's last-step values: what a run is compared by
            live.log_metric(f"final/{name}", summary[name], plot=False)
    checkpoint.clear()  # the transformers state, or gpt2simple's run folder
    print(f"finetune: eval loss {summary['eval_loss']:.3f} (perplexity {summary['eval_perplexity']:.1f}), "
          f"{summary['tokens_per_s']:.0f} tokens/s", flush=True)


if __name__ == "__main__":
    cli.run(main, __doc__)
