"""params.yaml is checked before any work: every profile valid, every mistake named with its fix."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from elm import profiles
from elm.params import sections
from elm.params.validation import ParamsError, overlay, read

from helpers import ROOT

PROFILES = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("profiles/*.yaml"))


def test_the_default_params_are_complete_and_valid():
    assert set(sections.validate(ROOT / "params.yaml")) == set(sections.SCHEMAS)


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_applies_to_params_yaml_and_holds_only_keys_that_differ(profile, tmp_path):
    """`make profile` writes a valid params.yaml that keeps its comments; the profile restates no default."""
    target = tmp_path / "params.yaml"
    target.write_text((ROOT / "params.yaml").read_text())
    profiles.apply(ROOT / profile, target)
    applied = sections.validate(target)
    assert applied == sections.validate_data(profiles.merged(ROOT / profile, ROOT / "params.yaml"), profile)
    assert "# " in target.read_text() and target.read_text().count("\n") >= (ROOT / "params.yaml").read_text().count("\n")
    default = read(ROOT / "params.yaml")
    for key, value in profiles._leaves(read(ROOT / profile)):
        section = default
        for part in key.split("."):
            section = section.get(part, {}) if isinstance(section, dict) else {}
        assert section != value, f"{profile}: {key} restates the default {value!r}"


def test_a_profile_s_keys_become_dvc_exp_run_flags():
    args = profiles.set_args(ROOT / "profiles" / "tiny.yaml")
    assert args[:2] == ["-S", "scrape.demo.posts_per_account=150"]
    assert "classify.random_forest.grid.n_estimators=[30]" in args


def test_a_profile_with_a_typo_is_refused_naming_the_profile(tmp_path):
    profile = tmp_path / "typo.yaml"
    profile.write_text("generate: {temprature: 1.0}\n")
    with pytest.raises(ParamsError, match=r"typo.yaml: generate: unknown key\(s\) 'temprature' \(did you mean 'temperature'"):
        profiles.merged(profile, ROOT / "params.yaml")
    untouched = tmp_path / "params.yaml"
    untouched.write_text((ROOT / "params.yaml").read_text())
    with pytest.raises(ParamsError):
        profiles.apply(profile, untouched)
    assert untouched.read_text() == (ROOT / "params.yaml").read_text()


def test_overlay_merges_mappings_and_replaces_lists_and_values():
    base = {"scrape": {"accounts": ["demo:a", "demo:b"], "demo": {"posts_per_account": 650, "seed": 7}},
            "sample": {"posts_per_class": 300, "seed": 0}}
    profile = {"scrape": {"accounts": ["twint:conan"], "demo": {"seed": 1}}, "sample": {"posts_per_class": 1500},
               "classify": {"neural": {"enabled": True}}}

    merged = overlay(base, profile)

    assert merged == {"scrape": {"accounts": ["twint:conan"], "demo": {"posts_per_account": 650, "seed": 1}},
                      "sample": {"posts_per_class": 1500, "seed": 0}, "classify": {"neural": {"enabled": True}}}
    assert base["scrape"]["accounts"] == ["demo:a", "demo:b"] and base["scrape"]["demo"]["seed"] == 7  # unchanged


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
        sections.validate(write(tmp_path, default_params))


def test_a_key_written_twice_is_refused_as_dvc_would(tmp_path):
    with pytest.raises(ParamsError, match="'top_words' appears twice"):
        read(write(tmp_path, "plots:\n  top_words: 3\n  top_words: 4\n"))


def test_ints_are_accepted_where_floats_are_expected(tmp_path, default_params):
    default_params["generate"]["temperature"] = 1
    assert sections.validate(write(tmp_path, default_params))["generate"].temperature == 1.0
