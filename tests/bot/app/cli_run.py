"""Running the real `paperboy` entry point in a subprocess, and serving it a local HTTP API."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.fakes.hf_server import HFServer

# What paperboy reads its settings from: none of them may leak in from the test's environment.
SETTING_PREFIXES = ("PAPERBOY_", "HF_", "SLACK_", "DISCORD_")


@dataclass
class Result:
    code: int
    out: str
    err: str


def bare_env(**settings: str) -> dict[str, str]:
    """This process's environment without any of paperboy's settings (whatever their case),
    then `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(SETTING_PREFIXES)}
    return env | settings


def clear_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset paperboy's settings (whatever their case) in this process, for the test."""
    for name in [n for n in os.environ if n.upper().startswith(SETTING_PREFIXES)]:
        monkeypatch.delenv(name)


def cli_env(tmp_path: Path, server: HFServer) -> dict[str, str]:
    """The environment of a CLI test: no setting but the database, the fake feed, a wide
    terminal and WARNING logs."""
    return bare_env(
        PAPERBOY_DB=str(tmp_path / "cli.db"),
        PAPERBOY_HF_URL=server.url,
        COLUMNS="200",
        PAPERBOY_LOG_LEVEL="WARNING",
    )


async def spawn(
    args: Sequence[str], env: dict[str, str], cwd: Path, stdout: Any = asyncio.subprocess.PIPE
) -> asyncio.subprocess.Process:
    """Start `python -m bot args`: stdin closed, stdout to `stdout`, stderr piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=stdout,
        stderr=asyncio.subprocess.PIPE,
    )


async def paperboy(
    args: Sequence[str], env: dict[str, str], cwd: Path, stdout: Any = asyncio.subprocess.PIPE
) -> Result:
    """Run `python -m bot args` to the end; its exit code, stdout and stderr."""
    proc = await spawn(args, env, cwd, stdout)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return Result(proc.returncode or 0, (out or b"").decode(), err.decode())


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serve `app` on a free loopback port while inside; its base URL (`http://127.0.0.1:N`)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    try:
        await site.start()
        port = runner.addresses[0][1]
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
