"""Ways of turning posts into a matrix for the detectors: word and character TF-IDF, surface features."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

CHAR_NGRAMS = (2, 5)


@dataclass(frozen=True)
class Features:
    """One way of turning posts into a matrix, fitted on the train posts and applied to the test posts."""

    train: object
    test: object
    names: np.ndarray


def build_vectorizer(ngram_max: int, max_features: int, stop_words: str | None = None) -> TfidfVectorizer:
    """TF-IDF over word 1..ngram_max-grams, keeping the ``max_features`` most frequent, without
    ``stop_words`` ("english": scikit-learn's list) when given."""
    return TfidfVectorizer(ngram_range=(1, ngram_max), max_features=max_features, stop_words=stop_words)


def build_char_vectorizer(max_features: int) -> TfidfVectorizer:
    """TF-IDF over character 2-5-grams inside word boundaries, keeping the ``max_features`` most frequent.

    Sublinear term frequencies: a character pair repeated within a post says little more than once.
    """
    return TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, max_features=max_features, sublinear_tf=True)


def character_class(character: str) -> str:
    """letter, digit, punctuation or other (emoji, symbols, nothing) for one character."""
    if character.isalpha():
        return "letter"
    if character.isdigit():
        return "digit"
    if character and unicodedata.category(character).startswith("P"):
        return "punctuation"
    return "other"


def surface_features(texts) -> pd.DataFrame:
    """Features any cleaning difference shows up in, and no wording: one row per text."""
    rows = []
    for text in texts:
        characters, letters = max(len(text), 1), max(sum(c.isalpha() for c in text), 1)
        last = character_class(text.rstrip()[-1:])
        rows.append({
            "starts_with_at": text.startswith("@"),
            "starts_with_uppercase": text[:1].isupper(),
            "characters": len(text),
            "words": len(text.split()),
            "punctuation": sum(unicodedata.category(c).startswith("P") for c in text),
            "uppercase_share": sum(c.isupper() for c in text) / letters,
            "digit_share": sum(c.isdigit() for c in text) / characters,
            "non_ascii_share": sum(not c.isascii() for c in text) / characters,
            "has_link": "http" in text or "www." in text,
        } | {f"ends_with_{kind}": last == kind for kind in ("letter", "digit", "punctuation", "other")})
    return pd.DataFrame(rows).astype(float)


def vectorize(vectorizer, texts: np.ndarray, train, test) -> Features:
    """``vectorizer`` fitted on the train posts' texts, applied to both splits."""
    fitted = vectorizer.fit_transform(texts[train])
    return Features(fitted, vectorizer.transform(texts[test]), vectorizer.get_feature_names_out())


def surface(texts: np.ndarray, train, test) -> Features:
    """The surface features of both splits (nothing to fit: each post's features are its own)."""
    train_features = surface_features(texts[train])
    test_features = surface_features(texts[test])
    return Features(train_features.to_numpy(), test_features.to_numpy(), train_features.columns.to_numpy())


def raw_texts(texts: np.ndarray, train, test) -> Features:
    """The texts themselves, for a detector that reads posts directly (the neural classifier)."""
    return Features(list(texts[train]), list(texts[test]), np.array([], dtype=object))


def table(values: pd.DataFrame, train, test) -> Features:
    """Numeric per-post columns (e.g. the LM-likelihood features), split like the posts."""
    matrix = values.to_numpy(dtype=float)
    return Features(matrix[train], matrix[test], values.columns.to_numpy())
