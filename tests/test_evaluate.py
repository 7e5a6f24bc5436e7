"""The `evaluate` stage and its imitation metrics, each checked on hand-computed examples."""
from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from elm import imitation, io, paths, sentiment
from elm.errors import ElmError
from stages import evaluate

from helpers import VOCABULARY, posts

ALL = imitation.ALL


# --- distinct-n ---

def test_distinct_n_counts_unique_ngrams_over_all_ngrams():
    # unigrams a b a | a c: 5 in all, 3 distinct; bigrams (a b) (b a) | (a c): 3, all distinct
    assert imitation.distinct_n(["a b a", "A, c!"], 1) == pytest.approx(3 / 5)
    assert imitation.distinct_n(["a b a", "A, c!"], 2) == pytest.approx(1.0)
    assert imitation.distinct_n(["a b", "a b"], 2) == pytest.approx(1 / 2)
    assert imitation.distinct_n(["a", ""], 2) == 0.0


def test_equal_samples_have_one_size_capped_by_the_smaller_set_and_follow_the_seed():
    first, second = [f"r{i}" for i in range(10)], [f"g{i}" for i in range(4)]
    real, generated = imitation.equal_samples(first, second, 6, seed=1)
    assert len(real) == len(generated) == 4
    assert set(real) <= set(first) and len(set(real)) == 4 and sorted(generated) == sorted(second)
    assert imitation.equal_samples(first, second, 6, seed=1) == (real, generated)
    assert imitation.equal_samples(first, second, 3, seed=1) != imitation.equal_samples(first, second, 3, seed=2)


# --- self-BLEU (nltk's sentence BLEU-4, smoothing method 1), checked against values worked by hand ---

def test_self_bleu_of_copies_is_one_and_a_post_is_never_its_own_reference():
    assert imitation.self_bleu(["a b c d e", "a b c d e", "a b c d e"], hypotheses=3, seed=0) == pytest.approx(1.0)
    # two posts sharing no word: each against the other alone; not one word in common is BLEU 0 in nltk
    # (smoothing only lifts the longer n-gram orders), where a post scored against itself would give 1
    assert imitation.self_bleu(["a b c d", "e f g h"], hypotheses=2, seed=0) == 0.0


def test_self_bleu_by_hand_with_smoothing_of_an_order_without_matches():
    # either post against the other: 1-grams 5/6, 2-grams 3/5 (the cat, on the, the mat), 3-grams 1/4
    # (on the mat), 4-grams 0/3 -> smoothed 0.1/3; equal lengths, no brevity penalty
    expected = (5 / 6 * 3 / 5 * 1 / 4 * 0.1 / 3) ** (1 / 4)
    pair = ["the cat sat on the mat", "the cat is on the mat"]
    assert imitation.self_bleu(pair, hypotheses=2, seed=0) == pytest.approx(expected)
    assert expected == pytest.approx(0.2541, abs=1e-4)


def test_self_bleu_clips_repeated_words_and_skips_posts_under_four_words():
    # "the" x4 against one "the": 1-grams 1/4; no 2-, 3-, 4-gram matches: 0.1/3, 0.1/2, 0.1/1.
    # "the cat" (2 words) is a reference only, never a hypothesis.
    expected = (1 / 4 * 0.1 / 3 * 0.1 / 2 * 0.1 / 1) ** (1 / 4)
    assert imitation.self_bleu(["the the the the", "the cat"], hypotheses=2, seed=0) == pytest.approx(expected)


def test_self_bleu_brevity_penalty_uses_the_closest_reference_length():
    # "a b c d" against "a b c d e f g h": every n-gram matches, 4 words vs 8: exp(1 - 8/4); the other way
    # round 4/8, 3/7, 2/6, 1/5 with no penalty (the hypothesis is the longer one)
    expected = (math.exp(-1) + (4 / 8 * 3 / 7 * 2 / 6 * 1 / 5) ** (1 / 4)) / 2
    assert imitation.self_bleu(["a b c d", "a b c d e f g h"], hypotheses=2, seed=0) == pytest.approx(expected)


def test_self_bleu_samples_hypotheses_by_seed_and_is_undefined_without_two_posts():
    texts = posts(VOCABULARY["baker"], 30, seed=4)
    assert imitation.self_bleu(texts, 5, seed=1) == imitation.self_bleu(texts, 5, seed=1)
    assert imitation.self_bleu(texts, 5, seed=1) != imitation.self_bleu(texts, 5, seed=2)
    assert imitation.self_bleu(["a b c d"], 5, seed=0) is None
    assert imitation.self_bleu(["a b", "c d"], 5, seed=0) is None
    assert "self_bleu" not in imitation.diversity(["a b", "c d"], 5, seed=0)


