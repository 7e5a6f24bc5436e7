"""The `likelihood` stage: a real tiny model scores posts sanely, batch-size invariantly, and its features
let the lm_likelihood detector tell the model's own kind of text from noise."""
from __future__ import annotations

import math
import random
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from elm import io, paths
from elm.detect import data as detect_data
from elm.detect import detectors
from elm.detect import metrics as detect_metrics
from elm.errors import ElmError
from elm.labels import GENERATED_LABEL, REAL_LABEL
from elm.models.format import format_post, prompt_for
from elm.models.manifest import write_manifest
from elm.models.transformers import score as hf_score
from elm.models.transformers import train as hf_train
from elm.params.classify import Classify
from elm.params.finetune import Finetune
from elm.params.validation import build, load
from stages import likelihood

from helpers import ROOT, VOCABULARY, posts
from stage_runner import TINY, run_stage, write_params

ACCOUNTS = ("sailor", "baker")
FEATURES = ["tokens", "mean_logprob", "mean_entropy", *hf_score.rank_bucket_names(), "curvature"]


def training_posts() -> pd.DataFrame:
    return pd.DataFrame([{"account": account, "text": text} for account in ACCOUNTS
                         for text in posts(VOCABULARY[account], 150, seed=3)])


def noise(count: int, seed: int) -> list[str]:
    """Random-character strings of post length: nothing the model was trained on."""
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyzQXZ0123456789#%&*?!"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(20, 60))) for _ in range(count)]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A scratch GPT-2 trained as the tiny profile's finetune trains it (a few seconds), with its manifest."""
    p = build(Finetune, TINY["finetune"], "finetune")
    docs = [format_post(a, t) for a, t in zip(*training_posts()[["account", "text"]].to_numpy().T)]
    out = tmp_path_factory.mktemp("likelihood-model")
    hf_train.finetune(docs, docs[:16], p, out, lambda step, metrics: None)
    write_manifest(out, backend="transformers", base_model="scratch", steps=p.max_steps)
    return out


@pytest.fixture(scope="module")
def scorer(model_dir):
    return likelihood.load_scorer(str(model_dir))


def mixed_posts() -> pd.DataFrame:
    """Training posts, noise and an empty text, of many lengths."""
    real = training_posts().sample(12, random_state=0)
    odd = pd.DataFrame({"account": "baker", "text": noise(6, seed=1) + ["", "x"]})
    return pd.concat([real, odd], ignore_index=True)


def test_features_are_sane(scorer):
    data = mixed_posts()

    features = likelihood.score(scorer, data, batch_size=4, max_tokens=128)

    assert list(features.columns) == ["text", "account", *FEATURES]
    assert features["text"].tolist() == data["text"].tolist()  # the sample's order is kept
    scored = features[features["tokens"] > 0]
    assert len(scored) == len(data) - 1  # only the empty text has no tokens
    assert (scored["mean_logprob"] <= 0).all()
    assert ((scored["mean_entropy"] >= 0) & (scored["mean_entropy"] <= math.log(len(scorer.tokenizer)) + 1e-4)).all()
    assert np.allclose(scored[hf_score.rank_bucket_names()].sum(axis=1), 1.0)
    # the tokens of the text, not of the `account:` prompt that conditions them
    tokenize = lambda s: len(scorer.tokenizer(s, add_special_tokens=False)["input_ids"])  # noqa: E731
    expected = [tokenize(format_post(a, t)) - tokenize(prompt_for(a)) if t else 0
                for a, t in zip(data["account"], data["text"])]
    assert features["tokens"].tolist() == expected


def test_max_tokens_caps_what_is_scored(scorer):
    data = pd.DataFrame({"account": "sailor", "text": [" ".join(VOCABULARY["sailor"] * 4)]})

    capped = likelihood.score(scorer, data, batch_size=1, max_tokens=5)

    assert capped["tokens"].iloc[0] == 5


def test_scoring_is_batch_size_invariant(scorer):
    data = mixed_posts()

    one = likelihood.score(scorer, data, batch_size=1, max_tokens=128)
    eight = likelihood.score(scorer, data, batch_size=8, max_tokens=128)

    assert (one["tokens"] == eight["tokens"]).all()
    assert np.abs(one[FEATURES].to_numpy() - eight[FEATURES].to_numpy()).max() < 1e-4


