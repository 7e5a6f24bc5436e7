"""The transformers backend's scoring (the ``likelihood`` stage): how likely a model finds each token of a post,
how uncertain it was, where the true token ranked among its predictions, and Fast-DetectGPT's conditional
probability curvature (``elm.models.curvature``) with the model as its own sampler. The model is the fine-tuned
generator (white-box) or any model ``finetune.model`` can name, e.g. the base model it was tuned from (a
surrogate for black-box detection)."""
from __future__ import annotations

from pathlib import Path

import torch

from elm.models.curvature import curvature
from elm.models.precision import autocast, autocast_dtype
from elm.models.transformers.common import device, load_pretrained

# GLTR's rank buckets: the true token was the model's top 1, in its top 10, 100, 1000, or below.
RANK_BUCKETS = (1, 10, 100, 1000)


class Scorer:
    """This backend's ``Scorer`` (``elm.models.interface``), a fine-tuned model ready to score posts: ``encode``
    each post, then ``features`` of a batch of them.

    Each post is scored as the model saw it in training: the end token (which precedes every packed
    post), then ``prefix + text``; only the tokens of ``text`` count (at most ``max_tokens`` of them),
    each predicted from everything before it. Batches are right-padded with an attention mask, so a
    post's scores do not depend on the batch it is in.
    """

    def __init__(self, model: Path | str, precision: str = "fp32"):
        """``model``: a fine-tuned model folder, or anything ``finetune.model`` accepts (``common.resolve``)."""
        self.device = device()
        self.dtype = autocast_dtype(precision, self.device, "score")
        self.model, self.tokenizer = load_pretrained(str(model))
        self.model.to(self.device).eval()
        self.context = getattr(self.model.config, "max_position_embeddings", None) or 1024

    def encode(self, prefix: str, text: str, max_tokens: int) -> tuple[list[int], int]:
        """Token ids of one post and the position of its first scored token."""
        if self.tokenizer.is_fast:
            encoded = self.tokenizer(prefix + text, add_special_tokens=False, return_offsets_mapping=True)
            ids = encoded["input_ids"]
            # the first token that starts inside ``text`` (one straddling the boundary belongs to the prefix)
            first = next((i for i, (start, _) in enumerate(encoded["offset_mapping"]) if start >= len(prefix)),
                         len(ids))
        else:  # slow tokenizers have no offsets: the prefix's own tokens, where they begin the post's
            ids = self.tokenizer(prefix + text, add_special_tokens=False)["input_ids"]
            own = self.tokenizer(prefix, add_special_tokens=False)["input_ids"]
            first = len(own) if ids[:len(own)] == own else 0
        ids = [self.tokenizer.eos_token_id] + ids
        end = min(first + 1 + max_tokens, len(ids), self.context)
        return ids[:end], min(first + 1, end)

    @torch.inference_mode()
    def features(self, batch: list[tuple[list[int], int]]) -> list[dict]:
        """Mean log-prob, mean entropy, rank bucket shares, curvature and token count of each encoded post."""
        width = max(len(ids) for ids, _ in batch)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
        input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (ids, _) in enumerate(batch):
            input_ids[row, :len(ids)] = torch.tensor(ids)
            mask[row, :len(ids)] = 1
        with autocast(self.device, self.dtype):
            logits = self.model(input_ids=input_ids.to(self.device), attention_mask=mask.to(self.device)).logits.float()
        results = []
        for row, (ids, first) in enumerate(batch):
            targets = torch.tensor(ids[first:], device=self.device)
            if len(targets) == 0:
                results.append({"tokens": 0, "mean_logprob": 0.0, "mean_entropy": 0.0,
                                **{name: 0.0 for name in rank_bucket_names()}, "curvature": 0.0})
                continue
            predicted = logits[row, first - 1:len(ids) - 1]  # position t predicts token t + 1
            logprobs = torch.log_softmax(predicted, dim=-1)
            true = logprobs.gather(1, targets[:, None])[:, 0]
            entropy = -(logprobs.exp() * logprobs).sum(-1)
            rank = (logprobs > true[:, None]).sum(-1)  # 0: the model's top choice
            shares, lower = {}, 0
            for name, upper in zip(rank_bucket_names(), (*RANK_BUCKETS, None)):
                inside = rank >= lower if upper is None else (rank >= lower) & (rank < upper)
                shares[name] = inside.float().mean().item()
                lower = upper
            counted = torch.ones(1, len(targets), dtype=torch.bool, device=self.device)
            results.append({"tokens": len(targets), "mean_logprob": true.mean().item(),
                            "mean_entropy": entropy.mean().item(), **shares,
                            "curvature": curvature(predicted[None], targets[None], counted).item()})
        return results


def rank_bucket_names() -> list[str]:
    """rank_1, rank_2_10, rank_11_100, rank_101_1000, rank_over_1000: the shares of a post's tokens whose
    rank among the model's predictions (1: its top choice) falls in each bucket; they sum to 1."""
    bounds = (0, *RANK_BUCKETS)
    names = [f"rank_{lo + 1}" if hi == lo + 1 else f"rank_{lo + 1}_{hi}" for lo, hi in zip(bounds, bounds[1:])]
    return names + [f"rank_over_{RANK_BUCKETS[-1]}"]
