"""The transformers backend's fine-tuning (the ``finetune`` stage), read top to bottom: ``finetune`` prepares the
model (the base model or a ``scratch`` GPT-2, dropout, LoRA adapters), ``fit`` trains it, ``finetune`` saves it.

``fit`` is a plain PyTorch loop, data-parallel through accelerate: pack the documents into rows, build the
optimizer and schedule, resume from the checkpoint if this run has one, then per step: a ``train_step``, an
``eval_loss`` every ``eval_every`` steps (with early stopping), a checkpoint every ``checkpoint_every``. Its state
between steps is ``Progress``. AdamW runs as one fused kernel on CPUs and CUDA GPUs; bf16 autocast wherever
``autocast_dtype`` picks it. On CUDA also: TF32 for the fp32 matmuls that remain, GPT-2's GELU as one kernel, the
packed rows held on the device, one host sync per step (the logged loss), and ``torch.compile`` with
``finetune.compile``. Nothing here samples or scores: those are ``generate`` and ``score``.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

from elm.models.bpe import train_bpe
from elm.models.checkpoint import Checkpoint
from elm.models.format import END_TOKEN
from elm.models.precision import autocast, autocast_dtype
from elm.models.schedule import BatchOrder, lambda_schedule
from elm.models.transformers.common import device, load_pretrained

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------- the model


def scratch_model(texts: list[str], scratch, seq_len: int):
    """A randomly initialised GPT-2 and a byte-level BPE tokenizer trained on ``texts``."""
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=train_bpe(texts, scratch.vocab_size),
                                        eos_token=END_TOKEN, pad_token=END_TOKEN)
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=max(512, seq_len), n_embd=scratch.n_embd,
                        n_layer=scratch.n_layer, n_head=scratch.n_head,
                        bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id)
    return GPT2LMHeadModel(config), tokenizer


def set_dropout(model, p: float) -> None:
    """Every dropout probability of ``model`` set to ``p`` for this training run (the saved config keeps the
    model's own). GPT-2 checkpoints drop 10% everywhere; attention dropout above 0 keeps PyTorch's SDPA on its
    plain math kernel on CPU, whose dropout mask over every window x window score costs more than the
    attention (1.7x slower 1 x 1024 steps of GPT-2 124M, benchmarks/README.md). gpt-2-simple trains without
    dropout."""
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = p
        if isinstance(getattr(module, "attention_dropout", None), float):  # Llama-style attention: a float, no module
            module.attention_dropout = p


def with_lora(model, lora):
    """The model with LoRA adapters (peft): only the low-rank matrices train."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=lora.rank, lora_alpha=lora.alpha, lora_dropout=lora.dropout, task_type="CAUSAL_LM",
                        target_modules=lora.target_modules or "all-linear")
    return get_peft_model(model, config)


def finetune(train_docs: list[str], eval_docs: list[str], params, out_dir: Path | None, on_step,
             checkpoint: Checkpoint | None = None) -> dict:
    """This backend's ``Trainer`` (``elm.models.interface``): load or build the model, add LoRA adapters if
    asked, train it (``fit``), merge the adapters and save model + tokenizer."""
    torch.manual_seed(params.seed)
    if params.threads:
        torch.set_num_threads(params.threads)
    if params.model == "scratch":
        model, tokenizer = scratch_model(train_docs, params.scratch, params.seq_len)
    else:
        model, tokenizer = load_pretrained(params.model)
    if params.dropout is not None:
        set_dropout(model, params.dropout)
    if params.lora.rank:
        model = with_lora(model, params.lora)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    dtype = autocast_dtype(params.precision, device(), "train")
    model, summary = fit(model, tokenizer, train_docs, eval_docs, params, on_step, checkpoint, dtype)
    if params.lora.rank:
        model = model.merge_and_unload()  # plain weights: generate loads them like a full fine-tune
    if out_dir is not None:
        model.save_pretrained(out_dir)
        tokenizer.save_pretrained(out_dir)
    return {**summary, "parameters": sum(p.numel() for p in model.parameters()), "trainable_parameters": trainable}


# ---------------------------------------------------------------- data


