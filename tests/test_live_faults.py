"""The live sources against faulty and hostile APIs, through the scrape stage, on real HTTP servers on
127.0.0.1 (tests/fake_api.py): paging always ends (a repeated cursor, endless reposts, short pages), a
request always ends (a reply dripping a byte at a time, a reply too large), every retry backs off, server
text in errors is cut short and holds no token, a token never travels over plain http, and a base_url
without a scheme is an error about the URL. docs/reliability.md lists the probes these tests hold."""
from __future__ import annotations

import re
import time

import pandas as pd
import pytest

from elm import cli
from elm.errors import ElmError
from elm.sources import live, raw
from stages import scrape
from tests.fake_api import BlueskyWorld, FakeApi, MastodonWorld, Reply, XWorld

from helpers import RETRIES, configure, spec

WORLDS = (BlueskyWorld, MastodonWorld, XWorld)
PLANTED = "elm-planted-secret-5d8e1b07"


@pytest.fixture(params=WORLDS, ids=[w.source for w in WORLDS])
def world(request, monkeypatch):
    monkeypatch.setenv("X_BEARER_TOKEN", XWorld.token)
    return request.param()


@pytest.fixture
def api(world):
    with FakeApi(world) as server:
        yield server


def raw_posts(workdir, world) -> pd.DataFrame:
    return pd.read_parquet(workdir / "data" / "raw" / f"{world.source}-{raw.safe_filename(world.handle)}.parquet")


def timeline_requests(api, world):
    return [r for r in api.requests if world.is_timeline(r)]


def configure_max_posts(workdir, params, world, api, max_posts: int, **http):
    params["scrape"][world.source]["max_posts"] = max_posts
    configure(workdir, params, [(world, api)], **http)


# --- paging always ends -------------------------------------------------------------------------

@pytest.mark.parametrize("world, cursor_fault, pages_kept, reason", [
    (BlueskyWorld, "repeat", 2, "the API sent a page cursor it had sent before"),
    (XWorld, "repeat", 2, "the API sent a page cursor it had sent before"),
    (BlueskyWorld, "ignore", 1, "the page holds only posts already read"),
    (MastodonWorld, "ignore", 1, "the page holds only posts already read"),
    (XWorld, "ignore", 1, "the page holds only posts already read"),
], indirect=["world"], ids=["bluesky-repeats-cursor", "xapi-repeats-next_token", "bluesky-ignores-cursor",
                            "mastodon-ignores-max_id", "xapi-ignores-pagination_token"])
def test_an_api_repeating_its_cursor_ends_paging(workdir, default_params, world, api, capsys, cursor_fault,
                                                 pages_kept, reason):
    world.add(25)
    world.cursor_fault = cursor_fault
    configure(workdir, default_params, [(world, api)])
    scrape.main()
    assert len(timeline_requests(api, world)) == 2, "the second page shows the loop: no third request"
    newest = world.expected()[::-1][:10 * pages_kept]
    assert sorted(raw_posts(workdir, world).id) == sorted(world.post_id(p) for p in newest)
    err = capsys.readouterr().err
    assert f"{spec(world)}: stopped reading at page 2: {reason}" in err
    assert f"keeping the {10 * pages_kept} new posts read (older posts were not read)" in err


def test_a_feed_of_reposts_ends_at_max_posts_counting_every_post_read(workdir, default_params, world, api, capsys):
    world.add(5)
    world.repost_tail = 10_000  # a new cursor on every page, and never a post to keep
    configure_max_posts(workdir, default_params, world, api, max_posts=35)
    scrape.main()
    timeline = timeline_requests(api, world)
    assert len(timeline) == 4 and world.served == 35, "35 posts read in pages of 10, 10, 10 and 5"
    assert timeline[-1].query[world.size_key] == "5", "the last page asks only for what max_posts leaves"
    assert raw_posts(workdir, world).id.tolist() == [world.post_id(p) for p in world.expected()]
    err = capsys.readouterr().err
    assert (f"{spec(world)}: stopped reading at page 4: 35 posts read (reposts and left-out replies count too), "
            f"the most scrape.{world.source}.max_posts (35) allows; raise it to read further back; keeping the 5 "
            "new posts read") in err


