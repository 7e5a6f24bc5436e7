"""Elm's pages, rendered with Jinja2 (autoescape on) from the templates and CSS in ``templates/``.

``build_page`` renders the report (reports/index.html), ``build_feed`` the optimistic feed
(reports/feed.html); the judge app (``elm.judge``) renders its pages with the same ``environment``.
The report and the feed are self-contained: their CSS is inlined, images are data URIs, and a
Content-Security-Policy forbids scripts and fetches. Every post is untrusted text: autoescaping shows
it as text, markup included; the ``post_text`` filter then shows each link marker as a link sign, and the
CSS keeps a post's line breaks.
"""
from __future__ import annotations

import base64
import functools
import math
from pathlib import Path

import jinja2
import markupsafe
import pandas as pd

from elm import paths
from elm.detect import leak
from elm.detect.kinds import KINDS
from elm.labels import GENERATED_LABEL, REAL_LABEL
from elm.links import LINK_MARKER
from elm.provenance import Run

TEMPLATES = Path(__file__).parent / "templates"
NO_ACCOUNT = "(no account given)"
ALL_ACCOUNTS = "all_accounts"  # evaluate.json's row of every post
LINK_SIGN = markupsafe.Markup('<span class="link-sign" role="img" aria-label="link" title="A link was here (cleaning '
                              'keeps each link as one marker)">\N{LINK SYMBOL}</span>')
# No scripts, no fetches: only inline style and data: images.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
EVALUATE_PARTS = {  # evaluate.json key: (heading, what it means, first column)
    "posts": ("Posts evaluated", "", ""),
    "memorization": ("Memorization", "Share of generated posts the generate stage found copying a training post "
                     "(exact, or sharing a run of words) before dropping them.", ""),
    "diversity": ("Diversity", "distinct-n: unique n-grams / all n-grams (higher: more varied); self-BLEU: how much "
                  "each post repeats the others (higher: less varied). Real and generated sets of equal size.",
                  "posts"),
    "voice": ("Voice attribution", "Share of posts a classifier trained on the real posts attributes to the account "
              "they belong to (real_eval) or were generated as (generated); compare with chance.", "account"),
    "sentiment": ("Sentiment (VADER)", "Shares of positive, negative and neutral posts and the mean compound score.",
                  "account"),
    "length": ("Length", "Characters per post.", "account"),
}


def number(value, percent: bool = False) -> str:
    """A metric as text: percentages to one decimal, ints with thousands separators, floats to 4 digits,
    a dash for a missing value."""
    if value is None or isinstance(value, jinja2.Undefined) or (isinstance(value, float) and math.isnan(value)):
        return "\u2014"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if percent:
        return f"{value:.1%}"
    return f"{value:,}" if isinstance(value, int) else f"{value:.4g}"


def post_text(text) -> markupsafe.Markup:
    """A post as a page shows it: escaped (a post is untrusted text), each link marker as :data:`LINK_SIGN`."""
    return markupsafe.escape(text).replace(LINK_MARKER, LINK_SIGN)


@functools.cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of every page, autoescape on. A key missing from a metrics file reads as
    none (ChainableUndefined, and the `none` test is true of it), so the page shows a dash, as for a null."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.ChainableUndefined)
    env.tests["none"] = lambda value: value is None or isinstance(value, jinja2.Undefined)
    env.filters["number"] = number
    env.filters["post_text"] = post_text
    return env


def style() -> str:
    """The shared stylesheet."""
    return (TEMPLATES / "style.css").read_text(encoding="utf-8")


# --- What the report shows ---


def detectors(classify_metrics: dict) -> dict[str, dict]:
    """Every detector in classify.json (an entry holding an accuracy), in the file's order."""
    return {name: scores for name, scores in classify_metrics.items()
            if isinstance(scores, dict) and isinstance(scores.get("accuracy"), (int, float))}


def by_kind(found: dict[str, dict]) -> list[dict]:
    """The detectors grouped by kind (elm/detect/kinds.py; an entry without a known kind last, as "other"), each
    group with what that kind reads and its detectors from the highest accuracy down."""
    groups = {kind: [] for kind in (*KINDS, "other")}
    for name, scores in found.items():
        groups[scores.get("kind") if scores.get("kind") in KINDS else "other"].append(name)
    return [{"kind": kind, "reads": KINDS.get(kind, "unlabelled"),
             "names": sorted(names, key=lambda name: -found[name]["accuracy"])}
            for kind, names in groups.items() if names]


