"""Write the run's results as one self-contained web page: reports/index.html.

Open the file in any browser, offline: the figures are embedded as base64 data URIs, the style is
inline, there is no JavaScript and nothing is fetched (a Content-Security-Policy forbids both).

Reads, required (written by `classify`):
  reports/metrics/classify.json    every detector's accuracy with its 95% interval, ROC AUC and F1,
                                   leak_warning; detectors are read from the file, so new ones show up
  reports/classify/predictions.csv the test posts with label (1 real, 0 generated), account and each
                                   detector's <detector>_prob (P(real))
Reads, optional (the page says which are missing, e.g. in study mode where only `classify` ran):
  reports/evaluate/summary.json    copy rates, distinct-n, self-BLEU, sentiment, voice attribution, length
  reports/train/metrics.json       the fine-tuning's final train/eval loss and perplexity
  reports/sample/breakdown.json    the sample's size and what the optimism filter (sample.min_sentiment) removed
  reports/human/summary.json       how well readers told real from generated (stage `human`), and its
  reports/human/breakdown.json     per account, per reader and beside each detector
  reports/figures/*.png            every figure `plots` drew
  reports/clean/examples.json      a few posts each cleaning rule dropped or changed, before and after

Per account the page shows the generated test posts the strongest detector (the one with the highest
accuracy) found most convincing (highest P(real)) and least convincing, beside real test posts of the
same account (the first ones in the test split's shuffled order), report.examples_per_account of each.
Every post is HTML-escaped: posts are untrusted text and show as text, markup included. The page is
rendered by elm.report from the Jinja2 templates and CSS in elm/report/templates/.

At its top the page names the run (elm/provenance.py): the model (finetune.model, finetune.backend), the
accounts (scrape.accounts, saying plainly which are the SYNTHETIC demo's), the profile (report.profile), the
commit and the date; with a classify.input other than the pipeline's sample, that the posts are that labelled set.
Then the headline result: the strongest detector's accuracy; the leak warning, when raised, follows the detectors.

Params (section `report`): examples_per_account, profile; and, to name the run, finetune.model,
finetune.backend, scrape.accounts and classify.input.
"""
from __future__ import annotations

import logging
from pathlib import Path

from elm import cli, io, paths, provenance, results
from elm.params.report import Report
from elm.params.validation import load, read_value
from elm.report import build_page

logger = logging.getLogger(__name__)


def main(params_path: str = "params.yaml") -> None:
    p = load(Report, params_path)
    inputs = {
        "classify_metrics": results.read_json(paths.CLASSIFY_SCORES, "classify", required=True),
        "predictions": results.read_predictions(),
        "evaluate_metrics": results.read_json(paths.EVALUATE_SUMMARY, "evaluate", required=False),
        "train_metrics": results.read_json(paths.TRAIN_METRICS, "finetune", required=False),
        "sample_metrics": results.read_json(paths.SAMPLE_BREAKDOWN, "sample", required=False),
        "human_metrics": results.read_json(paths.HUMAN_SUMMARY, "human", required=False),
        "human_breakdown": results.read_json(paths.HUMAN_BREAKDOWN, "human", required=False),
        "clean_examples": results.read_json(paths.CLEAN_EXAMPLES, "clean", required=False),
        "figures": results.read_figures(),
    }
    labelled_set = str(read_value("classify", "input", params_path))
    page = build_page(examples_per_account=p.examples_per_account, run=provenance.describe(p.profile, params_path),
                      labelled_set=None if Path(labelled_set) == paths.SAMPLE else labelled_set, **inputs)
    with io.outputs() as out:
        out.text(page, paths.REPORT_PAGE)
    for path, key in ((paths.EVALUATE_SUMMARY, "evaluate_metrics"), (paths.TRAIN_METRICS, "train_metrics"),
                      (paths.FIGURES, "figures"), (paths.HUMAN_SUMMARY, "human_metrics")):
        if inputs[key] is None:
            logger.info(f"report: {path} not found; the page says it is missing")
    print(f"report: wrote {paths.REPORT_PAGE} ({len(page.encode('utf-8')) / 1024:.0f} KiB); open it in a browser")


if __name__ == "__main__":
    cli.run(main, __doc__)
