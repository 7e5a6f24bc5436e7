"""Collect every account's posts into data/raw, one table per account.

Reads each `source:handle` in scrape.accounts through its source (elm/sources/): files users
export (twint, archive, table; data/import/README.md says where they go; `table:*` is every account
in the table), the SYNTHETIC demo, or
the live APIs bluesky, mastodon and xapi (docs/live-sources.md). Writes
data/raw/<source>-<handle>.parquet with the columns id, account, created_at, text, language,
source and raw (the source's own record as JSON). Texts are kept exactly as published; the clean
stage filters them.

File sources are read again in full on every run. Live accounts are incremental: their posts are
kept from run to run, and the network is used only for an account not held yet, or when
scrape.refresh differs from its value at the account's last fetch; a fetch asks only for posts
newer than those held and merges them in, each id once. data/raw/fetched.json records, per live
account, that refresh value, when it was fetched and how many posts came.

data/raw is replaced as a whole, once every account is done: an error, an interrupt or a kill leaves the
previous data/raw as it was (elm/io.py: it is never missing, and a copy a killed run set aside is put back).
With scrape.on_account_error: skip, an account that fails is reported, keeps the posts data/raw held for it
(if any), and the others go on.

Params (scrape): accounts, refresh, on_account_error, http (live sources' deadlines, size cap, retries),
and one section per source (demo, twint, archive, table, bluesky, mastodon, xapi).
"""
from __future__ import annotations

import logging

from elm import cli, io, paths
from elm.errors import ElmError
from elm.params.scrape import Scrape
from elm.params.validation import load
from elm.sources.accounts import expand, is_live
from elm.sources.raw import gather, raw_filenames, read_fetch_state, read_held

logger = logging.getLogger(__name__)


def main(params_path="params.yaml"):
    scrape = load(Scrape, params_path)
    filenames = raw_filenames(expand(scrape.accounts, scrape))
    kept_fetched = {}
    with io.outputs() as out:
        tmp = out.directory(paths.RAW_DIR)  # first: it puts back a data/raw that a killed run left set aside
        fetched = read_fetch_state(paths.FETCH_STATE)
        for spec, filename in filenames.items():
            try:
                posts, fetch = gather(spec, scrape, paths.RAW_DIR / filename, fetched.get(spec))
            except ElmError as err:
                if scrape.on_account_error == "fail":
                    raise
                posts, fetch = read_held(paths.RAW_DIR / filename), fetched.get(spec)
                logger.info(f"scrape: skipped {spec} (scrape.on_account_error: skip), keeping its "
                            f"{0 if posts is None else len(posts)} held posts: {err}")
            if posts is None:
                continue
            out.table(posts, tmp / filename)
            if fetch:
                kept_fetched[spec] = fetch
            logger.info(f"scrape: {spec}: {len(posts)} posts -> {paths.RAW_DIR}/{filename}")
        if not any(tmp.iterdir()):
            raise ElmError("scrape: no account gave any posts (see the errors above); data/raw left as it was")
        if any(is_live(spec) for spec in filenames):
            out.json(kept_fetched, tmp / paths.FETCH_STATE.name)


if __name__ == "__main__":
    cli.run(main, __doc__)
