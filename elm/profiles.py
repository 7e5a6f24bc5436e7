"""Profiles: overlays of params.yaml that list only the keys they change (profiles/*.yaml).

A profile has params.yaml's sections, each with just the keys that differ; mappings merge key by key,
anything else (a number, a string, a list) replaces the value underneath. Three ways to use one:

- ``make profile PROFILE=profiles/tiny.yaml`` writes the merged, validated params into params.yaml,
  keeping params.yaml's comments (then ``dvc repro``);
- ``dvc exp run $(make -s profile-args PROFILE=profiles/tiny.yaml)``: the profile's keys as ``-S`` flags
  of one experiment, params.yaml untouched;
- ``python -m stages.<name> --profile profiles/tiny.yaml``: one stage with the overlay, nothing written.
"""
from __future__ import annotations

import io as _io
from pathlib import Path

from elm.io import atomic_path
from elm.params import sections
from elm.params.validation import PARAMS_FILE, overlay, read


def merged(profile_path: Path | str, params_path: Path | str = PARAMS_FILE) -> dict:
    """params.yaml with the profile laid over it, every section validated (errors name the profile)."""
    profile = read(profile_path)
    data = overlay(read(params_path), profile)
    sections.validate_data(data, f"{params_path} + {profile_path}")
    return data


def apply(profile_path: Path | str, params_path: Path | str = PARAMS_FILE) -> None:
    """Write params.yaml with the profile laid over it, keeping params.yaml's comments and layout."""
    from ruamel.yaml import YAML  # here: benchmarks/gpu.py reads profiles on machines without it

    merged(profile_path, params_path)  # validate before touching anything
    yaml = YAML()  # round-trip: comments, key order and quoting survive
    yaml.preserve_quotes = True
    yaml.width = 110
    document = yaml.load(Path(params_path).read_text(encoding="utf-8"))
    _lay_over(document, read(profile_path))
    text = _io.StringIO()
    yaml.dump(document, text)
    with atomic_path(Path(params_path)) as tmp:
        tmp.write_text(text.getvalue(), encoding="utf-8")


def set_args(profile_path: Path | str) -> list[str]:
    """The profile's keys as ``dvc exp run`` arguments: ``-S section.key=value`` for every leaf."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    yaml.default_flow_style = True
    args = []
    for key, value in _leaves(read(profile_path)):
        text = _io.StringIO()
        yaml.dump(value, text)
        args += ["-S", f"{key}={text.getvalue().strip().removesuffix('...').strip()}"]
    return args


def _lay_over(document, profile: dict) -> None:
    for key, value in profile.items():
        if isinstance(value, dict) and isinstance(document.get(key), dict):
            _lay_over(document[key], value)
        else:
            document[key] = value


def _leaves(data: dict, prefix: str = ""):
    for key, value in data.items():
        if isinstance(value, dict) and value:
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value
