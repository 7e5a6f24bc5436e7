"""The neural detector: a tiny scratch GPT-2 with a classification head, fine-tuned for real on CPU."""
from __future__ import annotations

import json
import types

import numpy as np
import pytest

from elm import io, paths
from elm.detect import data as detect_data
from elm.detect import detectors
from elm.detect.neural import SequenceClassifier
from elm.errors import ElmError
from elm.models.transformers import train as hf_train
from stages import classify

from helpers import separable, tiny_params

SCRATCH = types.SimpleNamespace(vocab_size=400, n_layer=2, n_head=2, n_embd=32)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A randomly initialised 2-layer GPT-2 and its BPE tokenizer, saved as the finetune stage saves one."""
    texts = list(separable(per_class=100)["text"])
    model, tokenizer = hf_train.scratch_model(texts, SCRATCH, seq_len=64)
    folder = tmp_path_factory.mktemp("tiny-gpt2")
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def classifier(model: str, seed: int = 0) -> SequenceClassifier:
    return SequenceClassifier(model, max_steps=60, batch_size=16, learning_rate=2e-3, max_tokens=32, precision="fp32",
                              threads=1, seed=seed)


def test_learns_an_easy_split_and_is_deterministic_for_a_seed(tiny_model):
    posts = separable(per_class=100)
    train, test = detect_data.split(posts["label"], 0.2, seed=0)
    texts, labels = posts["text"].to_numpy(), posts["label"].to_numpy()

    first = classifier(tiny_model).fit(texts[train], labels[train]).predict_proba(texts[test])
    again = classifier(tiny_model).fit(texts[train], labels[train]).predict_proba(texts[test])
    other_seed = classifier(tiny_model, seed=1).fit(texts[train], labels[train]).predict_proba(texts[test])

    accuracy = (SequenceClassifier.classes_[first.argmax(1)] == labels[test]).mean()
    assert accuracy > 0.9, accuracy
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other_seed)


def test_the_stage_reports_it_like_the_other_detectors(workdir, default_params, tiny_model):
    params_file = tiny_params(default_params)
    params_file["classify"]["neural"] = {"enabled": True, "model": tiny_model, "max_steps": 60, "batch_size": 16,
                                         "learning_rate": 2e-3, "max_tokens": 32, "precision": "fp32", "threads": 1}
    workdir.write_params(params_file)
    io.write_table(separable(per_class=60), paths.SAMPLE)

    classify.main()

    scores = json.loads(open(paths.CLASSIFY_SCORES).read())
    assert scores["neural"]["accuracy"] > 0.9 and scores["neural"]["roc_auc"] > 0.9, scores
    headline = json.loads(open(paths.CLASSIFY_METRICS).read())
    assert headline[detectors.accuracy_key(scores["neural"]["kind"])] >= scores["neural"]["accuracy"]


def test_a_model_that_cannot_load_is_a_clear_error(tmp_path):
    with pytest.raises(ElmError, match=r"classify.neural.model: cannot load .*nowhere.*classify.neural.enabled"):
        classifier(str(tmp_path / "nowhere")).fit(["a post", "another"], [0, 1])