def pack(tokenizer, docs: list[str], seq_len: int) -> torch.Tensor:
    """Token ids of all documents, each followed by the end token, cut into rows of ``seq_len``.

    The tail that does not fill a row is dropped, unless there is less than one row in all."""
    ids: list[int] = []
    for row in tokenizer(docs, add_special_tokens=False)["input_ids"]:
        ids.extend(row)
        ids.append(tokenizer.eos_token_id)
    if len(ids) < seq_len:
        return torch.tensor([ids])
    rows = len(ids) // seq_len
    return torch.tensor(ids[: rows * seq_len]).view(rows, seq_len)


# ---------------------------------------------------------------- optimization


def use_tf32(dev: torch.device) -> None:
    """On CUDA, fp32 matmuls (those outside bf16 autocast) run on TF32 tensor cores."""
    if dev.type == "cuda":
        torch.set_float32_matmul_precision("high")


def fuse_gelu(model) -> None:
    """GPT-2's ``gelu_new`` (transformers computes it in eight elementwise ops, each a kernel that reads and
    writes the whole MLP activation, most of them kept for the backward pass) as one kernel,
    ``F.gelu(approximate="tanh")``: the same function up to rounding. The config keeps its name."""
    from transformers.activations import ACT2CLS

    slow, fast = ACT2CLS["gelu_new"], ACT2CLS["gelu_pytorch_tanh"]
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is slow:
                setattr(parent, name, fast())


FUSED_ADAMW = ("cpu", "cuda")  # devices where AdamW runs as one fused kernel (elsewhere torch's default)


