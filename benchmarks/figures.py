"""The figures of one imitation run, and tables of them over seeds: what benchmarks/imitation.py prints.

A run's figures come from the files its stages wrote: every detector's accuracy, ROC AUC and true positive rate
at 1% false positives (by kind: text only, surrogate, white-box), own-account attribution of generated and real
held-out posts per account, diversity, length distance, copy rate. Over several seeds each figure is shown as
mean ± standard deviation with the per-seed values; a sweep row marks with ≈ a difference from the baseline that
lies inside the spread (smaller than the two standard deviations combined).
"""
from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pandas as pd
from scipy.stats import ks_2samp

from elm import paths
from elm.detect.kinds import KINDS
from elm.labels import GENERATED_LABEL, REAL_LABEL

DETECTOR_FIGURES = ("accuracy", "roc_auc", "tpr_at_1pct_fpr")
PERCENT = "%"  # a figure shown as a percentage; anything else with 3 places


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def dig(data, *keys):
    """data[k1][k2]... or None where a key is missing (another version of a stage may name fewer metrics)."""
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def ratio(generated, real):
    return generated / real if generated is not None and real else None


def length_distances(sample: pd.DataFrame) -> dict[str, float]:
    """Per account: the KS statistic between the character lengths of its real and generated sampled posts."""
    result = {}
    for account, posts in sample.groupby("account"):
        real = posts.loc[posts["label"] == REAL_LABEL, "text"].str.len()
        generated = posts.loc[posts["label"] == GENERATED_LABEL, "text"].str.len()
        if len(real) and len(generated):
            result[str(account)] = float(ks_2samp(real, generated).statistic)
    return result


def detectors(project: Path) -> dict[str, dict]:
    """name -> {kind, accuracy, roc_auc, tpr_at_1pct_fpr, accuracy_low, accuracy_high} of one run."""
    scores = read_json(project / paths.CLASSIFY_SCORES)
    return {name: value for name, value in scores.items() if isinstance(value, dict) and "accuracy" in value}


def figures(project: Path) -> dict[tuple[str, str], tuple[float | None, str]]:
    """(section, figure) -> (value, format) of one run, in the order the table shows them."""
    found = detectors(project)
    scores, evaluate = read_json(project / paths.CLASSIFY_SCORES), read_json(project / paths.EVALUATE_SUMMARY)
    generate = read_json(project / paths.GENERATE_METRICS)
    clean = read_json(project / paths.CLEAN_BREAKDOWN)
    rows: dict[tuple[str, str], tuple[float | None, str]] = {}
    for kind in KINDS:
        ran = [value for value in found.values() if value.get("kind") == kind]
        best = max(ran, key=lambda value: value["accuracy"], default={})
        rows[("strongest detector of each kind: accuracy (50% cannot tell)", kind)] = (best.get("accuracy"), PERCENT)
    rows[("leak check", "warned (share of runs)")] = (float(bool(scores.get("leak_warning"))), PERCENT)
    voice = dig(evaluate, "voice") or {}
    section = "own-account attribution: generated / real held-out (ratio)"
    for account, shares in voice.items():
        train = dig(clean, "accounts", account, "split", "train")
        label = "all accounts" if account == "all_accounts" else f"{account} ({train} training posts)"
        rows[(section, f"{label}: generated")] = (dig(shares, "generated"), PERCENT)
        rows[(section, f"{label}: real held-out")] = (dig(shares, "real_eval"), PERCENT)
        rows[(section, f"{label}: ratio")] = (ratio(dig(shares, "generated"), dig(shares, "real_eval")), PERCENT)
    for metric in ("distinct_2", "self_bleu"):
        for side in ("generated", "real"):
            rows[("diversity", f"{metric.replace('_', '-')}, {side}")] = (dig(evaluate, "diversity", side, metric), "")
    sample_path = project / paths.SAMPLE
    if sample_path.exists():
        for account, statistic in length_distances(pd.read_parquet(sample_path)).items():
            rows[("length distance, KS statistic (0: same lengths)", account)] = (statistic, "")
    rows[("memorization", "copy rate")] = (generate.get("copy_rate"), PERCENT)
    return rows


def show(value: float | None, form: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.1%}" if form == PERCENT else f"{value:.3f}"


