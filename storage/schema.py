"""Schema migrations for paperboy's SQLite file, applied in order and recorded in `migrations`."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator

import sqlite_utils

from bot.domain import FTS_TOKENIZE
from storage.fts import FTS_COLUMNS
from storage.tx import write

log = logging.getLogger(__name__)


def _m001_initial() -> str:
    return f"""
        CREATE TABLE papers (
            pk INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            authors TEXT NOT NULL DEFAULT '[]',
            authors_text TEXT NOT NULL DEFAULT '',
            keywords TEXT NOT NULL DEFAULT '[]',
            keywords_text TEXT NOT NULL DEFAULT '',
            upvotes INTEGER NOT NULL DEFAULT 0,
            comments INTEGER NOT NULL DEFAULT 0,
            day TEXT NOT NULL,
            published_at TEXT,
            ai_summary TEXT,
            github_repo TEXT,
            github_stars INTEGER,
            project_page TEXT,
            organization TEXT,
            thumbnail TEXT,
            first_seen TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX papers_day ON papers(day, upvotes DESC, comments DESC);
        CREATE INDEX papers_first_seen ON papers(first_seen);

        CREATE VIRTUAL TABLE papers_fts USING fts5(
            {", ".join(FTS_COLUMNS)},
            content='papers', content_rowid='pk', tokenize='{FTS_TOKENIZE}'
        );
        CREATE TRIGGER papers_ai AFTER INSERT ON papers BEGIN
            INSERT INTO papers_fts(rowid, {", ".join(FTS_COLUMNS)})
            VALUES (new.pk, {", ".join("new." + c for c in FTS_COLUMNS)});
        END;
        CREATE TRIGGER papers_ad AFTER DELETE ON papers BEGIN
            INSERT INTO papers_fts(papers_fts, rowid, {", ".join(FTS_COLUMNS)})
            VALUES ('delete', old.pk, {", ".join("old." + c for c in FTS_COLUMNS)});
        END;
        CREATE TRIGGER papers_au AFTER UPDATE OF {", ".join(FTS_COLUMNS)} ON papers
        WHEN {" OR ".join(f"old.{c} IS NOT new.{c}" for c in FTS_COLUMNS)} BEGIN
            INSERT INTO papers_fts(papers_fts, rowid, {", ".join(FTS_COLUMNS)})
            VALUES ('delete', old.pk, {", ".join("old." + c for c in FTS_COLUMNS)});
            INSERT INTO papers_fts(rowid, {", ".join(FTS_COLUMNS)})
            VALUES (new.pk, {", ".join("new." + c for c in FTS_COLUMNS)});
        END;

        CREATE TABLE channels (
            key TEXT PRIMARY KEY,
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            channel TEXT NOT NULL,
            digest_enabled INTEGER NOT NULL DEFAULT 0,
            digest_time TEXT NOT NULL DEFAULT '09:00',
            timezone TEXT NOT NULL DEFAULT 'UTC',
            size INTEGER NOT NULL DEFAULT 10,
            min_upvotes INTEGER NOT NULL DEFAULT 0,
            weekends TEXT NOT NULL DEFAULT 'skip',
            paused INTEGER NOT NULL DEFAULT 0,
            paused_reason TEXT,
            failures INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );

        CREATE TABLE subscriptions (
            id INTEGER PRIMARY KEY,
            channel_key TEXT NOT NULL REFERENCES channels(key),
            query TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (channel_key, query)
        );

        CREATE TABLE deliveries (
            channel_key TEXT NOT NULL,
            kind TEXT NOT NULL,
            ref TEXT NOT NULL,
            state TEXT NOT NULL,
            message_id TEXT,
            error TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            claimed_at TEXT NOT NULL,
            sent_at TEXT,
            PRIMARY KEY (channel_key, kind, ref)
        );

        CREATE TABLE polls (
            day TEXT PRIMARY KEY,
            fetched_at TEXT NOT NULL,
            papers INTEGER NOT NULL
        );

        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
    """


# Each migration is a SQL script, applied with its record in one transaction.
def _m002_alerts_and_health() -> str:
    return """
        -- 1 until the alert fan-out for this paper has run (survives a crash mid-poll)
        ALTER TABLE papers ADD COLUMN alerts_pending INTEGER NOT NULL DEFAULT 0;
        -- upvotes when the fan-out last ran: an `upvotes:>=N` alert fires on the crossing
        ALTER TABLE papers ADD COLUMN alerted_upvotes INTEGER;
        CREATE INDEX papers_alerts_pending ON papers(alerts_pending) WHERE alerts_pending = 1;
        -- the order of searches without words (`-survey`, `upvotes:>=20 has:code`)
        CREATE INDEX papers_rank ON papers(upvotes DESC, day DESC, id);
        ALTER TABLE channels ADD COLUMN failing_since TEXT;
        -- when the digest was last turned on: no catch-up for days before it
        ALTER TABLE channels ADD COLUMN digest_enabled_at TEXT;
    """


def _m003_exactly_once() -> str:
    return """
        -- who holds a claim, and until when (the owner renews it while it sends)
        ALTER TABLE deliveries ADD COLUMN owner TEXT;
        ALTER TABLE deliveries ADD COLUMN lease_until TEXT;
        -- a post of several messages: how many are out, and the thread the rest goes to
        ALTER TABLE deliveries ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE deliveries ADD COLUMN thread_id TEXT;
        -- 1 while a request may have reached the platform unanswered: ask it before resending
        ALTER TABLE deliveries ADD COLUMN uncertain INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE deliveries ADD COLUMN in_flight_since TEXT;
        -- the post's content (JSON, by its kind), so a resumed post is the same post
        ALTER TABLE deliveries ADD COLUMN payload TEXT;
        -- a claim from before leases existed may have reached the platform
        UPDATE deliveries SET uncertain = 1, in_flight_since = claimed_at
        WHERE state = 'claimed';
        UPDATE deliveries SET parts_sent = 1 WHERE state = 'sent';
        CREATE INDEX deliveries_open ON deliveries(state, lease_until)
        WHERE state IN ('claimed', 'failed', 'held');
        -- what paperboy learned about a platform: Discord channel types, refused workspaces
        CREATE TABLE platform_facts (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
    """


def _m004_schedules() -> str:
    return """
        -- one row per channel and kind of timed post (the daily digest, the weekly roll-up)
        CREATE TABLE schedules (
            channel_key TEXT NOT NULL REFERENCES channels(key),
            kind TEXT NOT NULL,
            enabled INTEGER NOT NULL DEFAULT 0,
            time TEXT NOT NULL DEFAULT '09:00',
            timezone TEXT NOT NULL DEFAULT 'UTC',
            weekday INTEGER NOT NULL DEFAULT 0,
            size INTEGER NOT NULL DEFAULT 10,
            min_upvotes INTEGER NOT NULL DEFAULT 0,
            weekends TEXT NOT NULL DEFAULT 'skip',
            enabled_at TEXT,
            -- bumped on every change, so a scheduler can pick up just what changed
            version INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (channel_key, kind)
        );
        CREATE INDEX schedules_version ON schedules(version);
        INSERT INTO schedules (channel_key, kind, enabled, time, timezone, size, min_upvotes,
                               weekends, enabled_at, version)
        SELECT key, 'digest', digest_enabled, digest_time, timezone, size, min_upvotes,
               weekends, digest_enabled_at, 1
        FROM channels;
        INSERT INTO meta (key, value) VALUES ('schedules_version', '1')
        ON CONFLICT(key) DO UPDATE SET value = '1';
        ALTER TABLE channels DROP COLUMN digest_enabled;
        ALTER TABLE channels DROP COLUMN digest_time;
        ALTER TABLE channels DROP COLUMN timezone;
        ALTER TABLE channels DROP COLUMN size;
        ALTER TABLE channels DROP COLUMN min_upvotes;
        ALTER TABLE channels DROP COLUMN weekends;
        ALTER TABLE channels DROP COLUMN digest_enabled_at;
    """


def _m005_workspaces() -> str:
    return """
        -- a workspace (Slack team) or bot (Discord) whose token was refused: paused as a whole
        CREATE TABLE workspaces (
            key TEXT PRIMARY KEY,
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            paused INTEGER NOT NULL DEFAULT 0,
            paused_reason TEXT,
            paused_at TEXT
        );
    """


def _m006_subscriptions_version() -> str:
    return """
        -- bumped on every subscribe and unsubscribe (meta 'subscriptions_version'), so that
        -- a running process's alert index reads just what changed, also by another process
        ALTER TABLE subscriptions ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
        CREATE INDEX subscriptions_version ON subscriptions(version);
        -- the ids removed, with the version that removed each (an id may be used again)
        CREATE TABLE subscriptions_removed (
            id INTEGER NOT NULL,
            version INTEGER NOT NULL
        );
        CREATE INDEX subscriptions_removed_version ON subscriptions_removed(version);
        INSERT INTO meta (key, value) VALUES ('subscriptions_version', '1')
        ON CONFLICT(key) DO UPDATE SET value = '1';
    """


def _m007_rank_table_and_titles() -> str:
    # Search ranks and filters thousands of matches by upvotes, day and code; reading them
    # from the wide `papers` row (abstract inline) was most of a search's time.
    code = "(new.github_repo IS NOT NULL AND new.github_repo != '')"
    return f"""
        CREATE TABLE paper_rank (
            pk INTEGER PRIMARY KEY,
            id TEXT NOT NULL,
            upvotes INTEGER NOT NULL,
            day TEXT NOT NULL,
            has_code INTEGER NOT NULL
        );
        INSERT INTO paper_rank (pk, id, upvotes, day, has_code)
            SELECT pk, id, upvotes, day, (github_repo IS NOT NULL AND github_repo != '')
            FROM papers;
        CREATE INDEX paper_rank_order ON paper_rank(upvotes DESC, day DESC, id);
        CREATE INDEX paper_rank_day ON paper_rank(day);
        CREATE TRIGGER paper_rank_ai AFTER INSERT ON papers BEGIN
            INSERT INTO paper_rank (pk, id, upvotes, day, has_code)
            VALUES (new.pk, new.id, new.upvotes, new.day, {code});
        END;
        CREATE TRIGGER paper_rank_au AFTER UPDATE OF upvotes, day, github_repo ON papers
        WHEN old.upvotes IS NOT new.upvotes OR old.day IS NOT new.day
            OR old.github_repo IS NOT new.github_repo BEGIN
            UPDATE paper_rank SET upvotes = new.upvotes, day = new.day, has_code = {code}
            WHERE pk = new.pk;
        END;
        CREATE TRIGGER paper_rank_ad AFTER DELETE ON papers BEGIN
            DELETE FROM paper_rank WHERE pk = old.pk;
        END;

        -- Titles alone: title conditions read ~10 tokens a paper here, not ~200.
        CREATE VIRTUAL TABLE titles_fts USING fts5(
            title, content='papers', content_rowid='pk', tokenize='{FTS_TOKENIZE}'
        );
        INSERT INTO titles_fts(titles_fts) VALUES ('rebuild');
        CREATE TRIGGER titles_fts_ai AFTER INSERT ON papers BEGIN
            INSERT INTO titles_fts(rowid, title) VALUES (new.pk, new.title);
        END;
        CREATE TRIGGER titles_fts_ad AFTER DELETE ON papers BEGIN
            INSERT INTO titles_fts(titles_fts, rowid, title) VALUES ('delete', old.pk, old.title);
        END;
        CREATE TRIGGER titles_fts_au AFTER UPDATE OF title ON papers
        WHEN old.title IS NOT new.title BEGIN
            INSERT INTO titles_fts(titles_fts, rowid, title) VALUES ('delete', old.pk, old.title);
            INSERT INTO titles_fts(rowid, title) VALUES (new.pk, new.title);
        END;
    """


def _m008_digest_filter() -> str:
    return """
        -- a topic digest: the query (search's language) a channel's digests rank papers of;
        -- NULL ranks every paper. Set on the daily digest's row, read by the weekly too.
        ALTER TABLE schedules ADD COLUMN filter TEXT;
    """


def _m009_layout_climbers_clicks() -> str:
    return """
        -- the channel's layout (compact or full) and late-climber threshold, on the daily
        -- digest's row like the filter; NULL climbers: only papers climbing into the top N
        ALTER TABLE schedules ADD COLUMN layout TEXT NOT NULL DEFAULT 'compact';
        ALTER TABLE schedules ADD COLUMN climbers INTEGER;

        -- a reader's click on a paper (save, not-relevant, more-like): one per
        -- (channel, user, paper, action), so double clicks and redeliveries count once
        CREATE TABLE clicks (
            id INTEGER PRIMARY KEY,
            channel_key TEXT NOT NULL,
            user TEXT NOT NULL,
            paper_id TEXT NOT NULL,
            action TEXT NOT NULL,
            clicked_at TEXT NOT NULL,
            UNIQUE (channel_key, user, paper_id, action)
        );
        CREATE INDEX clicks_channel ON clicks (channel_key, action, clicked_at);
        -- the living digest reads the posts sent in the last 72 hours on every poll
        CREATE INDEX deliveries_sent ON deliveries (kind, sent_at) WHERE state = 'sent';
    """


def _m010_rank_org_and_stars() -> str:
    # `org:` and `stars:` filter search on paper_rank like upvotes and has:code. org is
    # COLLATE NOCASE (ASCII letters fold, as `bot.domain.query.fold_org` does); stars is NULL
    # for a paper without a repository, which `stars:` never matches.
    code = "(new.github_repo IS NOT NULL AND new.github_repo != '')"
    stars = f"CASE WHEN {code} THEN new.github_stars END"
    return f"""
        ALTER TABLE paper_rank ADD COLUMN org TEXT COLLATE NOCASE;
        ALTER TABLE paper_rank ADD COLUMN stars INTEGER;
        UPDATE paper_rank SET
            org = (SELECT p.organization FROM papers p WHERE p.pk = paper_rank.pk),
            stars = (SELECT CASE WHEN p.github_repo IS NOT NULL AND p.github_repo != ''
                     THEN p.github_stars END FROM papers p WHERE p.pk = paper_rank.pk);
        CREATE INDEX paper_rank_org ON paper_rank(org);
        DROP TRIGGER paper_rank_ai;
        DROP TRIGGER paper_rank_au;
        CREATE TRIGGER paper_rank_ai AFTER INSERT ON papers BEGIN
            INSERT INTO paper_rank (pk, id, upvotes, day, has_code, org, stars)
            VALUES (new.pk, new.id, new.upvotes, new.day, {code}, new.organization, {stars});
        END;
        CREATE TRIGGER paper_rank_au
        AFTER UPDATE OF upvotes, day, github_repo, github_stars, organization ON papers
        WHEN old.upvotes IS NOT new.upvotes OR old.day IS NOT new.day
            OR old.github_repo IS NOT new.github_repo OR old.github_stars IS NOT new.github_stars
            OR old.organization IS NOT new.organization BEGIN
            UPDATE paper_rank SET upvotes = new.upvotes, day = new.day, has_code = {code},
                org = new.organization, stars = {stars}
            WHERE pk = new.pk;
        END;
    """


def _m011_feeds_and_interests() -> str:
    return """
        -- a channel's secret feed URL token (at most one; rotating replaces it, off deletes it)
        CREATE TABLE feed_tokens (
            channel_key TEXT PRIMARY KEY,
            token TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );

        -- a person's own alert, made in a channel (Notify me too, or `mine subscribe`):
        -- its matches go to them by direct message
        CREATE TABLE interests (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            channel_key TEXT NOT NULL,
            user TEXT NOT NULL,
            query TEXT NOT NULL,
            subscription_id INTEGER,
            muted INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 0,
            UNIQUE (channel_key, user, query)
        );
        CREATE INDEX interests_user ON interests (user, channel_key);
        CREATE INDEX interests_version ON interests (version);
        CREATE TABLE interests_removed (id INTEGER PRIMARY KEY, version INTEGER NOT NULL);

        -- a person the platform refused a direct message (DMs closed): their matches come as
        -- mentions in the channel until they ask again; `told` once they were told privately
        CREATE TABLE dm_closed (
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            user TEXT NOT NULL,
            closed_at TEXT NOT NULL,
            told INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (platform, workspace, user)
        );
    """


def _m012_paper_vectors() -> str:
    return """
        -- a similarity engine's features of a paper (TF-IDF term counts, an embedding),
        -- computed once per (engine, paper) and again when the texts they read change
        -- (`digest`: HF may add a paper's AI keywords after it is first listed)
        CREATE TABLE paper_vectors (
            engine TEXT NOT NULL,
            paper_id TEXT NOT NULL,
            digest TEXT NOT NULL,
            vector BLOB NOT NULL,
            PRIMARY KEY (engine, paper_id)
        ) WITHOUT ROWID;

        -- the search index's vocabulary: how many papers have each term (TF-IDF's df)
        CREATE VIRTUAL TABLE papers_vocab USING fts5vocab(papers_fts, row);
    """


MIGRATIONS: list[tuple[str, Callable[[], str]]] = [
    ("001_initial", _m001_initial),
    ("002_alerts_and_health", _m002_alerts_and_health),
    ("003_exactly_once", _m003_exactly_once),
    ("004_schedules", _m004_schedules),
    ("005_workspaces", _m005_workspaces),
    ("006_subscriptions_version", _m006_subscriptions_version),
    ("007_rank_table_and_titles", _m007_rank_table_and_titles),
    ("008_digest_filter", _m008_digest_filter),
    ("009_layout_climbers_clicks", _m009_layout_climbers_clicks),
    ("010_rank_org_and_stars", _m010_rank_org_and_stars),
    ("011_feeds_and_interests", _m011_feeds_and_interests),
    ("012_paper_vectors", _m012_paper_vectors),
]


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply pending migrations in order; return the names applied.

    Each runs in its own write transaction that first checks, under the lock, that no other
    process applied it meanwhile: several paperboy processes may start on one file at once.
    """
    conn = db.conn
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    done = {row[0] for row in conn.execute("SELECT name FROM migrations").fetchall()}
    applied = []
    for name, step in MIGRATIONS:
        if name in done:
            continue
        with write(db):
            if conn.execute("SELECT 1 FROM migrations WHERE name = ?", [name]).fetchone():
                continue  # another process was first
            for statement in statements(step()):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO migrations (name, applied_at) VALUES (?, datetime('now'))", [name]
            )
        log.debug("applied migration %s", name)
        applied.append(name)
    return applied


def statements(script: str) -> Iterator[str]:
    """The SQL statements of a script, one at a time (a trigger's body stays whole)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip() and not all(
        not ln.strip() or ln.strip().startswith("--") for ln in buffer.splitlines()
    ):
        raise ValueError(f"unterminated SQL statement in a migration: {buffer.strip()[:80]}")
