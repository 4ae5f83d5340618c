"""paperboy's Prometheus metrics, in a registry of their own (one per App): polls, papers,
posts, 429s, paused channels, command latency and fan-out duration."""

from __future__ import annotations

import logging
from collections import Counter as Tally
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder

from bot.delivery.deliverer import Outcome

if TYPE_CHECKING:
    from bot.domain import PostKey
    from bot.ports import Publisher, Repository
    from bot.service import PollReport

log = logging.getLogger(__name__)

POLL_OUTCOMES = ("ok", "partial", "failed")  # partial: some days could not be fetched
# The deliverer's outcomes as label values (`channel paused` -> `paused`).
POST_OUTCOMES = {o.value: o.name.lower() for o in Outcome}
# Slack wants an answer within 3 s; most commands take milliseconds.
COMMAND_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# One channel's alert takes a second; 10,000 Discord channels take a few minutes (48/s).
FAN_OUT_BUCKETS = (0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)


def poll_outcome(report: PollReport | None) -> str:
    """`ok`, `partial` (some days failed) or `failed` (every day, or the poll itself)."""
    if report is None or (report.errors and len(report.errors) >= len(report.days)):
        return "failed"
    return "partial" if report.errors else "ok"


class StoreCollector:
    """Papers stored and paused channels, read from the database at scrape time (0 for each
    platform that runs and has none paused)."""

    def __init__(self, repo: Repository, platforms: Sequence[str] = ()) -> None:
        self.repo = repo
        self.platforms = platforms

    def collect(self) -> Iterator[Metric]:
        """Two cheap reads; a database that cannot be read leaves these out of the scrape."""
        try:
            papers = self.repo.count_papers()
            paused = Tally(dict.fromkeys(self.platforms, 0))
            paused.update(c.channel.platform for c in self.repo.channels(paused=True))
            workspaces = Tally(dict.fromkeys(self.platforms, 0))
            workspaces.update(platform for platform, _ in self.repo.paused_workspaces())
        except Exception as exc:  # a locked or damaged file must not fail the whole scrape
            log.warning("metrics: cannot read the database (%s)", exc)
            return
        yield GaugeMetricFamily("paperboy_papers_stored", "Papers in the database.", papers)
        channels = GaugeMetricFamily(
            "paperboy_paused_channels", "Channels whose deliveries are paused.", labels=["platform"]
        )
        for platform, n in sorted(paused.items()):
            channels.add_metric([platform], n)
        yield channels
        spaces = GaugeMetricFamily(
            "paperboy_paused_workspaces",
            "Workspaces paused as a whole (a refused token), by platform.",
            labels=["platform"],
        )
        for platform, n in sorted(workspaces.items()):
            spaces.add_metric([platform], n)
        yield spaces


class RateLimitCollector:
    """The 429s each platform answered, as its publisher counted them."""

    def __init__(self, publishers: Mapping[str, Publisher]) -> None:
        self.publishers = publishers

    def collect(self) -> Iterator[Metric]:
        """One sample per platform whose publisher counts 429s (Slack by method, Discord in
        all)."""
        family = CounterMetricFamily(
            "paperboy_rate_limited",
            "429 answers from the platform, by platform.",
            labels=["platform"],
        )
        for platform, publisher in sorted(self.publishers.items()):
            counted = getattr(publisher, "rate_limited", None)
            if isinstance(counted, Mapping):
                counted = sum(counted.values())
            if isinstance(counted, int):
                family.add_metric([platform], counted)
        yield family


class Metrics:
    """The metrics one running paperboy exports; also the deliverer's observer."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.polls = Counter(
            "paperboy_polls",
            "Polls of the Daily Papers feed by the scheduler, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in POLL_OUTCOMES:
            self.polls.labels(outcome)
        self.posts = Counter(
            "paperboy_posts",
            "Posts handled by the deliverer, by platform, kind and outcome.",
            ["platform", "kind", "outcome"],
            registry=self.registry,
        )
        self.commands = Histogram(
            "paperboy_command_seconds",
            "Time to answer a command, by command.",
            ["command"],
            buckets=COMMAND_BUCKETS,
            registry=self.registry,
        )
        self.fan_outs = Histogram(
            "paperboy_fanout_seconds",
            "Time to deliver one fan-out (an alert round, a digest time's channels), by kind.",
            ["kind"],
            buckets=FAN_OUT_BUCKETS,
            registry=self.registry,
        )

    def watch_store(self, repo: Repository, platforms: Sequence[str] = ()) -> None:
        """Export what the database holds (read at each scrape), with zeros for `platforms`."""
        self.registry.register(StoreCollector(repo, platforms))

    def watch_publishers(self, publishers: Mapping[str, Publisher]) -> None:
        """Export the 429s the publishers count."""
        self.registry.register(RateLimitCollector(publishers))

    def polled(self, report: PollReport | None) -> None:
        """Count one poll (None: it raised)."""
        self.polls.labels(poll_outcome(report)).inc()

    def posted(self, key: PostKey, outcome: str) -> None:
        """Count one post's outcome."""
        label = POST_OUTCOMES.get(outcome, outcome)
        self.posts.labels(key.channel.platform, key.kind, label).inc()

    def fanned_out(self, kind: str, posts: int, seconds: float) -> None:
        """Time one fan-out."""
        self.fan_outs.labels(kind).observe(seconds)

    def command(self, name: str, seconds: float) -> None:
        """Time one command."""
        self.commands.labels(name).observe(seconds)

    def exposition(self, accept: str | None = None) -> tuple[bytes, str]:
        """The metrics in the format the scraper accepts (Prometheus text, or OpenMetrics),
        and its content type."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type
