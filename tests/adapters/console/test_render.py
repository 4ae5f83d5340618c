"""The console's posts: user and paper text printed literally, never as rich markup; the
compact digest (a ranked list with how to act on a paper) and the full one; edits, late
climbers, alerts in both layouts, and a click's confirmation with its undo."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from rich.console import Console, RenderableType

from adapters.console.adapter import CONSOLE_CHANNEL, ConsolePublisher
from adapters.console.render import (
    COMPACT_SUMMARY_CHARS,
    render_alert,
    render_digest,
    render_post,
    render_reply,
)
from bot.domain import (
    UNDO_EXTRA,
    Alert,
    Climber,
    Digest,
    DigestEdit,
    Layout,
    Paper,
    PostKey,
    Reply,
)
from bot.ports import ResolveUnsupported
from tests.helpers import make_paper, tracker_for

DAY = date(2026, 11, 24)
LONG = " ".join(f"word{i}" for i in range(60))


def _console() -> Console:
    return Console(file=io.StringIO(), width=200, color_system=None)


def _out(console: Console) -> str:
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


def _printed(renderable: RenderableType) -> str:
    console = _console()
    console.print(renderable)
    return _out(console)


async def test_alert_for_a_query_with_markup_characters_is_printed_literally() -> None:
    console = _console()
    paper = make_paper("2411.00001", "2026-11-25", title="Mamba [bold]speed[/bold]")
    alert = Alert(CONSOLE_CHANNEL, paper, ("mamba [/bold]", "[red]ssm"))
    tracker = tracker_for(CONSOLE_CHANNEL, "alert", paper.id)
    assert await ConsolePublisher(console).publish(alert, tracker) == "1"
    out = _out(console)
    assert "matched: mamba [/bold], [red]ssm" in out
    assert "Mamba [bold]speed[/bold]" in out


def test_reply_title_with_markup_characters_is_printed_literally() -> None:
    out = _printed(render_reply(Reply(text="1 result", title="Results for `[red]x[/red]`")))
    assert "Results for `[red]x[/red]`" in out


def test_reply_without_a_title_has_none() -> None:
    out = _printed(render_reply(Reply(text="plain")))
    assert "plain" in out and "None" not in out


def _papers() -> tuple[Paper, Paper]:
    keywords = ("diffusion", "video", "tokenizer", "fourth")
    first = make_paper(
        "2411.00001", DAY, 40, 3, title="Video diffusion", ai_summary=LONG, ai_keywords=keywords
    )
    return first, make_paper("2411.00002", DAY, 25, 1, title="Agents that plan")


def _lines(renderable: RenderableType) -> list[str]:
    console = Console(file=io.StringIO(), width=80, color_system=None)  # not a terminal
    console.print(renderable, soft_wrap=True)
    return _out(console).splitlines()


def test_a_compact_digest_is_a_ranked_list_with_how_to_act_on_a_paper() -> None:
    digest = Digest(CONSOLE_CHANNEL, (DAY,), _papers())
    lines = _lines(render_digest(digest))
    assert lines[1] == "1. Video diffusion  ▲ 40  2411.00001"
    assert lines[2].startswith("   word0") and len(lines[2]) <= 3 + COMPACT_SUMMARY_CHARS
    assert lines[3] == "   diffusion · video · tokenizer"  # three tags
    assert lines[4:6] == ["2. Agents that plan  ▲ 25  2411.00002", "   An abstract."]
    assert lines[6] == (
        "Act on a paper: /papers save <id>, /papers not-relevant <id>, /papers more-like <id>"
    )
    assert lines[7] == "Details"  # then each paper's details: the console has no thread


def test_a_compact_digest_prints_each_paper_s_details_after_the_list() -> None:
    first, second = _papers()
    long_abstract = " ".join(f"Sentence number {i} of the abstract." for i in range(30))
    first = replace(
        first, summary=long_abstract, organization="Lab", github_repo="ada/vd", github_stars=1234
    )
    lines = _lines(render_digest(Digest(CONSOLE_CHANNEL, (DAY,), (first, second))))
    details = lines[lines.index("Details") + 1 :]
    assert details[0] == "1. Video diffusion"
    assert details[1] == "   Ada Lovelace, Alan Turing · Lab"
    assert details[2].startswith("   Sentence number 0 of the abstract. Sentence number 1")
    assert len(details[2]) <= 3 + 400 and "word0" not in details[2]  # the excerpt, not the summary
    assert details[3] == (
        "   https://huggingface.co/papers/2411.00001 · https://arxiv.org/abs/2411.00001 · "
        "https://arxiv.org/pdf/2411.00001 · https://github.com/ada/vd ★1,234"
    )
    assert details[4:6] == ["2. Agents that plan", "   Ada Lovelace, Alan Turing"]
    assert details[6] == "   An abstract." and "arxiv.org/pdf/2411.00002" in details[7]
    assert details[8] == "── top 2 by upvotes"


def test_an_edit_prints_only_the_list_as_it_reads_now() -> None:
    of = PostKey(CONSOLE_CHANNEL, "digest", DAY.isoformat())
    edit = DigestEdit(CONSOLE_CHANNEL, Digest(CONSOLE_CHANNEL, (DAY,), _papers()), of, "1", 2)
    printed = "\n".join(_lines(render_post(edit)))
    assert "1. Video diffusion  ▲ 40" in printed and "Details" not in printed


def test_a_full_digest_shows_every_card_and_the_same_hint() -> None:
    digest = Digest(CONSOLE_CHANNEL, (DAY,), _papers(), layout=Layout.FULL)
    printed = "\n".join(_lines(render_digest(digest)))
    assert "1. Video diffusion  ▲ 40  💬 3" in printed and "Ada Lovelace, Alan Turing" in printed
    assert "https://arxiv.org/abs/2411.00002" in printed
    assert "Act on a paper: /papers save <id>" in printed


async def test_an_edit_prints_that_the_digest_was_updated_under_its_own_message() -> None:
    console = _console()
    publisher = ConsolePublisher(console)
    digest = Digest(CONSOLE_CHANNEL, (DAY,), _papers())
    assert await publisher.publish(digest, tracker_for(CONSOLE_CHANNEL)) == "1"
    of = PostKey(CONSOLE_CHANNEL, "digest", DAY.isoformat())
    moved = Digest(CONSOLE_CHANNEL, (DAY,), tuple(reversed(_papers())))
    tracker = tracker_for(CONSOLE_CHANNEL, "edit", f"digest:{DAY}#002")
    assert await publisher.publish(DigestEdit(CONSOLE_CHANNEL, moved, of, "1", 2), tracker) == "1"
    assert tracker.events == [("claim", 1), ("sent", 1)]
    edited = _out(console).split("The digest above was updated (version 2)")[1]
    assert edited.index("1. Agents that plan  ▲ 25") < edited.index("2. Video diffusion  ▲ 40")


async def test_a_climber_prints_its_reason_and_the_paper_with_its_commands() -> None:
    console = _console()
    paper = _papers()[1]
    climber = Climber(CONSOLE_CHANNEL, paper, "1", "now #2 in this digest", "Daily Papers", (DAY,))
    tracker = tracker_for(CONSOLE_CHANNEL, "climber", f"digest:{DAY}:{paper.id}")
    assert await ConsolePublisher(console).publish(climber, tracker) == "1"
    printed = _out(console)
    assert "Late climber · Tue 24 Nov 2026" in printed and "📈 now #2 in this digest" in printed
    assert "Agents that plan  ▲ 25" in printed
    assert "/papers save 2411.00002, /papers not-relevant 2411.00002" in printed


def test_an_alert_is_one_compact_entry_or_its_full_card() -> None:
    paper = _papers()[0]
    compact = _lines(render_alert(Alert(CONSOLE_CHANNEL, paper, ("video",))))
    assert compact[0] == "── New paper · matched: video"
    assert compact[1] == "Video diffusion  ▲ 40  2411.00001"
    assert compact[3] == "   diffusion · video · tokenizer"
    full = "\n".join(_lines(render_alert(Alert(CONSOLE_CHANNEL, paper, ("video",), Layout.FULL))))
    assert "Video diffusion  ▲ 40  💬 3" in full and "https://arxiv.org/pdf/2411.00001" in full
    assert "/papers more-like 2411.00001" in full


def test_a_click_s_confirmation_says_how_to_undo_it() -> None:
    out = _printed(render_reply(Reply(text="Saved it.", extra={UNDO_EXTRA: 17})))
    assert "undo with /papers undo 17" in out
    assert "undo" not in _printed(render_reply(Reply(text="Saved it.")))


async def test_the_console_cannot_tell_what_a_crash_cut_short() -> None:
    key = PostKey(CONSOLE_CHANNEL, "climber", "digest:2026-11-24:2411.00002")
    with pytest.raises(ResolveUnsupported):
        await ConsolePublisher(_console()).find(key, 1, datetime.now(UTC), "1")
