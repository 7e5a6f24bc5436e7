"""The validation every params section shares: reading the file strictly (and laying a profile over it), and
building a section's dataclass with its keys, types and ranges checked (``bounded`` fields carry a minimum, a
maximum or the allowed choices; ``checked`` fields a section's own check). No float may be NaN or infinite: YAML
reads `.nan` and `.inf` as floats, and NaN passes every range check (each comparison with it is false).
"""
from __future__ import annotations

import copy
import dataclasses
import difflib
import math
import types
import typing
from dataclasses import field
from pathlib import Path

import yaml

from elm.errors import ElmError

PARAMS_FILE = Path("params.yaml")
SECTION_NAMES = ("scrape", "clean", "finetune", "generate", "sample", "likelihood", "classify", "evaluate", "plots",
                 "report", "judge", "feed")
PRECISIONS = ("auto", "bf16", "fp32")  # finetune, generate, likelihood and classify.neural (elm/models/precision.py)


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


def bounded(lo=None, hi=None, choices=None):
    """A field whose value must lie in [lo, hi] or be one of ``choices`` (None: no such limit)."""
    return field(metadata={"min": lo, "max": hi, "choices": choices})


def checked(check):
    """A field whose value ``check(value, key)`` accepts; it raises :class:`ParamsError` naming ``key`` otherwise."""
    return field(metadata={"check": check})


def require_known(name: str, known, key: str, what: str, fix: str) -> None:
    """An error naming ``key`` unless ``name`` is one of ``known`` (``what`` they are), suggesting the closest one
    as the unknown-key message does, then the ``fix``."""
    if name not in known:
        raise ParamsError(f"{key}: {name!r} is not {what}{_did_you_mean(name, known)}; {fix}")


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
    unknown = set(data) - set(SECTION_NAMES)
    if unknown:
        raise ParamsError(_unknown_message(path, sorted(unknown), SECTION_NAMES))
    return data


def load(schema, path: Path | str = PARAMS_FILE):
    """The section ``schema.section`` of the params file, validated, as a ``schema`` instance: e.g.
    ``load(Clean, "params.yaml")``."""
    data = read(path)
    if schema.section not in data:
        raise ParamsError(f"{path}: section '{schema.section}' is missing; copy it from the project's params.yaml")
    return build(schema, data[schema.section], f"{path}: {schema.section}")


def overlay(base: dict, profile: dict) -> dict:
    """``base`` with ``profile``'s keys laid over it: mappings merge, other values replace."""
    merged = copy.deepcopy(base)
    for key, value in profile.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = overlay(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def read_value(section: str, key: str, path: Path | str = PARAMS_FILE):
    """One key of another stage's section, unvalidated (its own stage validates it): e.g. ``generate`` reads
    ``finetune.backend`` to check that the model it loads was written by the backend dvc.yaml lists."""
    data = read(path).get(section)
    if not isinstance(data, dict) or key not in data:
        raise ParamsError(f"{path}: {section}.{key} is missing; copy it from the project's params.yaml")
    return data[key]


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
        if f.metadata.get("check") and value is not None:
            f.metadata["check"](value, key)
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
        _require_finite_within(value, key)
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, bool) or not isinstance(value, hint):
        raise ParamsError(f"{key}: expected {hint.__name__}, got {_show(value)}")
    _require_finite_within(value, key)
    return value


def _require_finite_within(value, key):
    """An error naming the first NaN or infinite float in ``value`` (a float, or a mapping or list holding some)."""
    if isinstance(value, float) and not math.isfinite(value):
        spelled = ".nan" if math.isnan(value) else ".inf" if value > 0 else "-.inf"
        raise ParamsError(f"{key}: {spelled} is not a finite number (NaN and infinities are refused); write a "
                          "number, as the project's params.yaml does")
    if isinstance(value, dict):
        for name, item in value.items():
            _require_finite_within(item, f"{key}.{name}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _require_finite_within(item, f"{key}[{i}]")


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
    parts = [f"'{name}'{_did_you_mean(str(name), known)}" for name in unknown]
    return f"{where}: unknown key(s) {', '.join(parts)}; known: {', '.join(known)}"


def _did_you_mean(name: str, known) -> str:
    """The hint " (did you mean 'x'?)" for the closest of ``known`` to ``name`` (difflib), or nothing if none is."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _show(value):
    return f"{type(value).__name__} {value!r}"[:80]
