"""Fast-DetectGPT's conditional probability curvature (Bao et al., arXiv 2310.05130), analytic form.

For a text x = x_1..x_n, a scoring model q and a reference (sampling) model p, the curvature is

    (log q(x) - E_{x~ ~ p}[log q(x~)]) / sqrt(Var_{x~ ~ p}[log q(x~)])

where x~ replaces every token x_t independently with a draw from p( . | x_<t) (the conditional
sampling of the paper, so the context is always the real x_<t). Expectation and variance are exact
sums over the vocabulary, position by position; log q(x) and the per-position means and variances are
**summed** over the counted tokens, as the authors' ``get_sampling_discrepancy_analytic`` does (in
baoguangsheng/fast-detect-gpt, scripts/fast_detect_gpt.py). The ratio is then the z-score of the
text's total (equivalently, of its mean) log-likelihood among the conditional samples; averaging the
mean and the variance over tokens instead would shrink it by sqrt(n).

Machine text scores higher (its tokens are the likely ones), human text nearer 0 or below.

White-box or black-box detection differ only in which model produces the logits: the fine-tuned
generator itself, or a pretrained model standing in for it. ``ref_logits=None`` uses one model as
both sampler and scorer (the authors' local_infer.py default, and the white-box setting of the paper;
its black-box setting pairs GPT-J sampling with GPT-Neo-2.7B scoring).

Turning scores into a decision (higher = generated) needs only one threshold; scikit-learn's
``TunedThresholdClassifierCV(LogisticRegression(), scoring="accuracy")`` on the single score column
picks the accuracy-maximising cut; a plain ``LogisticRegression`` cuts where its fitted probability
crosses 0.5, which is not the accuracy-maximising cut when real and generated scores spread differently.

This module imports torch only.
"""
from __future__ import annotations

from typing import NamedTuple

import torch


class CurvatureParts(NamedTuple):
    """Per-row sums over the counted positions (shape: batch), in float32 (float64 for float64 input)."""
    log_likelihood: torch.Tensor  # sum_t log q(x_t | x_<t)
    expected: torch.Tensor  # sum_t E_{v ~ p_t}[log q_t(v)]
    variance: torch.Tensor  # sum_t Var_{v ~ p_t}[log q_t(v)]
    count: torch.Tensor  # counted positions (int64)


def _work_dtype(*tensors: torch.Tensor) -> torch.dtype:
    return torch.float64 if any(t.dtype == torch.float64 for t in tensors) else torch.float32


def curvature_parts(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor,
                    ref_logits: torch.Tensor | None = None) -> CurvatureParts:
    """The sums that :func:`curvature` divides, per row.

    ``logits``: the scoring model's logits, batch x positions x vocab, aligned so that position t
    predicts ``targets[:, t]`` (for a causal LM: ``model(ids).logits[:, :-1]`` against ``ids[:, 1:]``).
    ``targets``: token ids, batch x positions. ``mask``: batch x positions, bool or 0/1, true where the
    token counts (padding and prompt/prefix positions false); at uncounted positions ``targets`` may
    hold anything (e.g. -100) and the logits anything, NaN included: they never enter the sums.
    ``ref_logits``: the reference (sampling) model's logits, same layout; None: ``logits`` itself.
    If the two vocabularies differ in size, both are cut to the smaller, as the reference code does.
    Logits at counted positions must be finite. Work is done in float32 (float64 if an input is), so
    bf16/fp16 logits are upcast first; memory is a few batch x positions x vocab float32 tensors.
    """
    if logits.dim() != 3 or targets.shape != logits.shape[:2] or mask.shape != logits.shape[:2]:
        raise ValueError(f"expected logits batch x positions x vocab with targets and mask batch x positions; "
                         f"got {tuple(logits.shape)}, {tuple(targets.shape)}, {tuple(mask.shape)}")
    if ref_logits is not None and ref_logits.shape[:2] != logits.shape[:2]:
        raise ValueError(f"ref_logits {tuple(ref_logits.shape)} do not match logits {tuple(logits.shape)}")
    dtype = _work_dtype(logits, *([] if ref_logits is None else [ref_logits]))
    counted = mask.to(torch.bool)
    if ref_logits is not None and ref_logits.shape[-1] != logits.shape[-1]:
        vocab = min(ref_logits.shape[-1], logits.shape[-1])
        logits, ref_logits = logits[..., :vocab], ref_logits[..., :vocab]

    log_q = torch.log_softmax(logits.to(dtype), dim=-1)
    p = log_q.exp() if ref_logits is None else torch.softmax(ref_logits.to(dtype), dim=-1)
    ids = targets.masked_fill(~counted, 0).long().unsqueeze(-1)
    token_ll = log_q.gather(-1, ids).squeeze(-1)
    token_mean = (p * log_q).sum(-1)
    # Var = E[(log q - mean)^2]: the same quantity as the reference's E[log q^2] - mean^2, without
    # the cancellation that formula suffers where p is peaked.
    token_var = (p * (log_q - token_mean.unsqueeze(-1)).square()).sum(-1)

    zero = torch.zeros((), dtype=dtype, device=logits.device)
    return CurvatureParts(log_likelihood=torch.where(counted, token_ll, zero).sum(-1),
                          expected=torch.where(counted, token_mean, zero).sum(-1),
                          variance=torch.where(counted, token_var, zero).sum(-1),
                          count=counted.sum(-1))


def curvature(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor,
              ref_logits: torch.Tensor | None = None) -> torch.Tensor:
    """Fast-DetectGPT's analytic sampling discrepancy, one value per row (shape: batch).

    ``(sum log q(x_t) - sum E_p[log q]) / sqrt(sum Var_p[log q])``, sums over the counted positions,
    exactly ``get_sampling_discrepancy_analytic`` of the authors' code for one unpadded row. Arguments
    as in :func:`curvature_parts`; ``ref_logits=None`` samples from the scoring model itself (the
    common setting). A row with no counted position gets 0.0. Each row depends only on its own
    logits, targets and mask, so batching does not change the values.
    """
    parts = curvature_parts(logits, targets, mask, ref_logits)
    empty = parts.count == 0
    scale = torch.where(empty, torch.ones_like(parts.variance), parts.variance).sqrt()
    return torch.where(empty, torch.zeros_like(scale), (parts.log_likelihood - parts.expected) / scale)
