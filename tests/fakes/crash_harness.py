"""Crash harness: real `paperboy` processes against the local fakes, SIGKILLed at seeded random
moments, and the exactly-once check of what the fake recorded against the ledger.

- `Runner` starts `python -m bot …` with asyncio (the fakes keep serving in the test's loop),
  output to log files, and either waits for the exit (bounded) or SIGKILLs the pid it started
  when a trigger fires.
- `KillPlan` picks each kill: very early (during start-up), mid-fan-out (a random delay spread
  over the work left), or in flight (a fake holds the answer of a request it has recorded, and
  the kill lands while it waits).
- `SlackView` / `DiscordView` set channels up on a fake, give the env vars that point a process
  at it, arm a held answer, and list what the fake recorded as `Seen` messages.
- `tally` compares those messages and the ledger with the expected posts: every part of every
  post exactly once, in order, in the right place.

Scale: PAPERBOY_CRASH_CHANNELS, PAPERBOY_CRASH_KILLS, PAPERBOY_CRASH_SEED (`Scale.from_env`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from adapters.discord.pacing import BUDGET_PER_SECOND
from adapters.discord.payloads import render_post as discord_render
from adapters.slack import publisher as slack_publisher
from adapters.slack.pacing import WORKSPACE_POSTS_PER_SECOND
from bot.domain import ChannelRef, Post, PostKey
from storage.store import Store
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_records import TEXT
from tests.fakes.slack_api import SlackFake, SlackFakeError

ENV_CHANNELS = "PAPERBOY_CRASH_CHANNELS"
ENV_KILLS = "PAPERBOY_CRASH_KILLS"
ENV_SEED = "PAPERBOY_CRASH_SEED"
DEFAULT_CHANNELS = 12
DEFAULT_KILLS = 4
DEFAULT_SEED = 20261201
# Env vars of the developer's shell that must not leak into a paperboy under test.
FOREIGN_ENV = ("PAPERBOY_", "SLACK_", "DISCORD_", "HF_")
# How long a fake holds the answer of a request it recorded (an "in flight" kill lands then).
HOLD_SECONDS = 1.0
# Channels whose next post is held at an in-flight kill.
HELD_CHANNELS = 3
# Bound on any one process run to its end (a hung process fails the test, it never hangs it).
RUN_TIMEOUT = 600.0
# Parts past the expected count whose tokens are still recognised (an extra part is a bug).
EXTRA_PARTS = 5

KillMode = Literal["early", "mid", "in_flight"]
MODES: tuple[KillMode, ...] = ("early", "in_flight", "mid")
MODE_WEIGHTS = (1, 2, 2)  # early, in flight, mid


@dataclass(frozen=True)
class Scale:
    """How big a crash test runs: channels, kills per case, and the RNG seed."""

    channels: int = DEFAULT_CHANNELS
    kills: int = DEFAULT_KILLS
    seed: int = DEFAULT_SEED

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Scale:
        """The scale from PAPERBOY_CRASH_CHANNELS / _KILLS / _SEED (defaults: CI size)."""
        return cls(
            channels=max(1, int(environ.get(ENV_CHANNELS, DEFAULT_CHANNELS))),
            kills=max(0, int(environ.get(ENV_KILLS, DEFAULT_KILLS))),
            seed=int(environ.get(ENV_SEED, DEFAULT_SEED)),
        )


def paperboy_env(db: Path, hf_url: str, **extra: str) -> dict[str, str]:
    """The environment of a paperboy under test: this shell's, minus paperboy's own settings,
    plus the database, the fake feed and `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_ENV)}
    env.update(
        PAPERBOY_DB=str(db),
        PAPERBOY_HF_URL=hf_url,
        PAPERBOY_LOG_LEVEL="INFO",
        COLUMNS="200",
        **extra,
    )
    return env


# --- processes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Finished:
    """One paperboy process that ended: by itself (`code`) or SIGKILLed (`killed`)."""

    args: tuple[str, ...]
    code: int
    killed: bool
    out: str
    err: str

    def tail(self, lines: int = 30) -> str:
        """The end of its stderr, for an assertion message."""
        return "\n".join(self.err.splitlines()[-lines:])


class Runner:
    """Starts `python -m bot ARGS` processes in `cwd` with `env`; logs go to `cwd/logs`."""

    def __init__(self, cwd: Path, env: Mapping[str, str]) -> None:
        self.cwd = cwd
        self.env = dict(env)
        self.logs = cwd / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.started = 0

    async def run(
        self, *args: str, timeout: float = RUN_TIMEOUT, env: Mapping[str, str] | None = None
    ) -> Finished:
        """Run to the end (killed and failed past `timeout`)."""
        return await self.run_until(args, None, timeout=timeout, env=env)

    async def run_until(
        self,
        args: Sequence[str],
        trigger: Callable[[], Awaitable[object]] | None,
        *,
        timeout: float = RUN_TIMEOUT,
        env: Mapping[str, str] | None = None,
        stop: signal.Signals = signal.SIGKILL,
    ) -> Finished:
        """Run until it exits, or send it `stop` (SIGKILL; to its own pid) as soon as
        `trigger()` returns, and wait for it to end."""
        self.started += 1
        name = f"{self.started:03d}-{args[0]}"
        out_path, err_path = self.logs / f"{name}.out", self.logs / f"{name}.err"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                *args,
                env=dict(env or self.env),
                cwd=self.cwd,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        exited = asyncio.ensure_future(proc.wait())
        fired = asyncio.ensure_future(_quietly(trigger)) if trigger is not None else None
        try:
            waiting = {exited} if fired is None else {exited, fired}
            await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            timed_out = not exited.done() and (fired is None or not fired.done())
            if not exited.done():
                _signal(proc, signal.SIGKILL if timed_out else stop)
            code = await asyncio.wait_for(exited, timeout=30)
        finally:
            if fired is not None:
                fired.cancel()
            if proc.returncode is None:
                _kill(proc)
                await proc.wait()
        result = Finished(
            tuple(args), code, code == -signal.SIGKILL, _read(out_path), _read(err_path)
        )
        if timed_out:
            raise AssertionError(
                f"paperboy {' '.join(args)} still ran after {timeout} s:\n{result.tail()}"
            )
        return result


async def _quietly(trigger: Callable[[], Awaitable[object]]) -> None:
    """Run a trigger; its failure (a wait that timed out) fires it all the same."""
    with contextlib.suppress(Exception):
        await trigger()


def _kill(proc: asyncio.subprocess.Process) -> None:
    """SIGKILL a process this harness started (by its pid), if it still runs."""
    _signal(proc, signal.SIGKILL)


def _signal(proc: asyncio.subprocess.Process, sig: signal.Signals) -> None:
    """Send `sig` to a process this harness started (by its pid), if it still runs."""
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(sig)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


_startup: list[float] = []


async def startup_seconds() -> float:
    """About how long a paperboy process takes to start (`paperboy --help`, measured once)."""
    if not _startup:
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--help",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.wait_for(proc.wait(), timeout=60)
        _startup.append(max(0.3, time.monotonic() - started))
    return _startup[0]


# --- kills --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kill:
    """When to kill one process: after `delay`; "in_flight" then holds the answers of the
    next posts to a few channels, waits (up to `patience`) until one is held, and kills it
    `pause` later."""

    mode: KillMode
    delay: float
    patience: float = 0.0
    pause: float = 0.0


class KillPlan:
    """Seeded kill moments: very early (during start-up), mid-fan-out (a random delay spread
    over the work left, so that the kills cover the whole fan-out) or in flight."""

    def __init__(self, rng: random.Random, kills: int, startup: float) -> None:
        self.rng = rng
        self.kills = kills
        self.startup = startup

    def next(self, index: int, remaining: float) -> Kill:
        """The kill number `index` (0-based) when about `remaining` seconds of work are left:
        the first three are early, in flight and mid-fan-out, the rest drawn at random."""
        kills_left = max(1, self.kills - index)
        mode = MODES[index] if index < len(MODES) else self.rng.choices(MODES, MODE_WEIGHTS)[0]
        if mode == "early":
            return Kill(mode, self.rng.uniform(0.0, self.startup))
        spread = self.rng.uniform(0.0, min(0.8 * remaining, 2.0 * remaining / kills_left))
        if mode == "mid":
            return Kill(mode, self.startup + spread)
        return Kill(
            mode,
            self.startup + spread,
            patience=self.startup + remaining + HOLD_SECONDS,
            pause=self.rng.uniform(0.0, HOLD_SECONDS / 2),
        )


# --- what the fakes recorded ----------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One message a fake recorded: its post token, where it went and when (arrival order)."""

    token: str | None
    channel: str  # the channel id on the platform
    order: int
    message_id: str
    thread: str | None  # Slack: thread_ts (None at top level); Discord: None


class PlatformView(Protocol):
    """What the harness needs from one fake."""

    platform: str
    rate: float  # messages a second paperboy paces itself to

    def add_channels(self, count: int) -> list[ChannelRef]:
        """Create `count` channels on the fake."""
        ...

    def env(self) -> dict[str, str]:
        """The env vars that point paperboy at the fake."""
        ...

    def hold_next(self, ref: ChannelRef) -> Callable[[float], Awaitable[bool]]:
        """Hold the answer of the next post to `ref` (recorded, unanswered for a while); the
        returned wait is True once a request is held."""
        ...

    def seen(self) -> list[Seen]:
        """Every message the fake recorded, in arrival order."""
        ...

    def parts(self, post: Post) -> int:
        """How many messages paperboy renders `post` into."""
        ...

    def misplaced(self, key: PostKey, parts: Sequence[Seen]) -> str | None:
        """Why a post's parts (one each, in part order) are in the wrong place, or None."""
        ...


class SlackView:
    """The Slack fake's side: channels `CX0000…` in team `team`, post-only paperboy."""

    platform = "slack"
    rate = WORKSPACE_POSTS_PER_SECOND

    def __init__(self, fake: SlackFake, team: str, bot_token: str) -> None:
        self.fake = fake
        self.team = team
        self.bot_token = bot_token

    def add_channels(self, count: int) -> list[ChannelRef]:
        """Channels CX0000… in the team."""
        ids = {f"CX{i:04d}": f"crash-{i}" for i in range(count)}
        self.fake.add_team(self.team, bot_token=self.bot_token, channels=ids)
        return [ChannelRef("slack", self.team, cid) for cid in ids]

    def env(self) -> dict[str, str]:
        """SLACK_API_URL and SLACK_BOT_TOKEN (posting only)."""
        return {"SLACK_API_URL": self.fake.api_url, "SLACK_BOT_TOKEN": self.bot_token}

    def hold_next(self, ref: ChannelRef) -> Callable[[float], Awaitable[bool]]:
        """The next chat.postMessage to the channel is recorded, then its answer hangs."""
        self.fake.script_fault("hang", channel=ref.channel, hang=HOLD_SECONDS)

        async def held(timeout: float) -> bool:
            try:
                await self.fake.wait_for_hang(timeout)
            except SlackFakeError:
                return False
            return True

        return held

    def seen(self) -> list[Seen]:
        """chat.postMessage messages with their metadata token."""
        found = []
        for order, m in enumerate(self.fake.messages):
            payload = (m.metadata or {}).get("event_payload") or {}
            token = payload.get("token") if isinstance(payload, dict) else None
            found.append(
                Seen(token if isinstance(token, str) else None, m.channel, order, m.ts, m.thread_ts)
            )
        return found

    def parts(self, post: Post) -> int:
        """Slack messages of the post (part 1 in the channel, the rest in its thread)."""
        return len(slack_publisher.render(post))

    def misplaced(self, key: PostKey, parts: Sequence[Seen]) -> str | None:
        """Part 1 at the channel's top level, every later part in part 1's thread."""
        if any(p.channel != key.channel.channel for p in parts):
            return "a part is in another channel"
        if parts[0].thread is not None:
            return f"part 1 is a thread reply (thread_ts {parts[0].thread})"
        for number, part in enumerate(parts[1:], 2):
            if part.thread != parts[0].message_id:
                return (
                    f"part {number} is in thread {part.thread}, not part 1's {parts[0].message_id}"
                )
        return None


class DiscordView:
    """The Discord fake's side: text channels in guild `guild`."""

    platform = "discord"
    rate = BUDGET_PER_SECOND / 2  # each post also costs a channel lookup; parts pace at 48/s

    def __init__(self, fake: DiscordFake, guild: int, token: str, first_channel: int) -> None:
        self.fake = fake
        self.guild = guild
        self.token = token
        self.first_channel = first_channel

    def add_channels(self, count: int) -> list[ChannelRef]:
        """Text channels first_channel… in a new guild."""
        ids = [self.first_channel + i for i in range(count)]
        self.fake.add_guild(
            self.guild,
            "Crash Readers",
            channels={cid: {"name": f"crash-{cid}", "type": TEXT} for cid in ids},
        )
        return [ChannelRef("discord", str(self.guild), str(cid)) for cid in ids]

    def env(self) -> dict[str, str]:
        """DISCORD_TOKEN and DISCORD_API_URL (REST only: posting needs no gateway)."""
        return {"DISCORD_TOKEN": self.token, "DISCORD_API_URL": self.fake.api_base}

    def hold_next(self, ref: ChannelRef) -> Callable[[float], Awaitable[bool]]:
        """The next Create Message in the channel is stored, then its answer waits."""
        hold = self.fake.hold_answers(f"/channels/{ref.channel}/messages", delay=HOLD_SECONDS)

        async def held(timeout: float) -> bool:
            try:
                await hold.wait_arrived(timeout)
            except TimeoutError:
                return False
            return True

        return held

    def seen(self) -> list[Seen]:
        """Messages with their nonce."""
        return [
            Seen(
                str(m.nonce) if m.nonce is not None else None,
                str(m.channel_id),
                order,
                str(m.id),
                None,
            )
            for order, m in enumerate(self.fake.messages)
        ]

    def parts(self, post: Post) -> int:
        """Discord messages of the post (in a text channel, one after the other), as the
        publisher renders them."""
        return len(discord_render(post)[0])

    def misplaced(self, key: PostKey, parts: Sequence[Seen]) -> str | None:
        """Part 1 in the post's text channel; the later parts all in part 1's thread (a compact
        digest: the thread started from part 1 has its id) or all in the channel."""
        if parts[0].channel != key.channel.channel:
            return f"part 1 is in {parts[0].channel}, not channel {key.channel.channel}"
        places = {p.channel for p in parts[1:]}
        if len(places) > 1 or places - {key.channel.channel, parts[0].message_id}:
            return f"parts 2.. are in {sorted(places)}, not the channel or part 1's thread"
        return None


# --- the check ------------------------------------------------------------------------------


@dataclass
class Tally:
    """The exactly-once check of one case."""

    posts: int = 0
    parts: int = 0
    lost: int = 0  # expected parts the fake never got
    repeated: int = 0  # messages beyond the first of a part
    misplaced: int = 0  # posts whose parts are out of order or in the wrong place
    unexpected: int = 0  # messages that are no expected part of any expected post
    not_sent: int = 0  # expected posts the ledger does not show as sent with all parts
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing lost, repeated, misplaced, unexpected or left open."""
        return not (
            self.lost or self.repeated or self.misplaced or self.unexpected or self.not_sent
        )

    def report(self, limit: int = 20) -> str:
        """The first problems, one a line."""
        more = len(self.problems) - limit
        return "\n".join(self.problems[:limit] + ([f"… and {more} more"] if more > 0 else []))


def expected_posts(view: PlatformView, posts: Iterable[tuple[PostKey, Post]]) -> dict[PostKey, int]:
    """Each expected post with the number of messages it renders into."""
    return {key: view.parts(post) for key, post in posts}


def tally(view: PlatformView, expected: Mapping[PostKey, int], store: Store) -> Tally:
    """Check the fake's messages and the ledger against the expected posts."""
    result = Tally(posts=len(expected), parts=sum(expected.values()))
    tokens: dict[str, tuple[PostKey, int]] = {}
    for key, count in expected.items():
        for part in range(1, count + EXTRA_PARTS + 1):
            tokens[key.token(part)] = (key, part)
    by_part: dict[tuple[PostKey, int], list[Seen]] = {}
    for seen in view.seen():
        known = tokens.get(seen.token or "")
        if known is None or known[1] > expected[known[0]]:
            result.unexpected += 1
            what = f"part {known[1]} of {_name(known[0])}" if known else f"token {seen.token}"
            result.problems.append(
                f"unexpected message {seen.message_id} in {seen.channel}: {what}"
            )
            continue
        by_part.setdefault(known, []).append(seen)
    for key, count in expected.items():
        firsts: list[Seen] = []
        for part in range(1, count + 1):
            copies = by_part.get((key, part), [])
            if not copies:
                result.lost += 1
                result.problems.append(f"lost: part {part}/{count} of {_name(key)}")
                continue
            if len(copies) > 1:
                result.repeated += len(copies) - 1
                result.problems.append(
                    f"repeated: part {part}/{count} of {_name(key)} {len(copies)} times"
                )
            firsts.append(copies[0])
        if len(firsts) == count:
            orders = [s.order for s in firsts]
            why = (
                view.misplaced(key, firsts)
                if orders == sorted(orders)
                else f"parts arrived in the order {_ranks(orders)}"
            )
            if why:
                result.misplaced += 1
                result.problems.append(f"misplaced: {_name(key)}: {why}")
        row = store.delivery(key.channel, key.kind, key.ref)
        state = row["state"] if row else "missing"
        parts_sent = row["parts_sent"] if row else 0
        if state != "sent" or parts_sent != count:
            result.not_sent += 1
            detail = (
                f"; attempts {row['attempts']}, owner {row['owner']}, error {row['error']}"
                if row
                else ""
            )
            result.problems.append(
                f"ledger: {_name(key)} is {state} with {parts_sent}/{count} parts{detail}"
            )
    return result


def _name(key: PostKey) -> str:
    return f"{key.kind} {key.ref} for {key.channel.key}"


def _ranks(orders: Sequence[int]) -> list[int]:
    ranked = sorted(orders)
    return [ranked.index(o) + 1 for o in orders]


def progress(view: PlatformView, expected: Mapping[PostKey, int]) -> tuple[int, set[ChannelRef]]:
    """How many expected parts the fake has, and the channels still missing some."""
    seen_tokens = {s.token for s in view.seen()}
    done = 0
    pending: set[ChannelRef] = set()
    for key, count in expected.items():
        have = sum(1 for part in range(1, count + 1) if key.token(part) in seen_tokens)
        done += have
        if have < count:
            pending.add(key.channel)
    return done, pending


# --- the crash loop -------------------------------------------------------------------------


@dataclass
class CrashRun:
    """What one crash loop did."""

    kills: int = 0
    modes: dict[str, int] = field(default_factory=dict)
    held_kills: int = 0  # in-flight kills that landed while the fake held an answer
    out_at_kills: list[int] = field(default_factory=list)  # parts on the platform at each kill
    parts: int = 0  # parts expected in all
    ended_early: int = 0  # runs that finished before their kill came
    runs: int = 0
    final: list[Finished] = field(default_factory=list)
    seconds: float = 0.0


async def crash_loop(
    runner: Runner,
    args: Sequence[str],
    view: PlatformView,
    expected: Mapping[PostKey, int],
    plan: KillPlan,
    *,
    finish: Callable[[], bool],
) -> CrashRun:
    """Start `args`, SIGKILL it per `plan`, `plan.kills` times (fewer when a run ends by itself
    before its kill: it left nothing to interrupt), then run it to the end, and once more
    while `finish()` is False."""
    total = sum(expected.values())
    run = CrashRun(parts=total)
    started = time.monotonic()
    for index in range(plan.kills):
        done = progress(view, expected)[0]
        kill = plan.next(index, (total - done) / view.rate)
        landed: list[bool] = []
        arm = _holder(view, expected, plan.rng) if kill.mode == "in_flight" else None
        trigger = _trigger(kill, arm, landed)
        result = await runner.run_until(args, trigger)
        run.runs += 1
        if not result.killed:
            run.ended_early += 1
            if result.code != 0:
                raise AssertionError(
                    f"paperboy {' '.join(args)} failed ({result.code}):\n{result.tail()}"
                )
            break  # it did all it would do: there is nothing left to interrupt
        run.kills += 1
        run.out_at_kills.append(progress(view, expected)[0])
        run.modes[kill.mode] = run.modes.get(kill.mode, 0) + 1
        run.held_kills += bool(landed and landed[0])
    for _ in range(2):
        final = await runner.run(*args)
        run.runs += 1
        run.final.append(final)
        if final.code != 0:
            raise AssertionError(f"paperboy {' '.join(args)} exited {final.code}:\n{final.tail()}")
        if finish():
            break
    run.seconds = time.monotonic() - started
    return run


def _first_of(
    waits: Sequence[Callable[[float], Awaitable[bool]]],
) -> Callable[[float], Awaitable[bool]]:
    """One wait that is True as soon as any of `waits` is (each bounded by the timeout)."""

    async def first(timeout: float) -> bool:
        tasks = [asyncio.ensure_future(w(timeout)) for w in waits]
        try:
            for next_done in asyncio.as_completed(tasks):
                if await next_done:
                    return True
            return False
        finally:
            for task in tasks:
                task.cancel()

    return first


def _holder(
    view: PlatformView, expected: Mapping[PostKey, int], rng: random.Random
) -> Callable[[], Callable[[float], Awaitable[bool]] | None]:
    """Arms held answers on up to HELD_CHANNELS channels that still miss parts (None: all
    are out, there is nothing to hold)."""

    def arm() -> Callable[[float], Awaitable[bool]] | None:
        pending = sorted(progress(view, expected)[1], key=lambda r: r.key)
        if not pending:
            return None
        chosen = rng.sample(pending, min(HELD_CHANNELS, len(pending)))
        return _first_of([view.hold_next(ref) for ref in chosen])

    return arm


def _trigger(
    kill: Kill,
    arm: Callable[[], Callable[[float], Awaitable[bool]] | None] | None,
    landed: list[bool],
) -> Callable[[], Awaitable[None]]:
    """The wait before a kill: its delay, and in flight until the fake holds an answer."""

    async def wait() -> None:
        await asyncio.sleep(kill.delay)
        held = arm() if arm is not None else None
        if held is None:
            return
        landed.append(await held(kill.patience))
        await asyncio.sleep(kill.pause)

    return wait


def summary(case: str, view: PlatformView, scale: Scale, run: CrashRun, result: Tally) -> str:
    """The one-line report of a case."""
    modes = ", ".join(f"{m} {n}" for m, n in sorted(run.modes.items()))
    return (
        f"crash {view.platform} {case}: {scale.channels} channels, seed {scale.seed}: "
        f"{run.kills} kills ({modes or 'none'}; {run.held_kills} with an answer held), "
        f"parts out at each kill {run.out_at_kills} of {run.parts}; "
        f"{run.runs} runs ({run.ended_early} ended before its kill); "
        f"{result.posts} posts / {result.parts} parts checked: "
        f"lost {result.lost}, repeated {result.repeated}, misplaced {result.misplaced}, "
        f"unexpected {result.unexpected}, ledger not sent {result.not_sent}; "
        f"{run.seconds:.1f} s"
    )


def sent_everything(store_path: Path, expected: Mapping[PostKey, int]) -> Callable[[], bool]:
    """A `finish` check: the ledger shows every expected post sent."""

    def check() -> bool:
        store = Store(store_path)
        try:
            for key in expected:
                row = store.delivery(key.channel, key.kind, key.ref)
                if row is None or row["state"] != "sent":
                    return False
            return True
        finally:
            store.close()

    return check
