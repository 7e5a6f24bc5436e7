"""The gpt2simple backend's fine-tuning (the ``finetune`` stage): the base checkpoint (a named GPT-2 downloaded by
the library, a folder, or a random ``scratch`` GPT-2), the study's training text, ``gpt_2_simple.finetune`` with its
per-step lines read into ``on_step``, the eval loss, and the run folder saved as the model. (Over 300 lines: it is
the backend's whole training job, which dvc.yaml lists as one file, ``elm/models/${finetune.backend}/train.py``.)"""
from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import os
import random
import re
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import requests

from elm import paths
from elm.errors import ElmError
from elm.io import atomic_path
from elm.models.bpe import train_bpe
from elm.models.checkpoint import Checkpoint
from elm.models.gpt2simple.common import END, gpt2, gpt2_encoder, gpt2_model, tf

logger = logging.getLogger(__name__)

WINDOW = 1024  # tokens in every training window gpt_2_simple draws (fixed in the library)
DOWNLOAD_URL = "https://openaipublic.blob.core.windows.net/gpt-2/models"  # the host download_gpt2 reads
STEP_LINE = re.compile(r"\[(\d+) \| ([\d.]+)\] loss=(\S+) avg=")
SAVE_LINE = re.compile(r"Saving .*model-(\d+)$")


# ---------------------------------------------------------------- base checkpoints


def write_random_checkpoint(folder: Path, tokenizer, n_layer: int, n_head: int, n_embd: int, seed: int = 0) -> Path:
    """A randomly initialised GPT-2 in gpt-2-simple's layout: ``encoder.json`` and ``vocab.bpe`` from
    ``tokenizer``, ``hparams.json`` (``n_ctx`` 1024, as the library's training needs) and a TF checkpoint."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    bpe = json.loads(tokenizer.to_str())["model"]
    (folder / "encoder.json").write_text(json.dumps(bpe["vocab"], ensure_ascii=False), encoding="utf-8")
    merges = [pair if isinstance(pair, str) else " ".join(pair) for pair in bpe["merges"]]
    (folder / "vocab.bpe").write_text("#version: 0.2\n" + "".join(f"{m}\n" for m in merges), encoding="utf-8")
    shape = {"n_vocab": len(bpe["vocab"]), "n_ctx": WINDOW, "n_embd": n_embd, "n_head": n_head, "n_layer": n_layer}
    (folder / "hparams.json").write_text(json.dumps(shape, indent=2) + "\n")
    with tf.Graph().as_default():
        tf.compat.v1.set_random_seed(seed)
        gpt2_model.model(hparams(folder), tf.compat.v1.placeholder(tf.int32, [None, None]))
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            tf.compat.v1.train.Saver(save_relative_paths=True).save(sess, str(folder / "model.ckpt"))
    return folder


def hparams(folder: Path):
    """The model shape in ``folder/hparams.json``, as the library's model code takes it."""
    shape = gpt2_model.default_hparams()
    shape.override_from_dict(json.loads((Path(folder) / "hparams.json").read_text()))
    return shape


def check_checkpoint(folder: Path) -> Path:
    """``folder`` if it holds a GPT-2 checkpoint the library can fine-tune, else an ElmError saying what is wrong."""
    missing = [name for name in ("encoder.json", "vocab.bpe", "hparams.json") if not (folder / name).is_file()]
    if missing or tf.train.latest_checkpoint(str(folder)) is None:
        raise ElmError(f"finetune.model: {folder} is not a gpt-2-simple model folder (missing: "
                       f"{', '.join(missing) or 'a TensorFlow checkpoint'}); it needs encoder.json, vocab.bpe, "
                       f"hparams.json, `checkpoint` and model.ckpt.* as download_gpt2 writes them")
    shape = hparams(folder)
    if shape.n_ctx < WINDOW:
        raise ElmError(f"{folder / 'hparams.json'}: n_ctx is {shape.n_ctx}, but gpt-2-simple trains on "
                       f"{WINDOW}-token windows; use a model with n_ctx {WINDOW}")
    vocabulary = len(json.loads((folder / "encoder.json").read_text(encoding="utf-8")))
    if vocabulary != shape.n_vocab:
        raise ElmError(f"{folder}: encoder.json has {vocabulary} tokens but hparams.json says n_vocab "
                       f"{shape.n_vocab}; they must match (every id the model emits needs its token)")
    return folder


