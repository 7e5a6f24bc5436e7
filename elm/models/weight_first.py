"""Linear layers for sampling on CPU, multiplied weight first: ``y^T = W x^T``, in slices of output rows.

A decode step feeds one token per post, so every linear layer multiplies a few dozen rows of
activations by a large weight matrix. Written the usual way (``x W^T``, activations first), MKL ran
those products at 36-50 GFLOP/s on one core of the 2-core AVX2 machine and gained little from a
second core; with the weight as the left operand the same products split across cores by weight
rows, and in slices of at most 2,048 rows (one slice of GPT-2's 50,257-word output layer keeps its
weights and outputs in cache) they ran up to 2x faster (``benchmarks/linear_layers.py``). The
results are the same numbers up to float rounding. Used by the transformers backend's ``Generator``
for fp32 on CPU; training and scoring multiply hundreds of rows at once and keep the usual layers.
"""
from __future__ import annotations

import torch
from transformers.pytorch_utils import Conv1D


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


def convert(model: torch.nn.Module) -> None:
    """Swap every ``torch.nn.Linear`` (weights shared, not copied: a tied output layer stays tied) and
    GPT-2's ``Conv1D`` (in x out weights, stored transposed once) in ``model`` for a ``WeightFirstLinear``."""
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is torch.nn.Linear:
                setattr(parent, name, WeightFirstLinear(child.weight, child.bias))
            elif type(child) is Conv1D:
                weight = torch.nn.Parameter(child.weight.detach().t().contiguous(), requires_grad=False)
                setattr(parent, name, WeightFirstLinear(weight, child.bias))
