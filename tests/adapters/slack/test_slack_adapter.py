"""The Slack adapter end to end: the real slack-bolt app and slack_sdk client against the fake."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from datetime import date
from typing import Any

import aiohttp
import pytest

from adapters.slack import publisher as slack_publisher
from adapters.slack.adapter import SlackAdapter, SlackMode
from adapters.slack.pacing import SlackPacer
from adapters.slack.render import SlackMessage
from bot.delivery.deliverer import Outcome
from bot.domain import Alert, ChannelRef, ChannelSettings, Schedule
from bot.ports import DeliveryError
from bot.service import Paperboy
from storage.store import Store
from tests.adapters.slack.conftest import (
    SIGNING_SECRET,
    MakeAdapter,
    VirtualTime,
)
from tests.fakes.slack_api import Message, SlackFake, form_body, signed_headers
from tests.fakes.slack_fixture import APP_TOKEN, BOT_TOKEN, CLIENT_ID, CLIENT_SECRET
from tests.helpers import Clock, alert_on, eventually, make_paper, tracker_for

C1 = ChannelRef("slack", "T1", "C1")


def _unpaced(vt: VirtualTime | None = None) -> SlackPacer:
    """A pacer that never paces (the fake's own limits push back instead); it waits out a
    429's Retry-After on `vt`, never on the wall clock."""
    vt = vt or VirtualTime(0.0)  # near 0 a float still counts the pacer's millisecond waits
    return SlackPacer(
        channel_rate=1000,
        channel_burst=1000,
        workspace_rate=1000,
        workspace_burst=1000,
        monotonic=vt,
        sleep=vt.sleep,
    )


async def _socket_adapter(make_adapter: MakeAdapter, slack_fake: SlackFake, **extra: object):
    adapter = await make_adapter(bot_token=BOT_TOKEN, app_token=APP_TOKEN, **extra)
    assert adapter.mode is SlackMode.SOCKET
    await slack_fake.wait_for_socket_client()
    return adapter


async def test_socket_mode_slash_command_is_acked_then_answered(
    make_adapter: MakeAdapter, slack_fake: SlackFake
) -> None:
    await _socket_adapter(make_adapter, slack_fake)
    ack = await slack_fake.send_slash_command("T1", "C1", "UMEMBER", "search diffusion")
    responses = await eventually(lambda: slack_fake.responses)
    assert ack is not None
    [response] = responses
    assert response.ok and response.response_type == "ephemeral"
    assert "Video diffusion at scale" in str(response.blocks)


async def test_today_is_shared_in_channel(make_adapter: MakeAdapter, slack_fake: SlackFake) -> None:
    await _socket_adapter(make_adapter, slack_fake)
    await slack_fake.send_slash_command("T1", "C1", "UMEMBER", "today")
    [response] = await eventually(lambda: slack_fake.responses)
    assert response.response_type == "in_channel"


async def test_bad_input_gets_a_helpful_ephemeral_answer(
    make_adapter: MakeAdapter, slack_fake: SlackFake
) -> None:
    await _socket_adapter(make_adapter, slack_fake)
    for text in ('search "unbalanced', "frobnicate", "x" * 3000):
        await slack_fake.send_slash_command("T1", "C1", "UMEMBER", text)
    responses = await eventually(lambda: len(slack_fake.responses) == 3 and slack_fake.responses)
    texts = " ".join(str(r.text) for r in responses)
    assert all(r.ok and r.response_type == "ephemeral" for r in responses)
    assert "unbalanced quote" in texts and "Unknown command" in texts and "limit is 2,000" in texts


async def _post_signed(adapter_port: int, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{adapter_port}/slack/events", data=body, headers=headers
        ) as response,
    ):
        return response.status, await response.text()


async def test_http_mode_accepts_a_signed_command(
    make_adapter: MakeAdapter, slack_fake: SlackFake
) -> None:
    adapter = await make_adapter(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET)
    assert adapter.mode is SlackMode.HTTP and adapter.port
    body = form_body(slack_fake.slash_payload("T1", "C1", "UMEMBER", "paper 2411.00002"))
    status, _ = await _post_signed(
        adapter.port, body, signed_headers(SIGNING_SECRET, body, int(time.time()))
    )
    assert status == 200
    [response] = await eventually(lambda: slack_fake.responses)
    assert "Agents that plan" in str(response.blocks)


