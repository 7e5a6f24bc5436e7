"""X API v2: an account's posts through tweepy (``xapi:handle``), paid per post read.

Needs an app's bearer token in the environment variable ``X_BEARER_TOKEN`` (never in params, so it
stays out of git and DVC). The user is looked up by username, then ``get_users_tweets`` is read page
by page (``pagination_token``, up to 100 posts a page), newest first, leaving out retweets and
replies unless ``scrape.xapi.retweets`` / ``replies``. The API serves only an account's latest 3,200
posts, or 800 when replies are excluded, and every post read is billed: ``scrape.xapi.max_posts``
caps the reads per account and run.
A post longer than 280 characters keeps its full text (``note_tweet``). An incremental run asks only
for posts newer than the newest held (``since_id``).

tweepy's own requests go through :class:`elm.sources.live.Session` (timeouts, retries,
rate-limit waits), sent to ``scrape.xapi.base_url``.
"""
from __future__ import annotations

import os

import tweepy
from dotenv import dotenv_values

from elm.errors import ElmError
from elm.sources import live
from elm.sources.records import normalize

TOKEN_VARIABLE = "X_BEARER_TOKEN"
TWEEPY_HOST = "https://api.twitter.com"  # tweepy.Client puts this before every API route
TWEET_FIELDS = ["created_at", "lang", "conversation_id", "referenced_tweets", "note_tweet"]


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
    client = tweepy.Client(bearer_token=bearer_token(label), return_type=dict)
    client.session = TweepySession(label, http, params.base_url)
    since_id = live.newest_numeric_id(held_ids)
    posts = live.collect(pages(client, handle, params, since_id), held_ids, params.max_posts, client.session)
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


def pages(client: tweepy.Client, handle: str, params, since_id: str | None):
    """The account's posts, one list of records per page, newest first."""
    label = client.session.label
    exclude = [kind for kind, wanted in (("retweets", params.retweets), ("replies", params.replies)) if not wanted]
    try:
        user_id = find_user_id(client, handle, label)
        for reply in tweepy.Paginator(client.get_users_tweets, user_id, max_results=params.page_size,
                                      exclude=exclude or None, since_id=since_id, tweet_fields=TWEET_FIELDS):
            yield live.records(reply.get("data", []), tweet_record, label, f"/2/users/{user_id}/tweets")
    except tweepy.HTTPException as err:
        raise refused(label, err) from None


def find_user_id(client: tweepy.Client, handle: str, label: str) -> str:
    """The user id of ``handle``; X answers an unknown or suspended one with HTTP 200 and ``errors``."""
    reply = client.get_user(username=handle, user_fields=["protected"])
    user = reply.get("data")
    if not user:
        problem = "; ".join(e.get("detail") or e.get("title", "") for e in reply.get("errors", [])) or str(reply)[:120]
        raise ElmError(f"{label}: X has no readable account by that name ({problem}); {live.SKIP_HINT}")
    if user.get("protected"):
        raise ElmError(f"{label}: the account is protected (its posts are private); {live.SKIP_HINT}")
    return user["id"]


def refused(label: str, err: tweepy.HTTPException) -> ElmError:
    status = err.response.status_code
    if status in (401, 403):
        return ElmError(
            f"{label}: X refused the token (HTTP {status}: {live.api_message(err.response)}); check "
            f"{TOKEN_VARIABLE} and that your API plan may read user timelines"
        )
    return live.refused(label, err.response)


def tweet_record(tweet: dict) -> dict:
    note = tweet.get("note_tweet") or {}
    return {
        "id": tweet["id"],
        "created_at": live.iso_time(tweet.get("created_at")),
        "text": note.get("text") or tweet["text"],
        "language": tweet.get("lang") or "",
        "reply": any(ref.get("type") == "replied_to" for ref in tweet.get("referenced_tweets") or []),
        "raw": tweet,
    }
