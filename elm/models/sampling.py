"""Batched sampling with a KV cache that drops sequences from the batch once they end.

``transformers``' ``generate`` keeps a finished sequence in the batch (feeding it padding) until the
batch's longest one ends; posts vary a lot in length, so here a row that samples a stop token leaves the
batch, and the KV cache keeps only the rows still going: forward passes do work for live posts only.

Sampled tokens and each row's end stay on the device; the host looks at them only every ``check_every``
steps (to drop ended rows, and stop when none is left) and once at the end. On a GPU a look costs a
synchronisation, so it happens every 8 steps and an ended row rides along (its tokens ignored) until
the next look; on a CPU a look is free, so it happens every step and the tokens are exactly those of
the first version of this sampler, which looked at every token on the host.

A static KV cache and CUDA graphs would need a fixed batch shape, which is what dropping rows gives up
in exchange for never computing a finished post again; they are not used.
"""
from __future__ import annotations

import torch
from transformers import DynamicCache
from transformers.generation.logits_process import (LogitsProcessorList, MinPLogitsWarper, TemperatureLogitsWarper,
                                                    TopKLogitsWarper, TopPLogitsWarper, TypicalLogitsWarper)

GPU_CHECK_EVERY = 8


def warpers(temperature: float, top_k: int, top_p: float, min_p: float = 0.0,
            typical_p: float = 1.0) -> LogitsProcessorList:
    """Temperature, then top-k (0: off), nucleus top-p (1.0: off), min-p (0: off) and typical
    sampling (1.0: off), in the order transformers' ``generate`` applies them."""
    steps = LogitsProcessorList([TemperatureLogitsWarper(temperature)])
    if top_k > 0:
        steps.append(TopKLogitsWarper(top_k))
    if top_p < 1.0:
        steps.append(TopPLogitsWarper(top_p))
    if min_p > 0.0:
        steps.append(MinPLogitsWarper(min_p))
    if typical_p < 1.0:
        steps.append(TypicalLogitsWarper(typical_p))
    return steps


def draw(probs: torch.Tensor) -> torch.Tensor:
    """One token per row of ``probs`` (rows sum to 1), by inverse transform sampling: one uniform number
    per row against the row's cumulative sum. ``torch.multinomial`` draws an exponential number for
    every vocabulary entry instead, and took 30% of a small model's sampling time on CPU. A token of
    probability 0 is never drawn (its cumulative sum equals its predecessor's)."""
    cumulative = probs.cumsum(-1)
    uniform = torch.rand(len(probs), 1, device=probs.device, dtype=cumulative.dtype) * cumulative[:, -1:]
    return torch.searchsorted(cumulative, uniform, right=True).squeeze(1).clamp_(max=probs.shape[-1] - 1)


@torch.inference_mode()
def sample(model, input_ids: torch.Tensor, attention_mask: torch.Tensor, stop_ids: list[int],
           max_new_tokens: int, temperature: float, top_k: int, top_p: float, min_p: float = 0.0,
           typical_p: float = 1.0, check_every: int | None = None) -> list[list[int]]:
    """New token ids for each left-padded prompt row, stop token excluded; ``temperature`` 0: greedy.

    A row that ended holds fewer than ``max_new_tokens`` tokens; one of exactly ``max_new_tokens`` did not
    end (see :func:`ended`). ``check_every``: steps between looks on the host (default: 1 on CPU, 8 on GPU).
    """
    dev = input_ids.device
    check_every = check_every or (1 if dev.type == "cpu" else GPU_CHECK_EVERY)
    tokens = torch.zeros(len(input_ids), max_new_tokens, dtype=torch.long, device=dev)
    lengths = torch.full((len(input_ids),), max_new_tokens, device=dev)  # per prompt: tokens before its stop
    rows = torch.arange(len(input_ids), device=dev)  # which prompt each row of the running batch belongs to
    length = lengths.clone()  # per running row; max_new_tokens while it has not ended
    stops = torch.tensor(stop_ids, device=dev)
    warp = warpers(temperature, top_k, top_p, min_p, typical_p) if temperature > 0 else None
    positions = (attention_mask.cumsum(-1) - 1).clamp(min=0)  # left padding: count real tokens only
    cache = DynamicCache()
    logits = model(input_ids=input_ids, attention_mask=attention_mask, position_ids=positions,
                   past_key_values=cache, use_cache=True, logits_to_keep=1).logits[:, -1, :].float()
    for step in range(max_new_tokens):
        if warp is None:
            chosen = logits.argmax(-1)
        else:
            chosen = draw(torch.softmax(warp(None, logits), -1))
        tokens[rows, step] = chosen
        length = torch.where(torch.isin(chosen, stops) & (length == max_new_tokens), step, length)
        last = step + 1 == max_new_tokens
        if last or (step + 1) % check_every == 0:
            lengths[rows] = length
            keep = (length == max_new_tokens).nonzero().squeeze(1)  # the host looks: rows still going
            if last or len(keep) == 0:
                break
            if len(keep) < len(rows):  # drop ended rows from everything the next pass reads
                cache.batch_select_indices(keep)
                rows, chosen, length = rows[keep], chosen[keep], length[keep]
                attention_mask, positions = attention_mask[keep], positions[keep]
        attention_mask = torch.cat([attention_mask, attention_mask.new_ones(len(rows), 1)], dim=1)
        positions = positions[:, -1:] + 1
        logits = model(input_ids=chosen[:, None], attention_mask=attention_mask, position_ids=positions,
                       past_key_values=cache, use_cache=True, logits_to_keep=1).logits[:, -1, :].float()
    return [row[:n] for row, n in zip(tokens.tolist(), lengths.tolist())]


def ended(new_tokens: list[int], max_new_tokens: int) -> bool:
    """Whether a row :func:`sample` returned ended with a stop token (rather than at the limit)."""
    return len(new_tokens) < max_new_tokens
