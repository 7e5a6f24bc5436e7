"""A Bluesky account's repository export (Settings > Account > "Export my data"): one ``.car`` file, a CAR v1
archive of the account's AT Protocol repository (IPLD blocks in DAG-CBOR, read with libipld, the codec of the
AT Protocol's Python SDK).

The CAR's root is the repository's signed commit, naming the account's DID and the root of a Merkle Search Tree
whose entries map ``<collection>/<record key>`` to each record's block. The posts are the records of
``app.bsky.feed.post``: ``text``, ``createdAt`` its date, ``reply`` whether it is a reply, the first of
``langs`` its language. Its id is the post's ``at://<did>/app.bsky.feed.post/<record key>`` URI, the id the live
Bluesky source gives the same post. Reposts (``app.bsky.feed.repost``, someone else's post) are left out and
counted on stderr; likes, follows and the rest are not posts.
"""
from __future__ import annotations

import logging
from pathlib import Path

import libipld

from elm.errors import ElmError
from elm.sources import dates, files, textfiles

logger = logging.getLogger(__name__)

POSTS = "app.bsky.feed.post"
REPOSTS = "app.bsky.feed.repost"
EXPORT_AGAIN = "export the repository again (Settings > Account > Export my data)"


def read(path: Path, handle: str, on_bad_row: str = "fail"):
    """The posts of the repository export at ``path``."""
    blocks, did, data_root = load(path)
    reposts = 0

    def rows() -> files.Rows:
        nonlocal reposts
        for key, link in tree_entries(path, blocks, data_root):
            collection, _, record_key = key.partition("/")
            reposts += collection == REPOSTS
            if collection == POSTS:
                where = f"{path}: record {key}"
                yield where, {"uri": f"at://{did}/{key}", "record": block(path, blocks, link, where)}

    posts = files.read_posts(path, rows(), post_record, handle, "archive", on_bad_row)
    if reposts:
        logger.info(f"note: {path}: left out {reposts} reposts ({REPOSTS})")
    return posts


def load(path: Path) -> tuple[dict, str, bytes]:
    """The CAR file's blocks by CID, and from its root commit the account's DID and the tree's root."""
    with textfiles.open_binary(path) as file:
        data = file.read()
    try:
        header, blocks = libipld.decode_car(data)
    except (ValueError, RecursionError) as err:
        raise ElmError(f"{path}: not a readable CAR file ({err}); {EXPORT_AGAIN}") from None
    roots = header.get("roots") if isinstance(header, dict) else None
    commit = blocks.get(roots[0]) if isinstance(roots, list) and roots else None
    if not isinstance(commit, dict) or not isinstance(commit.get("did"), str) or "data" not in commit:
        raise ElmError(f"{path}: its root is not a repository commit (with `did` and `data`): not a Bluesky "
                       f"repository export; {EXPORT_AGAIN}")
    return blocks, commit["did"], commit["data"]


def block(path: Path, blocks: dict, link, where: str):
    """The block a link names; a missing one means the export is incomplete."""
    if link not in blocks:
        raise ElmError(f"{where}: its block is missing from the file: the export is incomplete; {EXPORT_AGAIN}")
    return blocks[link]


def tree_entries(path: Path, blocks: dict, root: bytes):
    """``(key, link)`` for every entry of the Merkle Search Tree at ``root``. A node holds ``l`` (its left
    subtree) and entries ``e``, each a key written as ``p`` bytes shared with the previous key plus ``k``, a
    value link ``v`` and a right subtree ``t``. Walked with a stack: no recursion, each node once."""
    pending, seen = [root], set()
    while pending:
        link = pending.pop()
        if link is None or link in seen:
            continue
        seen.add(link)
        node = block(path, blocks, link, f"{path}: tree node")
        if not isinstance(node, dict) or not isinstance(node.get("e"), list):
            raise ElmError(f"{path}: a tree node is not shaped as the AT Protocol's (l, e); {EXPORT_AGAIN}")
        pending.append(node.get("l"))
        key = b""
        for entry in node["e"]:
            try:
                key = key[:entry["p"]] + entry["k"]
            except (KeyError, TypeError):
                raise ElmError(f"{path}: a tree entry is not shaped as the AT Protocol's (p, k, v, t): "
                               f"{str(entry)[:80]}; {EXPORT_AGAIN}") from None
            pending.append(entry.get("t"))
            yield key.decode("utf-8", "replace"), entry.get("v")


def post_record(row: dict, where: str) -> dict:
    """A post record as a record for :func:`normalize`; ``where`` names it in errors."""
    record = row["record"]
    if not isinstance(record, dict):
        raise files.BadRow(f"{where}: expected a post record, found {str(record)[:60]!r}; {EXPORT_AGAIN}")
    try:
        created_at = dates.to_iso_utc(record.get("createdAt"))
    except ValueError as err:
        raise files.BadRow(f"{where}: createdAt: {err}") from None
    langs = record.get("langs")
    try:
        raw = jsonable(record)
    except RecursionError:
        raise files.BadRow(f"{where}: the record nests too deep to be a post; {EXPORT_AGAIN}") from None
    return {
        "id": row["uri"],
        "created_at": created_at,
        "text": files.post_text(record.get("text"), where, "text"),
        "language": files.as_text(langs[0]) if isinstance(langs, list) and langs else "",
        "reply": "reply" in record,
        "raw": raw,
    }


def jsonable(value):
    """A decoded record as JSON can hold it: links (CIDs, as bytes) as their ``bafy...`` strings."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    if isinstance(value, bytes):
        try:
            return libipld.encode_cid(value)
        except ValueError:
            return value.hex()
    return value