def download(name: str) -> Path:
    """``models/base/<name>``, downloaded by ``gpt_2_simple.download_gpt2`` unless already there."""
    folder = paths.BASE_MODELS / name
    if gpt2.is_gpt2_downloaded(str(paths.BASE_MODELS), name):
        return folder
    fix = (f"where there is internet run `python -c \"import gpt_2_simple as g; "
           f"g.download_gpt2(model_name='{name}')\"`, copy the folder models/{name} it writes to {folder} here "
           f"(or anywhere, and set finetune.model to its path)")
    try:  # the library's own requests have no timeout: a dropped connection would hang the stage
        requests.head(f"{DOWNLOAD_URL}/{name}/hparams.json", timeout=30).raise_for_status()
        logger.info(f"finetune: downloading GPT-2 {name} into {folder}")
        with atomic_path(folder, directory=True) as tmp:
            gpt2.download_gpt2(model_dir=str(tmp.parent), model_name=tmp.name)
    except (requests.RequestException, KeyError) as err:
        raise ElmError(f"finetune.model: cannot download GPT-2 {name} ({type(err).__name__}: {err}); {fix}") from None
    return folder


def base_checkpoint(spec: str, scratch, train_docs: list[str], work: Path, seed: int) -> Path:
    """The folder of the model to fine-tune, for ``finetune.model``."""
    if spec == "scratch":
        folder = work / "scratch"
        if not (folder / "checkpoint").exists():  # kept for a resumed run
            tokenizer = train_bpe(training_lines(train_docs), scratch.vocab_size)
            write_random_checkpoint(folder, tokenizer, scratch.n_layer, scratch.n_head, scratch.n_embd, seed)
        return folder
    if Path(spec).is_dir():
        return check_checkpoint(Path(spec))
    if re.fullmatch(r"\d+M", spec):
        return check_checkpoint(download(spec))
    raise ElmError(f"finetune.model: {spec!r} is neither a gpt-2-simple model name (124M, 355M, 774M, 1558M), "
                   f"nor a folder, nor `scratch`; backend gpt2simple reads only gpt-2-simple checkpoints "
                   f"(hub ids and .gguf files are for backend transformers)")


# ---------------------------------------------------------------- data


def training_lines(docs: list[str]) -> list[str]:
    """Each document followed by an end-token line: the study's training text, one string per document. A
    document's own line breaks stay: a post ends at the end token, never at a line break."""
    return [f"{doc}\n{END}\n" for doc in docs]


def encode(enc, docs: list[str], limit: int) -> list[int]:
    """Token ids of the documents' training text, as the library encodes it; stops once ``limit`` are in."""
    ids: list[int] = []
    for line in training_lines(docs):
        ids += enc.encode(line)
        if len(ids) >= limit:
            break
    return ids


def check_options(params) -> None:
    if params.gpt2simple.use_memory_saving_gradients:
        raise ElmError("finetune.gpt2simple.use_memory_saving_gradients: gpt-2-simple implements it for "
                       "TensorFlow 1 only (on TensorFlow 2 it exits); set it to false")


# ---------------------------------------------------------------- training


class TrainingLog(io.TextIOBase):
    """Stands in for stdout while ``gpt_2_simple.finetune`` runs: its per-step line ``[step | seconds]
    loss=... avg=...`` becomes an ``on_step`` call (the last step's is kept back, for the eval loss to
    join it); ``Saving .../model-N`` becomes ``on_saved(N)`` once the next step shows the save finished;
    ``interrupted`` (the library catches Ctrl-C, saves and returns) is remembered; every other line is
    passed on."""

    def __init__(self, on_step, on_saved, tokens_per_step: int, learning_rate: float, last_step: int, echo):
        self.on_step, self.on_saved, self.echo = on_step, on_saved, echo
        self.tokens_per_step, self.learning_rate, self.last_step = tokens_per_step, learning_rate, last_step
        self.buffer, self.seconds, self.tokens, self.saved = "", 0.0, 0, None
        self.final: dict = {}
        self.interrupted = False

    def write(self, text: str) -> int:
        self.buffer += text
        *lines, self.buffer = self.buffer.split("\n")
        for line in lines:
            self.read_line(line)
        return len(text)

    def read_line(self, line: str) -> None:
        step, save = STEP_LINE.match(line), SAVE_LINE.match(line)
        if step:
            self.saves_done()
            number, seconds, loss = int(step[1]), float(step[2]), float(step[3])
            metrics = {"train/loss": loss, "learning_rate": self.learning_rate,
                       "tokens_per_s": self.tokens_per_step / max(seconds - self.seconds, 1e-3)}
            self.seconds, self.tokens = seconds, self.tokens + self.tokens_per_step
            if number == self.last_step:
                self.final = metrics
            else:
                self.on_step(number, metrics)
        elif save:
            self.saved = int(save[1])
        else:
            self.interrupted |= line == "interrupted"
            print(line, file=self.echo, flush=True)

    def saves_done(self) -> None:
        if self.saved is not None:
            self.on_saved(self.saved)
            self.saved = None


