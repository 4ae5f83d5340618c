"""The Discord adapter end to end: the real discord.py client against the local fake."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from adapters.discord.adapter import DiscordAdapter
from bot.commands.table import COMMANDS
from bot.delivery.deliverer import Outcome
from bot.domain import Alert, ChannelRef, ChannelSettings, Layout, Schedule
from bot.service import Paperboy
from storage.store import Store
from tests.adapters.discord.discord_markdown import links, mentions
from tests.fakes.discord_api import DiscordFake, Message, RequestRecord
from tests.fakes.discord_fixture import (
    FORUM_CHANNEL,
    GUILD,
    MANAGER,
    MEMBER,
    PAPERS,
    RANDOM,
    ForbiddenAfterFirstPost,
)
from tests.helpers import Clock, alert_on, make_paper, tracker_for

CH = ChannelRef("discord", str(GUILD), str(PAPERS))


async def _run(
    fake: DiscordFake,
    path: list[str],
    options: dict[str, object] | None = None,
    user: int = MANAGER,
) -> tuple[bool, str]:
    record = await fake.send_interaction(GUILD, PAPERS, user, "papers", path, options or {})
    callback = await record.callback()
    [followup, *rest] = await record.wait_followups(1)
    text = " ".join(str(f.content) + str(f.embeds) for f in [followup, *rest])
    return callback.ephemeral, text


async def test_commands_are_synced_from_the_command_table(
    adapter: DiscordAdapter, discord_fake: DiscordFake
) -> None:
    [papers] = [c for c in discord_fake.commands if c.data["name"] == "papers"]
    names: set[str] = set()
    for option in papers.data["options"]:
        if option["type"] == 2:
            names.update(f"{option['name']} {sub['name']}" for sub in option["options"])
        else:
            names.add(option["name"])
    grouped = {spec.path[0] for spec in COMMANDS if len(spec.path) > 1}
    assert names == {
        f"{spec.name} show" if spec.path[0] in grouped and len(spec.path) == 1 else spec.name
        for spec in COMMANDS
    }  # a group's own command (`reading-list`) is its `show` subcommand
    assert papers.data.get("dm_permission") is False


@pytest.mark.parametrize(
    "path, options, expected, ephemeral",
    [
        (["help"], {}, "/papers search", True),
        (["today"], {"count": 1}, "Video diffusion at scale", False),
        (["search"], {"query": "diffusion"}, "Video diffusion at scale", True),
        (["paper"], {"id": "2411.00002"}, "Agents that plan", False),
        (["subscribe"], {"query": "mamba"}, "Alert #1 added", True),
        (["subscriptions"], {}, "no alerts", True),
        (
            ["digest", "on"],
            {"time": "08:30", "timezone": "Europe/Paris"},
            "08:30 Europe/Paris",
            True,
        ),
        (["digest", "off"], {}, "Daily digest off", True),
        (["digest", "show"], {}, "Daily digest off", True),
        (["digest", "size"], {"count": 5}, "top 5 papers", True),
        (["digest", "min-upvotes"], {"count": 3}, "at least 3 upvotes", True),
        (["digest", "weekends"], {"policy": "notice"}, "get a notice", True),
        (["alerts", "test"], {"query": "agents"}, "would have alerted on 1 paper", True),
        (["status"], {}, "Papers stored: 2", True),
    ],
)
async def test_every_subcommand_answers(
    adapter: DiscordAdapter,
    discord_fake: DiscordFake,
    path: list[str],
    options: dict[str, object],
    expected: str,
    ephemeral: bool,
) -> None:
    was_ephemeral, text = await _run(discord_fake, path, options)
    assert expected in text
    assert was_ephemeral is ephemeral


async def test_unsubscribe_autocompletes_then_removes(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store
) -> None:
    await _run(discord_fake, ["subscribe"], {"query": "state space models"})
    record = await discord_fake.send_autocomplete(
        GUILD,
        PAPERS,
        MANAGER,
        "papers",
        ["unsubscribe"],
        {"subscription": "state"},
        focused="subscription",
    )
    [choice] = await record.choices()
    _, text = await _run(discord_fake, ["unsubscribe"], {"subscription": choice["value"]})
    assert "Alert #1 removed" in text
    assert discord_store.subscriptions() == []


async def test_time_zone_autocomplete(adapter: DiscordAdapter, discord_fake: DiscordFake) -> None:
    record = await discord_fake.send_autocomplete(
        GUILD,
        PAPERS,
        MANAGER,
        "papers",
        ["digest", "on"],
        {"timezone": "tokyo"},
        focused="timezone",
    )
    assert [c["value"] for c in await record.choices()] == ["Asia/Tokyo"]


async def test_member_without_manage_channels_is_refused(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store
) -> None:
    _, text = await _run(discord_fake, ["subscribe"], {"query": "mamba"}, user=MEMBER)
    _, search = await _run(discord_fake, ["search"], {"query": "agents"}, user=MEMBER)
    assert "permission to manage this channel" in text
    assert discord_store.subscriptions() == []
    assert "Agents that plan" in search


async def test_bad_option_values_get_a_clear_answer(
    adapter: DiscordAdapter, discord_fake: DiscordFake
) -> None:
    _, bad_time = await _run(discord_fake, ["digest", "on"], {"time": "25:99"})
    _, bad_query = await _run(discord_fake, ["search"], {"query": '"unbalanced'})
    assert "is not a time" in bad_time
    assert "unbalanced quote" in bad_query


async def test_a_reply_echoing_links_and_mentions_pings_no_one_and_links_nothing(
    adapter: DiscordAdapter, discord_fake: DiscordFake
) -> None:
    spoof = "[a](x) [b](https://evil.example) @everyone <@3001>"
    record = await discord_fake.send_interaction(
        GUILD, PAPERS, MANAGER, "papers", ["search"], {"query": spoof}
    )
    followups = await record.wait_followups(1)
    assert all(f.payload["allowed_mentions"] == {"parse": []} for f in followups)
    for f in followups:
        texts = [str(f.content)] + [str(e.get("description", "")) for e in f.embeds]
        assert not any(links(t) or mentions(t) for t in texts), texts


@pytest.mark.parametrize("layout", list(Layout))
async def test_digest_of_25_long_papers_is_split_into_valid_messages(
    adapter: DiscordAdapter,
    discord_fake: DiscordFake,
    discord_store: Store,
    discord_core: Paperboy,
    layout: Layout,
) -> None:
    discord_store.upsert_papers(
        [
            make_paper(
                f"2411.1{i:04d}",
                "2026-11-26",
                upvotes=100 - i,
                title=f"Long paper {i} " * 20,
                summary="An abstract that goes on and on. " * 160,
            )
            for i in range(25)
        ]
    )
    discord_core.save_schedule(Schedule(CH, "digest", enabled=True, size=25, layout=layout))
    outcome = await discord_core.send_scheduled(CH, day=date(2026, 11, 26))
    messages = discord_fake.messages_in(PAPERS)
    ids = [f"2411.1{i:04d}" for i in range(25)]
    assert outcome is Outcome.SENT
    # compact: the channel shows the ranked list, the details are in the thread started from it
    cards = discord_fake.messages_in(messages[0].id) if layout is Layout.COMPACT else messages
    assert len(messages) == 1 if layout is Layout.COMPACT else len(messages) > 1
    assert len(cards) > 1
    embeds = [e for m in cards for e in m.embeds]
    assert [e["url"].rsplit("/", 1)[1] for e in embeds] == ids
    if layout is Layout.COMPACT:  # the whole ranked list and its selects in the first message
        [ranked] = messages[0].embeds
        assert [o["value"] for o in _options(messages[0])] == ids
        assert all(f"/papers/{paper})** ▲" in ranked["description"] for paper in ids)
    row = discord_store.delivery(CH, "digest", "2026-11-26")
    assert row is not None and row["message_id"] == str(messages[0].id)


def _options(message: Message) -> list[dict[str, str]]:
    [row, *_] = message.payload["components"]
    return list(row["components"][0]["options"])


async def test_forum_channel_gets_the_digest_as_a_new_post(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_core: Paperboy
) -> None:
    forum = ChannelRef("discord", str(GUILD), str(FORUM_CHANNEL))
    discord_core.save_schedule(Schedule(forum, "digest", enabled=True))
    assert await discord_core.send_scheduled(forum, day=date(2026, 11, 25)) is Outcome.SENT
    [post] = [m for m in discord_fake.messages if m.source == "forum_post"]
    assert post.parent_id == FORUM_CHANNEL
    assert "Daily Papers" in str(post.thread_name)


async def test_alert_is_posted_with_the_matched_queries(
    adapter: DiscordAdapter, discord_fake: DiscordFake
) -> None:
    paper = make_paper("2411.00009", "2026-11-25", title="Mamba goes video")
    message_id = await adapter.publisher.publish(
        Alert(CH, paper, ("mamba", "video")), tracker_for(CH, "alert", paper.id)
    )
    [message] = discord_fake.messages_in(PAPERS)
    assert str(message.id) == message_id
    assert "matched: mamba, video" in message.content


async def test_scripted_429_is_waited_out_and_delivered_once(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store, discord_core: Paperboy
) -> None:
    # discord.py sleeps the body's retry_after for real: keep it tiny.
    discord_fake.script_rate_limit(f"/channels/{PAPERS}/messages", times=2, retry_after=0.001)
    discord_store.save_channel(ChannelSettings(CH))
    discord_store.add_subscription(CH, "paper", "3000", discord_core.clock())
    papers = [
        make_paper(f"2411.2{i:04d}", "2026-11-25", title=f"Paper number {i}") for i in range(3)
    ]
    assert await alert_on(discord_core, papers) == {"sent": 3}
    assert discord_fake.rate_limited == 2
    assert len(discord_fake.messages_in(PAPERS)) == 3


async def test_forbidden_channel_is_paused_and_the_fan_out_goes_on(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store, discord_core: Paperboy
) -> None:
    other = ChannelRef("discord", str(GUILD), str(RANDOM))
    for ref in (CH, other):
        discord_store.save_channel(ChannelSettings(ref))
        discord_store.add_subscription(ref, "diffusion", "3000", discord_core.clock())
    discord_fake.forbid(RANDOM)
    outcomes = await alert_on(
        discord_core, [make_paper("2411.00010", "2026-11-25", title="Diffusion")]
    )
    settings = discord_store.channel(other)
    assert outcomes == {"sent": 1, "failed": 1}
    assert settings is not None and settings.paused and "Forbidden" in str(settings.paused_reason)
    _, status = await _run(discord_fake, ["status"])
    assert f"discord:{GUILD}:{RANDOM}" in status


async def test_the_fake_saw_no_route_it_does_not_serve(
    adapter: DiscordAdapter, discord_fake: DiscordFake
) -> None:
    await _run(discord_fake, ["status"])
    assert discord_fake.unimplemented == []


def _long_digest(store: Store, core: Paperboy, ref: ChannelRef) -> date:
    store.upsert_papers(
        [
            make_paper(
                f"2411.1{i:04d}",
                "2026-11-26",
                upvotes=100 - i,
                title=f"Long paper {i} " * 20,
                summary="An abstract that goes on and on. " * 160,
            )
            for i in range(25)
        ]
    )
    core.save_schedule(Schedule(ref, "digest", enabled=True, size=25))
    return date(2026, 11, 26)


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def _resume(
    fake: DiscordFake, store: Store, core: Paperboy, clock: Clock, ref: ChannelRef, blocked: int
) -> None:
    """The channel is allowed again and resumed; the ledger's retry comes due."""
    fake.world.messages = list(fake.world.messages)
    fake.allow(blocked)
    store.save_channel(ChannelSettings(ref))
    clock.advance(minutes=2)
    assert await core.recover() == {"sent": 1}


