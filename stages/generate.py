"""Generate posts in each account's voice with the fine-tuned model.

Splits `posts` across the accounts in proportion to their training posts, prompts the model with
`account:` in batches of `batch_size`, and samples with `temperature`, `top_k`, `top_p` and at most
`max_new_tokens` tokens, each post ending at the end token or a line break. Batches stream to
data/generated/.posts.jsonl.partial as they finish, so a rerun after a crash continues where it stopped
(each batch has its own seed, so the result is the same as an uninterrupted run).

The generated posts then go through the same `clean` rules as the real ones (or a detector would learn
the noise), and posts that copy a training post (exactly, or sharing a run of `copy_ngram` words with
one) are dropped and counted: the copy rate measures memorization. Writes data/generated/posts.jsonl
(account, text, settings) and reports/metrics/generate.json (counts per rule, copy rate, speed).
Params: the `generate` section (`precision`: auto picks bf16 autocast or fp32 with weight-first layers,
whichever samples faster on this hardware, see elm/models/precision.py), and `clean` for the cleaning rules.
"""
from __future__ import annotations

import dataclasses
import json
import re
import time
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from elm import cli, io, models, params, text
from elm.errors import ElmError
from elm.proportions import stratified_counts

CLEAN_POSTS = "data/clean/posts.parquet"
MODEL_DIR = "models/finetuned"
GENERATED = Path("data/generated/posts.jsonl")
PARTIAL = GENERATED.with_name(".posts.jsonl.partial")
METRICS = "reports/metrics/generate.json"


def plan_batches(train_posts: pd.DataFrame, total: int, batch_size: int) -> list[tuple[str, int]]:
    """(account, size) for every batch: accounts in proportion to their training posts."""
    counts = stratified_counts(train_posts["account"].value_counts(), total)
    plan = []
    for account, count in counts.items():
        plan += [(account, min(batch_size, count - start)) for start in range(0, count, batch_size)]
    return plan


def finished_batches(partial: Path, resume_key: dict) -> dict[int, list[dict]]:
    """Rows of batches a previous, interrupted run with the same settings completed."""
    done: dict[int, list[dict]] = {}
    if not partial.exists():
        return done
    for line in partial.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            break  # the line being written when the run died
        if row.get("settings") != resume_key:
            return {}  # another model or other settings: start over
        done.setdefault(row["batch"], []).append(row)
    return {batch: rows for batch, rows in done.items() if len(rows) == rows[0]["batch_size"]}


def run_batches(generator, plan, p, resume_key: dict) -> list[dict]:
    """Sample every planned batch, appending each finished batch to the partial file."""
    done = finished_batches(PARTIAL, resume_key)
    if done:
        print(f"generate: resuming, {len(done)} of {len(plan)} batches already done", flush=True)
    PARTIAL.parent.mkdir(parents=True, exist_ok=True)
    with PARTIAL.open("w", encoding="utf-8") as out:
        for rows in done.values():  # rewrite what is kept, dropping any torn line
            out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        out.flush()
        with tqdm(total=sum(n for _, n in plan), desc="generate", unit="post") as bar:
            bar.update(sum(len(rows) for rows in done.values()))
            for batch, (account, size) in enumerate(plan):
                if batch in done:
                    continue
                texts = generator([models.prompt_for(account)] * size, p, seed=p.seed * 1_000_003 + batch)
                rows = [{"batch": batch, "batch_size": size, "account": account, "text": t, "settings": resume_key}
                        for t in texts]
                out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
                out.flush()
                done[batch] = rows
                bar.update(size)
    return [row for batch in sorted(done) for row in done[batch]]


def word_ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def copy_kind(generated: pd.Series, train_texts: pd.Series, n: int) -> pd.Series:
    """For each generated post: "exact" when it repeats a training post, "ngram" when it shares a run of
    ``n`` words with one (``n`` 0: not checked), else ""."""
    exact = generated.isin(set(train_texts))
    seen = set().union(*(word_ngrams(t, n) for t in train_texts)) if n else set()
    shares = generated.map(lambda t: bool(seen) and not seen.isdisjoint(word_ngrams(t, n)))
    return pd.Series(["exact" if e else "ngram" if s else "" for e, s in zip(exact, shares)], index=generated.index)


def main(params_path: str = "params.yaml") -> None:
    p = params.load("generate", params_path)
    clean_params = params.load("clean", params_path)
    posts = io.read_table(CLEAN_POSTS, "clean")
    train = posts[posts["split"] == "train"]
    manifest = models.read_manifest(MODEL_DIR)
    settings = {**dataclasses.asdict(p), "model": manifest["base_model"]}
    # a partial file is resumed only for the same settings and the very same fine-tuned model
    resume_key = {**settings, "model_file_time": Path(MODEL_DIR, models.MANIFEST).stat().st_mtime_ns}

    generator = models.backend(manifest["backend"]).load(MODEL_DIR, p.precision)
    started = time.perf_counter()
    rows = run_batches(generator, plan_batches(train, p.posts, p.batch_size), p, resume_key)
    seconds = time.perf_counter() - started

    raw = pd.DataFrame(rows, columns=["account", "text"])
    cleaned, report = text.clean_posts(raw, clean_params, detect=False)  # see clean_posts on why
    copies = copy_kind(cleaned["text"], train["text"], p.copy_ngram)
    kept = cleaned[copies == ""].reset_index(drop=True)
    if kept.empty:
        raise ElmError("generate: every generated post was dropped by the cleaning rules; train longer "
                       "(finetune.max_steps) or raise generate.max_new_tokens")
    kept["settings"] = [settings] * len(kept)

    io.write_table(kept[["account", "text", "settings"]], GENERATED)
    exact, ngram = int((copies == "exact").sum()), int((copies == "ngram").sum())
    io.write_json({
        "posts_generated": len(raw),
        "posts_kept": len(kept),
        "dropped": {**report["dropped"], "copy_exact": exact, f"copy_{p.copy_ngram}gram": ngram},
        "copy_rate": round((exact + ngram) / max(1, len(cleaned)), 4),
        "copy_rate_exact": round(exact / max(1, len(cleaned)), 4),
        "posts_per_s": round(len(raw) / seconds, 3),
    }, METRICS)
    PARTIAL.unlink(missing_ok=True)
    print(f"generate: kept {len(kept)} of {len(raw)} posts ({exact} exact copies of training posts and "
          f"{ngram} sharing {p.copy_ngram} words in a row with one dropped)", flush=True)


if __name__ == "__main__":
    cli.run(main, __doc__)
