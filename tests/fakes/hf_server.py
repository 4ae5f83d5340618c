"""A local fake of Hugging Face's `/api/daily_papers`, strict where HF is, scriptable for failures.

Serves like HF (docs/reference/hugging-face.md §2): `date=YYYY-MM-DD` (or a full timestamp), `limit`
1-100 (default 50, else 400), 0-based `p` (past the end → `[]`), invalid date → 400, a day
without papers → `[]`. Optionally strict about tokens (`tokens=`) and future dates (`today=`).

`week=YYYY-Www` (ISO week) serves the stored days of that Monday-Sunday one after another, in day
order, paged by `limit`/`p` the same way; an invalid week → 400, a week starting after `today`
→ 400 like a future date, and days after `today` within the week are not served. `month=YYYY-MM`
serves the stored days of that month the same way (invalid → 400, a month starting after
`today` → 400); with `month_edge_days=N` it serves the N days before the month first, as HF's
`month=` may include the previous month's last day (§2). The fake's entries are served as
stored: a week's or month's entries carry whatever `paper.submittedOnDailyAt` they were given
(`make_day` sets it to the day). Like any parameter combination HF's docs do not describe,
`date` with `week` or `month` is not refused: the fake ignores what it does not model (`sort`,
`submitter` …), so `date` wins, then `week`, then `month`.

Before normal service it answers from a queue of `Canned` responses (`script(...)`), and it
records every request it receives (`requests`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

DAILY_PAPERS_PATH = "/api/daily_papers"
DEFAULT_LIMIT = 50  # HF's default page size (§2)
MAX_LIMIT = 100  # HF's maximum page size (§2)
_FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_ISO_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})", re.ASCII)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)
_NORMAL = object()  # `Canned.json` default: no canned body, serve the day as usual


@dataclass(frozen=True)
class Canned:
    """One scripted response; with neither `json` nor `body` it serves normally after `delay`."""

    status: int = 200
    json: Any = _NORMAL
    body: str | bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "application/json"
    disconnect: bool = False

    @property
    def passthrough(self) -> bool:
        """True when this only delays (or drops) a normally served response."""
        return self.json is _NORMAL and self.body is None


def error(status: int = 500, message: str = "Internal Error") -> Canned:
    """An HF-style JSON error (`{"error": …}`) with any status."""
    return Canned(status=status, json={"error": message})


def rate_limited(t: int = 7, remaining: int = 0, quota: int = 500, window: int = 300) -> Canned:
    """A 429 with HF's IETF-draft `RateLimit` and `RateLimit-Policy` headers (§7)."""
    headers = {
        "RateLimit": f'"api";r={remaining};t={t}',
        "RateLimit-Policy": f'"fixed window";"api";q={quota};w={window}',
    }
    return Canned(status=429, json={"error": "Too Many Requests"}, headers=headers)


def retry_after(value: int | str = 3) -> Canned:
    """A 429 with only a `Retry-After` header (delta-seconds or an HTTP-date)."""
    return Canned(
        status=429, json={"error": "Too Many Requests"}, headers={"Retry-After": str(value)}
    )


def slow(seconds: float) -> Canned:
    """Serve normally, but only after `seconds` (longer than a client timeout to time it out)."""
    return Canned(delay=seconds)


def garbage(body: str = "<html><body>502 Bad Gateway</body></html>", status: int = 200) -> Canned:
    """A non-JSON body, by default an HTML page with a 200 (a misbehaving proxy)."""
    return Canned(status=status, body=body, content_type="text/html")


def json_body(value: Any, status: int = 200) -> Canned:
    """Any JSON value as the body, e.g. an object where HF sends an array."""
    return Canned(status=status, json=value)


def disconnect() -> Canned:
    """Close the connection without answering (a connection-level failure)."""
    return Canned(disconnect=True)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDictProxy[str]  # case-insensitive: `headers.get("authorization")`


