"""Clicks and the reading list on a real SQLite file: once per (channel, user, paper, action),
opposites replace each other, undo takes back only the user's own click."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from bot.domain import Action, ChannelRef
from storage.store import Store
from tests.helpers import at, make_paper

CH = ChannelRef("slack", "T1", "C1")
OTHER = ChannelRef("slack", "T1", "C2")
NOW = at("2026-11-25 15:00")
A, B, C = "2411.00001", "2411.00002", "2411.00003"


def _seed(store: Store) -> Store:
    store.upsert_papers([make_paper(p, "2026-11-25", title=f"Title {p}") for p in (A, B, C)], NOW)
    return store


def test_a_double_click_is_stored_once_and_returns_the_first(store: Store) -> None:
    first, new = store.record_click(CH, "U1", A, Action.SAVE, NOW)
    again, repeat = store.record_click(CH, "U1", A, Action.SAVE, NOW + timedelta(seconds=3))
    assert new and not repeat
    assert again == first and again.at == NOW
    assert store.clicks(CH) == [first]


def test_clicks_of_other_users_actions_and_channels_are_their_own(store: Store) -> None:
    store.record_click(CH, "U1", A, Action.SAVE, NOW)
    store.record_click(CH, "U2", A, Action.SAVE, NOW)
    store.record_click(CH, "U1", A, Action.MORE_LIKE, NOW)
    store.record_click(OTHER, "U1", A, Action.SAVE, NOW)
    assert len(store.clicks(CH)) == 3
    assert [c.channel for c in store.clicks(OTHER)] == [OTHER]


def test_not_relevant_replaces_more_like_and_the_other_way_round(store: Store) -> None:
    liked, _ = store.record_click(CH, "U1", A, Action.MORE_LIKE, NOW)
    store.record_click(CH, "U2", A, Action.MORE_LIKE, NOW)  # someone else's stays
    store.record_click(CH, "U1", A, Action.SAVE, NOW)  # a save is no opposite
    disliked, new = store.record_click(CH, "U1", A, Action.NOT_RELEVANT, NOW)
    assert new and disliked.id != liked.id
    mine = {c.action for c in store.clicks(CH) if c.user == "U1"}
    assert mine == {Action.SAVE, Action.NOT_RELEVANT}
    store.record_click(CH, "U1", A, Action.MORE_LIKE, NOW)
    mine = {c.action for c in store.clicks(CH) if c.user == "U1"}
    assert mine == {Action.SAVE, Action.MORE_LIKE}
    assert [c.user for c in store.clicks(CH) if c.action is Action.MORE_LIKE] == ["U2", "U1"]


def test_clicks_since_a_time_are_oldest_first(store: Store) -> None:
    old, _ = store.record_click(CH, "U1", A, Action.SAVE, NOW - timedelta(days=61))
    mid, _ = store.record_click(CH, "U1", B, Action.SAVE, NOW - timedelta(days=2))
    last, _ = store.record_click(CH, "U1", C, Action.SAVE, NOW)
    assert store.clicks(CH) == [old, mid, last]
    assert store.clicks(CH, since=NOW - timedelta(days=60)) == [mid, last]


def test_undo_takes_back_the_user_s_latest_click_or_the_one_named(store: Store) -> None:
    first, _ = store.record_click(CH, "U1", A, Action.SAVE, NOW)
    second, _ = store.record_click(CH, "U1", B, Action.SAVE, NOW + timedelta(minutes=1))
    theirs, _ = store.record_click(CH, "U2", C, Action.SAVE, NOW + timedelta(minutes=2))
    assert store.undo_click(CH, "U1", None) == second
    assert store.undo_click(CH, "U1", theirs.id) is None  # not U1's
    assert store.undo_click(OTHER, "U1", first.id) is None  # not in that channel
    assert store.undo_click(CH, "U1", first.id) == first
    assert store.undo_click(CH, "U1", first.id) is None  # gone
    assert store.undo_click(CH, "U1", None) is None
    assert store.clicks(CH) == [theirs]


def test_an_undone_click_s_id_is_never_given_to_another_click(store: Store) -> None:
    saved, _ = store.record_click(CH, "U1", A, Action.SAVE, NOW)
    store.undo_click(CH, "U1", saved.id)
    again, new = store.record_click(CH, "U1", A, Action.SAVE, NOW)
    assert new and again.id > saved.id
    store.undo_click(CH, "U1", again.id)
    other, _ = store.record_click(CH, "U1", B, Action.SAVE, NOW)
    # The first confirmation's Undo button, clicked late, cannot take back the newer click.
    assert store.undo_click(CH, "U1", saved.id) is None
    assert store.clicks(CH) == [other]


def test_the_reading_list_holds_each_saved_paper_once_from_its_first_save(
    store: Store,
) -> None:
    _seed(store)
    store.record_click(CH, "U1", B, Action.SAVE, NOW)
    store.record_click(CH, "U2", A, Action.SAVE, NOW + timedelta(minutes=1))
    store.record_click(CH, "U2", B, Action.SAVE, NOW + timedelta(minutes=2))
    store.record_click(CH, "U1", C, Action.MORE_LIKE, NOW)  # not a save
    store.record_click(OTHER, "U1", C, Action.SAVE, NOW)  # another channel's
    listed = store.reading_list(CH)
    assert [(p.id, when) for p, when in listed] == [(B, NOW), (A, NOW + timedelta(minutes=1))]
    assert listed[0][0].title == f"Title {B}"


def test_remove_saved_takes_every_save_of_the_paper_off_the_list(store: Store) -> None:
    _seed(store)
    store.record_click(CH, "U1", A, Action.SAVE, NOW)
    store.record_click(CH, "U2", A, Action.SAVE, NOW)
    store.record_click(CH, "U2", A, Action.MORE_LIKE, NOW)
    store.record_click(OTHER, "U1", A, Action.SAVE, NOW)
    assert store.remove_saved(CH, A) == 2
    assert store.remove_saved(CH, A) == 0
    assert store.reading_list(CH) == []
    assert [c.action for c in store.clicks(CH)] == [Action.MORE_LIKE]
    assert len(store.reading_list(OTHER)) == 1


def test_clicks_survive_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "clicks.db"
    first = Store(path)
    click, _ = first.record_click(CH, "T2:U9", A, Action.NOT_RELEVANT, NOW)
    first.close()
    again = Store(path)
    try:
        assert again.clicks(CH) == [click]
        assert again.record_click(CH, "T2:U9", A, Action.NOT_RELEVANT, NOW) == (click, False)
    finally:
        again.close()


def test_simultaneous_redeliveries_of_one_click_count_once(store: Store) -> None:
    def click(_: int) -> bool:
        return store.record_click(CH, "U1", A, Action.SAVE, NOW)[1]

    with ThreadPoolExecutor(8) as pool:
        fresh = list(pool.map(click, range(32)))
    assert fresh.count(True) == 1
    assert len(store.clicks(CH)) == 1
