"""Running the real `paperboy` entry point in a subprocess."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fakes.hf_server import HFServer


@dataclass
class Result:
    code: int
    out: str
    err: str


def cli_env(tmp_path: Path, server: HFServer) -> dict[str, str]:
    """The environment of a CLI test: no setting but the database, the fake feed, a wide
    terminal and WARNING logs."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PAPERBOY_", "HF_", "SLACK_", "DISCORD_"))
    }
    env.update(
        PAPERBOY_DB=str(tmp_path / "cli.db"),
        PAPERBOY_HF_URL=server.url,
        COLUMNS="200",
        PAPERBOY_LOG_LEVEL="WARNING",
    )
    return env


async def paperboy(
    args: Sequence[str], env: dict[str, str], cwd: Path, stdout: Any = asyncio.subprocess.PIPE
) -> Result:
    """Run `python -m bot args` to the end; its exit code, stdout and stderr."""
    proc = await asyncio.create_subprocess_exec(
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
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return Result(proc.returncode or 0, (out or b"").decode(), err.decode())


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
