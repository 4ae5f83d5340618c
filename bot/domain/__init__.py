"""Domain objects shared by every layer: papers, channels, subscriptions, digests, replies."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

HF_PAPER_URL = "https://huggingface.co/papers/{id}"
ARXIV_ABS_URL = "https://arxiv.org/abs/{id}"
ARXIV_PDF_URL = "https://arxiv.org/pdf/{id}"

CONSOLE_CHANNEL_KEY = "console:local:terminal"
# A click's confirmation names the click its Undo button takes back: `Reply.extra[UNDO_EXTRA]`.
UNDO_EXTRA = "undo"
# A More like this confirmation offers an alert on papers like the paper it names:
# `Reply.extra[LIKE_EXTRA]` is the paper's arXiv id.
LIKE_EXTRA = "like"
# A direct-message channel's `channel` part is the person's id after this (never a real id).
DIRECT_PREFIX = "@"


class DatabaseDamaged(Exception):
    """The archive's file is damaged; the message names the file and how to repair it."""


@dataclass(frozen=True)
class Paper:
    """One paper as it appeared on Hugging Face Daily Papers."""

    id: str
    title: str
    summary: str
    authors: tuple[str, ...]
    upvotes: int
    comments: int
    day: date
    published_at: datetime | None = None
    ai_summary: str | None = None
    ai_keywords: tuple[str, ...] = ()
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    organization: str | None = None
    thumbnail: str | None = None

    def texts(self) -> tuple[str, str, str, str]:
        """What search and alerts read, in `bot.domain.query.TEXTS` order."""
        return (self.title, self.summary, ", ".join(self.authors), ", ".join(self.ai_keywords))

    @property
    def url(self) -> str:
        """The paper's Hugging Face page."""
        return HF_PAPER_URL.format(id=self.id)

    @property
    def arxiv_url(self) -> str:
        """The paper's arXiv abstract page."""
        return ARXIV_ABS_URL.format(id=self.id)

    @property
    def pdf_url(self) -> str:
        """The paper's arXiv PDF."""
        return ARXIV_PDF_URL.format(id=self.id)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict for `--json` output."""
        return {
            "id": self.id,
            "title": self.title,
            "upvotes": self.upvotes,
            "comments": self.comments,
            "day": self.day.isoformat(),
            "url": self.url,
            "arxiv_url": self.arxiv_url,
            "authors": list(self.authors),
            "summary": self.summary,
            "ai_summary": self.ai_summary,
            "ai_keywords": list(self.ai_keywords),
            "github_repo": self.github_repo,
            "github_stars": self.github_stars,
            "project_page": self.project_page,
            "organization": self.organization,
            "published_at": self.published_at.isoformat() if self.published_at else None,
        }


@dataclass(frozen=True)
class UpsertResult:
    """What storing a batch of papers changed: papers seen for the first time, counts moved."""

    new: tuple[Paper, ...]
    updated: int


@dataclass(frozen=True)
class ChannelRef:
    """Where a message goes: a channel on a platform, inside a workspace (team or guild)."""

    platform: str
    workspace: str
    channel: str

    @property
    def key(self) -> str:
        """The stable `platform:workspace:channel` key used in storage and the CLI."""
        return f"{self.platform}:{self.workspace}:{self.channel}"

    @classmethod
    def parse(cls, key: str) -> ChannelRef:
        """Parse a `platform:workspace:channel` key; raise ValueError when it is malformed."""
        parts = key.split(":")
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise ValueError(
                f"channel key {key!r} must look like platform:workspace:channel, "
                f"e.g. {CONSOLE_CHANNEL_KEY}"
            )
        return cls(*(p.strip() for p in parts))


class Layout(StrEnum):
    """How a channel's digests, roll-ups and alerts are laid out."""

    COMPACT = "compact"  # a ranked list in the channel, details in its thread
    FULL = "full"  # every paper's card in the channel


class Action(StrEnum):
    """What a reader can do with a paper of a post (a button, or the command of that name)."""

    SAVE = "save"  # onto the channel's reading list
    NOT_RELEVANT = "not-relevant"  # rank papers like it a little lower here
    MORE_LIKE = "more-like"  # rank papers like it a little higher here


class WeekendPolicy(StrEnum):
    """What a digest does on a day without Daily Papers."""

    SKIP = "skip"
    NOTICE = "notice"