def test_short_pages_end_at_the_page_cap(workdir, default_params, world, api, capsys):
    world.add(5)
    world.repost_tail = 10_000
    world.per_page = 1  # whatever the request asks
    configure_max_posts(workdir, default_params, world, api, max_posts=30)  # 3 pages of 10: a cap of 6
    scrape.main()
    assert len(timeline_requests(api, world)) == 6 and world.served == 6
    assert raw_posts(workdir, world).id.tolist() == [world.post_id(p) for p in world.expected()]
    err = capsys.readouterr().err
    assert (f"{spec(world)}: stopped reading at page 6: 6 pages read, the most allowed for "
            f"scrape.{world.source}.max_posts (30) at page_size 10") in err


# --- a request always ends ----------------------------------------------------------------------

@pytest.mark.parametrize("headers", [True, False], ids=["from-status-line", "body-only"])
def test_a_dripping_reply_is_cut_at_the_deadline_and_retried(workdir, default_params, world, api, capsys, headers):
    world.add(25)
    api.drip(2, 0.25, headers=headers)  # 40 bytes a quarter second apart: 10 s without a deadline
    configure(workdir, default_params, [(world, api)])  # timeout_s: 1
    started = time.monotonic()
    scrape.main()
    assert time.monotonic() - started < 4
    assert api.requests[1].query == api.requests[2].query, "the cut request was sent again"
    assert len(raw_posts(workdir, world)) == 25
    assert f"{spec(world)}: no whole reply within scrape.http.timeout_s (1 s); retry 1 of {RETRIES}" in (
        capsys.readouterr().err)


@pytest.mark.parametrize("world", [BlueskyWorld], indirect=True)
def test_a_server_dripping_its_reply_fails_the_account_at_the_deadline(workdir, default_params, world, api):
    world.add(5)
    api.drip(1, 0.25)
    configure(workdir, default_params, [(world, api)], retries=0)
    started = time.monotonic()
    with pytest.raises(ElmError, match=r"no whole reply within scrape.http.timeout_s \(1 s\) from .*, 1 tries in all"):
        scrape.main()
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("length", [True, False], ids=["content-length", "no-content-length"])
@pytest.mark.parametrize("world", [BlueskyWorld], indirect=True)
def test_a_reply_past_max_reply_mb_fails_without_a_retry(workdir, default_params, world, api, length):
    world.add(5)
    api.fault(1, Reply(body={"feed": [], "padding": "x" * 1_200_000}, length=length))
    configure(workdir, default_params, [(world, api)])  # max_reply_mb: 1
    with pytest.raises(ElmError, match=r"the reply from .* is larger than scrape.http.max_reply_mb \(1 MB\)"):
        scrape.main()
    assert len(api.requests) == 1


@pytest.mark.parametrize("world", [BlueskyWorld], indirect=True)
def test_every_retry_backs_off_even_when_the_server_says_retry_at_once(workdir, default_params, world, api, capsys):
    world.add(5)
    api.fault(1, Reply(429, {"error": "RateLimitExceeded"}, {"Retry-After": "0"}))
    api.fault(2, Reply(429, {"error": "RateLimitExceeded"}, {"Retry-After": "0"}))
    configure(workdir, default_params, [(world, api)], backoff_s=0.4)
    scrape.main()
    waits = [float(s) for s in re.findall(r"retry \d of \d in (\d+\.\d) s", capsys.readouterr().err)]
    assert len(waits) == 2 and waits[0] >= 0.2 and waits[1] >= 0.4, "half the backoff at least, doubling"


# --- what servers say, and where tokens go ------------------------------------------------------

