"""The four sources on real files: the synthetic demo corpus, Twint exports (the real ones in
../shared/data and small ones written here), an X archive's tweets.js, and plain tables."""
from __future__ import annotations

import json
import re
import time
from itertools import combinations

import emoji
import pandas as pd
import pytest

from elm.errors import ElmError
from elm.params.scrape import ArchiveSource, DemoSource, Scrape, TableSource, TwintSource
from elm.params.validation import build
from elm.sources import archive, dates, demo, table, twint
from elm.sources.records import RAW_COLUMNS

DEFAULT_DEMO_HANDLES = ["ada_sails", "basil_bakes", "coach_cleo", "dr_dune"]


def demo_params(posts=650, seed=7):
    return build(DemoSource, {"posts_per_account": posts, "seed": seed}, "scrape.demo")


def table_params(path, **columns):
    section = {"path": str(path), "text_column": "text", "account_column": "account",
               "id_column": "id", "created_at_column": "created_at", "created_at_format": "",
               "language_column": "language", "encoding": "auto", **columns}
    return build(TableSource, section, "scrape.table")


def demo_corpus(seed=7) -> pd.DataFrame:
    return pd.concat([demo.read(h, demo_params(seed=seed)) for h in DEFAULT_DEMO_HANDLES], ignore_index=True)


# --- demo -------------------------------------------------------------------------------------

def test_demo_is_deterministic_in_its_seed():
    first, again, other = demo.read("ada_sails", demo_params()), demo.read("ada_sails", demo_params()), \
        demo.read("ada_sails", demo_params(seed=8))
    pd.testing.assert_frame_equal(first, again)
    assert list(first.columns) == RAW_COLUMNS
    assert (first.text != other.text).mean() > 0.9


def test_demo_default_accounts_give_thousands_of_dated_unique_posts(default_params):
    scrape = build(Scrape, default_params["scrape"], "scrape")
    assert [spec.split(":")[0] for spec in scrape.accounts] == ["demo"] * 4
    corpus = pd.concat([demo.read(spec.split(":")[1], scrape.demo) for spec in scrape.accounts])
    assert len(corpus) >= 2000
    assert corpus.groupby("account").id.apply(lambda ids: ids.is_unique).all()
    dates = pd.to_datetime(corpus.created_at, utc=True, format="ISO8601")
    assert dates.notna().all()
    assert corpus.groupby("account").created_at.apply(lambda d: d.is_monotonic_increasing).all()


def test_demo_voices_differ_and_any_handle_gets_one():
    corpus = demo_corpus()
    voices = corpus.groupby("account").raw.first().map(lambda r: json.loads(r)["voice"])
    assert voices.nunique() == 4

    def vocabulary(texts):
        return {word for text in texts for word in re.findall(r"[a-z]{4,}", text.lower())}

    vocabularies = [vocabulary(posts.text) for _, posts in corpus.groupby("account")]
    for a, b in combinations(vocabularies, 2):
        assert len(a & b) / len(a | b) < 0.15

    stranger = demo.read("someone_else", demo_params(posts=50))
    assert len(stranger) == 50 and set(stranger.account) == {"someone_else"}
    assert json.loads(stranger.raw[0])["voice"] in {v.name for v in demo.VOICES}


def test_demo_posts_read_like_posts_and_carry_real_noise():
    corpus = demo_corpus()
    text = corpus.text
    assert text.nunique() > 0.85 * len(text), "templates should rarely collide"
    assert text.str.len().between(40, 200).mean() > 0.8
    rates = {
        "links": text.str.contains(r"https?://|pic\.twitter\.com/").mean(),
        "t.co links": text.str.contains("t.co/", regex=False).mean(),
        "emojis": text.map(emoji.emoji_count).gt(0).mean(),
        "ZWJ emoji sequences": text.str.contains("\u200d").mean(),
        "skin tones": text.str.contains("[\U0001F3FB-\U0001F3FF]").mean(),
        "hashtags": text.str.contains(r"#\w").mean(),
        "replies": text.str.match(r"@\w").mean(),
        "retweets": text.str.startswith("RT @").mean(),
        "HTML entities": text.str.contains("&amp;|&gt;").mean(),
        "extra whitespace": text.str.contains(r"  |\n|^\s|\s$").mean(),
        "very short": text.str.len().lt(20).mean(),
        "exact duplicates": corpus.duplicated(["account", "text"]).mean(),
        "near duplicates": corpus.raw.str.contains('"near_duplicate"').mean(),
        "other languages": corpus.language.ne("en").mean(),
    }
    for name, rate in rates.items():
        assert 0.005 < rate < 0.35, f"{name}: {rate:.3f}"
    assert set(corpus.language) >= {"en", "es", "fr", "de"}


