"""elm.models.curvature: Fast-DetectGPT's analytic curvature against a Monte-Carlo estimate, the authors'
formula, masks and padding, dtypes, and a tiny random GPT-2 (sampled text scores above random tokens,
and a row's value does not depend on the batch it is scored in)."""
from __future__ import annotations

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from elm.models.curvature import curvature, curvature_parts


def random_case(seed: int, batch: int = 3, positions: int = 12, vocab: int = 10):
    g = torch.Generator().manual_seed(seed)
    score = 2 * torch.randn(batch, positions, vocab, generator=g, dtype=torch.float64)
    ref = 2 * torch.randn(batch, positions, vocab, generator=g, dtype=torch.float64)
    targets = torch.randint(0, vocab, (batch, positions), generator=g)
    mask = torch.ones(batch, positions, dtype=torch.bool)
    if batch >= 3:
        mask[1, :4] = False   # a prefix
        mask[2, 7:] = False   # padding
    return score, ref, targets, mask


def monte_carlo(score, ref, targets, mask, n=200_000, seed=0):
    """Per row: (ll(x) - mean ll(x~)) / std ll(x~), x~ drawn position by position from softmax(ref),
    ll summed over the counted positions; also the sample mean and variance of ll(x~)."""
    torch.manual_seed(seed)
    log_q = torch.log_softmax(score, -1)
    samples = torch.distributions.Categorical(logits=ref).sample((n,))  # n x batch x positions
    ll_tilde = (log_q.unsqueeze(0).expand(n, *log_q.shape).gather(-1, samples.unsqueeze(-1)).squeeze(-1)
                * mask).sum(-1)  # n x batch
    ll_x = (log_q.gather(-1, targets.unsqueeze(-1)).squeeze(-1) * mask).sum(-1)
    mean, std = ll_tilde.mean(0), ll_tilde.std(0)
    return (ll_x - mean) / std, mean, std.square()


@pytest.mark.parametrize("separate_ref", [True, False])
def test_analytic_matches_monte_carlo(separate_ref):
    score, ref, targets, mask = random_case(1)
    ref = ref if separate_ref else None
    z_mc, mean_mc, var_mc = monte_carlo(score, score if ref is None else ref, targets, mask)
    parts = curvature_parts(score, targets, mask, ref)
    torch.testing.assert_close(parts.expected, mean_mc, rtol=0, atol=0.05)
    torch.testing.assert_close(parts.variance, var_mc, rtol=0.02, atol=0)
    z = curvature(score, targets, mask, ref)
    assert z.abs().max() > 1  # not all near 0: a real check of the ratio
    torch.testing.assert_close(z, z_mc, rtol=0.01, atol=0.02)


def reference_formula(ref_logits, score_logits, labels):
    """The authors' analytic discrepancy for one unpadded row, written out independently: vocabularies cut to
    the smaller, variance as E[log q^2] - E[log q]^2, everything summed over tokens."""
    vocab = min(ref_logits.shape[-1], score_logits.shape[-1])
    log_q = torch.log_softmax(score_logits[..., :vocab], -1)
    p = torch.softmax(ref_logits[..., :vocab], -1)
    ll = log_q.gather(-1, labels.unsqueeze(-1)).squeeze(-1).sum(-1)
    mean = (p * log_q).sum(-1)
    var = (p * log_q.square()).sum(-1) - mean.square()
    return (ll - mean.sum(-1)) / var.sum(-1).sqrt()


def test_matches_reference_formula_with_vocab_mismatch():
    score, ref, targets, _ = random_case(2, batch=2, positions=9, vocab=12)
    ref = torch.cat([ref, torch.randn(2, 9, 3, dtype=ref.dtype)], -1)  # a padded reference vocabulary
    targets = targets.clamp(max=11)
    full = torch.ones(2, 9, dtype=torch.bool)
    got = curvature(score, targets, full, ref)
    want = torch.stack([reference_formula(ref[i:i + 1], score[i:i + 1], targets[i:i + 1])[0] for i in range(2)])
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(curvature(score, targets, full),
                               torch.stack([reference_formula(score[i:i + 1], score[i:i + 1], targets[i:i + 1])[0]
                                            for i in range(2)]))