# --- sentiment ---

def test_sentiment_summary_uses_the_vader_thresholds():
    summary = sentiment.sentiment_summary([0.5, 0.05, 0.0, -0.04, -0.5])
    assert summary == pytest.approx({"positive": 2 / 5, "negative": 1 / 5, "neutral": 2 / 5, "mean_compound": 0.002})


def test_compound_scores_tell_positive_negative_and_neutral_posts_apart():
    happy, sad, plain = sentiment.compound_scores(
        ["I love this wonderful day!", "This is terrible and awful.", "The table is made of wood."])
    assert happy > 0.5 and sad < -0.5 and plain == 0.0


# --- voice ---

def test_attribution_rates_per_account_and_overall():
    rates = imitation.attribution_rates(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert rates == {ALL: 0.75, "a": 0.5, "b": 1.0}


def real_posts(counts: dict[str, int], split: str, seed: int) -> pd.DataFrame:
    return pd.DataFrame([{"account": account, "text": text, "split": split}
                         for account, count in counts.items()
                         for text in posts(VOCABULARY[account], count, seed)])


def test_voice_attributes_posts_to_the_account_whose_words_they_use():
    real = pd.concat([real_posts({"sailor": 30, "baker": 30, "cook": 30}, "train", seed=0),
                      real_posts({"sailor": 5, "baker": 5, "cook": 5}, "eval", seed=1)], ignore_index=True)
    generated = pd.DataFrame({
        "account": ["sailor"] * 6 + ["cook"] * 4,
        # the "cook" posts are written in the sailor's words: a failed imitation
        "text": posts(VOCABULARY["sailor"], 6, seed=2) + posts(VOCABULARY["sailor"], 4, seed=3),
    })
    result = imitation.voice(real, generated)
    shares = result.metrics()
    assert shares["sailor"] == {"real_eval": 1.0, "generated": 1.0}
    assert shares["cook"] == {"real_eval": 1.0, "generated": 0.0}
    assert shares["baker"] == {"real_eval": 1.0}  # no posts generated as baker
    assert shares[ALL] == {"real_eval": 1.0, "generated": 0.6, "chance": 1 / 3}
    assert list(result.shares.index) == [ALL, "baker", "cook", "sailor"]
    assert list(result.attributions["predicted"]) == ["sailor"] * 10
    assert list(result.attributions.columns) == ["text", "account", "predicted"]


def test_voice_without_real_eval_posts_reports_only_the_generated_shares(capsys):
    real = real_posts({"sailor": 20, "baker": 20}, "train", seed=0)
    generated = pd.DataFrame({"account": ["baker"] * 3, "text": posts(VOCABULARY["baker"], 3, seed=1)})
    shares = imitation.voice(real, generated).metrics()
    assert shares == {ALL: {"generated": 1.0, "chance": 0.5}, "baker": {"generated": 1.0}}
    assert "no real_eval baseline" in capsys.readouterr().err


def test_voice_is_skipped_with_a_single_account(capsys):
    real = real_posts({"sailor": 10}, "train", seed=0)
    assert imitation.voice(real, real[["account", "text"]]) is None
    assert "fewer than two accounts" in capsys.readouterr().err


# --- length and per-account summaries ---

def test_length_summary_and_histogram():
    assert imitation.length_summary([10, 30, 35]) == pytest.approx({"mean_chars": 25.0, "median_chars": 30.0})
    table = imitation.length_histogram({"real": [10, 30, 35], "generated": [45]}, bin_chars=20)
    assert table.to_dict("list") == {"chars": [0, 20, 40], "real": [1 / 3, 2 / 3, 0.0], "generated": [0.0, 0.0, 1.0]}


def test_by_account_summarises_each_source_per_account_and_overall():
    frame = pd.DataFrame({"account": ["a", "a", "b"], "source": ["real", "generated", "real"], "chars": [10, 20, 40]})
    summaries = imitation.by_account(frame, "chars", lambda values: float(values.sum()))
    assert summaries == {ALL: {"real": 50.0, "generated": 20.0}, "a": {"real": 10.0, "generated": 20.0},
                         "b": {"real": 40.0}}


# --- reading inputs ---

def test_missing_inputs_and_columns_name_the_file_and_the_fix(tmp_path):
    with pytest.raises(ElmError, match=r"breakdown.json: not found; run `dvc repro generate`"):
        evaluate.read_copy_rates(str(tmp_path / "breakdown.json"))
    (tmp_path / "breakdown.json").write_text('{"copy_rate": 0.1}')
    with pytest.raises(ElmError, match="copy_rate_exact"):
        evaluate.read_copy_rates(str(tmp_path / "breakdown.json"))
    io.write_table(pd.DataFrame({"account": ["a"], "text": ["hi"]}), tmp_path / "posts.parquet")
    with pytest.raises(ElmError, match=r"missing column\(s\) split \(found: account, text\); rerun `dvc repro clean`"):
        io.read_posts(str(tmp_path / "posts.parquet"), "clean", ["account", "text", "split"])


# --- the stage ---



def write_stage_inputs() -> None:
    real = pd.concat([real_posts({"sailor": 40, "baker": 40, "cook": 40}, "train", seed=0),
                      real_posts({"sailor": 6, "baker": 6, "cook": 6}, "eval", seed=1)], ignore_index=True)
    real.insert(0, "id", [f"p{i}" for i in range(len(real))])
    real.insert(2, "created_at", "")
    io.write_table(real, "data/clean/posts.parquet")
    generated = pd.DataFrame({
        "account": ["sailor"] * 10 + ["baker"] * 10 + ["cook"] * 10,
        "text": posts(VOCABULARY["sailor"], 10, seed=5)
        # unknown to the voice classifier, so they leave the attribution alone; VADER finds them positive
        + [text + " love wonderful" for text in posts(VOCABULARY["baker"], 10, seed=6)]
        + posts(VOCABULARY["model"], 10, seed=7),  # "cook" in words no account uses
    })
    io.write_table(generated, "data/generated/posts.jsonl")
    io.write_json({"copy_rate": 0.125, "copy_rate_exact": 0.05, "posts_kept": 30}, paths.GENERATE_BREAKDOWN)


def test_stage_writes_metrics_and_plot_tables(workdir, default_params):
    write_stage_inputs()
    default_params["evaluate"] = {"sample_posts": 25, "self_bleu_posts": 10, "seed": 0}
    workdir.write_params(default_params)

    evaluate.main()

    metrics = json.loads(open("reports/evaluate/summary.json").read())
    assert metrics["posts"] == {"real": 138, "generated": 30}
    assert metrics["memorization"] == {"copy_rate": 0.125, "copy_rate_exact": 0.05}
    assert metrics["voice"]["sailor"]["generated"] == 1.0 and metrics["voice"]["baker"]["generated"] == 1.0
    assert metrics["voice"][ALL]["real_eval"] == 1.0 and metrics["voice"][ALL]["chance"] == 0.3333
    assert metrics["sentiment"]["baker"]["generated"]["positive"] == 1.0
    assert metrics["sentiment"]["baker"]["real"]["neutral"] == 1.0
    assert metrics["diversity"]["sample_posts"] == 25
    assert set(metrics["diversity"]["generated"]) == {"distinct_1", "distinct_2", "self_bleu"}
    assert metrics["length"]["sailor"]["real"]["mean_chars"] > 0

    voice = pd.read_csv("reports/evaluate/voice.csv").set_index("account")
    assert list(voice.columns) == ["real_eval", "generated"] and voice.loc["baker", "generated"] == 1.0
    predictions = pd.read_csv("reports/evaluate/voice_predictions.csv")
    assert len(predictions) == 30 and set(predictions.loc[predictions["account"] == "sailor", "predicted"]) == {"sailor"}
    sentiment = pd.read_csv("reports/evaluate/sentiment.csv").set_index("account")
    assert sentiment.loc["baker", "generated_positive"] == 1.0 and sentiment.loc["baker", "real_positive"] == 0.0
    lengths = pd.read_csv("reports/evaluate/lengths.csv")
    assert list(lengths.columns) == ["chars", "real", "generated"]
    assert lengths["real"].sum() == pytest.approx(1.0) and lengths["generated"].sum() == pytest.approx(1.0)

    headline = json.loads(open("reports/metrics/evaluate.json").read())  # what `dvc exp show` compares
    assert headline == {"voice_ratio": metrics["voice"][ALL]["generated"] / 1.0}  # copy_rate: generate.json's

    first = open("reports/metrics/evaluate.json").read(), open("reports/evaluate/summary.json").read()
    evaluate.main()  # same inputs and seed: same numbers
    assert (open("reports/metrics/evaluate.json").read(), open("reports/evaluate/summary.json").read()) == first


def test_stage_without_generate_breakdown_fails_with_the_fix(workdir, default_params):
    write_stage_inputs()
    default_params["evaluate"] = {"sample_posts": 25, "self_bleu_posts": 10, "seed": 0}
    workdir.write_params(default_params)
    paths.GENERATE_BREAKDOWN.unlink()
    with pytest.raises(ElmError, match="run `dvc repro generate`"):
        evaluate.main()
    assert not (workdir / "reports/metrics/evaluate.json").exists()
