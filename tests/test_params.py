"""params.yaml is checked before any work: every profile valid, every mistake named with its fix."""
from __future__ import annotations

import dataclasses
import math
import re
import typing
from pathlib import Path

import pytest
import yaml

from elm import paths, profiles
from elm.params import sections
from elm.params.clean import DETECTED_LANGUAGES
from elm.params.validation import ParamsError, overlay, read

from helpers import ROOT
from stage_runner import run_stage

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


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_names_itself_for_the_pages(profile):
    """A profile leaves no other trace in a run: report.profile carries its name to the report and the feed."""
    assert profiles.merged(ROOT / profile, ROOT / "params.yaml")["report"]["profile"] == Path(profile).stem
    assert read(ROOT / "params.yaml")["report"]["profile"] == ""  # params.yaml as it is


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


# --- NaN and infinities, and the language codes of clean.languages ---


def float_keys(schema, prefix: str) -> list[str]:
    """Every float key of a section's schema, as ``section.key`` paths (nested dataclasses included)."""
    keys = []
    for name, hint in typing.get_type_hints(schema).items():
        if dataclasses.is_dataclass(hint):
            keys += float_keys(hint, f"{prefix}.{name}")
        elif hint is float or float in typing.get_args(hint):
            keys.append(f"{prefix}.{name}")
    return keys


FLOAT_KEYS = [key for name, schema in sections.SCHEMAS.items() for key in float_keys(schema, name)]


def set_key(params: dict, key: str, value) -> None:
    *parents, last = key.split(".")
    for part in parents:
        params = params[part]
    params[last] = value


@pytest.mark.parametrize("key", FLOAT_KEYS)
def test_no_float_key_takes_nan(tmp_path, default_params, key):
    """YAML reads `.nan` as a float, and NaN passes every range check (each comparison with it is false)."""
    set_key(default_params, key, math.nan)
    with pytest.raises(ParamsError, match=rf"{re.escape(key)}: \.nan is not a finite number .*; write a number"):
        sections.validate(write(tmp_path, default_params))


@pytest.mark.parametrize("key, value, message", [
    ("generate.temperature", math.inf, r"generate.temperature: \.inf is not a finite number"),
    ("clean.eval_fraction", -math.inf, r"clean.eval_fraction: -\.inf is not a finite number"),
    ("classify.random_forest.grid.max_features", [0.5, math.nan],
     r"classify.random_forest.grid.max_features\[1\]: \.nan is not a finite number"),
])
def test_infinities_and_nan_inside_a_grid_are_refused(tmp_path, default_params, key, value, message):
    set_key(default_params, key, value)
    with pytest.raises(ParamsError, match=message):
        sections.validate(write(tmp_path, default_params))


def test_the_known_languages_are_those_py3langid_detects():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    assert sorted(DETECTED_LANGUAGES) == sorted(LanguageIdentifier.from_model_file(MODEL_FILE).labels)


@pytest.mark.parametrize("languages, message", [
    (["eng"], r"clean.languages\[0\]: 'eng' is not a language code py3langid detects \(did you mean 'en'\?\); "
              r"write ISO 639-1 codes such as en, es, de"),
    (["en", "fre"], r"clean.languages\[1\]: 'fre' is not .* \(did you mean 'fr'\?\)"),
    (["english"], r"clean.languages\[0\]: 'english' is not a language code py3langid detects; write"),
])
def test_a_language_the_detector_never_returns_is_refused(tmp_path, default_params, languages, message):
    default_params["clean"]["languages"] = languages
    with pytest.raises(ParamsError, match=message):
        sections.validate(write(tmp_path, default_params))


def test_twitter_s_und_and_region_subtags_stay_valid(tmp_path, default_params):
    """clean keeps "und" (undetermined) posts whatever clean.languages lists, and compares codes by their primary
    subtag ("en-US" is "en"), so these are what clean already accepts."""
    default_params["clean"]["languages"] = ["und", "en-US", "pt_BR", "EN", "yue"]
    assert sections.validate(write(tmp_path, default_params))["clean"].languages[0] == "und"


@pytest.mark.parametrize("stage, key, value, message", [
    ("clean", "eval_fraction", math.nan, r"clean.eval_fraction: \.nan is not a finite number"),
    ("clean", "languages", ["eng"], r"clean.languages\[0\]: 'eng' is not .* \(did you mean 'en'\?\)"),
    ("generate", "temperature", math.nan, r"generate.temperature: \.nan is not a finite number"),
])
def test_the_stage_refuses_the_probe_s_params_before_any_work(workdir, default_params, stage, key, value, message):
    """The probes as the tester ran them: on a project with posts in data/raw, clean with eval_fraction .nan exited
    0 with no held-out post, and with languages [eng] kept 2 posts of 4,392 without a warning."""
    default_params["scrape"]["demo"]["posts_per_account"] = 40
    workdir.write_params(default_params)
    run_stage("scrape", workdir)
    default_params[stage][key] = value
    workdir.write_params(default_params)
    refused = run_stage(stage, workdir, check=False)
    assert refused.returncode == 2 and re.search(message, refused.stderr), refused.stderr[-2000:]
    assert not (workdir / paths.CLEAN_POSTS).exists()
