"""Measure how well the generated posts imitate each account: memorization, voice, sentiment, diversity, length.

Reads data/clean/posts.parquet (real posts: account, text, split train/eval), data/generated/posts.jsonl
(generated posts: account, text) and reports/metrics/generate.json (the copy counts of `generate`).

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

Writes reports/metrics/evaluate.json, the headline numbers an experiment is compared by:
  voice_generated, voice_real_eval  attribution shares over all accounts (see voice)
  voice_ratio        voice_generated / voice_real_eval: 1 means generated posts carry their account's voice
                     as well as its real posts do
  distinct_2_gap, self_bleu_gap, positive_gap, mean_chars_gap
                     generated minus real: distinct-2, self-BLEU, share of positive posts, mean length
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
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from elm import cli, imitation, io, params, results, sentiment
from elm.errors import ElmError

REAL = "data/clean/posts.parquet"
GENERATED = "data/generated/posts.jsonl"
GENERATE_METRICS = "reports/metrics/generate.json"
METRICS = results.EVALUATE_METRICS
REPORT_DIR = "reports/evaluate"
SUMMARY = results.EVALUATE_SUMMARY
LENGTH_BIN_CHARS = 20
DECIMALS = 4


def read_posts(path: str, stage: str, columns: list[str]) -> pd.DataFrame:
    """``columns`` of every post with non-blank text in an earlier stage's output."""
    posts = io.read_table(path, stage_hint=stage)
    missing = [column for column in columns if column not in posts.columns]
    if missing:
        raise ElmError(f"{path}: missing column(s) {', '.join(missing)}; rerun `dvc repro {stage}`")
    posts = posts[columns].fillna("").astype(str)
    posts = posts[posts["text"].str.strip() != ""].reset_index(drop=True)
    if posts.empty:
        raise ElmError(f"{path} holds no posts with text; check the `{stage}` stage and rerun `dvc repro {stage}`")
    return posts


def read_copy_rates(path: str = GENERATE_METRICS) -> dict[str, float]:
    """copy_rate and copy_rate_exact from the `generate` stage's metrics."""
    try:
        metrics = json.loads(Path(path).read_text(encoding="utf-8"))
        return {key: float(metrics[key]) for key in ("copy_rate", "copy_rate_exact")}
    except FileNotFoundError:
        raise ElmError(f"{path}: not found; run `dvc repro generate` first") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise ElmError(f"{path}: no readable copy_rate / copy_rate_exact ({err}); rerun `dvc repro generate`") from None


@dataclass(frozen=True)
class Voice:
    """What the voice classifier found."""

    shares: pd.DataFrame  # index: all_accounts then each account; columns real_eval, generated (NaN: no posts)
    chance: float  # the share a classifier guessing at random would attribute rightly
    attributions: pd.DataFrame  # each generated post: text, account (generated as), predicted (attributed to)

    def metrics(self) -> dict:
        by_account = {account: row.dropna().to_dict() for account, row in self.shares.iterrows()}
        by_account[imitation.ALL]["chance"] = self.chance
        return by_account


def voice(real: pd.DataFrame, generated: pd.DataFrame) -> Voice | None:
    """Train the voice classifier on the real train posts; attribute the real eval posts and the
    generated ones. None (with a note) when the real train posts hold fewer than two accounts."""
    train, held_out = real[real["split"] == "train"], real[real["split"] == "eval"]
    accounts = sorted(train["account"].unique())
    if len(accounts) < 2:
        print("evaluate: voice skipped, the real train posts hold fewer than two accounts", file=sys.stderr)
        return None
    unknown = sorted(set(generated["account"]) - set(accounts))
    if unknown:
        print(f"evaluate: no real train posts for {', '.join(unknown)}: their generated posts cannot be "
              "attributed to them", file=sys.stderr)
    print(f"evaluate: voice classifier on {len(train)} real train posts, {len(accounts)} accounts", file=sys.stderr)
    classifier = imitation.fit_voice_classifier(train["text"], train["account"])
    predicted = classifier.predict(generated["text"])
    shares = {"real_eval": {}, "generated": imitation.attribution_rates(generated["account"], predicted)}
    if held_out.empty:
        print("evaluate: no real eval posts (clean.eval_fraction 0): no real_eval baseline", file=sys.stderr)
    else:
        shares["real_eval"] = imitation.attribution_rates(held_out["account"], classifier.predict(held_out["text"]))
    table = pd.DataFrame(shares, columns=["real_eval", "generated"], dtype=float)
    table = table.reindex([imitation.ALL, *sorted(set(table.index) - {imitation.ALL})]).rename_axis("account")
    attributions = generated.assign(predicted=predicted)[["text", "account", "predicted"]]
    return Voice(table, 1 / len(accounts), attributions)