@dataclass(frozen=True)
class ChannelSettings:
    """A channel paperboy knows, and its delivery health."""

    channel: ChannelRef
    paused: bool = False
    paused_reason: str | None = None
    failures: int = 0


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Schedule:
    """When and how a channel gets one kind of timed post (the daily digest, the weekly
    roll-up)."""

    channel: ChannelRef
    kind: str
    enabled: bool = False
    time: str = "09:00"
    timezone: str = "UTC"
    weekday: int = 0  # 0 = Monday; for weekly kinds
    size: int = 10
    min_upvotes: int = 0
    weekends: WeekendPolicy = WeekendPolicy.SKIP
    enabled_at: datetime | None = None  # no post covers time before this
    # A query (search's language): only the papers it matches are ranked. Set on the daily
    # digest's schedule (`digest filter`), it applies to the channel's weekly roll-up too.
    filter: str | None = None
    # Set on the daily digest's row, for the whole channel (digests, roll-ups and alerts).
    layout: Layout = Layout.COMPACT
    # A paper of a posted digest's days that reaches this many upvotes gets a "late climber"
    # reply in the digest's thread (besides papers that climb into its top N); None: only those.
    climbers: int | None = None


@dataclass(frozen=True)
class Subscription:
    """A channel's standing keyword alert."""

    id: int
    channel: ChannelRef
    query: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class SearchHit:
    """A paper found by a search, with a snippet around the match."""

    paper: Paper
    snippet: str | None = None
    score: float = 0.0


@dataclass(frozen=True)
class Digest:
    """The top papers of one or more Daily Papers days, ready to post to one channel."""

    channel: ChannelRef
    days: tuple[date, ...]
    papers: tuple[Paper, ...]
    notice: str | None = None
    title: str = "Daily Papers"  # what the post is called ("Weekly top papers" for a roll-up)
    period: str | None = None  # a named period it covers instead of days, e.g. "2026-W48"
    layout: Layout = Layout.COMPACT

    @property
    def day(self) -> date:
        """The newest day the digest covers."""
        return self.days[-1]

    @property
    def is_catch_up(self) -> bool:
        """True when a daily digest covers days missed during downtime."""
        return self.period is None and len(self.days) > 1


@dataclass(frozen=True)
class Alert:
    """A new paper that matched one or more of a channel's subscriptions."""

    channel: ChannelRef
    paper: Paper
    matched: tuple[str, ...]
    layout: Layout = Layout.COMPACT
    # The matching subscriptions' ids, in the order of `matched` (its "Notify me too" button
    # follows them); empty for an alert stored before alerts named them.
    subscriptions: tuple[int, ...] = ()
    # Why a "papers like these" alert matched: "similar to 2401.12345, score 0.42".
    why: str | None = None


@dataclass(frozen=True)
class Interest:
    """A person's own alert, made in a channel: its matches reach them by direct message.

    Made with "Notify me too" on an alert (it follows that channel subscription, whose query it
    keeps) or with `mine subscribe <query>`. Private to its owner.
    """

    id: int
    channel: ChannelRef  # where it was made: its workspace, and the fallback's channel
    user: str
    query: str
    created_at: datetime
    subscription: int | None = None  # the channel subscription it follows
    muted: bool = False


def direct_channel(platform: str, workspace: str, user: str) -> ChannelRef:
    """The ledger's channel for a person's direct messages (`slack:T1:@U2`)."""
    return ChannelRef(platform, workspace, f"{DIRECT_PREFIX}{user}")


def direct_user(ref: ChannelRef) -> str | None:
    """The person a direct-message channel reaches, or None for a real channel."""
    return ref.channel[len(DIRECT_PREFIX) :] if ref.channel.startswith(DIRECT_PREFIX) else None


@dataclass(frozen=True)
class DirectMessage:
    """A new paper that matched a person's interests, sent to them privately."""

    channel: ChannelRef  # `direct_channel(...)` of the person
    user: str
    paper: Paper
    matched: tuple[str, ...]  # the interests' queries
    origin: ChannelRef  # where the (first) matching interest was made
    why: str | None = None


@dataclass(frozen=True)
class Mention:
    """A direct message the platform refused (the person takes none from paperboy), sent
    instead as a mention of them in the channel's alert thread (top level without one)."""

    channel: ChannelRef  # the interest's channel
    user: str
    paper: Paper
    matched: tuple[str, ...]
    thread: str | None  # the platform id of the channel's alert for the paper, if it has one
    why: str | None = None


