"""The live sources (bluesky, mastodon, xapi) through the scrape stage, against real HTTP servers on
127.0.0.1 that serve API-shaped replies (tests/fake_api.py): paging, incremental reruns, rate
limits, server errors, broken JSON, timeouts, dropped connections and deleted accounts."""
from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from email.utils import format_datetime

import pandas as pd
import pytest

from elm.errors import ElmError
from elm.params.validation import ParamsError
from elm.sources import live, mastodon, raw
from stages import scrape
from tests.fake_api import BlueskyWorld, FakeApi, MastodonWorld, Reply, XWorld

from helpers import RETRIES, configure, spec

WORLDS = (BlueskyWorld, MastodonWorld, XWorld)


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


def raw_bytes(workdir) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((workdir / "data" / "raw").iterdir())}


def fetched(workdir) -> dict:
    return json.loads((workdir / "data" / "raw" / "fetched.json").read_text())


def assert_holds_exactly(workdir, world):
    """data/raw holds each post the source should keep once, oldest first: no duplicates, no loss."""
    posts = raw_posts(workdir, world)
    expected = world.expected()
    assert posts.id.tolist() == [world.post_id(p) for p in expected]
    assert posts.text.tolist() == [p.text for p in expected]
    assert posts.created_at.tolist() == [p.created_at.strftime("%Y-%m-%dT%H:%M:%SZ") for p in expected]
    assert set(posts.account) == {world.handle} and set(posts.source) == {world.source}
    assert set(posts.language) == {"en"}


def timeline_requests(api, world, since=0):
    return [r for r in api.requests[since:] if world.is_timeline(r)]


# --- every source -------------------------------------------------------------------------------

def test_every_own_post_is_fetched_across_pages(workdir, default_params, world, api, capsys):
    world.add(12)
    world.add(3, "repost")
    world.add(3, "reply")
    world.add(13)
    configure(workdir, default_params, [(world, api)])
    scrape.main()
    assert_holds_exactly(workdir, world)  # reposts and replies left out, long posts whole, HTML as text
    assert len(timeline_requests(api, world)) >= 3
    err = capsys.readouterr().err
    assert f"{spec(world)}: page 3:" in err and f"{spec(world)}: fetched 25 new posts" in err
    assert fetched(workdir)[spec(world)]["new_posts"] == 25


def test_a_rerun_fetches_only_newer_posts_when_refresh_is_bumped(workdir, default_params, world, api):
    world.add(25)
    configure(workdir, default_params, [(world, api)])
    scrape.main()
    first = raw_bytes(workdir)
    world.add(4)

    requests_before = len(api.requests)
    scrape.main()  # refresh unchanged: the held posts stand, nothing is asked of the API
    assert len(api.requests) == requests_before and raw_bytes(workdir) == first

    configure(workdir, default_params, [(world, api)], refresh=1)
    scrape.main()
    assert_holds_exactly(workdir, world)
    timeline = timeline_requests(api, world, since=requests_before)
    assert 1 <= len(timeline) <= 2, "only the newest page(s) are read again"
    if world.source != "bluesky":  # Bluesky has no since_id: it stops at the first held post instead
        assert timeline[0].query["since_id"] == world.post_id(world.expected()[24])
    assert fetched(workdir)[spec(world)] | {"fetched_at": None} == {"refresh": 1, "new_posts": 4, "fetched_at": None}


def test_an_empty_feed_is_an_error_naming_the_account(workdir, default_params, world, api):
    configure(workdir, default_params, [(world, api)])
    with pytest.raises(ElmError, match=f"{re.escape(spec(world))} has no posts; its feed is empty"):
        scrape.main()
    assert not (workdir / "data" / "raw").exists()


def test_a_429_waits_as_long_as_retry_after_says(workdir, default_params, world, api, capsys):
    world.add(25)
    api.fault(2, Reply(429, {"error": "RateLimitExceeded"}, {"Retry-After": "1"}))
    configure(workdir, default_params, [(world, api)])
    started = time.monotonic()
    scrape.main()
    assert time.monotonic() - started >= 1.0
    assert api.requests[1].query == api.requests[2].query, "the refused request was sent again"
    assert_holds_exactly(workdir, world)
    err = capsys.readouterr().err
    assert f"{spec(world)}: HTTP 429 (rate-limited); retry 1 of {RETRIES} in 1.0 s" in err
    assert "(1 rate-limit waits, 1 retries in all)" in err


