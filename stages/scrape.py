"""Collect every account's posts into data/raw, one table per account.

Reads each `source:handle` in scrape.accounts through its source (stages/sources/: demo,
twint, archive, table; data/import/README.md says where to put exported files) and writes
data/raw/<source>-<handle>.parquet with the columns id, account, created_at, text, language,
source and raw (the source's own record as JSON). Texts are kept exactly as published; the
clean stage filters them.

data/raw is replaced as a whole, only once every account has been read: an error on any
account leaves the previous data/raw as it was.

Params (scrape): accounts, and one section per source (demo, twint, archive, table).
"""
from __future__ import annotations

import re
import sys

from stages import cli, io, params
from stages.errors import ElmError
from stages.sources import parse_account, read

RAW_DIR = "data/raw"


def main(params_path="params.yaml"):
    scrape = params.load("scrape", params_path)
    filenames = raw_filenames(scrape.accounts)
    with io.atomic_path(RAW_DIR, directory=True) as tmp:
        for spec, filename in filenames.items():
            posts = read_account(spec, scrape)
            io.write_table(posts, tmp / filename)
            print(f"scrape: {spec}: {len(posts)} posts -> {RAW_DIR}/{filename}", file=sys.stderr)


def raw_filenames(accounts: list[str]) -> dict[str, str]:
    """Each account's output file name, after checking the list names each account once."""
    if not accounts:
        raise ElmError("scrape.accounts is empty; list at least one `source:handle` (for example `demo:ada_sails`)")
    by_name: dict[str, str] = {}
    for spec in accounts:
        source, handle = parse_account(spec)
        name = f"{source}-{safe_filename(handle)}.parquet"
        # casefold: on macOS and Windows `Conan` and `conan` would be the same file
        earlier = next((s for s, n in by_name.items() if n.casefold() == name.casefold()), None)
        if earlier is not None:
            raise ElmError(
                f"scrape.accounts: {spec!r} repeats {earlier!r} (both would be {RAW_DIR}/{name}); list each account once"
            )
        by_name[spec] = name
    return by_name


def safe_filename(handle: str) -> str:
    """The handle with anything but letters, digits, `_`, `-` and `.` replaced by `_`."""
    return re.sub(r"[^\w.-]", "_", handle, flags=re.ASCII).lstrip(".") or "_"


def read_account(spec: str, scrape):
    posts = read(spec, scrape)
    if posts.empty:
        raise ElmError(
            f"scrape.accounts: {spec} has no posts; check that its input holds rows for this handle "
            "(see data/import/README.md), or remove it from scrape.accounts"
        )
    return posts


if __name__ == "__main__":
    cli.run(main, __doc__)
