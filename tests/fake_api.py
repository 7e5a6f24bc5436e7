"""A real HTTP server on 127.0.0.1 serving API-shaped replies, for the live-source tests.

:class:`FakeApi` runs a ``ThreadingHTTPServer`` on a free port in a thread and answers each request
with ``app(request) -> Reply``, recording every request. ``fault(n, reply)`` answers the n-th
request (counted from 1) with ``reply`` instead: a 429, a 500, a body that is not JSON, a delay,
a dropped connection, a body past any size cap. ``drip(n, seconds)`` sends the n-th request's reply
slowly, a byte at a time. Past ``REQUEST_LIMIT`` requests the server answers every request with an
HTTP 418, so that a client that pages without end fails its test instead of running forever.

The worlds (:class:`BlueskyWorld`, :class:`MastodonWorld`, :class:`XWorld`) are ``app``s: one
account's timeline of posts, reposts and replies, served the way each API documents it (paging,
filters, ``since_id``, error bodies), so the sources are tested against what they will meet; and,
when told, the way a faulty API serves it (``cursor_fault``, ``repost_tail``, ``per_page``).
"""
from __future__ import annotations

import html
import itertools
import json
import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

T0 = datetime(2024, 3, 1, tzinfo=UTC)
TEXTS = (
    "plain words about the sea",
    "Ampersand & <angle> \"quotes\" it's fine",
    "two\nlines",
    "para one\n\npara two",
    "emoji 🎉 🏳️‍🌈 ok",
    "long " + "x" * 285,  # past X's 280: served as a note_tweet
)
REQUEST_LIMIT = 500  # far more than any test's client needs, unless it pages without end
DRIP_BYTES = 40  # a dripped reply's first bytes, sent one at a time (the rest follow at once)


@dataclass
class Reply:
    status: int = 200
    body: object = None  # JSON-encoded unless a str
    headers: dict = field(default_factory=dict)
    delay_s: float = 0.0
    drop: bool = False  # close the connection without answering
    length: bool = True  # send a Content-Length header (else the body ends when the connection closes)


@dataclass
class Request:
    path: str
    query: dict
    headers: dict


