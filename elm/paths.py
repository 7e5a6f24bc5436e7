"""Every artefact path of the pipeline, once, grouped by the stage that writes it (relative to the project root,
where DVC runs the stages). tests/test_dvc_deps.py checks dvc.yaml's deps and outs against these names.
"""
from __future__ import annotations

from pathlib import Path

# user input: exports people download (data/import/README.md) and readers' answers from the judge app
IMPORT_DIR = Path("data/import")
ANSWERS_DIR = Path("data/human")
ANSWERS = ANSWERS_DIR / "answers.jsonl"

# scrape
RAW_DIR = Path("data/raw")
FETCH_STATE = RAW_DIR / "fetched.json"

# clean
CLEAN_POSTS = Path("data/clean/posts.parquet")
CLEAN_BREAKDOWN = Path("reports/clean/breakdown.json")
CLEAN_EXAMPLES = Path("reports/clean/examples.json")

# finetune
MODEL_DIR = Path("models/finetuned")
CHECKPOINT = Path("models/.checkpoints/finetune.pt")  # and its marker finetune.json (elm.models.checkpoint)
BASE_MODELS = Path("models/base")  # models a backend downloads by name (gpt2simple)
TRAIN_LOG = Path("reports/train")  # DVCLive's folder: metrics.json and plots/metrics/*.tsv
TRAIN_METRICS = TRAIN_LOG / "metrics.json"
TRAIN_CURVES = TRAIN_LOG / "plots" / "metrics"  # one .tsv per curve, drawn by `dvc plots show`

# generate
GENERATED = Path("data/generated/posts.jsonl")
GENERATE_METRICS = Path("reports/metrics/generate.json")
GENERATE_BREAKDOWN = Path("reports/generate/breakdown.json")

# sample
SAMPLE = Path("data/sample/sample.parquet")
REMOVED_BY_SENTIMENT = Path("data/sample/removed_by_sentiment.parquet")
SAMPLE_DIR = Path("reports/sample")
SAMPLE_BREAKDOWN = SAMPLE_DIR / "breakdown.json"

# likelihood
LIKELIHOOD = Path("data/sample/likelihood.parquet")

# classify
CLASSIFY_METRICS = Path("reports/metrics/classify.json")
CLASSIFY_DIR = Path("reports/classify")
CLASSIFY_SCORES = CLASSIFY_DIR / "scores.json"
PREDICTIONS = CLASSIFY_DIR / "predictions.csv"
IMPORTANCES = CLASSIFY_DIR / "importances.csv"
BEST_PARAMS = CLASSIFY_DIR / "best_params.json"
ROC = CLASSIFY_DIR / "roc.csv"
LEAK_RULES = CLASSIFY_DIR / "leak_check.txt"

# evaluate
EVALUATE_METRICS = Path("reports/metrics/evaluate.json")
EVALUATE_DIR = Path("reports/evaluate")
EVALUATE_SUMMARY = EVALUATE_DIR / "summary.json"

# plots
PLOT_TABLES = Path("reports/plots")
FIGURES = Path("reports/figures")

# report, feed
REPORT_PAGE = Path("reports/index.html")
FEED_PAGE = Path("reports/feed.html")

# human
HUMAN_DIR = Path("reports/human")
HUMAN_SUMMARY = HUMAN_DIR / "summary.json"
HUMAN_METRICS = Path("reports/metrics/human.json")
HUMAN_BREAKDOWN = HUMAN_DIR / "breakdown.json"
