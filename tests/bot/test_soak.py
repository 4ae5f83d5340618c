"""The soak: channels across time zones over weeks with weekends, DST changes, a two-day feed
outage with paperboy down for part of it, and crashes: one post per channel per due slot,
catch-up after the outage, no alert twice, nothing left open.

PAPERBOY_SOAK_CHANNELS (default 100; the issue's full size is 1000) and PAPERBOY_SOAK_DAYS
(default 30, at least 14) scale it. Expectations come from the README's calendar rules applied
to what the feed handed out (tests/soak_world.py), never from paperboy's own answers.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import Counter
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import pytest

from bot.delivery.alerts import ALERT_KIND
from bot.delivery.digests import DIGEST_KIND
from bot.delivery.weekly import WEEKLY_KIND
from bot.domain import ChannelRef, Digest, PostKey, WeekendPolicy
from tests.soak_world import (
    FAIL_EVERY,
    LOST_EVERY,
    QUERIES,
    SoakResult,
    Track,
    catch_up_days,
    days_of_week,
    noon_day,
    rollup_week,
    run_soak,
)

CHANNELS = int(os.environ.get("PAPERBOY_SOAK_CHANNELS", "100"))
DAYS = int(os.environ.get("PAPERBOY_SOAK_DAYS", "30"))
SHOWN = 5  # examples per failure message


@pytest.fixture(scope="module")
def soak(tmp_path_factory: pytest.TempPathFactory) -> SoakResult:
    """One run of the whole soak, shared by the checks below."""
    path = tmp_path_factory.mktemp("soak") / "paperboy.db"
    # Thousands of injected failures log a line each: keep them out of the reports.
    quiet = logging.getLogger("bot")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        return asyncio.run(run_soak(path, CHANNELS, DAYS))
    finally:
        quiet.setLevel(level)


def _posts(soak: SoakResult, kind: str) -> dict[ChannelRef, list[tuple[PostKey, Any]]]:
    """Each channel's posts of one kind, in the order they went out."""
    by_channel: dict[ChannelRef, list[tuple[PostKey, Any]]] = {}
    for key, item in soak.posts:
        if key.kind == kind:
            by_channel.setdefault(key.channel, []).append((key, item))
    return by_channel


def _covered(refs: list[date]) -> list[set[date]]:
    """The days each digest of a channel covers, by the README: its day plus the days missed
    since the previous one (up to a week); a channel's first digest covers only its day."""
    spans, last = [], None
    for ref in refs:
        spans.append(set(catch_up_days(ref, last)))
        last = ref
    return spans


def _weekdays(first: date, last: date) -> list[date]:
    """Monday to Friday days from `first` to `last`."""
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [d for d in days if d.weekday() < 5]


def _report(problems: list[str], what: str) -> str:
    """A failure message: how many, and the first few."""
    return f"{len(problems)} {what}:\n  " + "\n  ".join(problems[:SHOWN])


def _catch_ups_after_outage(soak: SoakResult) -> int:
    """Digests after the outage that list papers of more than one day."""
    since = soak.line.outage[0].date()
    return sum(
        1
        for posts in _posts(soak, DIGEST_KIND).values()
        for key, digest in posts
        if date.fromisoformat(key.ref) > since and len({p.day for p in digest.papers}) > 1
    )


def test_the_soak_ran_its_scenario(soak: SoakResult) -> None:
    kinds = Counter(k.kind for k, _ in soak.posts)
    summary = {
        "channels": soak.channels,
        "days": soak.days,
        "posts": dict(kinds),
        "digest slots": sum(len(t.slots) for _, t in soak.tracks(DIGEST_KIND)),
        "weekly slots": sum(len(t.slots) for _, t in soak.tracks(WEEKLY_KIND)),
        "feed fetches": soak.feed.fetches,
        "failed fetches": soak.feed.failed_fetches,
        "injected failures": dict(soak.publisher.injected),
        "deaths": soak.deaths,
        "catch-ups after the outage": _catch_ups_after_outage(soak),
        "events": dict(soak.events),
    }
    print(f"\nsoak: {summary}")
    assert len(soak.deaths) == 2, soak.deaths  # the short crash and the long one
    assert soak.feed.failed_fetches > 0
    calls = soak.publisher.calls
    # Every FAIL_EVERY-th call is refused, except one that lands on a crash.
    assert 0 < soak.publisher.injected["refused"] <= calls // FAIL_EVERY
    assert soak.publisher.injected["lost"] > 0 or calls < LOST_EVERY
    assert kinds[DIGEST_KIND] and kinds[WEEKLY_KIND] and kinds[ALERT_KIND]
    assert _catch_ups_after_outage(soak) > 0