def test_demo_is_marked_synthetic_and_fast():
    assert "SYNTHETIC" in demo.__doc__ and "not real people" in demo.__doc__
    start = time.perf_counter()
    corpus = demo_corpus()
    assert time.perf_counter() - start < 1.0
    assert len(corpus) == 2600
    assert corpus.raw.map(lambda r: json.loads(r)["synthetic"] is True).all()
    assert set(corpus.source) == {"demo"}


# --- twint ------------------------------------------------------------------------------------

@pytest.mark.parametrize("handle, rows", [("conan", 4392), ("dalailama", 1404), ("stevemartin", 526)])
def test_real_twint_exports(real_data, handle, rows):
    posts = twint.read(handle, TwintSource(dir=str(real_data / "twint")))
    assert len(posts) == rows
    assert list(posts.columns) == RAW_COLUMNS
    assert posts.id.is_unique and posts.id.str.fullmatch(r"\d+").all()
    assert posts.created_at.str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    assert (posts.language == "en").mean() > 0.9
    assert (posts.text != "").all() and set(posts.account) == {handle}
    first = json.loads(posts.raw[0])
    assert len(first) == 36 and first["tweet"] == posts.text[0]


def test_real_twint_times_follow_the_zone_abbreviation_not_the_timezone_column(real_data):
    posts = twint.read("conan", TwintSource(dir=str(real_data / "twint")))
    raw = posts.raw.map(json.loads)
    summer = raw.map(lambda r: r["created_at"] == "2020-10-31 11:26:00 CDT")
    winter = raw.map(lambda r: r["created_at"] == "2021-01-22 14:14:00 CST")
    assert raw[summer].iloc[0]["timezone"] == "-0600"  # the column says -6 even in summer time
    assert posts.created_at[summer].iloc[0] == "2020-10-31T16:26:00Z"
    assert posts.created_at[winter].iloc[0] == "2021-01-22T20:14:00Z"
    # The snowflake id encodes the true UTC time of the post.
    post_id = int(posts.id[summer].iloc[0])
    assert pd.Timestamp((post_id >> 22) + 1288834974657, unit="ms").strftime("%H:%M") == "16:26"


def test_twint_comma_csv_with_epoch_milliseconds_and_bom(tmp_path):
    (tmp_path / "ann.csv").write_text(
        "\ufeffid,created_at,tweet,language\n"
        '1,1612118702000,"Hello, world",en\n'
        '2,1612118703000,"two\nlines",fr\n',
        encoding="utf-8",
    )
    posts = twint.read("ann", TwintSource(dir=str(tmp_path)))
    assert posts.text.tolist() == ["Hello, world", "two\nlines"]
    assert posts.created_at.tolist() == ["2021-01-31T18:45:02Z", "2021-01-31T18:45:03Z"]
    assert posts.language.tolist() == ["en", "fr"]


def test_twint_json_lines_and_a_bad_line(tmp_path):
    rows = [{"id": 11, "created_at": "2021-01-31 18:45:02 EST", "tweet": "json post", "language": "en"},
            {"id": 12, "created_at": 1612118702000, "tweet": "another", "language": "es"}]
    (tmp_path / "bo.json").write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    posts = twint.read("bo", TwintSource(dir=str(tmp_path)))
    assert posts.id.tolist() == ["11", "12"]
    assert posts.created_at.tolist() == ["2021-01-31T23:45:02Z", "2021-01-31T18:45:02Z"]

    (tmp_path / "cy.jsonl").write_text(json.dumps(rows[0]) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ElmError, match=r"cy\.jsonl: line 2 is not valid JSON"):
        twint.read("cy", TwintSource(dir=str(tmp_path)))


