"""The scrape stage end to end, in a scratch project: one table per account, all or nothing."""
from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from elm.errors import ElmError
from elm.sources import raw
from elm.sources.records import RAW_COLUMNS
from stages import scrape

from helpers import ROOT


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A scratch project to run the stage in (cwd moves there)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def use_accounts(workdir, default_params, accounts, posts=40):
    """Write the scratch project's params.yaml: scrape ``accounts``, twint exports in imports/twint."""
    default_params["scrape"]["accounts"] = accounts
    default_params["scrape"]["demo"]["posts_per_account"] = posts
    default_params["scrape"]["twint"]["dir"] = "imports/twint"
    (workdir / "imports" / "twint").mkdir(parents=True, exist_ok=True)
    (workdir / "params.yaml").write_text(yaml.safe_dump(default_params, sort_keys=False), encoding="utf-8")


def write_twint(workdir, handle, rows):
    lines = ["id\tcreated_at\ttweet\tlanguage", *[f"{i}\t2021-01-0{i} 10:00:00 UTC\t{text}\ten" for i, text in rows]]
    (workdir / "imports" / "twint" / f"{handle}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def raw_files(workdir) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((workdir / "data" / "raw").iterdir())}


def test_scrape_writes_one_table_per_account(workdir, default_params, capsys):
    use_accounts(workdir, default_params, ["demo:ada_sails", "demo:dr_dune", "twint:zed"])
    write_twint(workdir, "zed", [(1, "first post"), (2, "second post")])
    scrape.main()
    assert list(raw_files(workdir)) == ["demo-ada_sails.parquet", "demo-dr_dune.parquet", "twint-zed.parquet"]
    zed = pd.read_parquet(workdir / "data/raw/twint-zed.parquet")
    assert list(zed.columns) == RAW_COLUMNS
    assert zed.text.tolist() == ["first post", "second post"]
    assert len(pd.read_parquet(workdir / "data/raw/demo-dr_dune.parquet")) == 40
    err = capsys.readouterr().err
    assert "demo:ada_sails: 40 posts" in err and "twint:zed: 2 posts" in err


def test_a_failing_account_leaves_the_previous_data_raw(workdir, default_params):
    use_accounts(workdir, default_params, ["demo:ada_sails", "twint:zed"])
    write_twint(workdir, "zed", [(1, "first post")])
    scrape.main()
    before = raw_files(workdir)

    use_accounts(workdir, default_params, ["demo:ada_sails", "demo:basil_bakes", "twint:nobody"], posts=60)
    with pytest.raises(ElmError, match="twint:nobody: no export found"):
        scrape.main()
    assert raw_files(workdir) == before
    assert sorted(p.name for p in (workdir / "data").iterdir()) == ["raw"], "no temporary folder left behind"


def test_an_account_without_posts_is_an_error(workdir, default_params):
    use_accounts(workdir, default_params, ["twint:quiet"])
    write_twint(workdir, "quiet", [])
    with pytest.raises(ElmError, match="twint:quiet has no posts"):
        scrape.main()
    assert not (workdir / "data" / "raw").exists()


@pytest.mark.parametrize("accounts, repeated", [
    (["demo:ada_sails", "demo:ada_sails"], "demo:ada_sails"),
    (["twint:Conan", "twint: conan"], "twint: conan"),
    (["table:a/b", "table:a b"], "table:a b"),
])
def test_accounts_listed_twice_are_refused(workdir, default_params, accounts, repeated):
    use_accounts(workdir, default_params, accounts)
    with pytest.raises(ElmError, match=f"'{repeated}' repeats"):
        scrape.main()


def test_handles_become_safe_file_names():
    assert raw.safe_filename("ada_sails") == "ada_sails"
    assert raw.safe_filename("../etc/passwd") == "_etc_passwd"
    assert raw.safe_filename("Ünïcode name") == "_n_code_name"


def test_cli_errors(workdir, default_params):
    use_accounts(workdir, default_params, ["nosuch:handle"])
    error_run = subprocess.run([sys.executable, "-m", "stages.scrape"], cwd=workdir, capture_output=True,
                               text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert error_run.returncode == 2
    assert "unknown source 'nosuch'" in error_run.stderr and "Traceback" not in error_run.stderr
