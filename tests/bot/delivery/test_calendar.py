"""Calendar rules: target day, catch-up ranges, next run in a time zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from bot.delivery.calendar import (
    MAX_CATCH_UP_DAYS,
    days_to_cover,
    next_run,
    parse_hhmm,
    parse_timezone,
    parse_weekday,
    previous_run,
    target_day,
    timezone_names,
)
from tests.helpers import at


def test_digest_after_noon_utc_covers_today() -> None:
    assert target_day(at("2026-11-25 17:00")) == date(2026, 11, 25)


def test_digest_before_noon_utc_covers_yesterday() -> None:
    assert target_day(at("2026-11-25 08:00")) == date(2026, 11, 24)


def test_morning_in_tokyo_covers_the_previous_utc_day() -> None:
    tokyo_nine = next_run("09:00", "Asia/Tokyo", at("2026-11-25 12:00"))
    assert target_day(tokyo_nine) == date(2026, 11, 25)  # 00:00 UTC on the 26th


def test_afternoon_in_los_angeles_covers_the_same_utc_day() -> None:
    la = next_run("09:00", "America/Los_Angeles", at("2026-11-25 12:00"))
    assert la.astimezone(at("2026-11-25 00:00").tzinfo).hour == 17
    assert target_day(la) == date(2026, 11, 25)


def test_first_digest_covers_only_the_target_day() -> None:
    assert days_to_cover(date(2026, 11, 25), None) == [date(2026, 11, 25)]


def test_day_already_posted_is_not_covered_again() -> None:
    assert days_to_cover(date(2026, 11, 25), date(2026, 11, 25)) == []


def test_missed_days_are_covered_in_one_range() -> None:
    assert days_to_cover(date(2026, 11, 25), date(2026, 11, 22)) == [
        date(2026, 11, 23),
        date(2026, 11, 24),
        date(2026, 11, 25),
    ]


def test_catch_up_is_bounded() -> None:
    days = days_to_cover(date(2026, 11, 25), date(2026, 10, 1))
    assert len(days) == MAX_CATCH_UP_DAYS
    assert days[-1] == date(2026, 11, 25)


def test_next_run_is_later_today_or_tomorrow() -> None:
    assert next_run("16:00", "UTC", at("2026-11-25 15:00")) == at("2026-11-25 16:00")
    assert next_run("09:00", "UTC", at("2026-11-25 15:00")) == at("2026-11-26 09:00")
    assert previous_run("09:00", "UTC", at("2026-11-25 15:00")) == at("2026-11-25 09:00")


def test_next_run_follows_daylight_saving() -> None:
    # Europe/Paris leaves summer time on 2026-10-25: 09:00 local is 07:00 UTC, then 08:00 UTC.
    before = next_run("09:00", "Europe/Paris", at("2026-10-23 12:00"))
    after = next_run("09:00", "Europe/Paris", at("2026-10-25 12:00"))
    assert before.astimezone(at("2026-01-01 00:00").tzinfo).hour == 7
    assert after.astimezone(at("2026-01-01 00:00").tzinfo).hour == 8


@pytest.mark.parametrize("text", ["9:5", "24:00", "12:60", "noon", "", "09:00:00"])
def test_bad_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_hhmm(text)


def test_time_zones_are_case_insensitive() -> None:
    assert str(parse_timezone("europe/paris")) == "Europe/Paris"
    assert str(parse_timezone("utc")) == "UTC"


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        parse_timezone("Mars/Olympus")


def test_next_and_previous_run_are_right_in_the_hour_clocks_go_back() -> None:
    from bot.delivery.calendar import previous_run

    now = datetime(2026, 11, 1, 6, 15, tzinfo=UTC)  # 01:15 EST, the second 01:xx of the night
    upcoming = next_run("01:30", "America/New_York", now)
    assert upcoming.astimezone(UTC) > now
    last = previous_run("01:30", "America/New_York", now)
    assert last.astimezone(UTC) <= now
    assert last.date() == date(2026, 11, 1)  # today's 01:30 (EDT) has passed


@pytest.mark.parametrize("name", ["localtime", "posixrules", "Factory", "factory", "LOCALTIME"])
def test_zoneinfo_files_that_are_no_place_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        parse_timezone(name)


@pytest.mark.parametrize("name", ["posix/Europe/Paris", "right/UTC", "../zoneinfo/UTC"])
def test_a_path_into_the_zone_database_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        parse_timezone(name)


def test_the_zones_offered_are_real_places_only() -> None:
    names = timezone_names()
    assert "Europe/Paris" in names and "America/Argentina/Buenos_Aires" in names
    assert not {"localtime", "posixrules", "Factory"} & set(names)


@pytest.mark.parametrize(
    ("parse", "word"),
    [(parse_timezone, "Mars/" + "x" * 1074), (parse_hhmm, "9" * 1074), (parse_weekday, "z" * 900)],
)
def test_a_refusal_quotes_long_input_clipped(parse: Callable[[str], object], word: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse(word)
    message = str(refused.value)
    assert len(message) < 120 and "…" in message


def test_a_schedule_stored_with_a_zone_now_refused_still_runs() -> None:
    upcoming = next_run("09:00", "localtime", at("2026-11-25 12:00"))
    assert upcoming > at("2026-11-25 12:00")
