"""Where posts come from: one module per source, all behind one function, ``elm.sources.accounts.read``.

A file source (demo, twint, archive, table) exposes ``read(handle: str, params) -> DataFrame``
where ``params`` is that source's section of ``scrape`` in params.yaml, and returns every post.
A live source (:data:`LIVE`: bluesky, mastodon, xapi) exposes ``read(handle, params, http,
held_ids) -> DataFrame``: ``http`` is ``scrape.http`` (deadlines, size cap, retries) and ``held_ids``
the ids of the posts already held, so that it fetches only posts newer than those (elm/sources/live.py
holds the HTTP they share, elm/sources/paging.py their paging and when it stops). Either frame is
normalized by ``records.normalize`` to ``records.RAW_COLUMNS``, one row per post of that one account:

- ``id``: the post's id at the source (string; derived from the text when the source has none)
- ``account``: the handle as written in params
- ``created_at``: ISO 8601 in UTC, or "" when unknown
- ``text``: the post exactly as published (cleaning happens later, in ``clean``)
- ``language``: the source's language code, or "" when the source gives none
- ``reply``: "true" when the post is a reply, "false" when it is not, "" when the source does not
  say (the clean stage then guesses from the text; see elm/text.py)
- ``source``: the source's name (``demo``, ``twint``, ...)
- ``raw``: the source's own record as JSON, so nothing the source said is lost
"""
