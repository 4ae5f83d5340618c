"""The Daily Papers client: paging, retries, rate limits (docs/reference/hugging-face.md)."""

from __future__ import annotations

import asyncio
import json
import logging
import random as _random
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType

import httpx

from bot.domain import Paper
from bot.feed.parse import FeedError, UndatedEntries, fold, normalize_id, parse_entries

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://huggingface.co"
DAILY_PAPERS_PATH = "/api/daily_papers"
PAGE_SIZE = 100  # the API's maximum `limit` (§2); its default of 50 silently truncates (§3)
MAX_PAGES = 20  # safety cap: 2,000 papers a day is ~30x the busiest day seen
MAX_MONTH_PAGES = 100  # the same for `month=`: 10,000 papers, ~6x the busiest month (~1,500)
# A `month=` answer may bring papers of the days just before the month: HF's own test accepts
# the previous month's last day (§2), and its weeks bring the Friday before, so a month that
# starts on a weekend or a Monday may bring that Friday. Kept, on their own days; anything else
# outside the month means the answer is not that month's.
MONTH_EDGE_DAYS = 3
BACKOFF_BASE = 2.0  # seconds; 5xx/timeouts back off 2, 4, 8 … (§7), with full jitter
BACKOFF_CAP = 300.0  # "up to 5 minutes" (§7)
RATE_LIMIT_DEFAULT_WAIT = 60.0  # a 429 without RateLimit or Retry-After headers
RATE_LIMIT_MAX_WAIT = 300.0  # one 5-minute HF rate-limit window (§7); longer asks re-ask
RATE_LIMIT_MIN_WAIT = 1.0  # never spin on `t=0`
NOT_YET_STATUSES = frozenset({400, 404, 422})  # how HF may refuse a future date (§5)
_RETRYABLE = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
_T_PARAM = re.compile(r";\s*t\s*=\s*([0-9]+(?:\.[0-9]+)?)")
_ISO_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})", re.ASCII)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)


def user_agent() -> str:
    """The descriptive User-Agent paperboy sends to Hugging Face."""
    try:
        release = version("paperboy-bot")
    except PackageNotFoundError:
        release = "0.1.0"
    return f"paperboy/{release} (+https://github.com/paperboy-bot/paperboy)"


def week_days(week: str) -> tuple[date, date]:
    """(Monday, Sunday) of an ISO week `YYYY-Www`; ValueError for anything else."""
    match = _ISO_WEEK.fullmatch(week)
    if match is None:
        raise ValueError(f"not an ISO week (YYYY-Www): {week[:40]!r}")
    monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    return monday, monday + timedelta(days=6)


def month_days(month: str) -> tuple[date, date]:
    """(first, last) day of a month `YYYY-MM`; ValueError for anything else."""
    match = _MONTH.fullmatch(month)
    if match is None:
        raise ValueError(f"not a month (YYYY-MM): {month[:40]!r}")
    first = date(int(match.group(1)), int(match.group(2)), 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def rate_limit_wait(headers: Mapping[str, str], now: datetime) -> float:
    """Seconds a 429 asks us to wait: `RateLimit: …;t=N`, then `Retry-After`, else 60 s."""
    lowered = {key.lower(): value for key, value in headers.items()}
    waits = _ratelimit_t(lowered.get("ratelimit", ""))
    if waits is None:
        waits = _retry_after(lowered.get("retry-after", ""), now)
    if waits is None:
        return RATE_LIMIT_DEFAULT_WAIT
    return min(max(waits, RATE_LIMIT_MIN_WAIT), RATE_LIMIT_MAX_WAIT)


def _ratelimit_t(value: str) -> float | None:
    """`t=` of the IETF draft `RateLimit` header, preferring HF's "api" policy."""
    found: dict[str, float] = {}
    for item in value.split(","):
        match = _T_PARAM.search(item)
        if match:
            found[item.split(";", 1)[0].strip().strip('"')] = float(match.group(1))
    return found.get("api", max(found.values(), default=0.0)) if found else None


def _retry_after(value: str, now: datetime) -> float | None:
    """`Retry-After` as delta-seconds or an HTTP-date."""
    value = value.strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)


