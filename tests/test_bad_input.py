"""Broken input files for the twint, archive and table sources: each gives an ElmError naming the
file, the line, what was expected and the fix, or, with on_bad_row="skip", a row left out, counted
and reported on stderr. Never a traceback from deep inside a parser, never a half-written output."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest

from elm.errors import ElmError
from elm.params.scrape import ArchiveSource, TableSource, TwintSource
from elm.params.validation import build
from elm.sources import archive, files, jsonfiles, table, textfiles, twint

from helpers import ROOT

HEADER = "id\tcreated_at\ttweet\tlanguage\n"
GOOD_ROWS = "1\t2021-01-01 10:00:00 UTC\tfirst post\ten\n2\t2021-01-02 10:00:00 UTC\tsecond post\ten\n"
TEN_MB = 10 * 1024 * 1024


def read_twint(folder, handle, on_bad_row="fail"):
    return twint.read(handle, TwintSource(dir=str(folder)), on_bad_row)


def read_archive(folder, handle, on_bad_row="fail"):
    return archive.read(handle, ArchiveSource(dir=str(folder)), on_bad_row)


def read_table(path, handle="ana", on_bad_row="fail", **columns):
    section = {"path": str(path), "text_column": "text", "account_column": "account",
               "id_column": "id", "created_at_column": "created_at", "created_at_format": "",
               "language_column": "language", "encoding": "auto", **columns}
    return table.read(handle, build(TableSource, section, "scrape.table"), on_bad_row)


def error_of(read, *args, **kwargs) -> str:
    with pytest.raises(ElmError) as err:
        read(*args, **kwargs)
    return str(err.value)


def assert_says(message: str, *parts: str) -> None:
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"


def skipped_report(capsys) -> str:
    return capsys.readouterr().err


# --- delimited files (Twint CSV/TSV, table CSV/TSV) ----------------------------------------------

def test_truncated_row_names_line_and_can_be_skipped(tmp_path, capsys):
    (tmp_path / "ana.csv").write_text(HEADER + GOOD_ROWS + "3\t2021-01-03 10:00", encoding="utf-8")

    message = error_of(read_twint, tmp_path, "ana")
    assert_says(message, "ana.csv: line 4:", "has 2 fields where the header has 4", "cut short",
                "scrape.on_bad_row: skip")

    posts = read_twint(tmp_path, "ana", "skip")
    assert posts.text.tolist() == ["first post", "second post"]
    assert_says(skipped_report(capsys), "ana.csv: left out 1 bad row(s)", "line 4: has 2 fields")


def test_file_cut_inside_a_quoted_field(tmp_path, capsys):
    (tmp_path / "ana.csv").write_text(HEADER + GOOD_ROWS + '3\t2021-01-03 10:00:00 UTC\t"a post that\nwas cut',
                                      encoding="utf-8")
    message = error_of(read_twint, tmp_path, "ana")
    assert_says(message, "ana.csv: line 4:", "ends inside a quoted field", "cut short", "re-export")

    assert read_twint(tmp_path, "ana", "skip").text.tolist() == ["first post", "second post"]
    assert "left out 1 bad row(s)" in skipped_report(capsys)


def test_unescaped_quote_and_extra_field(tmp_path, capsys):
    rows = '3\t2021-01-03 10:00:00 UTC\t"quoted" then not\ten\n4\t2021-01-04 10:00:00 UTC\ta\tb\ten\n'
    (tmp_path / "ana.csv").write_text(HEADER + rows + GOOD_ROWS, encoding="utf-8")
    message = error_of(read_twint, tmp_path, "ana")
    assert_says(message, "ana.csv: line 2:", 'quote (") inside a quoted field')

    assert read_twint(tmp_path, "ana", "skip").id.tolist() == ["1", "2"]
    report = skipped_report(capsys)
    assert_says(report, "left out 2 bad row(s)", "line 2:", "line 3: has 5 fields where the header has 4")


@pytest.mark.parametrize("name, content, separator", [
    ("ana.csv", "id;created_at;tweet;language\n1;2021-01-01;hi;en\n", "';'"),
    ("ana.csv", "id|created_at|tweet|language\n1|2021-01-01|hi|en\n", "'|'"),
])
def test_wrong_separator_is_named_on_the_header_line(tmp_path, name, content, separator):
    (tmp_path / name).write_text(content, encoding="utf-8")
    message = error_of(read_twint, tmp_path, "ana", "skip")
    assert_says(message, "ana.csv: line 1 (the header)", f"looks separated by {separator}",
                "re-export the file separated by commas or tabs")


def test_table_tsv_that_is_comma_separated(tmp_path):
    path = tmp_path / "posts.tsv"
    path.write_text("id,account,text\n1,ana,hello there\n", encoding="utf-8")
    assert_says(error_of(read_table, path), "posts.tsv: line 1 (the header)", "looks separated by ','",
                "re-export the file separated by tabs")


def test_missing_text_column_names_file_columns_and_fix(tmp_path):
    (tmp_path / "ana.csv").write_text("id\tcreated_at\ttext\n1\t2021-01-01\thi\n", encoding="utf-8")
    message = error_of(read_twint, tmp_path, "ana", "skip")  # a header problem fails even when skipping
    assert_says(message, "ana.csv: line 1 (the header)", "no column 'tweet'", "id, created_at, text",
                "`table` source")

    path = tmp_path / "posts.csv"
    path.write_text("id,account,body\n1,ana,hello\n", encoding="utf-8")
    assert_says(error_of(read_table, path), "posts.csv", "no column 'text'", "id, account, body",
                "set scrape.table.text_column")


def test_repeated_column_names_are_refused(tmp_path):
    (tmp_path / "ana.csv").write_text("id\ttweet\ttweet\n1\ta\tb\n", encoding="utf-8")
    assert_says(error_of(read_twint, tmp_path, "ana"), "ana.csv: line 1", "'tweet' twice", "rename")


def test_bytes_that_are_not_utf8(tmp_path, capsys):
    latin1 = (HEADER + GOOD_ROWS + "3\t2021-01-03 10:00:00 UTC\tcaf\xe9 cr\xe8me\ten\n").encode("latin-1")
    (tmp_path / "ana.csv").write_bytes(latin1)
    message = error_of(read_twint, tmp_path, "ana")
    assert_says(message, f"ana.csv: line 4 (byte {latin1.index(0xE9)}) is not valid UTF-8", "re-save the file as UTF-8",
                "scrape.on_bad_row: skip")

    assert read_twint(tmp_path, "ana", "skip").text.tolist() == ["first post", "second post"]
    assert_says(skipped_report(capsys), "left out 1 bad row(s)", "line 4: holds bytes that are not valid UTF-8")


def test_utf8_bom_is_read_and_utf16_is_refused(tmp_path):
    (tmp_path / "ana.csv").write_text("\ufeff" + HEADER + GOOD_ROWS, encoding="utf-8")
    posts = read_twint(tmp_path, "ana")
    assert posts.id.tolist() == ["1", "2"]

    (tmp_path / "bo.csv").write_text("\ufeff" + HEADER + GOOD_ROWS, encoding="utf-16")
    assert_says(error_of(read_twint, tmp_path, "bo"), "bo.csv: the file is UTF-16", "re-save it as UTF-8")


@pytest.mark.parametrize("name", ["ana.csv", "ana.jsonl"])
@pytest.mark.parametrize("content", ["", "\n \n", "\ufeff"])
def test_empty_twint_export(tmp_path, name, content):
    (tmp_path / name).write_text(content, encoding="utf-8")
    assert_says(error_of(read_twint, tmp_path, "ana", "skip"), name, "the file is empty")


def test_empty_table_and_header_only_table(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text("", encoding="utf-8")
    assert_says(error_of(read_table, path), "posts.csv: the file is empty", "header")
    path.write_text("id,account,text\n", encoding="utf-8")
    assert_says(error_of(read_table, path), "posts.csv: holds no rows")


def test_a_ten_megabyte_post(tmp_path, capsys):
    (tmp_path / "ana.csv").write_text(HEADER + f"9\t2021-01-01 09:00:00 UTC\t{'x' * TEN_MB}\ten\n" + GOOD_ROWS,
                                      encoding="utf-8")
    message = error_of(read_twint, tmp_path, "ana")
    assert_says(message, "ana.csv: line 2:", "longer than 131,072 characters", "unclosed quote")

    assert read_twint(tmp_path, "ana", "skip").text.tolist() == ["first post", "second post"]
    assert "left out 1 bad row(s)" in skipped_report(capsys)

    huge = {"id": 9, "tweet": "y" * TEN_MB}
    (tmp_path / "bo.jsonl").write_text(json.dumps(huge) + "\n" + json.dumps({"id": 1, "tweet": "ok"}) + "\n",
                                       encoding="utf-8")
    assert_says(error_of(read_twint, tmp_path, "bo"), "bo.jsonl: line 1: tweet holds 10,485,760 characters")
    assert read_twint(tmp_path, "bo", "skip").text.tolist() == ["ok"]


def test_numbers_in_a_csv_text_column_are_text(tmp_path):
    (tmp_path / "ana.csv").write_text(HEADER + "1\t\t2020\ten\n2\t\t3.14\ten\n", encoding="utf-8")
    assert read_twint(tmp_path, "ana").text.tolist() == ["2020", "3.14"]


# --- JSON lines and arrays (Twint JSON, table JSONL) ---------------------------------------------

def test_twint_json_bad_line_fails_or_is_skipped(tmp_path, capsys):
    lines = [json.dumps({"id": 1, "tweet": "first"}), "{not json", json.dumps([1, 2]),
             json.dumps({"id": 4, "tweet": "fourth"})]
    (tmp_path / "ana.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = error_of(read_twint, tmp_path, "ana")
    assert_says(message, "ana.json: line 2 is not valid JSON", "fix or remove that line", "scrape.on_bad_row: skip")

    assert read_twint(tmp_path, "ana", "skip").text.tolist() == ["first", "fourth"]
    assert_says(skipped_report(capsys), "left out 2 bad row(s)", "line 2 is not valid JSON",
                "line 3 is a JSON list, expected an object")


@pytest.mark.parametrize("value, kind", [(12345, "number"), (1.5, "number"), (True, "number"),
                                         (["a"], "list"), ({"a": 1}, "dict")])
def test_a_text_that_is_not_a_string(tmp_path, capsys, value, kind):
    rows = [{"id": 1, "tweet": "a real post"}, {"id": 2, "tweet": value}]
    (tmp_path / "ana.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert_says(error_of(read_twint, tmp_path, "ana"), "ana.jsonl: line 2: tweet is a " + kind,
                "expected the post's text as a string")
    assert read_twint(tmp_path, "ana", "skip").text.tolist() == ["a real post"]


def test_missing_text_is_an_empty_post_not_an_error(tmp_path):
    rows = [{"id": 1, "tweet": None}, {"id": 2, "tweet": "fine"}]
    (tmp_path / "ana.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert read_twint(tmp_path, "ana").text.tolist() == ["", "fine"]  # the clean stage drops it as "empty"


def test_json_row_without_the_text_key(tmp_path, capsys):
    rows = [{"id": 1, "tweet": "kept"}, {"id": 2, "text": "wrong key"}]
    (tmp_path / "ana.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert_says(error_of(read_twint, tmp_path, "ana"), "ana.jsonl: line 2: no column 'tweet'", "id, text")
    assert read_twint(tmp_path, "ana", "skip").text.tolist() == ["kept"]


def test_bad_dates_and_out_of_range_epochs(tmp_path, capsys):
    rows = [{"id": 1, "tweet": "kept", "created_at": 1612118702000},
            {"id": 2, "tweet": "no", "created_at": "yesterday"},
            {"id": 3, "tweet": "no", "created_at": "9" * 30}]
    (tmp_path / "ana.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert_says(error_of(read_twint, tmp_path, "ana"), "ana.jsonl: line 2 (id 2): created_at",
                "unrecognized timestamp 'yesterday'")
    assert read_twint(tmp_path, "ana", "skip").text.tolist() == ["kept"]
    assert_says(skipped_report(capsys), "left out 2 bad row(s)", "line 3 (id 3): created_at", "out of range")


def test_twint_json_array_gives_each_item_its_line(tmp_path):
    text = '[\n  {"id": 1, "tweet": "one"},\n  {"id": 2, "tweet": 7}\n]\n'
    (tmp_path / "ana.json").write_text(text, encoding="utf-8")
    assert_says(error_of(read_twint, tmp_path, "ana"), "ana.json: line 3 (item 1): tweet is a number")
    (tmp_path / "bo.json").write_text('[\n  {"id": 1, "tweet": "one"},\n  {"id": 2, "tw', encoding="utf-8")
    assert_says(error_of(read_twint, tmp_path, "bo", "skip"), "bo.json: line 3", "cut short")


def test_table_jsonl_and_parquet_with_mixed_types(tmp_path, capsys):
    path = tmp_path / "posts.jsonl"
    rows = [{"account": "ana", "text": "a post"}, {"account": "ana", "text": 42}, {"account": "bo", "text": 7}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert_says(error_of(read_table, path), "posts.jsonl: line 2: text is a number",
                "check that scrape.table.text_column names the column holding the posts")
    assert read_table(path, on_bad_row="skip").text.tolist() == ["a post"]
    assert "left out 2 bad row(s)" in skipped_report(capsys)  # the file's, counted once whichever account asks

    parquet = tmp_path / "posts.parquet"
    pd.DataFrame({"account": ["ana", "ana"], "text": [1, 2]}).to_parquet(parquet)
    assert_says(error_of(read_table, parquet), "posts.parquet: row 1: text is a number")


def test_table_bad_rows_are_counted_once_per_file_not_per_account(tmp_path, capsys):
    path = tmp_path / "posts.csv"
    path.write_text('account,text\nana,hello\nbo,hi there\nbo,"cut\n', encoding="utf-8")
    assert read_table(path, "ana", "skip").text.tolist() == ["hello"]
    assert read_table(path, "bo", "skip").text.tolist() == ["hi there"]
    report = skipped_report(capsys)
    assert_says(report, "posts.csv: left out 1 bad row(s)", "line 4:")
    assert report.count("left out") == 1


# --- X archive (tweets.js) -----------------------------------------------------------------------

def write_js(folder: Path, handle: str, text: str) -> None:
    (folder / f"{handle}.js").write_text(text, encoding="utf-8")


def item(i, text="a post", when="Wed Oct 10 20:19:24 +0000 2018"):
    return {"tweet": {"id_str": str(i), "full_text": text, "created_at": when, "lang": "en"}}


@pytest.mark.parametrize("start", [
    "window.YTD.tweets.part0 [",          # no "="
    "windw.YTD.tweets.part0 = [",         # a typo
    "var tweets = [",                     # something else
    "[",                                  # the bare array
])
def test_archive_with_a_broken_prefix(tmp_path, start):
    write_js(tmp_path, "ana", start + json.dumps(item(1)) + "]")
    message = error_of(read_archive, tmp_path, "ana", "skip")
    assert_says(message, "ana.js: line 1: expected the file to start with `window.YTD.tweets.part0 = [`",
                "found", "point scrape.archive.dir at the unzipped X archive")


def test_archive_cut_short_or_broken_fails_with_its_line(tmp_path):
    items = ",\n".join(json.dumps(item(i)) for i in range(3))
    write_js(tmp_path, "ana", "window.YTD.tweets.part0 = [\n" + items[:-20])
    assert_says(error_of(read_archive, tmp_path, "ana", "skip"), "ana.js: line 4", "cut short",
                "unzip the archive again")

    write_js(tmp_path, "bo", "window.YTD.tweets.part0 = [\n" + items + "\n")
    assert_says(error_of(read_archive, tmp_path, "bo"), "bo.js: line 5", "closing `]`", "cut short")

    write_js(tmp_path, "cy", "window.YTD.tweets.part0 = [\n" + items + "\n] trailing")
    assert_says(error_of(read_archive, tmp_path, "cy"), "cy.js: line 5: text after the array's closing `]`")


def test_archive_entries_that_cannot_be_read(tmp_path, capsys):
    entries = [item(1), {"tweet": {"id_str": "2"}}, item(3, when="sometime"), "oops", item(5, text=99), item(6)]
    write_js(tmp_path, "ana", "window.YTD.tweets.part0 = [\n" + ",\n".join(json.dumps(e) for e in entries) + "\n];")
    assert_says(error_of(read_archive, tmp_path, "ana"), "ana.js: line 3 (item 1): no column 'full_text'",
                "unzip the archive again")

    assert read_archive(tmp_path, "ana", "skip").id.tolist() == ["1", "6"]
    assert_says(skipped_report(capsys), "ana.js: left out 4 bad row(s)", "line 4 (item 2) (id 3): created_at",
                "line 5 (item 3): expected an object", "line 6 (item 4): full_text is a number")


def test_archive_empty_bom_and_non_utf8(tmp_path):
    write_js(tmp_path, "ana", "")
    assert_says(error_of(read_archive, tmp_path, "ana"), "ana.js: the file is empty")
    write_js(tmp_path, "bo", "\ufeffwindow.YTD.tweets.part0 = [" + json.dumps(item(1)) + "]")
    assert read_archive(tmp_path, "bo").id.tolist() == ["1"]
    (tmp_path / "cy.js").write_bytes(b"window.YTD.tweets.part0 = [\n" + json.dumps(item(1)).encode()[:-3]
                                     + b"\xff\"}}]")
    assert_says(error_of(read_archive, tmp_path, "cy", "skip"), "cy.js: line 2 (byte", "is not valid UTF-8")


# --- reading caps: nesting and line length, held while reading (docs/reliability.md) -------

DEEP = 100_000  # far past the interpreter's recursion limit


@pytest.mark.parametrize("name, text", [
    ("posts.json", "[" * DEEP + "]" * DEEP),                                          # an array
    ("posts.jsonl", '{"text": "ok", "account": "ana"}\n{"text": ' + "[" * DEEP + "]" * DEEP + "}\n"),  # line 2
    ("posts.json", '[{"text": "ok", "account": "ana"},\n {"text": ' + "{\"a\": " * DEEP + "1" + "}" * DEEP + "}]"),
])
def test_deeply_nested_json_is_an_error_naming_file_and_line(tmp_path, name, text):
    (tmp_path / name).write_text(text, encoding="utf-8")
    message = error_of(read_table, tmp_path / name, **{"id_column": "", "created_at_column": ""})
    line = "line 1" if text.startswith("[" * 2) else "line 2"
    assert_says(message, f"{name}: {line}", "nests deeper than 100 levels")


def test_deeply_nested_twint_json_lines_can_be_skipped(tmp_path, capsys):
    (tmp_path / "ana.jsonl").write_text('{"id": 1, "tweet": ' + "[" * DEEP + "]" * DEEP + "}\n"
                                        + json.dumps({"id": 2, "tweet": "kept"}) + "\n", encoding="utf-8")
    assert read_twint(tmp_path, "ana", "skip").text.tolist() == ["kept"]
    assert_says(skipped_report(capsys), "left out 1 bad row(s)", "ana.jsonl: line 1: the JSON nests deeper")


@pytest.mark.parametrize("name", ["posts.txt", "posts.csv", "posts.jsonl", "posts.json"])
def test_a_line_past_the_cap_is_refused_holding_no_more_than_the_cap(tmp_path, monkeypatch, name):
    """A file without a line break (the 2 GB probe, here 24 MiB against a 1 MiB cap): refused at its line,
    with memory held to a few times the cap, not the file's size."""
    monkeypatch.setattr(textfiles, "MAX_LINE_BYTES", 1 << 20)
    start = {"posts.txt": "", "posts.csv": "account,text\n", "posts.jsonl": '{"text": "ok"}\n',
             "posts.json": '[{"text": "ok"},\n"'}[name]
    with (tmp_path / name).open("w", encoding="utf-8") as file:
        file.write(start)
        for _ in range(24):
            file.write("x" * (1 << 20))
    tracemalloc.start()
    try:
        message = error_of(read_table, tmp_path / name, account_column="")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    line = 1 if name == "posts.txt" else 2
    assert_says(message, f"{name}: line {line}: the ", "is longer than 1 MiB", "not a table of posts")
    assert peak < 8 * (1 << 20), f"held {peak / 2**20:.0f} MiB to refuse a 24 MiB line"


