"""Disk full and read-only outputs: a clear error naming the output, and the previous output intact.

Uses real small filesystems (tmpfs mounted over the output folder), so it needs root; it skips otherwise.
"""
from __future__ import annotations

import subprocess

import pytest

from elm.errors import ElmError
from stages import scrape


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
