"""A fine-tuned transformer classifier: the language model with a sequence-classification head.

The family that leads published results on short generated posts (TweepFake, Fagni et al. 2021: a
fine-tuned RoBERTa around 90% where bag-of-words detectors reach 70-80%). Here the base is the
pipeline's own fine-tuned model (or any model transformers loads): a freshly initialised linear
head reads the last token's hidden state, and the whole network is fine-tuned on the classify
train split to tell real (1) from generated (0). Same seed, same threads: same predictions.

The object follows scikit-learn's estimator interface (``fit``, ``predict_proba``, ``predict``,
``classes_``) over lists of texts, so the detectors score it like the others.
"""
from __future__ import annotations

import logging
import time

import numpy as np
import torch

from elm.errors import ElmError
from elm.labels import GENERATED_LABEL, REAL_LABEL
from elm.models.precision import autocast, autocast_dtype
from elm.models.schedule import BatchOrder, lambda_schedule
from elm.models.transformers.common import device, resolve

logger = logging.getLogger(__name__)

PROGRESS_EVERY_S = 10.0


def load_for_classification(spec: str):
    """Model with a fresh two-class head and its tokenizer, from a local dir, hub id, .gguf or package: spec."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging

    where, extra = resolve(spec)
    verbosity = logging.get_verbosity()
    logging.set_verbosity_error()  # "some weights were newly initialized": the head, as intended
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, **extra)
        model = AutoModelForSequenceClassification.from_pretrained(where, num_labels=2, dtype=torch.float32, **extra)
    except (OSError, ValueError) as err:
        raise ElmError(f"classify.neural.model: cannot load {spec!r} with a classification head: {err}. "
                       "Point it at the fine-tuned model (models/finetuned) or another local model folder, "
                       "or set classify.neural.enabled to false") from None
    finally:
        logging.set_verbosity(verbosity)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.config.pad_token_id = tokenizer.pad_token_id  # the head reads the last non-pad token
    return model, tokenizer


class SequenceClassifier:
    """``max_steps`` AdamW steps of ``batch_size`` posts (each cut to ``max_tokens`` tokens), with fine-tuning's
    schedule (``elm.models.schedule``): warm-up over the first tenth, then cosine decay to a tenth."""

    classes_ = np.array([GENERATED_LABEL, REAL_LABEL])  # head output i scores label classes_[i]

    def __init__(self, model: str, max_steps: int, batch_size: int, learning_rate: float, max_tokens: int,
                 precision: str = "auto", threads: int = 0, seed: int = 0):
        self.spec, self.max_steps, self.batch_size = model, max_steps, batch_size
        self.learning_rate, self.max_tokens, self.precision = learning_rate, max_tokens, precision
        self.threads, self.seed = threads, seed
        self.device = device()
        self.model = self.tokenizer = self.optimizer = self.schedule = None

    def _batch(self, texts: list[str]) -> dict:
        encoded = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_tokens,
                                 return_tensors="pt")
        return {key: value.to(self.device) for key, value in encoded.items() if key in ("input_ids", "attention_mask")}

    def start(self) -> None:
        """Load the model with a fresh head and set up the optimizer: ready for ``train_step``."""
        if self.threads:
            torch.set_num_threads(self.threads)
        torch.manual_seed(self.seed)  # the head's initial weights, dropout, and the batch order in fit
        self.model, self.tokenizer = load_for_classification(self.spec)
        self.tokenizer.padding_side = "right"
        self.model.to(self.device).train()
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=self.learning_rate)
        self.schedule = lambda_schedule(self.optimizer, max(1, self.max_steps // 10), self.max_steps)

    def train_step(self, texts: list[str], labels: torch.Tensor) -> float:
        """One optimizer step on a batch of posts; its loss."""
        dtype = autocast_dtype(self.precision, self.device, "train")
        with autocast(self.device, dtype):
            logits = self.model(**self._batch(texts)).logits
        loss = torch.nn.functional.cross_entropy(logits.float(), labels.to(self.device))
        loss.backward()
        self.optimizer.step()
        self.schedule.step()
        self.optimizer.zero_grad(set_to_none=True)
        return loss.item()

    def fit(self, texts, y) -> SequenceClassifier:
        texts, y = list(texts), torch.tensor(np.array(y, dtype=np.int64))
        self.start()
        order = BatchOrder(len(texts), self.batch_size, self.seed)
        start = last_report = time.monotonic()
        for step in range(self.max_steps):
            rows = order(step).tolist()
            loss = self.train_step([texts[i] for i in rows], y[rows])
            if time.monotonic() - last_report > PROGRESS_EVERY_S or step + 1 == self.max_steps:
                last_report = time.monotonic()
                logger.info(f"classify: neural step {step + 1}/{self.max_steps}, loss {loss:.3f}, "
                            f"{(last_report - start) / (step + 1):.2f} s/step")
        self.model.eval()
        return self

    @torch.inference_mode()
    def predict_proba(self, texts) -> np.ndarray:
        """P(label) per post, columns in the order of ``classes_``."""
        if self.model is None:
            raise RuntimeError("fit the classifier first")
        texts, dtype, parts = list(texts), autocast_dtype(self.precision, self.device, "score"), []
        for begin in range(0, len(texts), self.batch_size):
            with autocast(self.device, dtype):
                logits = self.model(**self._batch(texts[begin:begin + self.batch_size])).logits
            parts.append(torch.softmax(logits.float(), dim=-1).cpu().numpy())
        return np.concatenate(parts) if parts else np.zeros((0, 2))

    def predict(self, texts) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]
