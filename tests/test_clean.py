"""The clean stage end to end, in a scratch project: raw parquet in, cleaned and split posts out."""
from __future__ import annotations

import json
import os
import string
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from elm import io
from elm.errors import ElmError
from elm.sources.records import normalize
from stages import clean

from helpers import ROOT


def word(number: int) -> str:
    """A distinct lowercase word for each number ("b", "c", ..., "bb", ...), so posts built from
    different numbers are not near-duplicates (near-duplicate keys ignore digits)."""
    letters = ""
    while True:
        number, digit = divmod(number, 26)
        letters = string.ascii_lowercase[digit] + letters
        if number == 0:
            return "b" + letters


def write_raw(handle: str, texts: list[str], languages: list[str] | None = None, source: str = "twint") -> None:
    """data/raw/<source>-<handle>.parquet, as the scrape stage writes it (posts starting with "@" are replies)."""
    records = [
        {"id": f"{handle}-{i}", "created_at": f"2021-01-01T00:00:{i % 60:02d}Z", "text": text,
         "language": languages[i] if languages else "en", "reply": text.startswith("@")}
        for i, text in enumerate(texts)
    ]
    io.write_table(normalize(records, handle, source), f"data/raw/{source}-{handle}.parquet")


def long_posts(handle: str, count: int) -> list[str]:
    return [f"{handle} writes about the {word(i)} topic at some length" for i in range(count)]


def read_outputs() -> tuple[pd.DataFrame, dict]:
    posts = pd.read_parquet("data/clean/posts.parquet")
    metrics = json.loads(Path("reports/clean/breakdown.json").read_text(encoding="utf-8"))  # every count
    return posts, metrics


def test_clean_writes_cleaned_split_posts_and_metrics(workdir, default_params, capsys):
    default_params["clean"]["eval_fraction"] = 0.1
    workdir.write_params(default_params)
    junk = [
        "RT @bo: somebody else's post that is long enough",   # retweet
        "una publicación en español bastante larga de verdad",  # language (es)
        "too short https://t.co/abc 👍🏽",                       # too_short
        "https://t.co/abc https://t.co/def",                    # empty
    ]
    write_raw("ana", long_posts("ana", 40) + junk, ["en"] * 41 + ["es", "en", "en"])
    write_raw("bo", [f"@ana {text} #tbt &amp; https://t.co/x 🎉" for text in long_posts("bo", 20)])

    clean.main()

    posts, metrics = read_outputs()
    assert list(posts.columns) == clean.COLUMNS
    assert posts["account"].value_counts().to_dict() == {"ana": 40, "bo": 20}
    assert posts["id"].is_unique
    first_of_bo = posts.loc[posts["account"] == "bo", "text"].iloc[0]
    assert first_of_bo == "bo writes about the ba topic at some length tbt & HTTPURL 🎉"
    assert posts["created_at"].iloc[0] == "2021-01-01T00:00:00Z"
    assert metrics["posts_in"] == 64 and metrics["posts_kept"] == 60 and metrics["posts_dropped"] == 4
    assert metrics["dropped"] == {
        "retweet": 1, "language": 1, "reply": 0, "mojibake_left": 0, "cut_off": 0, "link_label": 0, "empty": 1,
        "too_short": 1, "duplicate": 0, "near_duplicate": 0,
    }
    assert metrics["repaired"]["mentions_stripped"] == 20 and metrics["languages_detected"] == 0
    assert metrics["repaired"]["link"] == 20 and metrics["repaired"]["emoji"] == 0
    detail = metrics["accounts"]
    assert detail["bo"]["repaired"]["mentions_stripped"] == 20 and detail["ana"]["repaired"]["mentions_stripped"] == 0
    assert detail["bo"]["posts_changed"] == 1.0 and detail["ana"]["posts_changed"] == 0.0
    assert detail["ana"]["posts_dropped"] == 4 and detail["bo"]["posts_dropped"] == 0
    examples = json.loads(Path("reports/clean/examples.json").read_text(encoding="utf-8"))
    assert examples["ana"]["dropped"] == {
        "retweet": [{"before": junk[0], "after": None}], "language": [{"before": junk[1], "after": None}],
        "too_short": [{"before": junk[2], "after": "too short HTTPURL 👍🏽"}],
        "empty": [{"before": junk[3], "after": "HTTPURL"}]}
    assert set(examples["bo"]["repaired"]) == {"mentions_stripped", "link"}
    assert all(len(pairs) == clean.EXAMPLES for pairs in examples["bo"]["repaired"].values())
    assert examples["bo"]["repaired"]["link"][0] == {
        "before": "@ana bo writes about the ba topic at some length #tbt &amp; https://t.co/x 🎉",
        "after": "bo writes about the ba topic at some length tbt & HTTPURL 🎉"}
    assert metrics["split"] == {"train": 54, "eval": 6}
    assert metrics["accounts"]["ana"]["split"] == {"train": 36, "eval": 4}
    assert metrics["accounts"]["bo"]["split"] == {"train": 18, "eval": 2}
    assert (posts.groupby("account")["split"].apply(lambda s: (s == "eval").sum()) == [4, 2]).all()
    err = capsys.readouterr().err
    assert "clean: ana: 44 in, 40 kept (36 train, 4 eval)" in err
    assert "WARNING" not in err