async def test_a_digest_cut_short_after_its_first_message_is_completed_not_reposted(
    adapter: DiscordAdapter,
    discord_fake: DiscordFake,
    discord_store: Store,
    discord_core: Paperboy,
    clock: Clock,
) -> None:
    day = _long_digest(discord_store, discord_core, CH)
    discord_fake.world.messages = ForbiddenAfterFirstPost(discord_fake)
    assert await discord_core.send_scheduled(CH, day=day) is Outcome.FAILED
    [first] = discord_fake.messages_in(PAPERS)
    row = discord_store.delivery(CH, "digest", day.isoformat())
    assert row is not None and (row["state"], row["parts_sent"]) == ("failed", 1)
    assert row["message_id"] == row["thread_id"] == str(first.id)  # its thread will have its id
    await _resume(discord_fake, discord_store, discord_core, clock, CH, PAPERS)
    assert [m.id for m in discord_fake.messages_in(PAPERS)] == [first.id]  # the ranked list
    details = discord_fake.messages_in(first.id)  # in the thread started on resume
    embeds = [e for m in details for e in m.embeds]
    assert [e["url"].rsplit("/", 1)[1] for e in embeds] == [f"2411.1{i:04d}" for i in range(25)]
    assert await discord_core.send_scheduled(CH, day=day) is Outcome.ALREADY