def resume_step(checkpoint: Checkpoint | None, run: Path) -> int:
    """The step a killed run of these very params saved (0: start afresh): the checkpoint's marker
    names it, and the run folder must still hold that step's checkpoint."""
    step = checkpoint.step() if checkpoint else 0
    counter = run / "counter"
    return step if step and counter.exists() and int(counter.read_text()) == step else 0


@contextlib.contextmanager
def session(threads: int = 0):
    """A TensorFlow session on a graph of its own (``threads`` 0: TensorFlow's default)."""
    with tf.Graph().as_default():
        sess = gpt2.start_tf_sess(threads=threads or -1)
        try:
            yield sess
        finally:
            sess.close()


@contextlib.contextmanager
def run_folder(checkpoint: Checkpoint | None):
    """Where the library keeps its run while training: in the checkpoint's folder (so a killed run can
    resume), or a temporary folder."""
    if checkpoint is None:
        with tempfile.TemporaryDirectory(prefix="elm-gpt2simple-") as tmp:
            yield Path(tmp)
    else:
        folder = checkpoint.folder / "gpt2simple"
        folder.mkdir(parents=True, exist_ok=True)
        yield folder


def finetune(train_docs: list[str], eval_docs: list[str], params, out_dir: Path, on_step,
             checkpoint: Checkpoint | None = None) -> dict:
    """This backend's ``Trainer`` (``elm.models.interface``): ``gpt_2_simple.finetune``, then the run folder
    saved into ``out_dir``.

    ``on_step(step, metrics)`` gets train loss, learning rate and tokens/s for every step, and the last
    step also the eval loss and perplexity. Each ``checkpoint_every`` steps the library saves its run and
    the checkpoint's marker records the step; a later call with the same checkpoint fingerprint resumes.
    """
    check_options(params)
    print("finetune: gpt2simple trains on 1024-token windows with Adam at a constant learning rate; seq_len, "
          "warmup_steps, weight_decay, precision, compile, dropout, eval_every, early_stopping_patience and lora do not apply",
          flush=True)
    with run_folder(checkpoint) as work:
        run = (work / "run").resolve()
        done = resume_step(checkpoint, run)
        if done:
            logger.info(f"finetune: resuming from the checkpoint of step {done}")
        else:  # another run's leftovers
            shutil.rmtree(work)
            work.mkdir(parents=True)
        base = base_checkpoint(params.model, params.scratch, train_docs, work, params.seed)
        enc = gpt2_encoder.get_encoder(str(base))
        tokens = len(encode(enc, train_docs, WINDOW + 1))
        if tokens <= WINDOW:
            raise ElmError(f"finetune: the training posts hold {tokens} tokens; "
                           f"gpt-2-simple needs more than {WINDOW} (one training window): add posts or accounts")
        dataset = work / "train.txt"
        dataset.write_text("".join(training_lines(train_docs)), encoding="utf-8")

        tokens_per_step = params.batch_size * params.grad_accum * WINDOW
        training = TrainingLog(on_step, checkpoint.mark if checkpoint else lambda step: None,
                          tokens_per_step, params.learning_rate, params.max_steps, sys.stdout)
        if done < params.max_steps:
            train(params, base, dataset, run, done, training)
        training.saves_done()
        if training.interrupted:
            raise KeyboardInterrupt  # the stage then leaves its outputs as they were; the saved step resumes

        eval_ids = encode(enc, eval_docs or train_docs, params.eval_batches * params.batch_size * WINDOW)
        loss = eval_loss(run, eval_ids, params.batch_size)
        metrics = {**training.final, "eval/loss": loss, "eval/perplexity": math.exp(min(loss, 50))}
        on_step(params.max_steps, metrics)
        save_run(run, out_dir)
    return {
        "eval_loss": loss,
        "eval_perplexity": metrics["eval/perplexity"],
        "train_loss": metrics.get("train/loss", float("nan")),
        "tokens_per_s": training.tokens / training.seconds if training.seconds else float("nan"),
        "train_seconds": training.seconds,
        "parameters": count_parameters(out_dir),
    }


