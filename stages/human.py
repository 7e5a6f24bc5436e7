"""Measure how well people told real posts from generated ones, and how they reacted to each, from the judge
app's answers.

Reads data/human/answers.jsonl (written by `python -m stages.judge`; absent or empty before the first
round) and reports/classify/predictions.csv (each test post's label and every detector's prediction).
A reader's first answer to a post counts; later ones (answer files merged by hand or by git) are left out
and counted, on stderr and in the breakdown (duplicates_dropped).

Writes reports/human/summary.json, the numbers of a round: answers, readers, posts judged, the readers'
accuracy (each answer; 50% is chance) with its 95% Wilson interval, their agreement where several
judged one post (share of agreeing pairs, Fleiss' kappa), the best detector's accuracy on the same
posts, stale answers (about posts no longer in the test split, left out), and how readers reacted:
follow_generated, follow_real, upbeat_generated, upbeat_real (the share of rated answers saying "would
follow" / "upbeat") with their answer counts (*_answers). With no answers yet it writes answers: 0 and a
status line instead of failing, so `dvc repro` runs on a fresh clone.

Writes reports/metrics/human.json, the DVC metrics that `dvc metrics diff` compares two runs by: readers_acc,
follow_gen, follow_real, upbeat_gen, upbeat_real (the summary's accuracy and reactions; null with no answers).

Writes reports/human/breakdown.json, the tables: readers and every detector on the same posts, per
account, per reader, by readers per post (majority vote), the ratings of generated and real posts with
their 95% Wilson intervals, overall and per account, and the duplicates dropped. Reads no params.
"""
from __future__ import annotations

import logging

from elm import cli, io, paths, results
from elm.human import judge_posts, read_answers
from elm.human_metrics import measure, metrics, no_answers

logger = logging.getLogger(__name__)


def main(params_path: str = "params.yaml") -> None:  # reads no params
    answers = read_answers(paths.ANSWERS)
    if answers:
        headline, breakdown = measure(answers, judge_posts(results.read_predictions()))
    else:
        headline, breakdown = no_answers()
    if breakdown.get("duplicates_dropped"):
        logger.warning(f"human: {breakdown['duplicates_dropped']} repeated answer(s) in {paths.ANSWERS} (a reader "
                       f"answering a post again, e.g. from merged answer files) left out: the first answer counts")
    with io.outputs() as out:
        human_dir = out.directory(paths.HUMAN_DIR)
        out.json(breakdown, human_dir / paths.HUMAN_BREAKDOWN.name)
        out.json(headline, human_dir / paths.HUMAN_SUMMARY.name)
        out.json(metrics(headline), paths.HUMAN_METRICS)
    if not headline["answers"]:
        print(f"human: {headline['status']}; wrote {paths.HUMAN_SUMMARY}")
    else:
        print(f"human: {headline['answers']} answers by {headline['readers']} reader(s): accuracy "
              f"{headline['accuracy']:.1%} ({headline['accuracy_low']:.1%}-{headline['accuracy_high']:.1%}); "
              f"wrote {paths.HUMAN_METRICS}, {paths.HUMAN_SUMMARY} and {paths.HUMAN_BREAKDOWN}")


if __name__ == "__main__":
    cli.run(main, __doc__)