def strongest_detector(found: dict[str, dict], predictions: pd.DataFrame) -> str | None:
    """The detector with the highest accuracy among those whose P(real) is in ``predictions``
    (ties: the first in classify.json); None when there is none."""
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


def flatten(value, prefix: str = "") -> dict:
    """Nested dicts as one level, keys joined by spaces: {"real": {"positive": 1}} -> {"real positive": 1}."""
    if not isinstance(value, dict):
        return {prefix: value}
    flat = {}
    for key, item in value.items():
        flat.update(flatten(item, f"{prefix} {key}".strip()))
    return flat


def nested_table(rows: dict, first: str = "") -> dict:
    """One row per key of ``rows``, one column per (flattened) field, in first-seen order: headings and
    rows of text for the template's ``table`` macro."""
    flat = {name: flatten(value) for name, value in rows.items()}
    columns = list(dict.fromkeys(column for row in flat.values() for column in row))
    return {"headings": [first, *columns],
            "rows": [[str(name), *(number(row.get(c)) for c in columns)] for name, row in flat.items()]}


def evaluate_parts(evaluate_metrics: dict) -> list[dict]:
    """evaluate.json's parts, each with its heading, meaning and table (None: not measured)."""
    parts = []
    for key, (heading, meaning, first) in EVALUATE_PARTS.items():
        value = evaluate_metrics.get(key)
        part = {"key": key, "heading": heading, "meaning": meaning, "table": None, "size": None}
        if isinstance(value, dict) and key == "diversity":
            part["size"] = value.get("sample_posts")
            part["table"] = nested_table({name: item for name, item in value.items() if isinstance(item, dict)}, first)
        elif isinstance(value, dict) and all(isinstance(item, dict) for item in value.values()):
            overall = {name: value[name] for name in (ALL_ACCOUNTS,) if name in value}
            part["table"] = nested_table({**overall, **value}, first)  # every post first, then each account
        elif isinstance(value, dict):
            part["table"] = nested_table({"all posts": value}, first)
        parts.append(part)
    return parts


HUMAN_TABLES = {  # breakdown.json key: (heading, first column)
    "same_posts": ("Readers and detectors on the same posts (accuracy)", "judge"),
    "per_account": ("Per account", "account"),
    "per_reader": ("Per reader", "reader"),
    "per_readers_per_post": ("By readers per post (majority vote; ties left out)", "readers"),
}
REACTION_HEADINGS = ["account", "posts", "would follow", "upbeat"]


def human_tables(breakdown: dict) -> list[dict]:
    """The `human` stage's breakdown (reports/human/breakdown.json) as titled tables."""
    return [{"heading": heading, **nested_table(breakdown[key], first)}
            for key, (heading, first) in HUMAN_TABLES.items()
            if isinstance(breakdown.get(key), dict) and breakdown[key]]


def share_text(share) -> str:
    """A rating's share of yes (breakdown.json's ratings) as "40.0% (19.8% – 64.3%) of 15"; a dash unrated."""
    if not isinstance(share, dict) or share.get("yes") is None:
        return "\u2014"
    return (f"{number(share['yes'], True)} ({number(share.get('yes_low'), True)} \u2013 "
            f"{number(share.get('yes_high'), True)}) of {number(share.get('answers'))}")


def reaction_rows(breakdown: dict) -> list[list[str]]:
    """How readers reacted (breakdown.json's ratings): all accounts, then each account; per kind of post, each
    rating's share of yes with its 95% interval and how many answers gave it. [] when there are none."""
    groups = {"all accounts": breakdown.get("ratings"), **(breakdown.get("ratings_per_account") or {})}
    return [[str(account), str(kind), *(share_text(ratings.get(rating)) for rating in ("follow", "upbeat"))]
            for account, kinds in groups.items() if isinstance(kinds, dict)
            for kind, ratings in kinds.items() if isinstance(ratings, dict)]


def leak_advice(classify_metrics: dict, synthetic: bool) -> tuple[list[str], list[str]]:
    """The leak warning's sentences after its headline (elm/detect/leak.py), as classify's stderr line has them:
    what it means, then what to do."""
    checked = classify_metrics.get("leak_check")
    low = checked.get("accuracy_low") if isinstance(checked, dict) else None
    return leak.advice(low if isinstance(low, (int, float)) else 1.0, synthetic)


