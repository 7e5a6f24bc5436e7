"""The transformers backend's generation (the ``generate`` stage): ``TransformersGenerator`` samples posts from a
fine-tuned model with ``decode``, its own batched sampler, in bf16 weights or, on CPUs in fp32, with weight-first
linear layers (``weight_first``).

``decode`` samples with a KV cache and drops a sequence from the batch once it ends: ``transformers``' ``generate``
keeps a finished sequence in the batch (feeding it padding) until the batch's longest one ends, and posts vary a
lot in length. Sampled tokens and each row's end stay on the device; the host looks at them every ``check_every``
steps (to drop ended rows, and stop when none is left): every step on a CPU, where a look is free (the tokens are
then exactly those of looking at each token), every 8 on a GPU, where it costs a synchronisation and an ended row
rides along until the next look. A static KV cache and CUDA graphs would need the fixed batch shape that dropping
rows gives up; they are not used.

``weight_first`` multiplies ``y^T = W x^T`` in slices of output rows: a decode step multiplies a few dozen rows of
activations by each large weight matrix, and with the weight as the left operand the product splits across cores
by weight rows, a slice's weights and outputs staying in cache (same numbers up to rounding; speeds in
benchmarks/README.md, ``benchmarks/linear_layers.py``). Training and scoring multiply hundreds of rows at once
and keep the usual layers.
"""
from __future__ import annotations

from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, DynamicCache
from transformers.generation.logits_process import (
    LogitsProcessorList,
    MinPLogitsWarper,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
    TypicalLogitsWarper,
)
from transformers.pytorch_utils import Conv1D

from elm.models.interface import check_max_new_tokens
from elm.models.precision import autocast_dtype
from elm.models.transformers.common import device


class TransformersGenerator:
    """This backend's ``Generator`` (``elm.models.interface``): a fine-tuned model ready to sample posts,
    ``generator(prompts, params, seed) -> texts``, ``None`` for a post that did not end within
    ``params.max_new_tokens`` tokens."""

    def __init__(self, model_dir: Path | str, precision: str = "auto"):
        self.device = device()
        self.dtype = autocast_dtype(precision, self.device, "sample")
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.tokenizer.padding_side = "left"  # prompts end where generation starts
        self.model = AutoModelForCausalLM.from_pretrained(model_dir).to(self.device).eval()
        if self.dtype is not None:
            # bf16 weights, not autocast: autocast casts every fp32 weight again at each decode step, which costs
            # most of what bf16 saves (benchmarks/decode_step.py; its table is in benchmarks/README.md)
            self.model.to(self.dtype)
        elif self.device.type == "cpu":
            weight_first(self.model)
        # a post ends at the end token only: line breaks are part of a post (a poem keeps its lines)
        self.stop_ids = [self.tokenizer.eos_token_id]

    @torch.inference_mode()
    def __call__(self, prompts: list[str], params, seed: int) -> list[str | None]:
        check_max_new_tokens(params)
        torch.manual_seed(seed)
        # each prompt follows the end token, as every post the model trained on did (train.pack) and as each
        # post is scored (score.Scorer.encode); a prompt at the very start reads like a training row cut mid-post
        encoded = self.tokenizer(prompts, add_special_tokens=False)["input_ids"]
        ids = [[self.tokenizer.eos_token_id] + row for row in encoded]
        batch = self.tokenizer.pad({"input_ids": ids}, return_tensors="pt").to(self.device)
        new_tokens = decode(self.model, batch["input_ids"], batch["attention_mask"], self.stop_ids,
                                     params.max_new_tokens, params.temperature, params.top_k, params.top_p,
                                     params.min_p, params.typical_p)
        texts = self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        return [text.strip() if ended(tokens, params.max_new_tokens) else None
                for text, tokens in zip(texts, new_tokens)]

    def post_lengths(self, prompts: list[str], lines: list[str]) -> list[int]:
        """Tokens the model samples to write each training line after its prompt, the end token excluded."""
        ids = self.tokenizer(lines + prompts, add_special_tokens=False)["input_ids"]
        return [len(line) - len(prompt) for line, prompt in zip(ids[:len(lines)], ids[len(lines):])]


# ---------------------------------------------------------------- decode


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
def decode(model, input_ids: torch.Tensor, attention_mask: torch.Tensor, stop_ids: list[int],
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
    """Whether a row :func:`decode` returned ended with a stop token (rather than at the limit)."""
    return len(new_tokens) < max_new_tokens


# ---------------------------------------------------------------- weight-first layers


class WeightFirstLinear(torch.nn.Module):
    """``x W^T + b`` for inference (under ``torch.inference_mode``: slices are written in place) from
    ``weight`` (out_features x in_features, as ``torch.nn.Linear`` holds it) and an optional ``bias``."""

    def __init__(self, weight: torch.nn.Parameter, bias: torch.nn.Parameter | None, rows: int = 2048):
        super().__init__()
        self.weight, self.bias, self.rows = weight, bias, rows

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, x.shape[-1]).t()
        out = x.new_empty(len(self.weight), flat.shape[1])  # out_features x positions
        for start in range(0, len(out), self.rows):
            torch.mm(self.weight[start:start + self.rows], flat, out=out[start:start + self.rows])
        if self.bias is not None:
            out += self.bias[:, None]
        return out.t().reshape(*x.shape[:-1], -1).contiguous()


def weight_first(model: torch.nn.Module) -> None:
    """Swap every ``torch.nn.Linear`` (weights shared, not copied: a tied output layer stays tied) and
    GPT-2's ``Conv1D`` (in x out weights, stored transposed once) in ``model`` for a ``WeightFirstLinear``."""
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is torch.nn.Linear:
                setattr(parent, name, WeightFirstLinear(child.weight, child.bias))
            elif type(child) is Conv1D:
                weight = torch.nn.Parameter(child.weight.detach().t().contiguous(), requires_grad=False)
                setattr(parent, name, WeightFirstLinear(weight, child.bias))