def test_a_429_asking_for_too_long_a_wait_fails_at_once(workdir, default_params, world, api):
    world.add(5)
    api.fault(1, Reply(429, {}, {"Retry-After": "100"}))
    configure(workdir, default_params, [(world, api)])
    started = time.monotonic()
    with pytest.raises(ElmError, match=r"asks to wait 100 s, more than scrape.http.max_wait_s \(5\)"):
        scrape.main()
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("fault, problem", [
    (Reply(500, {"error": "InternalServerError"}), "HTTP 500"),
    (Reply(200, '{"feed": [{"post": tru'), "a reply that is not valid JSON"),
    (Reply(drop=True), "network error (ConnectionError)"),
    (Reply(body={}, delay_s=2.5), "no whole reply within scrape.http.timeout_s (1 s)"),
], ids=["500", "bad-json", "dropped", "timeout"])
def test_a_passing_failure_is_retried(workdir, default_params, world, api, capsys, fault, problem):
    world.add(25)
    api.fault(3, fault)
    configure(workdir, default_params, [(world, api)])
    scrape.main()
    assert api.requests[2].query == api.requests[3].query, "the failed request was sent again"
    assert_holds_exactly(workdir, world)
    assert f"{spec(world)}: {problem}; retry 1 of {RETRIES}" in capsys.readouterr().err


@pytest.mark.parametrize("fault, problem", [
    (Reply(503, "<html>Service Unavailable</html>"), "HTTP 503"),
    (Reply(200, "not json at all"), "a reply that is not valid JSON"),
], ids=["503", "bad-json"])
def test_a_lasting_failure_leaves_data_raw_and_the_next_run_resumes(workdir, default_params, world, api, fault,
                                                                     problem):
    world.add(25)
    configure(workdir, default_params, [(world, api)])
    scrape.main()
    before = raw_bytes(workdir)

    world.add(15)
    configure(workdir, default_params, [(world, api)], refresh=1)
    second = len(api.requests) + 2  # the refresh's second request, and every retry of it
    for number in range(second, second + RETRIES + 1):
        api.fault(number, fault)
    with pytest.raises(ElmError, match=f"{re.escape(spec(world))}: {problem} from .*, {RETRIES + 1} tries in all"):
        scrape.main()
    assert raw_bytes(workdir) == before
    assert sorted(p.name for p in (workdir / "data").iterdir()) == ["raw"], "no temporary folder left behind"

    scrape.main()  # the server is well again
    assert_holds_exactly(workdir, world)


def test_a_deleted_account_is_named_and_skip_goes_on_with_the_others(workdir, default_params, world, api, capsys):
    world.add(5)
    accounts = [spec(world), "demo:ada_sails"]
    configure(workdir, default_params, [(world, api)], accounts=accounts, on_error="skip")
    scrape.main()
    assert_holds_exactly(workdir, world)

    world.deleted = True
    configure(workdir, default_params, [(world, api)], accounts=accounts, on_error="skip", refresh=1)
    scrape.main()
    err = capsys.readouterr().err
    assert re.search(f"skipped {re.escape(spec(world))} .*keeping its 5 held posts: .*(not found|Could not find)", err)
    assert_holds_exactly(workdir, world)
    assert fetched(workdir)[spec(world)]["refresh"] == 0, "the next run tries the account again"
    assert len(pd.read_parquet(workdir / "data/raw/demo-ada_sails.parquet")) == 30

    configure(workdir, default_params, [(world, api)], accounts=accounts, on_error="fail", refresh=1)
    with pytest.raises(ElmError, match=f"{re.escape(spec(world))}: .*(not found|Could not find)"):
        scrape.main()


@pytest.mark.parametrize("world", [BlueskyWorld], indirect=True)
def test_skip_with_every_account_failing_is_still_an_error(workdir, default_params, world, api):
    world.deleted = True
    configure(workdir, default_params, [(world, api)], on_error="skip")
    with pytest.raises(ElmError, match="no account gave any posts"):
        scrape.main()
    assert not (workdir / "data" / "raw").exists()


def test_an_interrupt_during_a_wait_leaves_data_raw(workdir, default_params, world, api, monkeypatch):
    world.add(5)
    configure(workdir, default_params, [(world, api)])
    scrape.main()
    before = raw_bytes(workdir)

    def interrupt(seconds):
        raise KeyboardInterrupt  # the user pressing Ctrl-C while a rate limit is waited out

    world.add(5)
    api.fault(len(api.requests) + 1, Reply(429, {}, {"Retry-After": "1"}))
    monkeypatch.setattr(live.time, "sleep", interrupt)
    configure(workdir, default_params, [(world, api)], refresh=1)
    with pytest.raises(KeyboardInterrupt):
        scrape.main()
    assert raw_bytes(workdir) == before
    assert sorted(p.name for p in (workdir / "data").iterdir()) == ["raw"]


def test_all_three_sources_and_a_file_source_in_one_corpus(workdir, default_params, monkeypatch):
    monkeypatch.setenv("X_BEARER_TOKEN", XWorld.token)
    worlds = [world_class() for world_class in WORLDS]
    for number, world in enumerate(worlds):
        world.add(7 + number)
    with FakeApi(worlds[0]) as a, FakeApi(worlds[1]) as b, FakeApi(worlds[2]) as c:
        servers = list(zip(worlds, (a, b, c)))
        configure(workdir, default_params, servers, accounts=[*map(spec, worlds), "demo:dr_dune"])
        scrape.main()
    for world in worlds:
        assert_holds_exactly(workdir, world)
    assert sorted(raw_bytes(workdir)) == ["bluesky-alice.test.parquet", "demo-dr_dune.parquet", "fetched.json",
                                          "mastodon-alice_fake.social.parquet", "xapi-alice_x.parquet"]
    assert sorted(fetched(workdir)) == sorted(map(spec, worlds))