@pytest.mark.parametrize("http", [False, True], ids=["socket", "http"])
async def test_a_start_with_the_bot_token_in_the_environment_logs_no_warning(
    make_adapter: MakeAdapter,
    slack_fake: SlackFake,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    http: bool,
) -> None:
    # bolt reads SLACK_BOT_TOKEN itself and warned that the client's token wins over it.
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    caplog.set_level(logging.INFO)
    if http:
        adapter = await make_adapter(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET)
    else:
        adapter = await _socket_adapter(make_adapter, slack_fake)
    assert (await adapter.health()).ok
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize("secret, age", [("wrong-secret", 0), (SIGNING_SECRET, 6 * 60)])
async def test_http_mode_refuses_bad_or_stale_signatures(
    make_adapter: MakeAdapter, slack_fake: SlackFake, slack_store: Store, secret: str, age: int
) -> None:
    adapter = await make_adapter(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET)
    assert adapter.port
    body = form_body(slack_fake.slash_payload("T1", "C1", "UADMIN", "subscribe mamba"))
    status, _ = await _post_signed(
        adapter.port, body, signed_headers(secret, body, int(time.time()) - age)
    )
    assert status == 401
    assert slack_fake.responses == []
    assert slack_store.subscriptions() == []


async def test_digest_of_25_long_papers_continues_in_a_thread(
    make_adapter: MakeAdapter, slack_fake: SlackFake, slack_store: Store, slack_core: Paperboy
) -> None:
    await make_adapter(bot_token=BOT_TOKEN)
    slack_fake.post_rate = 50
    slack_store.upsert_papers(
        [
            make_paper(
                f"2411.1{i:04d}",
                "2026-11-26",
                upvotes=100 - i,
                title=f"Long paper {i} " * 8,
                summary="An abstract that goes on and on. " * 160,
            )
            for i in range(25)
        ]
    )
    slack_core.save_schedule(Schedule(C1, "digest", enabled=True, size=25))
    outcome = await slack_core.send_scheduled(C1, day=date(2026, 11, 26))
    messages = slack_fake.messages_in("C1")
    assert outcome is Outcome.SENT
    assert len(messages) > 1
    first, rest = messages[0], messages[1:]
    assert all(m.thread_ts == first.ts for m in rest)
    text = " ".join(str(m.blocks) for m in messages)
    assert all(f"2411.1{i:04d}" in text for i in range(25))
    assert not slack_fake.missing_fallback
    row = slack_store.delivery(C1, "digest", "2026-11-26")
    assert row is not None and row["message_id"] == first.ts


class _ChannelGoneAfterFirstPost(list[Message]):
    """The fake's message log; the first message recorded makes its channel `not_found`."""

    def __init__(self, fake: SlackFake) -> None:
        super().__init__(fake.messages)
        self.fake = fake

    def append(self, message: Message) -> None:
        super().append(message)
        self.fake.set_channel(message.team, message.channel, "not_found")


def _long_digest_day(slack_store: Store, slack_core: Paperboy) -> date:
    slack_store.upsert_papers(
        [
            make_paper(
                f"2411.1{i:04d}",
                "2026-11-26",
                upvotes=100 - i,
                title=f"Long paper {i} " * 8,
                summary="An abstract that goes on and on. " * 160,
            )
            for i in range(25)
        ]
    )
    slack_core.save_schedule(Schedule(C1, "digest", enabled=True, size=25))
    return date(2026, 11, 26)


async def test_a_digest_cut_short_after_its_first_message_is_completed_in_its_thread(
    make_adapter: MakeAdapter,
    slack_fake: SlackFake,
    slack_store: Store,
    slack_core: Paperboy,
    clock: Clock,
) -> None:
    adapter = await make_adapter(bot_token=BOT_TOKEN)
    adapter.publisher.pacer = _unpaced()
    slack_fake.post_rate, slack_fake.post_burst = 100, 100
    day = _long_digest_day(slack_store, slack_core)
    slack_fake.messages = _ChannelGoneAfterFirstPost(slack_fake)
    assert await slack_core.send_scheduled(C1, day=day) is Outcome.FAILED
    row = slack_store.delivery(C1, "digest", day.isoformat())
    [first] = slack_fake.messages_in("C1")
    assert row is not None and (row["state"], row["parts_sent"]) == ("failed", 1)
    assert row["message_id"] == first.ts
    settings = slack_store.channel(C1)
    assert settings is not None and settings.paused  # channel_not_found is permanent
    # The channel is back and resumed: the rest of the digest follows in the first's thread.
    slack_fake.messages = list(slack_fake.messages)
    slack_fake.set_channel("T1", "C1", "ok")
    slack_store.save_channel(ChannelSettings(C1))
    clock.advance(minutes=2)
    assert await slack_core.recover() == {"sent": 1}
    first_again, *rest = slack_fake.messages_in("C1")
    assert first_again.ts == first.ts and rest
    assert all(m.thread_ts == first.ts for m in rest)
    text = " ".join(str(m.blocks) for m in slack_fake.messages_in("C1"))
    assert all(text.count(f"2411.1{i:04d}") >= 1 for i in range(25))
    assert await slack_core.send_scheduled(C1, day=day) is Outcome.ALREADY


