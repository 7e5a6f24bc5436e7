"""`archive:<handle>`: a platform's own "download your data" export, whichever platform wrote it. Each test writes
the export itself, as the platform does: Mastodon's outbox.json (an ActivityPub OrderedCollection) and Bluesky's
repository CAR file (DAG-CBOR blocks with real CID links, a Merkle Search Tree of records), next to X's tweets.js."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import libipld
import pandas as pd
import pytest

from elm.errors import ElmError
from elm.markup import html_to_text
from elm.params.scrape import ArchiveSource
from elm.sources import archive, bluesky
from stages import clean, scrape

ACTOR = "https://social.example/users/ana"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"


def read(folder: Path, handle: str, on_bad_row: str = "fail") -> pd.DataFrame:
    return archive.read(handle, ArchiveSource(dir=str(folder)), on_bad_row)


def error_of(folder: Path, handle: str) -> str:
    with pytest.raises(ElmError) as err:
        read(folder, handle)
    return str(err.value)


# --- Mastodon: outbox.json ------------------------------------------------------------------------

def note(number: int, content: str, **changes) -> dict:
    """A Create activity holding a public Note, as Mastodon's archive writes it."""
    post = {"id": f"{ACTOR}/statuses/1100000000000000{number}", "type": "Note", "summary": None,
            "inReplyTo": None, "published": f"2023-05-0{number}T10:00:00Z", "url": f"https://social.example/@ana/{number}",
            "attributedTo": ACTOR, "to": [PUBLIC], "cc": [f"{ACTOR}/followers"], "sensitive": False,
            "content": content, "contentMap": {"en": content}, "attachment": [], "tag": [], **changes}
    return {"id": f"{post['id']}/activity", "type": "Create", "actor": ACTOR, "published": post["published"],
            "to": post["to"], "cc": post["cc"], "object": post}


MASTODON_ITEMS = [
    note(1, "<p>Hello &amp; welcome to my feed \U0001F389</p><p>Second paragraph<br />with a line break</p>"),
    note(2, '<p><span class="h-card"><a href="https://other.example/@bob" class="u-url mention">@<span>bob</span>'
            '</a></span> agreed, see <a href="https://example.com/a/very/long/path" rel="nofollow noopener">'
            '<span class="invisible">https://</span><span class="ellipsis">example.com/a/very/lo</span>'
            '<span class="invisible">ng/path</span></a></p>', inReplyTo="https://other.example/users/bob/statuses/9"),
    note(3, "<p>The butler did it.</p>", summary="spoilers for the finale", sensitive=True,
         contentMap={"de": "<p>The butler did it.</p>"}),
    {"id": f"{ACTOR}/statuses/4/activity", "type": "Announce", "actor": ACTOR, "published": "2023-05-04T10:00:00Z",
     "to": [PUBLIC], "cc": [f"{ACTOR}/followers"], "object": "https://other.example/users/bob/statuses/1"},
    note(5, "<p>for my followers only</p>", to=[f"{ACTOR}/followers"], cc=[]),
    note(6, "<p>Tea or coffee?</p>", type="Question", contentMap=None),
]


MASTODON_TEXT = "Hello & welcome to my feed \U0001F389\n\nSecond paragraph\nwith a line break"


def write_outbox(path: Path, items: list, indent: int | None = 2) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    outbox = {"@context": "https://www.w3.org/ns/activitystreams", "id": "outbox.json", "type": "OrderedCollection",
              "totalItems": len(items), "orderedItems": items}
    path.write_text(json.dumps(outbox, indent=indent, ensure_ascii=False), encoding="utf-8")


