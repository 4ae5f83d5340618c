"""Every error the CLI can hit is one line on stderr with the right exit code, never a
traceback: a damaged database, bad settings, a feed or Discord that is down, a post that
failed, an interrupted backfill, and tokens a server echoes back."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.bot.app.cli_run import Result, cli_env, closed_port, paperboy, serving, spawn
from tests.data.make_days import GENERATED_DAY
from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake
from tests.fakes.discord_fixture import GUILD, PAPERS, TOKEN
from tests.fakes.hf_server import HFServer, garbage, slow
from tests.helpers import eventually
from tests.storage.damage import damage

DAY = GENERATED_DAY.isoformat()
HF_TOKEN = "hf_" + "Secret0Token1Value2" * 2
discord_fake = discord_fixture.discord_fake


@pytest.fixture
def env(tmp_path: Path, hf_server: HFServer) -> dict[str, str]:
    return cli_env(tmp_path, hf_server)


def one_line(result: Result, *, logs: bool = False) -> str:
    """The result's only stderr line (asserting it is one, and no traceback); with `logs`,
    its only line of paperboy's own (the log lines before it aside)."""
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    if logs:
        lines = [line for line in lines if line.startswith("paperboy:")]
    assert len(lines) == 1, result.err
    return lines[0]


# --- a damaged database -------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["search", "multimodal"],
        ["fetch", "--date", DAY],
        ["digest", "--date", DAY],
        ["command", "today"],
        ["command", "search multimodal"],
    ],
)
async def test_a_damaged_database_is_one_line_naming_the_file_and_the_repair(
    env: dict[str, str], tmp_path: Path, args: list[str]
) -> None:
    assert (await paperboy(["fetch", "--date", DAY], env, tmp_path)).code == 0
    damage(tmp_path / "cli.db")

    result = await paperboy(args, env, tmp_path)

    assert result.code == 2
    line = one_line(result)
    db = tmp_path / "cli.db"
    assert line.startswith(f"paperboy: the database {db} is damaged (SQLite: ")
    assert f"sqlite3 {db} .recover | sqlite3 recovered.db" in line


async def test_a_file_that_is_not_a_database_says_the_same(
    env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "cli.db").write_bytes(b"\xa5" * 8192)
    result = await paperboy(["status"], env, tmp_path)
    assert result.code == 2
    assert one_line(result).startswith(
        f"paperboy: the database {tmp_path / 'cli.db'} is damaged (SQLite: file is not a database)"
    )


# --- settings -----------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["search", "diffusion"], ["fetch", "--date", DAY], ["status"]])
@pytest.mark.parametrize("where", ["environment", ".env"])
async def test_an_empty_database_setting_is_refused(
    env: dict[str, str], tmp_path: Path, args: list[str], where: str
) -> None:
    if where == ".env":
        del env["PAPERBOY_DB"]
        (tmp_path / ".env").write_text("PAPERBOY_DB=\n", encoding="utf-8")
    else:
        env["PAPERBOY_DB"] = ""
    result = await paperboy(args, env, tmp_path)
    assert result.code == 2
    assert one_line(result).startswith("paperboy: bad configuration: PAPERBOY_DB: is empty")
    assert list(tmp_path.glob("*.db")) == []


async def test_run_refuses_an_in_memory_database(env: dict[str, str], tmp_path: Path) -> None:
    result = await paperboy(["run"], {**env, "PAPERBOY_DB": ":memory:"}, tmp_path)
    assert result.code == 2
    assert "`paperboy run` needs a database file" in one_line(result)


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("PAPERBOY_TIMEZONE", "Mars/Base", "PAPERBOY_TIMEZONE: unknown time zone 'Mars/Base'"),
        ("PAPERBOY_DIGEST_TIME", "25:00", "PAPERBOY_DIGEST_TIME: '25:00' is not a time"),
    ],
)
async def test_a_bad_setting_is_one_clean_line(
    env: dict[str, str], tmp_path: Path, name: str, value: str, message: str
) -> None:
    result = await paperboy(["status"], {**env, name: value}, tmp_path)
    assert result.code == 2
    assert one_line(result).startswith(f"paperboy: bad configuration: {message}")
    assert "Value error" not in result.err


