"""The ``classify`` section: the train / test split and each detector's settings."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from elm.params.validation import PRECISIONS, bounded


@dataclass(frozen=True)
class NaiveBayes:
    alpha: float = bounded(0.0)


@dataclass(frozen=True)
class RandomForest:
    cv: int = bounded(2)
    grid: dict


@dataclass(frozen=True)
class CharLogreg:
    C: float = bounded(1e-6)
    max_features: int = bounded(1)


@dataclass(frozen=True)
class LmLikelihood:
    enabled: bool
    C: float = bounded(1e-6)


@dataclass(frozen=True)
class Neural:
    enabled: bool
    model: str
    max_steps: int = bounded(1)
    batch_size: int = bounded(1)
    learning_rate: float = bounded(0.0)
    max_tokens: int = bounded(1)
    precision: str = bounded(choices=PRECISIONS)
    threads: int = bounded(0)


@dataclass(frozen=True)
class Classify:
    section: ClassVar[str] = "classify"

    input: str
    test_size: float = bounded(0.05, 0.95)
    seed: int
    max_features: int = bounded(1)
    ngram_max: int = bounded(1, 5)
    stop_words: str | None = bounded(choices=("english",))
    naive_bayes: NaiveBayes
    random_forest: RandomForest
    char_logreg: CharLogreg
    lm_likelihood: LmLikelihood
    neural: Neural
