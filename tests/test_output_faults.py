"""Outputs under faults: disk full and read-only folders (a clear error naming the output, the previous output
intact), and runs SIGKILLed at exact moments (nothing lost, a stage's outputs replaced as a set, what a killed run
left completed or removed by the next run, and `dvc status` asking for a rerun).

The disk tests use real small filesystems (tmpfs mounted over the output folder), so they need root; they skip
otherwise.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from elm import io, paths
from elm.errors import ElmError
from stages import scrape

from helpers import VOCABULARY, posts, write_generated, write_real
from stage_runner import DVC, TINY, new_project, paused_stage, run_stage, sh, stage_env, write_params


@pytest.fixture
def small_disk(workdir):
    """data/raw on a 64 KiB tmpfs, unmounted after the test."""
    target = workdir / "data" / "raw"
    target.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(target.parent)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")
    target.mkdir()
    yield target
    subprocess.run(["umount", str(target.parent)], check=True)


def test_a_full_disk_is_a_clear_error_and_keeps_the_previous_output(workdir, default_params, small_disk):
    (small_disk / "demo-old.parquet").write_bytes(b"previous output")
    default_params["scrape"]["demo"]["posts_per_account"] = 2000  # far more than 64 KiB of parquet
    workdir.write_params(default_params)
    with pytest.raises(ElmError, match=r"cannot write data/raw: .*No space left on device.*; check"):
        scrape.main()
    assert [p.name for p in small_disk.iterdir()] == ["demo-old.parquet"]
    assert (small_disk / "demo-old.parquet").read_bytes() == b"previous output"
    assert [p.name for p in small_disk.parent.iterdir()] == ["raw"]  # no temp file left behind


def test_a_read_only_output_folder_is_a_clear_error(workdir, default_params, small_disk):
    default_params["scrape"]["demo"]["posts_per_account"] = 5
    workdir.write_params(default_params)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk.parent)], check=True)
    with pytest.raises(ElmError, match=r"cannot write data/raw: Read-only file system; check"):
        scrape.main()
    assert list(small_disk.iterdir()) == []


# --- Kills: a real SIGKILL at an exact moment (tests/paused_stage.py holds the stage there) ---


def raw_contents(project: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((project / "data" / "raw").iterdir())}


def leftovers(project: Path) -> list[str]:
    """What killed runs can leave: temporaries, set-aside copies, journals (none, once the next run is done)."""
    found = [*project.rglob(".*.tmp"), *project.rglob(".*.old"), *project.glob(".elm-outputs.*")]
    return sorted(str(p.relative_to(project)) for p in found if ".dvc" not in p.parts and ".git" not in p.parts)


def run_refused(stage: str, project: Path) -> None:
    """Run ``stage`` as the next run that stops at once: its params file (a copy of params.yaml with a typo) is
    refused, so it does only what every entry point does first (elm/cli.py)."""
    typo = project / "typo.yaml"
    typo.write_text((project / "params.yaml").read_text().replace("seed:", "sed:"))
    refused = subprocess.run([sys.executable, "-m", f"stages.{stage}", "--params", str(typo)], cwd=project,
                             env=stage_env(), capture_output=True, text=True)
    assert refused.returncode == 2 and "did you mean 'seed'" in refused.stderr, refused.stderr[-2000:]
    typo.unlink()


@pytest.fixture
def scraped(workdir, default_params):
    """A project whose data/raw holds two accounts, one of them from an export (imports/twint/zed.csv), after one
    scrape; with scrape.on_account_error: skip, a later run keeps the posts data/raw holds for an account whose
    source no longer gives them."""
    default_params["scrape"].update(accounts=["demo:ada_sails", "twint:zed"], on_account_error="skip")
    default_params["scrape"]["demo"]["posts_per_account"] = 40
    default_params["scrape"]["twint"]["dir"] = "imports/twint"
    export = workdir / "imports" / "twint" / "zed.csv"
    export.parent.mkdir(parents=True)
    export.write_text("id\tcreated_at\ttweet\tlanguage\n1\t2021-01-01 10:00:00 UTC\tthe only copy of this post\ten\n")
    workdir.write_params(default_params)
    run_stage("scrape", workdir)
    default_params["scrape"]["demo"]["posts_per_account"] = 60  # the next run writes a different data/raw
    workdir.write_params(default_params)
    return workdir, export


def test_a_kill_between_the_two_renames_of_data_raw_loses_nothing(scraped):
    """Where a directory cannot be swapped in one step (no RENAME_EXCHANGE: NFS, macOS; played here by
    paused_stage.py's --no-exchange), data/raw is replaced by two renames: the old one aside as data/.raw.old, the
    new one in. Killed between them, data/raw is missing and .raw.old is the only copy of its posts; the next run
    must put it back, never delete it. Here zed's export is gone by then (a platform that no longer serves an
    account), so its posts survive only if the next run restores them."""
    project, export = scraped
    before = raw_contents(project)
    with paused_stage("scrape", project, "os:rename", "data/raw", "--no-exchange"):
        assert not (project / "data" / "raw").exists() and (project / "data" / ".raw.old").is_dir()
    export.unlink()

    run_stage("scrape", project)

    after = raw_contents(project)
    assert sorted(after) == ["demo-ada_sails.parquet", "twint-zed.parquet"], "zed's posts are lost"
    assert after["twint-zed.parquet"] == before["twint-zed.parquet"]
    assert leftovers(project) == []


def test_data_raw_is_never_missing_while_it_is_replaced(scraped):
    """Where the system can (Linux renameat2 RENAME_EXCHANGE), the new data/raw and the old one trade places in one
    step: killed right after it, data/raw holds the new posts, and the next run removes the old copy left aside."""
    project, _ = scraped
    with paused_stage("scrape", project, "elm.replace:_exchange", "data/raw"):
        assert len(pd.read_parquet(project / "data/raw/demo-ada_sails.parquet")) == 60
        assert [p.name for p in (project / "data").glob(".raw.*.tmp")], "the old data/raw, left aside"

    run_stage("scrape", project)

    assert sorted(raw_contents(project)) == ["demo-ada_sails.parquet", "twint-zed.parquet"]
    assert leftovers(project) == []


def test_a_set_holding_a_directory_is_completed_after_a_kill_between_its_renames(workdir, default_params):
    """evaluate replaces reports/evaluate (a directory) and reports/metrics/evaluate.json as one set. Without
    RENAME_EXCHANGE (paused_stage.py's --no-exchange), killed between the directory's two renames: the folder is
    missing, its old copy set aside, evaluate.json still the old one. The next run, even one that stops at once,
    finishes the set from the killed run's journal: the new folder in place, the old copy gone, the new headline."""
    real = write_real({"sailor": 30, "baker": 30}, split="train")
    real.loc[real.index % 5 == 0, "split"] = "eval"
    io.write_table(real, paths.CLEAN_POSTS)
    write_generated(posts(VOCABULARY["sailor"], 20, seed=5))
    io.write_json({"copy_rate": 0.1, "copy_rate_exact": 0.0, "posts_kept": 20}, paths.GENERATE_BREAKDOWN)
    default_params["evaluate"] = {"sample_posts": 10, "self_bleu_posts": 5, "seed": 0}
    workdir.write_params(default_params)
    run_stage("evaluate", workdir)
    old_headline = paths.EVALUATE_METRICS.stat().st_ino  # the same numbers again: the file replaced is what tells
    default_params["evaluate"]["sample_posts"] = 20
    workdir.write_params(default_params)

    with paused_stage("evaluate", workdir, "os:rename", str(paths.EVALUATE_DIR), "--no-exchange"):
        assert not paths.EVALUATE_DIR.exists() and paths.EVALUATE_METRICS.stat().st_ino == old_headline
    run_refused("evaluate", workdir)

    assert json.loads(paths.EVALUATE_SUMMARY.read_text())["diversity"]["sample_posts"] == 20
    assert paths.EVALUATE_METRICS.stat().st_ino != old_headline
    assert leftovers(workdir) == []


# --- clean's three outputs, replaced as a set, in a real DVC project ---

CLEAN_OUTPUTS = (paths.CLEAN_POSTS, paths.CLEAN_BREAKDOWN, paths.CLEAN_EXAMPLES)  # in the order clean writes them


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory) -> Path:
    """A git + DVC repo of the project on the tiny profile after `dvc repro clean` (dvc.lock records the outputs)."""
    project = new_project(tmp_path_factory.mktemp("cleaned"), TINY)
    sh(DVC, "repro", "clean", cwd=project)
    return project


