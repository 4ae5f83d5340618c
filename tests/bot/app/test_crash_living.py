"""A living digest's edit across a crash, with real `paperboy` processes on the Slack fake: the
edit's chat.update is recorded and its answer held, the process is SIGKILLed while it waits,
and the next `paperboy run` sends the edit again (the same content: an idempotent re-send),
records it sent, and replies with the late climber once; nothing else is posted."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.slack.publisher import post_metadata
from bot.delivery.kinds import CLIMBER_KIND, EDIT_KIND
from bot.domain import PostKey, Schedule
from storage.store import Store
from tests.adapters.slack.test_slack_living import shown
from tests.data.make_days import make_day
from tests.fakes import slack_fixture
from tests.fakes.crash_harness import Runner, SlackView, paperboy_env
from tests.fakes.hf_server import HFServer
from tests.fakes.slack_api import SlackFake

slack_fake = slack_fixture.slack_fake

# Bounds on each process and on each wait for it (a hang fails the test, never hangs it).
PROCESS_TIMEOUT = 120.0
# The held chat.update answers after this unless released (the kill comes well before).
HOLD_SECONDS = 60.0


def served(day: date, *upvotes: int) -> list[dict[str, Any]]:
    """A day's HF entries, the first with the first count, the second with the second, …"""
    entries = make_day(day, len(upvotes))
    for entry, count in zip(entries, upvotes, strict=True):
        entry["paper"]["upvotes"] = count
    return entries


def ledger(db: Path, *keys: PostKey) -> list[tuple[str, int] | None]:
    """(state, parts sent) of each post in the ledger, None for a post it does not hold."""
    store = Store(db)
    try:
        rows = [store.delivery(k.channel, k.kind, k.ref) for k in keys]
        return [(r["state"], r["parts_sent"]) if r else None for r in rows]
    finally:
        store.close()


async def all_sent(db: Path, *keys: PostKey) -> None:
    """Return once the ledger shows every post sent (bounded by PROCESS_TIMEOUT)."""
    async with asyncio.timeout(PROCESS_TIMEOUT):
        while any(row is None or row[0] != "sent" for row in ledger(db, *keys)):
            await asyncio.sleep(0.2)


async def test_an_edit_killed_in_flight_is_sent_again_once_and_the_climber_once(
    tmp_path: Path, hf_server: HFServer, slack_fake: SlackFake
) -> None:
    view = SlackView(slack_fake, slack_fixture.TEAM, slack_fixture.BOT_TOKEN)
    [ref] = view.add_channels(1)
    db = tmp_path / "living.db"
    runner = Runner(tmp_path, paperboy_env(db, hf_server.url, **view.env()))
    now = datetime.now(UTC)
    day = now.date() - timedelta(days=2)
    papers = [entry["paper"]["id"] for entry in served(day, 0, 0, 0, 0, 0)]
    a, b, _, _, e = papers
    store = Store(db)
    later = (now + timedelta(hours=12)).strftime("%H:%M")  # no scheduled run during the test
    schedule = Schedule(ref, "digest", enabled=True, size=3, time=later, enabled_at=now)
    store.save_schedule(schedule, now)
    store.close()

    # The compact digest, posted by a paperboy process moments ago.
    hf_server.add_day(day, served(day, 100, 80, 60, 40, 10))
    for args in (("fetch", "--date", str(day)), ("digest", "--send", "--date", str(day))):
        done = await runner.run(*args, timeout=PROCESS_TIMEOUT)
        assert done.code == 0, done.tail()
    [digest] = [m for m in slack_fake.messages_in(ref.channel) if m.thread_ts is None]
    digest_key = PostKey(ref, "digest", str(day))
    parts = len(slack_fake.messages_in(ref.channel))
    assert ledger(db, digest_key) == [("sent", parts)]

    # Upvotes moved: A +30, E climbs to #2. `paperboy run` edits the digest; Slack applies the
    # edit and holds its answer, and the process is killed while it waits for it.
    hf_server.add_day(day, served(day, 130, 80, 60, 40, 99))
    slack_fake.script_fault("hang", method="chat.update", channel=ref.channel, hang=HOLD_SECONDS)
    killed = await runner.run_until(
        ("run",), lambda: slack_fake.wait_for_hang(PROCESS_TIMEOUT), timeout=PROCESS_TIMEOUT
    )
    slack_fake.release_hung()
    assert killed.killed, f"paperboy run ended before its kill:\n{killed.tail()}"
    edit_key = PostKey(ref, EDIT_KIND, f"digest:{day}#001")
    climber_key = PostKey(ref, CLIMBER_KIND, f"digest:{day}:{e}")
    assert ledger(db, edit_key, climber_key) == [("claimed", 0), None]  # its answer never came
    [held] = slack_fake.edits_of(ref.channel, digest.ts)
    assert shown(slack_fake.message(ref.channel, digest.ts).blocks) == [(a, 130), (e, 99), (b, 80)]

    # The next start finishes the edit and replies with the climber; then it is stopped.
    finished = await runner.run_until(
        ("run",),
        lambda: all_sent(db, edit_key, climber_key),
        timeout=PROCESS_TIMEOUT,
        stop=signal.SIGTERM,
    )
    assert finished.code == 0 and not finished.killed, finished.tail()
    assert all("Traceback" not in f.err for f in (killed, finished)), finished.tail(60)

    # The edit: sent again after the crash, with the very same content.
    edits = slack_fake.edits_of(ref.channel, digest.ts)
    assert len(edits) == 2 and edits[0] == held
    assert {(edit.text, str(edit.blocks), str(edit.metadata)) for edit in edits} == {
        (held.text, str(held.blocks), str(held.metadata))
    }
    final = slack_fake.message(ref.channel, digest.ts)
    assert shown(final.blocks) == [(a, 130), (e, 99), (b, 80)] and final.blocks == held.blocks
    assert final.metadata == post_metadata(digest_key, 1)  # still names the digest
    assert ledger(db, edit_key, climber_key) == [("sent", 1), ("sent", 1)]
    assert ledger(db, PostKey(ref, EDIT_KIND, f"digest:{day}#002")) == [None]

    # On the platform: the digest's parts and one climber in its thread, each exactly once.
    tokens = Counter(seen.token for seen in view.seen())
    expected = {digest_key.token(p) for p in range(1, parts + 1)} | {climber_key.token(1)}
    assert set(tokens) == expected and set(tokens.values()) == {1}, tokens
    [climber] = [seen for seen in view.seen() if seen.token == climber_key.token(1)]
    assert climber.thread == digest.ts
    assert "sending it again" in finished.err  # the edit was re-sent, not looked for
    assert [m.ts for m in slack_fake.messages_in(ref.channel) if m.thread_ts is None] == [digest.ts]
