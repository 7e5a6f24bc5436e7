"""What several test modules share: the project root, synthetic posts in small vocabularies and the stage
inputs written from them, the classify stage's tiny params, the tiny model's corpus and params, an HTML
element reader, and the live sources' params. Fixtures live in conftest.py; running stages as DVC does, in
stage_runner.py."""
from __future__ import annotations

import random
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from elm import io, paths
from elm.labels import GENERATED_LABEL, REAL_LABEL
from elm.models.format import format_post

ROOT = Path(__file__).resolve().parents[1]

# --- Synthetic posts: each account, and the "model", writes from its own small vocabulary, so a detector can
# tell them apart ---

VOCABULARY = {
    "sailor": "boat harbor wind sail tide anchor deck mast rope gull".split(),
    "baker": "bread flour oven dough yeast crust butter sugar loaf rye".split(),
    "cook": "pan stew salt pepper garlic onion broth knife simmer herb".split(),
    "model": "robot circuit laser pixel quantum neon signal vector chrome servo".split(),
}


def posts(vocabulary: list[str], count: int, seed: int, words: int = 8) -> list[str]:
    """``count`` posts of ``words`` words drawn at random from ``vocabulary``."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(vocabulary) for _ in range(words)) for _ in range(count)]


def write_real(posts_per_account: dict[str, int], seed: int = 0, split: str = "eval") -> pd.DataFrame:
    """data/clean/posts.parquet as `clean` writes it, each account in its own vocabulary, every post in
    ``split`` (eval: the held-out posts the sample draws real posts from)."""
    rows = [
        {"id": f"{account}-{i}", "account": account, "created_at": "", "text": text, "split": split}
        for account, count in posts_per_account.items()
        for i, text in enumerate(posts(VOCABULARY[account], count, seed))
    ]
    real = pd.DataFrame(rows, columns=["id", "account", "created_at", "text", "split"])
    io.write_table(real, "data/clean/posts.parquet")
    return real


def write_generated(texts: list[str], account: str = "sailor") -> None:
    """data/generated/posts.jsonl as `generate` writes it."""
    generated = pd.DataFrame({"account": account, "text": texts}, columns=["account", "text"])
    io.write_table(generated, "data/generated/posts.jsonl")


def labelled(real: list[str], generated: list[str]) -> pd.DataFrame:
    """A shuffled labelled set, as the sample stage writes it."""
    return pd.DataFrame(
        {"text": real + generated, "label": [REAL_LABEL] * len(real) + [GENERATED_LABEL] * len(generated),
         "account": "sailor"}
    ).sample(frac=1, random_state=0, ignore_index=True)


def separable(per_class: int) -> pd.DataFrame:
    """Real posts from two accounts' vocabularies against "generated" posts from another one."""
    real = posts(VOCABULARY["sailor"] + VOCABULARY["baker"], per_class, seed=1)
    generated = posts(VOCABULARY["model"], per_class, seed=2)
    return labelled(real, generated)


# --- The classify stage on small data: a tiny grid keeps each fit well under a second ---

TINY_FOREST = {"cv": 2, "grid": {"n_estimators": [30], "max_depth": [None], "min_samples_leaf": [1, 2]}}
TINY_CHAR_LOGREG = {"C": 1.0, "max_features": 5000}


def tiny_params(default_params: dict) -> dict:
    default_params["classify"] |= {
        "input": str(paths.SAMPLE), "random_forest": TINY_FOREST, "char_logreg": TINY_CHAR_LOGREG,
        "lm_likelihood": {"enabled": False, "C": 1.0},  # tests/test_likelihood.py covers it
    }
    return default_params


# --- The tiny model (conftest.py's ``trained``): two voices, a 2-layer GPT-2 trained from scratch ---

VOICES = {
    "sailor": ["wind in the sails and salt on the deck today", "harbor lights at dawn, the tide is turning",
               "anchored in a quiet bay with the crew", "a long reach across the strait, sails full"],
    "baker": ["sourdough starter bubbling on the counter", "proofing the dough overnight for crusty loaves",
              "butter, flour and patience make the croissant", "fresh rye bread out of the oven at six"],
}
MIXED_PROMPTS = ["sailor:", "baker:", "sailor: wind in", "baker: fresh rye bread", "sailor: harbor", "baker:"]


def corpus(repeat: int = 12) -> list[str]:
    return [format_post(account, text) for _ in range(repeat)
            for account, texts in VOICES.items() for text in texts]


def scratch_params(**overrides):
    values = dict(model="scratch", max_steps=60, batch_size=8, seq_len=32, grad_accum=1, learning_rate=1e-2,
                  warmup_steps=2, weight_decay=0.0, eval_every=30, eval_batches=2, precision="fp32", compile=False,
                  dropout=None, threads=0,
                  checkpoint_every=0, early_stopping_patience=0,
                  lora=SimpleNamespace(rank=0, alpha=16, dropout=0.0, target_modules=[]),
                  seed=0, scratch=SimpleNamespace(vocab_size=400, n_layer=2, n_head=2, n_embd=64))
    values.update(overrides)
    return SimpleNamespace(**values)


def sampling_params(**overrides):
    values = dict(temperature=0.8, top_k=0, top_p=1.0, min_p=0.0, typical_p=1.0, max_new_tokens=20)
    values.update(overrides)
    return SimpleNamespace(**values)


# --- Reading HTML pages (the report and the feed) ---


class Elements(HTMLParser):
    """Start tags (name, attributes) and the text of an HTML document."""

    def __init__(self, document: str):
        super().__init__()
        self.tags, self.text = [], []
        self.feed(document)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def named(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.tags if name == tag]


# --- The live sources against their fake servers (tests/fake_api.py) ---

RETRIES = 3


def spec(world) -> str:
    return f"{world.source}:{world.handle}"


def configure(workdir, params, servers, accounts=None, refresh=0, on_error="fail", **http):
    """Write params.yaml: scrape ``accounts`` (default: each world's account), each source pointed at
    its fake server, short timeouts and backoff so the tests stay fast."""
    section = params["scrape"]
    section["accounts"] = accounts or [spec(world) for world, _ in servers]
    section["refresh"] = refresh
    section["on_account_error"] = on_error
    section["http"] = {"timeout_s": 1.0, "max_reply_mb": 1, "retries": RETRIES, "backoff_s": 0.01, "max_wait_s": 5,
                       **http}
    section["demo"]["posts_per_account"] = 30
    for world, server in servers:
        section[world.source].update(world.section(server.url))
    workdir.write_params(params)
