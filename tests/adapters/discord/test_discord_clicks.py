"""Clicks on paperboy's Discord controls, end to end: the real discord.py client against the
fake, the real command handlers and a real Store. Each select of a compact and a full digest
and each button of an alert runs its command for the clicker in the message's channel, and is
answered privately with an Undo button (within Discord's 3 s, however slow the desk); a double
click counts once; clicks keep working after a restart; a control of a shape paperboy does not
make gets one polite line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from adapters.discord.adapter import DiscordAdapter, DiscordConfig
from adapters.discord.interactions import UNKNOWN_CONTROL
from bot.commands.handlers import Handlers
from bot.commands.table import ParsedCommand
from bot.domain import Action, Alert, ChannelRef, Invocation, Layout, Reply
from bot.service import Paperboy
from storage.store import Store
from tests.adapters.discord.clicking import (
    DAY,
    SEEDED,
    post_seeded,
    private_answer,
    text_of,
    undo_of,
)
from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_fixture import GUILD, MANAGER, MEMBER, PAPERS, raw
from tests.helpers import Clock, StaticFeed, make_paper, tracker_for

CH = ChannelRef("discord", str(GUILD), str(PAPERS))
ACTIONS = [
    ("pb:save", Action.SAVE, "Saved “Video diffusion at scale”"),
    ("pb:not-relevant", Action.NOT_RELEVANT, "rank a little lower"),
    ("pb:more-like", Action.MORE_LIKE, "rank a little higher"),
]


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
    message = await post_seeded(adapter, discord_store, CH, layout)
    record = await discord_fake.click(GUILD, MEMBER, message, select, [SEEDED[0]])
    reply = await private_answer(record)
    [click] = discord_store.clicks(CH)
    assert said in text_of(reply)
    assert (click.user, click.paper_id, click.action) == (str(MEMBER), SEEDED[0], action)
    assert undo_of(reply) == f"pb:undo:{click.id}"


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
    reply = await private_answer(record)
    [click] = discord_store.clicks(CH)
    assert said in text_of(reply) and (click.user, click.action) == (str(MANAGER), action)


async def test_a_double_click_counts_once(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store
) -> None:
    message = await post_seeded(adapter, discord_store, CH, Layout.COMPACT)
    replies = []
    for _ in range(2):
        record = await discord_fake.click(GUILD, MEMBER, message, "pb:save", [SEEDED[1]])
        replies.append(await private_answer(record))
    [click] = discord_store.clicks(CH)
    assert [p.id for p, _ in discord_store.reading_list(CH)] == [SEEDED[1]]
    assert "Already saved" in text_of(replies[1])
    assert {undo_of(r) for r in replies} == {f"pb:undo:{click.id}"}


async def test_undo_on_the_private_confirmation_takes_the_click_back(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store
) -> None:
    message = await post_seeded(adapter, discord_store, CH, Layout.COMPACT)
    record = await discord_fake.click(GUILD, MEMBER, message, "pb:more-like", [SEEDED[0]])
    confirmation = await private_answer(record)
    undo = await discord_fake.click_ephemeral(
        record, confirmation.message_id, undo_of(confirmation)
    )
    reply = await private_answer(undo)
    assert "Took back" in text_of(reply) and discord_store.clicks(CH) == []
    assert reply.payload.get("components") in (None, [])  # nothing left to undo


async def test_a_click_after_a_restart_is_answered_by_the_new_process(
    adapter: DiscordAdapter,
    discord_fake: DiscordFake,
    discord_store: Store,
    tmp_path: Path,
    clock: Clock,
) -> None:
    message = await post_seeded(adapter, discord_store, CH, Layout.COMPACT)
    await adapter.stop()
    async with _restarted(discord_fake, tmp_path / "paperboy.db", clock) as store:
        record = await discord_fake.click(GUILD, MEMBER, message, "pb:save", [SEEDED[0]])
        reply = await private_answer(record)
        assert [c.paper_id for c in store.clicks(CH)] == [SEEDED[0]]
    assert "Saved" in text_of(reply)


def _control(kind: str, custom_id: str) -> dict[str, object]:
    if kind == "button":
        return {"type": 2, "style": 2, "label": "?", "custom_id": custom_id}
    return {"type": 3, "custom_id": custom_id, "options": [{"label": "1", "value": "17"}]}


# Ids of paperboy's prefix in shapes this version does not make (an older or a forged message):
# an unknown verb, a button without its argument, a select with one, a select of no action.
ODD_CONTROLS = [
    ("button", "pb:x:1"),
    ("button", "pb:undo"),
    ("button", "pb:save"),
    ("select", "pb:save:x"),
    ("select", "pb:undo"),
]


@pytest.mark.parametrize(("kind", "custom_id"), ODD_CONTROLS)
async def test_a_control_paperboy_does_not_know_gets_one_polite_private_line(
    adapter: DiscordAdapter,
    discord_fake: DiscordFake,
    discord_store: Store,
    kind: str,
    custom_id: str,
) -> None:
    row = {"type": 1, "components": [_control(kind, custom_id)]}
    status, sent, _ = await raw(
        discord_fake,
        "POST",
        f"/channels/{PAPERS}/messages",
        {"content": "old", "components": [row]},
    )
    assert status == 200
    values = ["17"] if kind == "select" else None
    record = await discord_fake.click(GUILD, MEMBER, int(sent["id"]), custom_id, values)
    reply = await private_answer(record)
    assert str(reply.content) == f"⚠️ {UNKNOWN_CONTROL}" and discord_store.clicks(CH) == []


@pytest.mark.parametrize("how", ["click", "command"])
async def test_a_slow_desk_is_answered_in_time_by_the_deferral_it_sends_first(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store, how: str
) -> None:
    desk = adapter.clicks.run if how == "click" else adapter.commands.run

    async def slow(parsed: ParsedCommand, invocation: Invocation) -> Reply:
        discord_fake.advance(10.0)  # the desk takes 10 s on the fake's clock: past Discord's 3
        return await desk(parsed, invocation)

    adapter.clicks.run = adapter.commands.run = slow
    if how == "click":
        message = await post_seeded(adapter, discord_store, CH)
        record = await discord_fake.click(GUILD, MEMBER, message, "pb:save", [SEEDED[0]])
    else:
        record = await discord_fake.send_interaction(
            GUILD, PAPERS, MEMBER, "papers", ["save"], {"id": SEEDED[0]}
        )
    reply = await private_answer(record)  # the deferral was accepted, within the 3 s
    assert discord_fake.hub.late_callbacks == [] and "Saved" in text_of(reply)
    assert [c.paper_id for c in discord_store.clicks(CH)] == [SEEDED[0]]


async def test_a_paper_that_is_not_stored_is_refused_in_one_line(
    adapter: DiscordAdapter, discord_fake: DiscordFake
) -> None:
    stranger = make_paper("2411.09999", DAY, title="Never stored")
    alert = Alert(CH, stranger, ("x",))
    message = int(await adapter.publisher.publish(alert, tracker_for(CH, "alert", stranger.id)))
    record = await discord_fake.click(GUILD, MEMBER, message, "pb:save:2411.09999")
    reply = await private_answer(record)
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
    confirmation = await private_answer(record)
    [click] = discord_store.clicks(CH)
    assert undo_of(confirmation) == f"pb:undo:{click.id}"
    undo = await discord_fake.click_ephemeral(
        record, confirmation.message_id, undo_of(confirmation)
    )
    assert "Took back" in text_of(await private_answer(undo)) and discord_store.clicks(CH) == []


async def test_the_reading_list_a_click_fills_is_shown_by_reading_list_show(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store
) -> None:
    message = await post_seeded(adapter, discord_store, CH, Layout.FULL)
    await private_answer(await discord_fake.click(GUILD, MEMBER, message, "pb:save", [SEEDED[1]]))
    record = await discord_fake.send_interaction(
        GUILD, PAPERS, MANAGER, "papers", ["reading-list", "show"], {}
    )
    assert "Agents that plan" in text_of(await private_answer(record))