# --- one source at a time -----------------------------------------------------------------------

@pytest.mark.parametrize("world", [XWorld], indirect=True)
def test_xapi_token_may_come_from_a_dotenv_file(workdir, default_params, world, api, monkeypatch):
    world.add(5)
    configure(workdir, default_params, [(world, api)])
    monkeypatch.delenv("X_BEARER_TOKEN")
    (workdir / ".env").write_text(f"X_BEARER_TOKEN={XWorld.token}\n")
    scrape.main()
    assert_holds_exactly(workdir, world)


@pytest.mark.parametrize("world", [XWorld], indirect=True)
def test_xapi_token_comes_from_the_environment_only(workdir, default_params, world, api, monkeypatch):
    world.add(5)
    configure(workdir, default_params, [(world, api)])
    monkeypatch.delenv("X_BEARER_TOKEN")
    with pytest.raises(ElmError, match="X_BEARER_TOKEN is not set"):
        scrape.main()
    assert api.requests == []

    monkeypatch.setenv("X_BEARER_TOKEN", "wrong")
    with pytest.raises(ElmError, match="X refused the token \\(HTTP 401"):
        scrape.main()

    default_params["scrape"]["xapi"]["bearer_token"] = XWorld.token
    workdir.write_params(default_params)
    with pytest.raises(ParamsError, match="unknown key"):
        scrape.main()


@pytest.mark.parametrize("world", [XWorld], indirect=True)
def test_xapi_protected_account_is_a_clear_error(workdir, default_params, world, api):
    world.add(5)
    world.protected = True
    configure(workdir, default_params, [(world, api)])
    with pytest.raises(ElmError, match="xapi:alice_x: the account is protected"):
        scrape.main()


@pytest.mark.parametrize("world", [MastodonWorld], indirect=True)
def test_mastodon_suspended_account_is_a_clear_error(workdir, default_params, world, api):
    world.add(5)
    world.suspended = True
    configure(workdir, default_params, [(world, api)])
    with pytest.raises(ElmError, match="mastodon:alice@fake.social: the account is suspended"):
        scrape.main()


def test_mastodon_handles_need_an_instance():
    assert mastodon.split_acct("@Gargron@mastodon.social") == ("Gargron", "mastodon.social")
    with pytest.raises(ElmError, match="mastodon:Gargron: write Mastodon accounts as `mastodon:user@instance`"):
        mastodon.split_acct("Gargron")


def test_mastodon_html_becomes_the_text_typed():
    content = (
        '<p>Hi <span class="h-card"><a href="https://x.social/@bob" class="u-url mention">@<span>bob</span></a>'
        '</span> &amp; all, see <a href="https://example.com/a/long/path" rel="nofollow noopener" target="_blank">'
        '<span class="invisible">https://</span><span class="ellipsis">example.com/a/lo</span>'
        '<span class="invisible">ng/path</span></a><br />line two <a href="https://x.social/tags/tbt" '
        'class="mention hashtag" rel="tag">#<span>tbt</span></a></p><p>It&#39;s 2 &lt; 3</p>'
    )
    assert mastodon.html_to_text(content) == (
        "Hi @bob & all, see https://example.com/a/long/path\nline two #tbt\n\nIt's 2 < 3"
    )


# --- the shared HTTP rules ----------------------------------------------------------------------

def test_rate_limit_wait_reads_every_header_the_apis_send():
    now = 1_700_000_000.0
    iso_in_60s = datetime.fromtimestamp(now + 60, UTC).isoformat()
    http_date_in_30s = format_datetime(datetime.fromtimestamp(now + 30, UTC), usegmt=True)
    assert live.rate_limit_wait({"Retry-After": "7"}, now) == 7
    assert live.rate_limit_wait({"Retry-After": http_date_in_30s}, now) == 30
    assert live.rate_limit_wait({"x-rate-limit-reset": str(int(now) + 90)}, now) == 91  # X
    assert live.rate_limit_wait({"ratelimit-reset": str(int(now) + 10)}, now) == 11  # Bluesky
    assert live.rate_limit_wait({"x-ratelimit-reset": iso_in_60s}, now) == 61  # Mastodon
    assert live.rate_limit_wait({"x-rate-limit-reset": str(int(now) - 5)}, now) == 1
    assert live.rate_limit_wait({"Retry-After": "soon"}, now) is None
    assert live.rate_limit_wait({}, now) is None


def test_backoff_doubles_with_jitter_and_a_cap():
    for attempt, full in [(1, 1.0), (2, 2.0), (3, 4.0), (8, 10.0)]:
        waits = [live.backoff_s(attempt, 1.0, 10.0) for _ in range(200)]
        assert all(full / 2 <= w <= full for w in waits)
        assert len(set(waits)) > 100, "jitter spreads retries out"