def test_the_study_profile_drops_emojis_and_links_with_their_labels(workdir, default_params):
    """profiles/study-gpu.yaml cleans as the 2021 study did; the defaults keep the voice."""
    profile = yaml.safe_load((ROOT / "profiles/study-gpu.yaml").read_text())["clean"]
    texts = [f"{text}. We all ♥️ PyTorch, Listen @ https://t.co/a1 https://t.co/b2" for text in long_posts("ana", 3)]
    write_raw("ana", texts)

    workdir.write_params({**default_params, "clean": {**default_params["clean"], **profile}})
    clean.main()
    study, metrics = read_outputs()
    assert study["text"].tolist() == [f"{text}. We all PyTorch" for text in long_posts("ana", 3)]
    assert metrics["repaired"]["emoji"] == metrics["repaired"]["link_label_cut"] == 3

    workdir.write_params(default_params)
    clean.main()
    kept, _ = read_outputs()
    assert kept["text"].tolist() == [f"{text}. We all ♥️ PyTorch, Listen @ HTTPURL" for text in long_posts("ana", 3)]


def test_split_is_deterministic_independent_of_row_order_and_follows_the_seed(workdir, default_params):
    default_params["clean"]["eval_fraction"] = 0.1
    workdir.write_params(default_params)
    texts = long_posts("ana", 200)
    write_raw("ana", texts)
    clean.main()
    first, _ = read_outputs()
    eval_ids = set(first.loc[first["split"] == "eval", "id"])
    assert len(eval_ids) == 20

    clean.main()
    assert pd.read_parquet("data/clean/posts.parquet").equals(first)

    records = [{"id": f"ana-{199 - i}", "text": text} for i, text in enumerate(texts[::-1])]
    io.write_table(normalize(records, "ana", "twint"), "data/raw/twint-ana.parquet")  # same posts, reversed
    clean.main()
    reversed_run, _ = read_outputs()
    assert set(reversed_run.loc[reversed_run["split"] == "eval", "id"]) == eval_ids

    default_params["clean"]["seed"] = 1
    workdir.write_params(default_params)
    clean.main()
    reseeded, _ = read_outputs()
    reseeded_ids = set(reseeded.loc[reseeded["split"] == "eval", "id"])
    assert len(reseeded_ids) == 20 and reseeded_ids != eval_ids


@pytest.mark.parametrize("fraction, sizes, expected_eval", [
    (0.1, {"one": 1, "two": 2, "five": 5, "hundred": 100}, {"one": 0, "two": 1, "five": 1, "hundred": 10}),
    (0.5, {"two": 2, "three": 3, "ten": 10}, {"two": 1, "three": 2, "ten": 5}),
    (0.9, {"two": 2, "ten": 10}, {"two": 1, "ten": 9}),
    (0.0, {"two": 2, "ten": 10}, {"two": 0, "ten": 0}),
])
def test_each_account_gets_about_eval_fraction_and_keeps_train_posts(workdir, default_params, fraction, sizes,
                                                                      expected_eval):
    for handle, size in sizes.items():
        write_raw(handle, long_posts(handle, size))
    default_params["clean"]["eval_fraction"] = fraction
    workdir.write_params(default_params)

    clean.main()

    posts, metrics = read_outputs()
    for handle, size in sizes.items():
        assert metrics["accounts"][handle]["split"] == {"train": size - expected_eval[handle],
                                                        "eval": expected_eval[handle]}


def test_an_account_left_empty_is_a_loud_warning_not_an_error(workdir, capsys):
    write_raw("ana", long_posts("ana", 5))
    write_raw("zed", ["short", "RT @ana: a retweet that would be long enough otherwise"])

    clean.main()

    posts, metrics = read_outputs()
    assert set(posts["account"]) == {"ana"}
    assert metrics["accounts"]["zed"]["posts_kept"] == 0
    assert metrics["accounts"]["zed"]["split"] == {"train": 0, "eval": 0}
    assert "WARNING: clean: account 'zed' has NO posts left" in capsys.readouterr().err


def test_no_raw_data_is_an_error_that_says_run_scrape(workdir):
    with pytest.raises(ElmError, match=r"data/raw: no \*\.parquet files; run `dvc repro scrape`"):
        clean.main()
    assert not Path("data/clean/posts.parquet").exists()


def test_a_bad_raw_table_is_an_error_naming_the_file(workdir):
    io.write_table(pd.DataFrame({"id": ["1"], "account": ["ana"], "created_at": [""]}), "data/raw/twint-ana.parquet")
    with pytest.raises(ElmError, match=r"twint-ana\.parquet: missing column\(s\) text \(found: id, account, "
                                       r"created_at\); rerun `dvc repro scrape`"):
        clean.main()

    Path("data/raw/twint-ana.parquet").write_text("id,text\n1,not parquet\n")
    with pytest.raises(ElmError, match=r"twint-ana\.parquet: not a readable parquet file"):
        clean.main()


def test_command_line_error(workdir):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "stages.clean"], capture_output=True, text=True, env=env)
    assert run.returncode == 2
    assert "error: data/raw: no *.parquet files; run `dvc repro scrape` first" in run.stderr