async def test_a_forum_post_cut_short_is_completed_in_its_thread(
    adapter: DiscordAdapter,
    discord_fake: DiscordFake,
    discord_store: Store,
    discord_core: Paperboy,
    clock: Clock,
) -> None:
    forum = ChannelRef("discord", str(GUILD), str(FORUM_CHANNEL))
    day = _long_digest(discord_store, discord_core, forum)
    discord_fake.world.messages = ForbiddenAfterFirstPost(discord_fake)
    assert await discord_core.send_scheduled(forum, day=day) is Outcome.FAILED
    await _resume(discord_fake, discord_store, discord_core, clock, forum, FORUM_CHANNEL)
    posts = [m for m in discord_fake.messages if m.source == "forum_post"]
    assert len(posts) == 1 and posts[0].parent_id == FORUM_CHANNEL
    rest = [m for m in discord_fake.messages if m.source != "forum_post"]
    assert rest and all(m.channel_id == posts[0].channel_id for m in rest)


def _command_syncs(fake: DiscordFake) -> list[RequestRecord]:
    return [r for r in fake.requests if r.method == "PUT" and r.path.endswith("/commands")]


async def test_posting_without_start_does_not_sync_commands(
    unstarted_adapter: DiscordAdapter, discord_fake: DiscordFake
) -> None:
    paper = make_paper("2411.00009", "2026-11-25", title="Mamba goes video")
    message_id = await unstarted_adapter.publisher.publish(
        Alert(CH, paper, ("mamba",)), tracker_for(CH, "alert", paper.id)
    )
    assert [str(m.id) for m in discord_fake.messages_in(PAPERS)] == [message_id]
    assert _command_syncs(discord_fake) == []
    assert discord_fake.commands == []


