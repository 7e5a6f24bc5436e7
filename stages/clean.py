"""Clean every account's posts and split them into train and eval.

Reads every data/raw/*.parquet (written by `dvc repro scrape`) and applies the cleaning rules of
elm/text.py and elm/links.py (through elm/cleaning.py); the generate stage applies the same rules to
generated posts, so the detectors compare like with like. Rules, in order (a post counts under the first
one that drops it): retweet, language, reply, mojibake_left, cut_off, link_label, empty, too_short,
duplicate, near_duplicate (a language detected here, for posts whose source gives none, is checked last).

Each kept post goes to "eval" or "train": within each account, the eval_fraction of posts with the
lowest hash of (seed, id) are eval (at least one eval and one train post for an account with two or
more posts, when eval_fraction > 0). The same posts and seed always give the same split.

Posts are cleaned, not only filtered, keeping the account's voice: HTML becomes text, encoding damage is
repaired, a reply's leading mentions cut (only a reply's: the raw `reply` column says which posts are), a
quoted retweet or a cross-post's cut-off tail cut; line breaks and (clean.emojis: keep) emojis stay; each
link becomes one marker (clean.links: marker) or is removed with the label it leaves dangling (drop);
posts whose source gives no language get one detected when clean.languages is set.

Outputs:
  data/clean/posts.parquet     id, account, created_at, text (cleaned), split
  reports/clean/breakdown.json posts_in, posts_dropped and posts_kept (posts_in - posts_dropped), posts_changed
                               (the share of kept posts whose text cleaning changed beyond whitespace), dropped
                               per rule, repaired per kind, languages_detected, split (train and eval posts);
                               the same per account (languages detected by code). No DVC metric: counts are
                               not what `dvc exp show` compares runs by
  reports/clean/examples.json  per account, the first EXAMPLES posts each rule dropped and each repair
                               changed, before and after (the report page shows them)

Params (clean): hashtags, emojis, links, drop_retweets, leading_mentions, min_chars, languages,
near_duplicates, eval_fraction, seed.
"""
from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from elm import cli, io, paths
from elm.cleaning import clean_posts
from elm.errors import ElmError
from elm.params.clean import Clean
from elm.params.validation import load
from elm.split import add_split_counts, assign_splits

logger = logging.getLogger(__name__)

RAW_COLUMNS = ["id", "account", "created_at", "text"]
OPTIONAL_COLUMNS = ["language", "reply"]  # raw files from before the reply column lack it
COLUMNS = ["id", "account", "created_at", "text", "split"]
EXAMPLES = 3  # before/after pairs per rule and repair kind per account


def main(params_path="params.yaml"):
    clean = load(Clean, params_path)
    raw = read_raw_posts(paths.RAW_DIR)
    posts, report = clean_posts(raw, clean, examples=EXAMPLES)
    examples = report.pop("examples")
    posts["split"] = assign_splits(posts, clean.eval_fraction, clean.seed)
    add_split_counts(report, posts)
    with io.outputs() as out:  # replaced as a set (elm/io.py)
        out.table(posts[COLUMNS], paths.CLEAN_POSTS)
        out.json(report, paths.CLEAN_BREAKDOWN)
        out.json(examples, paths.CLEAN_EXAMPLES)
    print_summary(report)


def read_raw_posts(folder: Path) -> pd.DataFrame:
    """All raw posts, file by file in name order, with the columns the clean stage needs (``raw``, each source's
    whole record and most of a file, stays on disk)."""
    files = sorted(folder.glob("*.parquet"))
    if not files:
        raise ElmError(f"{folder}: no *.parquet files; run `dvc repro scrape` first")
    posts = [io.read_table(path, "scrape", required=RAW_COLUMNS, optional=OPTIONAL_COLUMNS) for path in files]
    return pd.concat(posts, ignore_index=True).astype({column: str for column in RAW_COLUMNS})


def print_summary(report: dict) -> None:
    """One line per account on stderr, and a loud warning for an account left with no posts."""
    for account, summary in report["accounts"].items():
        dropped = ", ".join(f"{rule} {count}" for rule, count in summary["dropped"].items() if count) or "none"
        split = summary["split"]
        logger.info(f"clean: {account}: {summary['posts_in']} in, {summary['posts_kept']} kept "
                    f"({split['train']} train, {split['eval']} eval); dropped: {dropped}")
        if summary["posts_kept"] == 0:
            logger.warning(f"WARNING: clean: account {account!r} has NO posts left after cleaning "
                           f"(dropped: {dropped}); "
                           "check its export and the clean params (languages, min_chars, leading_mentions)")
    repaired = ", ".join(f"{kind} {count}" for kind, count in report["repaired"].items() if count) or "none"
    logger.info(f"clean: {report['posts_kept']} of {report['posts_in']} posts kept -> {paths.CLEAN_POSTS}; "
                f"repaired: {repaired}; "
                f"languages detected: {report['languages_detected']} (per account: {paths.CLEAN_BREAKDOWN})")


if __name__ == "__main__":
    cli.run(main, __doc__)