async def test_alert_is_posted_with_the_matched_queries(
    make_adapter: MakeAdapter, slack_fake: SlackFake
) -> None:
    adapter = await make_adapter(bot_token=BOT_TOKEN)
    paper = make_paper("2411.00009", "2026-11-25", title="Mamba goes video")
    ts = await adapter.publisher.publish(
        Alert(C1, paper, ("mamba", "video")), tracker_for(C1, "alert", paper.id)
    )
    [message] = slack_fake.messages_in("C1")
    assert message.ts == ts
    assert "matched: mamba, video" in str(message.blocks) + str(message.text)


async def test_429_storm_ends_with_every_post_delivered_once(
    make_adapter: MakeAdapter, slack_fake: SlackFake, slack_store: Store, slack_core: Paperboy
) -> None:
    adapter = await make_adapter(bot_token=BOT_TOKEN)
    vt = VirtualTime(0.0)
    adapter.publisher.pacer = _unpaced(vt)  # let the fake's own limiter push back
    slack_fake.post_rate, slack_fake.post_burst = 100, 100
    slack_fake.script_rate_limit("C1", times=3, retry_after=7)
    slack_store.save_channel(ChannelSettings(C1))
    slack_store.add_subscription(C1, "paper", "UADMIN", slack_core.clock())
    papers = [
        make_paper(f"2411.2{i:04d}", "2026-11-25", title=f"Paper number {i}") for i in range(6)
    ]
    outcomes = await alert_on(slack_core, papers)
    assert outcomes == {"sent": 6}
    assert slack_fake.rate_limited_count == 3
    # Each 429's Retry-After waited out once (then the pacer's 1 ms spacing).
    assert [s for s in vt.sleeps if s >= 1] == [7.0, 7.0, 7.0]
    posted = [m for m in slack_fake.messages_in("C1")]
    assert len(posted) == 6
    assert len({str(m.blocks) for m in posted}) == 6


async def test_deleted_channel_is_paused_and_the_fan_out_goes_on(
    make_adapter: MakeAdapter, slack_fake: SlackFake, slack_store: Store, slack_core: Paperboy
) -> None:
    await make_adapter(bot_token=BOT_TOKEN)
    c2 = ChannelRef("slack", "T1", "C2")
    for ref in (C1, c2):
        slack_store.save_channel(ChannelSettings(ref))
        slack_store.add_subscription(ref, "diffusion", "UADMIN", slack_core.clock())
    slack_fake.set_channel("T1", "C2", "not_found")
    outcomes = await alert_on(
        slack_core, [make_paper("2411.00010", "2026-11-25", title="Diffusion")]
    )
    settings = slack_store.channel(c2)
    assert outcomes == {"sent": 1, "failed": 1}
    assert settings is not None and settings.paused
    assert settings.paused_reason == "channel_not_found"
    assert len(slack_fake.messages_in("C1")) == 1


async def test_status_command_lists_the_paused_channel(
    make_adapter: MakeAdapter, slack_fake: SlackFake, slack_store: Store
) -> None:
    await _socket_adapter(make_adapter, slack_fake)
    slack_store.save_channel(
        ChannelSettings(
            ChannelRef("slack", "T1", "C2"), paused=True, paused_reason="channel_not_found"
        )
    )
    await slack_fake.send_slash_command("T1", "C1", "UMEMBER", "status")
    [response] = await eventually(lambda: slack_fake.responses)
    assert "slack:T1:C2: channel_not_found" in str(response.blocks)


