"""Failures told where someone can act: a refused token pauses its workspace as a whole, a
paused channel is told once, and what falls due while paused is delivered on resume."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import pytest

from bot.commands.handlers import Handlers
from bot.delivery.deliverer import FAILING_FOR, MAX_FAILURES, Outcome
from bot.domain import (
    Alert,
    ChannelRef,
    ChannelSettings,
    Invocation,
    Notice,
    Paper,
    Post,
    PostKey,
    Schedule,
)
from bot.ports import DeliveryError
from bot.service import Paperboy
from storage.store import Store
from tests.helpers import Clock, ScriptedPublisher, StaticFeed, at, make_paper

CHANNELS = [ChannelRef("test", "T1", f"C{i}") for i in range(12)]
OTHER = ChannelRef("test", "T2", "C1")
DAY = date(2026, 11, 25)


def _core(store: Store, clock: Clock, publisher: ScriptedPublisher) -> Paperboy:
    papers = [make_paper(f"2411.{i:05d}", DAY, upvotes=i, title="Diffusion") for i in range(3)]
    return Paperboy(store, StaticFeed({DAY: papers}), {"test": publisher}, clock=clock)


def _subscribe(store: Store, refs: list[ChannelRef]) -> None:
    for ref in refs:
        store.save_channel(ChannelSettings(ref))
        store.add_subscription(ref, "diffusion", "U1", at("2026-11-20 10:00"))


class Revoked(ScriptedPublisher):
    """A platform that refuses one workspace's token."""

    def __init__(self) -> None:
        super().__init__()
        self.revoked = {"T1"}

    async def publish(self, post: Post, tracker: Any) -> str:
        if post.channel.workspace in self.revoked:
            raise DeliveryError("token_revoked", permanent=True, workspace_fault=True)
        return await super().publish(post, tracker)


async def test_a_revoked_token_pauses_its_workspace_once_not_each_channel(
    store: Store,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _subscribe(store, [*CHANNELS, OTHER])
    publisher = Revoked()
    core = _core(store, clock, publisher)
    report = await core.poll([DAY])
    assert store.paused_workspaces() == {("test", "T1"): "token_revoked"}
    assert not any(c.paused for c in store.channels())  # not one pause per channel
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "test workspace T1" in errors[0].getMessage()
    assert {a.item.channel for a in publisher.of_kind("alert")} == {OTHER}
    assert report.alerts[Outcome.SENT.value] == 3


async def test_posts_due_while_a_workspace_is_paused_are_delivered_on_resume(
    store: Store,
    clock: Clock,
) -> None:
    _subscribe(store, CHANNELS[:3])
    publisher = Revoked()
    core = _core(store, clock, publisher)
    await core.poll([DAY])
    status = await Handlers(core).handle("status", Invocation(CHANNELS[0], "U1"))
    assert "Paused: test workspace T1, as a whole (token_revoked)" in status.text
    publisher.revoked = set()  # reinstalled
    await Handlers(core).handle("digest show", Invocation(CHANNELS[0], "U1"))
    assert store.paused_workspaces() != {}  # only a managing command resumes
    await Handlers(core).handle("digest size 5", Invocation(CHANNELS[0], "U1"))
    assert store.paused_workspaces() == {}
    clock.advance(hours=1)
    outcomes = await core.recover()
    assert outcomes == {"sent": 9}  # 3 papers x 3 channels, each once
    assert len(publisher.of_kind("alert")) == 9


async def test_digests_held_while_paused_collapse_into_one_catch_up(
    store: Store,
    clock: Clock,
) -> None:
    ref = CHANNELS[0]
    publisher = ScriptedPublisher()
    core = _core(store, clock, publisher)
    for day in ("2026-11-20", "2026-11-23", "2026-11-24", "2026-11-25"):
        store.upsert_papers([make_paper(f"2411.{day[-2:]}001", day, upvotes=3)], clock())
    core.save_schedule(
        Schedule(ref, "digest", enabled=True, time="14:00", enabled_at=at("2026-11-01 00:00"))
    )
    clock.now = at("2026-11-20 14:00")
    assert await core.run_scheduled(ref) is Outcome.SENT  # Friday's, before the pause
    store.save_channel(ChannelSettings(ref, paused=True, paused_reason="Forbidden"))
    for moment in ("2026-11-23 14:00", "2026-11-24 14:00", "2026-11-25 14:00"):
        clock.now = at(moment)
        assert await core.run_scheduled(ref) is Outcome.PAUSED
    assert [e.key.ref for e in store.held_deliveries(ref)] == [
        "2026-11-23",
        "2026-11-24",
        "2026-11-25",
    ]
    clock.now = at("2026-11-25 16:00")
    assert core.resume(ref)
    assert await core.recover() == {"sent": 1}
    _friday, digest = publisher.of_kind("digest")
    assert digest.item.days == (date(2026, 11, 23), date(2026, 11, 24), DAY)  # type: ignore[union-attr]
    assert store.held_deliveries(ref) == []
    assert await core.recover() == {}


async def test_a_channel_paused_after_an_hour_of_failures_is_told_once(
    store: Store,
    clock: Clock,
) -> None:
    ref = CHANNELS[0]
    store.save_channel(ChannelSettings(ref))
    publisher = ScriptedPublisher()
    core = _core(store, clock, publisher)

    class Failing(ScriptedPublisher):
        async def publish(self, post: Post, tracker: Any) -> str:
            if not isinstance(post, Notice):
                raise DeliveryError("HTTP 503")
            return await super().publish(post, tracker)

    failing = Failing()
    core.publishers["test"] = failing
    paper = make_paper("2411.00001", DAY)
    for i in range(MAX_FAILURES + 2):
        await core.deliverer.deliver(*_alert(ref, paper, f"p{i}"))
        clock.advance(seconds=FAILING_FOR.total_seconds() / (MAX_FAILURES - 1))
    settings = store.channel(ref)
    assert settings is not None and settings.paused
    [notice] = failing.of_kind("notice")
    assert "paused" in notice.item.title  # type: ignore[union-attr]
    assert "`/papers resume`" in notice.item.text  # type: ignore[union-attr]


def _alert(ref: ChannelRef, paper: Paper, key: str) -> tuple[PostKey, Alert]:
    return PostKey(ref, "alert", key), Alert(ref, paper, ("x",))


async def test_the_resume_command_resumes_a_paused_channel_and_says_when_nothing_is(
    store: Store,
    clock: Clock,
) -> None:
    ref = CHANNELS[0]
    store.save_channel(ChannelSettings(ref, paused=True, paused_reason="HTTP 503"))
    handlers = Handlers(_core(store, clock, ScriptedPublisher()))
    first = await handlers.handle("resume", Invocation(ref, "U1"))
    again = await handlers.handle("resume", Invocation(ref, "U1"))
    denied = await handlers.handle("resume", Invocation(ref, "U2", can_manage=False))
    settings = store.channel(ref)
    assert first.ok and "resumed" in first.text and settings is not None and not settings.paused
    assert again.ok and again.text == "Nothing is paused here."
    assert not denied.ok