async def test_start_after_a_login_still_syncs_commands_once(
    unstarted_adapter: DiscordAdapter, discord_fake: DiscordFake
) -> None:
    await unstarted_adapter.publisher.login()
    assert _command_syncs(discord_fake) == []
    await unstarted_adapter.start()
    await unstarted_adapter.wait_until_ready(timeout=10)
    assert len(_command_syncs(discord_fake)) == 1
    assert [c.data["name"] for c in discord_fake.commands] == ["papers"]


async def test_stop_closes_the_session_of_a_login(unstarted_adapter: DiscordAdapter) -> None:
    await unstarted_adapter.publisher.login()
    assert not unstarted_adapter.client.is_closed()
    await unstarted_adapter.stop()
    assert unstarted_adapter.client.is_closed()


async def test_error_of_a_public_command_is_shown_only_to_its_user(
    adapter: DiscordAdapter, discord_fake: DiscordFake
) -> None:
    record = await discord_fake.send_interaction(
        GUILD, PAPERS, MEMBER, "papers", ["paper"], {"id": "banana"}
    )
    callback = await record.callback()
    notice, error = await record.wait_followups(2)
    public = " ".join(m.content + str(m.embeds) for m in discord_fake.messages)
    assert not callback.ephemeral  # `paper` is public: the defer showed "thinking" to all
    assert notice.fills_deferred and not notice.ephemeral and "banana" not in str(notice.content)
    assert error.ephemeral and "`banana` is not an arXiv id" in str(error.content) + str(
        error.embeds
    )
    assert "banana" not in public


async def test_long_subscription_autocompletes_within_discord_limits_and_unsubscribes(
    adapter: DiscordAdapter, discord_fake: DiscordFake, discord_store: Store
) -> None:
    query = ("selective state space " * 20)[:300]
    assert len(query) == 300
    _, added = await _run(discord_fake, ["subscribe"], {"query": query})
    record = await discord_fake.send_autocomplete(
        GUILD,
        PAPERS,
        MANAGER,
        "papers",
        ["unsubscribe"],
        {"subscription": "selective"},
        focused="subscription",
    )
    [choice] = await record.choices()
    assert len(choice["name"]) <= 100 and len(choice["value"]) <= 100
    _, removed = await _run(discord_fake, ["unsubscribe"], {"subscription": choice["value"]})
    assert "Alert #1 added" in added and "Alert #1 removed" in removed
    assert discord_store.subscriptions() == []
