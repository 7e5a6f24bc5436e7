"""Drawing the labelled sample the detectors learn from: N real posts stratified by account and N generated
posts at random, N capped by the smaller class."""
from __future__ import annotations

import numpy as np
import pandas as pd

from elm.cli import log
from elm.labels import GENERATED_LABEL, REAL_LABEL
from elm.proportions import stratified_counts

COLUMNS = ["text", "label", "account"]


def sample_size(posts_per_class: int, real_available: int, generated_available: int) -> int:
    """N posts per class: what was asked for, capped by the smaller class; warns when capped."""
    size = min(posts_per_class, real_available, generated_available)
    if size < posts_per_class:
        short = "generated" if generated_available < real_available else "real"
        fix = ("raise generate.posts" if short == "generated"
               else "raise clean.eval_fraction, add posts or accounts in `scrape`")
        log(f"warning: sample.posts_per_class is {posts_per_class} but only {size} {short} posts are "
            f"available; using {size} per class ({fix}, or lower sample.posts_per_class)")
    return size


def draw_sample(real: pd.DataFrame, generated: pd.DataFrame, size: int, seed: int) -> pd.DataFrame:
    """``size`` real posts stratified by account and ``size`` random generated posts, shuffled."""
    rng = np.random.default_rng(seed)
    counts = stratified_counts(real["account"].value_counts(), size)
    real_drawn = [real[real["account"] == account].sample(n=n, random_state=rng) for account, n in counts.items()]
    generated_drawn = generated.sample(n=size, random_state=rng)
    sample = pd.concat(
        [pd.concat(real_drawn).assign(label=REAL_LABEL), generated_drawn.assign(label=GENERATED_LABEL)],
        ignore_index=True,
    )
    return sample.sample(frac=1, random_state=rng).reset_index(drop=True)[COLUMNS]