def spread(values: list[float | None], form: str) -> str:
    """mean ± sd of the values there are (the value alone for one run)."""
    present = [v for v in values if v is not None]
    if not present:
        return "n/a"
    if len(present) == 1:
        return show(present[0], form)
    return f"{show(statistics.mean(present), form)} ± {show(statistics.stdev(present), form)}"


def detector_table(projects: list[Path]) -> str:
    """Every detector over the runs, grouped by kind: accuracy, ROC AUC and TPR at 1% FPR as mean ± sd."""
    runs = [detectors(project) for project in projects]
    names = list(dict.fromkeys(name for run in runs for name in run))
    lines = ["| detector | kind | accuracy | ROC AUC | TPR at 1% FPR | accuracy per seed |",
             "|---|---|---:|---:|---:|---|"]
    for kind in KINDS:
        for name in names:
            values = [run.get(name, {}) for run in runs]
            if not any(v.get("kind") == kind for v in values):
                continue
            cells = [spread([v.get(figure) for v in values], "" if figure == "roc_auc" else PERCENT)
                     for figure in DETECTOR_FIGURES]
            per_seed = ", ".join(show(v.get("accuracy"), PERCENT) for v in values)
            lines.append(f"| {name} | {kind} | {' | '.join(cells)} | {per_seed} |")
    return "\n".join(lines)


def figure_table(projects: list[Path]) -> str:
    """Every other figure over the runs: mean ± sd and the per-seed values, section by section."""
    runs = [figures(project) for project in projects]
    keys = list(dict.fromkeys(key for run in runs for key in run))
    lines, section = ["| figure | mean ± sd | per seed |", "|---|---:|---|"], None
    for key in keys:
        if key[0] != section:
            section = key[0]
            lines.append(f"| **{section}** | | |")
        form = next(run[key][1] for run in runs if key in run)
        values = [run.get(key, (None, form))[0] for run in runs]
        lines.append(f"| {key[1]} | {spread(values, form)} | {', '.join(show(v, form) for v in values)} |")
    return "\n".join(lines)


SWEEP_FIGURES = {  # column -> (section, figure) of figures()
    "text only": ("strongest detector of each kind: accuracy (50% cannot tell)", "text only"),
    "surrogate": ("strongest detector of each kind: accuracy (50% cannot tell)", "surrogate"),
    "white-box": ("strongest detector of each kind: accuracy (50% cannot tell)", "white-box"),
    "attribution ratio": ("own-account attribution: generated / real held-out (ratio)", "all accounts: ratio"),
    "copy rate": ("memorization", "copy rate"),
}


def sweep_row(runs: list[dict]) -> dict[str, list[float | None]]:
    """One setting's comparable figures over its runs (``figures`` of each seed's run): the strongest detector of
    each kind, the attribution ratio overall and the lowest account's, distinct-2 of generated posts, the copy
    rate."""
    row = {column: [run.get(key, (None, ""))[0] for run in runs] for column, key in SWEEP_FIGURES.items()}
    row["lowest account's attribution ratio"] = [
        min((value for (section, figure), (value, _) in run.items() if figure.endswith(": ratio")
             and not figure.startswith("all accounts") and value is not None), default=None) for run in runs]
    row["distinct-2 generated"] = [run.get(("diversity", "distinct-2, generated"), (None, ""))[0] for run in runs]
    return row


def inside_spread(a: list[float | None], b: list[float | None]) -> bool:
    """Whether two settings' means differ by less than their standard deviations combined (needs 2+ runs each)."""
    a, b = [v for v in a if v is not None], [v for v in b if v is not None]
    if len(a) < 2 or len(b) < 2:
        return False
    return abs(statistics.mean(a) - statistics.mean(b)) < math.hypot(statistics.stdev(a), statistics.stdev(b))


def sweep_table(rows: list[tuple[str, dict[str, list[float | None]]]]) -> str:
    """One row per setting, mean ± sd over seeds; ≈ marks a difference from the first row (the baseline) inside
    the spread."""
    columns = list(dict.fromkeys(column for _, row in rows for column in row))
    lines = ["| setting | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    baseline = rows[0][1] if rows else {}
    for number, (setting, row) in enumerate(rows):
        cells = []
        for column in columns:
            form = "" if column.startswith("distinct") else PERCENT
            cell = spread(row.get(column, []), form) if row else "n/a"
            if number and row and inside_spread(row.get(column, []), baseline.get(column, [])):
                cell += " ≈"
            cells.append(cell)
        lines.append(f"| {setting} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
