"""Bring your own posts: small files in each format people export, written here, run through the
scrape and clean stages as a new user would, with at most a params change each."""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from elm.errors import ElmError
from elm.params.scrape import ArchiveSource, TableSource, TwintSource
from elm.params.validation import build
from elm.sources import archive, bluesky, mastodon, twint, xapi
from elm.sources.accounts import parse_account
from elm.sources.records import normalize
from stages import clean, scrape

NO_COLUMNS = {"id_column": "", "created_at_column": "", "language_column": ""}


def run(workdir, default_params, accounts, table=None, clean_params=None, on_bad_row="fail"):
    """scrape then clean in ``workdir`` with ``accounts`` and changes to scrape.table / clean; returns
    the raw tables by file stem, the cleaned posts, reports/clean/breakdown.json and its per-account part."""
    default_params["scrape"].update(accounts=accounts, on_bad_row=on_bad_row)
    default_params["scrape"]["table"].update(table or {})
    default_params["clean"].update(clean_params or {})
    workdir.write_params(default_params)
    scrape.main()
    clean.main()
    raw = {path.stem: pd.read_parquet(path) for path in sorted((workdir / "data/raw").glob("*.parquet"))}
    return (raw, pd.read_parquet("data/clean/posts.parquet"),
            breakdown := json.loads(Path("reports/clean/breakdown.json").read_text(encoding="utf-8")),
            breakdown["accounts"])


def texts_of(posts: pd.DataFrame, account: str) -> list[str]:
    return sorted(posts.loc[posts["account"] == account, "text"])


QUOTES = [
    {"quote": "Be yourself; everyone else is already taken, or so the saying goes.", "author": "Oscar Wilde",
     "tags": ["self"]},
    {"quote": "I can resist everything except temptation, and I have tried very hard.", "author": "Oscar Wilde",
     "tags": ["wit"]},
    {"quote": "Even the darkest night will end and the sun will rise again tomorrow.", "author": "Victor Hugo",
     "tags": ["hope"]},
    {"quote": "La musique exprime ce qui ne peut être dit et sur quoi il est impossible de rester silencieux.",
     "author": "Victor Hugo", "tags": ["musique"]},
]


@pytest.mark.parametrize("name", ["quotes.json", "quotes.jsonl"])  # an array renamed .jsonl reads too
def test_a_json_array_of_quotes_every_account_languages_detected(workdir, default_params, name):
    (workdir / name).write_text(json.dumps(QUOTES, ensure_ascii=False, indent=2), encoding="utf-8")
    raw, posts, metrics, detail = run(
        workdir, default_params, ["table:*"],
        {"path": name, "text_column": "quote", "account_column": "author", **NO_COLUMNS})
    assert list(raw) == ["table-Oscar_Wilde", "table-Victor_Hugo"]
    assert raw["table-Victor_Hugo"]["account"].unique().tolist() == ["Victor Hugo"]
    assert (raw["table-Oscar_Wilde"]["language"] == "").all()
    assert texts_of(posts, "Victor Hugo") == ["Even the darkest night will end and the sun will rise again tomorrow."]
    assert len(texts_of(posts, "Oscar Wilde")) == 2
    assert metrics["dropped"]["language"] == 1 and metrics["languages_detected"] == 3
    assert detail["Victor Hugo"]["languages_detected"] == {"en": 1}