def test_twint_missing_column_names_file_column_and_columns_found(tmp_path):
    (tmp_path / "di.csv").write_text("id\tdate\ttext\n1\t2021-01-01\thi\n", encoding="utf-8")
    with pytest.raises(ElmError) as err:
        twint.read("di", TwintSource(dir=str(tmp_path)))
    message = str(err.value)
    assert "di.csv" in message and "'tweet'" in message and "id, date, text" in message


def test_twint_undecodable_bytes_name_the_line_and_byte(tmp_path):
    (tmp_path / "ed.csv").write_bytes(b"\xef\xbb\xbfid\ttweet\n1\tfine\n2\tbad \xff byte\n")
    with pytest.raises(ElmError, match=r"ed\.csv: line 3 \(byte 25\) is not valid UTF-8"):
        twint.read("ed", TwintSource(dir=str(tmp_path)))


def test_twint_missing_export_lists_paths_tried(tmp_path):
    (tmp_path / "other.csv").write_text("id\ttweet\n", encoding="utf-8")
    with pytest.raises(ElmError) as err:
        twint.read("fay", TwintSource(dir=str(tmp_path)))
    assert all(f"fay{suffix}" in str(err.value) for suffix in (".csv", ".json", ".jsonl"))
    assert "other.csv" in str(err.value)


# --- archive ----------------------------------------------------------------------------------

def write_tweets_js(path, part, tweets):
    path.parent.mkdir(parents=True, exist_ok=True)
    items = [{"tweet": {"id_str": i, "full_text": text, "created_at": when, "lang": lang, "retweet_count": "0"}}
             for i, text, when, lang in tweets]
    path.write_text(f"window.YTD.tweets.part{part} = {json.dumps(items, indent=2)}", encoding="utf-8")


def test_archive_reads_tweets_js_and_its_parts(tmp_path):
    data = tmp_path / "gus" / "data"
    write_tweets_js(data / "tweets.js", 0, [("1", "first &amp; best", "Wed Oct 10 20:19:24 +0000 2018", "en")])
    write_tweets_js(data / "tweets-part2.js", 2, [("3", "third", "Fri Oct 12 08:00:00 +0200 2018", "de")])
    write_tweets_js(data / "tweets-part1.js", 1, [("2", "second", "Thu Oct 11 10:00:00 +0000 2018", "en")])
    posts = archive.read("gus", ArchiveSource(dir=str(tmp_path)))
    assert posts.id.tolist() == ["1", "2", "3"]
    assert posts.text[0] == "first &amp; best"
    assert posts.created_at.tolist() == ["2018-10-10T20:19:24Z", "2018-10-11T10:00:00Z", "2018-10-12T06:00:00Z"]
    assert posts.language.tolist() == ["en", "en", "de"]
    assert json.loads(posts.raw[0])["tweet"]["retweet_count"] == "0"


def test_archive_accepts_a_flat_file_and_lists_paths_tried(tmp_path):
    write_tweets_js(tmp_path / "hal.js", 0, [("9", "flat", "Wed Oct 10 20:19:24 +0000 2018", "en")])
    assert archive.read("hal", ArchiveSource(dir=str(tmp_path))).text.tolist() == ["flat"]
    with pytest.raises(ElmError) as err:
        archive.read("ivy", ArchiveSource(dir=str(tmp_path)))
    for tried in ("ivy/data/tweets.js", "ivy/tweets.js", "ivy.js"):
        assert tried in str(err.value)


