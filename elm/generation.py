"""Sampling a run's posts: planned, seeded batches that resume after a kill, top-ups for posts that did not
end, and batches split across processes when the stage runs under `torchrun` or `accelerate launch`.

Batch ``b`` is sampled with seed ``seed * 1_000_003 + b``, so its posts depend on nothing but the settings
and ``b``. The first batches follow the plan (each account's share of the training posts); a post that
does not end within ``max_new_tokens`` tokens is kept out, and further batches ask each account for the
posts it still lacks, until every account has its share of posts that ended. Those batches are numbered
on from the plan and depend only on the earlier batches' results, so a resumed or data-parallel run
samples exactly the posts a single uninterrupted run would.

Each process appends its finished batches to its own partial file, and reads every process's file after
each round; a rerun after a kill (with any number of processes) keeps the batches that were complete.
"""
from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from elm.errors import ElmError
from elm.models.format import format_post, prompt_for
from elm.proportions import stratified_counts

logger = logging.getLogger(__name__)

MARGIN = 0.1
"""``max_new_tokens`` 0 (auto): the longest training post's tokens, this share more, and the end token."""
MAX_SAMPLED = 10
"""Give up when more than this many times the wanted posts were sampled (the model rarely ends one)."""


def plan_batches(train_posts: pd.DataFrame, total: int, batch_size: int) -> list[tuple[str, int]]:
    """(account, size) for every batch: accounts in proportion to their training posts."""
    counts = stratified_counts(train_posts["account"].value_counts(), total)
    plan = []
    for account, count in counts.items():
        plan += [(account, min(batch_size, count - start)) for start in range(0, count, batch_size)]
    return plan


def auto_max_new_tokens(generator, train_posts: pd.DataFrame) -> int:
    """Room for the longest training post (in the fine-tuned tokenizer's tokens) plus ``MARGIN``, and the
    end token: a generated post may run a little longer than any real one, not much longer."""
    prompts = [prompt_for(account) for account in train_posts["account"]]
    lines = [format_post(a, t) for a, t in zip(train_posts["account"], train_posts["text"])]
    longest = max(generator.post_lengths(prompts, lines))
    return longest + math.ceil(longest * MARGIN) + 1


def top_up(missing: dict[str, int], batch_size: int) -> list[tuple[str, ...]]:
    """Batches asking each account for the posts it still lacks (accounts may share a batch)."""
    accounts = [account for account, count in sorted(missing.items()) for _ in range(count)]
    return [tuple(accounts[start:start + batch_size]) for start in range(0, len(accounts), batch_size)]


def partial_file(folder: Path, rank: int) -> Path:
    return folder / f".posts.{rank}.jsonl.partial"


def finished_batches(partial: Path, resume_key: dict) -> dict[int, list[dict]]:
    """Rows of the batches an earlier run with the same settings completed in one partial file."""
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


def all_finished_batches(folder: Path, resume_key: dict) -> dict[int, list[dict]]:
    """``finished_batches`` of every process's partial file in ``folder``."""
    done: dict[int, list[dict]] = {}
    for partial in sorted(folder.glob(partial_file(folder, "*").name)):
        done.update(finished_batches(partial, resume_key))
    return done


def remove_partials(folder: Path) -> None:
    for partial in folder.glob(partial_file(folder, "*").name):
        partial.unlink(missing_ok=True)


def generate_posts(generator, train_posts: pd.DataFrame, p, resume_key: dict, folder: Path,
                 rank: int = 0, world: int = 1, barrier=lambda: None) -> list[dict]:
    """Rows (batch, account, text; text ``None`` for a post that did not end) of every batch sampled, in
    batch order, with ``p.posts`` ended posts split across accounts as ``plan_batches`` splits them.
    Process ``rank`` of ``world`` samples the batches ``b`` with ``b % world == rank``; ``barrier`` waits
    for all of them. ``p.max_new_tokens`` must be resolved (not 0)."""
    plan = plan_batches(train_posts, p.posts, p.batch_size)
    wanted = Counter()
    for account, size in plan:
        wanted[account] += size
    folder.mkdir(parents=True, exist_ok=True)
    done = all_finished_batches(folder, resume_key)
    if done and rank == 0:
        logger.info(f"generate: resuming, {len(done)} batches already done")
    own = partial_file(folder, rank)
    kept = finished_batches(own, resume_key)
    batches = [(account,) * size for account, size in plan]
    first = 0
    with own.open("w", encoding="utf-8") as out, \
            tqdm(desc=f"generate [{rank}]" if world > 1 else "generate", unit="post") as bar:
        for rows in kept.values():  # rewrite what is kept, dropping any torn line
            out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        out.flush()
        while batches:
            mine = [b for b in range(first, first + len(batches)) if b % world == rank]
            bar.total = (bar.total or 0) + sum(len(batches[b - first]) for b in mine)
            bar.refresh()
            for b in mine:
                accounts = batches[b - first]
                if b not in done:
                    texts = generator([prompt_for(a) for a in accounts], p, seed=p.seed * 1_000_003 + b)
                    done[b] = [{"batch": b, "batch_size": len(accounts), "account": a, "text": t,
                                "settings": resume_key} for a, t in zip(accounts, texts)]
                    out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in done[b])
                    out.flush()
                bar.update(len(accounts))
            barrier()
            first += len(batches)
            done = {**all_finished_batches(folder, resume_key), **done}
            rows = [row for b in range(first) for row in done[b]]
            ended = Counter(row["account"] for row in rows if row["text"] is not None)
            missing = {a: n - ended[a] for a, n in wanted.items() if ended[a] < n}
            if missing and len(rows) >= MAX_SAMPLED * p.posts:
                raise ElmError(f"generate: only {sum(ended.values())} of {len(rows)} sampled posts ended within "
                               f"generate.max_new_tokens ({p.max_new_tokens}) tokens; raise it (0: auto) or "
                               f"train longer (finetune.max_steps)")
            batches = top_up(missing, p.batch_size)
    return rows


def breakdown(rows: pd.DataFrame, kept: pd.DataFrame, train_posts: pd.DataFrame) -> dict:
    """Per account: posts sampled, not ended and kept, and the kept posts' length and endings next to the
    training posts' (the sampler should not shift them)."""
    def shape(texts: pd.Series) -> dict | None:
        if texts.empty:
            return None
        return {"mean_chars": round(float(texts.str.len().mean()), 1), "max_chars": int(texts.str.len().max()),
                "ends_with_punctuation": round(float(texts.str.contains(r"[.!?]$").mean()), 3)}

    result = {}
    for account in sorted(set(train_posts["account"])):
        sampled = rows[rows["account"] == account]
        result[account] = {"sampled": len(sampled), "unfinished": int(sampled["text"].isna().sum()),
                           "kept": int((kept["account"] == account).sum()),
                           "generated": shape(kept.loc[kept["account"] == account, "text"]),
                           "real": shape(train_posts.loc[train_posts["account"] == account, "text"])}
    return result


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
