"""params.yaml, one typed section per stage, validated before any work starts.

Each stage calls ``load("<section>")`` and gets a frozen dataclass. Unknown keys, missing keys,
wrong types and out-of-range values fail at once with the key's full path and the fix
("did you mean ...?"), so a typo in a sweep never silently falls back to a default.
"""
from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from elm.errors import ElmError

PARAMS_FILE = Path("params.yaml")
PRECISIONS = ("auto", "bf16", "fp32")  # see elm/models/precision.py


class ParamsError(ElmError):
    """A params file that does not match the schema below."""


class _StrictLoader(yaml.SafeLoader):
    """YAML that refuses a key written twice in one mapping (PyYAML would keep the last, DVC refuses)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice in one section", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _range(lo=None, hi=None, choices=None):
    return field(metadata={"min": lo, "max": hi, "choices": choices})


@dataclass(frozen=True)
class DemoSource:
    posts_per_account: int = _range(1)
    seed: int = _range()


@dataclass(frozen=True)
class TwintSource:
    dir: str


@dataclass(frozen=True)
class ArchiveSource:
    dir: str


@dataclass(frozen=True)
class TableSource:
    path: str
    text_column: str
    account_column: str
    id_column: str
    created_at_column: str
    created_at_format: str
    language_column: str
    encoding: str


@dataclass(frozen=True)
class Http:
    timeout_s: float = _range(0.1)
    retries: int = _range(0, 20)
    backoff_s: float = _range(0.0)
    max_wait_s: float = _range(0.0)


@dataclass(frozen=True)
class BlueskySource:
    base_url: str
    replies: bool
    page_size: int = _range(1, 100)
    max_posts: int = _range(1)


@dataclass(frozen=True)
class MastodonSource:
    base_url: str
    replies: bool
    page_size: int = _range(1, 40)
    max_posts: int = _range(1)


@dataclass(frozen=True)
class XapiSource:
    base_url: str
    replies: bool
    retweets: bool
    page_size: int = _range(5, 100)
    max_posts: int = _range(1, 3200)


@dataclass(frozen=True)
class Scrape:
    accounts: list[str]
    refresh: int = _range(0)
    on_account_error: str = _range(choices=("fail", "skip"))
    on_bad_row: str = _range(choices=("fail", "skip"))
    http: Http
    demo: DemoSource
    twint: TwintSource
    archive: ArchiveSource
    table: TableSource
    bluesky: BlueskySource
    mastodon: MastodonSource
    xapi: XapiSource


@dataclass(frozen=True)
class Clean:
    hashtags: str = _range(choices=("word", "drop"))
    drop_retweets: bool
    leading_mentions: str = _range(choices=("strip", "drop", "keep"))
    min_chars: int = _range(0)
    languages: list[str]
    near_duplicates: bool
    eval_fraction: float = _range(0.0, 0.9)
    seed: int


@dataclass(frozen=True)
class Scratch:
    vocab_size: int = _range(300)
    n_layer: int = _range(1)
    n_head: int = _range(1)
    n_embd: int = _range(8)


@dataclass(frozen=True)
class Lora:
    rank: int = _range(0)
    alpha: float = _range(0.0)
    dropout: float = _range(0.0, 0.9)
    target_modules: list[str]


@dataclass(frozen=True)
class Gpt2Simple:
    only_train_transformer_layers: bool
    use_memory_saving_gradients: bool
    sample_every: int = _range(0)
    sample_length: int = _range(1, 1023)


@dataclass(frozen=True)
class Finetune:
    backend: str = _range(choices=("transformers", "gpt2simple"))
    model: str
    max_steps: int = _range(1)
    batch_size: int = _range(1)
    seq_len: int = _range(8)
    grad_accum: int = _range(1)
    learning_rate: float = _range(0.0)
    warmup_steps: int = _range(0)
    weight_decay: float = _range(0.0)
    eval_every: int = _range(0)
    eval_batches: int = _range(1)
    precision: str = _range(choices=PRECISIONS)
    compile: bool
    dropout: float | None = _range(0.0, 0.9)
    threads: int = _range(0)
    checkpoint_every: int = _range(0)
    early_stopping_patience: int = _range(0)
    seed: int
    lora: Lora
    scratch: Scratch
    gpt2simple: Gpt2Simple


@dataclass(frozen=True)
class Generate:
    posts: int = _range(1)
    batch_size: int = _range(1)
    temperature: float = _range(0.0)
    top_k: int = _range(0)
    top_p: float = _range(0.0, 1.0)
    min_p: float = _range(0.0, 1.0)
    typical_p: float = _range(0.01, 1.0)
    max_new_tokens: int = _range(0)
    copy_ngram: int = _range(0)
    precision: str = _range(choices=PRECISIONS)
    seed: int


@dataclass(frozen=True)
class Sample:
    posts_per_class: int = _range(1)
    seed: int
    min_sentiment: float | None = _range(-1.0, 1.0)
    real_from: str = _range(choices=("heldout", "all"))
    match_lengths: bool


@dataclass(frozen=True)
class NaiveBayes:
    alpha: float = _range(0.0)


@dataclass(frozen=True)
class RandomForest:
    cv: int = _range(2)
    grid: dict


@dataclass(frozen=True)
class CharLogreg:
    C: float = _range(1e-6)
    max_features: int = _range(1)


@dataclass(frozen=True)
class LmLikelihood:
    enabled: bool
    C: float = _range(1e-6)


@dataclass(frozen=True)
class Neural:
    enabled: bool
    model: str
    max_steps: int = _range(1)
    batch_size: int = _range(1)
    learning_rate: float = _range(0.0)
    max_tokens: int = _range(1)
    precision: str = _range(choices=("auto", "bf16", "fp32"))
    threads: int = _range(0)


@dataclass(frozen=True)
class Classify:
    input: str
    test_size: float = _range(0.05, 0.95)
    seed: int
    max_features: int = _range(1)
    ngram_max: int = _range(1, 5)
    stop_words: str | None = _range(choices=("english",))
    naive_bayes: NaiveBayes
    random_forest: RandomForest
    char_logreg: CharLogreg
    lm_likelihood: LmLikelihood
    neural: Neural


@dataclass(frozen=True)
class Likelihood:
    batch_size: int = _range(1)
    max_tokens: int = _range(1)
    precision: str = _range(choices=PRECISIONS)
    threads: int = _range(0)


@dataclass(frozen=True)
class Evaluate:
    sample_posts: int = _range(2)
    self_bleu_posts: int = _range(1)
    seed: int


@dataclass(frozen=True)
class Plots:
    top_words: int = _range(1)


@dataclass(frozen=True)
class Report:
    examples_per_account: int = _range(1)


@dataclass(frozen=True)
class Judge:
    posts_per_reader: int = _range(1)
    seed: int


@dataclass(frozen=True)
class Feed:
    min_sentiment: float = _range(-1.0, 1.0)
    max_posts: int = _range(1)


SECTIONS = {
    "scrape": Scrape,
    "clean": Clean,
    "finetune": Finetune,
    "generate": Generate,
    "sample": Sample,
    "likelihood": Likelihood,
    "classify": Classify,
    "evaluate": Evaluate,
    "plots": Plots,
    "report": Report,
    "judge": Judge,
    "feed": Feed,
}


def read(path: Path | str = PARAMS_FILE) -> dict:
    """The raw params file as a dict, with a clear error when it is missing or not YAML."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)
    except FileNotFoundError:
        raise ParamsError(f"{path}: not found; run the stage from the project root") from None
    except yaml.YAMLError as err:
        raise ParamsError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise ParamsError(f"{path}: expected a mapping of sections, got {type(data).__name__}")
    unknown = set(data) - set(SECTIONS)
    if unknown:
        raise ParamsError(_unknown_message(path, sorted(unknown), SECTIONS))
    return data