@pytest.mark.parametrize("block", [1, 7, 64, 1 << 20])
def test_json_arrays_read_a_block_at_a_time_give_every_item_its_line(tmp_path, monkeypatch, block):
    """Blocks of 1, 7 and 64 bytes cut every item, string, escape, number and literal somewhere."""
    monkeypatch.setattr(jsonfiles, "READ_BYTES", block)
    items = [{"id": 12345678901234567890, "text": 'caf\u00e9 \\ "quoted" \U0001F600', "ok": True, "n": None},
             [1.5e-7, -0.25, "x\ny"], "a string item", 42, False, {"nested": {"deeper": [[[{}]]]}}]
    text = "\ufeff[\n" + ",\n".join(json.dumps(item, ensure_ascii=block % 2 == 0) for item in items) + "\n] ;\n"
    (tmp_path / "a.json").write_text(text, encoding="utf-8")
    read = list(jsonfiles.json_array_items(tmp_path / "a.json", 0, "fix"))
    assert [item for _, item in read] == items
    assert [where.split(": ", 1)[1] for where, _ in read] == [f"line {n + 2} (item {n})" for n in range(len(items))]

    (tmp_path / "b.json").write_text(text.replace('"a string item"', '"a string item" oops'), encoding="utf-8")
    with pytest.raises(ElmError, match=r"b.json: line 4: expected `,` or the closing `]`; fix"):
        list(jsonfiles.json_array_items(tmp_path / "b.json", 0, "fix"))
    (tmp_path / "c.json").write_text(text[:text.index("a string item") + 4], encoding="utf-8")
    with pytest.raises(ElmError, match=r"c.json: line 4: a string starting here runs to the end of the file"):
        list(jsonfiles.json_array_items(tmp_path / "c.json", 0, "fix"))


