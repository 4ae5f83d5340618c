"""chat.update on the Slack fake, driven by the real slack_sdk AsyncWebClient."""

from __future__ import annotations

import json
from collections.abc import Awaitable
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.retries import retry_handlers
from tests.fakes import slack_fixture
from tests.fakes.slack_api import SlackFake
from tests.fakes.slack_fixture import FakeClock

slack_fake = slack_fixture.slack_fake
BOT = slack_fixture.BOT_TOKEN
META = {"event_type": "paperboy_post", "event_payload": {"key": "daily:2026-11-25"}}


clock = slack_fixture.clock
clocked = slack_fixture.clocked


def web(slack: SlackFake, token: str = BOT, **kwargs: Any) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=slack.api_url, **kwargs)


async def api_error(call: Awaitable[Any]) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        await call
    return info.value


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


async def test_update_replaces_the_message_and_history_shows_the_latest(
    slack_fake: SlackFake,
) -> None:
    client = web(slack_fake)
    posted = await client.chat_postMessage(
        channel="C1", text="v1", blocks=[section("one")], metadata=META
    )
    ts = posted["ts"]
    first = await client.chat_update(channel="C1", ts=ts, text="v2", blocks=[section("two")])
    second = await client.chat_update(channel="C1", ts=ts, text="v3", blocks=[section("three")])
    assert (first["ts"], first["channel"], first["text"]) == (ts, "C1", "v2")
    assert second["message"]["edited"]["user"] == "UBOTT1"
    assert [e.version for e in slack_fake.edits_of("C1", ts)] == [1, 2]
    assert [e.text for e in slack_fake.edits] == ["v2", "v3"]
    assert len(slack_fake.messages_in("C1")) == 1  # edited in place, not a new message
    history = await client.conversations_history(channel="C1", include_all_metadata=True)
    (latest,) = history["messages"]
    assert latest["ts"] == ts and latest["text"] == "v3"
    assert latest["blocks"] == [section("three")]
    assert latest["edited"] == second["message"]["edited"]
    assert float(latest["edited"]["ts"]) > float(ts)
    assert latest["metadata"] == META  # left out of the update: kept


async def test_metadata_given_replaces_and_text_only_drops_the_blocks(
    slack_fake: SlackFake,
) -> None:
    client = web(slack_fake)
    ts = (await client.chat_postMessage(channel="C1", text="v1", blocks=[section("a")]))["ts"]
    new_meta = {"event_type": "paperboy_post", "event_payload": {"version": 2}}
    await client.chat_update(channel="C1", ts=ts, text="plain now", metadata=new_meta)
    message = slack_fake.message("C1", ts)
    assert message.blocks is None and message.text == "plain now"
    assert message.metadata == new_meta and message.version == 1
    bad = await api_error(
        client.chat_update(channel="C1", ts=ts, text="x", metadata={"event_type": "e"})
    )
    assert bad.response["error"] == "invalid_metadata_schema"


async def test_unknown_ts_and_someone_elses_message_are_refused(slack_fake: SlackFake) -> None:
    client = web(slack_fake)
    missing = await api_error(client.chat_update(channel="C1", ts="1.000001", text="x"))
    assert missing.response["error"] == "message_not_found"
    human = slack_fake.post_as_user("T1", "C1", "UMEMBER", "my own words")
    theirs = await api_error(client.chat_update(channel="C1", ts=human.ts, text="x"))
    assert theirs.response["error"] == "cant_update_message"
    slack_fake.add_team("T1", bot_token="xoxb-other", bot_user_id="UOTHER", bot_id="BOTHER")
    ts = (await client.chat_postMessage(channel="C1", text="ours"))["ts"]
    other = await api_error(
        web(slack_fake, "xoxb-other").chat_update(channel="C1", ts=ts, text="x")
    )
    assert other.response["error"] == "cant_update_message"
    wrong_channel = await api_error(client.chat_update(channel="C2", ts=ts, text="x"))
    assert wrong_channel.response["error"] == "message_not_found"
    assert slack_fake.message("C1", human.ts).text == "my own words"
    assert slack_fake.edits == []


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"text": "t", "blocks": [section("x" * 3001)]}, "invalid_blocks"),
        ({"text": "x" * 40_001}, "msg_too_long"),
        ({}, "no_text"),
    ],
)
async def test_an_edit_is_validated_like_a_post(
    slack_fake: SlackFake, payload: dict[str, Any], error: str
) -> None:
    client = web(slack_fake)
    ts = (await client.chat_postMessage(channel="C1", text="original"))["ts"]
    refused = await api_error(client.chat_update(channel="C1", ts=ts, **payload))
    assert refused.response["error"] == error
    assert slack_fake.message("C1", ts).text == "original" and slack_fake.edits == []
    if error == "invalid_blocks":
        (detail,) = refused.response["response_metadata"]["messages"]
        assert "json-pointer:/blocks/0/text" in detail


