"""params.yaml is checked before any work: every profile valid, every mistake named with its fix."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from elm import params
from elm.params import ParamsError

ROOT = Path(__file__).resolve().parents[1]


OVERLAYS = {"profiles/gpu.yaml"}  # only the keys that differ from params.yaml: tests/test_train.py checks it merged


@pytest.mark.parametrize("path", ["params.yaml", *sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("profiles/*.yaml")
                                                         if str(p.relative_to(ROOT)) not in OVERLAYS)])
def test_the_default_and_every_profile_are_complete_and_valid(path):
    sections = params.validate(ROOT / path)
    assert set(sections) == set(params.SECTIONS)


def write(tmp_path, data) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(data) if isinstance(data, dict) else data)
    return path


@pytest.mark.parametrize("change, message", [
    (lambda p: p["generate"].update(temprature=0.7), r"generate: unknown key\(s\) 'temprature' \(did you mean 'temperature'\?\)"),
    (lambda p: p["generate"].update(temperature="hot"), r"generate.temperature: expected float, got str 'hot'"),
    (lambda p: p["finetune"].update(max_steps=True), r"finetune.max_steps: expected int, got bool"),
    (lambda p: p["sample"].update(posts_per_class=0), r"sample.posts_per_class: 0 is below the minimum 1"),
    (lambda p: p["generate"].update(top_p=1.5), r"generate.top_p: 1.5 is above the maximum 1.0"),
    (lambda p: p["clean"].update(hashtags="keep"), r"clean.hashtags: 'keep' is not one of word, drop"),
    (lambda p: p["finetune"]["lora"].pop("rank"), r"finetune.lora: missing key\(s\) rank"),
    (lambda p: p["scrape"].update(accounts="demo:a"), r"scrape.accounts: expected a list"),
    (lambda p: p.update(classfy={}), r"unknown key\(s\) 'classfy' \(did you mean 'classify'\?\)"),
])
def test_a_mistake_is_named_with_its_key_and_fix(tmp_path, default_params, change, message):
    change(default_params)
    with pytest.raises(ParamsError, match=message):
        params.validate(write(tmp_path, default_params))


def test_a_key_written_twice_is_refused_as_dvc_would(tmp_path):
    with pytest.raises(ParamsError, match="'top_words' appears twice"):
        params.read(write(tmp_path, "plots:\n  top_words: 3\n  top_words: 4\n"))


def test_ints_are_accepted_where_floats_are_expected(tmp_path, default_params):
    default_params["generate"]["temperature"] = 1
    assert params.validate(write(tmp_path, default_params))["generate"].temperature == 1.0