def test_each_digest_slot_posts_once_and_no_day_twice(soak: SoakResult) -> None:
    posted = _posts(soak, DIGEST_KIND)
    problems = []
    for plan, track in soak.tracks(DIGEST_KIND):
        posts = posted.get(plan.ref, [])
        refs = [date.fromisoformat(k.ref) for k, _ in posts]
        if any(b <= a for a, b in pairwise(refs)):
            problems.append(f"{plan.ref.key}: days out of order or twice: {list(map(str, refs))}")
            continue
        slot_days = {noon_day(s) for s in track.slots}
        if stray := [r for r in refs if r not in slot_days]:
            problems.append(f"{plan.ref.key}: posted days no slot was due: {list(map(str, stray))}")
        first = noon_day(track.fires[0])
        spans = _covered(refs)
        for (key, digest), span in zip(posts, spans, strict=True):
            days = set(digest.days) | {p.day for p in digest.papers}
            if not days <= span or min(days) < first or digest.days[-1].isoformat() != key.ref:
                problems.append(
                    f"{plan.ref.key}: {key.ref} lists days {sorted(days)} outside "
                    f"{sorted(span)} (on since {first})"
                )
        if track.schedule.min_upvotes == 0:  # else a day may wait for its papers to qualify
            for day in _weekdays(first, noon_day(track.fires[-1])):
                if (n := sum(day in span for span in spans)) != 1:
                    problems.append(f"{plan.ref.key}: weekday {day} covered by {n} digests")
    assert not problems, _report(problems, "digest schedule problems")


def test_digests_list_the_top_papers_of_the_days_they_cover(soak: SoakResult) -> None:
    _check_against_model(soak, DIGEST_KIND)


def test_weekends_are_skipped_or_noticed_as_each_channel_asked(soak: SoakResult) -> None:
    posted = _posts(soak, DIGEST_KIND)
    problems = []
    for plan, track in soak.tracks(DIGEST_KIND):
        digests: list[tuple[PostKey, Digest]] = posted.get(plan.ref, [])
        notices = {date.fromisoformat(k.ref) for k, d in digests if not d.papers}
        if track.schedule.weekends is WeekendPolicy.SKIP:
            if notices:
                problems.append(f"{plan.ref.key} (skip): notices for {sorted(map(str, notices))}")
            continue
        weekends = {noon_day(s) for s in track.slots if noon_day(s).weekday() >= 5}
        if extra := sorted(d.isoformat() for d in notices - weekends):
            problems.append(f"{plan.ref.key} (notice): 'no papers' notices for {extra}")
        if missing := sorted(d.isoformat() for d in weekends - notices):
            problems.append(f"{plan.ref.key} (notice): no notice for the weekend days {missing}")
        for key, digest in digests:
            if not digest.papers and "No new Daily Papers" not in (digest.notice or ""):
                problems.append(f"{plan.ref.key}: empty digest {key.ref} without a notice")
    assert not problems, _report(problems, "weekend policy problems")


def test_each_weekly_roll_up_once_per_week_due_with_that_weeks_papers(
    soak: SoakResult,
) -> None:
    posted = _posts(soak, WEEKLY_KIND)
    problems = []
    for plan, track in soak.tracks(WEEKLY_KIND):
        posts = posted.get(plan.ref, [])
        weeks = [k.ref for k, _ in posts]
        due = {rollup_week(s) for s in track.slots}
        if sorted(weeks) != sorted(due):
            problems.append(f"{plan.ref.key}: rolled up {weeks}, due {sorted(due)}")
        for key, rollup in posts:
            week = days_of_week(key.ref)
            if (
                rollup.period != f"week {key.ref}"
                or list(rollup.days) != week
                or any(p.day not in week for p in rollup.papers)
            ):
                problems.append(
                    f"{plan.ref.key}: {key.ref} covers {rollup.days}, papers of "
                    f"{sorted({p.day for p in rollup.papers})}"
                )
    assert not problems, _report(problems, "weekly roll-up problems")
    _check_against_model(soak, WEEKLY_KIND)


