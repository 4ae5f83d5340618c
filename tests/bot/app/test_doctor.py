"""`paperboy doctor`, run as a real process against the HF, Slack and Discord fakes on a real
database file; and its parts (settings, database, Discord's permission arithmetic) up close."""

from __future__ import annotations

import io
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest
from rich.console import Console

from adapters.discord.adapter import PERMISSIONS
from adapters.slack.adapter import BOT_SCOPES
from bot.app import doctor
from bot.app.doctor import Status, channel_permissions, check_database
from bot.domain import ChannelRef, ChannelSettings, Schedule
from storage.store import Store
from tests.bot.app.cli_run import bare_env, clear_settings, closed_port, paperboy
from tests.fakes import discord_fixture, slack_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_records import (
    CREATE_PUBLIC_THREADS,
    DEFAULT_BOT_PERMISSIONS,
    EMBED_LINKS,
)
from tests.fakes.hf_server import Canned, HFServer
from tests.fakes.slack_api import SlackFake
from tests.helpers import at, seed_two_papers
from tests.storage.damage import damage

slack_fake = slack_fixture.slack_fake
discord_fake = discord_fixture.discord_fake

ROOT = Path(__file__).resolve().parents[3]
GUILD = str(discord_fixture.GUILD)
PAPERS = ChannelRef("discord", GUILD, str(discord_fixture.PAPERS))
RANDOM = ChannelRef("discord", GUILD, str(discord_fixture.RANDOM))
HF_TOKEN = "hf_FakeReadTokenForTheDoctor0123"
NOW = at("2026-11-25 12:00")


@dataclass
class Report:
    code: int
    out: str
    err: str
    rows: list[tuple[str, str, str, str]]  # (check, status, result, fix)

    def of(self, check: str) -> list[tuple[str, str, str, str]]:
        return [row for row in self.rows if row[0] == check]

    def statuses(self, check: str) -> list[str]:
        return [row[1] for row in self.of(check)]


def _rows(text: str) -> list[tuple[str, str, str, str]]:
    """The report's rows as a pipe gets them: a whole line each, four tab-separated fields;
    then the summary line."""
    *lines, summary = text.splitlines()
    assert "\t" not in summary
    rows = [tuple(line.split("\t")) for line in lines]
    assert all(len(row) == 4 for row in rows), text
    return [(a, b, c, d) for a, b, c, d in rows]


async def _doctor(env: dict[str, str], cwd: Path) -> Report:
    result = await paperboy(["doctor"], env, cwd)
    return Report(result.code, result.out, result.err, _rows(result.out))


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """No COLUMNS: a pipe's report is whole lines, whatever width rich would assume."""
    env = bare_env(**{"PAPERBOY_DB": str(tmp_path / "paperboy.db"), **settings})
    return {name: value for name, value in env.items() if name not in ("COLUMNS", "LINES")}


def _team_env(tmp_path: Path, hf: HFServer, slack: SlackFake, discord_: DiscordFake) -> dict:
    """A team's setup: Slack in Socket Mode (installed from the manifest), Discord, a Hugging
    Face token."""
    slack.grant(slack_fixture.BOT_TOKEN, *BOT_SCOPES)
    return _env(
        tmp_path,
        PAPERBOY_HF_URL=hf.url,
        HF_TOKEN=HF_TOKEN,
        SLACK_BOT_TOKEN=slack_fixture.BOT_TOKEN,
        SLACK_APP_TOKEN=slack_fixture.APP_TOKEN,
        SLACK_API_URL=slack.api_url,
        DISCORD_TOKEN=discord_fixture.TOKEN,
        DISCORD_API_URL=discord_.api_base,
    )


def _archive(path: Path) -> Path:
    """A database with papers, a Discord digest in #papers and an alert in #random."""
    store = Store(path)
    seed_two_papers(store)
    store.save_schedule(
        Schedule(PAPERS, "digest", enabled=True, time="09:00", timezone="Europe/Paris"), NOW
    )
    store.save_channel(ChannelSettings(RANDOM))
    store.add_subscription(RANDOM, "diffusion", "3000", NOW)
    store.save_schedule(
        Schedule(ChannelRef("slack", slack_fixture.TEAM, "C1"), "digest", enabled=True), NOW
    )
    store.close()
    return path


