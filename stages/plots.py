"""Draw what the sample holds and what gave the generated posts away.

Reads data/clean/posts.parquet, data/sample/sample.parquet and reports/classify/ (predictions.csv,
importances.csv). For each plot writes a CSV to reports/plots/ (rendered by `dvc plots show`, see
the `plots:` section of dvc.yaml) and a PNG to reports/figures/:
  posts_per_account    real posts per account in the clean corpus; real and generated posts per
                       account in the sample
  top_words            the plots.top_words most frequent words of real and of generated posts in
                       the sample, each as a share of all words of its class (English stopwords left out)
  importances          the random forest's 20 most important features
  misclassified_words  the same word shares for test posts the random forest got right vs wrong

Words are nltk's tweet tokens, lowercased, with at least two characters and one letter or digit
(handles, hashtags and contractions stay whole; elongations shorten to three letters).
Params (section `plots`): top_words.
"""
from __future__ import annotations

import logging

from elm import cli, io, paths
from elm.params.plots import Plots
from elm.params.validation import load
from elm.plots import CHARTS, TOP_FEATURES, bar_chart, misclassified_words, posts_per_account, top_words

logger = logging.getLogger(__name__)



def main(params_path: str = "params.yaml") -> None:
    p = load(Plots, params_path)
    corpus = io.read_table(paths.CLEAN_POSTS, "clean", required=("account",))
    sample = io.read_table(paths.SAMPLE, "sample", required=("text", "label", "account"))
    predictions = io.read_table(paths.PREDICTIONS, "classify", required=("text", "label"))
    importances = io.read_table(paths.IMPORTANCES, "classify", required=("feature", "importance"))
    tables = {
        "posts_per_account": posts_per_account(corpus, sample),
        "top_words": top_words(sample, p.top_words),
        "importances": importances[["feature", "importance"]].head(TOP_FEATURES),
        "misclassified_words": misclassified_words(predictions, p.top_words),
    }
    with io.outputs() as out:
        table_dir, figure_dir = out.directory(paths.PLOT_TABLES), out.directory(paths.FIGURES)
        for name, table in tables.items():
            out.table(table, table_dir / f"{name}.csv")
            bar_chart(table, *CHARTS[name]).savefig(figure_dir / f"{name}.png", dpi=100)
            logger.info(f"plots: {name}")


if __name__ == "__main__":
    cli.run(main, __doc__)