def test_a_two_account_csv_in_a_legacy_encoding_with_us_dates(workdir, default_params, capsys):
    rows = [
        "author,content,publish_date",
        "ANA_NEWS,Caf\u00e9 owners say it\u2019s the busiest autumn in years (example.com),10/16/17 22:59",
        "ANA_NEWS,@CNN just released the full transcript of the interview with the mayor,10/17/17 08:05",
        "BO_DAILY,\"Na\u00efve question: who\u2019s coming to the r\u00e9sum\u00e9 workshop at www.example.org at "
        "noon?\",1/2/2018 7:00",
        "BO_DAILY,Send your tips to tips@example.com and we will read every single one,2018-01-03",
    ]
    (workdir / "posts.csv").write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
    raw, posts, _, detail = run(
        workdir, default_params, ["table:ANA_NEWS", "table:BO_DAILY"],
        {"path": "posts.csv", "text_column": "content", "account_column": "author",
         "created_at_column": "publish_date", "id_column": "", "language_column": ""})
    assert "posts.csv is not UTF-8: read as cp1252" in capsys.readouterr().err
    assert raw["table-ANA_NEWS"]["created_at"].tolist() == ["2017-10-16T22:59:00Z", "2017-10-17T08:05:00Z"]
    assert raw["table-BO_DAILY"]["created_at"].tolist() == ["2018-01-02T07:00:00Z", "2018-01-03T00:00:00Z"]
    assert texts_of(posts, "ANA_NEWS") == [
        "@CNN just released the full transcript of the interview with the mayor",  # the subject, not a reply
        "Caf\u00e9 owners say it\u2019s the busiest autumn in years (HTTPURL)",  # where the link was: the marker
    ]
    assert texts_of(posts, "BO_DAILY") == [
        "Na\u00efve question: who\u2019s coming to the r\u00e9sum\u00e9 workshop at HTTPURL at noon?",
        "Send your tips to HTTPURL and we will read every single one",  # an e-mail address is a link too
    ]
    assert detail["ANA_NEWS"]["repaired"]["link"] == 1
    assert detail["BO_DAILY"]["repaired"]["email"] == 1 and detail["BO_DAILY"]["repaired"]["link"] == 1


def test_a_text_file_of_one_accounts_posts_with_mojibake(workdir, default_params):
    folder = workdir / "exports"
    folder.mkdir()
    (folder / "alice.txt").write_text("\n".join([
        "Itâ€™s been a long week and I am more than ready for the weekend",
        "",
        "This is exactly what I have been saying all along RT @bo: Rents rose again this year",
        "Had the best time at the lake today. Cannot wait to go back next summer wi… https://fb.me/1",
        "A plain post about nothing much, long enough to keep after cleaning",
    ]) + "\n", encoding="utf-8")
    raw, posts, metrics, detail = run(workdir, default_params, ["table:alice"],
                                      {"path": "exports", "account_column": ""})
    assert len(raw["table-alice"]) == 4
    assert texts_of(posts, "alice") == [
        "A plain post about nothing much, long enough to keep after cleaning",
        "Had the best time at the lake today.",
        "It\u2019s been a long week and I am more than ready for the weekend",
        "This is exactly what I have been saying all along",
    ]
    repaired = detail["alice"]["repaired"]
    assert (repaired["mojibake"], repaired["retweet_cut"], repaired["cut_off_cut"]) == (1, 1, 1)
    assert metrics["repaired"]["mojibake"] == 1


def test_one_file_per_account_in_a_glob_and_every_account(workdir, default_params):
    (workdir / "exports").mkdir()
    for handle in ("cleo", "dune"):
        pd.DataFrame({"text": [f"{handle} wrote this rather long post number {n} of two" for n in ("one", "two")]}) \
            .to_parquet(workdir / "exports" / f"{handle}.parquet")
    raw, posts, _, _ = run(workdir, default_params, ["table:*"],
                           {"path": "exports/*.parquet", "account_column": "", **NO_COLUMNS})
    assert list(raw) == ["table-cleo", "table-dune"]
    assert posts["account"].value_counts().to_dict() == {"cleo": 2, "dune": 2}