def _tokens(env: dict[str, str]) -> list[str]:
    return [
        env[name] for name in ("HF_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "DISCORD_TOKEN")
    ]


# --------------------------------------------------------------------------- the whole report


async def test_a_healthy_team_setup_is_all_green_and_exits_0(
    tmp_path: Path, hf_server: HFServer, slack_fake: SlackFake, discord_fake: DiscordFake
) -> None:
    _archive(tmp_path / "paperboy.db")
    env = _team_env(tmp_path, hf_server, slack_fake, discord_fake)
    report = await _doctor(env, tmp_path)
    assert report.code == 0, report.out + report.err
    assert "FAIL" not in report.out and "All checks passed." in report.out
    assert report.statuses("settings") == ["ok"]
    assert report.of("slack")[0][2].startswith("starts in Socket Mode")
    assert report.of("discord")[0][2] == "starts"
    assert report.statuses("console") == ["off"]
    assert report.of("database")[0][1] == "ok" and "intact" in report.of("database")[0][2]
    assert report.of("papers")[0][2].startswith("2 stored")
    assert report.of("feed")[0][1] == "ok"
    slack = report.of("slack")[1]
    assert slack[1] == "ok" and "Paper Readers" in slack[2]
    assert report.statuses("slack scopes") == ["ok"]
    assert all(scope in report.of("slack scopes")[0][2] for scope in BOT_SCOPES)
    assert report.statuses("slack app token") == ["ok"]
    assert "logged in as paperboy" in report.of("discord")[1][2]
    for ref in (PAPERS, RANDOM):
        assert report.statuses(ref.key) == ["ok"]
    assert report.of(PAPERS.key)[0][2].startswith("#papers: can post")
    # One request to the feed, with the bearer token; the token itself is never shown.
    (request,) = hf_server.feed_requests()
    assert request.headers["Authorization"] == f"Bearer {HF_TOKEN}"
    assert not any(token in report.out + report.err for token in _tokens(env))


async def test_a_misconfigured_setup_has_red_lines_with_fixes_and_exits_1(
    tmp_path: Path, hf_server: HFServer, slack_fake: SlackFake, discord_fake: DiscordFake
) -> None:
    db = _archive(tmp_path / "paperboy.db")
    damage(db)
    hf_server.script(Canned(status=503, json={"error": "Service Unavailable"}))
    env = _team_env(tmp_path, hf_server, slack_fake, discord_fake) | {
        "PAPERBOY_TIMEZONE": "Mars/Base",
        "DISCORD_TOKEN": "MTIzNDU2Nzg5MDEyMzQ1Njc4.GxYzAb.refused-token-refused-token-000",
    }
    slack_fake.withhold(slack_fixture.BOT_TOKEN, "channels:history", "groups:history")
    report = await _doctor(env, tmp_path)
    assert report.code == 1, report.out + report.err
    failed = {row[0]: row for row in report.rows if row[1] == "FAIL"}
    assert set(failed) == {"settings", "database", "feed", "slack scopes", "discord"}, failed
    assert all(row[3] for row in failed.values())  # every red line says what to do
    assert "PAPERBOY_TIMEZONE: unknown time zone 'Mars/Base'" in failed["settings"][2]
    assert "damaged" in failed["database"][2] and ".recover" in failed["database"][3]
    assert "HTTP 503" in failed["feed"][2]
    assert "channels:history, groups:history" in failed["slack scopes"][2]
    assert "sent twice" in failed["slack scopes"][2]
    assert "reinstall" in failed["slack scopes"][3]
    assert "refused DISCORD_TOKEN" in failed["discord"][2] and "Reset Token" in failed["discord"][3]
    # The checks that could run still did: the rest of the report is there.
    assert report.statuses("slack")[-1] == "ok" and report.statuses("slack app token") == ["ok"]
    assert "Traceback" not in report.out + report.err
    assert not any(token in report.out + report.err for token in _tokens(env))


async def test_discord_permissions_are_checked_in_each_channel_with_deliveries(
    tmp_path: Path, hf_server: HFServer, discord_fake: DiscordFake
) -> None:
    _archive(tmp_path / "paperboy.db")
    discord_fake.world.bot_permissions = DEFAULT_BOT_PERMISSIONS & ~EMBED_LINKS
    discord_fake.deny(discord_fixture.PAPERS, CREATE_PUBLIC_THREADS)  # a channel overwrite
    discord_fake.forbid(discord_fixture.RANDOM)
    env = _env(
        tmp_path,
        PAPERBOY_HF_URL=hf_server.url,
        DISCORD_TOKEN=discord_fixture.TOKEN,
        DISCORD_API_URL=discord_fake.api_base,
    )
    report = await _doctor(env, tmp_path)
    assert report.code == 1
    (papers,) = report.of(PAPERS.key)
    (random,) = report.of(RANDOM.key)
    assert papers[1] == "FAIL"
    assert papers[2] == "#papers: paperboy lacks Embed Links, Create Public Threads"
    assert "Create Public Threads" in papers[3] and "discord-invite" in papers[3]
    assert random[1] == "FAIL" and "cannot see this channel" in random[2]
    assert "View Channel" in random[3]
    assert report.statuses("slack") == ["off"]  # Slack is simply not configured: fine


async def test_lacking_create_public_threads_is_a_warning_and_no_concern_of_a_forum(
    tmp_path: Path, hf_server: HFServer, discord_fake: DiscordFake
) -> None:
    store = Store(_archive(tmp_path / "paperboy.db"))
    forum = ChannelRef("discord", GUILD, str(discord_fixture.FORUM_CHANNEL))
    store.save_schedule(Schedule(forum, "digest", enabled=True), NOW)
    store.close()
    for channel in (discord_fixture.PAPERS, discord_fixture.RANDOM, discord_fixture.FORUM_CHANNEL):
        discord_fake.deny(channel, CREATE_PUBLIC_THREADS)
    env = _env(
        tmp_path,
        PAPERBOY_HF_URL=hf_server.url,
        DISCORD_TOKEN=discord_fixture.TOKEN,
        DISCORD_API_URL=discord_fake.api_base,
    )
    report = await _doctor(env, tmp_path)
    assert report.code == 0, report.out + report.err
    for ref in (PAPERS, RANDOM):
        ((_, status, result, fix),) = report.of(ref.key)
        assert status == "warn" and "lacks Create Public Threads" in result
        assert "details go in the channel instead of a thread" in result
        assert "Create Public Threads" in fix
    ((_, status, result, _fix),) = report.of(forum.key)
    assert status == "ok" and "Create Public Threads" not in result
    assert "warn lines" in report.out


async def test_a_refused_slack_bot_token_is_a_red_line(
    tmp_path: Path, hf_server: HFServer, slack_fake: SlackFake
) -> None:
    env = _env(
        tmp_path,
        PAPERBOY_HF_URL=hf_server.url,
        SLACK_BOT_TOKEN="xoxb-not-a-token-slack-knows",
        SLACK_API_URL=slack_fake.api_url,
    )
    report = await _doctor(env, tmp_path)
    assert report.code == 1
    assert report.of("slack")[0][1] == "off"  # a bot token alone: posting only
    refused = report.of("slack")[1]
    assert refused[1] == "FAIL" and refused[2] == "Slack refused the bot token: invalid_auth"
    assert "xoxb-not-a-token" not in report.out + report.err


@pytest.mark.parametrize("answer", ["non_json", "error", "drop"])
async def test_a_slack_down_is_not_a_refused_app_token(
    tmp_path: Path, hf_server: HFServer, slack_fake: SlackFake, answer: str
) -> None:
    slack_fake.grant(slack_fixture.BOT_TOKEN, *BOT_SCOPES)
    # Every try fails (the client retries a dropped connection once on its own).
    slack_fake.script_fault(
        answer,  # type: ignore[arg-type]
        method="apps.connections.open",
        when="before",
        status=500,
        times=10,
    )
    env = _env(
        tmp_path,
        PAPERBOY_HF_URL=hf_server.url,
        SLACK_BOT_TOKEN=slack_fixture.BOT_TOKEN,
        SLACK_APP_TOKEN=slack_fixture.APP_TOKEN,
        SLACK_API_URL=slack_fake.api_url,
    )
    report = await _doctor(env, tmp_path)
    assert report.code == 1, report.out + report.err
    ((_name, status, result, fix),) = report.of("slack app token")
    assert status == "FAIL" and result.startswith("apps.connections.open failed: "), result
    assert "refused" not in result and "app-level token" not in fix
    assert fix == "Slack may be down, or check the network and SLACK_API_URL"
    assert report.statuses("slack")[-1] == "ok"  # the bot token was fine


async def test_a_refused_slack_app_token_says_to_create_one(
    tmp_path: Path, hf_server: HFServer, slack_fake: SlackFake
) -> None:
    slack_fake.grant(slack_fixture.BOT_TOKEN, *BOT_SCOPES)
    env = _env(
        tmp_path,
        PAPERBOY_HF_URL=hf_server.url,
        SLACK_BOT_TOKEN=slack_fixture.BOT_TOKEN,
        SLACK_APP_TOKEN="xapp-1-A0-0-not-a-token-slack-knows",
        SLACK_API_URL=slack_fake.api_url,
    )
    report = await _doctor(env, tmp_path)
    ((_name, status, result, fix),) = report.of("slack app token")
    assert (status, result) == ("FAIL", "Slack refused SLACK_APP_TOKEN: invalid_auth")
    assert "app-level token" in fix


async def test_a_piped_report_cuts_no_value(tmp_path: Path) -> None:
    """No COLUMNS, a pipe: the long feed URL and its fix are there whole."""
    feed = f"http://127.0.0.1:{closed_port()}/{'long-proxy-path/' * 6}hf"
    report = await _doctor(_env(tmp_path, PAPERBOY_HF_URL=feed), tmp_path)
    assert report.code == 1
    ((_name, status, result, fix),) = report.of("feed")
    assert status == "FAIL" and result.startswith(f"{feed}/api/daily_papers cannot be reached")
    assert fix == "check the network (a proxy?) and PAPERBOY_HF_URL"
    assert "…" not in report.out
    assert report.out.splitlines()[-1] == (
        "1 problem: fix the FAIL lines, then run `paperboy doctor` again."
    )


def test_on_a_narrow_terminal_the_table_folds_long_values_and_cuts_none() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=60, color_system=None)
    url = "https://discord.com/api/v10/channels/1234567890123456789/permissions"
    checks = [
        doctor.fail("PAPERBOY_SLACK_ADMINS_ONLY_AND_MORE", f"{url} answered HTTP 500", "retry")
    ]
    doctor.render(checks, console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "…" not in text
    cells = "".join(
        line.split("│")[col].strip()
        for col in (1, 3)  # the check and result columns, each read down its lines
        for line in text.splitlines()
        if line.count("│") == 5
    )
    assert "PAPERBOY_SLACK_ADMINS_ONLY_AND_MORE" in cells and url in cells


async def test_with_nothing_configured_the_console_starts_and_all_is_fine(
    tmp_path: Path, hf_server: HFServer
) -> None:
    report = await _doctor(_env(tmp_path, PAPERBOY_HF_URL=hf_server.url), tmp_path)
    assert report.code == 0, report.out
    assert report.statuses("console") == ["ok"]
    assert report.statuses("slack") == ["off"] and report.statuses("discord") == ["off"]
    assert "does not exist yet" in report.of("database")[0][2]
    assert not (tmp_path / "paperboy.db").exists()  # doctor creates nothing


# --------------------------------------------------------------------------- settings


def test_each_bad_setting_is_a_red_line_and_the_rest_still_loads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    clear_settings(monkeypatch)
    monkeypatch.setenv("PAPERBOY_TIMEZONE", "Mars/Base")
    monkeypatch.setenv("PAPERBOY_DIGEST_TIME", "25:99")
    monkeypatch.setenv("PAPERBOY_POLL_MINUTES", "15")
    settings, checks = doctor.load_settings()
    assert [(c.status, c.detail.split(":")[0]) for c in checks] == [
        (Status.FAIL, "PAPERBOY_DIGEST_TIME"),
        (Status.FAIL, "PAPERBOY_TIMEZONE"),
    ]
    assert "Value error" not in checks[0].detail
    assert checks[1].fix == "fix PAPERBOY_TIMEZONE, or unset it (default UTC)"
    assert (settings.timezone, settings.digest_time, settings.poll_minutes) == ("UTC", "09:00", 15)


# --------------------------------------------------------------------------- the database


def _database(path: Path) -> list[tuple[str, Status, str]]:
    checks, archive = check_database(str(path))
    if archive.store is not None:
        archive.store.close()
    return [(c.name, c.status, c.detail) for c in checks]


def test_a_healthy_database_is_writable_intact_current_with_its_papers(tmp_path: Path) -> None:
    db = _archive(tmp_path / "paperboy.db")
    found = _database(db)
    assert [(name, status) for name, status, _ in found] == [
        ("database", Status.OK),
        ("schema", Status.OK),
        ("papers", Status.OK),
        ("schedules", Status.OK),
    ]
    assert found[2][2] == "2 stored, newest day 2026-11-25"
    assert found[3][2] == "2 on (Europe/Paris, UTC)"


def test_a_damaged_database_is_red_and_says_what_to_do(tmp_path: Path) -> None:
    db = _archive(tmp_path / "paperboy.db")
    damage(db)
    checks, archive = check_database(str(db))
    assert archive.store is None
    (check,) = checks
    assert check.status is Status.FAIL and check.detail.startswith(f"{db} is damaged")
    # The repair the CLI names for the same file (storage.store.damaged): one advice.
    assert check.fix == (
        f"stop paperboy and restore the file from a backup, or save what is left with "
        f"`sqlite3 {db} .recover | sqlite3 recovered.db` and use recovered.db instead"
    )


def test_a_file_that_is_no_database_is_red(tmp_path: Path) -> None:
    garbage = tmp_path / "paperboy.db"
    garbage.write_bytes(b"not sqlite at all " * 500)
    ((_name, status, detail),) = _database(garbage)
    assert status is Status.FAIL and "file is not a database" in detail


def test_a_sqlite_file_of_another_program_is_red(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    ((_name, status, detail),) = _database(other)
    assert status is Status.FAIL and "not paperboy's" in detail


def test_pending_migrations_are_left_for_the_next_start(tmp_path: Path) -> None:
    db = _archive(tmp_path / "paperboy.db")
    with sqlite3.connect(db) as conn:
        (last,) = conn.execute("SELECT max(name) FROM migrations").fetchone()
        conn.execute("DELETE FROM migrations WHERE name = ?", [last])
    found = _database(db)
    assert found[1][:2] == ("schema", Status.OFF) and last in found[1][2]
    with sqlite3.connect(db) as conn:  # doctor applied nothing
        assert conn.execute("SELECT 1 FROM migrations WHERE name = ?", [last]).fetchone() is None


def test_a_database_from_a_newer_paperboy_is_red(tmp_path: Path) -> None:
    db = _archive(tmp_path / "paperboy.db")
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO migrations VALUES ('999_from_the_future', datetime('now'))")
    ((_name, status, detail),) = _database(db)
    assert status is Status.FAIL and "newer paperboy" in detail


def test_a_missing_file_is_fine_but_a_missing_folder_is_not(tmp_path: Path) -> None:
    assert _database(tmp_path / "new.db")[0][1] is Status.OFF
    ((_name, status, detail),) = _database(tmp_path / "nowhere" / "new.db")
    assert status is Status.FAIL and "does not exist" in detail


def test_a_stored_digest_in_a_zone_that_is_no_zone_is_red(tmp_path: Path) -> None:
    db = _archive(tmp_path / "paperboy.db")
    store = Store(db)
    store.save_schedule(Schedule(RANDOM, "digest", enabled=True, timezone="localtime"), NOW)
    store.close()
    schedules = [c for c in _database(db) if c[0] == "schedules"]
    assert schedules == [
        ("schedules", Status.FAIL, f"{RANDOM.key} digest at 09:00 localtime: not an IANA time zone")
    ]


# --------------------------------------------------------------------------- Discord's arithmetic

VIEW, SEND, EMBED = 1 << 10, 1 << 11, 1 << 14
BOT_ROLE, OTHER_ROLE, BOT, OWNER, GUILD_ID = 11, 12, 500, 1, 100


def _permissions(
    overwrites: Sequence[dict[str, object]] = (),
    *,
    everyone: int = VIEW | SEND,
    bot_role: int = EMBED,
    member_roles: Sequence[int] = (BOT_ROLE,),
    user: int = BOT,
) -> discord.Permissions:
    result: discord.Permissions = channel_permissions(
        guild_id=GUILD_ID,
        owner_id=OWNER,
        roles={GUILD_ID: everyone, BOT_ROLE: bot_role, OTHER_ROLE: 0},
        user_id=user,
        member_roles=member_roles,
        overwrites=[{**o, "allow": str(o["allow"]), "deny": str(o["deny"])} for o in overwrites],
    )
    return result


def _overwrite(target: int, kind: int, allow: int = 0, deny: int = 0) -> dict[str, object]:
    return {"id": str(target), "type": kind, "allow": allow, "deny": deny}


def test_guild_permissions_are_everyone_s_and_the_roles_together() -> None:
    assert _permissions().value == VIEW | SEND | EMBED


def test_the_everyone_overwrite_applies_before_role_overwrites() -> None:
    denied = _permissions([_overwrite(GUILD_ID, 0, deny=VIEW)])
    restored = _permissions(
        [_overwrite(GUILD_ID, 0, deny=VIEW), _overwrite(BOT_ROLE, 0, allow=VIEW)]
    )
    assert not denied.view_channel and restored.view_channel


def test_an_allow_in_one_role_s_overwrite_beats_a_deny_in_another_s() -> None:
    overwrites = [_overwrite(BOT_ROLE, 0, deny=SEND), _overwrite(OTHER_ROLE, 0, allow=SEND)]
    assert _permissions(overwrites, member_roles=(BOT_ROLE, OTHER_ROLE)).send_messages
    assert not _permissions(overwrites, member_roles=(BOT_ROLE,)).send_messages


def test_the_member_s_own_overwrite_comes_last() -> None:
    overwrites = [_overwrite(BOT_ROLE, 0, allow=EMBED), _overwrite(BOT, 1, deny=EMBED)]
    assert not _permissions(overwrites).embed_links
    # A member overwrite is matched by type: a role with the same id is not the member.
    assert _permissions([_overwrite(BOT, 0, deny=EMBED)]).embed_links


def test_administrators_and_the_owner_have_every_permission_whatever_the_overwrites() -> None:
    deny_all = [_overwrite(GUILD_ID, 0, deny=VIEW | SEND | EMBED), _overwrite(BOT, 1, deny=VIEW)]
    assert _permissions(deny_all, bot_role=1 << 3) == discord.Permissions.all()
    assert _permissions(deny_all, user=OWNER) == discord.Permissions.all()


# --------------------------------------------------------------------------- what it asks Slack for


def test_the_scopes_checked_are_the_ones_the_manifest_asks_for() -> None:
    manifest = (ROOT / "slack-manifest.yml").read_text(encoding="utf-8")
    bot = manifest.split("    bot:\n", 1)[1]
    asked = re.findall(r"^      - (\S+)$", bot.split("\nsettings:", 1)[0], re.M)
    assert tuple(asked) == BOT_SCOPES
    assert {"channels:history", "groups:history"} <= set(doctor.SCOPE_USES) == set(BOT_SCOPES)


def test_the_discord_permissions_checked_are_the_ones_the_invite_asks_for() -> None:
    checked = discord.Permissions(**{flag: True for flag, _label in doctor.DISCORD_NEEDS})
    assert checked == PERMISSIONS


# --------------------------------------------------------------------------- similarity


def test_a_semantic_engine_that_cannot_load_is_a_red_line_with_the_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "wordllama", None)  # as if the extra is not installed
    check = doctor.check_semantic()
    assert check.status is Status.FAIL and "paperboy-bot[semantic]" in check.fix


def test_a_semantic_engine_that_loads_is_green() -> None:
    pytest.importorskip("wordllama")
    assert doctor.check_semantic().status is Status.OK
