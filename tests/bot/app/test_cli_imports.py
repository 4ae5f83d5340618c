"""Quick commands import only what they use: no platform library where no platform runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import cli
from bot.app.config import env_vars
from storage.store import Store
from tests.bot.app.cli_run import bare_env, paperboy
from tests.helpers import seed_two_papers

PLATFORM_LIBRARIES = ("discord", "slack_bolt", "slack_sdk", "apscheduler")
# Runs the CLI as the console script does, then prints which of the named modules it imported.
PROBE = """
import json, sys
argv, names = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.argv = ["paperboy", *argv]
from bot.app.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
sys.stderr.write("\\nPROBE " + json.dumps([code, [n for n in names if n in sys.modules]]) + "\\n")
"""


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return bare_env(**{"PAPERBOY_DB": str(tmp_path / "archive.db"), "COLUMNS": "200", **extra})


def _paperboy(
    tmp_path: Path, argv: list[str], **extra: str
) -> tuple[int, list[str], subprocess.CompletedProcess[str]]:
    """Run `paperboy argv` in a fresh interpreter (in tmp_path: no `.env` file); its exit code,
    the platform libraries it left imported, and the process."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv), json.dumps(PLATFORM_LIBRARIES)],
        env=_env(tmp_path, **extra),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("PROBE "))
    code, loaded = json.loads(line.removeprefix("PROBE "))
    return code, loaded, done


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    store = Store(tmp_path / "archive.db")
    seed_two_papers(store)
    store.close()
    return tmp_path


@pytest.mark.parametrize(
    "argv", [["search", "diffusion"], ["search", "diffusion", "--json"]], ids=" ".join
)
def test_search_imports_no_platform_library(archive: Path, argv: list[str]) -> None:
    code, loaded, done = _paperboy(archive, argv)
    assert code == 0, done.stderr
    assert "Video diffusion at scale" in done.stdout
    assert loaded == []


@pytest.mark.parametrize("argv", [["--help"], ["config"]], ids=" ".join)
def test_help_and_config_import_no_platform_library(tmp_path: Path, argv: list[str]) -> None:
    code, loaded, done = _paperboy(tmp_path, argv)
    assert code == 0, done.stderr
    assert loaded == []


def test_importing_the_cli_imports_no_platform_library(tmp_path: Path) -> None:
    names = json.dumps(PLATFORM_LIBRARIES)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys, bot.app.cli; print([n for n in {names} if n in sys.modules])",
        ],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "[]"


def test_search_refuses_the_settings_every_command_refuses(archive: Path) -> None:
    bad_zone = _paperboy(archive, ["search", "diffusion"], PAPERBOY_TIMEZONE="Mars/Base")
    bad_slack = _paperboy(archive, ["search", "diffusion"], SLACK_CLIENT_ID="1.2")
    bad_level = _paperboy(archive, ["search", "diffusion"], PAPERBOY_LOG_LEVEL="loud")
    assert bad_zone[0] == 2 and "bad configuration: PAPERBOY_TIMEZONE" in bad_zone[2].stderr
    assert bad_slack[0] == 2 and "SLACK_CLIENT_SECRET must be set together" in bad_slack[2].stderr
    assert bad_level[0] == 2 and "bad configuration: PAPERBOY_LOG_LEVEL" in bad_level[2].stderr


async def test_search_reads_the_database_from_a_dotenv_file(archive: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".env").write_text(f"PAPERBOY_DB={archive / 'archive.db'}\n", encoding="utf-8")
    env = {k: v for k, v in _env(elsewhere).items() if k != "PAPERBOY_DB"}
    done = await paperboy(["search", "agents"], env, elsewhere)
    assert done.code == 0, done.err
    assert "Agents that plan" in done.out


def test_the_quick_settings_reader_knows_every_variable() -> None:
    rows = {name: default for name, default, _help in env_vars()}
    assert set(cli.ARCHIVE_SETTINGS) | set(cli.OTHER_SETTINGS) == set(rows)
    assert not set(cli.ARCHIVE_SETTINGS) & set(cli.OTHER_SETTINGS)
    assert all(rows[name] == default for name, default in cli.ARCHIVE_SETTINGS.items())
