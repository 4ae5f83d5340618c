"""The soak's world and its run: channels across time zones, a feed that fills up over the day
and goes down for two days, a publisher that fails now and then and dies with its process, and
a reference model, built from the README's calendar rules, of what each channel should get."""

from __future__ import annotations

import asyncio
import heapq
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot import domain
from bot.backfill import backfill
from bot.delivery.alerts import ALERT_KIND
from bot.delivery.digests import DIGEST_KIND
from bot.delivery.weekly import WEEKLY_KIND
from bot.domain import ChannelRef, Paper, PostKey, Schedule, WeekendPolicy
from bot.feed.client import FeedError
from bot.ports import DeliveryError
from bot.service import Paperboy
from storage.store import Store
from tests.helpers import Clock, Post, ScriptedPublisher

# A Monday. Europe's clocks go back on 25 October, North America's on 1 November.
START = datetime(2026, 10, 5, tzinfo=UTC)
BACKFILL_DAYS = 14  # stored before the start, as `paperboy backfill` would
POLL_EVERY = timedelta(minutes=30)
TICK_EVERY = timedelta(minutes=15)  # the recovery tick (15 s in production; time is cheap here)
# Every FAIL_EVERY-th request is refused (nothing posted); every LOST_EVERY-th is posted but its
# answer is lost (a timeout), so the retry has to ask the platform.
FAIL_EVERY = 97
LOST_EVERY = 389
MAX_DIGEST_SIZE = 25
MIN_DAYS = 14
BLIP_DOWN = timedelta(minutes=20)

ZONES = (
    "UTC", "Europe/London", "Europe/Paris", "Europe/Berlin", "Europe/Moscow", "Africa/Lagos",
    "Asia/Kolkata", "Asia/Kathmandu", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney",
    "Pacific/Auckland", "Pacific/Chatham", "Pacific/Kiritimati", "Pacific/Pago_Pago",
    "Pacific/Honolulu", "America/Los_Angeles", "America/Denver", "America/Chicago",
    "America/New_York", "America/St_Johns", "America/Sao_Paulo",
)  # fmt: skip
# Around the 12:00 UTC rule, midnight, and hours that occur twice when clocks go back.
EDGE_TIMES = ("11:59", "12:00", "00:00", "23:59", "02:30", "01:30", "09:00", "17:00")

# Title words by feature; the queries below match on features, so the expected alerts never
# depend on the code under test.
ADJECTIVES = ("Scalable", "Efficient", "Robust", "Sparse", "Unified", "Adaptive")
TOPICS = {
    "diffusion": "Diffusion",
    "agent": "Agents",
    "mamba": "Mamba",
    "ssm": "State Space Models",
    "retrieval": "Retrieval-Augmented Generation",
    "world_model": "World Models",
    "world_split": "Models of the World",  # both words, never the phrase
}
TOPIC_ODDS = {
    "diffusion": 0.2,
    "agent": 0.2,
    "mamba": 0.07,
    "ssm": 0.07,
    "retrieval": 0.12,
    "world_model": 0.07,
    "world_split": 0.07,
}
DOMAINS = {
    "vision": "for Vision",
    "benchmark": "Benchmark",
    "language": "in Language",
    "robotics": "for Robotics",
}
DOMAIN_ODDS = {"vision": 0.3, "benchmark": 0.25, "language": 0.2, "robotics": 0.15}
SUMMARY = "We study this setting and report results."
HOPPER = "Grace Hopper"

QUERIES: dict[str, Callable[[frozenset[str]], bool]] = {
    "diffusion": lambda f: "diffusion" in f,
    "agent -survey": lambda f: "agent" in f and "survey" not in f,
    'mamba OR "state space"': lambda f: "mamba" in f or "ssm" in f,
    "title:retrieval": lambda f: "retrieval" in f,
    '"world model"': lambda f: "world_model" in f,
    "vision benchmark": lambda f: "vision" in f and "benchmark" in f,
    f'author:"{HOPPER}"': lambda f: "hopper" in f,
}