@pytest.fixture
def changed_clean(cleaned, tmp_path) -> Path:
    """A copy of ``cleaned`` whose clean.min_chars has changed since its `dvc repro`: clean's next run writes a
    different set (fewer posts kept)."""
    project = tmp_path / "project"
    shutil.copytree(cleaned, project, symlinks=True)
    write_params(project, {**TINY, "clean": {**TINY["clean"], "min_chars": 80}})
    return project


def clean_outputs(project: Path) -> dict[str, bytes]:
    return {str(path): (project / path).read_bytes() for path in CLEAN_OUTPUTS}


def posts_kept(project: Path) -> tuple[int, int]:
    """How many posts clean's outputs say were kept: posts.parquet's rows, the breakdown's count."""
    return (len(pd.read_parquet(project / paths.CLEAN_POSTS)),
            json.loads((project / paths.CLEAN_BREAKDOWN).read_text())["posts_kept"])


def stale_stages(project: Path) -> set[str]:
    """The stages `dvc status` says must rerun."""
    return set(json.loads(sh(DVC, "status", "--json", cwd=project) or "{}"))


def test_a_kill_while_clean_replaces_its_outputs_leaves_one_whole_set(changed_clean):
    """Killed right after clean moved its new posts.parquet into place, before the JSON files: in between, the
    files disagree and `dvc status` says clean must rerun. The next run of any stage, even one that stops at once
    (here clean itself, refused for a typo in its params file), first completes the set from the journal the
    killed run wrote, so that nothing reads new posts beside old counts."""
    project = changed_clean
    old_rows, _ = posts_kept(project)
    with paused_stage("clean", project, "os:replace", str(paths.CLEAN_POSTS)):
        pass
    assert posts_kept(project)[0] < old_rows == posts_kept(project)[1], "killed between two outputs"
    assert "clean" in stale_stages(project)

    run_refused("clean", project)

    rows, in_breakdown = posts_kept(project)
    assert rows == in_breakdown < old_rows
    assert leftovers(project) == [] and "clean" in stale_stages(project)  # dvc.lock still holds the old set
    sh(DVC, "repro", "clean", cwd=project)
    assert "clean" not in stale_stages(project)


