"""SlackPublisher and a person's own alerts: a DirectMessage in their DM (conversations.open),
found again after a crash, refused as `recipient_closed`; a Mention in the alert's thread; and
the alert's "Notify me too" button, against the strict fake."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.actions import LABELS, NOTIFY, command_text, notify_id
from adapters.slack.publisher import SlackPublisher
from adapters.slack.render import render_alert
from bot.domain import (
    POST_EVENT_TYPE,
    Alert,
    ChannelRef,
    DirectMessage,
    Layout,
    Mention,
    direct_channel,
)
from bot.ports import DeliveryError, ResolveUnsupported
from tests.adapters.slack.conftest import VirtualTime, make_publisher
from tests.adapters.slack.render_checks import assert_valid
from tests.fakes import slack_fixture
from tests.fakes.slack_api import SlackFake
from tests.fakes.slack_records import ReplyToDeleted
from tests.helpers import MemoryTracker, make_paper, tracker_for

BOT = slack_fixture.BOT_TOKEN
C1 = ChannelRef("slack", "T1", "C1")
DAY = date(2026, 11, 26)
PAPER = make_paper("2411.00042", DAY, title="Mamba for everyone")


def dm(user: str = "UMEMBER") -> DirectMessage:
    return DirectMessage(direct_channel("slack", "T1", user), user, PAPER, ("mamba",), C1)


def dm_tracker(user: str = "UMEMBER", **state: object) -> MemoryTracker:
    return tracker_for(direct_channel("slack", "T1", user), "dm", PAPER.id, **state)


def mention(thread: str | None) -> Mention:
    return Mention(C1, "UMEMBER", PAPER, ("mamba",), thread)


def mention_tracker(**state: object) -> MemoryTracker:
    return tracker_for(C1, "mention", f"{PAPER.id}:UMEMBER", **state)


# ---------------------------------------------------------------------- direct messages


async def test_a_dm_arrives_once_in_the_persons_dm_with_its_identity(
    slack: SlackFake, publisher: SlackPublisher
) -> None:
    slack.grant(BOT, "im:write", "im:history")
    tracker = dm_tracker()
    ts = await publisher.publish(dm(), tracker)
    [message] = slack.dms("UMEMBER")
    assert message.ts == ts == tracker.first_id and message.channel == slack.dm_channel("UMEMBER")
    assert message.channel.startswith("D") and message.thread_ts is None
    assert tracker.events == [("claim", 1), ("sent", 1)]
    assert message.metadata == {
        "event_type": POST_EVENT_TYPE,
        "event_payload": {"kind": "dm", "ref": PAPER.id, "part": 1, "token": tracker.key.token(1)},
    }
    assert "matched: mamba" in str(message.blocks) and "Mamba for everyone" in str(message.text)
    assert "pb:" not in str(message.blocks)  # a full card without the paper's buttons
    assert slack.messages_in("C1") == []
    # A second DM to them reuses the DM channel (opened once).
    await publisher.publish(dm(), dm_tracker())
    assert len(slack.calls_to("conversations.open")) == 1 and len(slack.dms("UMEMBER")) == 2


async def test_a_dm_whose_answer_was_lost_is_found_and_not_sent_twice(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime
) -> None:
    slack.grant(BOT, "im:write", "im:history")
    since = vt.since()
    slack.script_fault("error", method="chat.postMessage", when="after", status=500)
    tracker = dm_tracker()
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(dm(), tracker)
    assert raised.value.uncertain and not raised.value.recipient_closed
    assert not raised.value.workspace_fault and not raised.value.permanent
    [posted] = slack.dms("UMEMBER")  # Slack had it before the answer was lost
    # After a restart: a new publisher (no DM channel known) asks before sending again.
    restarted = make_publisher(slack.api_url, vt)
    found = await restarted.find(tracker.key, 1, since, None)
    assert found == posted.ts
    assert slack.calls_to("conversations.history")[-1].args["channel"] == posted.channel
    resumed = dm_tracker(parts_sent=1, first_id=found, thread_id=found)
    assert await restarted.publish(dm(), resumed) == posted.ts
    assert slack.dms("UMEMBER") == [posted]
    # Another paper's DM to them is not that one.
    other = tracker_for(tracker.key.channel, "dm", "2411.99999").key
    assert await restarted.find(other, 1, since, None) is None


async def test_finding_a_dm_without_im_history_cannot_tell(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime
) -> None:
    slack.grant(BOT, "im:write")
    await publisher.publish(dm(), dm_tracker())
    with pytest.raises(ResolveUnsupported, match="im:history"):
        await publisher.find(dm_tracker().key, 1, vt.since(), None)
    assert publisher.history_denied == set()  # the channels' lookups are not affected


@pytest.mark.parametrize(
    ("user", "setup", "error"),
    [
        ("UBOTT1", None, "cannot_dm_bot"),  # paperboy itself
        ("UOTHERBOT", "bot", "cannot_dm_bot"),
        ("UGONE", "deactivated", "user_disabled"),
        ("UGHOST", None, "user_not_found"),
        ("UMEMBER", "no im:write", "missing_scope"),
    ],
)
async def test_a_dm_slack_refuses_is_recipient_closed_and_pauses_nothing(
    slack: SlackFake,
    publisher: SlackPublisher,
    vt: VirtualTime,
    user: str,
    setup: str | None,
    error: str,
) -> None:
    if setup != "no im:write":
        slack.grant(BOT, "im:write", "im:history")
    if setup == "bot":
        slack.add_user("T1", user, is_bot=True)
    if setup == "deactivated":
        slack.add_user("T1", user)
        slack.deactivate_user("T1", user)
    tracker = dm_tracker(user)
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(dm(user), tracker)
    exc = raised.value
    assert exc.recipient_closed and error in str(exc)
    assert not (exc.workspace_fault or exc.permanent or exc.uncertain or exc.whole_platform)
    assert tracker.events == []  # nothing was claimed: nothing can be out
    assert slack.messages == [] and slack.dm_channels == {}
    # find cannot reach them either: nothing to find, the core mentions them instead.
    assert await publisher.find(tracker.key, 1, vt.since(), None) is None


async def test_a_dm_post_slack_refuses_in_the_dm_is_recipient_closed(
    slack: SlackFake, publisher: SlackPublisher
) -> None:
    slack.grant(BOT, "im:write", "im:history")
    await publisher.publish(dm(), dm_tracker())  # the DM is open
    dm_id = slack.dm_channel("UMEMBER")
    assert dm_id is not None
    slack.script_fault("error", channel=dm_id, when="before", status=200, error="is_archived")
    tracker = dm_tracker()
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(dm(), tracker)
    assert raised.value.recipient_closed and not raised.value.permanent
    assert not raised.value.workspace_fault
    assert tracker.events == [("claim", 1), ("refused", 1)]


async def test_a_dm_that_hits_a_server_error_before_posting_is_retried_later(
    slack: SlackFake, publisher: SlackPublisher
) -> None:
    slack.grant(BOT, "im:write", "im:history")
    slack.script_fault("error", method="conversations.open", when="before", status=503)
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(dm(), dm_tracker())
    exc = raised.value
    assert not (exc.recipient_closed or exc.workspace_fault or exc.permanent or exc.uncertain)
    await publisher.publish(dm(), dm_tracker())
    assert len(slack.dms("UMEMBER")) == 1


# ---------------------------------------------------------------------- mentions


async def test_a_mention_goes_in_the_alerts_thread_and_mentions_the_person(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime
) -> None:
    since = vt.since()
    alert = Alert(C1, PAPER, ("mamba",), subscriptions=(7,))
    thread = await publisher.publish(alert, tracker_for(C1, "alert", PAPER.id))
    tracker = mention_tracker()
    ts = await publisher.publish(mention(thread), tracker)
    _alert, reply = slack.messages_in("C1")
    assert reply.ts == ts and reply.thread_ts == thread and tracker.thread_id == thread
    assert reply.text is not None and reply.text.startswith("<@UMEMBER> ")
    assert reply.blocks is not None and reply.blocks[0]["text"]["text"].startswith("<@UMEMBER> ")
    assert reply.metadata is not None
    assert reply.metadata["event_payload"]["token"] == tracker.key.token(1)
    assert await publisher.find(tracker.key, 1, since, thread) == ts
    assert slack.dms("UMEMBER") == []


async def test_a_mention_without_an_alert_goes_to_the_channel(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime
) -> None:
    since = vt.since()
    tracker = mention_tracker()
    ts = await publisher.publish(mention(None), tracker)
    [message] = slack.messages_in("C1")
    assert message.ts == ts and message.thread_ts is None
    assert message.text is not None and message.text.startswith("<@UMEMBER> ")
    assert await publisher.find(tracker.key, 1, since, None) == ts


@pytest.mark.parametrize("slack_does", ["thread_not_found", "top_level"])
async def test_a_mention_whose_alert_is_gone_goes_to_the_channel_and_is_found_there(
    slack: SlackFake, publisher: SlackPublisher, vt: VirtualTime, slack_does: ReplyToDeleted
) -> None:
    # Slack refuses a reply to a deleted message (thread_not_found), or posts it in the channel.
    slack.reply_to_deleted = slack_does
    since = vt.since()
    thread = await publisher.publish(
        Alert(C1, PAPER, ("mamba",)), tracker_for(C1, "alert", PAPER.id)
    )
    slack.delete_message("C1", thread)
    tracker = mention_tracker()
    ts = await publisher.publish(mention(thread), tracker)
    [message] = slack.messages_in("C1")
    assert message.ts == ts and message.thread_ts is None
    assert message.text is not None and message.text.startswith("<@UMEMBER> ")
    assert await publisher.find(tracker.key, 1, since, thread) == ts


# ---------------------------------------------------------------------- Notify me too


@pytest.mark.parametrize("layout", [Layout.COMPACT, Layout.FULL])
async def test_an_alert_carries_notify_me_too_in_both_layouts(
    slack: SlackFake, publisher: SlackPublisher, layout: Layout
) -> None:
    alert = Alert(C1, PAPER, ("mamba", "ssm"), layout=layout, subscriptions=(12, 13))
    assert_valid(render_alert(alert))
    await publisher.publish(alert, tracker_for(C1, "alert", PAPER.id))
    [message] = slack.messages_in("C1")  # the fake validated its blocks
    buttons = [e for b in message.blocks or [] if b["type"] == "actions" for e in b["elements"]]
    [notify] = [b for b in buttons if b["value"] == notify_id((12, 13))]
    assert notify["text"]["text"] == LABELS[NOTIFY] and notify["action_id"] == notify["value"]
    assert command_text(notify["value"]) == "mine follow 12 13"