class Crash(BaseException):
    """The process dies here (a BaseException: nothing in paperboy catches it)."""


# --- the independent calendar (README "How digests pick their day") ---------------------


def noon_day(moment: datetime) -> date:
    """The Daily Papers day a digest at `moment` covers: that UTC day from 12:00 UTC, else the
    day before."""
    utc = moment.astimezone(UTC)
    return utc.date() if utc.hour >= 12 else utc.date() - timedelta(days=1)


def week_of(day: date) -> str:
    """`YYYY-Www` of a day."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def rollup_week(moment: datetime) -> str:
    """The ISO week a roll-up at `moment` covers: the current one from Friday (by the noon
    rule), else the previous one."""
    day = noon_day(moment)
    return week_of(day if day.weekday() >= 4 else day - timedelta(days=day.weekday() + 1))


def days_of_week(week: str) -> list[date]:
    """Monday to Sunday of `YYYY-Www`."""
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    return [monday + timedelta(days=i) for i in range(7)]


def catch_up_days(target: date, last: date | None) -> list[date]:
    """The days a digest for `target` covers after `last`: the missed ones, at most a week."""
    if last is None:
        return [target]
    first = max(last + timedelta(days=1), target - timedelta(days=6))
    return [first + timedelta(days=i) for i in range((target - first).days + 1)]


# --- the feed --------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedPaper:
    """A paper as Hugging Face has it: when it appears, its final counts, what it is about."""

    paper: Paper
    appears: datetime
    features: frozenset[str]

    def upvotes_at(self, now: datetime) -> int:
        """Upvotes grow in steps for a day after the paper appears."""
        hours = (now - self.appears) / timedelta(hours=1)
        share = next((s for h, s in ((1, 0.1), (3, 0.3), (8, 0.6), (20, 0.85)) if hours < h), 1.0)
        return int(self.paper.upvotes * share)


class SoakFeed:
    """Daily Papers that fill up between 00:00 and 10:30 UTC on weekdays, with an outage; it
    mirrors what it handed out, which is what paperboy has stored."""

    def __init__(
        self, clock: Clock, papers: list[FeedPaper], outage: tuple[datetime, datetime]
    ) -> None:
        self.clock = clock
        self.outage = outage
        self.papers = papers
        self.by_day: dict[date, list[FeedPaper]] = {}
        for fp in papers:
            self.by_day.setdefault(fp.paper.day, []).append(fp)
        self.step = -1  # the simulation's event number, for when a paper was first seen
        self.seen: dict[date, dict[str, Paper]] = {}
        self.first_seen: dict[str, int] = {}
        self.settled: set[date] = set()  # fetched after the day ended (UTC): complete
        self.fetches = 0
        self.failed_fetches = 0

    async def fetch_day(self, day: date) -> list[Paper]:
        """The day's papers out by now, at their upvotes now; FeedError during the outage."""
        return self._answer([day])

    async def fetch_week(self, week: str) -> list[Paper] | None:
        """The same for a whole ISO week (HF's `week=`), every paper dated."""
        return self._answer(days_of_week(week))

    def _answer(self, days: list[date]) -> list[Paper]:
        now = self.clock()
        self.fetches += 1
        if self.outage[0] <= now < self.outage[1]:
            self.failed_fetches += 1
            raise FeedError("GET /api/daily_papers: HTTP 503 (injected outage)")
        papers = []
        for day in days:
            out = [
                replace(fp.paper, upvotes=fp.upvotes_at(now))
                for fp in self.by_day.get(day, [])
                if fp.appears <= now
            ]
            known = self.seen.setdefault(day, {})
            for paper in out:
                known[paper.id] = paper
                self.first_seen.setdefault(paper.id, self.step)
            if day < now.astimezone(UTC).date():
                self.settled.add(day)
            papers += out
        return papers


# --- the platform ------------------------------------------------------------------------


