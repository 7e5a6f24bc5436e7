"""What the plots stage draws: the tables (posts per account, word shares of real vs generated posts and of
posts the forest got right vs wrong) and the bar chart of each.

Words are nltk's tweet tokens, lowercased, with at least two characters and one letter or digit
(handles, hashtags and contractions stay whole; elongations shorten to three letters).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from nltk.tokenize import TweetTokenizer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from elm.labels import GENERATED_LABEL, REAL_LABEL

TOP_FEATURES = 20
TWEET_TOKENIZER = TweetTokenizer(preserve_case=False, reduce_len=True)
CHARTS = {  # name: (title, x axis label)
    "posts_per_account": ("Posts per account", "posts"),
    "top_words": ("Most frequent words: real vs generated posts", "share of the class's words"),
    "importances": (f"Random forest: {TOP_FEATURES} most important features", "importance"),
    "misclassified_words": (
        "Most frequent words of test posts the forest got right vs wrong",
        "share of the group's words",
    ),
}

LEGEND = {"corpus_real": "real, in the clean corpus", "sample_real": "real, in the sample",  # else the column's name
          "sample_generated": "generated, in the sample"}


def posts_per_account(corpus: pd.DataFrame, sample: pd.DataFrame) -> pd.DataFrame:
    """Per account: real posts in the corpus, real and generated posts in the sample (0 where none)."""
    counts = {
        "corpus_real": corpus["account"],
        "sample_real": sample.loc[sample["label"] == REAL_LABEL, "account"],
        "sample_generated": sample.loc[sample["label"] == GENERATED_LABEL, "account"],
    }
    table = pd.DataFrame({name: accounts.astype(str).value_counts() for name, accounts in counts.items()})
    table = table.fillna(0).astype(int).sort_index().rename_axis("account")
    return table.reset_index()


def words(text: str) -> list[str]:
    """The words of a post as nltk's tweet tokenizer cuts them (lowercased, ``sooooo`` -> ``sooo``; handles,
    hashtags and contractions kept whole), without punctuation, emoticons and one-character tokens."""
    return [token for token in TWEET_TOKENIZER.tokenize(text) if len(token) > 1 and any(c.isalnum() for c in token)]


def word_shares(texts) -> pd.Series:
    """Each non-stopword's count divided by the count of all words in ``texts``, highest first."""
    counts = pd.Series([word for text in texts for word in words(str(text))], dtype=object).value_counts()
    shares = counts[~counts.index.isin(ENGLISH_STOP_WORDS)] / max(counts.sum(), 1)
    return shares.sort_index().sort_values(ascending=False, kind="stable")


def compare_top_words(groups: dict, top: int) -> pd.DataFrame:
    """Word shares side by side (one column per group) for the ``top`` words of each group."""
    shares = {name: word_shares(texts) for name, texts in groups.items()}
    words = sorted({word for share in shares.values() for word in share.index[:top]})
    table = pd.DataFrame({name: share.reindex(words, fill_value=0.0) for name, share in shares.items()}, index=words)
    order = table.sum(axis=1).sort_values(ascending=False, kind="stable").index
    return table.loc[order].round(6).rename_axis("word").reset_index()


def top_words(sample: pd.DataFrame, top: int) -> pd.DataFrame:
    """Word shares of real vs generated posts in the sample."""
    real, generated = (sample.loc[sample["label"] == label, "text"] for label in (REAL_LABEL, GENERATED_LABEL))
    return compare_top_words({"real": real, "generated": generated}, top)


def misclassified_words(predictions: pd.DataFrame, top: int) -> pd.DataFrame:
    """Word shares of test posts the random forest classified correctly vs wrongly."""
    wrong = predictions["random_forest_pred"] != predictions["label"]
    texts = predictions["text"]
    return compare_top_words({"correct": texts[~wrong], "misclassified": texts[wrong]}, top)


def bar_chart(table: pd.DataFrame, title: str, x_label: str):
    """Horizontal bars: one row per value of the first column, one bar per other column, the legend (with two or
    more) in a row of its own under the axes, where no bar can reach it."""
    categories, series = table.iloc[:, 0].astype(str), table.columns[1:]
    bar_height = 0.8 / len(series)
    # A bare Figure (no pyplot) renders with matplotlib's Agg backend: no display, no global state.
    fig = Figure(figsize=(8, 1.5 + 0.22 * len(categories) * len(series) ** 0.5), layout="constrained")
    ax = fig.subplots()
    rows = np.arange(len(categories))
    for i, name in enumerate(series):
        ax.barh(rows + (i - (len(series) - 1) / 2) * bar_height, table[name], height=bar_height,
                label=LEGEND.get(name, name))
    ax.set_yticks(rows, categories)
    ax.margins(y=0.01)
    ax.invert_yaxis()  # first row on top
    ax.set_title(title)
    ax.set_xlabel(x_label)
    if len(series) > 1:
        fig.legend(loc="outside lower center", ncols=len(series))
    return fig