class EchoingXWorld(XWorld):
    """An X API that quotes the token back: in a refusal's JSON, as a header line, bare, or in the 200 reply
    X gives an unknown user."""

    token = PLANTED

    def __init__(self, echo: str):
        super().__init__()
        self.echo = echo

    def __call__(self, request):
        header = request.headers.get("authorization", "")
        if self.echo == "lookup" and "/by/username/" in request.path:
            return Reply(body={"errors": [{"title": "Not Found Error", "detail": f"no user for {header}"}]})
        reply = super().__call__(request)
        if reply.status != 401:
            return reply
        return Reply(401, {
            "json": {"title": "Unauthorized", "detail": f"rejected header authorization: {header}"},
            "text": f"401 Unauthorized\nAuthorization: {header}\n",
            "bare": {"title": "Unauthorized", "detail": f"token {header.split()[-1]} is not valid"},
        }[self.echo])


@pytest.mark.parametrize("echo", ["json", "text", "bare", "lookup"])
def test_a_server_echoing_the_token_does_not_get_it_printed(workdir, default_params, monkeypatch, capfd, echo):
    world = EchoingXWorld(echo)
    world.add(3)
    sent = PLANTED if echo == "lookup" else PLANTED + "-wrong"
    monkeypatch.setenv("X_BEARER_TOKEN", sent)
    with FakeApi(world) as api:
        configure(workdir, default_params, [(world, api)])
        with pytest.raises(SystemExit) as exit_code:
            cli.run(scrape.main, scrape.__doc__, argv=[])
        assert api.requests[0].headers["authorization"] == f"Bearer {sent}", "the token did reach the server"
    assert exit_code.value.code == 2
    out, err = capfd.readouterr()
    assert PLANTED not in out + err
    assert "[redacted]" in err and ("X refused the token (HTTP 401" in err or "X has no readable account" in err)


@pytest.mark.parametrize("world", [BlueskyWorld], indirect=True)
def test_server_text_in_an_error_is_cut_short(workdir, default_params, world, api):
    api.fault(1, Reply(400, {"error": "InvalidRequest", "message": "Profile not found\n" + "padding " * 1000}))
    configure(workdir, default_params, [(world, api)])
    with pytest.raises(ElmError, match="InvalidRequest: Profile not found padding") as refused:
        scrape.main()
    assert len(str(refused.value)) < 600 and "\n" not in str(refused.value)


@pytest.mark.parametrize("world", [XWorld], indirect=True)
def test_a_token_is_never_sent_over_plain_http(workdir, default_params, world, api):
    world.add(5)
    configure(workdir, default_params, [(world, api)])
    default_params["scrape"]["xapi"]["base_url"] = "http://192.0.2.1:9"  # not this machine: the token would travel
    workdir.write_params(default_params)
    started = time.monotonic()
    with pytest.raises(ElmError, match=re.escape(
            "scrape.xapi.base_url: http://192.0.2.1:9 is plain http, so X_BEARER_TOKEN would cross the network in "
            "clear text; use https://192.0.2.1:9")):
        scrape.main()
    assert time.monotonic() - started < 1, "refused before any request"


def test_a_token_may_go_over_https_or_to_this_machine_only():
    for url in ("https://api.twitter.com", "http://127.0.0.1:8080", "http://localhost/x", "http://[::1]:80",
                "http://127.0.0.5"):
        assert live.may_carry_credentials(url), url
    for url in ("http://api.twitter.com", "http://192.168.1.2", "http://localhost.example.com", "ftp://127.0.0.1"):
        assert not live.may_carry_credentials(url), url


def test_a_base_url_without_a_scheme_is_an_error_about_the_url(workdir, default_params, world, api):
    world.add(5)
    configure(workdir, default_params, [(world, api)])
    section = default_params["scrape"][world.source]
    section["base_url"] = section["base_url"].removeprefix("http://")
    workdir.write_params(default_params)
    with pytest.raises(ElmError, match=re.escape(
            f"scrape.{world.source}.base_url: {section['base_url']!r} is not a whole URL (it lacks https://); "
            f"write it as https://{section['base_url']}")) as wrong:
        scrape.main()
    assert "cannot write" not in str(wrong.value) and api.requests == []
    assert not (workdir / "data" / "raw").exists()