def load(section: str, path: Path | str = PARAMS_FILE):
    """One validated section of the params file, e.g. ``load("clean")``."""
    data = read(path)
    if section not in data:
        raise ParamsError(f"{path}: section '{section}' is missing; copy it from the project's params.yaml")
    return build(SECTIONS[section], data[section], f"{path}: {section}")


def validate(path: Path | str = PARAMS_FILE) -> dict:
    """Every section of a params file, validated (used by tests and by profiles)."""
    return validate_data(read(path), str(path))


def validate_data(data: dict, where: str) -> dict:
    """Every section of params already read (``where`` names them in errors), validated."""
    missing = set(SECTIONS) - set(data)
    if missing:
        raise ParamsError(f"{where}: sections missing: {', '.join(sorted(missing))}")
    return {name: build(cls, data[name], f"{where}: {name}") for name, cls in SECTIONS.items()}


def build(cls, data, where: str):
    """A dataclass instance from a mapping, checking keys, types and ranges."""
    if not isinstance(data, dict):
        raise ParamsError(f"{where}: expected a mapping, got {_show(data)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ParamsError(_unknown_message(where, unknown, fields))
    missing = [name for name in fields if name not in data]
    if missing:
        raise ParamsError(f"{where}: missing key(s) {', '.join(missing)}; see the project's params.yaml")
    hints = typing.get_type_hints(cls)
    values = {}
    for name, f in fields.items():
        key = f"{where}.{name}"
        value = _check_type(hints[name], data[name], key)
        _check_range(f.metadata, value, key)
        values[name] = value
    return cls(**values)


def _check_type(hint, value, key):
    if dataclasses.is_dataclass(hint):
        return build(hint, value, key)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in typing.get_args(hint):
            return None
        (hint,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return _check_type(hint, value, key)
    if origin is list:
        if not isinstance(value, list):
            raise ParamsError(f"{key}: expected a list, got {_show(value)}")
        (item,) = typing.get_args(hint)
        return [_check_type(item, v, f"{key}[{i}]") for i, v in enumerate(value)]
    if hint is dict:
        if not isinstance(value, dict):
            raise ParamsError(f"{key}: expected a mapping, got {_show(value)}")
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, bool) or not isinstance(value, hint):
        raise ParamsError(f"{key}: expected {hint.__name__}, got {_show(value)}")
    return value


def _check_range(meta, value, key):
    lo, hi, choices = meta.get("min"), meta.get("max"), meta.get("choices")
    if value is None:  # an optional key left empty: nothing to range-check
        return
    if choices and value not in choices:
        raise ParamsError(f"{key}: {value!r} is not one of {', '.join(map(str, choices))}")
    if lo is not None and value < lo:
        raise ParamsError(f"{key}: {value!r} is below the minimum {lo}")
    if hi is not None and value > hi:
        raise ParamsError(f"{key}: {value!r} is above the maximum {hi}")


def _unknown_message(where, unknown, known):
    parts = []
    for name in unknown:
        close = difflib.get_close_matches(str(name), list(known), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        parts.append(f"'{name}'{hint}")
    return f"{where}: unknown key(s) {', '.join(parts)}; known: {', '.join(known)}"


def _show(value):
    return f"{type(value).__name__} {value!r}"[:80]
