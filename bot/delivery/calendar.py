"""Calendar rules for digests: which Daily Papers day a digest covers, and when it next runs."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from bot.domain import WEEKDAYS

# Most of a day's papers are submitted 00:00-09:00 UTC (docs/reference/hugging-face.md §6). A digest
# posted before this hour (UTC) covers the previous day, whose list is complete, rather than a
# day that has barely started.
DAY_READY_HOUR_UTC = 12
# After downtime a digest catches up on at most this many missed days, in one post.
MAX_CATCH_UP_DAYS = 7

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
# Files of the zoneinfo database that are no place's time: `localtime` is the host's own zone
# (whatever machine paperboy runs on) and `posixrules` the rules for POSIX TZ strings (zic(8),
# https://man7.org/linux/man-pages/man8/zic.8.html); `Factory` is the tz database's placeholder
# for "zone not set", whose abbreviation is "-00" (https://github.com/eggert/tz/blob/main/factory).
NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})
# User input quoted back in an error is cut to this many characters.
SHOWN_CHARS = 40


def shown(text: str, limit: int = SHOWN_CHARS) -> str:
    """User input as an error quotes it: one line, in quotes, at most `limit` characters."""
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[:limit] + "…")


def parse_hhmm(text: str) -> time:
    """Parse a 24-hour `HH:MM`; raise ValueError with a readable message otherwise."""
    match = _HHMM.match(text.strip())
    if not match:
        raise ValueError(f"{shown(text)} is not a time; use 24-hour HH:MM, e.g. 09:30")
    return time(int(match.group(1)), int(match.group(2)))


@cache
def _zones() -> dict[str, str]:
    """Every real IANA zone name by its lower-case spelling."""
    return {name.lower(): name for name in available_timezones() - NOT_ZONES}


def timezone_names() -> list[str]:
    """Every IANA zone name a schedule accepts, sorted."""
    return sorted(_zones().values())


def parse_timezone(name: str) -> ZoneInfo:
    """An IANA time zone by name (case-insensitive); raise ValueError when it is not one."""
    cleaned = name.strip()
    if cleaned.upper() in {"UTC", "GMT", "Z"}:
        return ZoneInfo("UTC")
    found = _zones().get(cleaned.lower())
    if found is None:
        raise ValueError(f"unknown time zone {shown(name)}; use an IANA name such as Europe/Paris")
    return ZoneInfo(found)


def stored_zone(name: str) -> ZoneInfo:
    """A stored schedule's zone: one saved before a name was refused still runs."""
    try:
        return parse_timezone(name)
    except ValueError:
        return ZoneInfo(name)


def parse_weekday(text: str) -> int:
    """A weekday by name or a prefix of at least three letters (0 = Monday); ValueError."""
    word = text.strip().lower()
    if len(word) >= 3:
        for number, name in enumerate(WEEKDAYS):
            if name.startswith(word):
                return number
    raise ValueError(f"{shown(text, 20)} is not a weekday; use monday ... sunday")


def target_day(now: datetime) -> date:
    """The Daily Papers day that a digest posted at `now` covers."""
    utc_now = now.astimezone(UTC)
    if utc_now.hour >= DAY_READY_HOUR_UTC:
        return utc_now.date()
    return utc_now.date() - timedelta(days=1)


def days_to_cover(target: date, last_sent: date | None) -> list[date]:
    """Days a digest for `target` should cover, given the newest day already posted."""
    if last_sent is not None and last_sent >= target:
        return []
    if last_sent is None:
        return [target]
    first = max(last_sent + timedelta(days=1), target - timedelta(days=MAX_CATCH_UP_DAYS - 1))
    return [first + timedelta(days=i) for i in range((target - first).days + 1)]


def is_weekend(day: date) -> bool:
    """Saturday or Sunday, when Daily Papers is normally empty."""
    return day.weekday() >= 5


def next_run(
    digest_time: str, timezone: str, now: datetime, weekday: int | None = None
) -> datetime:
    """The next moment (aware, in the channel's zone) after `now` that `digest_time` occurs
    (on `weekday`, 0 = Monday, when given)."""
    zone = stored_zone(timezone)
    at = parse_hhmm(digest_time)
    local_now = now.astimezone(zone)
    day = local_now.date()
    if weekday is not None:
        day += timedelta(days=(weekday - day.weekday()) % 7)
    candidate = datetime.combine(day, at, tzinfo=zone)
    # Compared in UTC: two times in one zone compare by wall clock, ignoring which of a
    # repeated hour (the night clocks go back) each is.
    if candidate.astimezone(UTC) <= now.astimezone(UTC):
        step = 7 if weekday is not None else 1
        candidate = datetime.combine(day + timedelta(days=step), at, tzinfo=zone)
    return candidate


def previous_run(
    digest_time: str, timezone: str, now: datetime, weekday: int | None = None
) -> datetime:
    """The last moment (aware) at or before `now` that `digest_time` occurred in the zone
    (on `weekday`, when given)."""
    following = next_run(digest_time, timezone, now, weekday)
    back = timedelta(days=7 if weekday is not None else 1)
    zone = stored_zone(timezone)
    # Step back by calendar days in the zone, not by 24 h, across a DST change.
    local = following.astimezone(zone)
    return datetime.combine(local.date() - back, local.time(), tzinfo=zone)


def iso_week(day: date) -> str:
    """The ISO week of a day, as Hugging Face's `week=` parameter takes it: `2026-W48`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_days(week: str) -> list[date]:
    """Monday to Sunday of an ISO week `YYYY-Www`; raise ValueError when malformed."""
    year, _, number = week.partition("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    return [monday + timedelta(days=i) for i in range(7)]


def target_week(now: datetime) -> str:
    """The ISO week a weekly roll-up posted at `now` covers: the current week once its Friday
    list is complete (Daily Papers is mostly empty at weekends), else the previous one."""
    day = target_day(now)
    if day.weekday() >= 4:
        return iso_week(day)
    return iso_week(day - timedelta(days=day.weekday() + 1))
