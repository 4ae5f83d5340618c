"""Every command typed into the console adapter, good and bad, answered in the terminal."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pytest
from rich.console import Console

from adapters.console.adapter import CONSOLE_CHANNEL, ConsolePublisher, read_commands
from adapters.console.render import clip
from bot.commands.handlers import Handlers
from bot.domain import Alert, ChannelSettings, Digest
from bot.service import Paperboy
from storage.store import Store
from tests.helpers import at, make_paper, tracker_for

DAY = "2026-11-25"


@pytest.fixture
def console() -> Console:
    return Console(file=io.StringIO(), width=200, color_system=None)


@pytest.fixture
def seeded(store: Store) -> Store:
    store.upsert_papers(
        [
            make_paper(
                "2411.00001",
                DAY,
                40,
                3,
                title="Video diffusion at scale",
                summary="We scale video generation.",
                github_repo="https://github.com/a/b",
                github_stars=12,
                organization="Acme AI",
            ),
            make_paper(
                "2411.00002",
                DAY,
                25,
                1,
                title="Agents that plan",
                summary="A survey of planning agents.",
            ),
            make_paper(
                "2411.00003",
                "2026-11-24",
                9,
                0,
                title="Mamba for speech",
                summary="State space models for audio.",
            ),
        ],
        at("2026-11-25 10:00"),
    )
    return store


async def _type(handlers: Handlers, console: Console, *lines: str) -> str:
    publisher = ConsolePublisher(console)
    await read_commands(handlers.handle, publisher, io.StringIO("\n".join(lines) + "\n"))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    return " ".join(out.split())  # unwrap panel borders and line breaks for matching


def _plain(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


async def test_help_lists_every_command(handlers: Handlers, console: Console) -> None:
    out = _plain(await _type(handlers, console, "/papers help"))
    for name in (
        "today",
        "search",
        "paper",
        "subscribe",
        "unsubscribe",
        "subscriptions",
        "digest on",
        "digest min-upvotes",
        "alerts test",
        "status",
    ):
        assert f"/papers {name}" in out


async def test_help_for_one_command_shows_examples(handlers: Handlers, console: Console) -> None:
    out = _plain(await _type(handlers, console, "/papers help search"))
    assert "e.g. `/papers search author:Hinton`" in out


async def test_today_shows_the_newest_day_ranked(
    handlers: Handlers, console: Console, seeded: Store
) -> None:
    out = _plain(await _type(handlers, console, "/papers today 2"))
    assert "Top 2 of Daily Papers for Wednesday 25 November 2026" in out
    assert out.index("Video diffusion at scale") < out.index("Agents that plan")
    assert "Mamba for speech" not in out
    assert "https://github.com/a/b ★12" in out


async def test_today_on_an_empty_archive_says_what_to_do(
    handlers: Handlers, console: Console
) -> None:
    assert "paperboy fetch" in _plain(await _type(handlers, console, "today"))


async def test_search_finds_and_bad_search_explains(
    handlers: Handlers, console: Console, seeded: Store
) -> None:
    out = _plain(await _type(handlers, console, "search diffusion", 'search "video'))
    assert "Top 1 results for `diffusion`" in out
    assert "Video diffusion at scale" in out
    assert "unbalanced quote" in out
    assert "Traceback" not in out


async def test_search_without_results_says_how_many_were_searched(
    handlers: Handlers, console: Console, seeded: Store
) -> None:
    assert "(3 papers searched)" in _plain(await _type(handlers, console, "search quantum"))


async def test_paper_by_id_url_or_version(
    handlers: Handlers, console: Console, seeded: Store
) -> None:
    out = _plain(
        await _type(
            handlers,
            console,
            "paper 2411.00003v2",
            "paper https://arxiv.org/abs/2411.00002",
            "paper 2411.99999",
            "paper banana",
        )
    )
    assert "Mamba for speech" in out and "Agents that plan" in out
    assert "paperboy has not stored 2411.99999" in out
    assert "`banana` is not an arXiv id" in out


async def test_subscribe_list_unsubscribe_round_trip(
    handlers: Handlers, console: Console, seeded: Store
) -> None:
    out = _plain(
        await _type(
            handlers,
            console,
            'subscribe diffusion OR "state space"',
            'subscribe  diffusion OR  "state space"',
            "subscriptions",
            "unsubscribe #1",
            "unsubscribe 1",
            "subscriptions",
        )
    )
    assert 'Alert #1 added: `diffusion OR "state space"`' in out
    assert "(2 in the last 7 stored days would have)" in out
    assert "already has that alert (#1)" in out
    assert "1 alert in this channel" in out
    assert "Alert #1 removed" in out
    assert "No alert `1` in this channel" in out
    assert "This channel has no alerts" in out
    assert seeded.subscriptions() == []


async def test_subscribe_refuses_bad_and_oversize_queries(
    handlers: Handlers, console: Console, seeded: Store
) -> None:
    out = _plain(
        await _type(handlers, console, "subscribe (mamba", "subscribe " + "x" * 301, "subscribe")
    )
    assert "parenthesis" in out
    assert "query is 301 characters; the limit is 300" in out
    assert "needs <query>" in out
    assert seeded.subscriptions() == []


async def test_subscription_limit_is_enforced(
    handlers: Handlers, console: Console, seeded: Store
) -> None:
    lines = [f"subscribe topic{i}" for i in range(51)]
    out = _plain(await _type(handlers, console, *lines))
    assert "has 50 alerts, the most it can have" in out
    assert len(seeded.subscriptions(CONSOLE_CHANNEL)) == 50


async def test_digest_settings_commands(
    handlers: Handlers, console: Console, store: Store, core: Paperboy
) -> None:
    out = _plain(
        await _type(
            handlers,
            console,
            "digest on 07:30 Europe/Paris",
            "digest size 5",
            "digest min-upvotes 3",
            "digest weekends notice",
            "digest show",
            "digest off",
            "digest size 0",
            "digest weekends maybe",
            "digest on 7pm",
        )
    )
    schedule = store.schedule(CONSOLE_CHANNEL, "digest")
    assert schedule is not None
    assert (
        schedule.enabled,
        schedule.time,
        schedule.timezone,
        schedule.size,
        schedule.min_upvotes,
        schedule.weekends.value,
    ) == (False, "07:30", "Europe/Paris", 5, 3, "notice")
    assert "Daily digest on: top 10 papers at 07:30 Europe/Paris" in out
    assert "Next: Thu 26 Nov 07:30 CET" in out
    assert "Daily digest off" in out
    assert "count must be between 1 and 25, not 0" in out
    assert "policy must be one of skip, notice" in out
    assert "'7pm' is not a time" in out


async def test_alerts_test_is_a_dry_run(
    handlers: Handlers, console: Console, seeded: Store
) -> None:
    out = _plain(
        await _type(
            handlers,
            console,
            "alerts test diffusion OR mamba",
            "alerts test quantum",
            "alerts test -",
        )
    )
    assert "would have alerted on 2 papers in the last 7 stored days" in out
    assert "would not have matched any paper" in out
    assert seeded.subscriptions() == []


async def test_status_reports_archive_and_paused_channels(
    handlers: Handlers, console: Console, seeded: Store, core: Paperboy
) -> None:
    from bot.domain import ChannelRef

    gone = ChannelRef("slack", "T1", "C9")
    seeded.save_channel(ChannelSettings(gone, paused=True, paused_reason="channel_not_found"))
    seeded.record_poll(date(2026, 11, 25), 2, at("2026-11-25 14:30"))
    out = _plain(await _type(handlers, console, "status"))
    assert "Last successful poll: 2026-11-25 14:30 UTC" in out
    assert "Papers stored: 3" in out
    assert "Paused channels (1): slack:T1:C9: channel_not_found" in out


async def test_unknown_and_oversize_commands_get_clear_answers(
    handlers: Handlers, console: Console
) -> None:
    out = _plain(await _type(handlers, console, "/papers frobnicate", "x" * 5000, "digest"))
    assert "Unknown command `frobnicate`" in out
    assert "limit is 2,000" in out
    assert "`digest` needs one of" in out


async def test_a_manage_command_in_a_paused_channel_resumes_it(
    handlers: Handlers, console: Console, store: Store
) -> None:
    store.save_channel(ChannelSettings(CONSOLE_CHANNEL, paused=True, paused_reason="x", failures=5))
    await _type(handlers, console, "digest on")
    settings = store.channel(CONSOLE_CHANNEL)
    assert settings is not None and not settings.paused and settings.failures == 0


async def test_manage_commands_need_permission(handlers: Handlers, store: Store) -> None:
    from bot.domain import Invocation

    reply = await handlers.handle(
        "subscribe mamba", Invocation(CONSOLE_CHANNEL, "U2", can_manage=False)
    )
    assert not reply.ok and "permission to manage this channel" in reply.text
    assert store.subscriptions() == []
    allowed = await handlers.handle(
        "search mamba", Invocation(CONSOLE_CHANNEL, "U2", can_manage=False)
    )
    assert allowed.ok


async def test_digest_and_alert_posts_render(console: Console) -> None:
    publisher = ConsolePublisher(console)
    paper = make_paper(
        "2411.00001", DAY, 40, 3, title="Video [bold]diffusion[/bold]", summary="word " * 200
    )
    digest = Digest(CONSOLE_CHANNEL, (date(2026, 11, 25),), (paper,))
    assert await publisher.publish(digest, tracker_for(CONSOLE_CHANNEL)) == "1"
    catch_up = replace(digest, days=(date(2026, 11, 23), date(2026, 11, 25)))
    await publisher.publish(catch_up, tracker_for(CONSOLE_CHANNEL, ref="2026-11-25b"))
    alert = Alert(CONSOLE_CHANNEL, paper, ("video", "diffusion"))
    tracker = tracker_for(CONSOLE_CHANNEL, "alert", paper.id)
    assert await publisher.publish(alert, tracker) == "3"
    assert tracker.events == [("claim", 1), ("sent", 1)]
    out = _plain(console.file.getvalue())  # type: ignore[attr-defined]
    assert "Daily Papers · Wed 25 Nov 2026" in out
    assert "23 Nov – 25 Nov 2026 (catch-up)" in out
    assert "Video [bold]diffusion[/bold]" in out  # user text is never treated as markup
    assert "matched: video, diffusion" in out
    assert "▲ 40 💬 3" in out


def test_clip_cuts_at_a_word_boundary() -> None:
    assert clip("alpha beta gamma", 12) == "alpha beta…"
    assert clip("short", 12) == "short"


async def test_status_in_chat_lists_only_the_same_workspaces_paused_channels(
    handlers: Handlers, store: Store
) -> None:
    from bot.domain import ChannelRef, Invocation

    mine, theirs = ChannelRef("slack", "T1", "C9"), ChannelRef("slack", "T2", "SECRET")
    for ref in (mine, theirs):
        store.save_channel(ChannelSettings(ref, paused=True, paused_reason="not_in_channel"))
    in_chat = await handlers.handle("status", Invocation(ChannelRef("slack", "T1", "C1"), "U"))
    operator = await handlers.handle("status", Invocation(CONSOLE_CHANNEL, "me", operator=True))
    assert "slack:T1:C9" in in_chat.text and "SECRET" not in in_chat.text
    assert "slack:T1:C9" in operator.text and "slack:T2:SECRET" in operator.text


async def test_echoed_input_cannot_break_out_of_code(handlers: Handlers) -> None:
    from bot.domain import Invocation

    reply = await handlers.handle(
        "paper `x`[free_nitro](https://e.vil)", Invocation(CONSOLE_CHANNEL, "U")
    )
    assert not reply.ok
    assert reply.text.startswith("`'x'[free_nitro](https://e.vil)` is not an arXiv id")
    assert reply.text.count("`") == 2
