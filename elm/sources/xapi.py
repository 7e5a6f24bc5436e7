"""X API v2: an account's posts through tweepy (``xapi:handle``), paid per post read.

Needs an app's bearer token in the environment variable ``X_BEARER_TOKEN`` (never in params, so it
stays out of git and DVC), and sent only over https (or to a loopback address, for tests). The user
is looked up by username, then ``get_users_tweets`` is read page by page (``pagination_token``, 5 to
100 posts a page), newest first, until one of the stops of elm/sources/paging.py, leaving out
retweets and replies unless ``scrape.xapi.retweets`` / ``replies`` (retweets are also dropped should
the API send some anyway). The API serves only an account's latest 3,200
posts, or 800 when replies are excluded, and every post read is billed: ``scrape.xapi.max_posts``
caps the reads per account and run (a last page asks for at least 5, the API's least).
A post longer than 280 characters keeps its full text (``note_tweet``). An incremental run asks only
for posts newer than the newest held (``since_id``).

tweepy's own requests go through :class:`elm.sources.live.Session` (deadlines, size caps, retries,
rate-limit waits), sent to ``scrape.xapi.base_url``.
"""
from __future__ import annotations

import os
from functools import partial

import tweepy
from dotenv import dotenv_values

from elm.errors import ElmError
from elm.sources import live, paging
from elm.sources.records import normalize

TOKEN_VARIABLE = "X_BEARER_TOKEN"
TWEEPY_HOST = "https://api.twitter.com"  # tweepy.Client puts this before every API route
TWEET_FIELDS = ["created_at", "lang", "conversation_id", "referenced_tweets", "note_tweet"]
MIN_PAGE = 5  # the least max_results the API accepts


class TweepySession(live.Session):
    """A :class:`live.Session` that sends tweepy's requests to ``base_url``: tweepy has no setting
    for its host, but makes every request through ``Client.session``."""

    def __init__(self, label: str, http, base_url: str):
        super().__init__(label, http)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, **kwargs):
        return super().request(method, self.base_url + url.removeprefix(TWEEPY_HOST), **kwargs)


def read(handle: str, params, http, held_ids: frozenset[str] = frozenset()):
    """The posts of ``handle`` newer than those in ``held_ids`` (all it can when it is empty)."""
    handle = handle.removeprefix("@")
    label = f"xapi:{handle}"
    base_url = live.check_base_url(params.base_url, "scrape.xapi.base_url", token=TOKEN_VARIABLE)
    client = tweepy.Client(bearer_token=bearer_token(label), return_type=dict)
    client.session = TweepySession(label, http, base_url)
    since_id = paging.newest_numeric_id(held_ids)
    try:
        fetch = page_reader(client, handle, params, since_id)
        posts = paging.collect(fetch, held_ids, params, client.session, "scrape.xapi")
    except tweepy.HTTPException as err:
        raise refused(client.session, err) from None
    return normalize(posts, handle, "xapi")


def bearer_token(label: str) -> str:
    """The X app's bearer token: from the environment, else from a git-ignored `.env` file."""
    token = (os.environ.get(TOKEN_VARIABLE) or dotenv_values(".env").get(TOKEN_VARIABLE) or "").strip()
    if not token:
        raise ElmError(
            f"{label}: {TOKEN_VARIABLE} is not set; put your X app's bearer token (developer.x.com, Projects & "
            f"Apps, Keys and tokens) in the environment or in a `.env` file ({TOKEN_VARIABLE}=...), never in "
            "params.yaml"
        )
    return token


def page_reader(client: tweepy.Client, handle: str, params, since_id: str | None):
    """``fetch(cursor, limit)``: one page of the account's posts (:class:`paging.Page`), newest first."""
    session = client.session
    user_id = find_user_id(client, handle, session)
    exclude = [kind for kind, wanted in (("retweets", params.retweets), ("replies", params.replies)) if not wanted]
    to_record = partial(tweet_record, keep_retweets=params.retweets)

    def fetch(cursor: str | None, limit: int) -> paging.Page:
        reply = client.get_users_tweets(user_id, max_results=max(limit, MIN_PAGE), pagination_token=cursor,
                                        exclude=exclude or None, since_id=since_id, tweet_fields=TWEET_FIELDS)
        data, meta = (reply.get("data", []), reply.get("meta")) if isinstance(reply, dict) else (reply, None)
        cursor = meta.get("next_token") if isinstance(meta, dict) else None
        return paging.page(data, to_record, cursor, session, f"/2/users/{user_id}/tweets")

    return fetch


def find_user_id(client: tweepy.Client, handle: str, session: live.Session) -> str:
    """The user id of ``handle``; X answers an unknown or suspended one with HTTP 200 and ``errors``."""
    reply = client.get_user(username=handle, user_fields=["protected"])
    user = reply.get("data")
    if not user:
        problem = "; ".join(e.get("detail") or e.get("title", "") for e in reply.get("errors", [])) or reply
        raise ElmError(f"{session.label}: X has no readable account by that name ({session.quote(problem)}); "
                       f"{live.SKIP_HINT}")
    if user.get("protected"):
        raise ElmError(f"{session.label}: the account is protected (its posts are private); {live.SKIP_HINT}")
    return user["id"]


def refused(session: live.Session, err: tweepy.HTTPException) -> ElmError:
    """The error for a request X refused, quoting X's words without the token."""
    status = err.response.status_code
    if status in (401, 403):
        return ElmError(
            f"{session.label}: X refused the token (HTTP {status}: {live.api_message(err.response)}); check "
            f"{TOKEN_VARIABLE} and that your API plan may read user timelines"
        )
    return live.refused(session.label, err.response)


def tweet_record(tweet: dict, keep_retweets: bool) -> tuple[str, dict | None]:
    """A tweet's id and its record for :func:`normalize`, or None for a retweet unless ``keep_retweets``."""
    references = tweet.get("referenced_tweets") or []
    if not keep_retweets and any(ref.get("type") == "retweeted" for ref in references):
        return tweet["id"], None
    note = tweet.get("note_tweet") or {}
    return tweet["id"], {
        "id": tweet["id"],
        "created_at": paging.iso_time(tweet.get("created_at")),
        "text": note.get("text") or tweet["text"],
        "language": tweet.get("lang") or "",
        "reply": any(ref.get("type") == "replied_to" for ref in references),
        "raw": tweet,
    }