async def test_admins_only_refuses_a_member_and_allows_an_admin(
    make_adapter: MakeAdapter, slack_fake: SlackFake, slack_store: Store
) -> None:
    await _socket_adapter(make_adapter, slack_fake, admins_only=True)
    await slack_fake.send_slash_command("T1", "C1", "UMEMBER", "subscribe mamba")
    await slack_fake.send_slash_command("T1", "C1", "UADMIN", "subscribe diffusion")
    await slack_fake.send_slash_command("T1", "C1", "UMEMBER", "search mamba")
    responses = await eventually(lambda: len(slack_fake.responses) == 3 and slack_fake.responses)
    refused = next(r for r in responses if "permission" in str(r.text) + str(r.blocks))
    assert refused.user == "UMEMBER"
    assert [s.query for s in slack_store.subscriptions()] == ["diffusion"]


async def test_oauth_install_of_a_second_workspace_then_a_command_from_it(
    make_adapter: MakeAdapter, slack_fake: SlackFake, slack_store: Store, slack_core: Paperboy
) -> None:
    adapter = await make_adapter(
        signing_secret=SIGNING_SECRET, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )
    assert adapter.mode is SlackMode.HTTP_OAUTH and adapter.port
    base = f"http://127.0.0.1:{adapter.port}"
    slack_fake.add_team(
        "T2", bot_token="xoxb-t2", channels=["D1"], users={"UT2": {"is_admin": True}}
    )
    code = slack_fake.issue_oauth_code("T2", bot_token="xoxb-t2", team_name="Second")
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/slack/install", allow_redirects=False) as install:
            assert install.status in (200, 302)
            cookie = install.headers.get("Set-Cookie", "")
            page = await install.text()
        state = _query_param(install.headers.get("Location") or page, "state")
        # bolt's state cookie is Secure; replay it by hand over http (docs/reference/slack.md §4).
        async with session.get(
            f"{base}/slack/oauth_redirect",
            params={"code": code, "state": state},
            headers={"Cookie": cookie.split(";", 1)[0]},
            allow_redirects=False,
        ) as callback:
            assert callback.status == 200, await callback.text()
    assert await adapter.token_for("T2") == "xoxb-t2"
    body = form_body(slack_fake.slash_payload("T2", "D1", "UT2", "subscribe agents"))
    status, _ = await _post_signed(
        adapter.port, body, signed_headers(SIGNING_SECRET, body, int(time.time()))
    )
    assert status == 200
    await eventually(lambda: slack_fake.responses)
    t2 = ChannelRef("slack", "T2", "D1")
    assert [s.query for s in slack_store.subscriptions(t2)] == ["agents"]
    await alert_on(slack_core, [make_paper("2411.00011", "2026-11-25", title="Agents")])
    [message] = slack_fake.messages_in("D1", team="T2")
    assert message.team == "T2"


async def test_command_from_a_workspace_that_is_not_installed_is_refused(
    make_adapter: MakeAdapter, slack_fake: SlackFake, slack_store: Store
) -> None:
    adapter = await make_adapter(
        signing_secret=SIGNING_SECRET, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )
    assert adapter.port
    slack_fake.add_team("T9", bot_token="xoxb-t9", channels=["C9"])
    body = form_body(slack_fake.slash_payload("T9", "C9", "U9", "subscribe mamba"))
    status, _ = await _post_signed(
        adapter.port, body, signed_headers(SIGNING_SECRET, body, int(time.time()))
    )
    [response] = await eventually(lambda: slack_fake.responses)
    assert status == 200
    assert "paperboy is not installed in this workspace" in str(response.text)
    assert slack_store.subscriptions() == []


def _query_param(text: str, name: str) -> str:
    import re
    from html import unescape

    match = re.search(rf"[?&;]{name}=([^&\"'\s]+)", unescape(text))
    assert match, f"no {name} in {text[:300]}"
    return match.group(1)


async def test_socket_mode_wins_over_a_signing_secret(
    make_adapter: MakeAdapter, slack_fake: SlackFake, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="adapters.slack.adapter")
    await _socket_adapter(make_adapter, slack_fake, signing_secret=SIGNING_SECRET)
    await slack_fake.send_slash_command("T1", "C1", "UMEMBER", "search diffusion")
    [response] = await eventually(lambda: slack_fake.responses)
    assert "Video diffusion at scale" in str(response.blocks)
    assert any(
        "SLACK_SIGNING_SECRET is set but unused" in r.getMessage()
        for r in caplog.records
        if r.levelno == logging.INFO
    )


async def _posts_an_alert(adapter: Any, slack_fake: SlackFake) -> None:
    paper = make_paper("2411.00009", "2026-11-25", title="Mamba goes video")
    ts = await adapter.publisher.publish(
        Alert(C1, paper, ("mamba",)), tracker_for(C1, "alert", paper.id)
    )
    assert [m.ts for m in slack_fake.messages_in("C1")] == [ts]


