"""What the Slack and the Discord render tests share: how they count a text's length, the
digests and days they render, the hostile text and replies they draw, how their properties
run. (Each platform's own checks: slack/render_checks.py, discord/render_checks.py.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from bot.domain import UNDO_EXTRA, ChannelRef, Digest, Layout, Paper, Reply, SearchHit
from tests.adapters import FRIDAY, paper


def units(text: str) -> int:
    """UTF-16 code units: at least the code point count slack_sdk and Discord (and discord.py's
    `len(embed)`) check."""
    return len(text.encode("utf-16-le")) // 2


def days_to_friday(span: int) -> tuple[date, ...]:
    """The `span` days that end on FRIDAY, oldest first (a catch-up's when `span` > 1)."""
    return tuple(FRIDAY - timedelta(days=n) for n in range(span - 1, -1, -1))


def digest(
    channel: ChannelRef,
    *papers: Paper,
    days: tuple[date, ...] = (FRIDAY,),
    notice: str | None = None,
    layout: Layout = Layout.FULL,
) -> Digest:
    """A digest to `channel` in the FULL layout unless told (COMPACT, the default of a channel)."""
    return Digest(channel=channel, days=days, papers=papers, notice=notice, layout=layout)


def long_papers(n: int) -> list[Paper]:
    """`n` papers (2411.00000 on) of a 300-character title, a 5,004-character abstract and 40
    authors: the most text a card shows, so a digest of them takes several messages."""
    return [
        paper(
            f"2411.{i:05d}",
            title="Title " + "x" * 294,
            summary="abstract " * 556,
            authors=tuple(f"Author {n}" for n in range(40)),
        )
        for i in range(n)
    ]


def property_settings(max_examples: int) -> settings:
    """A render property's settings: no deadline, and drawn text may be slow and large."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def hostile_field(
    characters: st.SearchStrategy[str], nasty: st.SearchStrategy[str]
) -> st.SearchStrategy[str]:
    """Text of up to 30 pieces (a character or a `nasty` string), or such text repeated up to
    400 times."""
    text = st.lists(st.one_of(characters, nasty), max_size=30).map("".join)
    return st.one_of(text, st.builds(lambda s, n: s * n, text, st.integers(1, 400)))


def replies(
    papers: Callable[[int], st.SearchStrategy[list[Paper]]],
    field: st.SearchStrategy[str],
    most_hits: int,
) -> st.SearchStrategy[Reply]:
    """Replies with up to `most_hits` hits of `papers` (some with a snippet), their text, title
    (or none) and snippets drawn from `field`, ok or not, with an Undo (a click id) or not."""

    @st.composite
    def reply(draw: st.DrawFn) -> Reply:
        ps = draw(st.integers(0, most_hits).flatmap(papers))
        snippets = draw(st.lists(st.one_of(st.none(), field), max_size=most_hits))
        hits = tuple(SearchHit(p, s) for p, s in zip(ps, snippets + [None] * len(ps), strict=False))
        text, title, ok = draw(field), draw(st.one_of(st.none(), field)), draw(st.booleans())
        undo = draw(st.one_of(st.none(), st.integers(1, 10**12)))
        extra = {} if undo is None else {UNDO_EXTRA: undo}
        return Reply(text=text, hits=hits, title=title, ok=ok, extra=extra)

    return reply()
