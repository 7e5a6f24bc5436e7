"""Score every sampled post with the fine-tuned model, and with its base model: how likely each finds its tokens.

Reads models/finetuned (elm.json says which backend wrote it; scoring needs the `transformers` backend) and
data/sample/sample.parquet (text, label, account). Each post is scored as training formatted it, `account: text`
after the end token, so the model is conditioned on the account's voice; only the tokens of the text count (at
most likelihood.max_tokens of them). A model samples its own likeliest tokens, so its generated posts tend to
score higher log-probs, more top-ranked tokens (GLTR, Gehrmann et al. 2019) and a higher conditional probability
curvature (Fast-DetectGPT, Bao et al. 2024) than real ones: classify's lm_likelihood and curvature detectors learn
that. The fine-tuned model's view is white-box (only whoever holds the generator's weights has it); with
likelihood.surrogate, the base model `finetune.model` names scores every post too, as a reader with the public
model only could (classify's *_base detectors, black-box). A `scratch` model has no base model to score with.

Writes data/sample/likelihood.parquet, one row per sample row in the same order (text and account
repeated, so classify can check they belong together), then per model (the base model's columns prefixed base_):
  tokens          tokens scored
  mean_logprob    mean natural-log probability of each token given the ones before it (<= 0)
  mean_entropy    mean entropy of the model's next-token distribution (nats)
  rank_1, rank_2_10, rank_11_100, rank_101_1000, rank_over_1000
                  shares of the tokens whose rank among the model's predictions falls in each bucket
                  (rank 1: the model's top choice); they sum to 1
  curvature       Fast-DetectGPT's analytic sampling discrepancy, the model as its own sampler (higher:
                  likelier to be the model's own text)

Params (section `likelihood`): batch_size (posts per forward pass; the features do not depend on
it), max_tokens, precision (auto: bf16 autocast where it is faster, see elm/models/precision.py;
bf16; fp32), threads (torch CPU threads, 0: torch's default), surrogate; and finetune.model (the base model).
"""
from __future__ import annotations

import gc
import logging
import sys
import time

import pandas as pd
from tqdm import tqdm

from elm import cli, io, paths
from elm.errors import ElmError
from elm.labels import LABEL_NAMES
from elm.models.format import format_post, prompt_for
from elm.models.manifest import read_manifest
from elm.models.transformers.score import Scorer
from elm.params.likelihood import Likelihood
from elm.params.validation import load, read_value

logger = logging.getLogger(__name__)


def read_sample(path: str = paths.SAMPLE) -> pd.DataFrame:
    """The account and text of every sampled post, in the sample's order."""
    posts = io.read_table(path, "sample", required=("text", "account"))
    table = posts[["text", "account"]].fillna("").astype(str).reset_index(drop=True)
    if "label" in posts.columns:
        table["label"] = posts["label"].to_numpy()
    return table


def load_scorer(model_dir: str = paths.MODEL_DIR, precision: str = "fp32") -> Scorer:
    """The transformers backend's scorer of ``model_dir``, with a clear error for a model another backend wrote."""
    backend = read_manifest(model_dir).get("backend", "")
    if backend != "transformers":
        raise ElmError(f"{model_dir}: written by the {backend!r} backend, which cannot score posts; the likelihood "
                       "detector needs the transformers backend (finetune.backend: transformers), or set "
                       "classify.lm_likelihood.enabled to false and skip this stage")
    return Scorer(model_dir, precision)


def split_post(account: str, text: str) -> tuple[str, str]:
    """A post's training line cut where generation starts: the prompt (``account:``) and the rest (`` text``)."""
    line, prompt = format_post(account, text), prompt_for(account)
    assert line.startswith(prompt), "format_post must begin with prompt_for"
    return prompt, line[len(prompt):] if text else ""  # an empty post has no tokens to score


def score(scorer, posts: pd.DataFrame, batch_size: int, max_tokens: int) -> pd.DataFrame:
    """The likelihood features of every post (columns text, account, then the features), in order.

    Posts are scored longest first, so each batch pads little; the order does not change a post's features."""
    encoded = [scorer.encode(*split_post(account, text), max_tokens) for account, text in zip(posts["account"], posts["text"])]
    order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i][0]))
    rows: list[dict | None] = [None] * len(encoded)
    with tqdm(total=len(encoded), desc="likelihood", unit="post", file=sys.stderr) as bar:
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            for i, features in zip(batch, scorer.features([encoded[i] for i in batch])):
                rows[i] = features
            bar.update(len(batch))
    return pd.concat([posts[["text", "account"]].reset_index(drop=True), pd.DataFrame(rows)], axis=1)


BASE_PREFIX = "base_"  # the base model's columns


def main(params_path: str = "params.yaml") -> None:
    p = load(Likelihood, params_path)
    if p.threads:
        import torch  # here, so that `--help` needs no torch

        torch.set_num_threads(p.threads)
    posts = read_sample()
    started = time.perf_counter()
    features = score(load_scorer(precision=p.precision), posts, p.batch_size, p.max_tokens)
    base_model = read_value("finetune", "model", params_path)
    if p.surrogate and base_model == "scratch":
        logger.warning("likelihood: finetune.model is scratch, so there is no base model to score with: the "
                       "surrogate (black-box) likelihood features are left out")
    elif p.surrogate:
        gc.collect()  # the fine-tuned model's memory, before the base model loads
        logger.info(f"likelihood: scoring with the base model {base_model} (the black-box detectors' surrogate)")
        base = score(Scorer(base_model, p.precision), posts, p.batch_size, p.max_tokens)
        features = pd.concat([features, base.drop(columns=["text", "account"]).add_prefix(BASE_PREFIX)], axis=1)
    seconds = time.perf_counter() - started
    io.write_table(features, paths.LIKELIHOOD)
    print(f"likelihood: scored {len(features)} posts ({int(features['tokens'].sum())} tokens) in {seconds:.1f} s, "
          f"{len(features) / max(seconds, 1e-9):.1f} posts/s")
    if "label" in posts.columns:
        for prefix, model in (("", "fine-tuned"), (BASE_PREFIX, "base")):
            if f"{prefix}mean_logprob" in features.columns:
                means = features[f"{prefix}mean_logprob"].groupby(posts["label"].to_numpy()).mean()
                print(f"likelihood: {model} model, mean log-prob per token, " + ", ".join(
                    f"{LABEL_NAMES.get(label, label)} {value:.3f}" for label, value in
                    means.sort_index(ascending=False).items()))


if __name__ == "__main__":
    cli.run(main, __doc__)
