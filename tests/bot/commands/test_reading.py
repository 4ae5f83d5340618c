"""The click commands and the reading list, run by the handlers as a typed command or a button
would run them: one line each, an Undo on every confirmation, only your own clicks undone."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from adapters.actions import button_id, command_text, undo_id
from bot.commands.handlers import Handlers
from bot.domain import UNDO_EXTRA, Action, ChannelRef, Invocation, Reply
from storage.store import Store
from tests.helpers import Clock, at, make_paper

CH = ChannelRef("test", "W1", "C1")
DAY = date(2026, 11, 25)
VIDEO, AGENTS, SPEECH = "2411.00001", "2411.00002", "2411.00003"
GUEST = Invocation(CH, "U1", can_manage=False)


@pytest.fixture
def seeded(store: Store) -> Store:
    store.upsert_papers(
        [
            make_paper(VIDEO, DAY, 40, title="Video diffusion at scale"),
            make_paper(AGENTS, DAY, 38, title="Agents that plan with tools"),
            make_paper(SPEECH, DAY, 39, title="Speech models"),
            make_paper(
                "2411.00004", DAY - timedelta(days=3), 9, title="Video diffusion transformers"
            ),
        ],
        at("2026-11-25 10:00"),
    )
    return store


async def run(handlers: Handlers, text: str, inv: Invocation = GUEST) -> Reply:
    return await handlers.handle(text, inv)


async def test_anyone_saves_privately_and_a_repeat_names_the_same_click(
    handlers: Handlers, seeded: Store
) -> None:
    first = await run(handlers, f"save {VIDEO}")
    assert first.ok and first.ephemeral
    assert first.text.startswith(
        f"Saved “Video diffusion at scale” ({VIDEO}) to this channel's reading list: 1 paper."
    )
    again = await run(handlers, f"save https://arxiv.org/abs/{VIDEO}v2")
    assert again.ok and again.text.startswith("Already saved “Video diffusion at scale”")
    assert again.extra == first.extra == {UNDO_EXTRA: seeded.clicks(CH)[0].id}
    assert "\n" not in first.text + again.text


@pytest.mark.parametrize(
    ("command", "says"),
    [
        (
            "not-relevant",
            "Noted: papers like “Agents that plan with tools” (2411.00002) rank a "
            "little lower here in future digests (at most 15 %).",
        ),
        (
            "more-like",
            "Noted: papers like “Agents that plan with tools” (2411.00002) rank a "
            "little higher here in future digests (at most 15 %).",
        ),
    ],
)
async def test_a_ranking_click_says_what_it_does_in_one_line(
    handlers: Handlers, seeded: Store, command: str, says: str
) -> None:
    reply = await run(handlers, f"{command} {AGENTS}")
    assert reply.ok and reply.ephemeral and reply.text == says
    assert isinstance(reply.extra[UNDO_EXTRA], int)
    assert (await run(handlers, f"{command} {AGENTS}")).text.startswith("Already noted")


async def test_not_relevant_replaces_the_user_s_more_like(
    handlers: Handlers, seeded: Store
) -> None:
    await run(handlers, f"more-like {AGENTS}")
    await run(handlers, f"not-relevant {AGENTS}")
    assert [c.action for c in seeded.clicks(CH)] == [Action.NOT_RELEVANT]


async def test_a_paper_not_stored_or_no_id_gets_one_line(handlers: Handlers, seeded: Store) -> None:
    for text in ("save 2411.99999", "more-like not-an-id", "not-relevant 2411.99999"):
        reply = await run(handlers, text)
        assert not reply.ok and "\n" not in reply.text and UNDO_EXTRA not in reply.extra
    assert seeded.clicks(CH) == []


async def test_a_button_runs_the_same_command_as_typing_it(
    handlers: Handlers, seeded: Store
) -> None:
    text = command_text(button_id(Action.SAVE, VIDEO))
    assert text is not None
    saved = await run(handlers, text)
    assert saved.ok and saved.text.startswith("Saved “Video diffusion at scale”")
    undo = command_text(undo_id(saved.extra[UNDO_EXTRA]))
    assert undo is not None
    took = await run(handlers, undo)
    assert took.ok and took.text.startswith("Took back your save of “Video diffusion at scale”")
    assert seeded.reading_list(CH) == []


async def test_undo_takes_back_only_the_user_s_own_clicks(
    handlers: Handlers, seeded: Store, clock: Clock
) -> None:
    mine = await run(handlers, f"not-relevant {AGENTS}")
    clock.advance(minutes=1)
    theirs = await run(handlers, f"save {VIDEO}", Invocation(CH, "T2:U9", can_manage=False))
    other = await run(handlers, f"undo {theirs.extra[UNDO_EXTRA]}")
    assert not other.ok and "no click #" in other.text and "someone else's" in other.text
    latest = await run(handlers, "undo")  # the user's latest here: their not-relevant
    assert latest.ok and latest.text == (
        "Took back your Not relevant on “Agents that plan with tools” (2411.00002): it no "
        "longer changes this channel's ranking."
    )
    gone = await run(handlers, f"undo {mine.extra[UNDO_EXTRA]}")
    assert not gone.ok and "taken back already" in gone.text
    none = await run(handlers, "undo")
    assert not none.ok and none.text.startswith("You have no save")
    assert [c.user for c in seeded.clicks(CH)] == ["T2:U9"]


async def test_undoing_a_save_someone_else_made_too_keeps_the_paper_listed(
    handlers: Handlers, seeded: Store
) -> None:
    await run(handlers, f"save {VIDEO}")
    await run(handlers, f"save {VIDEO}", Invocation(CH, "U2", can_manage=False))
    reply = await run(handlers, "undo")
    assert reply.text.endswith("it stays on the reading list, saved by someone else too (1 paper).")
    assert [p.id for p, _ in seeded.reading_list(CH)] == [VIDEO]


async def test_the_reading_list_is_numbered_newest_last_and_removes_by_that_number(
    handlers: Handlers, seeded: Store, clock: Clock
) -> None:
    for paper in (SPEECH, VIDEO, AGENTS):
        await run(handlers, f"save {paper}")
        clock.advance(minutes=1)
    shown = await run(handlers, "reading-list")
    assert shown.title == "Reading list · 3 papers, newest last"
    lines = shown.text.splitlines()
    assert lines[0] == f"1. “Speech models” ({SPEECH}) · saved 25 Nov 2026"
    assert lines[2].startswith(f"3. “Agents that plan with tools” ({AGENTS})")
    removed = await run(handlers, "reading-list remove 2")
    assert removed.text == (
        f"Removed #2 “Video diffusion at scale” ({VIDEO}) from the reading list: 2 papers left."
    )
    assert [p.id for p, _ in seeded.reading_list(CH)] == [SPEECH, AGENTS]
    missing = await run(handlers, "reading-list remove 3")
    assert not missing.ok and missing.text.endswith("it has 2 papers.")


async def test_a_long_reading_list_shows_its_newest_with_their_own_numbers(
    handlers: Handlers, store: Store, clock: Clock
) -> None:
    papers = [make_paper(f"2411.{i:05d}", DAY, i, title=f"Paper number {i}") for i in range(60)]
    store.upsert_papers(papers)
    for paper in papers:
        store.record_click(CH, "U1", paper.id, Action.SAVE, clock())
        clock.advance(seconds=1)
    lines = (await run(handlers, "reading-list")).text.splitlines()
    assert lines[0].startswith("11. “Paper number 10”")
    assert lines[49].startswith("60. “Paper number 59”")
    assert lines[50].startswith("The 50 newest of 60;")


async def test_an_empty_reading_list_says_how_to_fill_it(handlers: Handlers) -> None:
    shown = await run(handlers, "reading-list")
    assert shown.ok and "reading list is empty" in shown.text
    exported = await run(handlers, "reading-list export markdown")
    assert exported.ok and "nothing to export" in exported.text


async def test_the_export_is_one_code_block_and_its_content(
    handlers: Handlers, seeded: Store
) -> None:
    await run(handlers, f"save {VIDEO}")
    await run(handlers, f"save {AGENTS}")
    reply = await run(handlers, "reading-list export markdown")
    head, block = reply.text.split("\n", 1)
    assert head == "Reading list as Markdown (2 papers):"
    assert block.startswith("```\n") and block.endswith("\n```") and block.count("```") == 2
    assert reply.extra["filename"] == "reading-list.md"
    assert reply.extra["content"] == block[4:-4]
    assert f"- [Video diffusion at scale](https://huggingface.co/papers/{VIDEO})" in block
    bib = await run(handlers, "reading-list export BIBTEX")
    assert bib.text.startswith("Reading list as BibTeX (2 entries):\n```\n@misc{arxiv2411_00001,")


async def test_digest_show_says_what_the_channel_s_clicks_change(
    handlers: Handlers, seeded: Store
) -> None:
    before = await run(handlers, "digest show")
    assert "No clicks here in the last 60 days" in before.text
    await run(handlers, "more-like 2411.00004")
    await run(handlers, f"save {VIDEO}")
    await run(handlers, f"not-relevant {SPEECH}", Invocation(CH, "U2"))
    text = (await run(handlers, "digest show")).text
    assert "Layout: compact" in text
    assert "Clicks here in the last 60 days: 1 more like this, 1 save, 1 not relevant." in text
    assert "papers about “video”" in text or "papers about “diffusion”" in text
    assert "“speech”" in text.split("rank up to 15 % higher")[1]
    # The newest day: Video (40) stays first; Agents (38) passes the lowered Speech (39).
    assert text.endswith("On Wed 25 Nov they move 2 of the top 3 papers.")
    weekly = await run(handlers, "weekly show")
    assert "Clicks here in the last 60 days" in weekly.text


async def test_digest_layout_and_climbers_are_stored_on_the_daily_schedule(
    handlers: Handlers, store: Store
) -> None:
    manager = Invocation(CH, "U1")
    assert (await run(handlers, "digest layout full", manager)).ok
    assert (await run(handlers, "digest climbers 75", manager)).ok
    schedule = store.schedule(CH, "digest")
    assert schedule is not None and (schedule.layout.value, schedule.climbers) == ("full", 75)
    off = await run(handlers, "digest climbers OFF", manager)
    assert off.ok and "climbs into its top 10." in off.text
    assert store.schedule(CH, "digest").climbers is None  # type: ignore[union-attr]
    refused = await run(handlers, "digest layout compact", GUEST)
    assert not refused.ok and "permission to manage" in refused.text
