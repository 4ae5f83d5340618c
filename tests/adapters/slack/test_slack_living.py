"""The living digest end to end on Slack: the real core on a Store file, the real FeedClient
against the local HF server (whose upvotes each test changes between polls) and the real
SlackPublisher (slack_sdk) against the strict fake, all on one virtual clock. What is checked is
what the fake recorded: its chat.update calls, the message's final blocks and metadata, and the
replies in the digest's thread."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any, cast

import pytest

from adapters.slack.publisher import SlackPublisher, post_metadata
from bot.delivery.deliverer import Outcome
from bot.delivery.kinds import EDIT_KIND
from bot.domain import ChannelRef, ChannelSettings, PostKey, Schedule
from bot.feed.client import FeedClient
from bot.service import Paperboy
from storage.store import Store
from tests.adapters.slack.conftest import VirtualTime, make_publisher
from tests.data.make_days import make_day
from tests.fakes import hf_fixture
from tests.fakes.hf_server import HFServer
from tests.fakes.slack_api import Call, Message, SlackFake
from tests.fakes.slack_records import ThreadClosed
from tests.helpers import at

hf_server = hf_fixture.hf_server

CH = ChannelRef("slack", "T1", "C1")
DAY = date(2026, 11, 25)  # a Wednesday
POSTED = at("2026-11-26 09:00")
DIGEST = PostKey(CH, "digest", DAY.isoformat())
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
# `*1. <https://huggingface.co/papers/2611.25000|Title>*  ▲ 120`: a compact list entry.
ENTRY = re.compile(r"^\*(\d+)\. <https://huggingface\.co/papers/([^|>]+)\|[^\n]*\*  ▲ ([\d,]+)")


def pid(letter: str) -> str:
    """The id make_day gives DAY's paper A (its first), B, …"""
    return f"{DAY:%y%m}.{DAY.day:02d}{'ABCDEFGH'.index(letter):03d}"


def served(*upvotes: int) -> list[dict[str, Any]]:
    """DAY's HF entries: paper A with the first count, B the second, …"""
    entries = make_day(DAY, len(upvotes))
    for entry, count in zip(entries, upvotes, strict=True):
        entry["paper"]["upvotes"] = count
    return entries


def shown(blocks: list[Any] | None) -> list[tuple[str, int]]:
    """The papers a compact list's blocks show, in rank order, with their ▲ counts."""
    found: list[tuple[str, int]] = []
    for block in blocks or []:
        match = ENTRY.match(block.get("text", {}).get("text", ""))
        if match is not None:
            assert int(match.group(1)) == len(found) + 1, "ranks in order"
            found.append((match.group(2), int(match.group(3).replace(",", ""))))
    return found


def token_kind(message: Message) -> str | None:
    """The post kind a message's metadata names (digest, climber…), None without one."""
    payload = (message.metadata or {}).get("event_payload") or {}
    return payload.get("kind") if isinstance(payload, dict) else None


def meta(call: Call) -> str:
    """A post request's metadata argument as sent (JSON)."""
    metadata = call.args.get("metadata")
    return metadata if isinstance(metadata, str) else json.dumps(metadata)


@pytest.fixture
def vt() -> VirtualTime:
    """The one clock: the fake's, the pacer's and (as a datetime) the core's; five minutes
    before the digest goes out."""
    return VirtualTime((POSTED - 5 * MINUTE).timestamp())


@dataclass
class World:
    """A Slack channel with a compact daily digest of 3 papers, and the feed behind it."""

    core: Paperboy
    store: Store
    hf: HFServer
    slack: SlackFake
    vt: VirtualTime

    async def post_digest(self, *upvotes: int) -> Message:
        """Fetch DAY with these counts, post its digest at POSTED; the channel message."""
        self.hf.add_day(DAY, served(*upvotes))
        await self.core.poll([DAY])
        self.vt.now = POSTED.timestamp()
        assert await self.core.send_scheduled(CH, "digest", day=DAY) is Outcome.SENT
        [first] = [m for m in self.slack.messages_in("C1") if m.thread_ts is None]
        return first

    async def poll_at(
        self, after: timedelta, *upvotes: int, days: list[date] | None = None
    ) -> None:
        """Move to POSTED + after, let HF serve DAY with these counts, and poll (as the
        scheduler does, unless `days` are given)."""
        when = (POSTED + after).timestamp()
        assert when >= self.vt.now, "time only moves on"
        self.vt.now = when
        self.hf.add_day(DAY, served(*upvotes))
        await self.core.poll(days)
        stored = {p.id: p.upvotes for p in self.store.papers_on([DAY], limit=50)}
        assert [stored[pid(x)] for x in "ABCDEFGH"[: len(upvotes)]] == list(upvotes)

    def updates(self) -> list[Call]:
        """Every chat.update request the fake received (whatever it answered)."""
        return self.slack.calls_to("chat.update")

    def climbers(self) -> list[Message]:
        """The late climber replies the fake holds."""
        return [m for m in self.slack.messages_in("C1") if token_kind(m) == "climber"]

    def top_level(self) -> list[Message]:
        """The channel's messages outside any thread."""
        return [m for m in self.slack.messages_in("C1") if m.thread_ts is None]

    def edit_refs(self) -> list[tuple[str, str]]:
        """The digest's edits in the ledger: (ref, state)."""
        return [(e.key.ref, e.state) for e in self.store.posts_under(CH, EDIT_KIND, "digest:")]