def test_a_json_file_that_is_one_object_says_so(tmp_path):
    (tmp_path / "posts.json").write_text(json.dumps({"posts": [{"text": "a"}]}, indent=2), encoding="utf-8")
    assert_says(error_of(read_table, tmp_path / "posts.json"), "posts.json: holds one JSON object over several "
                "lines, not posts", "an array of objects `[{...}, ...]` or one object a line", "re-export it")


# --- the policy itself, and the stage ------------------------------------------------------------

def test_an_unknown_policy_is_refused(tmp_path):
    (tmp_path / "ana.csv").write_text(HEADER + GOOD_ROWS, encoding="utf-8")
    assert_says(error_of(read_twint, tmp_path, "ana", "ignore"), "scrape.on_bad_row is 'ignore'", "fail, skip")


def test_the_report_lists_the_first_rows_and_counts_the_rest(tmp_path, capsys):
    broken = "".join(f"{i}\tonly two fields\n" for i in range(10, 22))
    (tmp_path / "ana.csv").write_text(HEADER + GOOD_ROWS + broken, encoding="utf-8")
    read_twint(tmp_path, "ana", "skip")
    report = skipped_report(capsys)
    assert "left out 12 bad row(s)" in report
    assert report.count("has 2 fields") == files.SKIPPED_LISTED
    assert f"and {12 - files.SKIPPED_LISTED} more" in report


