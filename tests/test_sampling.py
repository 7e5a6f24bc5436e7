"""The sampler on a tiny random GPT-2: outputs frozen from the first version, warpers, and what ends a post."""
from __future__ import annotations

import json
from pathlib import Path

import torch
from transformers import GPT2Config, GPT2LMHeadModel

from elm.models import sampling

REFERENCE = Path(__file__).with_name("data") / "sampler_reference.json"
STOPS = [0, 7, 13]  # ~5% of a 64-token vocabulary: rows end at different steps, some run to the limit
# (temperature, top_k, top_p): greedy, plain, top-k, nucleus
FROZEN_CASES = [(0.0, 0, 1.0), (0.8, 0, 1.0), (1.0, 5, 1.0), (0.9, 0, 0.9)]


def tiny_model():
    """A 2-layer GPT-2 with random weights: the same weights on every run of the same torch."""
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=64, n_positions=128, n_embd=32, n_layer=2, n_head=2,
                        bos_token_id=0, eos_token_id=0)
    return GPT2LMHeadModel(config).eval()


def left_padded_prompts():
    """Six prompts of 1 to 4 tokens, left-padded with token 1 as a tokenizer would."""
    prompts = [[5], [9, 22], [30, 31, 32], [40, 2, 3, 4], [11], [60, 61]]
    width = max(map(len, prompts))
    ids = torch.tensor([[1] * (width - len(p)) + p for p in prompts])
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    return ids, mask


def frozen_outputs(model) -> dict:
    ids, mask = left_padded_prompts()
    outputs = {}
    for temperature, top_k, top_p in FROZEN_CASES:
        torch.manual_seed(1234)
        outputs[f"t{temperature}_k{top_k}_p{top_p}"] = sampling.sample(
            model, ids, mask, STOPS, 30, temperature, top_k, top_p)
    return outputs


def test_outputs_equal_the_frozen_reference_of_the_first_sampler():
    """Recorded from the sampler before it kept tokens on the device (one host sync a step, rows
    dropped the moment they ended): the same seed must still give the very same tokens on CPU."""
    expected = json.loads(REFERENCE.read_text())
    assert frozen_outputs(tiny_model()) == expected
    lengths = [len(row) for rows in expected.values() for row in rows]
    assert min(lengths) < 30 and max(lengths) == 30, "the reference should hold rows that end and rows that run on"