class FakeApi:
    def __init__(self, app):
        self.app = app
        self.requests: list[Request] = []
        self.faults: dict[int, Reply] = {}
        self.drips: dict[int, tuple[float, bool]] = {}
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        # a short poll interval: shutdown() waits for the next poll
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fault(self, number: int, reply: Reply) -> None:
        """Answer request ``number`` (1 = the first this server gets) with ``reply``."""
        self.faults[number] = reply

    def drip(self, number: int, seconds: float, headers: bool = True) -> None:
        """Send request ``number``'s reply slowly: its first DRIP_BYTES bytes one every ``seconds``, from the
        status line on (``headers``), or from the body on, the headers sent at once."""
        self.drips[number] = (seconds, headers)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, path: str) -> tuple[Request, int, Reply | None]:
        """Record a request; its number and the fault planned for it, if any."""
        parts = urlsplit(path)
        with self._lock:
            request = Request(parts.path, dict(parse_qsl(parts.query)), {})
            self.requests.append(request)
            number = len(self.requests)
        if number > REQUEST_LIMIT:
            return request, number, Reply(418, {"error": f"over {REQUEST_LIMIT} requests: the client never stops"})
        return request, number, self.faults.get(number)

    def _handler_class(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                request, number, fault = api._answer(self.path)
                request.headers.update({k.lower(): v for k, v in self.headers.items()})
                reply = fault or api.app(request)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                if reply.drop:
                    self.close_connection = True
                    return
                body = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                data = body.encode("utf-8")
                headers = {"Content-Type": "application/json; charset=utf-8",
                           **({"Content-Length": str(len(data))} if reply.length else {}), **reply.headers}
                head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
                head = f"HTTP/1.0 {reply.status} {HTTPStatus(reply.status).phrase}\r\n{head}\r\n".encode("ascii")
                seconds, from_head = api.drips.get(number, (0.0, True))
                if not from_head:
                    self.wfile.write(head)
                    head = b""
                slow = DRIP_BYTES if seconds else 0
                for byte in (head + data)[:slow]:
                    self.wfile.write(bytes([byte]))
                    time.sleep(seconds)
                self.wfile.write((head + data)[slow:])

            def log_message(self, *args):
                pass

        return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that timed out and left: expected in these tests, not worth a traceback


@dataclass
class Post:
    number: int  # grows with time, like X and Mastodon ids
    text: str
    kind: str  # "post", "repost" or "reply"

    @property
    def created_at(self) -> datetime:
        return T0 + timedelta(minutes=self.number)

    @property
    def iso(self) -> str:
        return self.created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class World:
    """One account's timeline; subclasses serve it in their API's shape."""

    source = ""
    handle = ""
    size_key = "limit"  # the query parameter that asks for a page's size

    def __init__(self):
        self.posts: list[Post] = []  # oldest first
        self.deleted = False
        # How a faulty API pages: "repeat": every next cursor is the first page's; "ignore": the cursor sent is
        # ignored, each request gets the first page again.
        self.cursor_fault = ""
        self.repost_tail = 0  # reposts served after the account's posts (older), whatever the request filters
        self.per_page: int | None = None  # the most posts a page holds, whatever the request asks
        self.served = 0  # posts sent in timeline pages, all requests together

    def add(self, count: int, kind: str = "post") -> None:
        start = 1000 + len(self.posts)
        self.posts += [Post(start + i, f"#{start + i} {TEXTS[(start + i) % len(TEXTS)]}", kind) for i in range(count)]

    def expected(self) -> list[Post]:
        """The posts the source should keep (replies and reposts left out, as by default), oldest first."""
        return [p for p in self.posts if p.kind == "post"]

    def newest_first(self) -> list[Post]:
        return list(reversed(self.posts))

    def timeline(self, keep=lambda post: True) -> Iterator[Post]:
        """The posts ``keep`` accepts, newest first, then the ``repost_tail`` (numbered down from 999: older)."""
        yield from filter(keep, self.newest_first())
        yield from (Post(999 - i, f"#{999 - i} reposted", "repost") for i in range(self.repost_tail))

    def page_of(self, items: Iterable, query: dict, token_key: str) -> tuple[list, str | None]:
        """One page of ``items`` at the offset in ``query[token_key]``, and the next page's token; paged as
        ``cursor_fault`` and ``per_page`` say."""
        start = 0 if self.cursor_fault == "ignore" else int(query.get(token_key, 0))
        size = min(int(query[self.size_key]), self.per_page or 10**9)
        window = list(itertools.islice(items, start, start + size + 1))
        self.served += len(window[:size])
        if len(window) <= size:
            return window, None
        return window[:size], str(size if self.cursor_fault == "repeat" else start + size)

    def post_id(self, post: Post) -> str:
        return str(post.number)

    def section(self, url: str) -> dict:
        """The params section pointing this source at the fake server, with small pages."""
        return {"base_url": url, "page_size": 10}

    def is_timeline(self, request: Request) -> bool:
        raise NotImplementedError


class BlueskyWorld(World):
    source, handle = "bluesky", "alice.test"
    did = "did:plc:alice"

    def section(self, url):
        return {"base_url": f"{url}/xrpc", "page_size": 10}

    def post_id(self, post):
        return f"at://{self.did}/app.bsky.feed.post/3k{post.number}"

    def is_timeline(self, request):
        return request.path == "/xrpc/app.bsky.feed.getAuthorFeed"

    def __call__(self, request: Request) -> Reply:
        if not self.is_timeline(request):
            return Reply(501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"})
        if self.deleted or request.query.get("actor") != self.handle:
            return Reply(400, {"error": "InvalidRequest", "message": "Profile not found"})
        no_replies = request.query.get("filter") == "posts_no_replies"
        items = map(self.item, self.timeline(lambda p: not (no_replies and p.kind == "reply")))
        page, cursor = self.page_of(items, request.query, "cursor")
        return Reply(body={"feed": page, **({"cursor": cursor} if cursor else {})})

    def item(self, post: Post) -> dict:
        author = {"did": self.did, "handle": self.handle}
        record = {"$type": "app.bsky.feed.post", "text": post.text, "createdAt": post.iso, "langs": ["en"]}
        if post.kind == "reply":
            parent = {"uri": "at://did:plc:bob/app.bsky.feed.post/3kparent", "cid": "bafyparent"}
            record["reply"] = {"root": parent, "parent": parent}
        if post.kind == "repost":
            author = {"did": "did:plc:bob", "handle": "bob.test"}
        item = {"post": {"uri": self.post_id(post) if post.kind != "repost" else f"at://did:plc:bob/x/{post.number}",
                         "cid": f"bafy{post.number}", "author": author, "record": record, "indexedAt": post.iso}}
        if post.kind == "repost":
            item["reason"] = {"$type": "app.bsky.feed.defs#reasonRepost", "by": {"did": self.did},
                              "indexedAt": post.iso}
        return item


class MastodonWorld(World):
    source, handle = "mastodon", "alice@fake.social"
    account_id = "109"

    def __init__(self):
        super().__init__()
        self.suspended = False

    def is_timeline(self, request):
        return request.path == f"/api/v1/accounts/{self.account_id}/statuses"

    def __call__(self, request: Request) -> Reply:
        if request.path == "/api/v1/accounts/lookup":
            if self.deleted or request.query.get("acct") != self.handle:
                return Reply(404, {"error": "Record not found"})
            account = {"id": self.account_id, "username": "alice", "acct": "alice"}
            return Reply(body={**account, **({"suspended": True} if self.suspended else {})})
        if not self.is_timeline(request):
            return Reply(404, {"error": "Record not found"})
        q = request.query
        max_id = 10**9 if self.cursor_fault == "ignore" else int(q.get("max_id", 10**9))
        since_id = int(q.get("since_id", 0))
        timeline = self.timeline(lambda p: not (q.get("exclude_reblogs") == "true" and p.kind == "repost")
                                 and not (q.get("exclude_replies") == "true" and p.kind == "reply"))
        newer = itertools.takewhile(lambda p: p.number > since_id, timeline)  # newest first: the rest are older
        size = min(int(q["limit"]), self.per_page or 10**9)
        statuses = list(itertools.islice((p for p in newer if p.number < max_id), size))
        self.served += len(statuses)
        return Reply(body=[self.status(p) for p in statuses])

    def status(self, post: Post) -> dict:
        paragraphs = post.text.split("\n\n")
        content = "".join("<p>" + "<br />".join(html.escape(line) for line in p.split("\n")) + "</p>"
                          for p in paragraphs)
        return {
            "id": str(post.number),
            "created_at": post.iso,
            "content": "" if post.kind == "repost" else content,
            "language": "en",
            "in_reply_to_id": "77" if post.kind == "reply" else None,
            "reblog": {"id": "5", "content": content} if post.kind == "repost" else None,
        }


class XWorld(World):
    source, handle = "xapi", "alice_x"
    size_key = "max_results"
    user_id = "42"
    token = "test-token"

    def __init__(self):
        super().__init__()
        self.protected = False

    def is_timeline(self, request):
        return request.path == f"/2/users/{self.user_id}/tweets"

    def __call__(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
        match = re.fullmatch(r"/2/users/by/username/(\w+)", request.path)
        if match:
            return self.user(match.group(1))
        if not self.is_timeline(request):
            return Reply(404, {"errors": [{"message": "The requested resource could not be found."}]})
        q = request.query
        excluded = set(q.get("exclude", "").split(","))
        kinds = {"repost": "retweets", "reply": "replies"}
        since_id = int(q.get("since_id", 0))
        timeline = self.timeline(lambda p: kinds.get(p.kind) not in excluded)
        newer = itertools.takewhile(lambda p: p.number > since_id, timeline)
        page, token = self.page_of(map(self.tweet, newer), q, "pagination_token")
        meta = {"result_count": len(page), **({"next_token": token} if token else {})}
        return Reply(body={"data": page, "meta": meta} if page else {"meta": meta})

    def user(self, username: str) -> Reply:
        if self.deleted or username != self.handle:
            return Reply(body={"errors": [{
                "value": username, "detail": f"Could not find user with username: [{username}].",
                "title": "Not Found Error", "resource_type": "user", "parameter": "username",
                "type": "https://api.twitter.com/2/problems/resource-not-found"}]})
        return Reply(body={"data": {"id": self.user_id, "name": "Alice", "username": username,
                                    "protected": self.protected}})

    def tweet(self, post: Post) -> dict:
        tweet = {"id": str(post.number), "text": post.text, "created_at": post.iso, "lang": "en",
                 "edit_history_tweet_ids": [str(post.number)]}
        if post.kind == "repost":
            tweet["text"] = "RT @bob: " + post.text
            tweet["referenced_tweets"] = [{"type": "retweeted", "id": "5"}]
        if post.kind == "reply":
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": "6"}]
        if len(post.text) > 280:
            tweet["text"] = post.text[:279] + "…"
            tweet["note_tweet"] = {"text": post.text}
        return tweet
