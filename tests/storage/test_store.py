"""The Store on a real SQLite file: papers, channels, subscriptions, the ledger, polls."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import pytest

from bot.domain import ChannelRef, ChannelSettings, Schedule, WeekendPolicy
from storage.store import BUSY_TIMEOUT_MS, Store
from storage.tx import write
from tests.helpers import at, make_paper

CH = ChannelRef("slack", "T1", "C1")
NOW = at("2026-11-25 15:00")
T = TypeVar("T")


def test_new_papers_are_reported_once(store: Store) -> None:
    first = store.upsert_papers([make_paper("2411.00001", "2026-11-25")], NOW)
    second = store.upsert_papers([make_paper("2411.00001", "2026-11-25")], NOW)
    assert [p.id for p in first.new] == ["2411.00001"]
    assert second.new == ()


def test_upsert_refreshes_counts_but_keeps_first_day(store: Store) -> None:
    store.upsert_papers([make_paper("2411.00001", "2026-11-24", upvotes=1, comments=0)], NOW)
    result = store.upsert_papers(
        [make_paper("2411.00001", "2026-11-25", upvotes=9, comments=2)], NOW
    )
    paper = store.get_paper("2411.00001")
    assert result.updated == 1
    assert paper is not None
    assert (paper.upvotes, paper.comments, paper.day.isoformat()) == (9, 2, "2026-11-24")


def test_a_batch_that_fails_midway_stores_nothing(store: Store) -> None:
    import pytest

    def batch():
        yield make_paper("2411.00001", "2026-11-25")
        yield make_paper("2411.00002", "2026-11-25")
        raise RuntimeError("feed connection dropped")

    with pytest.raises(RuntimeError):
        store.upsert_papers(batch(), NOW)
    assert store.count_papers() == 0


def test_migrations_are_applied_once(tmp_path: Path) -> None:
    from storage.schema import MIGRATIONS, migrate

    first = Store(tmp_path / "m.db")
    assert migrate(first.db) == []
    names = [r[0] for r in first.db.execute("SELECT name FROM migrations")]
    assert names == [name for name, _ in MIGRATIONS]
    first.close()


def test_paper_round_trips_every_field(store: Store) -> None:
    original = make_paper(
        "2602.23229",
        "2026-03-06",
        upvotes=10,
        comments=3,
        ai_summary="Short.",
        ai_keywords=("in-context learning", "CIRCLE"),
        github_repo="https://github.com/x/y",
        github_stars=9,
        project_page="https://p.io",
        organization="MHUG",
        thumbnail="https://t",
        published_at=at("2026-02-26 17:08"),
    )
    store.upsert_papers([original], NOW)
    assert store.get_paper("2602.23229") == original


def test_papers_on_orders_by_upvotes_then_comments(store: Store) -> None:
    store.upsert_papers(
        [
            make_paper("2411.00001", "2026-11-25", upvotes=5, comments=1),
            make_paper("2411.00002", "2026-11-25", upvotes=5, comments=4),
            make_paper("2411.00003", "2026-11-25", upvotes=9),
            make_paper("2411.00004", "2026-11-24", upvotes=99),
        ],
        NOW,
    )
    papers = store.papers_on([at("2026-11-25 00:00").date()], min_upvotes=5)
    assert [p.id for p in papers] == ["2411.00003", "2411.00002", "2411.00001"]


def test_fts_index_follows_updates(store: Store) -> None:
    from bot.query.parse import parse

    store.upsert_papers([make_paper("2411.00001", "2026-11-25", title="Old words")], NOW)
    store.upsert_papers([make_paper("2411.00001", "2026-11-25", title="Diffusion now")], NOW)
    assert [h.paper.id for h in store.search(parse("diffusion"))] == ["2411.00001"]
    assert store.search(parse("old")) == []


def test_data_survives_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    first = Store(path)
    first.upsert_papers([make_paper("2411.00001", "2026-11-25")], NOW)
    first.close()
    again = Store(path)
    assert again.count_papers() == 1
    again.close()


def test_channel_settings_round_trip(store: Store) -> None:
    settings = ChannelSettings(CH, paused=True, paused_reason="is_archived", failures=2)
    store.save_channel(settings)
    assert store.channel(CH) == settings
    assert store.channels() == [settings]
    quiet = ChannelSettings(ChannelRef("slack", "T1", "C9"))
    store.save_channel(quiet)
    assert store.channels(paused=True) == [settings]
    assert store.channels(paused=False) == [quiet]


def test_schedules_round_trip_per_channel_and_kind(store: Store) -> None:
    daily = Schedule(
        CH,
        "digest",
        enabled=True,
        time="07:30",
        timezone="Asia/Tokyo",
        size=5,
        min_upvotes=3,
        weekends=WeekendPolicy.NOTICE,
        enabled_at=NOW,
    )
    weekly = Schedule(CH, "weekly", weekday=4)
    store.save_schedule(daily, NOW)
    store.save_schedule(weekly, NOW)
    store.save_schedule(replace(daily, size=7), NOW)
    assert store.schedule(CH, "digest") == replace(daily, size=7)
    assert store.schedule(CH, "weekly") == weekly
    assert store.schedules(enabled=True) == [replace(daily, size=7)]
    assert store.schedules("weekly") == [weekly]
    assert store.channel(CH) == ChannelSettings(CH)  # the channel row exists for both


def test_schedule_changes_are_numbered_so_a_scheduler_reads_only_what_changed(
    store: Store,
) -> None:
    other = ChannelRef("slack", "T1", "C2")
    store.save_schedule(Schedule(CH, "digest"), NOW)
    mark = store.schedules_version()
    assert store.schedules(since_version=mark) == []
    store.save_schedule(Schedule(other, "digest", enabled=True), NOW)
    assert [s.channel for s in store.schedules(since_version=mark)] == [other]
    assert store.schedules_version() == mark + 1


def test_subscription_needs_a_known_channel(store: Store) -> None:
    import sqlite3

    import pytest

    with pytest.raises(sqlite3.IntegrityError):
        store.add_subscription(CH, "mamba", "U1", NOW)


def test_subscription_duplicates_are_refused(store: Store) -> None:
    store.save_channel(ChannelSettings(CH))
    assert store.add_subscription(CH, "mamba", "U1", NOW) is not None
    assert store.add_subscription(CH, "mamba", "U2", NOW) is None
    assert [s.query for s in store.subscriptions(CH)] == ["mamba"]


def test_subscription_removed_by_id_or_query(store: Store) -> None:
    store.save_channel(ChannelSettings(CH))
    first = store.add_subscription(CH, "mamba", "U1", NOW)
    store.add_subscription(CH, "diffusion", "U1", NOW)
    assert first is not None
    assert store.remove_subscription(CH, str(first.id)) == first
    assert store.remove_subscription(CH, "diffusion") is not None
    assert store.remove_subscription(CH, "nothing") is None
    assert store.subscriptions() == []


def test_subscription_of_another_channel_cannot_be_removed(store: Store) -> None:
    store.save_channel(ChannelSettings(CH))
    sub = store.add_subscription(CH, "mamba", "U1", NOW)
    assert sub is not None
    other = ChannelRef("slack", "T1", "C2")
    assert store.remove_subscription(other, str(sub.id)) is None
    assert len(store.subscriptions(CH)) == 1


def test_subscribe_and_unsubscribe_bump_the_subscriptions_version(store: Store) -> None:
    store.save_channel(ChannelSettings(CH))
    start = store.subscriptions_version()
    mamba = store.add_subscription(CH, "mamba", "U1", NOW)
    assert store.subscriptions_version() == start + 1
    assert store.add_subscription(CH, "mamba", "U2", NOW) is None  # a duplicate: no change
    assert store.remove_subscription(CH, "nothing") is None
    assert store.subscriptions_version() == start + 1
    diffusion = store.add_subscription(CH, "diffusion", "U1", NOW)
    assert mamba is not None and diffusion is not None
    assert store.subscriptions(since_version=start) == [mamba, diffusion]
    assert store.subscriptions(since_version=start + 1) == [diffusion]
    assert store.subscriptions(CH, since_version=start + 2) == []
    store.remove_subscription(CH, "mamba")
    assert store.subscriptions_version() == start + 3
    assert store.subscriptions_removed(since_version=start) == [mamba.id]
    assert store.subscriptions_removed(since_version=start + 3) == []
    assert store.subscriptions() == [diffusion]


def test_an_unsubscribe_is_seen_by_another_connection_by_version(
    store: Store, tmp_path: Path
) -> None:
    store.save_channel(ChannelSettings(CH))
    sub = store.add_subscription(CH, "mamba", "U1", NOW)
    assert sub is not None
    other = Store(tmp_path / "paperboy.db")  # the CLI beside `paperboy run`
    mark = other.subscriptions_version()
    assert other.remove_subscription(CH, "mamba") == sub
    again = other.add_subscription(CH, "video", "U1", NOW)  # may reuse the freed id
    assert again is not None
    assert store.subscriptions_version() == mark + 2
    assert store.subscriptions_removed(since_version=mark) == [sub.id]
    assert store.subscriptions(since_version=mark) == [again]
    other.close()


def test_polls_are_recorded(store: Store) -> None:
    assert store.last_poll() is None
    store.record_poll(NOW.date(), 12, NOW)
    assert store.last_poll() == NOW
    assert store.polled_days() == {NOW.date()}


def test_a_database_made_by_the_first_schema_is_upgraded(tmp_path: Path) -> None:
    import sqlite_utils

    from storage import schema

    path = tmp_path / "old.db"
    old = sqlite_utils.Database(str(path))
    original = schema.MIGRATIONS
    schema.MIGRATIONS = original[:1]
    try:
        schema.migrate(old)
        old.execute(
            "INSERT INTO papers (id, title, day, first_seen, updated_at) "
            "VALUES ('2411.00001', 'Old', '2026-11-20', 'x', 'x')"
        )
        old.conn.commit()
    finally:
        schema.MIGRATIONS = original
        old.close()
    upgraded = Store(path)
    result = upgraded.upsert_papers(
        [make_paper("2411.00002", "2026-11-25")], NOW, alert_from=NOW.date()
    )
    assert [p.id for p in result.new] == ["2411.00002"]
    assert upgraded.record_failure(CH, NOW)[0] == 1
    assert upgraded.count_papers() == 2
    upgraded.close()


def test_clearing_pending_alerts_keeps_papers_that_moved_again(store: Store) -> None:
    store.upsert_papers(
        [make_paper("2411.00001", "2026-11-25", upvotes=15)], NOW, alert_from=NOW.date()
    )
    [(snapshot, before, _)] = store.papers_pending_alerts()
    assert before is None
    store.upsert_papers(
        [make_paper("2411.00001", "2026-11-25", upvotes=25)], NOW, alert_from=NOW.date()
    )
    store.clear_pending_alerts([snapshot])
    [(paper, before, _)] = store.papers_pending_alerts()
    assert (paper.upvotes, before) == (25, None)
    store.clear_pending_alerts([paper])
    assert store.papers_pending_alerts() == []


def test_backfilled_papers_count_as_already_alerted(store: Store) -> None:
    store.upsert_papers([make_paper("2411.00001", "2026-11-25", upvotes=3)], NOW)
    store.upsert_papers(
        [make_paper("2411.00001", "2026-11-25", upvotes=9)], NOW, alert_from=NOW.date()
    )
    [(paper, before, _)] = store.papers_pending_alerts()
    assert (paper.upvotes, before) == (9, 3)


# --- threads: one connection per thread on a file; one shared for ':memory:' ---------------


def _in_a_thread(fn: Callable[[], T]) -> T:
    """Run fn in a new thread that ends afterwards; return its result or raise its error."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