def test_masked_positions_do_not_count():
    score, ref, targets, mask = random_case(3)
    want = torch.stack([curvature(score[i:i + 1, mask[i]], targets[i:i + 1, mask[i]],
                                  torch.ones(1, int(mask[i].sum()), dtype=torch.bool), ref[i:i + 1, mask[i]])[0]
                        for i in range(3)])
    # garbage where the mask is false: NaN logits, -100 targets (the usual ignore label)
    score_g, ref_g, targets_g = score.clone(), ref.clone(), targets.clone()
    score_g[~mask], ref_g[~mask], targets_g[~mask] = float("nan"), float("nan"), -100
    for m in (mask, mask.long()):
        torch.testing.assert_close(curvature(score_g, targets_g, m, ref_g), want)
    torch.testing.assert_close(curvature(score, targets, mask, ref), want)


def test_rows_without_counted_tokens_give_zero():
    score, ref, targets, mask = random_case(4)
    mask[0] = False
    score[0] = float("nan")
    got = curvature(score, targets, mask, ref)
    assert got[0].item() == 0.0
    assert torch.isfinite(got).all() and (got[1:] != 0).all()
    parts = curvature_parts(score, targets, mask, ref)
    assert parts.count.tolist() == [0, 8, 7]


def test_dtypes():
    score, ref, targets, mask = random_case(5)
    half = score.to(torch.bfloat16)
    got = curvature(half, targets, mask)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, curvature(half.float(), targets, mask))  # upcast before any arithmetic
    assert curvature(score, targets, mask).dtype == torch.float64
    assert curvature(score.float(), targets, mask, ref.to(torch.float16)).dtype == torch.float32


@pytest.fixture(scope="module")
def tiny_gpt2():
    """A random 1-layer GPT-2 over 64 tokens; initializer_range 0.5 makes its next-token distributions
    peaked (entropy about 2.5 nats of 4.16), as a trained model's are."""
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=64, n_layer=1, n_head=2, n_embd=16, n_positions=64, initializer_range=0.5,
                        bos_token_id=0, eos_token_id=0)
    return GPT2LMHeadModel(config).eval()


@torch.no_grad()
def sample_ids(model, rows: int, length: int, seed: int) -> torch.Tensor:
    """rows x (1 + length): token 0, then tokens drawn from the model (temperature 1, no truncation)."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.zeros(rows, 1, dtype=torch.long)
    for _ in range(length):
        probs = model(ids).logits[:, -1].softmax(-1)
        ids = torch.cat([ids, torch.multinomial(probs, 1, generator=g)], 1)
    return ids


@torch.no_grad()
def score_batch(model, seqs: list[torch.Tensor], prefix: int) -> torch.Tensor:
    """Curvature of each 1-D id sequence, right-padded into one batch; the first ``prefix`` targets
    (a prompt) and the padding are masked out."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), 7, dtype=torch.long)
    attention = torch.zeros(len(seqs), width, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)], attention[i, :len(s)] = s, 1
    logits = model(input_ids=ids, attention_mask=attention).logits[:, :-1]
    mask = attention[:, 1:].bool()
    mask[:, :prefix] = False
    return curvature(logits, ids[:, 1:], mask)


def test_sampled_text_scores_above_random_tokens(tiny_gpt2):
    sampled = sample_ids(tiny_gpt2, 16, 24, seed=1)
    noise = torch.cat([sampled[:, :1], torch.randint(0, 64, (16, 24), generator=torch.Generator().manual_seed(2))], 1)
    z_sampled = score_batch(tiny_gpt2, list(sampled), prefix=0)
    z_noise = score_batch(tiny_gpt2, list(noise), prefix=0)
    # the model's own samples sit near the middle of its conditional distribution (about N(0, 1)),
    # uniform tokens far below it
    assert abs(z_sampled.mean().item()) < 1.0
    assert z_noise.mean().item() < -5
    assert (z_sampled > z_noise).float().mean().item() > 0.9


def test_same_values_whatever_the_batch(tiny_gpt2):
    ids = sample_ids(tiny_gpt2, 6, 20, seed=3)
    seqs = [ids[i, :n] for i, n in enumerate([21, 9, 15, 4, 21, 12])]  # lengths differ: padding in batches
    alone = torch.stack([score_batch(tiny_gpt2, [s], prefix=2)[0] for s in seqs])
    assert torch.isfinite(alone).all() and len(set(alone.tolist())) == 6
    torch.testing.assert_close(score_batch(tiny_gpt2, seqs, prefix=2), alone, rtol=1e-4, atol=1e-4)
    order = [4, 1, 5, 0, 3, 2]
    torch.testing.assert_close(score_batch(tiny_gpt2, [seqs[i] for i in order], prefix=2), alone[order],
                               rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(score_batch(tiny_gpt2, seqs[1:3], prefix=2), alone[1:3], rtol=1e-4, atol=1e-4)
