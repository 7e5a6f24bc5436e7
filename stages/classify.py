"""Train detectors to tell real posts from generated ones (accuracy near 50% = good imitation).

Reads classify.input: by default data/sample/sample.parquet (text, label: 1 real / 0 generated,
account), the `sample` stage's output. Any labelled set works too (study mode): a .parquet, .csv
or .jsonl file with a `text` (or `tweet_clean`) column and a `label` column (1 real, 0 generated),
`account` optional, e.g. the original study's modeling_tweets.csv
(set classify.lm_likelihood.enabled and classify.neural.enabled to false for such a set: the
`likelihood` features and models/finetuned belong to the pipeline's own run).
The posts are split, stratified by label, into train and test posts (classify.test_size, seed).

Detectors (elm/detect/detectors.py), all fitted on the train posts and scored on the test posts:
naive_bayes and random_forest on TF-IDF word 1..ngram_max-grams (the study's), char_logreg on
character 2-5-grams, lm_likelihood on the `likelihood` stage's features (lm_likelihood.enabled),
neural: the fine-tuned model with a classification head, trained on the train posts for
neural.max_steps steps (neural.enabled), and leak_check, a small tree on surface features only
(leading @, length, punctuation, ...): above 55% the classes differ in form, so the stage warns
loudly, naming params to try (and, on the pipeline's sample of SYNTHETIC demo accounts, scrape.accounts,
that the warning is expected there), and sets leak_warning to 1.

How to read the scores: a detector near 50% accuracy (ROC AUC near 0.5) cannot tell the model's
posts from the accounts' real ones, so the imitation is good; near 100% they are easy to spot.
Each accuracy comes with its 95% Wilson interval: two accuracies whose intervals overlap widely
are not shown to differ.

Writes reports/metrics/classify.json (the headline `dvc exp show` compares: per kind of detector the strongest
one's accuracy, text_only_acc, surrogate_acc and white_box_acc, and leak_warning 0/1) and the directory
reports/classify/:
  scores.json       per detector: kind, accuracy, accuracy_low/high (95% interval), roc_auc, tpr_at_1pct_fpr,
                    f1 (real positive), 4 places; leak_warning; train_posts, test_posts
  predictions.csv   every test post: text, label, account (blank when the input has none),
                    <detector>_prob (P(real)) and <detector>_pred for each detector
  importances.csv   the forest's 50 most important features (feature, importance), highest first
  best_params.json  the grid's winning random forest settings
  roc.csv           per detector its true positive rate at false positive rates 0, 0.01, ..., 1 (detector, fpr, tpr)
  leak_check.txt    the leak check's decision rules (which surface features give the classes away)
"""
from __future__ import annotations

import logging
from pathlib import Path

from elm import cli, io, paths
from elm.detect import data, detectors, leak
from elm.errors import ElmError
from elm.params.classify import Classify
from elm.params.validation import load, read_value
from elm.sources.specs import synthetic

logger = logging.getLogger(__name__)

TOP_FEATURES = 50


def main(params_path: str = "params.yaml") -> None:
    p = load(Classify, params_path)
    posts = data.read_labelled_posts(p.input)
    likelihood = None
    if p.lm_likelihood.enabled:
        if Path(p.input) != paths.SAMPLE:
            raise ElmError(
                f"classify.lm_likelihood.enabled: the LM-likelihood features ({paths.LIKELIHOOD}) score the "
                f"pipeline's sample, not {p.input}; set classify.lm_likelihood.enabled to false for other labelled sets"
            )
        likelihood = data.read_likelihood_features(posts)
    detection = detectors.detect(posts["text"], posts["label"], p, likelihood)
    scores = detectors.scores(detection)
    with io.outputs() as out:  # replaced as a set (elm/io.py)
        report_dir = out.directory(paths.CLASSIFY_DIR)
        out.json(scores, report_dir / "scores.json")
        out.table(detectors.predictions_table(posts, detection), report_dir / "predictions.csv")
        forest = detection.detectors["random_forest"]
        out.table(detectors.top_features(forest.model, forest.feature_names, TOP_FEATURES), report_dir / "importances.csv")
        out.json(detection.best_params, report_dir / "best_params.json")
        out.table(detectors.roc_table(detection), report_dir / "roc.csv")
        checker = detection.detectors["leak_check"]
        out.text(leak.leak_rules(checker.model, checker.feature_names), report_dir / "leak_check.txt")
        out.json(detectors.headline(scores), paths.CLASSIFY_METRICS)
    for name in detection.detectors:
        m = scores[name]
        print(f"{name}: accuracy {m['accuracy']:.4f} (95% interval {m['accuracy_low']:.4f}-{m['accuracy_high']:.4f}), "
              f"ROC AUC {m['roc_auc']:.4f}")
    print("(accuracy near 0.5: the detectors cannot tell generated posts from real ones)")
    if scores["leak_warning"]:
        m = scores["leak_check"]
        demo = Path(p.input) == paths.SAMPLE and bool(synthetic(read_value("scrape", "accounts", params_path)))
        logger.info(leak.warning_text(m["accuracy"], m["accuracy_low"], m["accuracy_high"], demo))


if __name__ == "__main__":
    cli.run(main, __doc__)