def figure_uris(figures: dict[str, bytes]) -> dict[str, str]:
    return {name: "data:image/png;base64," + base64.b64encode(data).decode("ascii") for name, data in figures.items()}


def build_page(classify_metrics: dict, predictions: pd.DataFrame, evaluate_metrics: dict | None,
               train_metrics: dict | None, figures: dict[str, bytes] | None, examples_per_account: int, run: Run,
               sample_metrics: dict | None = None, human_metrics: dict | None = None,
               human_breakdown: dict | None = None, clean_examples: dict | None = None,
               labelled_set: str | None = None) -> str:
    """The whole report page as one HTML string, naming the ``run`` at its top; ``clean_examples``: what `clean`
    wrote to reports/clean/examples.json (None: missing); ``labelled_set``: classify.input when it is not the
    pipeline's sample (study mode: the model and accounts did not write those posts)."""
    found = detectors(classify_metrics)
    strongest = strongest_detector(found, predictions)
    missing = [str(path) for path, value in ((paths.EVALUATE_SUMMARY, evaluate_metrics),
                                             (paths.TRAIN_METRICS, train_metrics), (f"{paths.FIGURES}/", figures))
               if value is None]
    shown = {}
    if strongest is not None:
        shown = {account: {kind: posts.to_dict("records") for kind, posts in kinds.items()}
                 for account, kinds in examples(predictions, strongest, examples_per_account).items()}
    final = None
    if train_metrics is not None:
        final = train_metrics.get("final") if isinstance(train_metrics.get("final"), dict) else train_metrics
    filtered = (sample_metrics or {}).get("sentiment_filter")
    on_demo = bool(run.synthetic) and labelled_set is None  # the classified posts are the demo accounts'
    return environment().get_template("report.html").render(
        csp=CSP, style=style(), classify=classify_metrics, detectors=found, strongest=strongest, kinds=by_kind(found),
        counts=", ".join(f"{key.replace('_', ' ')}: {number(classify_metrics[key])}"
                         for key in ("train_posts", "test_posts") if key in classify_metrics),
        missing=missing, shown=shown, no_account=NO_ACCOUNT,
        has_generated=bool((predictions["label"] == GENERATED_LABEL).any()),
        leak=leak, leak_expected=on_demo, leak_advice=leak_advice(classify_metrics, on_demo),
        run=run, labelled_set=labelled_set,
        has_accounts=bool((predictions["account"].str.strip() != "").any()),
        evaluate=evaluate_parts(evaluate_metrics) if evaluate_metrics is not None else None,
        sample=sample_metrics, sentiment_filter=filtered if isinstance(filtered, dict) else None,
        removed_rows=[[str(account), number(count)] for account, count in
                      (filtered.get("removed_per_account") or {}).items()] if isinstance(filtered, dict) else [],
        training=[[key.replace("_", " "), number(value)] for key, value in flatten(final).items()]
        if final is not None else None,
        human=human_metrics, human_tables=human_tables(human_breakdown or {}), clean_examples=clean_examples,
        reactions=reaction_rows(human_breakdown or {}), reaction_headings=REACTION_HEADINGS,
        duplicates=(human_breakdown or {}).get("duplicates_dropped"),
        figures=figure_uris(figures) if figures is not None else None,
        paths={"evaluate": paths.EVALUATE_SUMMARY, "train": paths.TRAIN_METRICS, "figures": paths.FIGURES,
               "predictions": paths.PREDICTIONS, "classify": paths.CLASSIFY_SCORES, "human": paths.HUMAN_SUMMARY,
               "sample": paths.SAMPLE_BREAKDOWN, "clean_examples": paths.CLEAN_EXAMPLES},
    )


def build_feed(posts: pd.DataFrame, qualified: int, generated_total: int, feed_params, run: Run,
               readers: dict | None = None) -> str:
    """The optimistic feed page: ``posts`` (account, text, compound; in the order shown, the most upbeat first), of
    ``qualified`` posts that reached feed.min_sentiment among ``generated_total``, naming the ``run`` at its top;
    ``readers``: the human stage's summary.json (None: missing), whose reactions the page states once there are any."""
    per_account = posts["account"].value_counts().sort_index()
    reacted = readers if readers and readers.get("answers") else None
    return environment().get_template("feed.html").render(
        csp=CSP, style=style(), posts=posts.to_dict("records"), qualified=qualified, feed=feed_params,
        generated_total=generated_total, per_account=per_account.to_dict(), run=run, readers=reacted)
