"""Time scrape -> clean -> sample -> classify on a large synthetic corpus and print a markdown table.

Writes, in a temporary project directory, Twint exports (tab-separated, Twint's 36-column header)
holding ``--posts`` SYNTHETIC posts spread over ``--accounts`` accounts, with the noise real
exports carry (links, emojis, hashtags, replies, retweets, entities, other languages, exact and
near duplicates, very short posts, multi-line posts), plus ``--generated`` generated posts. Then
runs each stage as `python -m stages.<name>` there, the way `dvc repro` does, and measures each
one's wall time and peak resident memory (the child's own ``ru_maxrss``, from ``os.wait4``).

`classify` runs on ``--posts-per-class`` real + as many generated posts with the study's settings
(profiles/study-gpu.yaml's classify section: TF-IDF word 1-3-grams without English stop words, 200k
features, 80/20 split, naive Bayes, character logistic regression, leak check; not lm_likelihood,
which needs a model) and, for the random forest, ``--forest best`` (the study's grid winner, one fit)
or ``--forest grid`` (the study's whole 16-setting x 3-fold search: hours on 2 cores).

    python benchmarks/scale.py                     # 1,000,000 posts, 10 accounts
    python benchmarks/scale.py --steps scrape clean sample
    python benchmarks/scale.py --posts 100000 --accounts 1 --keep /tmp/elm-scale

Unix only (``os.wait4``). Nothing is written inside the project.
"""
from __future__ import annotations

import argparse
import copy
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from elm import profiles

ROOT = Path(__file__).resolve().parents[1]

STEPS = ("scrape", "clean", "sample", "classify")
STUDY_WINNER = {"criterion": ["entropy"], "max_depth": [None], "min_samples_leaf": [3], "min_samples_split": [5],
                "n_estimators": [300]}  # the study's grid-search winner (../shared/data/README.md)
TWINT_HEADER = (
    "id conversation_id created_at date time timezone user_id username name place tweet language mentions urls "
    "photos replies_count retweets_count likes_count hashtags cashtags link retweet quote_url video thumbnail near "
    "geo source user_rt_id user_rt retweet_id reply_to retweet_date translate trans_src trans_dest"
).split()
WORDS = (
    "the a to and of in is it you that for on my this with be have just at not are so but me was all "
    "your what like we can get one out if about up now do no today time new good day people love when "
    "know more will they how think back there see go going great got really want why night still work "
    "never best year first life last thank would world make right show week much need best every here "
    "coffee morning boat sea bread oven run gym star moon sky rain book music friend family city train "
    "funny weird news game team home dinner lunch late early long short happy tired ready again always"
).split()
NOISE = {  # the share of posts carrying each kind of noise
    "link": 0.12, "picture": 0.04, "emoji": 0.12, "hashtag": 0.10, "reply": 0.15, "retweet": 0.03,
    "entity": 0.03, "whitespace": 0.03, "other_language": 0.04, "short": 0.04, "duplicate": 0.02,
    "near_duplicate": 0.01,
}
EMOJIS = ("😂", "🔥", "👍🏽", "❤️", "👨\u200d👩\u200d👧", "🇺🇸", "🎉", "☀️")
OTHER_LANGUAGES = {"es": "una publicación en español bastante larga", "fr": "un message en français assez long",
                   "de": "ein ziemlich langer Beitrag auf Deutsch"}