async def test_archived_channel_and_missing_scope(slack_fake: SlackFake) -> None:
    client = web(slack_fake)
    ts = (await client.chat_postMessage(channel="C1", text="x"))["ts"]
    slack_fake.withhold(BOT, "chat:write")
    scope = await api_error(client.chat_update(channel="C1", ts=ts, text="y"))
    assert (scope.response["error"], scope.response["needed"]) == ("missing_scope", "chat:write")
    slack_fake.grant(BOT, "chat:write")
    slack_fake.set_channel("T1", "C1", "archived")
    archived = await api_error(client.chat_update(channel="C1", ts=ts, text="y"))
    assert archived.response["error"] == "is_inactive"


async def test_edits_of_thread_replies_stay_in_the_thread(slack_fake: SlackFake) -> None:
    client = web(slack_fake)
    parent = (await client.chat_postMessage(channel="C1", text="digest"))["ts"]
    reply = (await client.chat_postMessage(channel="C1", text="climber", thread_ts=parent))["ts"]
    answer = await client.chat_update(channel="C1", ts=reply, text="climber, edited")
    assert answer["message"]["thread_ts"] == parent
    replies = await client.conversations_replies(channel="C1", ts=parent)
    assert [m["text"] for m in replies["messages"]] == ["digest", "climber, edited"]
    assert "edited" in replies["messages"][1] and "edited" not in replies["messages"][0]


async def test_tier3_bucket_answers_429_and_the_retry_handler_waits(
    clocked: SlackFake, clock: FakeClock
) -> None:
    clocked.update_burst = 2
    client = web(clocked)
    ts = (await client.chat_postMessage(channel="C1", text="x"))["ts"]
    await client.chat_update(channel="C1", ts=ts, text="1")
    await client.chat_update(channel="C1", ts=ts, text="2")
    limited = await api_error(client.chat_update(channel="C1", ts=ts, text="3"))
    assert limited.response.status_code == 429 and limited.response["error"] == "ratelimited"
    assert int(limited.response.headers["Retry-After"]) == 2  # 50 per minute: 1.2 s, rounded up
    clock.now += 2
    await client.chat_update(channel="C1", ts=ts, text="3")
    assert clocked.message("C1", ts).text == "3" and clocked.message("C1", ts).version == 3
    # posting has its own bucket: an empty chat.update bucket does not stop chat.postMessage
    await client.chat_postMessage(channel="C2", text="still posting")


async def test_scripted_429_on_update_is_retried_by_slack_sdk(slack_fake: SlackFake) -> None:
    slack_fake.retry_after_override = 0
    client = web(slack_fake, retry_handlers=retry_handlers())
    ts = (await client.chat_postMessage(channel="C1", text="x"))["ts"]
    slack_fake.script_rate_limit("C1", method="chat.update", times=2, retry_after=0)
    await client.chat_update(channel="C1", ts=ts, text="after two 429s")
    outcomes = [(c.ok, c.status) for c in slack_fake.calls_to("chat.update")]
    assert outcomes == [(False, 429), (False, 429), (True, 200)]


async def test_edit_window_closed_is_scripted_not_built_in(slack_fake: SlackFake) -> None:
    client = web(slack_fake)
    ts = (await client.chat_postMessage(channel="C1", text="x"))["ts"]
    slack_fake.script_fault(
        "error", method="chat.update", when="before", status=200, error="edit_window_closed"
    )
    closed = await api_error(client.chat_update(channel="C1", ts=ts, text="y"))
    assert closed.response["error"] == "edit_window_closed"
    await client.chat_update(channel="C1", ts=ts, text="y")  # bots are not bound by it


async def test_an_edit_is_recorded_before_its_answer_is_lost(slack_fake: SlackFake) -> None:
    client = web(slack_fake)
    ts = (await client.chat_postMessage(channel="C1", text="x"))["ts"]
    slack_fake.script_fault("html", method="chat.update", when="after", status=502)
    with pytest.raises(Exception):  # noqa: B017 - slack_sdk raises its own type for HTML
        await client.chat_update(channel="C1", ts=ts, text="edited anyway")
    assert slack_fake.message("C1", ts).text == "edited anyway"


async def test_form_encoded_update_decodes_blocks(slack_fake: SlackFake) -> None:
    client = web(slack_fake)
    ts = (await client.chat_postMessage(channel="C1", text="x"))["ts"]
    await client.api_call(
        "chat.update",
        data={"channel": "C1", "ts": ts, "text": "t", "blocks": json.dumps([section("f")])},
    )
    assert slack_fake.message("C1", ts).blocks == [section("f")]
