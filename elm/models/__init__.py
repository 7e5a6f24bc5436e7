"""Language-model backends behind one small interface, plus what every backend shares.

A backend is a module with two functions:

- ``finetune(train_docs, eval_docs, params, out_dir, on_step) -> dict``: fine-tune ``params.model`` on
  the training documents, calling ``on_step(step, metrics)`` after each step, and save everything needed
  to generate into ``out_dir``; returns summary metrics.
- ``load(model_dir)`` -> a generator: ``generator(prompts, params, seed) -> list[str | None]``, one sampled
  continuation per prompt (the text after the prompt, up to the end of the post; ``None`` where the post
  did not end within ``params.max_new_tokens`` tokens), and ``generator.post_lengths(prompts, lines)``: the
  tokens it would sample to write each line after its prompt.

and may have a third, used by the ``likelihood`` stage:

- ``scorer(model_dir)`` -> a scorer: ``scorer.encode(prefix, text, max_tokens)`` gives a post's token ids and
  the position of its first scored token; ``scorer.features(encoded_batch)`` the model's per-post
  likelihood features (mean token log-prob, mean entropy, rank bucket shares, tokens scored).

A fine-tuned model directory holds the backend's own files and ``elm.json``, the manifest that says which
backend wrote it, so ``generate`` needs no finetune params.
"""
from __future__ import annotations

import importlib
import json
from pathlib import Path

from elm.errors import ElmError

BACKENDS = {"transformers": "elm.models.hf", "gpt2simple": "elm.models.gpt2simple"}
MANIFEST = "elm.json"


def backend(name: str):
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
