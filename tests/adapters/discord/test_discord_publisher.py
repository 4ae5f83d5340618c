"""The Discord publisher against the fake with the real discord.py: one request per message,
nonces that make a resend safe, forum posts, pacing, and what each failure means."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord
import pytest

from adapters.discord import payloads
from adapters.discord.channel_kinds import FORUM, TEXT
from adapters.discord.pacing import BUDGET_PER_SECOND, GLOBAL_LIMIT_PER_SECOND, DiscordPacer
from adapters.discord.publisher import DiscordPublisher, delivery_error
from adapters.discord.render import DiscordMessage, thread_name
from bot.domain import Alert, ChannelRef, Digest, Layout
from bot.ports import ClaimLost, DeliveryError, ResolveUnsupported
from tests.adapters.discord.publishing import CH, DAY, FORUM_REF, long_papers, new_publisher
from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake, RequestRecord
from tests.fakes.discord_clock import LockstepClock
from tests.fakes.discord_fixture import FORUM_CHANNEL, GUILD, PAPERS, TOKEN, ForbiddenAfterFirstPost
from tests.fakes.discord_records import BASIC_MEMBER
from tests.fakes.discord_records import TEXT as TEXT_CHANNEL
from tests.helpers import make_paper, tracker_for

MESSAGES = f"/channels/{PAPERS}/messages"


def _digest(ref: ChannelRef = CH) -> Digest:
    """A full digest that renders to three messages (a compact one's thread:
    test_discord_threads.py)."""
    return Digest(ref, (DAY,), long_papers(12), layout=Layout.FULL)


def _alert(ref: ChannelRef = CH, paper_id: str = "2411.00009") -> Alert:
    return Alert(ref, make_paper(paper_id, DAY, title="Mamba goes video"), ("mamba",))


def _posts(fake: DiscordFake, path: str = MESSAGES) -> list[RequestRecord]:
    return [r for r in fake.requests if r.method == "POST" and r.path == path]


discord_fake = discord_fixture.discord_fake


# --- posting -------------------------------------------------------------------------------


async def test_full_digest_of_three_messages_is_three_requests_in_the_channel_with_nonces(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    await publisher.login()
    before = len(discord_fake.requests)
    tracker = tracker_for(CH)
    first_id = await publisher.publish(_digest(), tracker)
    requests = discord_fake.requests[before:]
    stored = discord_fake.messages_in(PAPERS)
    assert [(r.method, r.path) for r in requests] == [("POST", MESSAGES)] * 3
    assert [r.body["nonce"] for r in requests] == [tracker.key.token(p) for p in (1, 2, 3)]
    assert all(r.body["enforce_nonce"] is True for r in requests)
    assert all(r.body["allowed_mentions"] == {"parse": []} for r in requests)
    assert tracker.events == [
        ("claim", 1),
        ("sent", 1),
        ("claim", 2),
        ("sent", 2),
        ("claim", 3),
        ("sent", 3),
    ]
    assert first_id == str(stored[0].id) == tracker.first_id and len(stored) == 3
    assert tracker.ids == {p: str(m.id) for p, m in enumerate(stored, start=1)}
    assert tracker.thread_id == str(PAPERS) and tracker.parts_sent == 3


async def test_channel_kind_is_learned_once_then_posting_asks_no_more(
    discord_fake: DiscordFake, virtual: LockstepClock
) -> None:
    publisher = new_publisher(discord_fake, virtual)
    try:
        await publisher.publish(_alert(), tracker_for(CH, "alert", "2411.00009"))
        await publisher.publish(
            _alert(paper_id="2411.00010"), tracker_for(CH, "alert", "2411.00010")
        )
    finally:
        await publisher.close()
    counts = discord_fake.request_counts()
    assert counts["GET /channels/{channel_id}"] == 1
    assert counts["POST /channels/{channel_id}/messages"] == 2
    assert publisher.kinds.get(CH) == TEXT


async def test_channel_kind_comes_from_the_gateway_cache_without_a_request(
    discord_fake: DiscordFake, virtual: LockstepClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher = new_publisher(discord_fake, virtual)
    forum = SimpleNamespace(type=discord.ChannelType.forum)  # what GUILD_CREATE cached
    monkeypatch.setattr(publisher.client, "get_channel", lambda channel_id: forum)
    try:
        await publisher.publish(_alert(FORUM_REF), tracker_for(FORUM_REF, "alert", "x"))
    finally:
        await publisher.close()
    assert discord_fake.request_counts()["GET /channels/{channel_id}"] == 0
    assert publisher.kinds.get(FORUM_REF) == FORUM


async def test_resume_after_part_one_sends_only_the_rest_with_the_same_nonces(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    tracker = tracker_for(CH, parts_sent=1, first_id="111", thread_id=str(PAPERS))
    first_id = await publisher.publish(_digest(), tracker)
    posts = _posts(discord_fake)
    assert first_id == "111"
    assert [r.body["nonce"] for r in posts] == [tracker.key.token(2), tracker.key.token(3)]
    assert tracker.events == [("claim", 2), ("sent", 2), ("claim", 3), ("sent", 3)]
    assert len(discord_fake.messages_in(PAPERS)) == 2


async def test_crash_after_discord_stored_part_one_posts_each_part_exactly_once(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    hold = discord_fake.hold_answers(MESSAGES)  # part 1 is stored, its answer never comes
    tracker = tracker_for(CH)
    crashed = asyncio.create_task(publisher.publish(_digest(), tracker))
    await hold.wait_arrived()
    crashed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await crashed
    [posted_in_crash] = discord_fake.messages_in(PAPERS)
    assert tracker.events == [("claim", 1)] and tracker.parts_sent == 0

    first_id = await publisher.publish(_digest(), tracker)
    stored = discord_fake.messages_in(PAPERS)
    nonces = [r.body["nonce"] for r in _posts(discord_fake)]
    assert first_id == str(posted_in_crash.id) == str(stored[0].id)
    assert len(stored) == 3 and len({m.id for m in stored}) == 3
    assert [m.nonce for m in stored] == [tracker.key.token(p) for p in (1, 2, 3)]
    assert nonces == [tracker.key.token(1)] * 2 + [tracker.key.token(2), tracker.key.token(3)]


async def test_dropped_connection_after_discord_stored_it_is_uncertain_and_resent_once(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    discord_fake.hold_answers(MESSAGES, drop=True)
    tracker = tracker_for(CH, "alert", "2411.00009")
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(_alert(), tracker)
    first_id = await publisher.publish(_alert(), tracker)
    [stored] = discord_fake.messages_in(PAPERS)
    assert raised.value.uncertain and not raised.value.permanent
    assert first_id == str(stored.id)
    assert tracker.events == [("claim", 1), ("claim", 1), ("sent", 1)]


async def test_forum_post_is_a_new_thread_and_later_parts_go_into_it(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    tracker = tracker_for(FORUM_REF)
    first_id = await publisher.publish(_digest(FORUM_REF), tracker)
    [thread_post] = _posts(discord_fake, f"/channels/{FORUM_CHANNEL}/threads")
    thread = int(first_id)  # a forum post's first message has the thread's id
    stored = discord_fake.messages_in(thread)
    later = _posts(discord_fake, f"/channels/{thread}/messages")
    assert thread_post.body["name"] == thread_name(_digest(FORUM_REF))
    assert "nonce" not in thread_post.body["message"]  # not a documented field there
    assert tracker.thread_id == str(thread) and len(stored) == 3
    assert stored[0].source == "forum_post" and stored[0].parent_id == FORUM_CHANNEL
    assert [r.body["nonce"] for r in later] == [tracker.key.token(2), tracker.key.token(3)]
    assert tracker.events[-1] == ("sent", 3)


async def test_forum_post_resumed_after_part_one_goes_to_its_thread(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    first = await publisher.publish(_alert(FORUM_REF), tracker_for(FORUM_REF, "alert", "a"))
    tracker = tracker_for(FORUM_REF, parts_sent=1, first_id=first, thread_id=first)
    await publisher.publish(_digest(FORUM_REF), tracker)
    assert len(_posts(discord_fake, f"/channels/{first}/messages")) == 2
    assert len(_posts(discord_fake, f"/channels/{FORUM_CHANNEL}/threads")) == 1


# --- pacing --------------------------------------------------------------------------------


async def _fan_out(
    fake: DiscordFake, publisher: DiscordPublisher, channels: list[int]
) -> list[str | BaseException]:
    posts = [
        publisher.publish(
            _alert(ChannelRef("discord", "5000", str(c))),
            tracker_for(ChannelRef("discord", "5000", str(c)), "alert", "x"),
        )
        for c in channels
    ]
    return await asyncio.gather(*posts, return_exceptions=True)


@pytest.fixture
async def hundred_channels() -> AsyncIterator[tuple[DiscordFake, LockstepClock, list[int]]]:
    """A fake on virtual time with a guild of 100 text channels."""
    clock = LockstepClock()
    async with DiscordFake(token=TOKEN, application_id=discord_fixture.APP_ID, clock=clock) as fake:
        channels = list(range(6000, 6100))
        fake.add_guild(
            5000,
            "Many channels",
            channels={c: {"name": f"c{c}", "type": TEXT_CHANNEL} for c in channels},
            members={3000: BASIC_MEMBER},
        )
        clock.arrived = lambda: fake.arrived
        yield fake, clock, channels


async def test_100_posts_in_100_channels_stay_under_the_global_budget_with_no_429(
    hundred_channels: tuple[DiscordFake, LockstepClock, list[int]],
) -> None:
    fake, clock, channels = hundred_channels
    publisher = new_publisher(fake, clock)
    clock.released = lambda: publisher.pacer.granted
    try:
        results = await _fan_out(fake, publisher, channels)
    finally:
        await publisher.close()
    assert all(isinstance(r, str) for r in results)
    assert fake.busiest_second() <= BUDGET_PER_SECOND
    assert fake.rate_limited == 0 and publisher.rate_limited == 0
    assert fake.request_counts()["POST /channels/{channel_id}/messages"] == 100
    assert publisher.pacer.granted == fake.arrived  # every request waited for its slot
    assert sum(clock.slept) >= (fake.arrived - 1) / BUDGET_PER_SECOND - 1e-6


async def test_without_the_budget_the_same_fan_out_collects_global_429s(
    hundred_channels: tuple[DiscordFake, LockstepClock, list[int]],
) -> None:
    fake, clock, channels = hundred_channels
    fake.limiter.retry_after_cap = 0.001  # virtual time never moves: no 429 ever expires
    publisher = new_publisher(
        fake, clock, pacer=DiscordPacer(rate=1e9, clock=clock, sleep=clock.sleep)
    )
    try:
        results = await _fan_out(fake, publisher, channels)
    finally:
        await publisher.close()
    failed = [r for r in results if isinstance(r, DeliveryError)]
    assert failed and not any(r.uncertain or r.permanent for r in failed)
    assert fake.busiest_second() > GLOBAL_LIMIT_PER_SECOND  # 429s are requests too
    assert sum(r.status != 429 for r in fake.requests) == GLOBAL_LIMIT_PER_SECOND
    assert publisher.rate_limited == fake.rate_limited == fake.invalid_requests > 0


async def test_429_is_recorded_as_refused_then_claimed_again_before_the_retry(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    discord_fake.script_rate_limit(MESSAGES, times=1)
    tracker = tracker_for(CH, "alert", "2411.00009")
    await publisher.publish(_alert(), tracker)
    assert tracker.events == [("claim", 1), ("refused", 1), ("claim", 1), ("sent", 1)]
    assert publisher.rate_limited == 1 and len(discord_fake.messages_in(PAPERS)) == 1


async def test_429_until_discord_py_gives_up_is_a_transient_refusal(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    discord_fake.script_rate_limit(MESSAGES, times=5)  # discord.py tries five times
    tracker = tracker_for(CH, "alert", "2411.00009")
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(_alert(), tracker)
    error = raised.value
    assert not (error.permanent or error.uncertain or error.message_fault)
    assert tracker.events == [("claim", 1), ("refused", 1)] * 5
    assert publisher.rate_limited == 5 and discord_fake.messages_in(PAPERS) == []


# --- failures ------------------------------------------------------------------------------


async def test_refused_token_is_a_workspace_fault_and_is_not_tried_again(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    discord_fake.token = "reset-token"
    errors = []
    for paper_id in ("2411.00009", "2411.00010"):
        with pytest.raises(DeliveryError) as raised:
            await publisher.publish(_alert(paper_id=paper_id), tracker_for(CH, "alert", paper_id))
        errors.append(raised.value)
    assert all(e.permanent and e.workspace_fault for e in errors)
    assert discord_fake.request_counts()["GET /users/@me"] == 1
    with pytest.raises(discord.LoginFailure):
        await publisher.login()  # what the adapter recognises as a refused token
    assert discord_fake.request_counts()["GET /users/@me"] == 1


REFUSED = "the token was refused (LoginFailure: Improper token has been passed.)"


async def test_after_a_refused_login_a_whole_alert_round_fails_fast_with_one_clear_reason(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    discord_fake.token = "reset-token"
    ids = [f"2411.{i:05d}" for i in range(34)]
    round_one = await asyncio.gather(
        *(publisher.publish(_alert(paper_id=p), tracker_for(CH, "alert", p)) for p in ids),
        return_exceptions=True,
    )
    round_two = []
    for p in ids[:3]:  # the next round, one post at a time
        with pytest.raises(DeliveryError) as raised:
            await publisher.publish(_alert(paper_id=p), tracker_for(CH, "alert", p))
        round_two.append(raised.value)
    errors = [*round_one, *round_two]
    assert all(isinstance(e, DeliveryError) and e.workspace_fault for e in errors)
    assert {str(e) for e in errors} == {REFUSED}
    assert discord_fake.request_counts() == {"GET /users/@me": 1}
    assert publisher.refused == "LoginFailure: Improper token has been passed."


async def test_token_refused_after_login_is_a_workspace_fault_then_fails_fast(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    await publisher.login()
    discord_fake.token = "reset-token"
    tracker = tracker_for(CH, "alert", "2411.00009")
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(_alert(), tracker)
    arrived = discord_fake.arrived
    with pytest.raises(DeliveryError) as again:
        await publisher.publish(_alert(paper_id="2411.00010"), tracker_for(CH, "alert", "y"))
    assert raised.value.workspace_fault and again.value.workspace_fault
    assert tracker.events == [("claim", 1), ("refused", 1)]
    assert discord_fake.arrived == arrived


@pytest.mark.parametrize(
    "message, code",
    [
        (DiscordMessage(content="x" * 2001), 50035),
        (DiscordMessage(content="", embeds=[discord.Embed(title="t" * 300)]), 50035),
        (DiscordMessage(content=""), 50006),
    ],
    ids=["content-too-long", "embed-title-too-long", "empty"],
)
async def test_message_refused_by_discord_is_a_message_fault(
    publisher: DiscordPublisher,
    discord_fake: DiscordFake,
    monkeypatch: pytest.MonkeyPatch,
    message: DiscordMessage,
    code: int,
) -> None:
    monkeypatch.setattr(payloads, "render_alert", lambda alert: [message])
    tracker = tracker_for(CH, "alert", "2411.00009")
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(_alert(), tracker)
    assert raised.value.message_fault and not raised.value.permanent
    assert not raised.value.uncertain and "HTTP 400" in str(raised.value)
    assert [r.code for r in discord_fake.requests if r.status == 400] == [code]
    assert tracker.events == [("claim", 1), ("refused", 1)]


async def test_forbidden_channel_is_permanent_and_refused(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    discord_fake.forbid(PAPERS)
    tracker = tracker_for(CH, "alert", "2411.00009")
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(_alert(), tracker)
    assert raised.value.permanent and not raised.value.message_fault
    assert not raised.value.workspace_fault and "Forbidden" in str(raised.value)
    assert tracker.events == [("claim", 1), ("refused", 1)]


async def test_unknown_channel_is_permanent_before_anything_is_claimed(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    gone = ChannelRef("discord", str(GUILD), "9999")  # kind not cached: one GET, a 404
    tracker = tracker_for(gone, "alert", "2411.00009")
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(_alert(gone), tracker)
    assert raised.value.permanent and tracker.events == []


async def test_failure_after_part_one_is_raised_with_part_one_recorded(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    discord_fake.world.messages = ForbiddenAfterFirstPost(discord_fake)
    tracker = tracker_for(CH)
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(_digest(), tracker)
    [stored] = discord_fake.messages_in(PAPERS)
    assert raised.value.permanent
    assert tracker.parts_sent == 1 and tracker.first_id == str(stored.id)
    assert tracker.events == [("claim", 1), ("sent", 1), ("claim", 2), ("refused", 2)]


async def test_lost_claim_stops_the_post_before_its_request(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    tracker = tracker_for(CH, lose_at=2)
    with pytest.raises(ClaimLost):
        await publisher.publish(_digest(), tracker)
    assert len(_posts(discord_fake)) == 1 and tracker.parts_sent == 1


def _http_error(status: int, code: int = 0) -> discord.HTTPException:
    response: Any = SimpleNamespace(status=status, reason="test")
    body = {"message": "test", "code": code}
    if status == 403:
        return discord.Forbidden(response, body)
    if status >= 500:
        return discord.DiscordServerError(response, body)
    return discord.HTTPException(response, body)


@pytest.mark.parametrize(
    "error, uncertain",
    [
        (aiohttp.ServerDisconnectedError(), True),
        (aiohttp.ClientPayloadError("Response payload is not completed"), True),
        (TimeoutError(), True),
        (_http_error(503), True),
        (
            aiohttp.ClientConnectorError(
                SimpleNamespace(ssl=None, host="h", port=1),  # type: ignore
                OSError(111, "refused"),
            ),
            False,
        ),
        (_http_error(429), False),
    ],
    ids=["disconnected", "payload", "timeout", "5xx", "never-connected", "429"],
)
def test_what_may_have_reached_discord_is_uncertain(error: Exception, uncertain: bool) -> None:
    mapped = delivery_error(error, uncertain=True)
    assert mapped.uncertain is uncertain
    assert not (mapped.permanent or mapped.message_fault or mapped.workspace_fault)


@pytest.mark.parametrize(
    "error, flags",
    [
        (_http_error(401), {"permanent", "workspace_fault"}),
        (discord.LoginFailure("Improper token has been passed."), {"permanent", "workspace_fault"}),
        (_http_error(403, 50013), {"permanent"}),
        (_http_error(400, 50008), {"permanent"}),
        (_http_error(400, 50035), {"message_fault"}),
        (ValueError("embeds has a maximum of 10 elements."), {"message_fault"}),
    ],
    ids=["401", "login-failure", "403", "400-channel", "400-message", "too-many-embeds"],
)
def test_what_each_refusal_means(error: Exception, flags: set[str]) -> None:
    mapped = delivery_error(error, uncertain=True)
    names = ("permanent", "message_fault", "uncertain", "workspace_fault")
    assert {n for n in names if getattr(mapped, n)} == flags


# --- find ----------------------------------------------------------------------------------


async def test_find_answers_send_it_again_for_a_channel_message(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    since = datetime.now(UTC)
    key = tracker_for(CH).key
    assert await publisher.find(key, 1, since, None) is None
    assert await publisher.find(key, 2, since, str(PAPERS)) is None
    assert await publisher.find(tracker_for(FORUM_REF).key, 2, since, "123") is None


async def test_find_cannot_promise_a_resend_past_the_nonce_window(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    from adapters.discord.publisher import NONCE_WINDOW

    long_ago = datetime.now(UTC) - NONCE_WINDOW * 2
    with pytest.raises(ResolveUnsupported, match="nonce window"):
        await publisher.find(tracker_for(CH).key, 2, long_ago, str(PAPERS))


async def test_find_cannot_tell_for_a_forum_post_first_message(
    discord_fake: DiscordFake, virtual: LockstepClock
) -> None:
    publisher = new_publisher(discord_fake, virtual)  # kind unknown: learned with one GET
    try:
        with pytest.raises(ResolveUnsupported):
            await publisher.find(tracker_for(FORUM_REF).key, 1, datetime.now(UTC), None)
    finally:
        await publisher.close()
    assert publisher.kinds.get(FORUM_REF) == FORUM