async def test_refused_app_token_is_one_error_line_and_posting_still_works(
    make_adapter: MakeAdapter, slack_fake: SlackFake, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = await asyncio.wait_for(
        make_adapter(bot_token=BOT_TOKEN, app_token="xapp-not-this-one"), timeout=10
    )
    [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "invalid_auth" in error.getMessage() and "SLACK_APP_TOKEN" in error.getMessage()
    assert error.exc_info is None and "\n" not in error.getMessage()
    assert adapter.mode is SlackMode.SOCKET
    await _posts_an_alert(adapter, slack_fake)


async def test_busy_http_port_is_one_error_line_and_posting_still_works(
    make_adapter: MakeAdapter, slack_fake: SlackFake, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        adapter = await make_adapter(
            bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, http_port=port
        )
        [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert f"127.0.0.1:{port}" in error.getMessage() and error.exc_info is None
    assert adapter.port is None
    await _posts_an_alert(adapter, slack_fake)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_unreachable_socket_url_is_one_error_line_within_the_timeout(
    make_adapter: MakeAdapter,
    slack_fake: SlackFake,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # apps.connections.open works, but its URL refuses connections (a network blip): the
    # SDK would retry that one-time URL forever.
    port = _closed_port()
    monkeypatch.setattr(
        slack_fake.socket, "issue_url", lambda base: f"ws://127.0.0.1:{port}/link/?ticket=gone"
    )
    monkeypatch.setattr(SlackAdapter, "socket_connect_timeout", 0.1)
    adapter = await asyncio.wait_for(
        make_adapter(bot_token=BOT_TOKEN, app_token=APP_TOKEN), timeout=10
    )
    [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "could not connect Socket Mode" in error.getMessage()
    assert "within 0.1 s" in error.getMessage() and "\n" not in error.getMessage()
    assert "ticket=" not in caplog.text  # the one-time URL's ticket is not logged
    assert error.exc_info is None
    await _posts_an_alert(adapter, slack_fake)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize(
    "message, error",
    [
        (SlackMessage("fallback", [_section("x" * 3001)]), "invalid_blocks"),
        (SlackMessage("fallback", [_section("x" * 2900) for _ in range(5)]), "msg_blocks_too_long"),
        (SlackMessage("x" * 40_001), "msg_too_long"),
        (SlackMessage(""), "no_text"),
    ],
    ids=["invalid-blocks", "blocks-too-long", "text-too-long", "no-text"],
)
async def test_message_refused_by_slack_is_a_message_fault(
    make_adapter: MakeAdapter,
    slack_fake: SlackFake,
    monkeypatch: pytest.MonkeyPatch,
    message: SlackMessage,
    error: str,
) -> None:
    adapter = await make_adapter(bot_token=BOT_TOKEN)
    monkeypatch.setattr(slack_publisher, "render_alert", lambda alert: [message])
    paper = make_paper("2411.00009", "2026-11-25", title="Mamba goes video")
    with pytest.raises(DeliveryError) as raised:
        await adapter.publisher.publish(
            Alert(C1, paper, ("mamba",)), tracker_for(C1, "alert", paper.id)
        )
    assert str(raised.value) == error
    assert raised.value.message_fault and not raised.value.permanent
    assert slack_fake.messages_in("C1") == []


async def test_deleted_channel_is_permanent_not_a_message_fault(
    make_adapter: MakeAdapter, slack_fake: SlackFake
) -> None:
    adapter = await make_adapter(bot_token=BOT_TOKEN)
    slack_fake.set_channel("T1", "C1", "not_found")
    paper = make_paper("2411.00009", "2026-11-25", title="Mamba goes video")
    with pytest.raises(DeliveryError) as raised:
        await adapter.publisher.publish(
            Alert(C1, paper, ("mamba",)), tracker_for(C1, "alert", paper.id)
        )
    assert raised.value.permanent and not raised.value.message_fault


async def test_socket_mode_keeps_trying_after_a_failed_start_and_then_answers(
    make_adapter: MakeAdapter,
    slack_fake: SlackFake,
    monkeypatch: pytest.MonkeyPatch,
    waits: VirtualTime,
) -> None:
    real_url = slack_fake.socket.issue_url
    port = _closed_port()
    monkeypatch.setattr(
        slack_fake.socket, "issue_url", lambda base: f"ws://127.0.0.1:{port}/link/?ticket=gone"
    )
    monkeypatch.setattr(SlackAdapter, "socket_connect_timeout", 0.1)
    await make_adapter(bot_token=BOT_TOKEN, app_token=APP_TOKEN)
    monkeypatch.setattr(slack_fake.socket, "issue_url", real_url)  # the network is back
    await slack_fake.wait_for_socket_client(timeout=10)
    await slack_fake.send_slash_command("T1", "C1", "UMEMBER", "status", timeout=5)
    [response] = await eventually(lambda: slack_fake.responses)
    assert "Papers stored" in str(response.blocks)
    assert waits.sleeps[0] == SlackAdapter.reconnect_initial  # the backoff, on the virtual clock


# ---------------------------------------------------------------------- answers that are not JSON


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in caplog.records)
    assert "Traceback" not in caplog.text and "AttributeError" not in caplog.text


async def test_socket_url_answered_500_with_a_text_body_is_retried_then_connects(
    make_adapter: MakeAdapter,
    slack_fake: SlackFake,
    caplog: pytest.LogCaptureFixture,
    waits: VirtualTime,
) -> None:
    # The SDK's retries (3) and paperboy's first attempt all get a proxy's text page.
    slack_fake.script_fault("non_json", method="apps.connections.open", when="before", times=4)
    adapter = await make_adapter(bot_token=BOT_TOKEN, app_token=APP_TOKEN)
    await slack_fake.wait_for_socket_client()  # the reconnect after the backoff
    [warning] = [r for r in caplog.records if "could not open Socket Mode" in r.getMessage()]
    assert warning.levelno == logging.WARNING and "(HTTP 500)" in warning.getMessage()
    _no_tracebacks(caplog)
    assert [c.status for c in slack_fake.calls_to("apps.connections.open")] == [500] * 4 + [200]
    assert len(waits.sleeps) == 4 and waits.sleeps[-1] == SlackAdapter.reconnect_initial
    await slack_fake.send_slash_command("T1", "C1", "UMEMBER", "status", timeout=5)
    assert adapter.mode is SlackMode.SOCKET and await eventually(lambda: slack_fake.responses)


# slack_sdk retries a 500 three times, but raises at once on JSON it cannot parse.
@pytest.mark.parametrize(
    "answer, status, tries",
    [("non_json", 500, 4), ("html", 500, 4), ("bad_json", 500, 1), ("non_json", 200, 1)],
)
async def test_an_admin_check_slack_cannot_answer_gets_one_helpful_line(
    make_adapter: MakeAdapter,
    slack_fake: SlackFake,
    slack_store: Store,
    caplog: pytest.LogCaptureFixture,
    waits: VirtualTime,
    answer: Any,
    status: int,
    tries: int,
) -> None:
    await _socket_adapter(make_adapter, slack_fake, admins_only=True)
    slack_fake.script_fault(answer, method="users.info", when="before", times=4, status=status)
    await slack_fake.send_slash_command("T1", "C1", "UADMIN", "subscribe mamba")
    [response] = await eventually(lambda: slack_fake.responses)
    assert str(response.text).endswith(
        f"Could not check that you are a workspace admin (users.info: HTTP {status}); "
        "try again in a moment."
    )
    assert slack_store.subscriptions() == []
    assert len(slack_fake.calls_to("users.info")) == tries and len(waits.sleeps) == tries - 1
    _no_tracebacks(caplog)


async def test_a_member_slack_does_not_know_is_not_an_admin(
    make_adapter: MakeAdapter, slack_fake: SlackFake, slack_store: Store
) -> None:
    await _socket_adapter(make_adapter, slack_fake, admins_only=True)
    await slack_fake.send_slash_command("T1", "C1", "UNOBODY", "subscribe mamba")
    [response] = await eventually(lambda: slack_fake.responses)
    assert "permission" in str(response.text) + str(response.blocks)
    assert slack_store.subscriptions() == []


# ---------------------------------------------------------------------- HTTP mode's guard


async def _http_adapter(make_adapter: MakeAdapter, **extra: Any) -> int:
    adapter = await make_adapter(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, **extra)
    assert adapter.mode is SlackMode.HTTP and adapter.port
    return adapter.port


def _guard_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "adapters.slack.http_guard"]


@pytest.mark.parametrize("timestamp", ["soon", "", "1.5e9", "٣", "9" * 5000])
async def test_a_timestamp_that_is_not_a_number_is_refused_with_401(
    make_adapter: MakeAdapter,
    slack_fake: SlackFake,
    caplog: pytest.LogCaptureFixture,
    timestamp: str,
) -> None:
    port = await _http_adapter(make_adapter)
    body = form_body(slack_fake.slash_payload("T1", "C1", "UADMIN", "subscribe mamba"))
    headers = {**signed_headers("not-the-secret", body, 0), "X-Slack-Request-Timestamp": timestamp}
    status, text = await _post_signed(port, body, headers)
    assert (status, text) == (401, '{"error": "invalid request"}')
    [line] = _guard_lines(caplog)
    assert line.levelno == logging.WARNING and "not a number" in line.getMessage()
    _no_tracebacks(caplog)


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"text=\xff\xfe caf\xe9", "application/x-www-form-urlencoded"),
        ('{"type": "event_callback", "text": "caf\u00e9"}'.encode("utf-16"), "application/json"),
        (b'{"type": "event_callback", "ev', "application/json"),
        (b"payload=%7Bnot+json", "application/x-www-form-urlencoded"),
        (b"[1, 2]", "application/json"),
        (b"text=x", "application/x-www-form-urlencoded; charset=no-such-charset"),
    ],
    ids=["latin-1", "utf-16", "cut-json", "bad-payload", "json-list", "unknown-charset"],
)
async def test_a_signed_body_bolt_cannot_read_is_refused_with_400(
    make_adapter: MakeAdapter,
    slack_fake: SlackFake,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
) -> None:
    port = await _http_adapter(make_adapter)
    headers = signed_headers(SIGNING_SECRET, body, int(time.time()))
    status, _ = await _post_signed(port, body, {**headers, "Content-Type": content_type})
    assert status == 400
    [line] = _guard_lines(caplog)
    assert "not UTF-8 form data or JSON" in line.getMessage()
    _no_tracebacks(caplog)


async def test_a_body_that_is_not_utf8_and_not_signed_is_refused_with_401(
    make_adapter: MakeAdapter, slack_fake: SlackFake, caplog: pytest.LogCaptureFixture
) -> None:
    port = await _http_adapter(make_adapter)
    body = b"text=\xff\xfe"
    status, _ = await _post_signed(port, body, signed_headers("wrong", body, int(time.time())))
    assert status == 401
    _no_tracebacks(caplog)


async def test_a_replayed_signed_command_is_acknowledged_and_not_run_again(
    make_adapter: MakeAdapter,
    slack_fake: SlackFake,
    slack_store: Store,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = await _http_adapter(make_adapter)
    body = form_body(slack_fake.slash_payload("T1", "C1", "UADMIN", "subscribe mamba"))
    headers = signed_headers(SIGNING_SECRET, body, int(time.time()))
    assert (await _post_signed(port, body, headers))[0] == 200
    await eventually(lambda: slack_fake.responses)
    assert await _post_signed(port, body, headers) == (200, "")  # the replay, seconds later
    [line] = _guard_lines(caplog)
    assert "dropped a replayed request" in line.getMessage()
    # A fresh command still runs, and only the two were answered.
    fresh = form_body(slack_fake.slash_payload("T1", "C1", "UADMIN", "status"))
    await _post_signed(port, fresh, signed_headers(SIGNING_SECRET, fresh, int(time.time())))
    await eventually(lambda: len(slack_fake.responses) == 2)
    texts = [str(r.text) + str(r.blocks) for r in slack_fake.responses]
    assert "Papers stored" in texts[1] and not any("already" in t for t in texts)
    assert [s.query for s in slack_store.subscriptions()] == ["mamba"]


def _event_body(event_id: str) -> bytes:
    return json.dumps(
        {
            "token": "fake-verification-token",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": 1_700_000_000,
            "event": {"type": "app_mention", "user": "UMEMBER", "text": "hi", "ts": "1.2"},
        }
    ).encode()


async def test_slacks_retry_of_an_event_is_acknowledged_and_not_run_again(
    make_adapter: MakeAdapter, slack_fake: SlackFake, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="adapters.slack.http_guard")
    adapter = await make_adapter(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET)
    assert adapter.bolt is not None and adapter.port
    seen: list[str] = []

    async def on_mention(body: dict[str, Any]) -> None:
        seen.append(body["event_id"])

    adapter.bolt.event("app_mention")(on_mention)
    now = int(time.time())
    json_type = {"Content-Type": "application/json"}
    first, other = _event_body("Ev1"), _event_body("Ev2")
    for body, at, retry in ((first, now, {}), (first, now + 1, {"X-Slack-Retry-Num": "1"})):
        headers = {**signed_headers(SIGNING_SECRET, body, at), **json_type, **retry}
        headers["X-Slack-Retry-Reason"] = "http_timeout"
        assert (await _post_signed(adapter.port, body, headers))[0] == 200
    headers = {**signed_headers(SIGNING_SECRET, other, now), **json_type}
    assert (await _post_signed(adapter.port, other, headers))[0] == 200
    await eventually(lambda: len(seen) == 2)
    assert seen == ["Ev1", "Ev2"]
    [line] = _guard_lines(caplog)
    assert "event Ev1 delivered again (retry 1, http_timeout)" in line.getMessage()


async def test_the_guard_leaves_the_oauth_pages_alone(
    make_adapter: MakeAdapter, slack_fake: SlackFake
) -> None:
    adapter = await make_adapter(
        signing_secret=SIGNING_SECRET, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{adapter.port}/slack/install", allow_redirects=False) as r,
    ):
        assert r.status in (200, 302)


# ---------------------------------------------------------------------- what is logged


def _secrets(slack_fake: SlackFake) -> list[str]:
    """What must never be logged: tokens, the verification token, response_urls."""
    urls = [f"/response/{url_id}" for url_id in slack_fake._response_urls]
    return [BOT_TOKEN, APP_TOKEN, slack_fake.verification_token, "xoxb-t2", *urls]


async def test_at_debug_level_socket_mode_logs_no_envelope_token_or_response_url(
    make_adapter: MakeAdapter, slack_fake: SlackFake, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await _socket_adapter(make_adapter, slack_fake, admins_only=True)
    await slack_fake.send_slash_command("T1", "C1", "UADMIN", "subscribe mamba")
    await slack_fake.send_slash_command("T1", "C1", "UMEMBER", "search diffusion")
    await eventually(lambda: len(slack_fake.responses) == 2)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not [s for s in _secrets(slack_fake) if s in logged]
    assert "envelope_id" not in logged and "search diffusion" not in logged
    # Not silence: the libraries' INFO lines still come through.
    assert any(r.name == "adapters.slack.library" and r.levelno == logging.INFO
               for r in caplog.records)  # fmt: skip


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated")
async def test_at_debug_level_http_mode_logs_no_installation_token_or_response_url(
    make_adapter: MakeAdapter, slack_fake: SlackFake, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    adapter = await make_adapter(
        signing_secret=SIGNING_SECRET, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )
    assert adapter.installations is not None and adapter.port
    slack_fake.add_team("T2", bot_token="xoxb-t2", channels=["D1"], users={"UT2": {}})
    code = slack_fake.issue_oauth_code("T2", bot_token="xoxb-t2", team_name="Second")
    base = f"http://127.0.0.1:{adapter.port}"
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/slack/install", allow_redirects=False) as install:
            cookie = install.headers.get("Set-Cookie", "")
            state = _query_param(install.headers.get("Location") or await install.text(), "state")
        async with session.get(
            f"{base}/slack/oauth_redirect",
            params={"code": code, "state": state},
            headers={"Cookie": cookie.split(";", 1)[0]},
        ) as callback:
            assert callback.status == 200
    body = form_body(slack_fake.slash_payload("T2", "D1", "UT2", "search diffusion"))
    headers = signed_headers(SIGNING_SECRET, body, int(time.time()))
    assert (await _post_signed(adapter.port, body, headers))[0] == 200
    await eventually(lambda: slack_fake.responses)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not [s for s in [*_secrets(slack_fake), code] if s in logged]


async def test_a_response_url_that_cannot_be_reached_is_one_warning_line(
    make_adapter: MakeAdapter,
    slack_fake: SlackFake,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    waits: VirtualTime,
) -> None:
    await _socket_adapter(make_adapter, slack_fake)
    port = _closed_port()
    monkeypatch.setattr(
        slack_fake, "new_response_url", lambda *a: f"http://127.0.0.1:{port}/response/gone"
    )
    await slack_fake.send_slash_command("T1", "C1", "UMEMBER", "status")
    [line] = await eventually(
        lambda: [r for r in caplog.records if "was not delivered" in r.getMessage()]
    )
    assert line.levelno == logging.WARNING and "ClientConnectorError" in line.getMessage()
    assert len(waits.sleeps) == 1  # one retry, on the virtual clock
    _no_tracebacks(caplog)
