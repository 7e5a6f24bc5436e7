"""The leak check: a small tree on surface features only. If it tells the classes apart, their form differs.

The warning's wording lives here once; the classify stage prints it and the report shows it.
"""
from __future__ import annotations

from sklearn.tree import DecisionTreeClassifier, export_text

from elm import paths

LEAK_ACCURACY = 0.55  # above this the leak check warns
LEAK_TREE_DEPTH = 3  # few enough rules to read, and too few to memorise a small training set
LEAK_TREE_MIN_LEAF = 10

WARNING_HEADLINE = "the leak check tells real from generated posts by surface features alone"
WARNING_MEANING = ("The classes differ in form (leading @, length, punctuation, casing, ...), so the other "
                   "detectors' scores measure that as well as style.")
WARNING_FIX = f"See {paths.LEAK_RULES} for the rules; clean real and generated posts identically."


def fit_leak_check(X, y, seed: int) -> DecisionTreeClassifier:
    """A small decision tree: a few readable rules on the surface features."""
    tree = DecisionTreeClassifier(max_depth=LEAK_TREE_DEPTH, min_samples_leaf=LEAK_TREE_MIN_LEAF, random_state=seed)
    return tree.fit(X, y)


def leaks(accuracy: float) -> bool:
    """Whether the leak check's accuracy raises the warning."""
    return accuracy > LEAK_ACCURACY


def leak_rules(model, feature_names) -> str:
    """The leak check's decision rules, one line per split; "class: 1" leaves predict real."""
    return export_text(model, feature_names=list(feature_names), decimals=3)


def score_phrase(accuracy: float, low: float, high: float) -> str:
    return f"accuracy {accuracy:.1%}, 95% interval {low:.1%}-{high:.1%}; above {LEAK_ACCURACY:.0%} warns"


def warning_text(accuracy: float, low: float, high: float) -> str:
    """The loud message printed when surface features alone tell the classes apart."""
    bar = "!" * 78
    return (f"\n{bar}\nWARNING: {WARNING_HEADLINE} ({score_phrase(accuracy, low, high)}).\n"
            f"{WARNING_MEANING}\n{WARNING_FIX}\n{bar}\n")
