"""The click commands and the reading list, run by the handlers as a typed command or a button
would run them: one line each, an Undo on every confirmation, only your own clicks undone."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest

from adapters.actions import button_id, command_text, undo_id
from adapters.discord.render import render_reply as discord_reply
from adapters.slack.render import render_reply as slack_reply
from bot.commands.exports import cite_keys
from bot.commands.handlers import Handlers
from bot.commands.table import parse
from bot.domain import UNDO_EXTRA, Action, ChannelRef, Invocation, Reply
from storage.store import Store
from tests.adapters.discord.render_checks import assert_valid as assert_discord_valid
from tests.adapters.slack.render_checks import assert_valid as assert_slack_valid
from tests.bot.commands.test_exports import _read
from tests.helpers import Clock, at, make_paper

CH = ChannelRef("test", "W1", "C1")
DAY = date(2026, 11, 25)
VIDEO, AGENTS, SPEECH = "2411.00001", "2411.00002", "2411.00003"
GUEST = Invocation(CH, "U1", can_manage=False)
MANAGER = Invocation(CH, "U7")


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


async def save_in_turn(handlers: Handlers, clock: Clock, *papers: str) -> None:
    """Save the papers a minute apart, in this order."""
    for paper in papers:
        await run(handlers, f"save {paper}")
        clock.advance(minutes=1)


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
    await save_in_turn(handlers, clock, SPEECH, VIDEO, AGENTS)
    shown = await run(handlers, "reading-list")
    assert shown.title == "Reading list · 3 papers, newest last"
    lines = shown.text.splitlines()
    assert lines[0] == f"1. “Speech models” ({SPEECH}) · saved 25 Nov 2026"
    assert lines[2].startswith(f"3. “Agents that plan with tools” ({AGENTS})")
    assert lines[3] == (
        "A channel manager takes one off with `/papers reading-list remove <number or arXiv id>`."
    )
    removed = await run(handlers, "reading-list remove 2", MANAGER)
    assert removed.text == (
        f"Removed #2 “Video diffusion at scale” ({VIDEO}) from the reading list: 2 papers left."
    )
    assert [p.id for p, _ in seeded.reading_list(CH)] == [SPEECH, AGENTS]
    missing = await run(handlers, "reading-list remove 3", MANAGER)
    assert not missing.ok and missing.text.endswith("it has 2 papers.")


async def test_only_a_manager_removes_a_paper_and_its_arxiv_id_names_it_when_numbers_move(
    handlers: Handlers, seeded: Store, clock: Clock
) -> None:
    await save_in_turn(handlers, clock, SPEECH, VIDEO, AGENTS)
    refused = await run(handlers, "reading-list remove 1", GUEST)
    assert not refused.ok and "permission to manage this channel" in refused.text
    assert len(seeded.reading_list(CH)) == 3
    # Someone takes #1 off after the manager read the list: #2 is now Agents, not Video.
    assert (await run(handlers, "reading-list remove 1", MANAGER)).ok
    by_id = await run(handlers, f"reading-list remove arXiv:{VIDEO}v2", MANAGER)
    assert by_id.text == (
        f"Removed “Video diffusion at scale” ({VIDEO}) from the reading list: 1 paper left."
    )
    assert [p.id for p, _ in seeded.reading_list(CH)] == [AGENTS]
    for text, says in (
        (f"reading-list remove {VIDEO}", f"{VIDEO} is not on this channel's reading list."),
        ("reading-list remove 0", "No paper #0 on this channel's reading list: it has 1 paper."),
        ("reading-list remove banana", "`banana` is neither a number on the reading list nor"),
    ):
        reply = await run(handlers, text, MANAGER)
        assert not reply.ok and reply.text.startswith(says) and "\n" not in reply.text
    assert [p.id for p, _ in seeded.reading_list(CH)] == [AGENTS]


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
    assert lines[50] == (
        "The 50 newest of 60; `/papers reading-list export markdown` lists every one, a page "
        "at a time."
    )


async def test_the_commands_the_replies_name_run_as_written_on_every_platform(
    handlers: Handlers, seeded: Store
) -> None:
    texts = [(await run(handlers, "reading-list")).text]  # empty: how to fill it
    texts.append((await run(handlers, f"save {VIDEO}")).text)
    texts.append((await run(handlers, "reading-list")).text)
    named = [c for t in texts for c in re.findall(r"`(/papers [^`]+)`", t)]
    assert "/papers reading-list show" in named  # Discord's name for `reading-list`
    examples = {"<arxiv id>": AGENTS, "<number or arXiv id>": VIDEO}
    for command in named:
        for placeholder, value in examples.items():
            command = command.replace(placeholder, value)
        assert parse(command).spec.path[0] in {"save", "reading-list"}, command
        assert (await run(handlers, command, MANAGER)).ok, command


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


NEXT_PAGE = re.compile(r"`/papers (reading-list export \w+ \d+)` for the next\.$")


async def _pages(handlers: Handlers, shape: str) -> list[Reply]:
    """Every page of an export, each asked for as its previous page says."""
    replies: list[Reply] = []
    text: str | None = f"reading-list export {shape}"
    while text is not None:
        reply = await run(handlers, text)
        assert reply.ok, reply.text
        replies.append(reply)
        follow = NEXT_PAGE.search(reply.text.split("\n", 1)[0])
        text = follow.group(1) if follow else None
    return replies


async def test_a_long_export_comes_in_pages_each_one_message_on_slack_and_on_discord(
    handlers: Handlers, store: Store, clock: Clock
) -> None:
    papers = [
        replace(
            make_paper(f"2411.{i:05d}", DAY, i, title=f"Paper {i}: <b>&</b> 100% {{x}} _y_"),
            authors=tuple(f"Writer {i}.{j} O'Neil_{j}-Smith" for j in range(6)),
        )
        for i in range(200)
    ]
    papers[7] = replace(papers[7], authors=tuple(f"Crowd Member-{j}" for j in range(400)))
    store.upsert_papers(papers)
    for paper in papers:
        store.record_click(CH, "U1", paper.id, Action.SAVE, clock())
        clock.advance(seconds=1)
    for shape, noun in (("bibtex", "entries"), ("markdown", "papers")):
        replies = await _pages(handlers, shape)
        assert len(replies) == replies[0].extra["pages"] > 1
        last = replies[0].text.split("\n", 1)[0].split(f"{noun} 1-")[1].split(" ")[0]
        assert replies[0].text.startswith(
            f"Reading list as {'BibTeX' if shape == 'bibtex' else 'Markdown'}, page 1 of "
            f"{len(replies)} ({noun} 1-{last} of 200"
        )
        assert replies[-1].text.split("\n", 1)[0].endswith(" of 200):")
        for reply in replies:  # one message each: never past Slack's five answers a command
            [on_slack] = slack_reply(reply)
            [on_discord] = discord_reply(reply)
            assert_slack_valid([on_slack])
            assert_discord_valid([on_discord])
            assert reply.extra["content"] in on_discord.content
    entries = [
        e for reply in await _pages(handlers, "bibtex") for e in _read(reply.extra["content"])
    ]
    assert [key for key, *_ in entries] == cite_keys(papers)  # all 200, in order, once each
    crowded = next(authors for key, _, _, authors in entries if key == "arxiv2411_00007")
    assert crowded[-1] == "others" and crowded[0] == "Crowd Member-0"
    noted = [r for r in await _pages(handlers, "bibtex") if "1 shortened to fit" in r.text]
    assert len(noted) == 1 and "arxiv2411_00007" in noted[0].extra["content"]
    beyond = await run(handlers, f"reading-list export bibtex {len(replies) + 50}")
    assert not beyond.ok and "\n" not in beyond.text
    assert "there is no page" in beyond.text and "(200 entries)" in beyond.text


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
    assert off.ok and "Layout: full (every paper's card): posts are not updated" in off.text
    assert store.schedule(CH, "digest").climbers is None  # type: ignore[union-attr]
    refused = await run(handlers, "digest layout compact", GUEST)
    assert not refused.ok and "permission to manage" in refused.text