def test_a_mastodon_archive_gives_the_public_posts_as_typed(tmp_path, capsys):
    write_outbox(tmp_path / "ana" / "outbox.json", MASTODON_ITEMS)
    posts = read(tmp_path, "ana")
    assert posts["id"].tolist() == ["11000000000000001", "11000000000000002", "11000000000000003",
                                    "11000000000000006"]  # the status ids the live source gives
    assert posts["text"].tolist() == [
        MASTODON_TEXT,
        "@bob agreed, see https://example.com/a/very/long/path",
        "The butler did it.",
        "Tea or coffee?",
    ]
    assert posts["reply"].tolist() == ["false", "true", "false", "false"]
    assert posts["language"].tolist() == ["en", "en", "de", ""]
    assert posts["created_at"].tolist()[0] == "2023-05-01T10:00:00Z"
    assert json.loads(posts["raw"][2])["object"]["summary"] == "spoilers for the finale"  # the content warning, kept
    assert (posts["source"] == "archive").all()
    err = capsys.readouterr().err
    assert "left out 1 boosts (Announce), 1 posts that were not public (followers-only or direct)" in err


def test_a_mastodon_archive_as_the_file_itself_and_its_errors(tmp_path):
    write_outbox(tmp_path / "bo.json", MASTODON_ITEMS[:1], indent=None)  # the file itself, on one line
    assert read(tmp_path, "bo")["id"].tolist() == ["11000000000000001"]

    (tmp_path / "cy").mkdir()
    (tmp_path / "cy" / "outbox.json").write_text('{"type": "OrderedCollection", "first": "https://x/outbox?page=1"}')
    assert "expected Mastodon's outbox.json, a JSON object holding \"orderedItems\"" in error_of(tmp_path, "cy")

    write_outbox(tmp_path / "di" / "outbox.json", [*MASTODON_ITEMS[:1], {"type": "Create", "object": "https://x/1"}])
    assert "item 1): expected a Create activity holding its post" in error_of(tmp_path, "di")
    assert read(tmp_path, "di", "skip")["id"].tolist() == ["11000000000000001"]


@pytest.mark.parametrize("html, text", [
    ("<p>a</p>\n<p>b</p>", "a\n\nb"),                      # the HTML source's line breaks are no text
    ("<p>a</p><p></p><p></p><p>b</p>", "a\n\nb"),           # one blank line between paragraphs, however many
    ("<p>line<br>\nnext</p>", "line\nnext"),
    ("<p>one <br/>two</p>", "one\ntwo"),
    ("<ul><li>one</li><li>two</li></ul><blockquote><p>said</p></blockquote>", "one\n\ntwo\n\nsaid"),
    ("<p>2 &lt; 3 &amp;&amp; it&#39;s &quot;so&quot; &#x1F600;</p>", "2 < 3 && it's \"so\" \U0001F600"),
])
def test_html_becomes_the_text_typed(html, text):
    assert html_to_text(html) == text


# --- Bluesky: the repository's CAR file -----------------------------------------------------------

class Link:
    """A CID link inside a block (DAG-CBOR tag 42)."""

    def __init__(self, cid: bytes):
        self.cid = cid


def dag_cbor(value) -> bytes:
    """``value`` in DAG-CBOR with libipld's encoder; :class:`Link` values become tag-42 links (encoded as the
    byte string 0x00 + CID, then tagged: the encoder itself writes no links)."""
    links = []

    def plain(item):
        if isinstance(item, Link):
            links.append(item.cid)
            return b"\x00" + item.cid
        if isinstance(item, dict):
            return {key: plain(inner) for key, inner in item.items()}
        return [plain(inner) for inner in item] if isinstance(item, list) else item

    data = libipld.encode_dag_cbor(plain(value))
    for cid in links:
        data = data.replace(b"\x58\x25\x00" + cid, b"\xd8\x2a\x58\x25\x00" + cid)
    return data


def varint(number: int) -> bytes:
    out = bytearray()
    while True:
        out.append((number & 0x7F) | (0x80 if number > 0x7F else 0))
        number >>= 7
        if not number:
            return bytes(out)