def test_each_thread_gets_its_own_connection_with_the_same_settings(store: Store) -> None:
    mine = store.db

    def work() -> tuple[object, tuple[object, ...]]:
        db = store.db
        assert store.db is db  # one per thread, kept
        settings = (
            db.execute("PRAGMA busy_timeout").fetchone()[0],
            db.execute("PRAGMA synchronous").fetchone()[0],  # 1 = NORMAL
            db.execute("PRAGMA journal_mode").fetchone()[0],
            db.execute("SELECT ln(1)").fetchone()[0],
            db.execute("PRAGMA recursive_triggers").fetchone()[0],
        )
        store.upsert_papers([make_paper("2411.00001", "2026-11-25", title="Mamba")], NOW)
        return db.conn, settings

    conn, settings = _in_a_thread(work)
    assert conn is not mine.conn and store.db is mine
    assert settings == (BUSY_TIMEOUT_MS, 1, "wal", 0.0, 1)
    assert settings[:2] == (
        mine.execute("PRAGMA busy_timeout").fetchone()[0],
        mine.execute("PRAGMA synchronous").fetchone()[0],
    )
    # Written on the thread's connection, read on this one; the FTS index followed.
    from bot.query.parse import parse

    assert [h.paper.id for h in store.search(parse("mamba"))] == ["2411.00001"]


