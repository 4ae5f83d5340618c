"""People's own alerts in storage: versioned changes, muting, removal, the per-person limit
within one workspace, and who takes no DMs (told once)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain import ChannelRef, ChannelSettings
from storage.store import Store

NOW = datetime(2026, 11, 25, 15, 0, 0, 734_000, tzinfo=UTC)
C1 = ChannelRef("slack", "T1", "C1")
C2 = ChannelRef("slack", "T1", "C2")
ELSEWHERE = ChannelRef("slack", "T1_X", "C1")  # a workspace whose id starts like T1's


def test_an_interest_is_stamped_as_papers_are_so_one_made_with_a_paper_sees_it(
    store: Store,
) -> None:
    added = store.add_interest(C1, "U1", "mamba", NOW)
    assert added is not None and added[1]
    [stored] = store.interests("U1")
    # Papers' first_seen is stored to the second: so is an interest's creation.
    assert stored.created_at == NOW.replace(microsecond=0)


def test_every_change_bumps_the_version_and_reads_back_since_it(store: Store) -> None:
    first = store.add_interest(C1, "U1", "mamba", NOW)
    assert first is not None and store.interests_version() == 1
    interest = first[0]
    assert store.mute_interest(interest.id, True) and not store.mute_interest(interest.id, True)
    assert store.interests_version() == 2
    [muted] = store.interests(since_version=1)
    assert muted.muted
    again = store.add_interest(C1, "U1", "mamba", NOW)  # asking again unmutes it
    assert again is not None and not again[1] and not again[0].muted
    assert store.remove_interest(interest.id) and not store.remove_interest(interest.id)
    assert store.interests_removed(since_version=3) == [interest.id]
    assert store.interests() == []


def test_the_limit_counts_one_person_in_one_workspace_exactly(store: Store) -> None:
    for ref in (C1, C2, ELSEWHERE):
        store.save_channel(ChannelSettings(ref))
    assert store.add_interest(C1, "U1", "a", NOW, most=2) is not None
    assert store.add_interest(C2, "U1", "b", NOW, most=2) is not None
    assert store.add_interest(C1, "U1", "c", NOW, most=2) is None
    assert store.add_interest(ELSEWHERE, "U1", "c", NOW, most=2) is not None
    assert store.add_interest(C1, "U2", "c", NOW, most=2) is not None
    assert [i.query for i in store.interests("U1", ("slack", "T1"))] == ["a", "b"]


def test_closed_dms_are_recorded_once_told_once_and_reopened(store: Store) -> None:
    assert not store.untold_closed_dms("slack", "T1", "U1")
    assert store.close_dms("slack", "T1", "U1", NOW) and not store.close_dms(
        "slack", "T1", "U1", NOW
    )
    assert store.dms_closed("slack", "T1") == {"U1"} and store.dms_closed("slack", "T2") == set()
    assert store.untold_closed_dms("slack", "T1", "U1")
    assert not store.untold_closed_dms("slack", "T1", "U1")
    assert store.reopen_dms("slack", "T1", "U1") and store.dms_closed("slack", "T1") == set()
