"""Reading a similarity alert's seeds: `like 2401.12345 2402.00001`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.similarity.seeds import (
    MAX_SEEDS,
    SeedError,
    asks_like,
    is_like,
    like_text,
    parse_like,
)


def test_like_takes_ids_in_order_without_versions_or_repeats() -> None:
    assert parse_like("like 2401.12345v2, 2402.00001 2401.12345") == ("2401.12345", "2402.00001")


def test_only_an_unquoted_leading_like_asks_for_a_similarity_alert() -> None:
    assert asks_like("LIKE 2401.12345") and asks_like("like") and asks_like("like humans")
    assert not asks_like('"like" humans') and not asks_like("unlike 2401.12345")
    assert not asks_like("")


def test_a_stored_alert_is_a_similarity_alert_only_with_readable_seeds() -> None:
    # `like humans`, stored as a keyword alert before `like` meant seeds, stays one.
    assert is_like("like 2401.12345") and not is_like("like humans") and not is_like("like")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("like", "at least one"),
        ("like attention", "`attention` is not an arXiv id"),
        ("like " + " ".join(f"2401.{i:05d}" for i in range(MAX_SEEDS + 1)), "at most"),
    ],
)
def test_bad_seeds_say_how_to_write_them(text: str, says: str) -> None:
    with pytest.raises(SeedError, match=says):
        parse_like(text)


@given(st.lists(st.integers(0, 99_999).map(lambda n: f"2501.{n:05d}"), min_size=1, max_size=10))
def test_the_stored_text_reads_back_as_the_same_seeds(ids: list[str]) -> None:
    seeds = parse_like(like_text(tuple(dict.fromkeys(ids))))
    assert seeds == tuple(dict.fromkeys(ids))
    assert like_text(seeds) == like_text(parse_like(like_text(seeds)))
