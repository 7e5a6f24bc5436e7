"""The training side of the models package: the checkpoint helper, what finetune imports, the GPU benchmark's
tiny mode, and (with a CUDA GPU) bf16 and device placement of finetune, generate and likelihood."""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from elm.models import precision
from elm.models.checkpoint import Checkpoint
from elm.models.manifest import write_manifest
from elm.models.transformers import common as hf_common
from elm.models.transformers import generate as hf_generate
from elm.models.transformers import score as hf_score
from elm.models.transformers import train as hf_train

from helpers import ROOT, corpus, sampling_params, scratch_params

BARE_MACHINE_LACKS = ("dvc", "dvclive", "emoji", "gguf", "vaderSentiment", "peft")


def test_checkpoint_resumes_only_its_own_run_and_only_a_complete_state(tmp_path):
    path = tmp_path / "checkpoints" / "finetune.pt"
    path.parent.mkdir()
    run = Checkpoint(path, "run-a")
    assert run.step() == 0 and run.load() is None
    run.save(20, {"w": torch.ones(2)})
    run.save(40, {"w": torch.full((2,), 2.0)})
    assert run.step() == 40 and torch.equal(run.load()["w"], torch.full((2,), 2.0))
    assert sorted(p.name for p in path.parent.iterdir()) == ["finetune-40.pt", "finetune.json"]  # the older state went
    # killed while saving step 60: its state is written, the marker still names step 40
    torch.save({"w": torch.zeros(2)}, path.with_name("finetune-60.pt"))
    assert run.step() == 40 and torch.equal(run.load()["w"], torch.full((2,), 2.0))
    other = Checkpoint(path, "run-b")  # other params or data
    assert other.step() == 0 and other.load() is None
    run.clear()
    assert not path.parent.exists()


def test_the_gpu_profile_s_batches_outgrow_the_study_s():
    """(tests/test_params.py checks every profile is a valid overlay holding only keys that differ.)"""
    from elm import profiles
    from elm.params.finetune import Finetune
    from elm.params.validation import build

    gpu, study = (build(Finetune, profiles.merged(ROOT / "profiles" / name, ROOT / "params.yaml")
                               ["finetune"], name) for name in ("gpu.yaml", "study-gpu.yaml"))
    assert gpu.batch_size * gpu.seq_len >= 16 * study.batch_size * study.seq_len


def test_fused_gelu_is_gpt2_s_gelu_up_to_rounding():
    from transformers.activations import ACT2CLS


    model, _ = hf_train.scratch_model(corpus(), scratch_params().scratch, 32)
    model.eval()
    x = torch.tensor([[5, 17, 3, 99, 42, 7]])
    with torch.no_grad():
        before = model(x).logits
        hf_train.fuse_gelu(model)
        after = model(x).logits
    assert not any(isinstance(m, ACT2CLS["gelu_new"]) for m in model.modules())
    assert any(isinstance(m, ACT2CLS["gelu_pytorch_tanh"]) for m in model.modules())
    assert torch.allclose(before, after, atol=1e-5)