@pytest.fixture
async def world(
    store: Store, hf_server: HFServer, slack: SlackFake, vt: VirtualTime
) -> AsyncIterator[World]:
    """The core with the real publisher and feed client, on the one virtual clock."""

    def now() -> datetime:
        return datetime.fromtimestamp(vt.now, UTC)

    publisher: SlackPublisher = make_publisher(slack.api_url, vt)
    async with FeedClient(hf_server.url, sleep=vt.sleep, clock=now) as feed:
        core = Paperboy(store, feed, {"slack": publisher}, clock=now)
        core.save_schedule(Schedule(CH, "digest", enabled=True, size=3))  # compact by default
        yield World(core, store, hf_server, slack, vt)


async def test_the_digest_message_is_edited_by_the_edit_timing_with_one_climber_reply(
    world: World,
) -> None:
    digest = await world.post_digest(100, 80, 60, 40, 10)
    assert shown(digest.blocks) == [(pid("A"), 100), (pid("B"), 80), (pid("C"), 60)]
    posted_blocks = digest.blocks
    posts = len(world.slack.calls_to("chat.postMessage"))

    await world.poll_at(10 * MINUTE, 120, 80, 60, 40, 10)  # A +20: edit 1 (first hour: free)
    await world.poll_at(30 * MINUTE, 120, 95, 60, 40, 10)  # B +15: edit 2
    await world.poll_at(2 * HOUR, 120, 95, 75, 40, 10)  # C +15, 1 h 30 after edit 2: waits
    assert len(world.updates()) == 2
    await world.poll_at(5 * HOUR, 120, 95, 75, 40, 99)  # E climbs to #2: edit 3 and a climber
    await world.poll_at(30 * HOUR, 200, 95, 75, 40, 99)  # A +80: edit 4
    await world.poll_at(50 * HOUR, 200, 95, 75, 40, 99)  # nothing moved
    # Past 72 h: its day fetched again (as `paperboy fetch --date`) with A doubled, no edit.
    await world.poll_at(80 * HOUR, 400, 95, 75, 40, 99, days=[DAY])

    updates = world.updates()
    edits = world.slack.edits_of("C1", digest.ts)
    assert len(updates) == 4 and all(c.ok for c in updates)
    assert [e.version for e in edits] == [1, 2, 3, 4]
    versions = [posted_blocks] + [e.blocks for e in edits]
    assert all(a != b for a, b in pairwise(versions))  # each changed it
    assert [shown(e.blocks) for e in edits] == [
        [(pid("A"), 120), (pid("B"), 80), (pid("C"), 60)],
        [(pid("A"), 120), (pid("B"), 95), (pid("C"), 60)],
        [(pid("A"), 120), (pid("E"), 99), (pid("B"), 95)],
        [(pid("A"), 200), (pid("E"), 99), (pid("B"), 95)],
    ]
    final = world.slack.message("C1", digest.ts)
    assert shown(final.blocks) == [(pid("A"), 200), (pid("E"), 99), (pid("B"), 95)]
    assert final.blocks == edits[-1].blocks and final.version == 4
    assert final.blocks is not None and posted_blocks is not None
    assert final.blocks[0] == posted_blocks[0]  # the same header: the same digest
    assert final.metadata == post_metadata(DIGEST, 1)  # it still names the digest
    assert all(e.metadata == post_metadata(DIGEST, 1) for e in edits)

    [climber] = world.climbers()
    assert climber.thread_ts == digest.ts
    assert climber.metadata == post_metadata(PostKey(CH, "climber", f"digest:{DAY}:{pid('E')}"), 1)
    assert climber.blocks is not None
    assert climber.blocks[0]["text"]["text"] == "📈 *Late climber* · now #2 in this digest"
    assert world.top_level() == [final]  # no other post outside the thread
    assert len(world.slack.calls_to("chat.postMessage")) == posts + 1  # only the climber
    assert world.edit_refs() == [(f"digest:{DAY}#00{v}", "sent") for v in (1, 2, 3, 4)]


async def test_nothing_meaningful_moved_no_chat_update(world: World) -> None:
    digest = await world.post_digest(100, 80, 60, 40, 10)
    calls = len(world.slack.calls)
    # A +9 (< 10 % of 100), B +7 (< 8), C +4 (< 5); D moves, below the list.
    await world.poll_at(10 * MINUTE, 109, 87, 64, 55, 10)
    await world.poll_at(6 * HOUR, 109, 87, 64, 55, 10)
    assert world.updates() == [] and world.slack.edits == []
    assert world.slack.message("C1", digest.ts).version == 0 and world.climbers() == []
    assert len(world.slack.calls) == calls  # not one Slack request
    assert world.edit_refs() == []


