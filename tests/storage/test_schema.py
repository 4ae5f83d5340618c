"""Schema upgrades: a database from before the exactly-once ledger and per-kind schedules is
upgraded in place with nothing lost."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.domain import ChannelRef, PostKey, Schedule, WeekendPolicy
from storage import schema
from storage.store import Store
from tests.helpers import at

CH = ChannelRef("slack", "T1", "C1")
OFF = ChannelRef("discord", "G1", "42")
NOW = at("2026-11-25 15:00")


def _old_database(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database as paperboy 0.1 left it (migrations 001 and 002), with rows in it."""
    with monkeypatch.context() as patch:
        patch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:2])
        store = Store(path)
    db = store.db
    db.execute(
        "INSERT INTO channels (key, platform, workspace, channel, digest_enabled, digest_time, "
        "timezone, size, min_upvotes, weekends, paused, failures, created_at, "
        "digest_enabled_at) VALUES (?, 'slack', 'T1', 'C1', 1, '07:30', 'Asia/Tokyo', 5, 3, "
        "'notice', 0, 0, '2026-11-01T00:00:00+00:00', '2026-11-02T00:00:00+00:00')",
        [CH.key],
    )
    db.execute(
        "INSERT INTO channels (key, platform, workspace, channel, paused, paused_reason, "
        "failures, created_at) VALUES (?, 'discord', 'G1', '42', 1, 'Forbidden', 5, "
        "'2026-11-01T00:00:00+00:00')",
        [OFF.key],
    )
    db.execute(
        "INSERT INTO subscriptions (channel_key, query, created_by, created_at) "
        "VALUES (?, 'mamba', 'U1', '2026-11-03T00:00:00+00:00')",
        [CH.key],
    )
    for ref, state, message in (
        ("2026-11-24", "sent", "ts1"),
        ("2026-11-25", "claimed", None),
        ("2026-11-23", "failed", None),
    ):
        db.execute(
            "INSERT INTO deliveries (channel_key, kind, ref, state, message_id, "
            "attempts, claimed_at) VALUES (?, 'digest', ?, ?, ?, 1, "
            "'2026-11-25T14:00:00+00:00')",
            [CH.key, ref, state, message],
        )
    db.conn.commit()
    store.close()


