"""Clicks on paperboy's Discord controls, end to end: the real discord.py client against the
fake, the real command handlers and a real Store. Each select of a compact and a full digest
and each button of an alert runs its command for the clicker in the message's channel, and is
answered privately with an Undo button; a double click counts once; clicks keep working after
a restart; only members of the message's server can click it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import pytest

from adapters.discord.adapter import DiscordAdapter, DiscordConfig
from adapters.discord.interactions import UNKNOWN_CONTROL
from bot.commands.handlers import Handlers
from bot.domain import Action, Alert, ChannelRef, Digest, Layout
from bot.service import Paperboy
from storage.store import Store
from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake, Followup, InteractionRecord
from tests.fakes.discord_fixture import GUILD, MANAGER, MEMBER, PAPERS, raw
from tests.fakes.discord_records import BASIC_MEMBER
from tests.helpers import Clock, StaticFeed, make_paper, tracker_for

CH = ChannelRef("discord", str(GUILD), str(PAPERS))
DAY = date(2026, 11, 25)
SEEDED = ("2411.00001", "2411.00002")  # tests.helpers.seed_two_papers
ACTIONS = [
    ("pb:save", Action.SAVE, "Saved “Video diffusion at scale”"),
    ("pb:not-relevant", Action.NOT_RELEVANT, "rank a little lower"),
    ("pb:more-like", Action.MORE_LIKE, "rank a little higher"),
]


async def _digest(adapter: DiscordAdapter, store: Store, layout: Layout) -> int:
    """Post a digest of the two stored papers; its first message's id."""
    papers = tuple(p for p in map(store.get_paper, SEEDED) if p is not None)
    digest = Digest(CH, (DAY,), papers, layout=layout)
    return int(await adapter.publisher.publish(digest, tracker_for(CH, "digest", layout.value)))


async def _answer(record: InteractionRecord) -> Followup:
    """The private reply to a click, after its private deferral."""
    callback = await record.callback()
    assert (callback.type, callback.ephemeral) == (5, True)  # deferred at once, privately
    [reply] = await record.wait_followups(1)
    assert reply.ephemeral and reply.fills_deferred
    return reply


def _text(reply: Followup) -> str:
    return str(reply.content) + str(reply.embeds)


def _undo_id(reply: Followup) -> str:
    [row] = reply.payload["components"]
    [button] = row["components"]
    assert button["label"] == "↩ Undo"
    return str(button["custom_id"])


@pytest.mark.parametrize("layout", list(Layout))
@pytest.mark.parametrize(("select", "action", "said"), ACTIONS)
async def test_each_select_of_a_digest_acts_on_the_chosen_paper_for_its_clicker(
    adapter: DiscordAdapter,
    discord_fake: DiscordFake,
    discord_store: Store,
    layout: Layout,
    select: str,
    action: Action,
    said: str,
) -> None:
    message = await _digest(adapter, discord_store, layout)
    record = await discord_fake.click(GUILD, MEMBER, message, select, [SEEDED[0]])
    reply = await _answer(record)
    [click] = discord_store.clicks(CH)
    assert said in _text(reply)
    assert (click.user, click.paper_id, click.action) == (str(MEMBER), SEEDED[0], action)
    assert _undo_id(reply) == f"pb:undo:{click.id}"


@pytest.mark.parametrize("layout", list(Layout))
@pytest.mark.parametrize(("prefix", "action", "said"), ACTIONS)
async def test_each_button_of_an_alert_acts_on_its_paper(
    adapter: DiscordAdapter,
    discord_fake: DiscordFake,
    discord_store: Store,
    layout: Layout,
    prefix: str,
    action: Action,
    said: str,
) -> None:
    paper = discord_store.get_paper(SEEDED[0])
    assert paper is not None
    alert = Alert(CH, paper, ("diffusion",), layout)
    message = int(await adapter.publisher.publish(alert, tracker_for(CH, "alert", paper.id)))
    record = await discord_fake.click(GUILD, MANAGER, message, f"{prefix}:{paper.id}")
    reply = await _answer(record)
    [click] = discord_store.clicks(CH)
    assert said in _text(reply) and (click.user, click.action) == (str(MANAGER), action)


async def test_a_double_click_counts_once(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store
) -> None:
    message = await _digest(adapter, discord_store, Layout.COMPACT)
    replies = []
    for _ in range(2):
        record = await discord_fake.click(GUILD, MEMBER, message, "pb:save", [SEEDED[1]])
        replies.append(await _answer(record))
    [click] = discord_store.clicks(CH)
    assert [p.id for p, _ in discord_store.reading_list(CH)] == [SEEDED[1]]
    assert "Already saved" in _text(replies[1])
    assert {_undo_id(r) for r in replies} == {f"pb:undo:{click.id}"}


async def test_undo_on_the_private_confirmation_takes_the_click_back(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store
) -> None:
    message = await _digest(adapter, discord_store, Layout.COMPACT)
    record = await discord_fake.click(GUILD, MEMBER, message, "pb:more-like", [SEEDED[0]])
    confirmation = await _answer(record)
    undo = await discord_fake.click_ephemeral(
        record, confirmation.message_id, _undo_id(confirmation)
    )
    reply = await _answer(undo)
    assert "Took back" in _text(reply) and discord_store.clicks(CH) == []
    assert reply.payload.get("components") in (None, [])  # nothing left to undo


