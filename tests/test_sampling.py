"""The sampler on a tiny random GPT-2: outputs frozen from the first version, warpers, and what ends a post."""
from __future__ import annotations

import json
from pathlib import Path

import torch
from transformers import GPT2Config, GPT2LMHeadModel

from elm.models.transformers import generate as hf_generate

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
        outputs[f"t{temperature}_k{top_k}_p{top_p}"] = hf_generate.decode(
            model, ids, mask, STOPS, 30, temperature, top_k, top_p)
    return outputs


def test_outputs_equal_the_frozen_reference_of_the_first_sampler():
    """Recorded from the sampler before it kept tokens on the device (one host sync a step, rows
    dropped the moment they ended): the same seed must still give the very same tokens on CPU."""
    expected = json.loads(REFERENCE.read_text())
    assert frozen_outputs(tiny_model()) == expected
    lengths = [len(row) for rows in expected.values() for row in rows]
    assert min(lengths) < 30 and max(lengths) == 30, "the reference should hold rows that end and rows that run on"


def test_warpers_come_in_transformers_order_and_off_values_add_none():
    from transformers.generation.logits_process import (
        MinPLogitsWarper,
        TemperatureLogitsWarper,
        TopKLogitsWarper,
        TopPLogitsWarper,
        TypicalLogitsWarper,
    )

    every = hf_generate.warpers(0.7, 10, 0.9, min_p=0.05, typical_p=0.95)
    assert [type(w) for w in every] == [TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper,
                                        MinPLogitsWarper, TypicalLogitsWarper]
    assert [type(w) for w in hf_generate.warpers(0.7, 0, 1.0, min_p=0.0, typical_p=1.0)] == [TemperatureLogitsWarper]


# -log p of [0.5, 0.3, 0.15, 0.05] against its entropy (1.14 nats): 0.45, 0.06, 0.76, 1.85
PROBS = torch.tensor([[0.5, 0.3, 0.15, 0.05]])


def shares(temperature=1.0, min_p=0.0, typical_p=1.0, draws=40_000) -> torch.Tensor:
    torch.manual_seed(0)
    logits = PROBS.log().repeat(draws, 1)
    warped = hf_generate.warpers(temperature, 0, 1.0, min_p=min_p, typical_p=typical_p)(None, logits)
    return torch.bincount(hf_generate.draw(torch.softmax(warped, -1)), minlength=4) / draws


def test_min_p_drops_tokens_below_its_share_of_the_top_token_and_samples_the_rest_in_proportion():
    got = shares(min_p=0.2)  # the bar: 0.2 x 0.5 = 0.1, so only the 0.05 token goes
    assert got[3] == 0
    assert torch.allclose(got[:3], PROBS[0, :3] / 0.95, atol=0.01)  # 4+ standard errors


def test_typical_sampling_keeps_the_tokens_whose_surprise_is_nearest_the_entropy():
    assert shares(typical_p=0.2).tolist() == [0.0, 1.0, 0.0, 0.0]  # the 0.3 token alone, not the most likely
    got = shares(typical_p=0.5)  # then the 0.5 token: 0.8 of the mass kept
    assert got[2:].tolist() == [0.0, 0.0]
    assert torch.allclose(got[:2], torch.tensor([0.5, 0.3]) / 0.8, atol=0.01)


def test_min_p_one_is_greedy_and_a_tight_typical_p_draws_no_randomness():
    model = tiny_model()
    ids, mask = left_padded_prompts()

    def run(seed, **warp):
        torch.manual_seed(seed)
        return hf_generate.decode(model, ids, mask, STOPS, 12, 1.3, 0, 1.0, **warp)

    torch.manual_seed(0)
    greedy = hf_generate.decode(model, ids, mask, STOPS, 12, 0.0, 0, 1.0)
    assert run(1, min_p=1.0) == greedy
    assert run(1, typical_p=0.01) == run(2, typical_p=0.01)
    assert run(1) != run(2)


def test_rows_leave_the_batch_at_each_look_and_end_where_they_would_with_a_look_every_step():
    """With a look every 5 steps (as on a GPU, every 8), ended rows ride along until the next look but keep
    the tokens they had at their stop; greedy tokens are the same as with a look every step."""
    model = tiny_model()
    ids, mask = left_padded_prompts()
    torch.manual_seed(0)
    greedy = hf_generate.decode(model, ids, mask, STOPS, 30, 0.0, 0, 1.0)
    stops = STOPS + [greedy[0][3], greedy[2][11]]  # greedy rows now end at different steps
    fed = []
    hook = model.register_forward_hook(lambda module, args, kwargs, out: fed.append(len(kwargs["input_ids"])),
                                       with_kwargs=True)
    try:
        every_step = hf_generate.decode(model, ids, mask, stops, 30, 0.0, 0, 1.0, check_every=1)
        batch_sizes_every_step, fed[:] = fed[1:], []
        every_fifth = hf_generate.decode(model, ids, mask, stops, 30, 0.0, 0, 1.0, check_every=5)
    finally:
        hook.remove()
    assert every_fifth == every_step
    assert len({len(row) for row in every_step}) > 1 and min(map(len, every_step)) < 25
    steps = fed[1:]  # the passes after the prompt's: steps[n] feeds the token sampled at step n
    changes = [n for n in range(1, len(steps)) if steps[n] != steps[n - 1]]
    assert changes and all((n + 1) % 5 == 0 for n in changes), steps  # looks after steps 4, 9, ...
    assert sum(steps) > sum(batch_sizes_every_step)  # ended rows rode along between looks


def test_ended_tells_a_post_that_ended_from_one_cut_at_the_limit():
    assert hf_generate.ended([4, 5], 3) and not hf_generate.ended([4, 5, 6], 3)
