"""The names every table of posts uses: the label (1 for a real post, 0 for a generated one) and clean's split
(``train``: the model trains on it; ``eval``: held out, the sample's real posts)."""

REAL_LABEL = 1
GENERATED_LABEL = 0
LABEL_NAMES = {REAL_LABEL: "real", GENERATED_LABEL: "generated"}

TRAIN_SPLIT, EVAL_SPLIT = "train", "eval"
SPLITS = (TRAIN_SPLIT, EVAL_SPLIT)