def test_readers_read_beside_a_writer_on_a_file(store: Store) -> None:
    store.upsert_papers([make_paper("2411.00001", "2026-11-25")], NOW)
    inside, done = threading.Event(), threading.Event()

    def writer() -> None:
        with write(store.db):
            store.upsert_papers([make_paper("2411.00002", "2026-11-25")], NOW)
            inside.set()
            assert done.wait(30)

    with ThreadPoolExecutor(1) as pool:
        wrote = pool.submit(writer)
        assert inside.wait(30)
        # The other thread holds the write lock mid-transaction: this thread still reads,
        # without waiting, the last committed state.
        assert store.count_papers() == 1
        done.set()
        wrote.result()
    assert store.count_papers() == 2


def test_migrations_run_once_however_many_threads_connect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storage.store

    calls: list[object] = []
    real = storage.store.migrate

    def counting(db: object) -> list[str]:
        calls.append(db)
        return real(db)  # type: ignore[arg-type]

    monkeypatch.setattr(storage.store, "migrate", counting)
    s = Store(tmp_path / "once.db")
    for _ in range(3):
        assert _in_a_thread(s.count_papers) == 0
    assert len(calls) == 1
    s.close()


def test_close_closes_the_connections_of_every_thread(tmp_path: Path) -> None:
    s = Store(tmp_path / "close.db")
    with ThreadPoolExecutor(1) as pool:  # a thread that stays alive across close()
        theirs = pool.submit(lambda: s.db).result()
        s.close()
        with pytest.raises(sqlite3.ProgrammingError):
            theirs.execute("SELECT 1")
        with pytest.raises(sqlite3.ProgrammingError):
            pool.submit(s.count_papers).result()
    with pytest.raises(sqlite3.ProgrammingError):
        s.count_papers()
    with pytest.raises(sqlite3.ProgrammingError):
        _in_a_thread(s.count_papers)  # a thread that never connected cannot start now
    s.close()  # twice is fine