async def test_a_click_after_a_restart_is_answered_by_the_new_process(
    adapter: DiscordAdapter,
    discord_fake: DiscordFake,
    discord_store: Store,
    tmp_path: Path,
    clock: Clock,
) -> None:
    message = await _digest(adapter, discord_store, Layout.COMPACT)
    await adapter.stop()
    async with _restarted(discord_fake, tmp_path / "paperboy.db", clock) as store:
        record = await discord_fake.click(GUILD, MEMBER, message, "pb:save", [SEEDED[0]])
        reply = await _answer(record)
        assert [c.paper_id for c in store.clicks(CH)] == [SEEDED[0]]
    assert "Saved" in _text(reply)


@pytest.fixture
def other_guild(discord_fake: DiscordFake) -> int:
    """A second server with a channel of its own; MEMBER is a member of both, 3999 only of it."""
    discord_fake.add_guild(
        1001, "Elsewhere", channels={2100: {"name": "p"}}, members={3999: 0, MEMBER: BASIC_MEMBER}
    )
    return 1001


async def test_only_members_of_the_messages_server_click_it_and_count_in_its_channel(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store, other_guild: int
) -> None:
    message = await _digest(adapter, discord_store, Layout.COMPACT)
    with pytest.raises(AssertionError, match="cannot see"):  # Discord shows it to no one else
        await discord_fake.click(other_guild, 3999, message, "pb:save", [SEEDED[0]])
    record = await discord_fake.click(GUILD, MEMBER, message, "pb:save", [SEEDED[0]])
    await _answer(record)
    [click] = discord_store.clicks(CH)
    assert click.channel == CH and click.user == str(MEMBER)
    assert discord_store.clicks(ChannelRef("discord", str(other_guild), "2100")) == []


async def test_a_control_paperboy_does_not_know_gets_one_polite_private_line(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store
) -> None:
    row = {"type": 1, "components": [{"type": 2, "style": 2, "label": "?", "custom_id": "pb:x:1"}]}
    status, sent, _ = await raw(
        discord_fake,
        "POST",
        f"/channels/{PAPERS}/messages",
        {"content": "old", "components": [row]},
    )
    assert status == 200
    record = await discord_fake.click(GUILD, MEMBER, int(sent["id"]), "pb:x:1")
    reply = await _answer(record)
    assert str(reply.content) == f"⚠️ {UNKNOWN_CONTROL}" and discord_store.clicks(CH) == []


async def test_a_paper_that_is_not_stored_is_refused_in_one_line(
    adapter: DiscordAdapter, discord_fake: DiscordFake
) -> None:
    stranger = make_paper("2411.09999", DAY, title="Never stored")
    alert = Alert(CH, stranger, ("x",))
    message = int(await adapter.publisher.publish(alert, tracker_for(CH, "alert", stranger.id)))
    record = await discord_fake.click(GUILD, MEMBER, message, "pb:save:2411.09999")
    reply = await _answer(record)
    assert str(reply.content).startswith("⚠️ ") and "\n" not in str(reply.content)
    assert "components" not in reply.payload or reply.payload["components"] == []


@asynccontextmanager
async def _restarted(fake: DiscordFake, db: Path, clock: Clock) -> AsyncIterator[Store]:
    """A new process: a new Store on the same file, a new core, a new adapter and client."""
    store = Store(db)
    handlers = Handlers(Paperboy(store, StaticFeed(), {}, clock=clock))
    config = DiscordConfig(
        token=discord_fixture.TOKEN,
        api_url=fake.api_base,
        gateway_url=fake.gateway_url,
        guild_ready_timeout=0.1,
    )
    adapter = DiscordAdapter(config, handlers.run, handlers.suggest)
    try:
        await adapter.start()
        await adapter.wait_until_ready(timeout=10)
        yield store
    finally:
        await adapter.stop()


async def test_a_typed_save_is_confirmed_with_an_undo_button_too(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store
) -> None:
    record = await discord_fake.send_interaction(
        GUILD, PAPERS, MEMBER, "papers", ["save"], {"id": SEEDED[0]}
    )
    confirmation = await _answer(record)
    [click] = discord_store.clicks(CH)
    assert _undo_id(confirmation) == f"pb:undo:{click.id}"
    undo = await discord_fake.click_ephemeral(
        record, confirmation.message_id, _undo_id(confirmation)
    )
    assert "Took back" in _text(await _answer(undo)) and discord_store.clicks(CH) == []


async def test_the_reading_list_a_click_fills_is_shown_by_reading_list_show(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store
) -> None:
    message = await _digest(adapter, discord_store, Layout.FULL)
    await _answer(await discord_fake.click(GUILD, MEMBER, message, "pb:save", [SEEDED[1]]))
    record = await discord_fake.send_interaction(
        GUILD, PAPERS, MANAGER, "papers", ["reading-list", "show"], {}
    )
    assert "Agents that plan" in _text(await _answer(record))
