"""What the `human` stage measures from readers' answers (``elm.human``): how often they told real posts from
generated ones, how much they agreed, how the detectors did on the same posts, and how they reacted (would
they follow the account? is the post upbeat?) to generated and to real posts.

Each reader's first answer to a post counts (``elm.human.first_answers``); shares come with the detectors'
own 95% Wilson interval (``elm.detect.metrics.accuracy_interval``). summary.json keeps the numbers of a round
(reports/human/summary.json); per-account, per-reader and per-rating tables go to the breakdown.
"""
from __future__ import annotations

import pandas as pd

from elm.detect.metrics import accuracy_interval
from elm.human import FIELDS, RATINGS, first_answers
from elm.labels import GENERATED_LABEL, REAL_LABEL

KINDS = {"generated": GENERATED_LABEL, "real": REAL_LABEL}  # the posts' kinds, as the headline names them


def proportion(values: pd.Series, name: str) -> dict:
    """How many ``values`` (True/False), the share that is True as ``name`` and its 95% Wilson interval as
    ``name``_low and ``name``_high (None each when there are no values)."""
    if values.empty:
        return {"answers": 0, name: None, f"{name}_low": None, f"{name}_high": None}
    low, high = accuracy_interval(values.to_numpy(dtype=bool))
    return {"answers": len(values), name: round(float(values.mean()), 4),
            f"{name}_low": round(low, 4), f"{name}_high": round(high, 4)}


def accuracy(correct: pd.Series) -> dict:
    return proportion(correct, "accuracy")


def reactions(judged: pd.DataFrame) -> dict[str, dict[str, dict]]:
    """For generated and for real posts: each rating's share of yes among the answers that gave it."""
    return {kind: {rating: proportion(rows[rating].dropna().astype(bool), "yes") for rating in RATINGS}
            for kind, rows in ((kind, judged[judged["label"] == label]) for kind, label in KINDS.items())}


def agreement(judged: pd.DataFrame) -> tuple[float | None, float | None, int]:
    """Over posts judged by several readers: the share of reader pairs that agreed, Fleiss' kappa (for
    varying readers per post; None when every answer was the same) and how many such posts."""
    votes = judged.groupby("post")["answer"].agg(real=lambda a: int((a == "real").sum()), n="size")
    several = votes[votes["n"] >= 2]
    if several.empty:
        return None, None, 0
    real, n = several["real"], several["n"]
    pairs = (real * (real - 1) + (n - real) * (n - real - 1)) / (n * (n - 1))
    observed = float(pairs.mean())
    share_real = real.sum() / n.sum()
    expected = share_real**2 + (1 - share_real) ** 2
    kappa = None if expected == 1 else round((observed - expected) / (1 - expected), 4)
    return round(observed, 4), kappa, len(several)


def reaction_headline(found: dict[str, dict[str, dict]] | None) -> dict:
    """summary.json's reaction numbers: follow_generated, follow_real, upbeat_generated, upbeat_real (the
    share of yes) and each one's count of answers that gave the rating (None and 0 with no answers)."""
    headline = {}
    for rating in RATINGS:
        for kind in KINDS:
            share = (found or {}).get(kind, {}).get(rating, {})
            headline[f"{rating}_{kind}"] = share.get("yes")
            headline[f"{rating}_{kind}_answers"] = share.get("answers", 0)
    return headline


METRIC_NAMES = {"accuracy": "readers_acc", "follow_generated": "follow_gen", "follow_real": "follow_real",
                "upbeat_generated": "upbeat_gen", "upbeat_real": "upbeat_real"}


def metrics(summary: dict) -> dict:
    """The DVC metrics of `human` (reports/metrics/human.json), what `dvc metrics diff` compares two runs by: the
    readers' accuracy and their reactions, from summary.json's numbers under short names (None with no answers)."""
    return {short: summary.get(name) for name, short in METRIC_NAMES.items()}


def no_answers() -> tuple[dict, dict]:
    headline = {"answers": 0, "readers": 0, "posts_judged": 0, "accuracy": None, "accuracy_low": None,
                "accuracy_high": None, "pairwise_agreement": None, "fleiss_kappa": None,
                "best_detector_accuracy": None, "stale_answers": 0, **reaction_headline(None),
                "status": "no answers yet: run `python -m stages.judge`, then `dvc repro human`"}
    return headline, {}


def measure(answers: list[dict], posts: pd.DataFrame) -> tuple[dict, dict]:
    """summary.json's numbers and breakdown.json's tables, from the answers (each reader's first answer
    to a post; the later ones are counted as duplicates_dropped) and the judged test posts (``judge_posts``:
    label 1 real / 0 generated, account, the detectors' *_pred columns)."""
    answers, duplicates = first_answers(answers)
    table = pd.DataFrame(answers, columns=list(FIELDS))
    known = table["post"].isin(posts.index)
    stale = int((~known).sum())
    judged = table[known].join(posts.drop(columns="id"), on="post")
    if judged.empty:
        headline, _ = no_answers()
        return {**headline, "stale_answers": stale}, {"duplicates_dropped": duplicates}
    judged["correct"] = (judged["answer"] == "real") == (judged["label"] == REAL_LABEL)
    votes = judged.groupby("post").agg(real=("answer", lambda a: (a == "real").mean()), readers=("answer", "size"),
                                       label=("label", "first"))
    decided = votes[votes["real"] != 0.5]
    majority_correct = (decided["real"] > 0.5) == (decided["label"] == REAL_LABEL)
    majority = round(float(majority_correct.mean()), 4) if len(decided) else None
    same_posts = {"readers (each answer)": accuracy(judged["correct"]),
                  "readers (majority vote)": {"answers": len(decided), "accuracy": majority}}
    seen = posts.loc[votes.index]
    for column in (c for c in posts.columns if c.endswith("_pred")):
        predicted = pd.to_numeric(seen[column], errors="coerce")
        same_posts[column.removesuffix("_pred")] = {"answers": len(seen),
                                                    "accuracy": round(float((predicted == seen["label"]).mean()), 4)}
    detector_scores = [row["accuracy"] for name, row in same_posts.items() if not name.startswith("readers")]
    pairwise, kappa, several = agreement(judged)
    by_count = {}
    for count, group in decided.assign(ok=majority_correct).groupby("readers"):
        by_count[str(count)] = {"posts": len(group), "majority_accuracy": round(float(group["ok"].mean()), 4)}
    overall = accuracy(judged["correct"])
    reacted = reactions(judged)
    headline = {"answers": len(judged), "readers": int(judged["reader"].nunique()), "posts_judged": len(votes),
                "accuracy": overall["accuracy"], "accuracy_low": overall["accuracy_low"],
                "accuracy_high": overall["accuracy_high"], "pairwise_agreement": pairwise, "fleiss_kappa": kappa,
                "best_detector_accuracy": max(detector_scores, default=None), "stale_answers": stale,
                **reaction_headline(reacted)}
    breakdown = {
        "same_posts": same_posts,
        "per_account": {str(a): accuracy(g["correct"]) for a, g in judged.groupby("account", sort=True)},
        "per_reader": {str(r): accuracy(g["correct"]) for r, g in judged.groupby("reader", sort=True)},
        "per_readers_per_post": by_count,
        "agreement": {"posts_with_several_readers": several, "pairwise_agreement": pairwise, "fleiss_kappa": kappa},
        "ratings": reacted,
        "ratings_per_account": {str(a): reactions(g) for a, g in judged.groupby("account", sort=True)},
        "duplicates_dropped": duplicates,
    }
    return headline, breakdown
