"""The ``finetune`` section: the backend, base model and training run (LoRA, scratch model, gpt-2-simple options)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from elm.params.validation import PRECISIONS, bounded

# account_weights: each account's share of the training posts grows as (its posts) ** exponent
# (elm/proportions.py weighted_posts): its own size, its square root, or one share each
ACCOUNT_WEIGHTS = {"proportional": 1.0, "sqrt": 0.5, "balanced": 0.0}


@dataclass(frozen=True)
class Scratch:
    vocab_size: int = bounded(300)
    n_layer: int = bounded(1)
    n_head: int = bounded(1)
    n_embd: int = bounded(8)


@dataclass(frozen=True)
class Lora:
    rank: int = bounded(0)
    alpha: float = bounded(0.0)
    dropout: float = bounded(0.0, 0.9)
    target_modules: list[str]


@dataclass(frozen=True)
class Gpt2Simple:
    only_train_transformer_layers: bool
    use_memory_saving_gradients: bool
    sample_every: int = bounded(0)
    sample_length: int = bounded(1, 1023)


@dataclass(frozen=True)
class Finetune:
    section: ClassVar[str] = "finetune"

    backend: str = bounded(choices=("transformers", "gpt2simple"))
    model: str
    max_steps: int = bounded(1)
    batch_size: int = bounded(1)
    seq_len: int = bounded(8)
    grad_accum: int = bounded(1)
    learning_rate: float = bounded(0.0)
    warmup_steps: int = bounded(0)
    weight_decay: float = bounded(0.0)
    eval_every: int = bounded(0)
    eval_batches: int = bounded(1)
    precision: str = bounded(choices=PRECISIONS)
    compile: bool
    dropout: float | None = bounded(0.0, 0.9)
    threads: int = bounded(0)
    checkpoint_every: int = bounded(0)
    early_stopping_patience: int = bounded(0)
    seed: int
    account_weights: str = bounded(choices=tuple(ACCOUNT_WEIGHTS))
    lora: Lora
    scratch: Scratch
    gpt2simple: Gpt2Simple
