"""`precision` params: what `auto` picks on each kind of hardware (with faked CPU flags, never the
host's), and each forced precision running for real on a tiny model, whatever this CPU supports."""
from __future__ import annotations

import pytest
import torch

from elm.models import precision
from elm.models.format import prompt_for
from elm.models.transformers import generate as hf_generate
from elm.models.transformers import score as hf_score

from helpers import MIXED_PROMPTS, sampling_params

CPU = torch.device("cpu")
AVX2 = "processor\t: 0\nmodel name\t: AMD EPYC 7B12\nflags\t\t: fpu sse sse2 avx avx2 fma\n"
AVX512_BF16 = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16\n"
AMX = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 amx_bf16 amx_tile\n"


def test_cpu_flags_are_read_from_the_flags_line():
    assert precision.cpu_flags(AVX512_BF16) == {"fpu", "avx2", "avx512f", "avx512_bf16"}
    assert precision.cpu_flags("processor\t: 0\n") == set()


def test_the_cpu_is_named_from_its_model_name_line():
    assert precision.cpu_name(AVX2) == "AMD EPYC 7B12"
    assert precision.cpu_name("processor\t: 0\n")  # no model name line: platform's name or "unknown CPU"


@pytest.mark.parametrize("cpuinfo, train, sample, score", [
    (AVX2, False, False, False),          # bf16 emulated: about 20x slower, never chosen
    (AVX512_BF16, True, True, True),      # native bf16 products: faster for every kind of work
    (AMX, True, True, True),
])
def test_auto_picks_bf16_by_cpu_kind_and_work(cpuinfo, train, sample, score):
    flags = precision.cpu_flags(cpuinfo)
    picked = {work: precision.autocast_dtype("auto", CPU, work, flags) is torch.bfloat16
              for work in ("train", "sample", "score")}
    assert picked == {"train": train, "sample": sample, "score": score}


@pytest.mark.parametrize("cpuinfo", [AVX2, AVX512_BF16, AMX])
def test_a_forced_precision_is_obeyed_on_every_cpu(cpuinfo):
    flags = precision.cpu_flags(cpuinfo)
    for work in ("train", "sample", "score"):
        assert precision.autocast_dtype("bf16", CPU, work, flags) is torch.bfloat16
        assert precision.autocast_dtype("fp32", CPU, work, flags) is None


def test_an_unknown_precision_or_work_is_refused():
    with pytest.raises(ValueError, match="precision"):
        precision.autocast_dtype("fp16", CPU, "train", set())
    with pytest.raises(ValueError, match="work"):
        precision.autocast_dtype("auto", CPU, "decode", set())


def test_fp32_sampling_runs_weight_first_layers_and_bf16_sampling_the_model_s_own(trained):
    fp32, bf16 = hf_generate.TransformersGenerator(trained[0], "fp32"), hf_generate.TransformersGenerator(trained[0], "bf16")
    assert fp32.dtype is None and any(isinstance(m, hf_generate.WeightFirstLinear) for m in fp32.model.modules())
    assert bf16.dtype is torch.bfloat16 and all(w.dtype is torch.bfloat16 for w in bf16.model.parameters())
    assert not any(isinstance(m, hf_generate.WeightFirstLinear) for m in bf16.model.modules())
    prompts = [prompt_for("baker")] * 4
    room = sampling_params(max_new_tokens=40)  # the tiny model's posts end within 40 tokens
    for generator in (fp32, bf16):
        texts = generator(prompts, room, seed=1)
        assert texts == generator(prompts, room, seed=1)  # seeded, run to run
        assert len(texts) == 4 and all(t is None or "\n" not in t for t in texts)  # None: not ended in 40
        assert any(isinstance(t, str) and t for t in texts)


def test_bf16_scoring_gives_fp32_s_features_up_to_bf16_rounding(trained):
    fp32, bf16 = hf_score.Scorer(trained[0], "fp32"), hf_score.Scorer(trained[0], "bf16")
    assert fp32.dtype is None and bf16.dtype is torch.bfloat16
    batch = [fp32.encode(prompt, " " + prompt + " fresh rye bread out of the oven", 64) for prompt in MIXED_PROMPTS]
    for a, b in zip(fp32.features(batch), bf16.features(batch)):
        assert a["tokens"] == b["tokens"]
        assert b["mean_logprob"] == pytest.approx(a["mean_logprob"], abs=0.1)
        assert b["mean_entropy"] == pytest.approx(a["mean_entropy"], abs=0.1)