def train(params, base: Path, dataset: Path, run: Path, done: int, training: TrainingLog) -> None:
    """``gpt_2_simple.finetune`` from step ``done`` (0: from ``base``) to ``max_steps``, its stdout read by ``training``."""
    opts = params.gpt2simple
    never = params.max_steps + 1  # the library takes `every` 0 as a division by zero
    random.seed(params.seed * 100_003 + done)  # the library's window sampler
    np.random.seed(params.seed)
    with session(params.threads) as sess, contextlib.redirect_stdout(training):
        tf.compat.v1.set_random_seed(params.seed)
        gpt2.finetune(
            sess, dataset=str(dataset), steps=params.max_steps - done, model_name=base.name, model_dir=str(base.parent),
            batch_size=params.batch_size, learning_rate=params.learning_rate,
            accumulate_gradients=params.grad_accum, restore_from="latest" if done else "fresh",
            # an absolute run name puts the checkpoints, and the library's samples/ (else relative to the
            # current directory), into the run folder
            run_name=str(run), checkpoint_dir=str(run.parent),
            sample_every=opts.sample_every or never, sample_length=opts.sample_length,
            save_every=params.checkpoint_every or never, print_every=1, max_checkpoints=1,
            use_memory_saving_gradients=opts.use_memory_saving_gradients,
            only_train_transformer_layers=opts.only_train_transformer_layers)


def save_run(run: Path, out_dir: Path) -> None:
    """The run folder's model files into ``out_dir`` (linked where possible), the ``checkpoint`` index
    rewritten with relative paths so the folder loads from wherever DVC puts it. TensorBoard logs stay."""
    latest = Path(tf.train.latest_checkpoint(str(run))).name
    for path in run.rglob("*"):
        if path.is_dir() or path.name.startswith("events.out.tfevents") or path.name == "checkpoint":
            continue
        target = Path(out_dir) / path.relative_to(run)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
    (Path(out_dir) / "checkpoint").write_text(
        f'model_checkpoint_path: "{latest}"\nall_model_checkpoint_paths: "{latest}"\n')


def count_parameters(folder: Path) -> int:
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(folder)))
    return int(sum(np.prod(shape) for name, shape in reader.get_variable_to_shape_map().items()
                   if name.startswith("model/")))


def eval_loss(folder: Path, ids: list[int], batch_size: int) -> float:
    """Mean next-token loss of the model in ``folder`` over ``ids``, cut into windows of up to 1024 tokens."""
    windows = [ids[start:start + WINDOW] for start in range(0, len(ids), WINDOW)]
    windows = [w for w in windows if len(w) > 1]
    if not windows:
        raise ElmError("finetune: too little text to measure the eval loss on (fewer than 2 tokens)")
    with session() as sess:
        tokens = tf.compat.v1.placeholder(tf.int32, [None, None])
        logits = gpt2_model.model(hparams(folder), tokens)["logits"]
        losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tokens[:, 1:], logits=logits[:, :-1])
        tf.compat.v1.train.Saver().restore(sess, tf.train.latest_checkpoint(str(folder)))
        total, count = 0.0, 0
        for same_length in (windows[:-1], windows[-1:]):  # full windows batched; the shorter last one alone
            for start in range(0, len(same_length), batch_size):
                batch = np.array(same_length[start:start + batch_size])
                total += float(sess.run(losses, {tokens: batch}).sum())
                count += batch.shape[0] * (batch.shape[1] - 1)
    return total / count