def test_the_detector_tells_training_text_from_noise(scorer):
    """Posts copied from the training text against random-character strings: far above chance."""
    real = training_posts().sample(80, random_state=1)
    data = pd.DataFrame({"account": list(real["account"]) + ["sailor"] * 80, "text": list(real["text"]) + noise(80, 2),
                         "label": [REAL_LABEL] * 80 + [GENERATED_LABEL] * 80})
    features = likelihood.score(scorer, data, batch_size=16, max_tokens=128)[FEATURES]
    train, test = detect_data.split(data["label"], 0.25, seed=0)
    y = data["label"].to_numpy()
    p = load(Classify, ROOT / "params.yaml")

    model, _ = detectors.DETECTORS["lm_likelihood"].fit(features.to_numpy()[train], y[train], p)

    X_test = features.to_numpy()[test]
    metrics = detect_metrics.evaluate(*detectors.verdicts(model, X_test), y[test])
    assert metrics["accuracy"] > 0.9 and metrics["roc_auc"] > 0.9, metrics
    # the model finds its training text likelier than noise
    assert features["mean_logprob"][y == 1].mean() > features["mean_logprob"][y == 0].mean()


def stage_dir(tmp_path, model_dir):
    shutil.copytree(model_dir, tmp_path / paths.MODEL_DIR)
    write_params(tmp_path, TINY)
    return tmp_path


def test_stage_writes_one_row_per_sampled_post(tmp_path, model_dir):
    project = stage_dir(tmp_path, model_dir)
    sample = mixed_posts().assign(label=[REAL_LABEL] * 12 + [GENERATED_LABEL] * 8)
    io.write_table(sample, project / paths.SAMPLE)

    done = run_stage("likelihood", project)

    features = pd.read_parquet(project / paths.LIKELIHOOD)
    assert features["text"].tolist() == sample["text"].tolist() and list(features.columns[2:]) == FEATURES
    assert "posts/s" in done.stdout and "mean log-prob per token, real" in done.stdout
    # what classify reads of it: the features, aligned with the sample
    read = detect_data.read_likelihood_features(sample[["text", "label", "account"]], str(project / paths.LIKELIHOOD))
    assert list(read.columns) == FEATURES
    assert "no base model to score with" in done.stderr  # the tiny profile trains from scratch


def test_the_base_model_scores_every_post_too_as_the_surrogate(tmp_path, model_dir):
    project = stage_dir(tmp_path, model_dir)
    # the base model: any model finetune.model can name; here the same tiny model, from its own folder, so both
    # views must agree post by post
    write_params(project, {**TINY, "finetune": {**TINY["finetune"], "model": str(model_dir)}})
    sample = mixed_posts().assign(label=[REAL_LABEL] * 12 + [GENERATED_LABEL] * 8)
    io.write_table(sample, project / paths.SAMPLE)

    done = run_stage("likelihood", project)

    features = pd.read_parquet(project / paths.LIKELIHOOD)
    assert list(features.columns[2:]) == FEATURES + [f"base_{name}" for name in FEATURES]
    for name in FEATURES:
        assert np.allclose(features[name], features[f"base_{name}"], atol=1e-4), name
    assert "base model, mean log-prob per token" in done.stdout
    # classify reads both, and keeps the base model's columns for its surrogate detectors
    read = detect_data.read_likelihood_features(sample[["text", "label", "account"]], str(project / paths.LIKELIHOOD))
    assert [c for c in read.columns if c.startswith("base_")] == [f"base_{name}" for name in FEATURES]


@pytest.mark.parametrize(("setup", "message"), [
    ("no model", r"models/finetuned/elm.json: not found.*dvc repro finetune"),
    ("no sample", r"data/sample/sample.parquet: not found; run `dvc repro sample`"),
    ("no text column", r"sample.parquet: missing column\(s\) text .*found: post, label, account.*dvc repro sample"),
])
def test_bad_input_is_a_clear_error(tmp_path, model_dir, setup, message):
    project = stage_dir(tmp_path, model_dir)
    if setup == "no model":
        shutil.rmtree(project / paths.MODEL_DIR)
    if setup != "no sample":
        table = mixed_posts().assign(label=REAL_LABEL)
        if setup == "no text column":
            table = table.rename(columns={"text": "post"})[["post", "label", "account"]]
        io.write_table(table, project / paths.SAMPLE)

    done = run_stage("likelihood", project, check=False)

    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert re.search(message, done.stderr), done.stderr
    assert not (project / paths.LIKELIHOOD).exists()


def test_a_backend_without_a_scorer_says_so(tmp_path):
    write_manifest(tmp_path, backend="gpt2simple", base_model="x")

    with pytest.raises(ElmError, match=r"'gpt2simple' backend, which cannot score posts; .*needs the transformers"):
        likelihood.load_scorer(str(tmp_path))
