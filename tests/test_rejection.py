"""Discriminator rejection sampling (generate.rejection): it keeps posts that look real, learns from nothing the
evaluation sees, and keeps each account's share."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from elm import paths, rejection

from helpers import VOCABULARY, posts
from stage_runner import TINY, run_stage, write_params


def test_acceptance_grows_with_the_odds_of_real_and_gamma_keeps_fewer():
    logits = np.array([-3.0, -1.0, 0.0, 2.0])
    accept = rejection.acceptance(logits, gamma=0.0)
    assert np.all(np.diff(accept) > 0) and accept[-1] > 0.99
    assert np.all(rejection.acceptance(logits, gamma=2.0) < accept)


def test_the_posts_kept_look_real_and_none_of_the_discriminators_own_is_kept():
    train = pd.DataFrame({"account": ["sailor"] * 200 + ["baker"] * 100,
                          "text": posts(VOCABULARY["sailor"], 200, seed=1) + posts(VOCABULARY["baker"], 100, seed=2)})
    # half the generated posts read like the real ones, half like a model off voice
    like = posts(VOCABULARY["sailor"], 300, seed=3) + posts(VOCABULARY["baker"], 150, seed=4)
    unlike = posts(VOCABULARY["model"], 450, seed=5)
    generated = pd.DataFrame({"account": (["sailor"] * 300 + ["baker"] * 150) * 2, "text": like + unlike,
                              "real_like": [True] * 450 + [False] * 450})

    kept, counts = rejection.select(generated, train, posts=150, discriminator_posts=200, gamma=0.0, seed=0)

    assert counts["discriminator"] == 200 and counts["rejected"] > 0
    assert kept["real_like"].mean() > 0.9 > generated["real_like"].mean()
    shares = kept["account"].value_counts()  # at most each account's share (DRS may accept fewer than asked)
    assert 0 < shares["sailor"] <= 100 and 0 < shares["baker"] <= 50
    assert len(kept) + sum(counts.values()) == len(generated)
    again, _ = rejection.select(generated, train, posts=150, discriminator_posts=200, gamma=0.0, seed=0)
    assert again.equals(kept)  # seeded


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("rejection")
    write_params(cwd, TINY)
    for stage in ("scrape", "clean", "finetune"):
        run_stage(stage, cwd)
    return cwd


def test_the_generate_stage_samples_more_and_keeps_posts_as_asked(trained):
    params = json.loads(json.dumps(TINY))
    params["generate"]["rejection"] = {"enabled": True, "discriminator_posts": 20, "oversample": 1.0, "gamma": 0.0}
    write_params(trained, params)

    run_stage("generate", trained)

    breakdown = json.loads((trained / paths.GENERATE_BREAKDOWN).read_text())
    dropped = breakdown["dropped"]
    asked = params["generate"]["posts"]
    assert breakdown["posts_ended"] == asked + 20 + asked  # the discriminator's posts and one extra per post
    assert dropped["rejection_discriminator"] == 20 and breakdown["posts_kept"] <= asked
    written = pd.read_json(trained / paths.GENERATED, lines=True)
    assert len(written) == breakdown["posts_kept"] and written["settings"][0]["rejection"]["enabled"] is True
