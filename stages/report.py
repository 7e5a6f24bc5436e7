"""Write the run's results as one self-contained web page: reports/index.html.

Open the file in any browser, offline: the figures are embedded as base64 data URIs, the style is
inline, there is no JavaScript and nothing is fetched (a Content-Security-Policy forbids both).

Reads, required (written by `classify`):
  reports/classify/scores.json     every detector's accuracy with its 95% interval, ROC AUC and F1,
                                   leak_warning; detectors are read from the file, so new ones show up
  reports/classify/predictions.csv the test posts with label (1 real, 0 generated), account and each
                                   detector's <detector>_prob (P(real))
Reads, optional (the page says which are missing, e.g. in study mode where only `classify` ran):
  reports/metrics/evaluate.json    copy rates, distinct-n, self-BLEU, sentiment, voice attribution, length
  reports/train/metrics.json       the fine-tuning's final train/eval loss and perplexity
  reports/metrics/sample.json      the sample's size and what the optimism filter (sample.min_sentiment) removed
  reports/figures/*.png            every figure `plots` drew

Per account the page shows the generated test posts the strongest detector (the one with the highest
accuracy) found most convincing (highest P(real)) and least convincing, beside real test posts of the
same account (the first ones in the test split's shuffled order), report.examples_per_account of each.
Every post is HTML-escaped: posts are untrusted text and show as text, markup included.

Params (section `report`): examples_per_account.
"""
from __future__ import annotations

import base64
import html
import json
import math
import sys
from pathlib import Path

import pandas as pd

from elm import cli, io, params
from elm.detect import leak
from elm.errors import ElmError
from elm.labels import GENERATED_LABEL, REAL_LABEL