class Repo:
    """A repository written as a CAR v1 file: blocks keyed by their CIDv1 (dag-cbor, sha2-256)."""

    def __init__(self):
        self.blocks: dict[bytes, bytes] = {}

    def put(self, value) -> Link:
        data = dag_cbor(value)
        cid = bytes([1, 0x71, 0x12, 0x20]) + hashlib.sha256(data).digest()
        self.blocks[cid] = data
        return Link(cid)

    def node(self, records: dict[str, Link], left: Link | None = None, right: Link | None = None) -> Link:
        """A tree node holding ``records`` (key -> record), keys written as shared prefix + rest."""
        entries, previous = [], b""
        for key in sorted(records):
            raw = key.encode()
            shared = next((i for i, (a, b) in enumerate(zip(previous, raw)) if a != b), min(len(previous), len(raw)))
            entries.append({"k": raw[shared:], "p": shared, "t": None, "v": records[key]})
            previous = raw
        entries[-1]["t"] = right
        return self.put({"e": entries, "l": left})

    def car(self, data_root: Link) -> bytes:
        commit = self.put({"did": DID, "version": 3, "data": data_root, "rev": "3kabc", "prev": None,
                           "sig": b"\x01" * 64})
        header = dag_cbor({"roots": [commit], "version": 1})
        body = b"".join(varint(len(cid) + len(data)) + cid + data for cid, data in self.blocks.items())
        return varint(len(header)) + header + body


POST_RECORDS = {
    "3kaaa": {"$type": "app.bsky.feed.post", "text": "Morning \u2600\ufe0f\nnew line, and caf\u00e9",
              "createdAt": "2024-02-01T08:00:00.000Z", "langs": ["en"]},
    "3kbbb": {"$type": "app.bsky.feed.post", "text": "@bob.bsky.social agreed",
              "createdAt": "2024-02-02T08:00:00.000Z", "langs": ["pt-BR", "en"],
              "reply": {"root": {"uri": "at://did:plc:bob/app.bsky.feed.post/1", "cid": "bafyrei"},
                        "parent": {"uri": "at://did:plc:bob/app.bsky.feed.post/1", "cid": "bafyrei"}}},
    "3kccc": {"$type": "app.bsky.feed.post", "text": "no language", "createdAt": "2024-02-03T08:00:00Z"},
}


def bluesky_car() -> bytes:
    """Three posts, a repost and a like, in a two-level tree (a left subtree and a right one)."""
    repo = Repo()
    posts = {f"app.bsky.feed.post/{key}": repo.put(record) for key, record in POST_RECORDS.items()}
    left = repo.node({"app.bsky.actor.profile/self": repo.put({"$type": "app.bsky.actor.profile"}),
                      "app.bsky.feed.like/3kzzz": repo.put({"$type": "app.bsky.feed.like"})})
    right = repo.node({"app.bsky.feed.repost/3kyyy": repo.put({"$type": "app.bsky.feed.repost"}),
                       "app.bsky.feed.post/3kccc": posts.pop("app.bsky.feed.post/3kccc")})
    return repo.car(repo.node(posts, left=left, right=right))


def test_a_bluesky_export_gives_the_posts_under_the_live_sources_ids(tmp_path, capsys):
    (tmp_path / "ana").mkdir()
    (tmp_path / "ana" / "repo.car").write_bytes(bluesky_car())
    posts = read(tmp_path, "ana").sort_values("id", ignore_index=True)
    assert posts["id"].tolist() == [f"at://{DID}/app.bsky.feed.post/{key}" for key in ("3kaaa", "3kbbb", "3kccc")]
    assert posts["text"].tolist() == [record["text"] for record in POST_RECORDS.values()]
    assert posts["reply"].tolist() == ["false", "true", "false"]
    assert posts["language"].tolist() == ["en", "pt-BR", ""]
    assert posts["created_at"].tolist() == ["2024-02-01T08:00:00Z", "2024-02-02T08:00:00Z", "2024-02-03T08:00:00Z"]
    assert "left out 1 reposts (app.bsky.feed.repost)" in capsys.readouterr().err
    # the same post read live from the AppView has the same id: one post, not two
    _, live = bluesky.own_post_record({"post": {"uri": posts["id"][0], "record": POST_RECORDS["3kaaa"]}})
    assert live["id"] == posts["id"][0] and live["text"] == posts["text"][0]