def test_archive_errors_name_the_file_and_line(tmp_path):
    bad_prefix = tmp_path / "jo.js"
    bad_prefix.write_text('[{"tweet": {}}]', encoding="utf-8")
    with pytest.raises(ElmError, match="window.YTD.tweets.part0"):
        archive.read("jo", ArchiveSource(dir=str(tmp_path)))
    # items are read as they come: the broken one fails the read once reached
    (tmp_path / "kai.js").write_text('window.YTD.tweets.part0 = [\n  {"tweet": {"id_str": "1", "full_text": "hi"}},'
                                     '\n  oops\n]', encoding="utf-8")
    with pytest.raises(ElmError, match=r"kai\.js: line 3 is not valid JSON"):
        archive.read("kai", ArchiveSource(dir=str(tmp_path)))


# --- table ------------------------------------------------------------------------------------

TABLE_ROWS = [
    {"id": "a1", "account": "alice", "text": "alice says hi", "created_at": "2021-01-31T18:45:02Z"},
    {"id": "b1", "account": "bob", "text": "bob says hi", "created_at": "2021-01-31 13:45:02 EST"},
    {"id": "a2", "account": "alice", "text": "alice again", "created_at": ""},
]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_table_formats_and_account_filter(tmp_path, suffix):
    path = tmp_path / f"posts{suffix}"
    frame = pd.DataFrame(TABLE_ROWS)
    if suffix == ".parquet":
        frame.to_parquet(path)
    elif suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_csv(path, sep="\t" if suffix == ".tsv" else ",", index=False)
    alice = table.read("alice", table_params(path))
    assert alice.id.tolist() == ["a1", "a2"]
    assert alice.text.tolist() == ["alice says hi", "alice again"]
    assert alice.created_at.tolist() == ["2021-01-31T18:45:02Z", ""]
    assert table.read("bob", table_params(path)).created_at.tolist() == ["2021-01-31T18:45:02Z"]


def test_table_without_account_column_or_optional_columns(tmp_path, capsys):
    path = tmp_path / "one.csv"
    pd.DataFrame({"body": ["only me", "me again"]}).to_csv(path, index=False)
    posts = table.read("me", table_params(path, text_column="body", account_column=""))
    assert posts.text.tolist() == ["only me", "me again"]
    assert posts.id.str.startswith("h").all() and posts.id.is_unique
    assert (posts.created_at == "").all()
    assert "no column 'id'" in capsys.readouterr().err


def test_table_errors_say_what_to_set(tmp_path):
    path = tmp_path / "posts.csv"
    pd.DataFrame(TABLE_ROWS).to_csv(path, index=False)
    with pytest.raises(ElmError) as err:
        table.read("alice", table_params(path, text_column="tweet"))
    message = str(err.value)
    assert "posts.csv" in message and "'tweet'" in message and "account, text" in message
    assert "scrape.table.text_column" in message
    with pytest.raises(ElmError, match=r"no rows .* 'carol'.*'alice' \(2\), 'bob' \(1\)"):
        table.read("carol", table_params(path))
    with pytest.raises(ElmError, match="scrape.table.path"):
        table.read("alice", table_params(tmp_path / "missing.csv"))


# --- timestamps -------------------------------------------------------------------------------

@pytest.mark.parametrize("value, fallback, expected", [
    ("", "", ""),
    (1612118702, "", "2021-01-31T18:45:02Z"),
    ("1612118702000", "", "2021-01-31T18:45:02Z"),
    ("2021-01-31T18:45:02Z", "", "2021-01-31T18:45:02Z"),
    ("2021-01-31 18:45:02", "", "2021-01-31T18:45:02Z"),
    ("2021-01-31 18:45:02", "-0600", "2021-02-01T00:45:02Z"),
    ("2021-01-31 18:45:02 CST", "+0100", "2021-02-01T00:45:02Z"),
    ("2021-01-31 18:45:02 IST", "+0530", "2021-01-31T13:15:02Z"),
    ("Wed Oct 10 20:19:24 +0000 2018", "", "2018-10-10T20:19:24Z"),
])
def test_timestamps_become_iso_utc(value, fallback, expected):
    assert dates.to_iso_utc(value, fallback) == expected


@pytest.mark.parametrize("value", ["yesterday", "2021-01-31 18:45:02 IST"])
def test_unrecognized_timestamps_are_refused(value):
    with pytest.raises(ValueError):
        dates.to_iso_utc(value)