@dataclass
class SoakPublisher(ScriptedPublisher):
    """A platform with history (ScriptedPublisher's `find`) whose requests fail now and then,
    and which stops answering when the process is armed to crash."""

    calls: int = 0
    dead: bool = False
    # "after": the next post goes out, then the process dies; "before": it dies as it sends.
    arm_mode: str | None = None
    arm_kind: str | None = None
    crash_key: PostKey | None = None
    keys: list[PostKey] = field(default_factory=list)  # each post's ledger key, as `posts`
    injected: Counter[str] = field(default_factory=Counter)

    def arm(self, mode: str, kind: str | None = None) -> None:
        """Crash the process at the next request (of `kind`, when given)."""
        self.arm_mode, self.arm_kind = mode, kind

    def revive(self) -> None:
        """The restarted process talks to the platform again."""
        self.dead, self.arm_mode, self.arm_kind = False, None, None

    async def publish(self, post: domain.Post, tracker: Any) -> str:
        """Post the one message of a post (Publisher.publish), or fail or die trying."""
        if tracker.parts_sent >= 1:
            return str(tracker.first_id)
        self.calls += 1
        key: PostKey = tracker.key
        await tracker.claim(1)
        if self.dead:
            raise Crash(f"the process died before {key} went out")
        crash = self.arm_mode is not None and self.arm_kind in (None, key.kind)
        if crash:
            mode, self.crash_key, self.dead, self.arm_mode = self.arm_mode, key, True, None
            if mode == "before":
                raise Crash(f"the process died sending {key}")
        elif self.calls % FAIL_EVERY == 0:
            self.injected["refused"] += 1
            await tracker.refused(1)
            raise DeliveryError("HTTP 503 (injected): nothing posted")
        message_id = f"m{len(self.posts) + 1}"
        self.posts.append(Post(post.channel, key.kind, post))
        self.keys.append(key)
        self.by_token[key.token(1)] = message_id
        if crash:
            raise Crash(f"the process died after posting {key}")
        if self.calls % LOST_EVERY == 0:
            self.injected["lost"] += 1
            raise DeliveryError("timed out (injected) after posting", uncertain=True)
        await tracker.sent(1, message_id, thread_id=message_id)
        return message_id


# --- the world ---------------------------------------------------------------------------


@dataclass
class Expected:
    """One post the reference model says a channel gets."""

    ref: str
    papers: tuple[str, ...]
    notice: bool


@dataclass
class Track:
    """One channel's timed kind over the run."""

    schedule: Schedule
    enabled: bool = False
    fires: list[datetime] = field(default_factory=list)  # every fire time, run or missed
    slots: list[datetime] = field(default_factory=list)  # those that ran, or were caught up
    expected: list[Expected] = field(default_factory=list)
    last_day: date | None = None  # daily: the newest day the model says is out
    weeks: set[str] = field(default_factory=set)  # weekly: the weeks out

    @property
    def kind(self) -> str:
        """The schedule's kind."""
        return self.schedule.kind


@dataclass
class Plan:
    """One channel: its schedules, when they are turned on, its alerts and when they start."""

    ref: ChannelRef
    tracks: list[Track]
    enable_at: datetime
    queries: tuple[str, ...] = ()
    subscribe_at: datetime | None = None


@dataclass(frozen=True)
class Sub:
    """A subscription as the simulation made it."""

    query: str
    step: int
    at: datetime


@dataclass
class Timeline:
    """The run's special moments."""

    end: datetime
    outage: tuple[datetime, datetime]  # the feed answers 503
    main_arm: datetime
    main_restart: datetime
    blip_arm: datetime
    mid: datetime  # late schedules and subscriptions


