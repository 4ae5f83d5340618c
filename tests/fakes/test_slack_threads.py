"""Replies to a deleted message on the Slack fake, driven by the real slack_sdk AsyncWebClient:
refused with `thread_not_found` by default, or (when a test asks) posted in the channel and
answered ok without `thread_ts`, as reported of Slack (docs/reference/slack.md §5)."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes import slack_fixture
from tests.fakes.slack_api import SlackFake

slack_fake = slack_fixture.slack_fake


def web(slack: SlackFake) -> AsyncWebClient:
    return AsyncWebClient(token=slack_fixture.BOT_TOKEN, base_url=slack.api_url)


async def test_a_reply_to_a_deleted_message_is_refused_by_default(slack_fake: SlackFake) -> None:
    client = web(slack_fake)
    parent = await client.chat_postMessage(channel="C1", text="digest")
    slack_fake.delete_message("C1", parent["ts"])
    assert slack_fake.messages_in("C1") == []
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel="C1", text="climber", thread_ts=parent["ts"])
    assert refused.value.response["error"] == "thread_not_found"
    assert slack_fake.messages_in("C1") == []
    with pytest.raises(SlackApiError) as gone:
        await client.conversations_replies(channel="C1", ts=parent["ts"])
    assert gone.value.response["error"] == "thread_not_found"


async def test_a_reply_to_a_deleted_message_can_land_in_the_channel(slack_fake: SlackFake) -> None:
    slack_fake.reply_to_deleted = "top_level"
    slack_fake.post_rate = slack_fake.post_burst = 100
    client = web(slack_fake)
    parent = await client.chat_postMessage(channel="C1", text="digest")
    kept = await client.chat_postMessage(channel="C1", text="another")
    slack_fake.delete_message("C1", parent["ts"])
    stray = await client.chat_postMessage(channel="C1", text="climber", thread_ts=parent["ts"])
    assert stray["ok"] and "thread_ts" not in stray["message"]
    assert slack_fake.message("C1", stray["ts"]).thread_ts is None
    threaded = await client.chat_postMessage(channel="C1", text="reply", thread_ts=kept["ts"])
    assert threaded["message"]["thread_ts"] == kept["ts"]  # a live parent still threads
    with pytest.raises(SlackApiError) as never:  # a ts that never was is still refused
        await client.chat_postMessage(channel="C1", text="x", thread_ts="1.000001")
    assert never.value.response["error"] == "thread_not_found"


def test_deleting_a_message_the_fake_does_not_hold_is_a_key_error(slack_fake: SlackFake) -> None:
    with pytest.raises(KeyError):
        slack_fake.delete_message("C1", "1.000001")
