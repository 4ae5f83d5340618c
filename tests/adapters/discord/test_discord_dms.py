"""A person's own alerts on Discord, with the real publisher and discord.py against the strict
fake: a direct message arrives once (also when its answer was lost), a person who takes no DMs
is `recipient_closed` (never the channel's fault), a refused DM's mention replies to the alert
and notifies only that person, and an alert's "Notify me too" follows its subscriptions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.actions import LABELS, NOTIFY, notify_id
from adapters.cards import MENTION_INTRO
from adapters.discord.adapter import DiscordAdapter
from adapters.discord.publisher import DiscordPublisher
from adapters.discord.render import render_alert, render_direct, render_mention
from bot.domain import Alert, ChannelSettings, DirectMessage, Layout, Mention, Paper, direct_channel
from bot.ports import DeliveryError
from storage.store import Store
from tests.adapters.discord.clicking import SEEDED, private_answer, text_of
from tests.adapters.discord.publishing import CH, DAY, FORUM_REF
from tests.adapters.discord.render_checks import assert_valid, controls
from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_fixture import GUILD, MANAGER, MEMBER, PAPERS
from tests.helpers import at, make_paper, tracker_for

discord_fake = discord_fixture.discord_fake

PAPER = make_paper("2411.00009", DAY, title="Mamba goes video", summary="Fast. Very fast.")
STRANGER = 5000  # no guild in common: the test adds them (`add_user`)
CREATE_DM = "POST /users/@me/channels"


def _dm(user: int = MEMBER, paper: Paper = PAPER) -> DirectMessage:
    return DirectMessage(
        direct_channel("discord", str(GUILD), str(user)), str(user), paper, ("mamba",), CH
    )


def _mention(thread: str | None, user: int = MEMBER) -> Mention:
    return Mention(CH, str(user), PAPER, ("mamba",), thread)


def _creates(fake: DiscordFake) -> int:
    return sum(1 for r in fake.requests if f"{r.method} {r.route}" == CREATE_DM)


# --- direct messages ---------------------------------------------------------------------


async def test_a_direct_message_arrives_once_in_the_persons_dms_with_its_nonce(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    dm = _dm()
    tracker = tracker_for(dm.channel, "dm", PAPER.id)
    first_id = await publisher.publish(dm, tracker)
    [message] = discord_fake.dms(MEMBER)
    assert first_id == str(message.id) == tracker.first_id
    assert tracker.thread_id == str(discord_fake.dm_channel(MEMBER))
    assert tracker.events == [("claim", 1), ("sent", 1)]
    assert message.nonce == tracker.key.token(1) and message.guild_id is None
    assert message.payload["enforce_nonce"] is True
    assert message.payload["allowed_mentions"] == {"parse": []}
    assert "For you" in message.content and "mamba" in message.content
    assert message.embeds[0]["title"].endswith("Mamba goes video")
    assert not message.payload.get("components")  # no paper buttons in a DM
    assert discord_fake.messages_in(PAPERS) == []  # nothing in the channel


async def test_the_dm_channel_is_opened_once_per_person(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    other = make_paper("2411.00010", DAY, title="Another one")
    for paper in (PAPER, other):
        dm = _dm(paper=paper)
        await publisher.publish(dm, tracker_for(dm.channel, "dm", paper.id))
    assert len(discord_fake.dms(MEMBER)) == 2 and _creates(discord_fake) == 1


async def test_a_dm_whose_answer_was_lost_is_not_sent_twice(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    discord_fake.hold_answers("/messages", drop=True)  # stored, its answer never comes
    dm = _dm()
    tracker = tracker_for(dm.channel, "dm", PAPER.id)
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(dm, tracker)
    assert raised.value.uncertain and not raised.value.recipient_closed
    assert await publisher.find(tracker.key, 1, datetime.now(UTC), None) is None  # send again
    first_id = await publisher.publish(dm, tracker)
    [message] = discord_fake.dms(MEMBER)
    assert first_id == str(message.id)
    assert tracker.events == [("claim", 1), ("claim", 1), ("sent", 1)]


async def test_closed_dms_are_recipient_closed_never_a_channel_fault(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    discord_fake.close_dms(MEMBER)
    dm = _dm()
    tracker = tracker_for(dm.channel, "dm", PAPER.id)
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(dm, tracker)
    error = raised.value
    assert error.recipient_closed and "Cannot send messages to this user" in str(error)
    assert not (error.permanent or error.workspace_fault or error.uncertain)
    assert tracker.events == [("claim", 1), ("refused", 1)] and discord_fake.dms(MEMBER) == []


async def test_an_unknown_user_is_recipient_closed(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    dm = _dm(user=9)  # no guild in common, never added: Create DM answers 404 10013
    tracker = tracker_for(dm.channel, "dm", PAPER.id)
    with pytest.raises(DeliveryError) as raised:
        await publisher.publish(dm, tracker)
    assert raised.value.recipient_closed and not raised.value.permanent
    assert tracker.events == [] and discord_fake.dm_channel(9) is None


async def test_a_user_added_without_a_common_guild_gets_the_dm(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    discord_fake.add_user(STRANGER, "stranger")
    dm = _dm(user=STRANGER)
    await publisher.publish(dm, tracker_for(dm.channel, "dm", PAPER.id))
    assert len(discord_fake.dms(STRANGER)) == 1


async def test_a_rate_limited_dm_is_retried_and_sent_once(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    discord_fake.script_rate_limit("/messages", times=1, method="POST")
    dm = _dm()
    await publisher.publish(dm, tracker_for(dm.channel, "dm", PAPER.id))
    assert len(discord_fake.dms(MEMBER)) == 1


async def test_find_of_a_dm_asks_no_channel_kind(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    dm = _dm()
    key = tracker_for(dm.channel, "dm", PAPER.id).key
    assert await publisher.find(key, 1, datetime.now(UTC), None) is None
    assert discord_fake.request_counts()["GET /channels/{channel_id}"] == 0


# --- mentions ------------------------------------------------------------------------------


async def test_a_mention_replies_to_the_alert_and_notifies_only_that_person(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    alert_id = await publisher.publish(
        Alert(CH, PAPER, ("mamba",)), tracker_for(CH, "alert", PAPER.id)
    )
    mention = _mention(alert_id)
    tracker = tracker_for(CH, "mention", f"{PAPER.id}:{MEMBER}")
    first_id = await publisher.publish(mention, tracker)
    [_, message] = discord_fake.messages_in(PAPERS)
    assert first_id == str(message.id)
    assert message.content.startswith(f"<@{MEMBER}> ")
    assert MENTION_INTRO in message.content
    assert message.payload["message_reference"]["message_id"] == alert_id
    allowed = message.payload["allowed_mentions"]
    assert allowed["parse"] == [] and [int(u) for u in allowed["users"]] == [MEMBER]
    assert not allowed.get("replied_user") and not allowed.get("roles")
    assert message.nonce == tracker.key.token(1)
    assert message.embeds[0]["title"].endswith("Mamba goes video")


async def test_a_mention_of_a_deleted_alert_is_posted_on_its_own(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    alert_id = await publisher.publish(
        Alert(CH, PAPER, ("mamba",)), tracker_for(CH, "alert", PAPER.id)
    )
    discord_fake.delete_message(int(alert_id))
    await publisher.publish(_mention(alert_id), tracker_for(CH, "mention", f"{PAPER.id}:x"))
    [message] = discord_fake.messages_in(PAPERS)
    assert message.content.startswith(f"<@{MEMBER}>")
    assert "message_reference" not in message.payload


async def test_a_mention_without_an_alert_goes_top_level(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    await publisher.publish(_mention(None), tracker_for(CH, "mention", f"{PAPER.id}:x"))
    [message] = discord_fake.messages_in(PAPERS)
    assert message.content.startswith(f"<@{MEMBER}>")
    assert "message_reference" not in message.payload


async def test_a_mention_in_a_forum_replies_inside_the_alerts_post(
    publisher: DiscordPublisher, discord_fake: DiscordFake
) -> None:
    alert_id = await publisher.publish(
        Alert(FORUM_REF, PAPER, ("mamba",)), tracker_for(FORUM_REF, "alert", PAPER.id)
    )
    mention = Mention(FORUM_REF, str(MEMBER), PAPER, ("mamba",), alert_id)
    await publisher.publish(mention, tracker_for(FORUM_REF, "mention", f"{PAPER.id}:x"))
    [_, message] = discord_fake.messages_in(int(alert_id))
    assert message.content.startswith(f"<@{MEMBER}>")
    assert message.payload["message_reference"]["message_id"] == alert_id


# --- rendering -----------------------------------------------------------------------------


@pytest.mark.parametrize("layout", list(Layout))
def test_an_alert_shows_notify_me_too_in_both_layouts(layout: Layout) -> None:
    alert = Alert(CH, PAPER, ("mamba", "video"), layout, subscriptions=(12, 13))
    messages = render_alert(alert)
    assert_valid(messages)
    [button] = [c for c in controls(messages[-1]) if c["label"] == LABELS[NOTIFY]]
    assert button["custom_id"] == notify_id((12, 13)) == "pb:notify:12-13"
    assert len(controls(messages[-1])) == 4  # Save, Not relevant, More like this, Notify


@pytest.mark.parametrize("layout", list(Layout))
def test_an_alert_without_subscriptions_has_no_notify_button(layout: Layout) -> None:
    messages = render_alert(Alert(CH, PAPER, ("mamba",), layout))
    assert_valid(messages)
    assert all(c["label"] != LABELS[NOTIFY] for m in messages for c in controls(m))


def test_a_dm_and_a_mention_render_valid_full_cards_without_buttons() -> None:
    direct = render_direct(_dm())
    mention = render_mention(_mention("123"))
    assert_valid(direct)
    assert_valid(mention)
    assert all(not m.components and m.mention is None for m in direct)
    assert mention[0].mention == str(MEMBER) and not mention[0].components
    assert mention[0].content.startswith(f"<@{MEMBER}> {MENTION_INTRO}")


def test_a_mention_of_a_malformed_user_id_mentions_nobody() -> None:
    [message] = render_mention(Mention(CH, "@everyone", PAPER, ("mamba",), None))
    assert message.mention is None and "<@" not in message.content
    assert_valid([message])


# --- Notify me too, clicked ----------------------------------------------------------------


async def test_clicking_notify_me_too_follows_the_alerts_subscription(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store
) -> None:
    paper = discord_store.get_paper(SEEDED[0])
    assert paper is not None
    discord_store.save_channel(ChannelSettings(CH))
    sub = discord_store.add_subscription(CH, "diffusion", str(MANAGER), at("2026-11-25 09:00"))
    assert sub is not None
    alert = Alert(CH, paper, ("diffusion",), Layout.COMPACT, subscriptions=(sub.id,))
    message = int(await adapter.publisher.publish(alert, tracker_for(CH, "alert", paper.id)))
    record = await discord_fake.click(GUILD, MEMBER, message, notify_id((sub.id,)))
    reply = await private_answer(record)
    assert "You get these alerts by direct message too" in text_of(reply)
    [interest] = discord_store.interests(str(MEMBER))
    assert (interest.subscription, interest.query, interest.channel) == (sub.id, "diffusion", CH)
