"""A strict local fake of Slack for the real slack_sdk / slack_bolt clients (127.0.0.1 only).

Serves the Web API under `/api/` (`AsyncWebClient(base_url=slack.api_url)`), response_urls
under `/response/<id>`, and Socket Mode under `/link/`. Behaves like Slack where it matters
(docs/reference/slack.md): auth errors with HTTP 200, token kinds, scopes, channel
states, per-channel and workspace-wide posting limits with HTTP 429 + `Retry-After`, Block Kit
and message metadata validation, history with metadata (conversations.history / .replies),
the 5-uses/30-minutes response_url budget, one-shot OAuth codes. A post is recorded before it
is answered, so a lost answer (`script_fault`) still leaves it posted. Expiry, timestamps and
rate buckets follow the injected `clock`.

Layout: slack_records.py (dataclasses), slack_state.py (workspace setup, knobs and records),
slack_web.py (Web API and response_url handlers), slack_history.py (history readers),
slack_faults.py (scripted failures), slack_socket.py (Socket Mode), slack_blocks.py
(`validate_message`), slack_edits.py (chat.update, Tier 3), slack_interactive.py (button clicks:
`click`, block_actions over Socket Mode or HTTP, the 3 s ack, response_url on the clicked
message; `new_response_url`, slash commands' too), this module (server lifecycle, slash
commands, HTTP-mode helpers).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from tests.fakes.slack_blocks import check_message, validate_message
from tests.fakes.slack_records import Ack, Call, Message, ResponsePost, SlackFakeError
from tests.fakes.slack_web import EXPIRED_URL_ERROR, WebApi

__all__ = [
    "EXPIRED_URL_ERROR",
    "Ack",
    "Call",
    "HttpAck",
    "Message",
    "ResponsePost",
    "SlackFake",
    "SlackFakeError",
    "check_message",
    "form_body",
    "post_slash_command",
    "signed_headers",
    "slash_command_form",
    "validate_message",
]


class SlackFake(WebApi):
    """The fake Slack on 127.0.0.1 at a free port; use `async with SlackFake() as slack:`."""

    def __init__(self, clock: Callable[[], float] = time.time, *, app_id: str = "A1") -> None:
        super().__init__(clock, app_id=app_id)
        self._runner: web.AppRunner | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def api_url(self) -> str:
        """What `AsyncWebClient(base_url=...)` takes: `http://127.0.0.1:PORT/api/`."""
        return f"{self.url}/api/"

    async def start(self) -> str:
        """Start listening on 127.0.0.1 at a free port; return the base URL."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{id}", self._response)
        app.router.add_get("/link/", self.socket.handle)
        app.router.add_get("/link", self.socket.handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self.url

    async def stop(self) -> None:
        """Close Socket Mode connections, let hung requests answer, and stop listening."""
        self._stop_faults()
        await self.socket.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._port = 0

    async def __aenter__(self) -> SlackFake:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ slash commands

    def slash_payload(
        self, team_id: str, channel_id: str, user_id: str, text: str, command: str = "/papers"
    ) -> dict[str, str]:
        """The payload Slack sends for a slash command, with a fresh response_url."""
        team = self.teams[team_id]
        channel = team.channels.get(channel_id)
        user = team.users.get(user_id)
        return slash_command_form(
            team_id,
            channel_id,
            user_id,
            text,
            self.new_response_url(team_id, channel_id, user_id),
            command=command,
            team_domain=team.domain,
            channel_name=channel.name if channel else channel_id.lower(),
            user_name=user.name if user else user_id.lower(),
            api_app_id=self.app_id,
            token=self.verification_token,
        )

    async def send_slash_command(
        self,
        team_id: str,
        channel_id: str,
        user_id: str,
        text: str,
        command: str = "/papers",
        *,
        timeout: float = 3.0,
    ) -> Ack:
        """Deliver a slash command over Socket Mode and return the client's ack (or raise)."""
        payload = self.slash_payload(team_id, channel_id, user_id, text, command)
        return await self.socket.send_envelope(
            "slash_commands", payload, timeout=timeout, accepts_response_payload=True
        )

    async def wait_for_socket_client(self, timeout: float = 3.0, *, connects: int = 1) -> None:
        """Wait until `connects` Socket Mode connections were made and one is open."""
        await self.socket.wait_for_client(timeout, connects)

    async def disconnect_socket(self, reason: str = "refresh_requested") -> int:
        """Ask connected clients to reconnect (`{"type": "disconnect", …}`); return how many."""
        return await self.socket.disconnect(reason)


# ---------------------------------------------------------------------- HTTP-mode helpers


def slash_command_form(
    team_id: str,
    channel_id: str,
    user_id: str,
    text: str,
    response_url: str,
    command: str = "/papers",
    *,
    team_domain: str | None = None,
    channel_name: str | None = None,
    user_name: str | None = None,
    api_app_id: str = "A1",
    token: str = "fake-verification-token",
) -> dict[str, str]:
    """The form fields Slack POSTs for a slash command (docs/reference/slack.md §2), all strings."""
    trigger = f"{secrets.randbelow(10**11)}.{secrets.randbelow(10**11)}.{secrets.token_hex(16)}"
    return {
        "token": token,
        "team_id": team_id,
        "team_domain": team_domain or team_id.lower(),
        "channel_id": channel_id,
        "channel_name": channel_name or channel_id.lower(),
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger,
    }


def form_body(fields: Mapping[str, str]) -> bytes:
    """URL-encode slash-command fields as the raw body to sign and POST."""
    return urlencode(fields).encode()


def signed_headers(signing_secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """Slack's v0 signature headers for `body` (HMAC-SHA256 of `v0:{timestamp}:{body}`).

    Over the raw bytes, as Slack signs them: slack_sdk's SignatureVerifier decodes the body as
    UTF-8 first and cannot sign one that is not.
    """
    base = b"v0:" + str(timestamp).encode() + b":" + body
    signature = "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature,
    }


@dataclass(frozen=True)
class HttpAck:
    """What an HTTP-mode app answered to a slash command: status and body. (An answer later
    than Slack's 3 seconds never arrives: `post_slash_command` raises TimeoutError instead.)"""

    status: int
    body: str
    content_type: str

    def json(self) -> object:
        """The body parsed as JSON (bolt answers `ack(...)` payloads as application/json)."""
        return json.loads(self.body)


async def post_slash_command(
    url: str,
    signing_secret: str,
    fields: Mapping[str, str],
    *,
    timestamp: int | None = None,
    timeout: float = 3.0,
) -> HttpAck:
    """POST signed slash-command `fields` to an HTTP-mode app like Slack does (3 s budget)."""
    body = form_body(fields)
    headers = signed_headers(
        signing_secret, body, int(time.time()) if timestamp is None else timestamp
    )
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http,
        http.post(url, data=body, headers=headers) as resp,
    ):
        text = await resp.text()
        return HttpAck(resp.status, text, resp.content_type)
