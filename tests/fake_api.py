"""A real HTTP server on 127.0.0.1 serving API-shaped replies, for the live-source tests.

:class:`FakeApi` runs a ``ThreadingHTTPServer`` on a free port in a thread and answers each request
with ``app(request) -> Reply``, recording every request. ``fault(n, reply)`` answers the n-th
request (counted from 1) with ``reply`` instead: a 429, a 500, a body that is not JSON, a delay or
a dropped connection.

The worlds (:class:`BlueskyWorld`, :class:`MastodonWorld`, :class:`XWorld`) are ``app``s: one
account's timeline of posts, reposts and replies, served the way each API documents it (paging,
filters, ``since_id``, error bodies), so the sources are tested against what they will meet.
"""
from __future__ import annotations

import html
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

T0 = datetime(2024, 3, 1, tzinfo=timezone.utc)
TEXTS = (
    "plain words about the sea",
    "Ampersand & <angle> \"quotes\" it's fine",
    "two\nlines",
    "para one\n\npara two",
    "emoji 🎉 🏳️‍🌈 ok",
    "long " + "x" * 285,  # past X's 280: served as a note_tweet
)


@dataclass
class Reply:
    status: int = 200
    body: object = None  # JSON-encoded unless a str
    headers: dict = field(default_factory=dict)
    delay_s: float = 0.0
    drop: bool = False  # close the connection without answering


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

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, path: str) -> tuple[Request, Reply | None]:
        """Record a request; the fault planned for it, if any."""
        parts = urlsplit(path)
        with self._lock:
            request = Request(parts.path, dict(parse_qsl(parts.query)), {})
            self.requests.append(request)
            number = len(self.requests)
        return request, self.faults.get(number)

    def _handler_class(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                request, fault = api._answer(self.path)
                request.headers.update({k.lower(): v for k, v in self.headers.items()})
                reply = fault or api.app(request)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                if reply.drop:
                    self.close_connection = True
                    return
                body = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                data = body.encode("utf-8")
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

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

    def __init__(self):
        self.posts: list[Post] = []  # oldest first
        self.deleted = False

    def add(self, count: int, kind: str = "post") -> None:
        start = 1000 + len(self.posts)
        self.posts += [Post(start + i, f"#{start + i} {TEXTS[(start + i) % len(TEXTS)]}", kind) for i in range(count)]

    def expected(self) -> list[Post]:
        """The posts the source should keep (replies and reposts left out, as by default), oldest first."""
        return [p for p in self.posts if p.kind == "post"]

    def newest_first(self) -> list[Post]:
        return list(reversed(self.posts))

    def post_id(self, post: Post) -> str:
        return str(post.number)

    def section(self, url: str) -> dict:
        """The params section pointing this source at the fake server, with small pages."""
        return {"base_url": url, "page_size": 10}

    def is_timeline(self, request: Request) -> bool:
        raise NotImplementedError


def page_of(items: list, query: dict, size_key: str, token_key: str) -> tuple[list, str | None]:
    """One page of ``items`` at the offset in ``query[token_key]``, and the next page's token."""
    start, size = int(query.get(token_key, 0)), int(query[size_key])
    return items[start:start + size], (str(start + size) if start + size < len(items) else None)


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
        items = [self.item(p) for p in self.newest_first() if not (no_replies and p.kind == "reply")]
        page, cursor = page_of(items, request.query, "limit", "cursor")
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
            item["reason"] = {"$type": "app.bsky.feed.defs#reasonRepost", "by": {"did": self.did}, "indexedAt": post.iso}
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
        statuses = [
            self.status(p) for p in self.newest_first()
            if not (q.get("exclude_reblogs") == "true" and p.kind == "repost")
            and not (q.get("exclude_replies") == "true" and p.kind == "reply")
            and p.number < int(q.get("max_id", 10**9)) and p.number > int(q.get("since_id", 0))
        ]
        return Reply(body=statuses[:int(q["limit"])])

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
        tweets = [self.tweet(p) for p in self.newest_first()
                  if kinds.get(p.kind) not in excluded and p.number > int(q.get("since_id", 0))]
        page, token = page_of(tweets, q, "max_results", "pagination_token")
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