def test_day_first_dates_fail_once_naming_the_params_that_fix_them(workdir, default_params):
    rows = ["account,text,created_at", *[f"ana,a post written on a day late in the month,{d}/10/2017 22:59"
                                          for d in range(20, 26)]]
    (workdir / "posts.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    table = {"path": "posts.csv", "language_column": ""}
    for on_bad_row in ("fail", "skip"):
        with pytest.raises(ElmError) as err:
            run(workdir, default_params, ["table:ana"], table, on_bad_row=on_bad_row)
        message = str(err.value)
        assert "posts.csv: line 2" in message and "'20/10/2017 22:59'" in message
        assert "scrape.table.created_at_format" in message and 'created_at_column: ""' in message
    assert "every row (6) failed" in message
    raw, _, _, _ = run(workdir, default_params, ["table:ana"], {**table, "created_at_format": "%d/%m/%Y %H:%M"},
                       {"near_duplicates": False})
    assert raw["table-ana"]["created_at"].iloc[0] == "2017-10-20T22:59:00Z"


def test_encodings_named_or_refused_with_the_param(workdir, default_params):
    path = workdir / "posts.csv"
    path.write_bytes("account,text\nana,une très longue publication écrite en français\n".encode("latin-1"))
    default_params["clean"]["languages"] = []
    raw, _, _, _ = run(workdir, default_params, ["table:ana"], {"path": "posts.csv", "encoding": "latin-1"})
    assert raw["table-ana"]["text"].tolist() == ["une très longue publication écrite en français"]
    with pytest.raises(ElmError, match="scrape.table.encoding: unknown encoding 'latin-9000'"):
        run(workdir, default_params, ["table:ana"], {"path": "posts.csv", "encoding": "latin-9000"})
    with pytest.raises(ElmError, match=r"posts.csv: line 2 \(byte \d+\) is not valid UTF-8"):
        run(workdir, default_params, ["table:ana"], {"path": "posts.csv", "encoding": "utf-8"})


# Posts that only ASCII-safe encodings agree on fill the first MiB and more (what the old detector looked at);
# the first legacy byte comes after them.
ASCII_ROWS = "".join(f"ana,plain post number {n} about the weather and the train\n" for n in range(25_000))
LEGACY = {
    "mac_roman": ["Caf\u00e9 owners say it\u2019s the busiest autumn in years",
                  "\u201cWe will win\u201d, the mayor said at the r\u00e9sum\u00e9 workshop",
                  "Na\u00efve question: who\u2019s coming? Se\u00f1or Garc\u00eda will be there\u2026"],
    "cp1252": ["Caf\u00e9 owners say it\u2019s the busiest autumn in years \u2014 again",
               "\u201cWe will win\u201d, the mayor said at the r\u00e9sum\u00e9 workshop"],
    "latin-1": ["Die Stra\u00dfe ist sch\u00f6n, \u00fcber alles", "Cr\u00e8me br\u00fbl\u00e9e \u00e0 la carte"],
}


@pytest.mark.parametrize("encoding, expected", [("mac_roman", "mac-roman"), ("cp1252", "cp1252"),
                                                ("latin-1", "cp1252")])  # Latin-1 text reads the same as cp1252
def test_a_legacy_encoding_first_met_deep_inside_the_file_is_detected(tmp_path, caplog, encoding, expected):
    path = tmp_path / "posts.csv"
    posts = LEGACY[encoding] * 20
    path.write_bytes(("account,text\n" + ASCII_ROWS + "".join(f'ana,"{p}"\n' for p in posts)).encode(encoding))
    section = build(TableSource, {"path": str(path), "text_column": "text", "account_column": "account",
                                  "created_at_format": "", "encoding": "auto", **NO_COLUMNS}, "scrape.table")
    from elm.sources import table

    with caplog.at_level("INFO"):
        read = table.read("ana", section)
    assert read["text"].tolist()[-len(posts):] == posts
    assert f"posts.csv is not UTF-8: read as {expected} (line 25002 is the first that is not UTF-8" in caplog.text


def test_a_mac_roman_csv_of_double_encoded_posts_is_read_and_repaired(workdir, default_params, capsys):
    """Posts once mis-decoded as Windows-1252 (\u201c as \u00e2\u20ac\u0153), then saved as Mac Roman: read as
    Latin-1 they are \u2030\u00db\u00cf garbage; read as Mac Roman, the clean stage's ftfy repairs them."""
    typed = ["\u201cTrump hails the deal \u2014 the best in years, say his aides",
             "It\u2019s raining again in the city, and the trains are late once more"]
    double = [text.encode("utf-8").decode("cp1252") for text in typed]
    rows = ["account,text", *(f"ana,\"{text} ({n})\"" for n in range(10) for text in double),
            "ana,Caf\u00e9 culture is back in town with na\u00efve art and more"]
    (workdir / "posts.csv").write_bytes(("\n".join(rows) + "\n").encode("mac_roman"))
    raw, posts, _, detail = run(workdir, default_params, ["table:ana"],
                                {"path": "posts.csv", "account_column": "account", **NO_COLUMNS},
                                {"near_duplicates": False})
    assert "read as mac-roman" in capsys.readouterr().err
    assert raw["table-ana"]["text"].iloc[0] == double[0] + " (0)"
    assert "Caf\u00e9 culture is back in town with na\u00efve art and more" in set(posts["text"])
    assert {f"{text} (9)" for text in typed} < set(posts["text"])
    assert detail["ana"]["repaired"]["mojibake"] == 20


def test_refused_encodings_name_the_param_and_the_candidates(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_bytes(b"account,text\n" + b"".join(b"ana," + bytes(range(0x80, 0xc0)) + b"\n" for _ in range(30)))
    section = build(TableSource, {"path": str(path), "text_column": "text", "account_column": "account",
                                  "created_at_format": "", "encoding": "auto", **NO_COLUMNS}, "scrape.table")
    from elm.sources import table

    with pytest.raises(ElmError, match=r"posts.csv: is not UTF-8 \(line 2 is the first that is not\) and no "
                                       r"encoding reads it well \(candidates, by mess: .*\(\d\.\d\d\).*"
                                       r"set scrape.table.encoding"):
        table.read("ana", section)


def test_a_one_column_csv_saved_as_txt_is_read_as_csv(workdir, default_params, capsys):
    lines = ["tweet", *[f'"Post number {n}, with a comma and ""quotes"" in it, long enough to keep"' for n in range(5)],
             '"A post over\ntwo lines, long enough to keep after cleaning"']
    (workdir / "me.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw, _, _, _ = run(workdir, default_params, ["table:me"], {"path": "me.txt", **NO_COLUMNS},
                       {"near_duplicates": False})
    texts = raw["table-me"]["text"].tolist()
    assert texts[0] == 'Post number 0, with a comma and "quotes" in it, long enough to keep'
    assert texts[-1] == "A post over\ntwo lines, long enough to keep after cleaning" and len(texts) == 6
    assert not any(text.startswith('"') for text in texts)
    assert "read as a one-column CSV" in capsys.readouterr().err

    (workdir / "me.txt").write_text("\n".join(lines[1:]) + "\n", encoding="utf-8")  # no header line
    with pytest.raises(ElmError, match=r"me.txt: 6 of its first 7 lines are wrapped in double quotes.*rename it "
                                       r"\.csv and give it a header line"):
        run(workdir, default_params, ["table:me"], {"path": "me.txt", **NO_COLUMNS})


def test_a_language_column_of_names_says_what_to_set(workdir, default_params):
    (workdir / "posts.csv").write_text("account,text,language\nana,a post long enough to be kept here,English\n",
                                       encoding="utf-8")
    with pytest.raises(ElmError, match=r"line 2: language is 'English', not a language code.*language_column: \"\""):
        run(workdir, default_params, ["table:ana"], {"path": "posts.csv"})


def test_twint_export_of_another_username_and_its_replies(workdir, default_params, capsys):
    (workdir / "twint").mkdir()
    rows = [
        ("1", "1", "[]", "@CNN just released the full transcript of my interview, worth a read"),
        ("2", "1", "[{'screen_name': 'bo'}]", "@bo thanks for the kind words about the show last night"),
        ("3", "3", "[]", "A post of my own that is long enough to be kept by clean"),
    ]
    lines = ["id\tconversation_id\tcreated_at\tusername\ttweet\tlanguage\treply_to",
             *[f"{i}\t{c}\t2021-01-0{i} 10:00:00 UTC\tconanobrien\t{text}\ten\t{reply_to}"
               for i, c, reply_to, text in rows]]
    (workdir / "twint" / "conan.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    default_params["scrape"]["twint"]["dir"] = "twint"
    raw, posts, _, detail = run(workdir, default_params, ["twint:conan"])
    assert "username column says 'conanobrien' (3 posts), not 'conan'; its posts are kept as 'conan'" \
        in capsys.readouterr().err
    assert raw["twint-conan"]["reply"].tolist() == ["false", "true", "false"]
    assert texts_of(posts, "conan") == [
        "@CNN just released the full transcript of my interview, worth a read",
        "A post of my own that is long enough to be kept by clean",
        "thanks for the kind words about the show last night",
    ]
    assert detail["conan"]["repaired"]["mentions_stripped"] == 1


def test_the_import_readme_blocks_are_valid_params(default_params):
    """Every params block of data/import/README.md, each format's and the full list of keys, is valid: its
    accounts parse and each section it sets builds once merged into params.yaml's."""
    readme = (Path(__file__).resolve().parents[1] / "data/import/README.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(block)["scrape"] for block in re.findall(r"```yaml\n(.*?)```", readme, re.S)]
    assert len(blocks) == 10  # one per format (9), and every key of scrape.table
    assert set(blocks[-1]["table"]) == {field.name for field in dataclasses.fields(TableSource)}
    sections = {"table": TableSource, "archive": ArchiveSource, "twint": TwintSource}
    for block in blocks:
        for spec in block.get("accounts", []):
            parse_account(spec)
        for name, schema in sections.items():
            if name in block:
                build(schema, {**default_params["scrape"][name], **block[name]},
                      f"data/import/README.md: scrape.{name}")


@pytest.mark.parametrize("record, expected", [
    # live sources give (id, record): the record is the second
    (lambda: bluesky.own_post_record({"post": {"uri": "at://1", "record": {
        "text": "@bo.bsky.social agreed", "reply": {"parent": {"uri": "at://0"}}}}})[1], "true"),
    (lambda: bluesky.own_post_record({"post": {"uri": "at://1", "record": {"text": "@bo.bsky.social said it"}}})[1],
     "false"),
    (lambda: mastodon.status_record({"id": "1", "content": "<p>hi</p>", "in_reply_to_id": "0"})[1], "true"),
    (lambda: mastodon.status_record({"id": "1", "content": "<p>hi</p>", "in_reply_to_id": None})[1], "false"),
    (lambda: xapi.tweet_record({"id": "1", "text": "@bo yes", "referenced_tweets": [{"type": "replied_to"}]},
                               keep_retweets=False)[1], "true"),
    (lambda: xapi.tweet_record({"id": "1", "text": "@bo says", "referenced_tweets": [{"type": "quoted"}]},
                               keep_retweets=False)[1], "false"),
    (lambda: archive.post_record({"tweet": {"id_str": "1", "full_text": "@bo yes",
                                            "in_reply_to_status_id_str": "0"}}, "tweets.js"), "true"),
    (lambda: archive.post_record({"tweet": {"id_str": "1", "full_text": "@bo said"}}, "tweets.js"), "false"),
    (lambda: twint.post_record({"id": "2", "conversation_id": "1", "tweet": "@bo yes"}, "x.csv"), "true"),
    (lambda: twint.post_record({"id": "2", "tweet": "@bo yes"}, "x.csv"), ""),  # an export without the columns
])
def test_sources_say_which_posts_are_replies(record, expected):
    assert normalize([record()], "ana", "test")["reply"].tolist() == [expected]
