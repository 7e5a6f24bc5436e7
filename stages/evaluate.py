"""Measure how well the generated posts imitate each account: memorization, voice, sentiment, diversity, length.

Reads data/clean/posts.parquet (real posts: account, text, split train/eval), data/generated/posts.jsonl
(generated posts: account, text) and reports/generate/breakdown.json (the copy rates of `generate`).

  memorization  copy_rate and copy_rate_exact as `generate` measured them on every generated post, before
                it dropped the copies (the posts read here are what it kept, so none is a copy)
  voice         a TF-IDF + logistic regression classifier trained on the real train posts to tell the
                accounts apart. real_eval: share of real eval posts it attributes to their own account
                (how well accounts can be told apart at all); generated: share of posts generated "as"
                an account attributed to it. Compare the two, and with chance (1 / accounts)
  sentiment     VADER compound score of every post: shares positive (>= 0.05), negative (<= -0.05) and
                neutral, and the mean compound, real vs generated
  diversity     distinct-1/2 and self-BLEU-4 of evaluate.sample_posts real and as many generated posts
                (drawn at random, seeded; distinct-n falls as sets grow, so both sets have one size);
                self-BLEU averages evaluate.self_bleu_posts posts, each scored against the rest
  length        mean and median characters per post

Writes reports/metrics/evaluate.json, the headline `dvc exp show` compares an experiment by:
  voice_ratio        voice's generated / real_eval share over all accounts: 1 means generated posts carry their
                     account's voice as well as its real posts do
(the copy rate is generate.json's) and the directory reports/evaluate/:
  summary.json           every number above and more, by metric, then account (all_accounts: every post),
                         then real / generated; rounded to 4 places (what reports/index.html shows)
  voice.csv              account, real_eval, generated: attribution shares
  voice_predictions.csv  every generated post: text, account (generated as), predicted (attributed to)
  sentiment.csv          account, real_/generated_ positive, negative, neutral, mean_compound
  lengths.csv            chars (start of a 20-character bin), real, generated: share of posts per bin

Params (section `evaluate`): sample_posts, self_bleu_posts, seed. Same inputs and seed, same numbers.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from elm import cli, imitation, io, paths, sentiment
from elm.errors import ElmError
from elm.params.evaluate import Evaluate
from elm.params.validation import load

logger = logging.getLogger(__name__)



def read_copy_rates(path: str = paths.GENERATE_BREAKDOWN) -> dict[str, float]:
    """copy_rate and copy_rate_exact from the `generate` stage's breakdown."""
    try:
        metrics = json.loads(Path(path).read_text(encoding="utf-8"))
        return {key: float(metrics[key]) for key in ("copy_rate", "copy_rate_exact")}
    except FileNotFoundError:
        raise ElmError(f"{path}: not found; run `dvc repro generate` first") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise ElmError(f"{path}: no readable copy_rate / copy_rate_exact ({err}); rerun `dvc repro generate`") from None


def main(params_path: str = "params.yaml") -> None:
    p = load(Evaluate, params_path)
    real = io.read_posts(paths.CLEAN_POSTS, "clean", ["account", "text", "split"])
    generated = io.read_posts(paths.GENERATED, "generate", ["account", "text"])
    copy_rates = read_copy_rates()

    voice_result = imitation.voice(real, generated)
    logger.info(f"evaluate: VADER sentiment of {len(real) + len(generated)} posts")
    posts = pd.concat([real.assign(source="real"), generated.assign(source="generated")], ignore_index=True)
    posts["compound"] = sentiment.compound_scores(posts["text"])
    posts["chars"] = posts["text"].str.len()
    sentiments = imitation.by_account(posts, "compound", sentiment.sentiment_summary)
    metrics = {
        "posts": {"real": len(real), "generated": len(generated)},
        "memorization": copy_rates,
        "sentiment": sentiments,
        "diversity": imitation.sample_diversity(real, generated, p.sample_posts, p.self_bleu_posts, p.seed),
        "length": imitation.by_account(posts, "chars", imitation.length_summary),
    }
    if voice_result is not None:
        metrics["voice"] = voice_result.metrics()

    with io.outputs() as out:
        report_dir = out.directory(paths.EVALUATE_DIR)
        for name, table in imitation.report_tables(posts, sentiments, voice_result).items():
            out.table(table, report_dir / name)
        out.json(imitation.rounded(metrics), report_dir / Path(paths.EVALUATE_SUMMARY).name)
        out.json(imitation.rounded(imitation.headline(metrics)), paths.EVALUATE_METRICS)

    overall = sentiments[imitation.ALL]
    print(f"evaluate: positive posts, real {overall['real']['positive']:.1%} vs generated "
          f"{overall['generated']['positive']:.1%}; see {paths.EVALUATE_METRICS}")
    if voice_result is not None:
        shares = metrics["voice"][imitation.ALL]
        baseline = f"real eval posts: {shares['real_eval']:.1%}, " if "real_eval" in shares else ""
        print(f"evaluate: generated posts attributed to their own account: {shares['generated']:.1%} "
              f"({baseline}chance {shares['chance']:.1%})")


if __name__ == "__main__":
    cli.run(main, __doc__)
