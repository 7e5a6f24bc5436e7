"""The leak check: a small tree on surface features only. If it tells the classes apart, their form differs.

The warning's wording lives here once; the classify stage prints it and the report shows it. It says what a user
can change (params), and on the SYNTHETIC demo accounts that the warning is expected there.
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
WARNING_RULES = f"Its rules, which say which features give the posts away: {paths.LEAK_RULES}."
WARNING_TRY = ("To try: sample.match_lengths: true (generated posts drawn to the lengths of each account's real "
               "ones); the clean params that shape a post's form (clean.links, clean.emojis, clean.hashtags, "
               "clean.leading_mentions: generated posts are cleaned by the same params); more finetune.max_steps (a "
               "closer imitation); more generate.posts and sample.posts_per_class (a narrower interval).")
WARNING_CHANCE = "Its 95% interval reaches 50%: the difference may be chance, which more posts would settle."
WARNING_DEMO = ("The accounts are the SYNTHETIC demo (scrape.accounts: demo:...): their posts are written from "
                "templates whose form a language model imitates only roughly, so they differ in form by "
                "construction and this warning is expected here; it matters on real accounts.")


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


def advice(low: float, synthetic: bool) -> tuple[list[str], list[str]]:
    """What the warning says after its headline: what it means (and why it may be expected, or chance), then where
    to look and what to try."""
    meaning = [WARNING_MEANING, *([WARNING_DEMO] if synthetic else []), *([WARNING_CHANCE] if low <= 0.5 else [])]
    return meaning, [WARNING_RULES, WARNING_TRY]


def warning_text(accuracy: float, low: float, high: float, synthetic: bool) -> str:
    """The loud message printed when surface features alone tell the classes apart; ``synthetic``: the posts are
    the demo accounts' (elm.sources.specs.synthetic)."""
    bar = "!" * 78
    meaning, to_do = advice(low, synthetic)
    return (f"\n{bar}\nWARNING: {WARNING_HEADLINE} ({score_phrase(accuracy, low, high)}).\n{' '.join(meaning)}\n"
            f"{' '.join(to_do)}\n{bar}\n")