class FeedClient:
    """Fetches whole Daily Papers days from the Hugging Face API."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        token: str | None = None,
        timeout: float = 30.0,
        max_attempts: int = 5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        random: Callable[[], float] = _random.random,
        *,
        max_rate_limit_waits: int = 5,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if max_attempts < 1 or max_rate_limit_waits < 0:
            raise ValueError("max_attempts must be >= 1 and max_rate_limit_waits >= 0")
        self._url = base_url.rstrip("/") + DAILY_PAPERS_PATH
        self._headers = {"User-Agent": user_agent(), "Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._max_rate_limit_waits = max_rate_limit_waits
        self._sleep = sleep
        self._random = random
        self._clock = clock
        if client is not None and transport is not None:
            raise ValueError("pass either client or transport, not both")
        self._owns_client = client is None
        self._client = (
            client
            if client is not None
            else httpx.AsyncClient(transport=transport, follow_redirects=True)
        )

    async def __aenter__(self) -> FeedClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this FeedClient created it."""
        if self._owns_client:
            await self._client.aclose()

    async def fetch_day(self, day: date) -> list[Paper]:
        """Every paper of one Daily Papers day, paging until a short page; [] for future days."""
        if isinstance(day, datetime):
            day = day.date()
        papers: dict[str, Paper] = {}
        for page in range(MAX_PAGES):
            result = await self._fetch_page({"date": day.isoformat()}, page, day, day)
            if result is None:
                return []
            size, parsed = result
            for paper in parsed:
                papers.setdefault(paper.id, paper)  # a paper can slide across a page boundary
            if size < PAGE_SIZE:
                return list(papers.values())
        log.warning("Daily Papers %s: stopped after %d pages of %d", day, MAX_PAGES, PAGE_SIZE)
        return list(papers.values())

    async def fetch_week(self, week: str) -> list[Paper] | None:
        """Every paper of an ISO week (`2026-W48`), each on its own day; None: ask day by day."""
        # One `week=` request per 100 papers instead of seven `date=` days. A paper's day is the
        # UTC date of its `paper.submittedOnDailyAt` (what `date=` matches, §2). When an entry
        # lacks a usable one (2024 payloads), or one falls outside Monday-Sunday (§2: HF's week
        # edges are fuzzy), or the page cap is hit, the answer cannot be bucketed without
        # guessing: None. [] is a week without papers, or one starting after today (HF refuses
        # future dates, §5). Failures and malformed bodies raise FeedError, as in `fetch_day`.
        monday, sunday = week_days(week)
        return await self._fetch_span(
            "week",
            week,
            monday,
            sunday,
            kept_from=monday,
            max_pages=MAX_PAGES,
            fallback="use day requests",
        )

    async def fetch_month(self, month: str) -> list[Paper] | None:
        """Every paper of a month (`2025-10`), each on its own day; None: ask in smaller spans."""
        # As `fetch_week`, one `month=` request per 100 papers instead of ~30 `date=` days, each
        # paper on the UTC date of its `submittedOnDailyAt`, None when an entry has none (2024
        # payloads) or the page cap is hit. HF's month edges are fuzzy (§2): papers of the
        # MONTH_EDGE_DAYS days before the month are returned too, on their own (correct) days;
        # they are not that day's whole list, so the caller must not count those days as
        # fetched (`Paperboy.poll_month` records only the month's days). A paper on any other
        # day outside the month (after it, or earlier) means the answer is not the month asked
        # for (an API that ignores `month=` answers its latest day): None, never a guess.
        first, last = month_days(month)
        return await self._fetch_span(
            "month",
            month,
            first,
            last,
            kept_from=first - timedelta(days=MONTH_EDGE_DAYS),
            max_pages=MAX_MONTH_PAGES,
            fallback="use smaller requests",
        )

    async def _fetch_span(
        self,
        param: str,
        value: str,
        first: date,
        last: date,
        *,
        kept_from: date,
        max_pages: int,
        fallback: str,
    ) -> list[Paper] | None:
        """The papers of a paged `week=` or `month=` answer, dated by their entries; papers from
        `kept_from` to `last` are returned, any other day (or an undated entry) gives None."""
        papers: dict[str, Paper] = {}
        for page in range(max_pages):
            try:
                result = await self._fetch_page({param: value}, page, first, None)
            except UndatedEntries as exc:
                log.warning(
                    "Daily Papers %s %s, page %d: %s; %s", param, value, page, exc, fallback
                )
                return None
            if result is None:
                return []
            size, parsed = result
            for paper in parsed:
                if not kept_from <= paper.day <= last:
                    log.warning(
                        "Daily Papers %s %s: %s is on %s, outside the %s; %s",
                        param,
                        value,
                        paper.id,
                        paper.day,
                        param,
                        fallback,
                    )
                    return None
                papers.setdefault(paper.id, paper)  # a paper can slide across a page boundary
            if size < PAGE_SIZE:
                return list(papers.values())
        log.warning(
            "Daily Papers %s %s: stopped after %d pages of %d; %s",
            param,
            value,
            max_pages,
            PAGE_SIZE,
            fallback,
        )
        return None

    async def _fetch_page(
        self, query: Mapping[str, str], page: int, first_day: date, day: date | None
    ) -> tuple[int, list[Paper]] | None:
        """(raw entry count, papers) of one `query` page; None: `first_day` is not there yet."""
        # `query` selects the papers (`date=`, `week=` or `month=`); `day=None` takes each
        # paper's day from its entry (`parse_entries`), which raises UndatedEntries when it
        # cannot.
        params = {**query, "limit": str(PAGE_SIZE), "p": str(page)}
        where = f"{self._url}?{'&'.join(f'{k}={v}' for k, v in query.items())}&p={page}"
        failures = rate_limited = 0
        while True:
            try:
                response = await self._client.get(
                    self._url, params=params, headers=self._headers, timeout=self._timeout
                )
            except _RETRYABLE as exc:
                failures += 1
                reason = f"{type(exc).__name__}: {fold(str(exc))[:200]}".rstrip(": ")
            except httpx.HTTPError as exc:
                raise FeedError(f"GET {where}: {type(exc).__name__}: {fold(str(exc))}") from exc
            else:
                status = response.status_code
                if status == 429:
                    rate_limited += 1
                    if rate_limited > self._max_rate_limit_waits:
                        raise FeedError(f"GET {where}: still HTTP 429 after {rate_limited} waits")
                    wait = rate_limit_wait(response.headers, self._clock())
                    log.warning("GET %s: 429 rate limited, waiting %.0f s", where, wait)
                    await self._sleep(wait)
                    continue
                if status < 500:
                    return self._read(response, first_day, day, where)
                failures += 1
                reason = f"HTTP {status}"
            if failures >= self._max_attempts:
                raise FeedError(f"GET {where}: gave up after {failures} attempts, last: {reason}")
            delay = min(max(self._random(), 0.0), 1.0) * min(
                BACKOFF_CAP, BACKOFF_BASE * 2 ** (failures - 1)
            )
            log.warning("GET %s: %s; retry %d in %.1f s", where, reason, failures, delay)
            await self._sleep(delay)

    def _read(
        self, response: httpx.Response, first_day: date, day: date | None, where: str
    ) -> tuple[int, list[Paper]] | None:
        status = response.status_code
        if status in NOT_YET_STATUSES and first_day > self._clock().astimezone(UTC).date():
            log.info(
                "GET %s: %s is in the future (HTTP %d): no papers yet", where, first_day, status
            )
            return None
        if not 200 <= status < 300:
            hint = " (check HF_TOKEN)" if status in (401, 403) else ""
            detail = fold(response.text)[:200]
            raise FeedError(f"GET {where}: HTTP {status}{hint}: {detail or '(empty body)'}")
        try:
            data = json.loads(response.content)
        except (ValueError, RecursionError) as exc:
            kind = response.headers.get("content-type", "no content-type")
            problem = f"body is not JSON ({kind}): {fold(str(exc))[:200] or type(exc).__name__}"
        else:
            try:
                return (len(data) if isinstance(data, list) else 0), parse_entries(data, day)
            except FeedError as exc:
                problem = fold(str(exc))[:300]
        log.error("rejecting Daily Papers response from %s: %s", where, problem)
        raise FeedError(f"GET {where}: malformed response: {problem}")


__all__ = [
    "DEFAULT_BASE_URL",
    "FeedClient",
    "FeedError",
    "fold",
    "month_days",
    "normalize_id",
    "parse_entries",
    "rate_limit_wait",
    "user_agent",
    "week_days",
]