def test_finetune_never_imports_the_sampler_or_the_other_backend():
    code = ("import sys; import stages.finetune; stages.finetune.trainer('transformers'); "
            "print(sorted(m for m in sys.modules if m.startswith(('elm.models.transformers.generate', "
            "'elm.models.transformers.score', 'elm.models.gpt2simple'))))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_gpu_benchmark_runs_elm_s_code_paths_tiny_on_cpu_importing_only_what_a_bare_gpu_machine_has():
    code = ("import runpy, sys\n"
            "sys.argv = ['benchmarks/gpu.py', '--tiny', '--device', 'cpu']\n"
            "runpy.run_path('benchmarks/gpu.py', run_name='__main__')\n"
            f"print('IMPORTED', sorted({{m.split('.')[0] for m in sys.modules}} & {set(BARE_MACHINE_LACKS)!r}))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "IMPORTED []" in done.stdout
    rows = [line.split(" | ") for line in done.stdout.splitlines() if line.startswith("| ") and "---" not in line]
    kinds = [row[0].strip("| ") for row in rows[1:]]
    assert kinds == ["fine-tune", "fine-tune", "generate", "likelihood"]
    assert all(float(row[3].split()[0].replace(",", "")) > 0 for row in rows[1:])  # every rate measured
    assert "24 posts in" in done.stdout


# ---------------------------------------------------------------- on a CUDA GPU


def tiny_model(tmp_path):
    """A scratch GPT-2 fine-tuned a few steps by the transformers backend, saved with its manifest."""

    out = tmp_path / "model"
    summary = hf_train.finetune(corpus(), corpus(1), scratch_params(max_steps=4, precision="auto"), out, lambda s, m: None)
    write_manifest(out, backend="transformers", base_model="scratch", steps=4)
    return out, summary


def test_adamw_is_one_fused_kernel_on_cpus_as_on_cuda():
    """torch's default AdamW on CPU loops over small ops per tensor: several times slower (benchmarks/train_step.py)."""

    p = scratch_params(max_steps=1)
    model, _ = hf_train.scratch_model(corpus(), p.scratch, p.seq_len)
    optimizer = hf_train.optimizer_for(model, p, torch.device("cpu"))
    assert optimizer.defaults["fused"] is True
    model(input_ids=torch.tensor([[1, 2, 3]]), labels=torch.tensor([[1, 2, 3]])).loss.backward()
    before = [p.detach().clone() for p in model.parameters()]
    optimizer.step()  # the fused kernel runs on this CPU's fp32 weights
    assert any(not torch.equal(old, new) for old, new in zip(before, model.parameters()))


def record_mlp_outputs(model) -> list[torch.Tensor]:
    seen = []
    model.transformer.h[0].mlp.c_fc.register_forward_hook(lambda module, args, out: seen.append(out))
    return seen


@pytest.mark.cuda
def test_training_runs_in_bf16_on_the_gpu_with_fused_adamw(tmp_path):

    p = scratch_params(max_steps=3, precision="auto")
    model, tokenizer = hf_train.scratch_model(corpus(), p.scratch, p.seq_len)
    seen = record_mlp_outputs(model)
    dev = hf_common.device()
    trained, summary = hf_train.fit(model, tokenizer, corpus(), corpus(1), p, lambda s, m: None, None,
                                   precision.autocast_dtype(p.precision, dev, "train"))
    assert dev.type == "cuda" and summary["steps"] == 3
    assert all(out.device.type == "cuda" and out.dtype == torch.bfloat16 for out in seen)
    assert next(trained.parameters()).dtype == torch.float32  # autocast: the weights stay fp32
    assert hf_train.optimizer_for(trained, p, dev).defaults["fused"] is True
    assert torch.get_float32_matmul_precision() == "high"  # TF32
    assert not any(type(m).__name__ == "NewGELUActivation" for m in trained.modules())  # one-kernel GELU


@pytest.mark.cuda
def test_generation_and_scoring_run_on_the_gpu(tmp_path):

    model_dir, _ = tiny_model(tmp_path)
    generator = hf_generate.TransformersGenerator(model_dir)
    seen = record_mlp_outputs(generator.model)
    posts = generator(["baker:"] * 4, sampling_params(), seed=0)
    assert len(posts) == 4 and all(isinstance(p, str) for p in posts)
    assert generator.dtype == torch.bfloat16
    assert all(out.device.type == "cuda" and out.dtype == torch.bfloat16 for out in seen)

    scorer = hf_score.Scorer(model_dir)
    assert next(scorer.model.parameters()).device.type == "cuda"
    features = scorer.features([scorer.encode("baker:", " fresh rye bread out of the oven", 64)])
    assert features[0]["tokens"] > 0 and features[0]["mean_logprob"] < 0