class HFServer:
    """The fake HF API on 127.0.0.1 at a free port; use `async with HFServer(days) as hf:`."""

    def __init__(
        self,
        days: Mapping[date, list[dict[str, Any]]] | None = None,
        *,
        tokens: Iterable[str] | None = None,
        today: date | None = None,
        month_edge_days: int = 0,
    ) -> None:
        self.days: dict[date, list[dict[str, Any]]] = dict(days or {})
        self.tokens = set(tokens) if tokens is not None else None  # None: any token is fine
        self.today = today  # when set, later dates get a 400 like a future date
        self.month_edge_days = month_edge_days  # days before a month that `month=` also serves
        self.requests: list[RecordedRequest] = []
        self._script: deque[Canned] = deque()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port = 0

    @property
    def url(self) -> str:
        """Base URL to give the client, e.g. `http://127.0.0.1:54321`."""
        if self._runner is None:
            raise RuntimeError("HFServer is not started")
        return f"http://127.0.0.1:{self._port}"

    def add_day(self, day: date | str, entries: list[dict[str, Any]]) -> None:
        """Serve `entries` (raw HF entries, in order) for `day`."""
        self.days[date.fromisoformat(day) if isinstance(day, str) else day] = entries

    def script(self, *responses: Canned) -> None:
        """Queue canned responses; each request to the feed takes the next one first."""
        self._script.extend(responses)

    @property
    def scripted(self) -> int:
        """How many canned responses are still queued."""
        return len(self._script)

    def feed_requests(self) -> list[RecordedRequest]:
        """The recorded requests to `/api/daily_papers`."""
        return [r for r in self.requests if r.path == DAILY_PAPERS_PATH]

    async def start(self) -> str:
        """Start listening; return the base URL."""
        app = web.Application(middlewares=[self._record])
        app.router.add_get(DAILY_PAPERS_PATH, self._daily_papers)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self.url

    async def stop(self) -> None:
        """Stop listening; wake any delayed handler so shutdown is immediate."""
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> HFServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=CIMultiDictProxy(CIMultiDict(request.headers)),
            )
        )
        response: web.StreamResponse = await handler(request)
        return response

    async def _daily_papers(self, request: web.Request) -> web.StreamResponse:
        canned = self._script.popleft() if self._script else None
        if canned is not None:
            if canned.delay:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), canned.delay)
            if canned.disconnect and request.transport is not None:
                request.transport.close()
                return web.Response(status=500)
            if not canned.passthrough:
                return self._canned(canned)
        return self._serve(request)

    def _canned(self, canned: Canned) -> web.Response:
        body = json.dumps(canned.json) if canned.body is None else canned.body
        return web.Response(
            status=canned.status,
            body=body.encode() if isinstance(body, str) else body,
            headers=dict(canned.headers),
            content_type=canned.content_type,
        )

    def _serve(self, request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization")
        if self.tokens is not None and auth is not None:
            token = auth.removeprefix("Bearer ").strip()
            if not auth.startswith("Bearer ") or token not in self.tokens:
                return _error(401, "Invalid credentials in Authorization header")
        try:
            limit = int(request.query.get("limit", DEFAULT_LIMIT))
            page = int(request.query.get("p", 0))
        except ValueError:
            return _error(400, "limit and p must be integers")
        if not 1 <= limit <= MAX_LIMIT or page < 0:
            return _error(400, f"limit must be between 1 and {MAX_LIMIT}, p must be >= 0")
        raw = request.query.get("date")
        week = request.query.get("week")
        month = request.query.get("month")
        if raw is None and week is not None:
            return self._serve_week(week, limit, page)
        if raw is None and month is not None:
            return self._serve_month(month, limit, page)
        day = _parse_date(raw) if raw is not None else max(self.days, default=None)
        if day is None:
            return _error(400, f"Invalid date: {raw}") if raw is not None else web.json_response([])
        if self.today is not None and day > self.today:
            return _error(400, "Date cannot be in the future")
        entries = self.days.get(day, [])
        return web.json_response(entries[page * limit : (page + 1) * limit])

    def _serve_week(self, raw: str, limit: int, page: int) -> web.Response:
        """The stored days of ISO week `raw`, Monday to Sunday, as one paged list."""
        monday = _parse_week(raw)
        if monday is None:
            return _error(400, f"Invalid week: {raw}")
        if self.today is not None and monday > self.today:
            return _error(400, "Date cannot be in the future")
        return self._serve_days([monday + timedelta(days=n) for n in range(7)], limit, page)

    def _serve_month(self, raw: str, limit: int, page: int) -> web.Response:
        """The stored days of month `raw` (and `month_edge_days` before it) as one paged list."""
        first = _parse_month(raw)
        if first is None:
            return _error(400, f"Invalid month: {raw}")
        if self.today is not None and first > self.today:
            return _error(400, "Date cannot be in the future")
        start = first - timedelta(days=self.month_edge_days)
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        days = [start + timedelta(days=n) for n in range((following - start).days)]
        return self._serve_days(days, limit, page)

    def _serve_days(self, days: list[date], limit: int, page: int) -> web.Response:
        """The stored entries of `days` up to `today`, in day order, one page of them."""
        entries = [
            entry
            for day in days
            if self.today is None or day <= self.today
            for entry in self.days.get(day, [])
        ]
        return web.json_response(entries[page * limit : (page + 1) * limit])


def _parse_week(raw: str) -> date | None:
    """The Monday of an ISO week `YYYY-Www`, None when it is not one."""
    match = _ISO_WEEK.fullmatch(raw)
    if match is None:
        return None
    try:
        return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        return None


def _parse_month(raw: str) -> date | None:
    """The first day of a month `YYYY-MM`, None when it is not one."""
    match = _MONTH.fullmatch(raw)
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        return None


def _parse_date(raw: str) -> date | None:
    """`YYYY-MM-DD`, or a full `%Y-%m-%dT%H:%M:%S.%fZ` timestamp as HF also accepts."""
    try:
        if _FULL_DATE.fullmatch(raw):
            return date.fromisoformat(raw)
        return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S.%fZ").date()
    except ValueError:
        return None


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