CLASSIFY_METRICS = "reports/classify/scores.json"
PREDICTIONS = "reports/classify/predictions.csv"
EVALUATE_METRICS = "reports/metrics/evaluate.json"
TRAIN_METRICS = "reports/train/metrics.json"
SAMPLE_METRICS = "reports/metrics/sample.json"
FIGURE_DIR = "reports/figures"
PAGE = "reports/index.html"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NO_ACCOUNT = "(no account given)"
ALL_ACCOUNTS = "all_accounts"  # evaluate.json's row of every post
SCORE_FIELDS = {  # detector field: column heading; the interval joins accuracy_low and accuracy_high
    "accuracy": "accuracy",
    "roc_auc": "ROC AUC",
    "f1": "F1 (real positive)",
}
# No scripts, no fetches: only inline style and data: images.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; } th { background: #f3f3f3; }
tr.strongest td { font-weight: bold; }
.warning { background: #fde2e1; border: 3px solid #c0392b; color: #7b1d14; padding: 0.8em 1em; font-size: 1.15em; }
.missing { background: #fff6d6; border: 1px solid #d9b500; padding: 0.6em 1em; }
.note { color: #555; }
figure { margin: 1em 0 2em; } figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
.examples { display: grid; grid-template-columns: repeat(3, 1fr); gap: 1em; }
.examples h4 { margin: 0.3em 0; }
.post { border: 1px solid #ddd; border-radius: 6px; padding: 0.5em 0.7em; margin: 0 0 0.6em;
        white-space: pre-wrap; overflow-wrap: anywhere; }
.post .score { display: block; color: #666; font-size: 0.85em; margin-top: 0.3em; }
.most { border-left: 5px solid #2e8b57; } .least { border-left: 5px solid #c0392b; } .real { border-left: 5px solid #3060c0; }
"""


def esc(value) -> str:
    """``value`` as text safe inside HTML elements and quoted attributes."""
    return html.escape(str(value), quote=True)


# --- Reading the inputs ---


def read_json(path: str, stage: str, required: bool) -> dict | None:
    """A metrics file as a dict; None when an optional one is missing. A corrupt file always fails."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        if not required:
            return None
        raise ElmError(f"{path}: not found; run `dvc repro {stage}` first") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ElmError(f"{path}: not readable JSON ({err}); rerun `dvc repro {stage}`") from None
    if not isinstance(data, dict):
        raise ElmError(f"{path}: expected a JSON object, got {type(data).__name__}; rerun `dvc repro {stage}`")
    return data


def read_predictions(path: str = PREDICTIONS) -> pd.DataFrame:
    """The classify stage's test posts: text, label, account ("" when none) and the *_prob columns."""
    predictions = io.read_table(path, stage_hint="classify")
    missing = [column for column in ("text", "label") if column not in predictions.columns]
    if missing:
        raise ElmError(f"{path}: missing column(s) {', '.join(missing)}; rerun `dvc repro classify`")
    labels = pd.to_numeric(predictions["label"], errors="coerce")
    if not labels.isin([REAL_LABEL, GENERATED_LABEL]).all():
        raise ElmError(f"{path}: label must be 1 (real) or 0 (generated) in every row; rerun `dvc repro classify`")
    predictions = predictions.assign(label=labels.astype(int), text=predictions["text"].astype(str))
    if "account" not in predictions.columns:
        predictions["account"] = ""
    predictions["account"] = predictions["account"].astype(str)
    return predictions


def read_figures(folder: str = FIGURE_DIR) -> dict[str, bytes] | None:
    """Every PNG in ``folder`` by file name, sorted; None when the folder is missing."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    figures = {}
    for path in sorted(folder.glob("*.png")):
        data = path.read_bytes()
        if not data.startswith(PNG_MAGIC):
            raise ElmError(f"{path}: not a PNG image; rerun `dvc repro plots`")
        figures[path.name] = data
    return figures


# --- What the page shows ---


def detectors(classify_metrics: dict) -> dict[str, dict]:
    """Every detector in scores.json (an entry holding an accuracy), in the file's order."""
    return {name: scores for name, scores in classify_metrics.items()
            if isinstance(scores, dict) and isinstance(scores.get("accuracy"), (int, float))}


def strongest_detector(found: dict[str, dict], predictions: pd.DataFrame) -> str | None:
    """The detector with the highest accuracy among those whose P(real) is in ``predictions``
    (ties: the first in scores.json); None when there is none."""
    scored = [name for name in found if f"{name}_prob" in predictions.columns]
    return max(scored, key=lambda name: found[name]["accuracy"], default=None)


def examples(predictions: pd.DataFrame, detector: str, n: int) -> dict[str, dict[str, pd.DataFrame]]:
    """Per account (sorted; blank accounts as NO_ACCOUNT): the ``n`` generated posts with the highest
    P(real) by ``detector`` ("most"), the ``n`` with the lowest ("least", lowest first; none shown twice)
    and the first ``n`` real posts ("real")."""
    prob = f"{detector}_prob"
    posts = predictions.assign(
        account=predictions["account"].where(predictions["account"].str.strip() != "", NO_ACCOUNT),
        score=pd.to_numeric(predictions[prob], errors="coerce"))
    result = {}
    for account, group in posts.groupby("account", sort=True):
        generated = group[group["label"] == GENERATED_LABEL].sort_values("score", ascending=False, kind="stable")
        most = generated.head(n)
        least = generated.drop(most.index).sort_values("score", kind="stable").head(n)
        result[account] = {"most": most, "least": least, "real": group[group["label"] == REAL_LABEL].head(n)}
    return result


def number(value, percent: bool = False) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return esc(value) if value is not None else "&mdash;"
    if isinstance(value, float) and math.isnan(value):
        return "&mdash;"
    if percent:
        return f"{value:.1%}"
    return f"{value:,}" if isinstance(value, int) else f"{value:.4g}"


def table(headings: list[str], rows: list[list[str]], row_classes: list[str] | None = None) -> str:
    """An HTML table; ``headings`` are escaped here, cells must already be HTML."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headings)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def flatten(value, prefix: str = "") -> dict:
    """Nested dicts as one level, keys joined by spaces: {"real": {"positive": 1}} -> {"real positive": 1}."""
    if not isinstance(value, dict):
        return {prefix: value}
    flat = {}
    for key, item in value.items():
        flat.update(flatten(item, f"{prefix} {key}".strip()))
    return flat


def nested_table(rows: dict, first: str = "") -> str:
    """One row per key of ``rows``, one column per (flattened) field, in first-seen order."""
    flat = {name: flatten(value) for name, value in rows.items()}
    columns = list(dict.fromkeys(column for row in flat.values() for column in row))
    return table([first, *columns], [[esc(name), *(number(row.get(c)) for c in columns)] for name, row in flat.items()])


def leak_section(classify_metrics: dict) -> str:
    if not classify_metrics.get("leak_warning"):
        return ""
    checked = classify_metrics.get("leak_check", {})
    score = ""
    if isinstance(checked, dict) and "accuracy" in checked:
        score = (f" (accuracy {number(checked['accuracy'], True)}, 95% interval "
                 f"{number(checked.get('accuracy_low'), True)}&ndash;{number(checked.get('accuracy_high'), True)})")
    return (f'<div class="warning"><strong>&#9888; Leak warning.</strong> {esc(leak.WARNING_HEADLINE.capitalize())}'
            f"{score}. {esc(leak.WARNING_MEANING)} {esc(leak.WARNING_FIX)}</div>")


def detector_section(classify_metrics: dict, strongest: str | None) -> str:
    found = detectors(classify_metrics)
    rows, classes = [], []
    for name, scores in found.items():
        low, high = scores.get("accuracy_low"), scores.get("accuracy_high")
        interval = f"{number(low, True)} &ndash; {number(high, True)}" if low is not None and high is not None else "&mdash;"
        rows.append([esc(name) + (" (strongest)" if name == strongest else ""), number(scores["accuracy"], True),
                     interval, number(scores.get("roc_auc")), number(scores.get("f1"))])
        classes.append("strongest" if name == strongest else "")
    counts = ", ".join(f"{esc(key.replace('_', ' '))}: {number(classify_metrics[key])}"
                       for key in ("train_posts", "test_posts") if key in classify_metrics)
    return (
        "<h2>Can detectors tell generated posts from real ones?</h2>"
        '<p class="note">Accuracy near 50% (ROC AUC near 0.5) means a detector cannot tell them apart: the '
        "imitation is good. Two accuracies whose 95% intervals overlap widely are not shown to differ."
        + (f" {counts}." if counts else "") + "</p>"
        + (table(["detector", "accuracy", "95% interval", "ROC AUC", "F1 (real positive)"], rows, classes)
           if rows else f'<p class="missing">{CLASSIFY_METRICS} names no detectors.</p>')
    )


EVALUATE_PARTS = {  # evaluate.json key: (heading, what it means, first column)
    "posts": ("Posts evaluated", "", ""),
    "memorization": ("Memorization", "Share of generated posts `generate` found copying a training post (exact, "
                     "or sharing a run of words) before dropping them.", ""),
    "diversity": ("Diversity", "distinct-n: unique n-grams / all n-grams (higher: more varied); self-BLEU: how much "
                  "each post repeats the others (higher: less varied). Real and generated sets of equal size.",
                  "posts"),
    "voice": ("Voice attribution", "Share of posts a classifier trained on the real posts attributes to the account "
              "they belong to (real_eval) or were generated as (generated); compare with chance.", "account"),
    "sentiment": ("Sentiment (VADER)", "Shares of positive, negative and neutral posts and the mean compound score.",
                  "account"),
    "length": ("Length", "Characters per post.", "account"),
}


def evaluate_section(evaluate_metrics: dict | None) -> str:
    parts = ["<h2>How close is the imitation?</h2>"]
    if evaluate_metrics is None:
        return parts[0] + f'<p class="missing">{EVALUATE_METRICS} is missing: run `dvc repro evaluate`.</p>'
    for key, (heading, meaning, first) in EVALUATE_PARTS.items():
        parts.append(f"<h3>{esc(heading)}</h3>")
        if meaning:
            parts.append(f'<p class="note">{esc(meaning)}</p>')
        value = evaluate_metrics.get(key)
        if not isinstance(value, dict):
            why = " (fewer than two accounts)" if key == "voice" else ""
            parts.append(f'<p class="missing">Not measured in this run{why}.</p>')
        elif key == "diversity":
            size = value.get("sample_posts")
            rows = {name: item for name, item in value.items() if isinstance(item, dict)}
            parts.append((f"<p>{number(size)} posts of each.</p>" if size is not None else "") + nested_table(rows, first))
        elif all(isinstance(item, dict) for item in value.values()):
            overall = {name: value[name] for name in (ALL_ACCOUNTS,) if name in value}
            parts.append(nested_table({**overall, **value}, first))  # every post first, then each account
        else:
            parts.append(nested_table({"all posts": value}, first))
    return "".join(parts)


def sample_section(sample_metrics: dict | None) -> str:
    """The sample's size and the optimism filter: its threshold and what it removed, per account."""
    heading = "<h2>Sample and optimism filter</h2>"
    if sample_metrics is None:
        return heading + f'<p class="missing">{SAMPLE_METRICS} is missing: run `dvc repro sample`.</p>'
    size = f"<p>{number(sample_metrics.get('posts_per_class'))} real + as many generated posts.</p>"
    filtered = sample_metrics.get("sentiment_filter")
    if not isinstance(filtered, dict) or filtered.get("min_sentiment") is None:
        return heading + size + ('<p class="note">The optimism filter is off (sample.min_sentiment: null): every '
                                 "generated post could be drawn.</p>")
    note = (f"<p>The optimism filter kept generated posts whose VADER compound score is at least "
            f"{number(filtered['min_sentiment'])}; it removed {number(filtered.get('generated_removed'))} "
            f"({number(filtered.get('generated_removed_share'), percent=True)}) of them, listed in "
            "<code>data/sample/removed_by_sentiment.parquet</code>.</p>")
    per_account = filtered.get("removed_per_account") or {}
    rows = [[esc(account), number(count)] for account, count in per_account.items()]
    return heading + size + note + (table(["account", "generated posts removed"], rows) if rows else "")


def training_section(train_metrics: dict | None) -> str:
    heading = "<h2>Fine-tuning</h2>"
    if train_metrics is None:
        return heading + f'<p class="missing">{TRAIN_METRICS} is missing: run `dvc repro finetune`.</p>'
    final = train_metrics.get("final") if isinstance(train_metrics.get("final"), dict) else train_metrics
    rows = [[esc(key.replace("_", " ")), number(value)] for key, value in flatten(final).items()]
    return heading + '<p class="note">Lower eval loss and perplexity: the model predicts the held-out real posts better.</p>' \
        + table(["", "value"], rows)


def figures_section(figures: dict[str, bytes] | None) -> str:
    heading = "<h2>Figures</h2>"
    if figures is None:
        return heading + f'<p class="missing">{FIGURE_DIR}/ is missing: run `dvc repro plots`.</p>'
    if not figures:
        return heading + f'<p class="missing">{FIGURE_DIR}/ holds no PNG figures.</p>'
    parts = [heading]
    for name, data in figures.items():
        uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        parts.append(f'<figure><img src="{uri}" alt="{esc(name)}"><figcaption>{esc(name)}</figcaption></figure>')
    return "".join(parts)


def post_html(row, kind: str, detector: str) -> str:
    score = f'<span class="score">P(real) by {esc(detector)}: {number(row.score)}</span>'
    return f'<div class="post {kind}">{esc(row.text)}{score}</div>'


def examples_section(predictions: pd.DataFrame, detector: str | None, n: int) -> str:
    heading = "<h2>Example posts per account</h2>"
    if detector is None:
        return heading + (f'<p class="missing">{PREDICTIONS} holds no P(real) column of any detector in '
                          f"{CLASSIFY_METRICS}: the posts cannot be ranked.</p>")
    parts = [heading, f'<p class="note">Generated test posts ranked by <strong>{esc(detector)}</strong>, the '
             "detector with the highest accuracy, by its probability that the post is real; beside them real test "
             "posts of the same account.</p>"]
    if (predictions["label"] == GENERATED_LABEL).sum() == 0:
        parts.append(f'<p class="missing">{PREDICTIONS} holds no generated posts.</p>')
    if not (predictions["account"].str.strip() != "").any():
        parts.append(f'<p class="missing">The classified posts name no accounts (e.g. study mode): all posts are '
                     f"shown as {esc(NO_ACCOUNT)}.</p>")
    columns = (("most", "Most convincing generated"), ("least", "Least convincing generated"), ("real", "Real"))
    for account, shown in examples(predictions, detector, n).items():
        parts.append(f"<h3>{esc(account)}</h3><div class=\"examples\">")
        for kind, title in columns:
            posts = "".join(post_html(row, kind, detector) for row in shown[kind].itertuples())
            parts.append(f"<div><h4>{esc(title)}</h4>{posts or '<p class=note>none</p>'}</div>")
        parts.append("</div>")
    return "".join(parts)


def build_page(classify_metrics: dict, predictions: pd.DataFrame, evaluate_metrics: dict | None,
               train_metrics: dict | None, figures: dict[str, bytes] | None, examples_per_account: int,
               sample_metrics: dict | None = None) -> str:
    """The whole page as one HTML string."""
    strongest = strongest_detector(detectors(classify_metrics), predictions)
    missing = [path for path, value in ((EVALUATE_METRICS, evaluate_metrics), (TRAIN_METRICS, train_metrics),
                                        (FIGURE_DIR + "/", figures)) if value is None]
    missing_note = ('<p class="missing">Missing from this report (not produced by this run): '
                    + ", ".join(f"<code>{esc(path)}</code>" for path in missing) + "</p>") if missing else ""
    body = "".join([
        "<h1>Elm report</h1>",
        '<p class="note">Can detectors tell the fine-tuned model\'s posts from the accounts\' real ones?</p>',
        leak_section(classify_metrics),
        missing_note,
        detector_section(classify_metrics, strongest),
        examples_section(predictions, strongest, examples_per_account),
        evaluate_section(evaluate_metrics),
        sample_section(sample_metrics),
        training_section(train_metrics),
        figures_section(figures),
    ])
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Elm report</title><style>{STYLE}</style></head>\n<body>{body}</body></html>\n"
    )


def main(params_path: str = "params.yaml") -> None:
    p = params.load("report", params_path)
    classify_metrics = read_json(CLASSIFY_METRICS, "classify", required=True)
    predictions = read_predictions()
    evaluate_metrics = read_json(EVALUATE_METRICS, "evaluate", required=False)
    train_metrics = read_json(TRAIN_METRICS, "finetune", required=False)
    sample_metrics = read_json(SAMPLE_METRICS, "sample", required=False)
    figures = read_figures()
    page = build_page(classify_metrics, predictions, evaluate_metrics, train_metrics, figures, p.examples_per_account,
                      sample_metrics)
    with io.atomic_path(PAGE) as tmp:
        tmp.write_text(page, encoding="utf-8")
    for path, value in ((EVALUATE_METRICS, evaluate_metrics), (TRAIN_METRICS, train_metrics), (FIGURE_DIR, figures)):
        if value is None:
            print(f"report: {path} not found; the page says it is missing", file=sys.stderr)
    print(f"report: wrote {PAGE} ({len(page.encode('utf-8')) / 1024:.0f} KiB); open it in a browser")


if __name__ == "__main__":
    cli.run(main, __doc__)