@dataclass(frozen=True)
class DigestEdit:
    """A new version of a posted digest: its channel message (part 1) is edited in place."""

    channel: ChannelRef
    digest: Digest  # the digest as it reads now (same days, title and layout)
    of: PostKey  # the posted digest's own ledger key (its Slack metadata names it)
    message_id: str  # the platform id of the posted digest's part 1
    version: int  # 1 for the first edit


@dataclass(frozen=True)
class Climber:
    """A paper that climbed into a posted digest (or past the channel's threshold) after it
    was posted: one reply in the digest's thread."""

    channel: ChannelRef
    paper: Paper
    thread: str  # the platform id of the posted digest's part 1
    reason: str  # "now #3 in this digest", "passed 50 upvotes"
    digest_title: str  # "Daily Papers", "Weekly top papers"
    digest_days: tuple[date, ...] = ()
    digest_period: str | None = None


@dataclass(frozen=True)
class Click:
    """A reader's click on a paper of a post (or the command of the same name)."""

    id: int
    channel: ChannelRef  # where the post was
    user: str  # who clicked, as the platform names them (with their workspace when foreign)
    paper_id: str
    action: Action
    at: datetime


@dataclass(frozen=True)
class Notice:
    """A message from paperboy about the channel itself (why its deliveries paused)."""

    channel: ChannelRef
    title: str
    text: str

    def as_reply(self) -> Reply:
        """The notice as a public reply, which every renderer knows how to lay out."""
        return Reply(text=self.text, title=self.title, ephemeral=False)


# Every post a chat platform accepts from paperboy.
Post = Digest | Alert | Notice | DigestEdit | Climber | DirectMessage | Mention

# Slack message metadata `event_type` of paperboy's posts (how a crashed post is found again).
POST_EVENT_TYPE = "paperboy_post"
# Discord's nonce is at most 25 characters.
TOKEN_LENGTH = 25


@dataclass(frozen=True)
class PostKey:
    """A post's identity in the deliveries ledger: one (channel, kind, ref) is posted once."""

    channel: ChannelRef
    kind: str
    ref: str

    def token(self, part: int = 1) -> str:
        """A stable id of one message of this post (Slack metadata, Discord nonce): the
        same for every attempt, at most 25 characters."""
        raw = f"{self.channel.key}\x1f{self.kind}\x1f{self.ref}\x1f{part}".encode()
        return "pb" + hashlib.sha256(raw).hexdigest()[: TOKEN_LENGTH - 2]


@dataclass(frozen=True)
class LedgerEntry:
    """One post in the deliveries ledger, as a deliverer takes it over to send or finish."""

    key: PostKey
    state: str
    attempts: int = 0
    parts_sent: int = 0
    first_id: str | None = None
    thread_id: str | None = None
    # A request for the next part may have reached the platform without its answer being
    # recorded (a crash, a timeout): ask the platform before sending it again.
    uncertain: bool = False
    in_flight_since: datetime | None = None
    payload: str | None = None  # the post's content as its kind stored it (JSON)
    error: str | None = None
    claimed_at: datetime | None = None  # when the last attempt began
    sent_at: datetime | None = None  # when it was wholly sent


@dataclass(frozen=True)
class Invocation:
    """Who ran a command, and where."""

    channel: ChannelRef
    user: str
    can_manage: bool = True  # may change the channel's digest and subscriptions
    operator: bool = False  # the person running paperboy (CLI, console): sees every channel


@dataclass(frozen=True)
class Reply:
    """A platform-neutral answer to a command; adapters render it."""

    text: str
    hits: tuple[SearchHit, ...] = ()
    ephemeral: bool = True
    ok: bool = True
    title: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict for `--json` output."""
        return {
            "ok": self.ok,
            "title": self.title,
            "text": self.text,
            "ephemeral": self.ephemeral,
            "papers": [{**h.paper.as_json(), "snippet": h.snippet} for h in self.hits],
            **({"extra": self.extra} if self.extra else {}),
        }


# One tokenizer for both paths: SQLite FTS5 indexes with it (search) and bot.query.text
# tokenizes with it (alert matching), so a query finds in search exactly what it would alert on.
FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"