# --- the feed -----------------------------------------------------------------------------


async def test_a_failed_fetch_prints_no_summary(
    env: dict[str, str], tmp_path: Path, hf_server: HFServer
) -> None:
    hf_server.script(garbage())  # a proxy's "502 Bad Gateway" page, served as 200
    result = await paperboy(["fetch", "--date", DAY], env, tmp_path)
    assert result.code == 1
    assert result.out == ""
    assert one_line(result, logs=True).startswith(f"paperboy: fetching failed: {DAY}: GET ")


@pytest.fixture
async def echoing_feed() -> AsyncIterator[str]:
    """A feed that refuses every request, echoing its Authorization header in the error."""

    async def refuse(request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        return web.json_response({"error": f"invalid credentials: {header}"}, status=401)

    app = web.Application()
    app.router.add_get("/api/daily_papers", refuse)
    async with serving(app) as url:
        yield url


@pytest.mark.parametrize(
    "args", [["fetch", "--date", DAY], ["backfill", "--since", DAY, "--delay", "0"]]
)
async def test_a_token_the_feed_echoes_is_redacted(
    env: dict[str, str], tmp_path: Path, echoing_feed: str, args: list[str]
) -> None:
    feed = {**env, "PAPERBOY_HF_URL": echoing_feed, "HF_TOKEN": HF_TOKEN}
    result = await paperboy(args, feed, tmp_path)
    assert result.code == 1
    assert "invalid credentials: Bearer [redacted]" in result.err
    assert HF_TOKEN not in result.err + result.out
    assert "Traceback" not in result.err


async def test_backfill_stops_after_three_failed_days_saying_where_to_resume(
    env: dict[str, str], tmp_path: Path, hf_server: HFServer
) -> None:
    hf_server.script(*[garbage()] * 4)  # the feed is down (behind a proxy)
    since, until = "2026-03-01", "2026-03-09"  # Sunday, then a week by `week=`, then Monday

    result = await paperboy(
        ["backfill", "--since", since, "--until", until, "--delay", "0"], env, tmp_path
    )

    assert result.code == 1
    assert "0 days fetched" in result.out
    line = one_line(result, logs=True)
    assert line.startswith("paperboy: backfill stopped after 3 failed days in a row (last: ")
    assert line.endswith(f"resume with `paperboy backfill --since {since} --until {until}`")
    # Sunday 1st; the week 2026-W10, which falls back to its days: Monday, Tuesday. No more.
    asked = [r.query.get("date") or r.query.get("week") for r in hf_server.feed_requests()]
    assert asked == ["2026-03-01", "2026-W10", "2026-03-02", "2026-03-03"]


async def test_an_interrupted_backfill_says_where_it_stopped_and_exits_130(
    env: dict[str, str], tmp_path: Path, hf_server: HFServer
) -> None:
    hf_server.script(slow(0), slow(60))  # 2026-03-06 is answered; 2026-03-07 hangs
    proc = await spawn(
        ["backfill", "--since", "2026-03-06", "--until", "2026-03-09", "--delay", "0"],
        env,
        tmp_path,
    )
    await eventually(lambda: len(hf_server.feed_requests()) == 2, timeout=30)
    proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=30)

    assert proc.returncode == 130
    line = one_line(Result(130, out.decode(), err.decode()), logs=True)
    assert line.startswith("paperboy: backfill interrupted before 2026-03-07 (1 day fetched")
    assert line.endswith("resume with `paperboy backfill --since 2026-03-07 --until 2026-03-09`")
    assert "Traceback" not in err.decode()


# --- posts and Discord --------------------------------------------------------------------


async def test_digest_send_exits_1_naming_the_channel_a_post_did_not_reach(
    env: dict[str, str], tmp_path: Path, discord_fake: DiscordFake
) -> None:
    channel = f"discord:{GUILD}:{PAPERS}"
    discord = {**env, "DISCORD_TOKEN": TOKEN, "DISCORD_API_URL": discord_fake.api_base}
    await paperboy(["fetch", "--date", DAY], env, tmp_path)
    discord_fake.forbid(PAPERS)

    result = await paperboy(
        ["digest", "--date", DAY, "--send", "--channel", channel], discord, tmp_path
    )

    assert result.code == 1
    lines = [line for line in result.err.splitlines() if line.startswith(("paperboy:", channel))]
    assert lines[0].startswith(f"{channel}: ")
    assert lines[-1] == f"paperboy: the daily digest did not reach {channel}"
    assert "Traceback" not in result.err