def diversity(real: pd.DataFrame, generated: pd.DataFrame, p: params.Evaluate) -> dict:
    """distinct-1/2 and self-BLEU of equal-size random samples of real and generated posts."""
    real_texts, generated_texts = imitation.equal_samples(
        list(real["text"]), list(generated["text"]), p.sample_posts, p.seed)
    print(f"evaluate: diversity of {len(real_texts)} real and {len(generated_texts)} generated posts", file=sys.stderr)
    return {
        "sample_posts": len(real_texts),
        **{source: imitation.diversity(texts, p.self_bleu_posts, p.seed)
           for source, texts in (("real", real_texts), ("generated", generated_texts))},
    }


def wide_table(summaries: dict[str, dict[str, dict]], fields) -> pd.DataFrame:
    """One row per account, columns <source>_<field> (e.g. generated_positive), from by_account's result."""
    rows = [{"account": account, **{f"{source}_{field}": summary.get(source, {}).get(field)
                                    for source in ("real", "generated") for field in fields}}
            for account, summary in summaries.items()]
    return pd.DataFrame(rows)


def rounded(value):
    """``value`` with every float in it rounded to DECIMALS places."""
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    return round(value, DECIMALS) if isinstance(value, float) else value


def headline(summary: dict) -> dict:
    """The few numbers of ``summary`` a person compares across experiments (reports/metrics/evaluate.json)."""
    every = imitation.ALL
    gap = lambda part, field: (summary[part][every]["generated"][field] - summary[part][every]["real"][field])  # noqa: E731
    diversity_gap = lambda field: (summary["diversity"]["generated"].get(field, float("nan"))  # noqa: E731
                                   - summary["diversity"]["real"].get(field, float("nan")))
    numbers = {"distinct_2_gap": diversity_gap("distinct_2"), "self_bleu_gap": diversity_gap("self_bleu"),
               "positive_gap": gap("sentiment", "positive"), "mean_chars_gap": gap("length", "mean_chars")}
    voice_all = summary.get("voice", {}).get(every, {})
    if "generated" in voice_all:
        numbers["voice_generated"] = voice_all["generated"]
    if "real_eval" in voice_all:
        numbers["voice_real_eval"] = voice_all["real_eval"]
        numbers["voice_ratio"] = voice_all["generated"] / voice_all["real_eval"] if voice_all["real_eval"] else None
    return {key: value for key, value in numbers.items() if value is None or value == value}  # NaN: not measured


def report_tables(posts: pd.DataFrame, sentiments: dict, voice_result: Voice | None) -> dict[str, pd.DataFrame]:
    """The CSV files of reports/evaluate/ by name."""
    chars = {source: posts.loc[posts["source"] == source, "chars"] for source in ("real", "generated")}
    tables = {
        "sentiment.csv": wide_table(sentiments, sentiment.SENTIMENT_FIELDS).round(DECIMALS),
        "lengths.csv": imitation.length_histogram(chars, LENGTH_BIN_CHARS).round(DECIMALS),
    }
    if voice_result is not None:
        tables["voice.csv"] = voice_result.shares.round(DECIMALS).reset_index()
        tables["voice_predictions.csv"] = voice_result.attributions
    return tables


def main(params_path: str = "params.yaml") -> None:
    p = params.load("evaluate", params_path)
    real = read_posts(REAL, "clean", ["account", "text", "split"])
    generated = read_posts(GENERATED, "generate", ["account", "text"])
    copy_rates = read_copy_rates()

    voice_result = voice(real, generated)
    print(f"evaluate: VADER sentiment of {len(real) + len(generated)} posts", file=sys.stderr)
    posts = pd.concat([real.assign(source="real"), generated.assign(source="generated")], ignore_index=True)
    posts["compound"] = sentiment.compound_scores(posts["text"])
    posts["chars"] = posts["text"].str.len()
    sentiments = imitation.by_account(posts, "compound", sentiment.sentiment_summary)
    metrics = {
        "posts": {"real": len(real), "generated": len(generated)},
        "memorization": copy_rates,
        "sentiment": sentiments,
        "diversity": diversity(real, generated, p),
        "length": imitation.by_account(posts, "chars", imitation.length_summary),
    }
    if voice_result is not None:
        metrics["voice"] = voice_result.metrics()

    with io.atomic_path(REPORT_DIR, directory=True) as report_dir:
        for name, table in report_tables(posts, sentiments, voice_result).items():
            io.write_table(table, report_dir / name)
        io.write_json(rounded(metrics), report_dir / Path(SUMMARY).name)
    io.write_json(rounded(headline(metrics)), METRICS)

    overall = sentiments[imitation.ALL]
    print(f"evaluate: positive posts, real {overall['real']['positive']:.1%} vs generated "
          f"{overall['generated']['positive']:.1%}; see {METRICS}")
    if voice_result is not None:
        shares = metrics["voice"][imitation.ALL]
        baseline = f"real eval posts: {shares['real_eval']:.1%}, " if "real_eval" in shares else ""
        print(f"evaluate: generated posts attributed to their own account: {shares['generated']:.1%} "
              f"({baseline}chance {shares['chance']:.1%})")


if __name__ == "__main__":
    cli.run(main, __doc__)