def synthetic_posts(count: int, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """``count`` posts and their language codes: Zipf-distributed words with noise at :data:`NOISE` rates."""
    ranks = np.arange(1, len(WORDS) + 1)
    word_ids = rng.choice(len(WORDS), size=(count, 30), p=(1 / ranks) / (1 / ranks).sum())
    lengths = rng.integers(5, 30, size=count)
    noise = {name: rng.random(count) < rate for name, rate in NOISE.items()}
    lengths[noise["short"]] = rng.integers(1, 4, size=int(noise["short"].sum()))
    ids = rng.integers(0, 2**40, size=count)
    posts, languages = [], []
    for i in range(count):
        words = [WORDS[w] for w in word_ids[i, : lengths[i]]]
        words.append(f"n{ids[i]:x}")  # a rare word, so posts are rarely equal by chance
        language = "en"
        if noise["other_language"][i]:
            language = ("es", "fr", "de")[i % 3]
            words = [OTHER_LANGUAGES[language], *words[:3]]
        if noise["hashtag"][i]:
            words.insert(len(words) // 2, f"#{words[0]}")
        if noise["emoji"][i]:
            words.append(EMOJIS[i % len(EMOJIS)])
        if noise["entity"][i]:
            words.insert(1, "&amp;")
        if noise["link"][i]:
            words.append(f"https://t.co/{ids[i]:010x}")
        if noise["picture"][i]:
            words.append(f"pic.twitter.com/{ids[i]:x}")
        if noise["reply"][i]:
            words.insert(0, f"@friend{i % 97}")
        if noise["retweet"][i]:
            words.insert(0, f"RT @friend{i % 89}:")
        text = " ".join(words)
        if noise["whitespace"][i]:
            text = f"  {text}\n\nsecond line\t "
        if noise["duplicate"][i] and posts:
            text, language = posts[-1], languages[-1]
        elif noise["near_duplicate"][i] and posts:
            text = posts[-1].upper() + "!!"
            language = languages[-1]
        posts.append(text)
        languages.append(language)
    return posts, languages


def write_twint_export(path: Path, handle: str, posts: list[str], languages: list[str], first_id: int) -> None:
    """A Twint export as Twint writes it: tab-separated, quoted only where a field needs it."""
    start = 1_600_000_000
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter="\t", lineterminator="\n")
        writer.writerow(TWINT_HEADER)
        empty = [""] * len(TWINT_HEADER)
        for n, (text, language) in enumerate(zip(posts, languages)):
            when = time.gmtime(start + 37 * n)
            row = dict(zip(TWINT_HEADER, empty))
            reply = text.lstrip().startswith("@")  # the reply noise: Twint says so in these two columns
            row.update(id=first_id + n, conversation_id=first_id + n - 1 if reply else first_id + n,
                       created_at=time.strftime("%Y-%m-%d %H:%M:%S UTC", when),
                       date=time.strftime("%Y-%m-%d", when), time=time.strftime("%H:%M:%S", when),
                       timezone="+0000", user_id=42, username=handle, name=handle.title(), tweet=text,
                       language=language, mentions="[]", urls="[]", photos="[]", replies_count=0,
                       retweets_count=0, likes_count=0, hashtags="[]", cashtags="[]", retweet=False, video=0,
                       reply_to="[{'screen_name': 'friend'}]" if reply else "[]")
            writer.writerow(row.values())


def make_project(folder: Path, posts: int, accounts: int, generated: int, posts_per_class: int, forest: str,
                 seed: int) -> None:
    """A project directory holding params.yaml, the Twint exports and data/generated/posts.jsonl."""
    rng = np.random.default_rng(seed)
    handles = [f"user{n:02d}" for n in range(accounts)]
    export_dir = folder / "data" / "import" / "twint"
    export_dir.mkdir(parents=True)
    sizes = np.full(accounts, posts // accounts)
    sizes[: posts % accounts] += 1
    for n, (handle, size) in enumerate(zip(handles, sizes)):
        texts, languages = synthetic_posts(int(size), rng)
        write_twint_export(export_dir / f"{handle}.csv", handle, texts, languages, first_id=10**18 + n * 10**9)
    texts, _ = synthetic_posts(generated, rng)
    generated_path = folder / "data" / "generated" / "posts.jsonl"
    generated_path.parent.mkdir(parents=True)
    with generated_path.open("w", encoding="utf-8") as out:
        for n, text in enumerate(texts):
            out.write(json.dumps({"account": handles[n % accounts], "text": text}, ensure_ascii=False) + "\n")

    params = copy.deepcopy(yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8")))
    params["scrape"]["accounts"] = [f"twint:{handle}" for handle in handles]
    params["scrape"]["twint"]["dir"] = "data/import/twint"
    params["sample"]["posts_per_class"] = posts_per_class
    study = profiles.merged(ROOT / "profiles" / "study-gpu.yaml", ROOT / "params.yaml")["classify"]
    if forest == "best":
        study["random_forest"]["grid"] = STUDY_WINNER
    study["lm_likelihood"]["enabled"] = False  # no model here: the likelihood stage is timed in the README's table
    study["neural"]["enabled"] = False  # nor a model to fine-tune as a classifier
    params["classify"] = study
    (folder / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


def run_step(step: str, folder: Path) -> tuple[float, float]:
    """Run `python -m stages.<step>` in ``folder``; its wall seconds and peak RSS in MiB."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", f"stages.{step}"], cwd=folder, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"stages.{step} failed (exit {child.returncode}):\n{stderr}")
    last_line = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    print(f"{step}: {seconds:.1f} s; {last_line}", file=sys.stderr)
    return seconds, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--posts", type=int, default=1_000_000, help="real posts in all (default: %(default)s)")
    parser.add_argument("--accounts", type=int, default=10, help="accounts they are spread over (default: %(default)s)")
    parser.add_argument("--generated", type=int, default=100_000, help="generated posts (default: %(default)s)")
    parser.add_argument("--posts-per-class", type=int, default=30_000,
                        help="sample.posts_per_class: classify gets this many real + generated (default: %(default)s)")
    parser.add_argument("--forest", choices=("best", "grid"), default="best",
                        help="classify's random forest: the study's winning setting, or its whole grid search "
                             "(default: %(default)s)")
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS),
                        help="stages to time, in order; each needs the ones before it (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="build the project in this new directory and keep it")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="elm-scale-") as tmp:
        folder = args.keep or Path(tmp)
        start = time.perf_counter()
        make_project(folder, args.posts, args.accounts, args.generated, args.posts_per_class, args.forest, args.seed)
        print(f"corpus written in {time.perf_counter() - start:.1f} s -> {folder}", file=sys.stderr)
        results = {step: run_step(step, folder) for step in args.steps}

    print(f"\n{args.posts:,} posts over {args.accounts} accounts, {args.generated:,} generated, "
          f"sample {args.posts_per_class:,} + {args.posts_per_class:,}, forest {args.forest}, {os.cpu_count()} CPUs\n")
    print("| step | wall time (s) | peak RSS (MiB) |")
    print("|---|---:|---:|")
    for step, (seconds, peak_mib) in results.items():
        print(f"| {step} | {seconds:.1f} | {peak_mib:.0f} |")


if __name__ == "__main__":
    main()
