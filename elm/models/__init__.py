"""Language-model backends behind one typed interface (``Backend``), plus what every backend shares.

A backend is a module (``BACKENDS`` names them) with the functions ``Backend`` lists: ``finetune`` to
train and save a model, ``load`` to sample posts from it, and optionally ``scorer``, which the
``likelihood`` stage uses. A fine-tuned model directory holds the backend's own files and ``elm.json``,
the manifest that says which backend wrote it, so ``generate`` needs no finetune params.
"""
from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Callable, Protocol

from elm.errors import ElmError
from elm.models.checkpoint import Checkpoint

BACKENDS = {"transformers": "elm.models.hf", "gpt2simple": "elm.models.gpt2simple"}
MANIFEST = "elm.json"
END_TOKEN = "<|endoftext|>"  # GPT-2's end of document, also the end token of every BPE vocabulary trained here


class Generator(Protocol):
    def __call__(self, prompts: list[str], params, seed: int) -> list[str | None]:
        """One sampled continuation per prompt (the text after the prompt, up to the end of the post; ``None``
        where the post did not end within ``params.max_new_tokens`` tokens), with ``params`` generate's
        section; the same seed gives the same posts."""

    def post_lengths(self, prompts: list[str], lines: list[str]) -> list[int]:
        """The tokens the model would sample to write each line after its prompt (the end token excluded)."""


class Backend(Protocol):
    def finetune(self, train_docs: list[str], eval_docs: list[str], params, out_dir: Path | None,
                 on_step: Callable[[int, dict], None], checkpoint: Checkpoint | None = None) -> dict:
        """Fine-tune ``params.model`` (the finetune section) on the training documents and save everything
        needed to generate into ``out_dir`` (``None`` in the non-first processes of a data-parallel run,
        which train but save nothing). ``on_step(step, metrics)`` is called after each optimizer step
        (train loss, learning rate, tokens/s; eval loss and perplexity when measured). With a
        ``checkpoint``, the training state is saved there every ``params.checkpoint_every`` steps and a
        killed run resumes from it. Returns summary metrics (eval_loss, eval_perplexity, train_loss,
        tokens_per_s, train_seconds, parameters, ...)."""

    def load(self, model_dir: Path | str, precision: str = "auto") -> Generator:
        """The fine-tuned model in ``model_dir``, ready to sample posts (``precision``: auto, bf16 or fp32,
        see ``elm.models.precision``; a backend may ignore it, saying so)."""

    # optional, for the likelihood stage: ``scorer(model_dir, precision)`` -> an object whose ``encode(prefix, text,
    # max_tokens)`` gives a post's token ids and the position of its first scored token, and whose
    # ``features(encoded_batch)`` gives per post the mean token log-prob, mean entropy, rank bucket
    # shares and tokens scored


def backend(name: str) -> Backend:
    """The backend module called ``name`` in params (``finetune.backend``)."""
    if name not in BACKENDS:
        raise ElmError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}")
    return importlib.import_module(BACKENDS[name])


def format_post(account: str, text: str) -> str:
    """The training line for one post: the account conditions the model on a voice."""
    return f"{account}: {text}"


def prompt_for(account: str) -> str:
    """The generation prompt that asks for a post in ``account``'s voice."""
    return f"{account}:"


def train_bpe(texts: list[str], vocab_size: int):
    """A GPT-2-style byte-level BPE (a ``tokenizers.Tokenizer``) trained on ``texts``, with ``END_TOKEN``
    as its only special token: the vocabulary of a ``scratch`` model, in either backend."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=[END_TOKEN], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False))
    return bpe


def check_max_new_tokens(params) -> None:
    """A generator samples a given number of tokens; 0 (auto) is for the generate stage to resolve."""
    if params.max_new_tokens < 1:
        raise ElmError(f"max_new_tokens {params.max_new_tokens}: a generator needs a number of tokens; 0 (auto) is "
                       f"resolved from the training posts by the generate stage (elm.generation.auto_max_new_tokens)")


def write_manifest(model_dir: Path, **fields) -> None:
    (Path(model_dir) / MANIFEST).write_text(json.dumps(fields, indent=2, sort_keys=True) + "\n")


def read_manifest(model_dir: Path | str) -> dict:
    path = Path(model_dir) / MANIFEST
    if not path.exists():
        raise ElmError(f"{path}: not found; {model_dir} is not a model Elm fine-tuned (run `dvc repro finetune` or `dvc pull models/finetuned`)")
    return json.loads(path.read_text())