@pytest.fixture
async def discord_500() -> AsyncIterator[str]:
    """A Discord API that answers every request 503 (discord.py retries only 500, 502, 504
    and 524 on its own: with real waits)."""

    async def down(request: web.Request) -> web.Response:
        return web.Response(status=503, text="upstream connect error")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", down)
    async with serving(app) as url:
        yield f"{url}/api/v10"


@pytest.mark.parametrize("where", ["closed port", "5xx"])
async def test_discord_invite_says_discord_cannot_be_asked(
    env: dict[str, str], tmp_path: Path, discord_500: str, where: str
) -> None:
    api = f"http://127.0.0.1:{closed_port()}/api/v10" if where == "closed port" else discord_500
    discord = {**env, "DISCORD_TOKEN": TOKEN, "DISCORD_API_URL": api}
    result = await paperboy(["discord-invite"], discord, tmp_path)
    assert result.code == 1
    line = one_line(result, logs=True)
    assert line.startswith(f"paperboy: cannot ask Discord ({api}) for the application id: ")
    assert line.endswith("; try again later, or pass --application-id")
    assert "Traceback" not in result.err


# --- PAPERBOY_LOG_FORMAT=json -------------------------------------------------------------


def json_lines(result: Result) -> list[dict[str, object]]:
    """stderr's lines, each parsed as the JSON object it must be."""
    lines = result.err.splitlines()
    assert lines, "nothing on stderr"
    return [json.loads(line) for line in lines]


@pytest.mark.parametrize(
    "args, extra, message",
    [
        (["search", "(mamba"], {}, "parenthesis"),  # before any setting is read
        (["status"], {"PAPERBOY_TIMEZONE": "Mars/Base"}, "bad configuration: PAPERBOY_TIMEZONE"),
        (["resume", "slack:T9"], {}, "slack:T9 is not paused"),  # after logging is set up
    ],
)
async def test_in_json_mode_a_failure_is_a_json_line_too(
    env: dict[str, str], tmp_path: Path, args: list[str], extra: dict[str, str], message: str
) -> None:
    result = await paperboy(args, {**env, "PAPERBOY_LOG_FORMAT": "json", **extra}, tmp_path)
    assert result.code == 2
    (line,) = json_lines(result)
    assert (line["level"], line["logger"]) == ("ERROR", "paperboy")
    assert message in str(line["message"]) and {"ts"} <= set(line)


async def test_in_json_mode_from_a_dotenv_file_a_bad_setting_is_a_json_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("paperboy_log_format=JSON\n", encoding="utf-8")
    result = await paperboy(["status"], {**env, "PAPERBOY_DIGEST_TIME": "25:00"}, tmp_path)
    assert result.code == 2
    (line,) = json_lines(result)
    assert str(line["message"]).startswith("bad configuration: PAPERBOY_DIGEST_TIME")


async def test_in_json_mode_every_stderr_line_of_a_failed_run_is_json(
    env: dict[str, str], tmp_path: Path, echoing_feed: str
) -> None:
    """A backfill that fails: the core's log lines, no progress bar, and paperboy's own
    last line, every one an object (the token the feed echoes redacted in it)."""
    feed = {
        **env,
        "PAPERBOY_HF_URL": echoing_feed,
        "HF_TOKEN": HF_TOKEN,
        "PAPERBOY_LOG_FORMAT": "json",
        "PAPERBOY_LOG_LEVEL": "INFO",
    }
    result = await paperboy(
        ["backfill", "--since", DAY, "--until", DAY, "--delay", "0"], feed, tmp_path
    )
    assert result.code == 1
    lines = json_lines(result)
    assert (lines[-1]["level"], lines[-1]["logger"]) == ("ERROR", "paperboy")
    assert str(lines[-1]["message"]).startswith("1 day failed: ")
    assert "Bearer [redacted]" in str(lines[-1]["message"]) and HF_TOKEN not in result.err
    assert not str(lines[-1]["message"]).startswith("paperboy:")