@pytest.mark.parametrize("refusal", ["message_not_found", "edit_window_closed"])
async def test_a_digest_slack_will_not_let_us_edit_is_frozen_and_its_channel_keeps_going(
    world: World, refusal: str
) -> None:
    world.store.save_channel(ChannelSettings(CH))
    digest = await world.post_digest(100, 80, 60, 40, 10)
    if refusal == "message_not_found":  # someone deleted the digest in Slack
        world.slack.delete_message("C1", digest.ts)
    else:  # the team's edit window, as Slack applies it
        world.slack.script_fault(
            "error", method="chat.update", when="before", status=200, error=refusal
        )
    await world.poll_at(10 * MINUTE, 130, 80, 60, 40, 10)
    [update] = world.updates()
    assert not update.ok
    assert world.edit_refs() == [(f"digest:{DAY}#001", "abandoned")]
    [edit] = world.store.posts_under(CH, EDIT_KIND, "digest:")
    assert edit.error == refusal

    await world.poll_at(30 * MINUTE, 200, 150, 120, 40, 10)
    await world.poll_at(10 * HOUR, 300, 150, 120, 90, 10)
    assert len(world.updates()) == 1  # frozen: later polls make no request
    assert world.slack.edits == []
    assert world.edit_refs() == [(f"digest:{DAY}#001", "abandoned")]
    settings = world.store.channel(CH)
    assert settings is not None and not settings.paused and settings.failures == 0
    assert not world.store.paused_workspaces()
    # The channel still gets its posts: the next day's digest goes out.
    world.hf.add_day(DAY + timedelta(days=2), make_day(DAY + timedelta(days=2), 4))
    await world.core.poll([DAY + timedelta(days=2)])
    sent = await world.core.send_scheduled(CH, "digest", day=DAY + timedelta(days=2))
    assert sent is Outcome.SENT


async def climbers_after(world: World, cut: str = "deleted") -> Message:
    """The digest posted (`digest climbers 50`), then its thread cut: deleted in Slack, or
    closed to replies (`cut` is the error a reply gets); D passes 50 upvotes 10 minutes later
    and E 2 hours later, both staying below the list (so no edit is tried), with a recovery
    after every poll as the scheduler's tick does."""
    world.store.save_channel(ChannelSettings(CH))
    world.core.save_schedule(Schedule(CH, "digest", enabled=True, size=3, climbers=50))
    digest = await world.post_digest(100, 80, 60, 40, 10)
    if cut == "deleted":
        world.slack.delete_message("C1", digest.ts)  # someone deleted it
    else:
        world.slack.close_thread("C1", digest.ts, cast(ThreadClosed, cut))
    for after, d, e in ((10 * MINUTE, 55, 10), (2 * HOUR, 55, 52), (6 * HOUR, 58, 53)):
        await world.poll_at(after, 100, 80, 60, d, e)
        await world.core.recover()
    assert world.updates() == []  # the list never moved: only climbers were tried
    return digest


@pytest.mark.parametrize(
    ("cut", "error"),
    [
        ("deleted", "thread_not_found"),
        ("restricted_action_thread_locked", "restricted_action_thread_locked"),  # admin-locked
        ("cannot_reply_to_message", "cannot_reply_to_message"),
    ],
)
async def test_a_climber_its_thread_refuses_is_given_up_and_no_later_one_tries_it(
    world: World, cut: str, error: str
) -> None:
    digest = await climbers_after(world, cut)
    [climber] = world.store.posts_under(CH, "climber", "digest:")  # D's; none for E after it
    assert climber.key.ref.endswith(pid("D"))
    assert (climber.state, climber.error) == ("abandoned", error)
    tries = [c for c in world.slack.calls_to("chat.postMessage") if '"climber"' in meta(c)]
    assert [c.args["thread_ts"] for c in tries] == [digest.ts]  # D's one try, nothing for E
    settings = world.store.channel(CH)
    assert settings is not None and not settings.paused and settings.failures == 0
    assert world.top_level() == ([] if cut == "deleted" else [digest])  # no paused notice


async def test_a_climber_slack_posts_in_the_channel_instead_is_given_up_after_that_one_post(
    world: World,
) -> None:
    world.slack.reply_to_deleted = "top_level"  # as reported of Slack (slack.md §5)
    await climbers_after(world)
    [climber] = world.store.posts_under(CH, "climber", "digest:")
    [stray] = world.top_level()  # the one post Slack made of it: never sent again
    assert token_kind(stray) == "climber" and climber.key.ref.endswith(pid("D"))
    assert climber.state == "abandoned" and climber.error is not None
    assert climber.error.startswith("thread_not_found: ") and stray.ts in climber.error
    settings = world.store.channel(CH)
    assert settings is not None and not settings.paused and settings.failures == 0