def timeline(days: int) -> Timeline:
    """The outage on the Tuesday nearest the middle; a short crash in the first quarter."""
    if days < MIN_DAYS:
        raise ValueError(f"the soak needs at least {MIN_DAYS} days")
    tuesday = (START + timedelta(days=days // 2 - 3)).date()
    tuesday += timedelta(days=(1 - tuesday.weekday()) % 7)
    t0 = datetime.combine(tuesday, datetime.min.time(), tzinfo=UTC)
    blip = START + timedelta(days=max(2, days // 4))
    return Timeline(
        end=START + timedelta(days=days),
        # Just after the midnight poll has seen Tuesday still empty.
        outage=(t0 + timedelta(minutes=10), t0 + timedelta(days=2, minutes=10)),
        main_arm=t0 + timedelta(hours=21, seconds=30),
        main_restart=t0 + timedelta(days=1, hours=18, minutes=7, seconds=30),
        blip_arm=blip + timedelta(seconds=30),
        mid=START + timedelta(days=days // 3),
    )


def make_papers(rng: random.Random, end: datetime) -> list[FeedPaper]:
    """Papers for every weekday from the backfill's first day to the end; none at weekends."""
    papers: list[FeedPaper] = []
    day = (START - timedelta(days=BACKFILL_DAYS)).date()
    serial = 0
    while day < end.date():
        if day.weekday() < 5:
            midnight = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
            minutes = sorted(rng.randrange(5, 630) for _ in range(rng.randint(8, 24)))
            for minute in minutes:
                serial += 1
                features = {t for t, odds in TOPIC_ODDS.items() if rng.random() < odds}
                features |= {d for d, odds in DOMAIN_ODDS.items() if rng.random() < odds}
                if rng.random() < 0.1:
                    features.add("survey")
                if rng.random() < 0.1:
                    features.add("hopper")
                papers.append(
                    _paper(
                        f"2610.{serial:05d}",
                        day,
                        features,
                        rng,
                        midnight + timedelta(minutes=minute),
                    )
                )
        day += timedelta(days=1)
    return papers


def _paper(
    paper_id: str, day: date, features: set[str], rng: random.Random, appears: datetime
) -> FeedPaper:
    """A paper whose title, authors and so on carry its features."""
    words = ["A Survey of"] if "survey" in features else []
    words.append(rng.choice(ADJECTIVES))
    words += [TOPICS[t] for t in TOPICS if t in features] or ["Learning"]
    words += [DOMAINS[d] for d in DOMAINS if d in features]
    authors = ("Ada Lovelace", "Alan Turing") + ((HOPPER,) if "hopper" in features else ())
    paper = Paper(
        id=paper_id,
        title=" ".join(words),
        summary=SUMMARY,
        authors=authors,
        upvotes=min(int(rng.paretovariate(1.2) * 4), 300),
        comments=rng.randint(0, 12),
        day=day,
    )
    return FeedPaper(paper, appears, frozenset(features))


def _time(rng: random.Random) -> str:
    """A schedule time: an edge case now and then, else any hour at a few minutes."""
    if rng.random() < 0.25:
        return rng.choice(EDGE_TIMES)
    return f"{rng.randrange(24):02d}:{rng.choice((0, 5, 15, 30, 45, 59)):02d}"


def make_plans(rng: random.Random, channels: int, line: Timeline) -> list[Plan]:
    """Channels over every zone, at varied times; a third with a weekly roll-up, a fifth on the
    notice policy, some with alerts (most from the start, a few from the middle)."""
    plans = []
    for i in range(channels):
        ref = ChannelRef("test", "W1", f"C{i}")
        zone = ZONES[i % len(ZONES)]
        tracks = []
        notice = rng.random() < 0.2
        if rng.random() < 0.95:
            tracks.append(
                Track(
                    Schedule(
                        ref,
                        DIGEST_KIND,
                        time=_time(rng),
                        timezone=zone,
                        size=rng.choice((3, 5, 10, 10, 25)),
                        min_upvotes=0 if notice or rng.random() < 0.8 else rng.choice((5, 15)),
                        weekends=WeekendPolicy.NOTICE if notice else WeekendPolicy.SKIP,
                    )
                )
            )
        if rng.random() < 1 / 3 or not tracks:
            tracks.append(
                Track(
                    Schedule(
                        ref,
                        WEEKLY_KIND,
                        time=_time(rng),
                        timezone=zone if rng.random() < 0.7 else rng.choice(ZONES),
                        weekday=rng.randrange(7),
                        size=rng.choice((5, 10)),
                    )
                )
            )
        roll = rng.random()
        if roll < 0.7:
            enable_at = START
        elif roll < 0.9:
            enable_at = START + timedelta(minutes=rng.randrange(2 * 24 * 60), seconds=20)
        else:
            enable_at = line.mid + timedelta(hours=10, minutes=rng.randrange(600), seconds=20)
        plan = Plan(ref, tracks, enable_at)
        roll = rng.random()
        if roll < 0.2:
            plan.queries = tuple(rng.sample(sorted(QUERIES), rng.randint(1, 3)))
            plan.subscribe_at = START if roll < 0.15 else line.mid + timedelta(hours=1, seconds=10)
        plans.append(plan)
    return plans


# --- the run -----------------------------------------------------------------------------


@dataclass
class SoakResult:
    """Everything the assertions look at."""

    channels: int
    days: int
    line: Timeline
    plans: list[Plan]
    posts: list[tuple[PostKey, Any]]  # (ledger key, the Digest or Alert), in posting order
    subs: dict[ChannelRef, list[Sub]]
    feed: SoakFeed
    publisher: SoakPublisher
    deaths: list[tuple[datetime, str]]
    missing_papers: list[FeedPaper]  # published by the end, never stored
    open_after: list[Any]
    ledger_counts: dict[str, int]
    paused: list[ChannelRef]
    events: Counter[str]

    def tracks(self, kind: str) -> list[tuple[Plan, Track]]:
        """Every channel's track of one kind."""
        return [(p, t) for p in self.plans for t in p.tracks if t.kind == kind]


class Soak:
    """A discrete-event run of paperboy: every job at its time, on one SQLite file."""

    def __init__(self, path: Path, channels: int, days: int, seed: int) -> None:
        rng = random.Random(seed)
        self.path = path
        self.channels = channels
        self.days = days
        self.line = timeline(days)
        self.clock = Clock(START)
        self.feed = SoakFeed(self.clock, make_papers(rng, self.line.end), self.line.outage)
        self.publisher = SoakPublisher()
        self.plans = make_plans(rng, channels, self.line)
        self.tracks = {(p.ref, t.kind): t for p in self.plans for t in p.tracks}
        self.subs: dict[ChannelRef, list[Sub]] = {}
        self.store = Store(path)
        self.core = self._core()
        self.alive = True
        self.deaths: list[tuple[datetime, str]] = []
        self.events: Counter[str] = Counter()
        self._heap: list[tuple[float, int, int, datetime, str, Any]] = []
        self._seq = 0
        self._down_for: timedelta | None = None  # a restart this long after the next death

    def _core(self) -> Paperboy:
        """A fresh process's core on the database file."""
        return Paperboy(self.store, self.feed, {"test": self.publisher}, clock=self.clock)

    def _push(self, when: datetime, name: str, arg: Any = None, prio: int = 5) -> None:
        """Queue an event; at the same moment, lower `prio` first, then first queued."""
        self._seq += 1
        heapq.heappush(self._heap, (when.timestamp(), prio, self._seq, when, name, arg))

    async def run(self) -> SoakResult:
        """Backfill, then every event in time order, then let the ledger drain."""
        first = (START - timedelta(days=BACKFILL_DAYS)).date()
        await backfill(self.core, first, START.date() - timedelta(days=1), delay=0)
        line = self.line
        for plan in self.plans:
            self._push(plan.enable_at, "enable", plan, prio=0)
            if plan.subscribe_at is not None:
                self._push(plan.subscribe_at, "subscribe", plan, prio=1)
        for every, offset, name, prio in (
            (POLL_EVERY, timedelta(0), "poll", 3),
            (TICK_EVERY, timedelta(minutes=7, seconds=30), "tick", 2),
        ):
            moment = START + offset
            while moment < line.end:
                self._push(moment, name, prio=prio)
                moment += every
        # A short crash while alerts go out, back 20 minutes later; then the long one.
        self._push(line.blip_arm, "arm", ("before", ALERT_KIND, BLIP_DOWN), prio=-1)
        self._push(line.blip_arm + timedelta(hours=9), "kill", prio=-1)
        self._push(line.main_arm, "arm", ("after", None, None), prio=-1)
        self._push(line.main_arm + timedelta(hours=1), "kill", prio=-1)
        self._push(line.main_restart, "restart", prio=-1)
        step = 0
        while self._heap:
            _, _, _, when, name, arg = heapq.heappop(self._heap)
            step += 1
            self.feed.step = step
            self.clock.now = when.astimezone(UTC)
            self.events[name] += 1
            await self._handle(name, arg, step)
        return await self._finish()

    async def _handle(self, name: str, arg: Any, step: int) -> None:
        """Run one event, as the scheduler (or the operator) would."""
        if name == "fire":
            await self._fire(*arg)
        elif name == "enable":
            self._enable(arg)
        elif name == "subscribe":
            self._subscribe(arg, step)
        elif name == "arm":
            mode, kind, self._down_for = arg
            self.publisher.arm(mode, kind)
        elif name == "kill":
            if self.publisher.arm_mode is not None:  # nothing went out since it was armed
                self.publisher.dead = True
                await self._die("killed while idle")
        elif name == "restart":
            await self._restart()
        elif self.alive:
            try:
                await (self.core.poll() if name == "poll" else self.core.recover())
            except Crash:
                await self._die(f"crashed during a {name}")

    def _enable(self, plan: Plan) -> None:
        """Turn a channel's schedules on now, and queue their first runs."""
        assert self.alive, "schedules are turned on while paperboy runs"
        now = self.clock()
        for track in plan.tracks:
            track.schedule = replace(track.schedule, enabled=True, enabled_at=now)
            track.enabled = True
            self.core.save_schedule(track.schedule)
            self._push_fire(track, now)

    def _push_fire(self, track: Track, after: datetime) -> None:
        """Queue the next run, as the scheduler's cron trigger would (the kind's next_run)."""
        nxt = self.core.timed(track.kind).next_run(track.schedule, after)
        if nxt < self.line.end:
            self._push(nxt, "fire", (track.schedule.channel, track.kind), prio=4)

    def _subscribe(self, plan: Plan, step: int) -> None:
        """Add a channel's alerts, as `/papers subscribe` does."""
        assert self.alive, "subscriptions are made while paperboy runs"
        now = self.clock()
        self.store.save_channel(self.core.settings(plan.ref))
        for query in plan.queries:
            assert self.store.add_subscription(plan.ref, query, "U1", now) is not None
            self.subs.setdefault(plan.ref, []).append(Sub(query, step, now))

    async def _fire(self, ref: ChannelRef, kind: str) -> None:
        """A channel's timed job at its time (missed while paperboy is down)."""
        track = self.tracks[(ref, kind)]
        when = self.clock()
        track.fires.append(when)
        self._push_fire(track, when)
        if not self.alive:
            return
        track.slots.append(when)
        try:
            await self.core.run_scheduled(ref, kind)
        except Crash:
            own = noon_day(when).isoformat() if kind == DIGEST_KIND else rollup_week(when)
            if self.publisher.crash_key == PostKey(ref, kind, own):
                self._model(track, when)  # its post was built and is in the ledger
            else:
                track.slots.pop()  # died before this job built its post: a missed slot
            await self._die(f"crashed during the {kind} of {ref.key}")
            return
        self._model(track, when)

    async def _die(self, how: str) -> None:
        """The process is gone: its claims stay in the ledger, its connection closes."""
        self.alive = False
        self.deaths.append((self.clock(), how))
        if self._down_for is not None:
            self._push(self.clock() + self._down_for, "restart", prio=-1)
            self._down_for = None
        await self.core.deliverer.aclose()
        # The rest of a fan-out the crash cut short runs into the dead publisher too.
        me = asyncio.current_task()
        rest = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
        await asyncio.gather(*rest, return_exceptions=True)
        self.store.close()

    async def _restart(self) -> None:
        """What `paperboy run` does on start: recover, poll, catch up."""
        assert not self.alive, "the process was expected to be down"
        self.store = Store(self.path)
        self.core = self._core()
        self.publisher.revive()
        self.alive = True
        await self.core.recover()
        await self.core.poll()
        await self.core.catch_up()
        for track in self.tracks.values():
            if (
                track.enabled
                and track.fires
                and (not track.slots or track.slots[-1] != track.fires[-1])
            ):
                track.slots.append(track.fires[-1])  # the last missed slot, caught up
                self._model(track, track.fires[-1])

    async def _finish(self) -> SoakResult:
        """A last poll, recovery until every retry is due, then what is left."""
        assert self.alive
        self.clock.now = self.line.end
        await self.core.poll()
        published_by = self.clock()
        for _ in range(8):  # past every retry's backoff
            self.clock.advance(minutes=31)
            await self.core.recover()
        open_after = self.store.open_deliveries(self.clock())
        counts = self.store.ledger_counts()
        paused = [c.channel for c in self.store.channels() if c.paused]
        missing = [
            fp
            for fp in self.feed.papers
            if fp.appears <= published_by and self.store.get_paper(fp.paper.id) is None
        ]
        await self.core.deliverer.aclose()
        self.store.close()
        return SoakResult(
            channels=self.channels,
            days=self.days,
            line=self.line,
            plans=self.plans,
            posts=list(
                zip(self.publisher.keys, (p.item for p in self.publisher.posts), strict=True)
            ),
            subs=self.subs,
            feed=self.feed,
            publisher=self.publisher,
            deaths=self.deaths,
            missing_papers=missing,
            open_after=open_after,
            ledger_counts=counts,
            paused=paused,
            events=self.events,
        )

    # --- the reference model ---------------------------------------------------------------

    def _model(self, track: Track, when: datetime) -> None:
        """What a run at `when` should post, from the calendar rules and what was fetched."""
        schedule = track.schedule
        if track.kind == DIGEST_KIND:
            target = noon_day(when)
            if track.last_day is not None and track.last_day >= target:
                return
            papers = self._top(catch_up_days(target, track.last_day), schedule)
            known_empty = target.weekday() >= 5 or target in self.feed.settled
            ref = target.isoformat()
        else:
            ref = rollup_week(when)
            if ref in track.weeks:
                return
            papers = self._top(days_of_week(ref), schedule)
            known_empty = True
        if not papers and not (schedule.weekends is WeekendPolicy.NOTICE and known_empty):
            return
        track.expected.append(Expected(ref, papers, not papers))
        if track.kind == DIGEST_KIND:
            track.last_day = date.fromisoformat(ref)
        else:
            track.weeks.add(ref)

    def _top(self, days: list[date], schedule: Schedule) -> tuple[str, ...]:
        """The top papers of these days as fetched so far (upvotes, then comments, then id)."""
        found = [
            p
            for d in days
            for p in self.feed.seen.get(d, {}).values()
            if p.upvotes >= schedule.min_upvotes
        ]
        found.sort(key=lambda p: (-p.upvotes, -p.comments, p.id))
        return tuple(p.id for p in found[: min(schedule.size, MAX_DIGEST_SIZE)])


async def run_soak(path: Path, channels: int, days: int, seed: int = 20261005) -> SoakResult:
    """Run the soak on a SQLite file at `path`."""
    return await Soak(path, channels, days, seed).run()