def test_a_broken_bluesky_export_says_so(tmp_path):
    car = bluesky_car()
    (tmp_path / "cut.car").write_bytes(car[:len(car) // 2])
    assert "cut.car: not a readable CAR file" in error_of(tmp_path, "cut")
    repo = Repo()
    root = repo.put({"not": "a commit"})
    header = dag_cbor({"roots": [root], "version": 1})
    (tmp_path / "odd.car").write_bytes(varint(len(header)) + header + b"".join(
        varint(len(cid) + len(data)) + cid + data for cid, data in repo.blocks.items()))
    assert "its root is not a repository commit" in error_of(tmp_path, "odd")


# --- which platform ------------------------------------------------------------------------------

def test_a_folder_holding_two_platforms_exports_is_refused(tmp_path):
    write_outbox(tmp_path / "ana" / "outbox.json", MASTODON_ITEMS[:1])
    (tmp_path / "ana" / "data").mkdir()
    (tmp_path / "ana" / "data" / "tweets.js").write_text("window.YTD.tweets.part0 = []", encoding="utf-8")
    message = error_of(tmp_path, "ana")
    assert "found exports of 2 platforms" in message
    assert "ana/data/tweets.js (X) and " in message and "ana/outbox.json (Mastodon)" in message
    assert "keep one platform's export per handle" in message


def test_a_missing_export_lists_every_platforms_paths(tmp_path):
    message = error_of(tmp_path, "ivy")
    for tried in ("X: ", "ivy/data/tweets.js", "ivy.js", "Mastodon: ", "ivy/outbox.json", "ivy.json",
                  "Bluesky: ", "ivy.car"):
        assert tried in message


def test_an_outbox_given_to_the_table_source_says_to_use_archive(tmp_path):
    from elm.params.scrape import TableSource
    from elm.params.validation import build
    from elm.sources import table

    section = {"path": "", "text_column": "text", "account_column": "", "id_column": "", "created_at_column": "",
               "created_at_format": "", "language_column": "", "encoding": "auto"}
    for indent in (2, None):  # as Mastodon writes it, and on one line
        write_outbox(tmp_path / "outbox.json", MASTODON_ITEMS[:1], indent)
        with pytest.raises(ElmError, match=r"outbox.json: holds .*read it with `archive:<handle>`"):
            table.read("ana", build(TableSource, {**section, "path": str(tmp_path / "outbox.json")}, "scrape.table"))


def test_three_platforms_exports_through_scrape_and_clean(workdir, default_params):
    folder = workdir / "data" / "import" / "archive"
    write_outbox(folder / "ana" / "outbox.json", MASTODON_ITEMS)
    (folder / "bo").mkdir()
    (folder / "bo" / "repo.car").write_bytes(bluesky_car())
    tweet = {"tweet": {"id_str": "7", "full_text": "An X post about caf\u00e9s", "lang": "en",
                       "created_at": "Wed Oct 10 20:19:24 +0000 2018"}}
    (folder / "cy.js").write_text("window.YTD.tweets.part0 = " + json.dumps([tweet]), encoding="utf-8")
    default_params["scrape"]["accounts"] = ["archive:ana", "archive:bo", "archive:cy"]
    workdir.write_params(default_params)
    scrape.main()
    clean.main()
    raw = {p.stem: pd.read_parquet(p) for p in (workdir / "data" / "raw").glob("*.parquet")}
    assert sorted(raw) == ["archive-ana", "archive-bo", "archive-cy"]
    assert len(raw["archive-ana"]) == 4 and len(raw["archive-bo"]) == 3 and len(raw["archive-cy"]) == 1
    assert raw["archive-ana"]["text"][0] == MASTODON_TEXT
    cleaned = pd.read_parquet(workdir / "data" / "clean" / "posts.parquet")
    assert any(text.startswith("Hello & welcome to my feed") for text in cleaned["text"])