def test_a_kill_before_clean_moves_its_outputs_keeps_the_old_set(changed_clean):
    """Killed as clean begins its last output's temporary: no output has been moved yet and no journal written, so
    the old set stays whole, and `dvc status` says clean must rerun (its params changed)."""
    project = changed_clean
    before = clean_outputs(project)
    with paused_stage("clean", project, "tempfile:mkstemp", f".{paths.CLEAN_EXAMPLES.name}."):
        pass
    assert clean_outputs(project) == before
    assert "clean" in stale_stages(project)


def test_the_next_run_removes_the_temporaries_of_a_killed_run(changed_clean):
    """A killed run's temporaries (.<name>.<random>.tmp beside each output) are removed by the next run that writes
    those outputs, here the `dvc repro` that reruns clean."""
    project = changed_clean
    with paused_stage("clean", project, "tempfile:mkstemp", f".{paths.CLEAN_EXAMPLES.name}."):
        pass
    assert leftovers(project), "the kill left temporaries"
    sh(DVC, "repro", "clean", cwd=project)
    assert leftovers(project) == []
    assert "clean" not in stale_stages(project)


def test_a_live_run_s_temporaries_are_never_removed(changed_clean):
    """A temporary is locked by the run writing it: another run writing the same output meanwhile (here the test,
    writing posts.parquet while clean is held as it begins its last output) leaves it alone, and removes it once
    that run is dead."""
    project = changed_clean
    posts = pd.read_parquet(project / paths.CLEAN_POSTS)
    live_posts = f"{paths.CLEAN_POSTS.parent}/.{paths.CLEAN_POSTS.name}."
    with paused_stage("clean", project, "tempfile:mkstemp", f".{paths.CLEAN_EXAMPLES.name}."):
        assert live_posts in " ".join(leftovers(project))
        io.write_table(posts, project / paths.CLEAN_POSTS)
        assert live_posts in " ".join(leftovers(project))
    io.write_table(posts, project / paths.CLEAN_POSTS)
    assert live_posts not in " ".join(leftovers(project))
