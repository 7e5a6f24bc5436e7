"""A Mastodon account archive (Preferences > Import and export > "Request your archive"), unzipped: its
``outbox.json``, an ActivityPub ``OrderedCollection`` whose ``orderedItems`` are the account's activities.

A ``Create`` activity's ``object`` is the post, a ``Note`` (or a poll, a ``Question``): its ``content`` HTML
becomes text with elm/markup.py (paragraphs and line breaks kept, entities decoded, links whole), ``published``
its date, ``inReplyTo`` whether it is a reply, the first key of ``contentMap`` its language. Its id is the
status id that ends the Note's URL (``.../statuses/<id>``), the id the live Mastodon source gives the same post.
A content warning (``summary``) is not part of the text, as in the live source: it stays, with the whole
activity, in ``raw``. Left out, and counted on stderr: boosts (``Announce``, someone else's post) and posts that
were not public (followers-only and direct messages, whose audience did not include the public).

The collection is read item by item (elm/sources/jsonfiles.py), whatever its size.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from pathlib import Path

from elm.errors import ElmError
from elm.markup import html_to_text
from elm.sources import dates, files, jsonfiles, textfiles

logger = logging.getLogger(__name__)

REEXTRACT = "unzip the archive again from the file Mastodon sent"
POST_TYPES = ("Note", "Question")
PUBLIC = ("https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public")
_ITEMS = re.compile(rb'"orderedItems"\s*:\s*')
_STATUS_ID = re.compile(r"/statuses/(\d+)/?$")


def read(path: Path, handle: str, on_bad_row: str = "fail"):
    """The public posts of the archive's ``outbox.json`` at ``path``."""
    left_out: Counter = Counter()
    rows = own_posts(jsonfiles.json_array_items(path, items_start(path), REEXTRACT, after=None), left_out)
    posts = files.read_posts(path, rows, post_record, handle, "archive", on_bad_row)
    if left_out:
        listed = ", ".join(f"{count} {what}" for what, count in left_out.items())
        logger.info(f"note: {path}: left out {listed}")
    return posts


def items_start(path: Path) -> int:
    """Where the ``orderedItems`` array starts (Mastodon writes it after the collection's few other keys)."""
    head = textfiles.head(path, jsonfiles.READ_BYTES)
    found = _ITEMS.search(head)
    if not head.lstrip().startswith(b"{") or not found:
        raise ElmError(f"{path}: expected Mastodon's outbox.json, a JSON object holding \"orderedItems\"; found "
                       f"{head.lstrip()[:40].decode('utf-8', 'replace')!r}...; {REEXTRACT}")
    return found.end()


def own_posts(rows: files.Rows, left_out: Counter) -> files.Rows:
    """The activities that are the account's own public posts; the others counted in ``left_out``."""
    for where, activity in rows:
        kind = activity.get("type") if isinstance(activity, dict) else None
        note = activity.get("object") if isinstance(activity, dict) else None
        if kind == "Announce":
            left_out["boosts (Announce)"] += 1
        elif kind == "Create" and isinstance(note, dict) and note.get("type") not in POST_TYPES:
            left_out[f"{note.get('type')} objects"] += 1
        elif kind == "Create" and isinstance(note, dict) and not is_public(note):
            left_out["posts that were not public (followers-only or direct)"] += 1
        elif kind not in ("Create", None) and isinstance(kind, str):
            left_out[f"{kind} activities"] += 1
        else:
            yield where, activity


def is_public(note: dict) -> bool:
    """Whether a post's audience (``to`` or ``cc``, a list or one address) includes the public."""
    audience = []
    for key in ("to", "cc"):
        value = note.get(key)
        audience += value if isinstance(value, list) else [value]
    return any(address in PUBLIC for address in audience)


def post_record(activity, where: str) -> dict:
    """A ``Create`` activity as a record for :func:`normalize`; ``where`` names it in errors."""
    note = activity.get("object") if isinstance(activity, dict) else None
    if not isinstance(note, dict):
        raise files.BadRow(f"{where}: expected a Create activity holding its post, found {str(activity)[:60]!r}; "
                           f"{REEXTRACT}")
    files.require_columns(where, note, {"id": f"each post in outbox.json has an `id`; {REEXTRACT}",
                                        "content": f"each post in outbox.json has `content`; {REEXTRACT}"})
    try:
        created_at = dates.to_iso_utc(note.get("published") or activity.get("published"))
    except ValueError as err:
        raise files.BadRow(f"{where} (id {note['id']}): published: {err}") from None
    content_map = note.get("contentMap")
    found = _STATUS_ID.search(str(note["id"]))
    return {
        "id": found.group(1) if found else str(note["id"]),
        "created_at": created_at,
        "text": html_to_text(files.post_text(note["content"], where, "content")),
        "language": next(iter(content_map), "") if isinstance(content_map, dict) else "",
        "reply": bool(note.get("inReplyTo")),
        "raw": activity,
    }