def optimizer_for(model, params, dev: torch.device) -> torch.optim.AdamW:
    """AdamW over the trainable parameters, one fused kernel per step on CPUs and CUDA GPUs. On CPUs torch's
    default is a loop of a dozen small ops per tensor, each a pass over memory: for GPT-2 124M on 2 cores the
    update took several times as long as the fused kernel (benchmarks/train_step.py)."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.AdamW(trainable, lr=params.learning_rate, weight_decay=params.weight_decay,
                             fused=True if dev.type in FUSED_ADAMW else None)


def train_step(model, optimizer, schedule, accelerator, micro_batches: list[torch.Tensor], dtype) -> torch.Tensor:
    """One optimizer step: forward and backward of each micro-batch under autocast (gradients
    accumulate), clip to norm 1, step, advance the schedule. Returns this process's loss as a
    float64 tensor on the device (reading it is the step's one host sync)."""
    total = torch.zeros((), dtype=torch.float64, device=micro_batches[0].device)
    for x in micro_batches:
        with autocast(x.device, dtype):
            loss = model(input_ids=x, labels=x).loss / len(micro_batches)
        accelerator.backward(loss)
        total += loss.detach()
    accelerator.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    schedule.step()
    optimizer.zero_grad(set_to_none=True)
    return total


@torch.no_grad()
def eval_loss(model, data: torch.Tensor, batch_size: int, max_batches: int, dtype, dev) -> float:
    """Mean loss over the first ``max_batches`` batches of the held-out rows."""
    model.eval()
    losses = []
    for start in range(0, min(len(data), batch_size * max_batches), batch_size):
        x = data[start:start + batch_size].to(dev)
        with autocast(dev, dtype):
            losses.append(model(input_ids=x, labels=x).loss.item())
    model.train()
    return sum(losses) / len(losses)


# ---------------------------------------------------------------- the run


@dataclass
class Progress:
    """What a run carries from step to step (and through a checkpoint)."""
    step: int = 0                      # optimizer steps done
    tokens: int = 0                    # trained on, all processes
    seconds: float = 0.0               # in training steps
    best_eval_loss: float = math.inf
    evals_since_best: int = 0

    def record_eval(self, loss: float, patience: int) -> tuple[bool, bool]:
        """(whether ``loss`` is the best yet, whether early stopping says stop)."""
        if loss < self.best_eval_loss:
            self.best_eval_loss, self.evals_since_best = loss, 0
            return True, False
        self.evals_since_best += 1
        return False, 0 < patience <= self.evals_since_best


def save(checkpoint: Checkpoint, progress: Progress, model, optimizer, schedule) -> None:
    """Everything a killed run needs to continue exactly where it was: weights, optimizer and schedule
    state, the RNG (dropout) and the progress."""
    checkpoint.save(progress.step, {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                                    "schedule": schedule.state_dict(), "rng": torch.get_rng_state(),
                                    "progress": dataclasses.asdict(progress)})


def resume(state: dict, model, optimizer, schedule) -> Progress:
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    schedule.load_state_dict(state["schedule"])
    torch.set_rng_state(state["rng"])
    return Progress(**state["progress"])


def fit(model, tokenizer, train_docs: list[str], eval_docs: list[str], params, on_step,
          checkpoint: Checkpoint | None, dtype) -> tuple[torch.nn.Module, dict]:
    """Train ``model`` for ``params.max_steps`` steps (the finetune section); returns the trained model
    (unwrapped) and the run's summary. Launched as several processes (torchrun, accelerate launch) it
    trains data-parallel: each process takes its own share of every step's batches, gradients are
    averaged, and only the first process calls ``on_step`` and saves checkpoints."""
    from accelerate import Accelerator

    accelerator = Accelerator(cpu=not torch.cuda.is_available())
    rank, world, main = accelerator.process_index, accelerator.num_processes, accelerator.is_main_process
    dev = accelerator.device
    use_tf32(dev)
    if dev.type == "cuda":  # on CPUs the loss curve stays the one a seed always gave
        fuse_gelu(model)
    model.to(dev).train()
    train_rows = pack(tokenizer, train_docs, params.seq_len).to(dev)
    eval_rows = pack(tokenizer, eval_docs, params.seq_len) if eval_docs else train_rows[:params.batch_size]
    optimizer = optimizer_for(model, params, dev)
    schedule = lambda_schedule(optimizer, params.warmup_steps, params.max_steps)
    batch_rows = BatchOrder(len(train_rows), params.batch_size, params.seed)
    progress, best_weights, stop = Progress(), None, False
    state = checkpoint.load() if checkpoint else None
    if state:
        progress = resume(state, model, optimizer, schedule)
        logger.info(f"finetune: resuming from the checkpoint of step {progress.step}")
    if params.compile:
        model.compile()  # in place: the state dict keeps its names
    model, optimizer = accelerator.prepare(model, optimizer)  # data-parallel when launched as several processes
    if world > 1 and main:
        logger.info(f"finetune: data-parallel over {world} processes")

    for step in range(progress.step + 1, params.max_steps + 1):
        started = time.perf_counter()
        metrics = {"learning_rate": schedule.get_last_lr()[0]}
        micro = [train_rows[batch_rows(((step - 1) * params.grad_accum + k) * world + rank)]
                 for k in range(params.grad_accum)]
        loss = train_step(model, optimizer, schedule, accelerator, micro, dtype)
        metrics["train/loss"] = accelerator.reduce(loss.float(), "mean").item()
        seconds = time.perf_counter() - started
        tokens = sum(x.numel() for x in micro) * world
        progress.step, progress.tokens, progress.seconds = step, progress.tokens + tokens, progress.seconds + seconds
        metrics["tokens_per_s"] = tokens / seconds

        if step == params.max_steps or (params.eval_every and step % params.eval_every == 0):
            loss = eval_loss(model, eval_rows, params.batch_size, params.eval_batches, dtype, dev)
            metrics.update({"eval/loss": loss, "eval/perplexity": math.exp(min(loss, 50))})
            best, stop = progress.record_eval(loss, params.early_stopping_patience)
            if best and params.early_stopping_patience:
                best_weights = {k: v.detach().to("cpu", copy=True)
                                for k, v in accelerator.unwrap_model(model).state_dict().items()}
        if main:
            on_step(step, metrics)
        if stop:
            logger.info(f"finetune: eval loss has not improved for {params.early_stopping_patience} evals: stopping "
                        f"at step {step}, keeping the weights of eval loss {progress.best_eval_loss:.4f}")
            accelerator.unwrap_model(model).load_state_dict(best_weights)
            break
        if main and checkpoint and params.checkpoint_every and step % params.checkpoint_every == 0 \
                and step < params.max_steps:
            save(checkpoint, progress, accelerator.unwrap_model(model), optimizer, schedule)

    accelerator.wait_for_everyone()
    final_eval = progress.best_eval_loss if stop else metrics["eval/loss"]
    return accelerator.unwrap_model(model), {
        "eval_loss": final_eval,
        "eval_perplexity": math.exp(min(final_eval, 50)),
        "train_loss": metrics["train/loss"],
        "tokens_per_s": progress.tokens / progress.seconds,
        "train_seconds": progress.seconds,
        "train_rows": len(train_rows),
        "steps": progress.step,
    }
