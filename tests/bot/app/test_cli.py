"""The `paperboy` command line, run as a real process against the fake HF server."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.bot.app.cli_run import cli_env
from tests.bot.app.cli_run import paperboy as _paperboy
from tests.data.make_days import GENERATED_DAY, make_day
from tests.fakes.hf_server import HFServer

DAY = GENERATED_DAY.isoformat()


@pytest.fixture
def env(tmp_path: Path, hf_server: HFServer) -> dict[str, str]:
    return cli_env(tmp_path, hf_server)


async def test_fetch_stores_a_day_and_reports_it(env: dict[str, str], tmp_path: Path) -> None:
    first = await _paperboy(["fetch", "--date", DAY], env, tmp_path)
    again = await _paperboy(["fetch", "--date", DAY], env, tmp_path)
    assert first.code == 0, first.err
    assert f"Fetched 230 papers for {DAY}: 230 new" in first.out
    assert f"Fetched 230 papers for {DAY}: 0 new" in again.out


async def test_search_json_lists_papers_with_the_documented_keys(
    env: dict[str, str], tmp_path: Path
) -> None:
    await _paperboy(["fetch", "--date", DAY], env, tmp_path)
    result = await _paperboy(
        ["search", "multimodal classifiers", "--limit", "3", "--json"], env, tmp_path
    )
    papers = json.loads(result.out)
    assert result.code == 0
    assert len(papers) == 3
    assert {"id", "title", "upvotes", "day", "url"} <= set(papers[0])
    assert papers[0]["url"] == f"https://huggingface.co/papers/{papers[0]['id']}"


async def test_digest_json_is_top_n_by_upvotes(env: dict[str, str], tmp_path: Path) -> None:
    await _paperboy(["fetch", "--date", DAY], env, tmp_path)
    result = await _paperboy(["digest", "--date", DAY, "--top", "5", "--json"], env, tmp_path)
    papers = json.loads(result.out)
    upvotes = [p["upvotes"] for p in papers]
    assert len(papers) == 5 and upvotes == sorted(upvotes, reverse=True)
    assert {p["day"] for p in papers} == {DAY}


async def test_digest_send_goes_through_the_ledger_once(
    env: dict[str, str], tmp_path: Path
) -> None:
    await _paperboy(["fetch", "--date", DAY], env, tmp_path)
    first = await _paperboy(["digest", "--date", DAY, "--send"], env, tmp_path)
    second = await _paperboy(["digest", "--date", DAY, "--send"], env, tmp_path)
    assert "console:local:terminal: sent" in first.err
    assert "Daily Papers · Mon 09 Mar 2026" in first.out
    assert "console:local:terminal: already sent" in second.err
    assert "Daily Papers" not in second.out


async def test_command_json_and_exit_codes(env: dict[str, str], tmp_path: Path) -> None:
    ok = await _paperboy(["command", "subscribe variant", "--json"], env, tmp_path)
    bad = await _paperboy(["command", 'search "oops'], env, tmp_path)
    assert ok.code == 0 and json.loads(ok.out)["ok"] is True
    assert bad.code == 2
    assert bad.err.strip().count("\n") == 0
    assert "unbalanced quote" in bad.err and "Traceback" not in bad.err


@pytest.mark.parametrize(
    "args, message",
    [
        (["search", "(mamba"], "parenthesis"),
        (["digest", "--date", "yesterday"], "--date must be a date"),
        (["command", "today", "--channel", "nope"], "platform:workspace:channel"),
        (["backfill", "--since", "2026-11-20", "--until", "2026-11-01"], "before --since"),
    ],
)
async def test_user_errors_exit_2_with_one_line(
    env: dict[str, str], tmp_path: Path, args: list[str], message: str
) -> None:
    result = await _paperboy(args, env, tmp_path)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err


async def test_bad_configuration_is_a_clear_error(env: dict[str, str], tmp_path: Path) -> None:
    result = await _paperboy(["status"], {**env, "PAPERBOY_TIMEZONE": "Mars/Base"}, tmp_path)
    assert result.code == 2
    assert "unknown time zone" in result.err and "Traceback" not in result.err


async def test_backfill_is_resumable(
    env: dict[str, str], tmp_path: Path, hf_server: HFServer
) -> None:
    args = ["backfill", "--since", "2026-03-06", "--until", "2026-03-09", "--delay", "0"]
    first = await _paperboy(args, env, tmp_path)
    second = await _paperboy(args, env, tmp_path)
    assert first.code == 0, first.err
    assert "4 days fetched, 0 already loaded, 231 papers (231 new)" in first.out
    assert "0 days fetched, 4 already loaded" in second.out
    assert len(hf_server.feed_requests()) == 6  # 3 pages for the busy day, 1 each for the rest


async def test_feed_failure_is_reported_and_loses_nothing(
    env: dict[str, str], tmp_path: Path, hf_server: HFServer
) -> None:
    from tests.fakes.hf_server import garbage

    await _paperboy(["fetch", "--date", DAY], env, tmp_path)
    hf_server.script(garbage())
    broken = await _paperboy(["fetch", "--date", DAY], env, tmp_path)
    status = await _paperboy(["status", "--json"], env, tmp_path)
    assert broken.code == 1
    assert "Traceback" not in broken.err
    assert "Papers stored: 230" in json.loads(status.out)["text"]


async def test_run_polls_alerts_answers_stdin_and_stops_on_sigterm(
    env: dict[str, str],
    tmp_path: Path,
    hf_server: HFServer,
) -> None:
    today = datetime.now(UTC).date()
    for day in (today - timedelta(days=1), today, today + timedelta(days=1)):
        hf_server.add_day(day, make_day(day, 3))
    await _paperboy(["command", "subscribe variant"], env, tmp_path)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env={**env, "PAPERBOY_LOG_LEVEL": "INFO"},
        cwd=tmp_path,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    seen = ""

    async def read_until(marker: str) -> None:
        nonlocal seen
        while marker not in seen:
            try:
                line = await asyncio.wait_for(proc.stdout.readline(), timeout=30)  # type: ignore[union-attr]
            except TimeoutError:
                proc.kill()
                err = await proc.stderr.read()  # type: ignore[union-attr]
                raise AssertionError(f"no {marker!r} in {seen!r}; stderr: {err.decode()}") from None
            assert line, f"paperboy exited before printing {marker!r}: {seen}"
            seen += line.decode()

    await read_until("matched: variant")
    proc.stdin.write(b"/papers status\n")
    await proc.stdin.drain()
    await read_until("Papers stored: 6")
    proc.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(proc.wait(), timeout=30)
    err = (await proc.stderr.read()).decode()  # type: ignore[union-attr]
    assert code == 0, err
    assert "stopping" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "args", [["fetch", "--date", "2099-01-01"], ["digest", "--send", "--date", "2099-01-01"]]
)
async def test_future_dates_are_refused(
    env: dict[str, str], tmp_path: Path, args: list[str]
) -> None:
    result = await _paperboy(args, env, tmp_path)
    assert result.code == 2 and "is in the future" in result.err


async def test_an_unopenable_database_is_a_clear_error(env: dict[str, str], tmp_path: Path) -> None:
    result = await _paperboy(
        ["status"], {**env, "PAPERBOY_DB": str(tmp_path / "no" / "x.db")}, tmp_path
    )
    assert result.code == 2
    assert "cannot open the database" in result.err and "Traceback" not in result.err


async def test_resume_unpauses_a_workspace_or_a_channel_and_refuses_what_is_not_paused(
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    from bot.domain import ChannelRef, ChannelSettings
    from storage.store import Store
    from tests.helpers import at

    store = Store(tmp_path / "cli.db")
    store.pause_workspace("slack", "T1", "token_revoked", at("2026-11-25 10:00"))
    store.save_channel(
        ChannelSettings(ChannelRef("slack", "T2", "C1"), paused=True, paused_reason="is_archived")
    )
    store.close()
    workspace = await _paperboy(["resume", "slack:T1"], env, tmp_path)
    channel = await _paperboy(["resume", "slack:T2:C1"], env, tmp_path)
    again = await _paperboy(["resume", "slack:T1"], env, tmp_path)
    assert (workspace.code, channel.code, again.code) == (0, 0, 2)
    assert "slack:T1: resumed" in workspace.err and "not paused" in again.err
    store = Store(tmp_path / "cli.db")
    assert store.paused_workspaces() == {}
    settings = store.channel(ChannelRef("slack", "T2", "C1"))
    assert settings is not None and not settings.paused
    store.close()


async def test_fetch_reports_its_alerts_in_words(env: dict[str, str], tmp_path: Path) -> None:
    await _paperboy(["command", "subscribe variant"], env, tmp_path)
    result = await _paperboy(["fetch", "--date", DAY], env, tmp_path)
    assert result.code == 0, result.err
    summary = next(line for line in result.out.splitlines() if line.startswith("Fetched"))
    assert re.fullmatch(
        rf"Fetched 230 papers for {DAY}: 230 new, 0 with new counts; \d+ alerts sent\.", summary
    )
    assert "{" not in summary


@pytest.mark.parametrize(
    "args",
    [
        ["-survey multimodal"],
        ["-survey multimodal", "--limit", "2"],
        ["multimodal", "-survey", "--limit", "2"],  # unquoted: the words are the query
        ["--limit", "2", "-survey multimodal"],
    ],
)
async def test_search_takes_a_query_that_starts_with_a_minus(
    env: dict[str, str], tmp_path: Path, args: list[str]
) -> None:
    await _paperboy(["fetch", "--date", DAY], env, tmp_path)
    result = await _paperboy(["search", *args, "--json"], env, tmp_path)
    assert result.code == 0, result.err
    papers = json.loads(result.out)
    assert papers and len(papers) <= (2 if "--limit" in args else 10)
    assert all("survey" not in p["title"].lower() for p in papers)


async def test_search_refuses_a_mistyped_option_instead_of_searching_for_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    result = await _paperboy(["search", "multimodal", "--limt", "5"], env, tmp_path)
    assert result.code == 2
    assert result.err.strip() == "paperboy: no such option: --limt (see `paperboy search --help`)"


async def test_search_hits_show_their_day_and_how_many_papers_match(
    env: dict[str, str], tmp_path: Path
) -> None:
    await _paperboy(["fetch", "--date", DAY], env, tmp_path)
    result = await _paperboy(["search", "multimodal", "--limit", "3"], env, tmp_path)
    assert result.code == 0, result.err
    assert "230 papers match multimodal; showing the top 3" in result.out  # every one of them
    headlines = [line for line in result.out.splitlines() if re.match(r"\d+\. ", line)]
    assert len(headlines) == 3
    assert all(line.endswith("Mon 09 Mar 2026") for line in headlines), headlines


async def test_digest_tells_a_day_never_fetched_from_a_day_without_papers(
    env: dict[str, str], tmp_path: Path
) -> None:
    await _paperboy(["fetch", "--date", "2026-03-07"], env, tmp_path)  # a Saturday: no papers
    empty = await _paperboy(["digest", "--date", "2026-03-07"], env, tmp_path)
    never = await _paperboy(["digest", "--date", "2026-03-05"], env, tmp_path)
    assert empty.code == 0, empty.err
    assert "No papers for 2026-03-07: Daily Papers listed none that day." in empty.out
    assert never.code == 2
    assert never.err.strip() == (
        "paperboy: 2026-03-05 was never fetched; run `paperboy fetch --date 2026-03-05` first"
    )


@pytest.mark.parametrize("args", [["search", "multimodal"], ["search", "multimodal", "--json"]])
async def test_a_closed_stdout_ends_quietly_with_the_sigpipe_status(
    env: dict[str, str], tmp_path: Path, args: list[str]
) -> None:
    """`paperboy search x | head -1` once head has exited: exit 141 (128 + SIGPIPE), as `cat`
    or `grep` would, and nothing on stderr."""
    await _paperboy(["fetch", "--date", DAY], env, tmp_path)
    reader, writer = os.pipe()
    os.close(reader)  # the reader is gone before paperboy writes its first line
    try:
        result = await _paperboy(args, env, tmp_path, stdout=writer)
    finally:
        os.close(writer)
    assert (result.code, result.err) == (141, "")


def _piped(env: dict[str, str]) -> dict[str, str]:
    """The environment without COLUMNS (or LINES): a pipe at whatever width rich assumes."""
    return {name: value for name, value in env.items() if name not in ("COLUMNS", "LINES")}


async def test_summaries_are_one_line_in_a_pipe_whatever_the_width(
    env: dict[str, str], tmp_path: Path
) -> None:
    fetched = await _paperboy(["fetch", "--date", DAY], _piped(env), tmp_path)
    backfilled = await _paperboy(
        ["backfill", "--since", "2026-03-06", "--until", DAY, "--delay", "0"],
        _piped(env),
        tmp_path,
    )
    assert (fetched.code, backfilled.code) == (0, 0), fetched.err + backfilled.err
    assert fetched.out == f"Fetched 230 papers for {DAY}: 230 new, 0 with new counts; no alerts.\n"
    assert backfilled.out == (
        f"Backfill 2026-03-06 → {DAY}: 3 days fetched, 1 already loaded, 1 paper (1 new).\n"
    )


async def test_config_in_a_pipe_is_every_variable_whole_on_its_own_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    from bot.app.config import env_vars

    result = await _paperboy(["config"], _piped(env), tmp_path)
    assert result.code == 0, result.err
    rows = [tuple(line.split("\t")) for line in result.out.splitlines()]
    expected = [(n, {"True": "true", "False": "false"}.get(d, d), h) for n, d, h in env_vars()]
    assert rows == expected  # every name, default and meaning whole: none cut
    defaults = {name: default for name, default, _help in rows}
    assert defaults["PAPERBOY_SLACK_ADMINS_ONLY"] == "false"  # as the README's table says
    assert defaults["PAPERBOY_CONSOLE_DIGEST"] == "true"
    assert defaults["DISCORD_API_URL"] == "https://discord.com/api/v10"