def _check_against_model(soak: SoakResult, kind: str) -> None:
    """Each channel's posts, in order, are the ones the reference model expects: the same
    refs, and the top papers (by upvotes, as fetched at the time) of the days they cover."""
    posted = _posts(soak, kind)
    problems = []
    for plan, track in soak.tracks(kind):
        got = [
            (k.ref, tuple(p.id for p in d.papers), not d.papers)
            for k, d in posted.get(plan.ref, [])
        ]
        want = [(e.ref, e.papers, e.notice) for e in track.expected]
        if got != want:
            problems.append(f"{plan.ref.key} ({_describe(track)}): got {_diff(got, want)}")
    assert not problems, _report(problems, f"channels whose {kind} posts differ from the model")


def _describe(track: Track) -> str:
    s = track.schedule
    return f"{s.time} {s.timezone}, size {s.size}, min {s.min_upvotes}, {s.weekends.value}"


def _diff(got: list[Any], want: list[Any]) -> str:
    for i, (g, w) in enumerate(zip(got, want, strict=False)):
        if g != w:
            return f"{g} where the model has {w} (post {i + 1})"
    return f"{len(got)} posts, the model {len(want)}: {got[len(want) :] or want[len(got) :]}"


def _expected_alerts(soak: SoakResult) -> dict[tuple[ChannelRef, str], set[str]]:
    """(channel, paper) -> the queries it should alert on: papers first fetched after the
    subscription was made, and papers the feed published after it that were never fetched."""
    truth = {fp.paper.id: fp for fp in soak.feed.papers}
    missing = {fp.paper.id for fp in soak.missing_papers}
    expected: dict[tuple[ChannelRef, str], set[str]] = {}
    for ref, subs in soak.subs.items():
        for paper_id, fp in truth.items():
            step = soak.feed.first_seen.get(paper_id)
            if paper_id in missing:
                before = [s for s in subs if s.at < fp.appears]
            elif step is not None and step >= 0:  # step -1: the backfill, which never alerts
                before = [s for s in subs if s.step < step]
            else:
                continue
            if matched := {s.query for s in before if QUERIES[s.query](fp.features)}:
                expected[(ref, paper_id)] = matched
    return expected


def test_no_alert_twice_and_none_unasked_for(soak: SoakResult) -> None:
    alerts = [(k, a) for k, a in soak.posts if k.kind == ALERT_KIND]
    twice = [key for key, n in Counter((k.channel, k.ref) for k, _ in alerts).items() if n > 1]
    assert not twice, _report([f"{c.key} {p}" for c, p in twice], "alerts posted twice")
    expected = _expected_alerts(soak)
    wrong = [
        f"{k.channel.key} {k.ref}: matched {sorted(a.matched)}, expected "
        f"{sorted(expected.get((k.channel, k.ref), ()))}"
        for k, a in alerts
        if set(a.matched) != expected.get((k.channel, k.ref))
    ]
    assert not wrong, _report(wrong, "alerts nobody asked for (or for the wrong queries)")


def test_every_matching_paper_is_alerted(soak: SoakResult) -> None:
    sent = {(k.channel, k.ref) for k, _ in soak.posts if k.kind == ALERT_KIND}
    truth = {fp.paper.id: fp for fp in soak.feed.papers}
    unsent = [
        f"{c.key} {p} (day {truth[p].paper.day}, out at {truth[p].appears:%a %H:%M})"
        for c, p in sorted(_expected_alerts(soak).keys() - sent, key=str)
    ]
    assert not unsent, _report(unsent, "matching papers never alerted")


def test_every_published_paper_is_fetched(soak: SoakResult) -> None:
    missing = [
        f"{fp.paper.id} of {fp.paper.day} (out at {fp.appears:%a %d %H:%M} UTC)"
        for fp in soak.missing_papers
    ]
    assert not missing, _report(missing, "papers the feed published that were never stored")


def test_the_ledger_is_left_with_nothing_open(soak: SoakResult) -> None:
    assert soak.open_after == []
    assert set(soak.ledger_counts) == {"sent"}, soak.ledger_counts
    # An edit whose answer was lost is sent again on purpose (an edit to the same content
    # changes nothing): count each edit once, every other post exactly once.
    edits = {key for key, _ in soak.posts if key.kind == "edit"}
    assert soak.ledger_counts["sent"] == len(edits) + sum(k.kind != "edit" for k, _ in soak.posts)
    assert soak.paused == []