def test_an_old_database_is_upgraded_with_nothing_lost(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "old.db"
    _old_database(path, monkeypatch)
    store = Store(path)
    assert store.schedule(CH, "digest") == Schedule(
        CH,
        "digest",
        enabled=True,
        time="07:30",
        timezone="Asia/Tokyo",
        size=5,
        min_upvotes=3,
        weekends=WeekendPolicy.NOTICE,
        enabled_at=at("2026-11-02 00:00"),
    )
    assert store.schedule(OFF, "digest") == Schedule(OFF, "digest")
    paused = store.channel(OFF)
    assert paused is not None and paused.paused and paused.paused_reason == "Forbidden"
    assert [s.query for s in store.subscriptions(CH)] == ["mamba"]
    assert store.delivered(CH, "digest") == ["2026-11-24"]
    row = store.delivery(CH, "digest", "2026-11-24")
    assert row is not None and (row["message_id"], row["parts_sent"]) == ("ts1", 1)
    # The claim of a process that ran the old code may have reached the platform: resolve it.
    entries = {e.key.ref: e for e in store.open_deliveries(NOW)}
    assert set(entries) == {"2026-11-25", "2026-11-23"}
    assert entries["2026-11-25"].uncertain and not entries["2026-11-23"].uncertain
    taken = store.take_delivery(
        PostKey(CH, "digest", "2026-11-25"), "new", NOW, timedelta(seconds=30)
    )
    assert taken is not None and taken.attempts == 1
    store.close()


def test_migrations_are_recorded_and_not_run_twice(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    Store(path).close()
    store = Store(path)
    names = [r[0] for r in store.db.execute("SELECT name FROM migrations ORDER BY name")]
    assert names == [name for name, _ in schema.MIGRATIONS]
    store.close()


def test_processes_starting_together_migrate_a_new_file_once(tmp_path: Path) -> None:
    import subprocess
    import sys

    for trial in range(5):
        path = tmp_path / f"race{trial}.db"
        code = f"from storage.store import Store; Store({str(path)!r}).close()"
        procs = [
            subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE) for _ in range(4)
        ]
        errors = [p.communicate(timeout=60)[1].decode() for p in procs]
        assert [p.returncode for p in procs] == [0] * 4, errors
        store = Store(path)
        names = [r[0] for r in store.db.execute("SELECT name FROM migrations")]
        assert sorted(names) == sorted(name for name, _ in schema.MIGRATIONS)
        store.close()


def test_a_migration_script_splits_into_whole_statements() -> None:
    script = schema.MIGRATIONS[0][1]()
    parts = list(schema.statements(script))
    assert any(p.startswith("CREATE TRIGGER papers_au") and p.endswith("END;") for p in parts)
    assert all(p.rstrip().endswith(";") for p in parts)


def test_an_sqlite_too_old_for_the_migrations_is_a_clear_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sqlite3

    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.31.1")
    with pytest.raises(sqlite3.NotSupportedError, match=r"needs SQLite 3\.35\.0 or newer"):
        Store(tmp_path / "old-sqlite.db")


async def test_a_digest_left_in_flight_by_the_old_version_is_finished_after_the_upgrade(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.service import Paperboy
    from tests.helpers import Clock, ScriptedPublisher, StaticFeed, make_paper

    path = tmp_path / "old.db"
    _old_database(path, monkeypatch)
    store = Store(path)
    store.upsert_papers([make_paper("2411.00001", "2026-11-25", upvotes=7)], NOW)
    publisher = ScriptedPublisher(platform="slack")
    core = Paperboy(store, StaticFeed(), {"slack": publisher}, clock=Clock(NOW))
    await core.recover()
    # The 11-25 claim of the old process: asked for (nothing found) and sent for its day;
    # the failed 11-23 one is older than a digest already out (11-24): superseded.
    assert [p.item.day for p in publisher.of_kind("digest")] == [date(2026, 11, 25)]  # type: ignore[union-attr]
    assert store.delivered(CH, "digest") == ["2026-11-24", "2026-11-25"]
    row = store.delivery(CH, "digest", "2026-11-23")
    assert row is not None and row["state"] == "abandoned"
    store.close()


def test_subscriptions_from_before_their_version_are_listed_as_version_1(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "old.db"
    _old_database(path, monkeypatch)
    store = Store(path)
    assert store.subscriptions_version() == 1
    assert [s.query for s in store.subscriptions(since_version=0)] == ["mamba"]
    assert store.subscriptions(since_version=1) == []
    assert store.subscriptions_removed() == []
    store.remove_subscription(CH, "mamba")
    assert store.subscriptions_version() == 2
    assert len(store.subscriptions_removed(since_version=1)) == 1
    store.close()


def test_a_database_from_before_topic_digests_gets_the_filter_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v7.db"
    with monkeypatch.context() as patch:
        patch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:7])
        store = Store(path)
        store.db.execute(
            "INSERT INTO channels (key, platform, workspace, channel, created_at) "
            "VALUES (?, 'slack', 'T1', 'C1', '2026-11-01T00:00:00+00:00')",
            [CH.key],
        )
        store.db.execute(
            "INSERT INTO schedules (channel_key, kind, enabled, size, min_upvotes, version) "
            "VALUES (?, 'digest', 1, 5, 2, 1)",
            [CH.key],
        )
        store.db.conn.commit()
        columns = {r[1] for r in store.db.execute("PRAGMA table_info(schedules)")}
        assert "filter" not in columns
        store.close()
    store = Store(path)
    assert store.schedule(CH, "digest") == Schedule(
        CH, "digest", enabled=True, size=5, min_upvotes=2, filter=None
    )
    store.save_schedule(replace(Schedule(CH, "digest"), filter="vision OR segmentation"), NOW)
    store.close()
    store = Store(path)
    saved = store.schedule(CH, "digest")
    assert saved is not None and saved.filter == "vision OR segmentation"
    names = [r[0] for r in store.db.execute("SELECT name FROM migrations ORDER BY name")]
    assert names[-1] == schema.MIGRATIONS[-1][0]
    store.close()
