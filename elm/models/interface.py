"""The small typed interface every language-model backend implements, one protocol per job, each in the backend's
module for that job (``elm/models/<backend>/train.py``, ``generate.py``, ``score.py``):

- ``Trainer``: fine-tune a base model and save it (the ``finetune`` stage);
- ``Generator``: sample posts from a fine-tuned model (the ``generate`` stage);
- ``Scorer``: every post's token-level likelihood features (the ``likelihood`` stage; the transformers backend only).

A fine-tuned model folder holds the backend's own files and ``elm.json`` (``elm.models.manifest``), which says
which backend wrote it. A stage imports only the module of the backend in use, so dvc.yaml lists that backend's
code through ``${finetune.backend}``.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol

from elm.errors import ElmError

if TYPE_CHECKING:  # for the annotation only: generation never loads the training code
    from elm.models.checkpoint import Checkpoint


class Trainer(Protocol):
    def __call__(self, train_docs: list[str], eval_docs: list[str], params, out_dir: Path | None,
                 on_step: Callable[[int, dict], None], checkpoint: Checkpoint | None = None) -> dict:
        """Fine-tune ``params.model`` (the finetune section) on the training documents and save everything
        needed to generate into ``out_dir`` (``None`` in the non-first processes of a data-parallel run,
        which train but save nothing). ``on_step(step, metrics)`` is called after each optimizer step
        (train loss, learning rate, tokens/s; eval loss and perplexity when measured). With a
        ``checkpoint``, the training state is saved there every ``params.checkpoint_every`` steps and a
        killed run resumes from it. Returns summary metrics (eval_loss, eval_perplexity, train_loss,
        tokens_per_s, train_seconds, parameters, ...)."""


class Generator(Protocol):
    def __call__(self, prompts: list[str], params, seed: int) -> list[str | None]:
        """One sampled continuation per prompt (the text after the prompt, up to the end of the post; ``None``
        where the post did not end within ``params.max_new_tokens`` tokens), with ``params`` generate's
        section; the same seed gives the same posts."""

    def post_lengths(self, prompts: list[str], lines: list[str]) -> list[int]:
        """The tokens the model would sample to write each line after its prompt (the end token excluded)."""


class Scorer(Protocol):
    def encode(self, prefix: str, text: str, max_tokens: int) -> tuple[list[int], int]:
        """A post's token ids (``prefix`` + ``text``, after the end token) and the position of its first scored
        token (the first of ``text``; at most ``max_tokens`` are scored)."""

    def features(self, batch: list[tuple[list[int], int]]) -> list[dict]:
        """Per encoded post: the mean token log-prob, mean entropy, rank bucket shares and tokens scored."""


def check_max_new_tokens(params) -> None:
    """A generator samples a given number of tokens; 0 (auto) is for the generate stage to resolve."""
    if params.max_new_tokens < 1:
        raise ElmError(f"max_new_tokens {params.max_new_tokens}: a generator needs a number of tokens; 0 (auto) is "
                       f"resolved from the training posts by the generate stage (elm.generation.auto_max_new_tokens)")
