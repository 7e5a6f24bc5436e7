"""Language-model backends behind one small interface, plus what every backend shares.

A backend is a module with two functions:

- ``finetune(train_docs, eval_docs, params, out_dir, on_step) -> dict``: fine-tune ``params.model`` on
  the training documents, calling ``on_step(step, metrics)`` after each step, and save everything needed
  to generate into ``out_dir``; returns summary metrics.
- ``load(model_dir, precision)`` -> a generator (``precision``: auto, bf16 or fp32, see ``precision.py``): ``generator(prompts, params, seed) -> list[str]``, one sampled
  continuation per prompt (the text after the prompt, up to the end of the post).

and may have a third, used by the ``likelihood`` stage:

- ``scorer(model_dir, precision)`` -> a scorer (``precision``: auto, bf16 or fp32, see ``precision.py``): ``scorer.encode(prefix, text, max_tokens)`` gives a post's token ids and
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


def write_manifest(model_dir: Path, **fields) -> None:
    (Path(model_dir) / MANIFEST).write_text(json.dumps(fields, indent=2, sort_keys=True) + "\n")


def read_manifest(model_dir: Path | str) -> dict:
    path = Path(model_dir) / MANIFEST
    if not path.exists():
        raise ElmError(f"{path}: not found; {model_dir} is not a model Elm fine-tuned (run `dvc repro finetune` or `dvc pull models/finetuned`)")
    return json.loads(path.read_text())