def test_connections_of_ended_threads_are_closed(store: Store) -> None:
    ended = _in_a_thread(lambda: store.db)  # its thread is gone once this returns
    _in_a_thread(store.count_papers)  # the next thread to connect tidies up
    with pytest.raises(sqlite3.ProgrammingError):
        ended.execute("SELECT 1")
    assert store.count_papers() == 0  # this thread's connection is untouched


def test_a_memory_store_shares_its_one_connection_with_every_thread() -> None:
    s = Store()
    assert _in_a_thread(lambda: s.db) is s.db  # another connection would see another database
    _in_a_thread(lambda: s.upsert_papers([make_paper("2411.00001", "2026-11-25")], NOW))
    assert s.count_papers() == 1
    s.close()
    with pytest.raises(sqlite3.ProgrammingError):
        s.count_papers()


def test_optimize_search_merges_the_indexes_in_steps_and_changes_no_result(tmp_path):
    from bot.query.parse import parse

    store = Store(tmp_path / "p.db")
    for batch in range(30):  # a backfill: one segment per batch stored
        store.upsert_papers(
            [
                make_paper(f"{batch}.{i}", "2026-11-25", title=f"Agents {batch} {i}")
                for i in range(5)
            ]
        )
    before = [h.paper.id for h in store.search(parse("agents"), limit=200)]
    assert store.optimize_search(pages=1) > 2  # work on each index, then nothing left
    assert store.optimize_search() == 2  # one per index: nothing left to merge
    assert [h.paper.id for h in store.search(parse("agents"), limit=200)] == before
    store.close()


def test_every_thread_s_connection_enforces_foreign_keys(tmp_path):
    store = Store(tmp_path / "p.db")
    flags: list[int] = []
    worker = threading.Thread(
        target=lambda: flags.append(store.db.execute("PRAGMA foreign_keys").fetchone()[0])
    )
    worker.start()
    worker.join()
    assert flags == [1] and store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    store.close()


def test_the_subscription_limit_is_checked_in_the_adding_transaction(store: Store) -> None:
    store.save_channel(ChannelSettings(CH))
    assert store.add_subscription(CH, "a", "U1", NOW, most=2) is not None
    assert store.add_subscription(CH, "b", "U1", NOW, most=2) is not None
    assert store.add_subscription(CH, "c", "U1", NOW, most=2) is None
    assert [s.query for s in store.subscriptions(CH)] == ["a", "b"]