def test_scrape_reports_a_bad_row_in_one_line_and_leaves_data_raw_as_it_was(workdir, default_params):
    twint_dir = workdir / "imports"
    twint_dir.mkdir()
    (twint_dir / "ana.csv").write_text(HEADER + GOOD_ROWS, encoding="utf-8")
    default_params["scrape"]["accounts"] = ["twint:ana"]
    default_params["scrape"]["twint"]["dir"] = "imports"
    workdir.write_params(default_params)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.run([sys.executable, "-m", "stages.scrape"], capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in (workdir / "data" / "raw").iterdir()}

    (twint_dir / "ana.csv").write_text(HEADER + GOOD_ROWS + "3\t2021-01-03 10:00:00 UTC\t\"cut", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "stages.scrape"], capture_output=True, text=True, env=env)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert_says(run.stderr, "error: imports/ana.csv: line 4:", "cut short")
    assert {p.name: p.read_bytes() for p in (workdir / "data" / "raw").iterdir()} == before
    assert sorted(p.name for p in (workdir / "data").iterdir()) == ["raw"], "no temporary folder left behind"


def test_posts_are_normalized_in_batches_with_the_same_result(tmp_path, monkeypatch, capsys):
    rows = "".join(f"{i}\t2021-01-01 10:00:{i:02d} UTC\tpost number {i}\ten\n" for i in range(7))
    (tmp_path / "ana.csv").write_text(HEADER + rows + "99\tcut\n", encoding="utf-8")
    whole = read_twint(tmp_path, "ana", "skip")
    monkeypatch.setattr(files, "BATCH_ROWS", 2)
    batched = read_twint(tmp_path, "ana", "skip")
    pd.testing.assert_frame_equal(batched, whole)
    assert batched.id.tolist() == [str(i) for i in range(7)]


def test_scrape_on_bad_row_skip_writes_the_good_rows_and_reports_the_rest(workdir, default_params):
    (workdir / "imports").mkdir()
    (workdir / "imports" / "ana.csv").write_text(HEADER + GOOD_ROWS + "3\tcut", encoding="utf-8")
    default_params["scrape"].update(accounts=["twint:ana"], on_bad_row="skip", twint={"dir": "imports"})
    workdir.write_params(default_params)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "stages.scrape"], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert_says(run.stderr, "imports/ana.csv: left out 1 bad row(s)", "line 4: has 2 fields")
    assert pd.read_parquet(workdir / "data" / "raw" / "twint-ana.parquet").id.tolist() == ["1", "2"]
