"""The Slack adapter: Socket Mode or HTTP mode (one workspace, or many through OAuth)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore
from slack_sdk.oauth.state_store.sqlite3 import SQLite3OAuthStateStore

from adapters.slack.commands import SLASH_COMMAND, Run, SlashCommands
from adapters.slack.errors import LIBRARY_LOG, SlackClient, error_code
from adapters.slack.http_guard import RequestGuard
from adapters.slack.interactions import ACTION_IDS, ButtonClicks
from adapters.slack.publisher import SlackPublisher
from adapters.slack.retries import Sleep, retry_handlers
from bot.ports import Health

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MEMORY_DB = ":memory:"
# What paperboy asks for when installed: the slash command, posting (also to public channels
# it was not invited to), and users:read for the admins-only check.
# channels:history and groups:history let paperboy find its own post again after a crash
# (message metadata in conversations.history), so a restart neither loses nor repeats it;
# im:write and im:history do the same for a person's own alerts in their direct messages.
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "users:read",
    "channels:history",
    "groups:history",
    "im:write",  # opening a person's direct messages (their own alerts)
    "im:history",  # finding a direct message after a crash
)
OAUTH_STATE_SECONDS = 600
# How long the first Socket Mode connection may take. slack_sdk's connect() retries the
# one-time URL forever when the WebSocket cannot be reached: past this, Slack commands are off.
SOCKET_CONNECT_TIMEOUT = 30.0
# apps.connections.open errors that retrying cannot fix.
TOKEN_REFUSED = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "not_allowed_token_type",
        "token_revoked",
        "account_inactive",
        "missing_scope",
    }
)
NOT_INSTALLED = (
    "paperboy is not installed in this workspace yet. Ask a workspace admin to install it "
    "from paperboy's /slack/install page."
)


class _NoClientTokenNotice(logging.Filter):
    """Drops bolt's "As you gave `client` as well, `token` will be unused.": given no token,
    AsyncApp takes SLACK_BOT_TOKEN from the environment itself (`token = token or
    os.environ.get("SLACK_BOT_TOKEN")`, slack_bolt/app/async_app.py) and then warns that the
    client wins. paperboy always gives the client, carrying that very token: the warning
    would come with every Slack start and mean nothing."""

    NOTICE = warning_client_prioritized_and_token_skipped()

    def filter(self, record: logging.LogRecord) -> bool:
        """Drop exactly that notice."""
        return record.msg != self.NOTICE


if not any(isinstance(f, _NoClientTokenNotice) for f in LIBRARY_LOG.filters):
    LIBRARY_LOG.addFilter(_NoClientTokenNotice())


class SlackMode(StrEnum):
    """How paperboy talks to Slack."""

    POST_ONLY = "post-only"  # a bot token alone: digests and alerts, no commands
    SOCKET = "socket"
    HTTP = "http"  # one workspace, signed requests at /slack/events
    HTTP_OAUTH = "http-oauth"  # many workspaces installed through /slack/install


HTTP_MODES = frozenset({SlackMode.HTTP, SlackMode.HTTP_OAUTH})  # the modes with a web server
# Adds paperboy's own routes (/healthz, /metrics) to the HTTP mode's web app.
WebRoutes = Callable[[web.Application], None]


@dataclass(frozen=True)
class SlackConfig:
    """The Slack part of paperboy's settings."""

    api_url: str
    db_path: str
    bot_token: str | None = None
    app_token: str | None = None
    signing_secret: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    admins_only: bool = False
    http_host: str = "0.0.0.0"
    http_port: int = 3000

    @property
    def mode(self) -> SlackMode | None:
        """The mode these credentials select, or None when Slack is not configured.

        An app token means Socket Mode (the manifest's default) even when a signing secret is
        set too: Slack sends a Socket Mode app's commands over the socket, never over HTTP.
        """
        if self.signing_secret and self.client_id and self.client_secret:
            return SlackMode.HTTP_OAUTH
        if self.bot_token and self.app_token:
            return SlackMode.SOCKET
        if self.signing_secret and self.bot_token:
            return SlackMode.HTTP
        if self.bot_token:
            return SlackMode.POST_ONLY
        return None

    def problem(self) -> str | None:
        """A configuration mistake worth stopping for, in one line."""
        if (self.client_id or self.client_secret) and not (self.client_id and self.client_secret):
            return "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET must be set together"
        if self.client_id and not self.signing_secret:
            return "multi-workspace installs need SLACK_SIGNING_SECRET (HTTP mode)"
        if self.app_token and not self.bot_token:
            return "Socket Mode needs SLACK_BOT_TOKEN as well as SLACK_APP_TOKEN"
        if self.signing_secret and not (self.bot_token or self.client_id):
            return "SLACK_SIGNING_SECRET needs SLACK_BOT_TOKEN or SLACK_CLIENT_ID/SECRET"
        if self.mode is SlackMode.HTTP_OAUTH and str(self.db_path) == MEMORY_DB:
            return (
                "multi-workspace installs need a database file (PAPERBOY_DB), not "
                ":memory:, or the installations would be lost"
            )
        return None


class SlackAdapter:
    """Builds the bolt app for the configured mode; starts and stops its connection."""

    name = "slack"
    socket_connect_timeout = SOCKET_CONNECT_TIMEOUT  # seconds; tests shorten it
    # After a failed Socket Mode start (not a refused token): try again after 2, 4, 8 … s.
    reconnect_initial = 2.0
    reconnect_max = 300.0

    def __init__(
        self,
        config: SlackConfig,
        run: Run,
        *,
        web_routes: WebRoutes | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.sleep = sleep  # the SDK's retries and the reconnect backoff wait with it
        self.clock = clock  # epoch seconds, for the signatures of HTTP mode
        self.web_routes = web_routes
        # What health() says until the connection is up (then it asks the connection).
        self._state = "not started"
        self.mode = config.mode
        self.installations: SQLite3InstallationStore | None = None
        if self.mode is SlackMode.HTTP_OAUTH:
            self.installations = SQLite3InstallationStore(
                database=config.db_path, client_id=config.client_id or "", logger=LIBRARY_LOG
            )
        self.publisher = SlackPublisher(config.api_url, self.token_for)
        self.commands = SlashCommands(run, admins_only=config.admins_only, sleep=sleep)
        self.clicks = ButtonClicks(self.commands)
        self.bolt: AsyncApp | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._reconnect: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def token_for(self, workspace: str) -> str | None:
        """The bot token for a workspace (team id)."""
        if self.installations is not None:
            bot = await self.installations.async_find_bot(enterprise_id=None, team_id=workspace)
            return bot.bot_token if bot else None
        return self.config.bot_token

    def build_bolt(self) -> AsyncApp:
        """The bolt app for the configured mode, with `/papers` and the buttons registered."""
        cfg = self.config
        client = SlackClient(
            base_url=cfg.api_url, retry_handlers=retry_handlers(self.sleep), logger=LIBRARY_LOG
        )
        if self.mode is SlackMode.HTTP_OAUTH:
            assert self.installations is not None
            app = AsyncApp(
                signing_secret=cfg.signing_secret,
                client=client,
                user_facing_authorize_error_message=NOT_INSTALLED,
                oauth_settings=AsyncOAuthSettings(
                    client_id=cfg.client_id,
                    client_secret=cfg.client_secret,
                    scopes=list(BOT_SCOPES),
                    installation_store=self.installations,
                    state_store=SQLite3OAuthStateStore(
                        database=cfg.db_path,
                        expiration_seconds=OAUTH_STATE_SECONDS,
                        logger=LIBRARY_LOG,
                    ),
                    logger=LIBRARY_LOG,
                ),
                logger=LIBRARY_LOG,
            )
        else:
            client.token = cfg.bot_token  # bolt takes the token from its client
            app = AsyncApp(
                client=client,
                # Socket Mode requests are not signed; HTTP requests are verified with this.
                signing_secret=cfg.signing_secret or "",
                request_verification_enabled=self.mode is not SlackMode.SOCKET,
                logger=LIBRARY_LOG,
            )
        app.command(SLASH_COMMAND)(self.commands.on_command)
        app.action(ACTION_IDS)(self.clicks.on_action)
        return app

    async def start(self) -> None:
        """Connect Socket Mode or start the HTTP server; post-only mode starts nothing.

        A refused app token or a busy port is logged and leaves Slack posting-only: the rest
        of paperboy keeps running.
        """
        if self.mode in (None, SlackMode.POST_ONLY):
            log.warning(
                "Slack: posting only (set SLACK_APP_TOKEN or SLACK_SIGNING_SECRET to "
                "receive /papers commands)"
            )
            return
        self.bolt = self.build_bolt()
        self._state = "connecting"
        if self.mode is SlackMode.SOCKET:
            if await self._connect_socket(self.bolt) == "failed":
                self._reconnect = asyncio.create_task(
                    self._keep_connecting(self.bolt), name="slack-reconnect"
                )
        else:
            await self._serve_http(self.bolt)

    async def _keep_connecting(self, bolt: AsyncApp) -> None:
        """Retry Socket Mode with backoff until it connects, the token is refused, or stop."""
        delay = self.reconnect_initial
        while True:
            log.info("Slack: trying Socket Mode again in %g s", delay)
            await self.sleep(delay)
            if await self._connect_socket(bolt, again=True) != "failed":
                return
            delay = min(delay * 2, self.reconnect_max)

    async def _connect_socket(self, bolt: AsyncApp, *, again: bool = False) -> str:
        """Open Socket Mode: "connected", "refused" (the app token: final) or "failed"."""
        if self.config.signing_secret and not again:
            log.info(
                "Slack: SLACK_SIGNING_SECRET is set but unused: Socket Mode requests are not signed"
            )
        app_token = self.config.app_token or ""
        handler = AsyncSocketModeHandler(bolt, app_token)
        sdk_logger = handler.client.logger
        # While paperboy waits, the SDK's retry tracebacks become debug lines: the outcome is
        # logged below, once.
        quiet = _Quiet(sdk_logger)
        handler.client.logger = quiet  # type: ignore[assignment]
        try:
            # Ask for the socket URL here: the SDK's connect loop retries a refused token
            # forever, a traceback every few seconds.
            opened = await bolt.client.apps_connections_open(app_token=app_token)
            handler.client.wss_uri = str(opened["url"])
            # A URL that cannot be reached is retried forever too: bound the wait.
            await asyncio.wait_for(handler.connect_async(), self.socket_connect_timeout)
        except asyncio.CancelledError:
            await handler.close_async()
            raise
        except SlackApiError as exc:
            await handler.close_async()
            if _reason(exc) not in TOKEN_REFUSED:  # rate limited, Slack trouble: try again
                log.warning("Slack: could not open Socket Mode (%s)", _reason(exc))
                self._state = f"connecting (last error: {_reason(exc)})"
                return "failed"
            self._state = f"Socket Mode refused ({_reason(exc)}; check SLACK_APP_TOKEN)"
            log.error(
                "Slack: could not open Socket Mode (%s; check SLACK_APP_TOKEN); "
                "/papers commands are off, posting still works",
                _reason(exc),
            )
            return "refused"
        except Exception as exc:  # the network, or no connection in time
            await handler.close_async()
            if isinstance(exc, TimeoutError):
                reason = f"no connection within {self.socket_connect_timeout:g} s"
                if quiet.last_error is not None:
                    reason += f"; last error {_reason(quiet.last_error)}"
            else:
                reason = _reason(exc)
            self._state = f"connecting (last error: {reason})"
            if again:
                log.warning("Slack: Socket Mode still not connected (%s)", reason)
            else:
                log.error(
                    "Slack: could not connect Socket Mode (%s); /papers commands are off "
                    "until it connects, posting still works",
                    reason,
                )
            return "failed"
        finally:
            handler.client.logger = sdk_logger
        self._socket = handler
        self._state = "connected"
        log.info("Slack: connected in Socket Mode")
        return "connected"

    async def _serve_http(self, bolt: AsyncApp) -> None:
        assert self.mode is not None
        web_app = bolt.web_app(path=EVENTS_PATH, port=self.config.http_port)
        if self.web_routes is not None:
            self.web_routes(web_app)
        # Malformed, forged and replayed requests are answered before bolt sees them.
        web_app.middlewares.append(
            RequestGuard(self.config.signing_secret or "", EVENTS_PATH, clock=self.clock)
        )
        # No access log: the OAuth redirect's query string carries the one-time code.
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.config.http_host, self.config.http_port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            self._state = (
                f"cannot listen on {self.config.http_host}:{self.config.http_port} "
                f"({exc.strerror or exc})"
            )
            log.error(
                "Slack: cannot listen on %s:%s (%s; set PAPERBOY_HTTP_PORT); /papers "
                "commands are off, posting still works",
                self.config.http_host,
                self.config.http_port,
                exc.strerror or exc,
            )
            return
        self._runner = runner
        self._state = "connected"
        self.port = int(runner.addresses[0][1])
        log.info(
            "Slack: HTTP mode (%s) on %s:%s%s",
            self.mode.value,
            self.config.http_host,
            self.port,
            EVENTS_PATH,
        )

    async def health(self) -> Health:
        """Connected: Socket Mode's connection is up, or the HTTP server listens; posting-only
        mode needs no connection."""
        if self.mode in (None, SlackMode.POST_ONLY):
            return Health(True, "posting only")
        if self._socket is not None:
            if await self._socket.client.is_connected():
                return Health(True, "connected")
            return Health(False, "Socket Mode connection lost (reconnecting)")
        return Health(self._state == "connected", self._state)

    async def stop(self) -> None:
        """Disconnect and stop serving."""
        if self._reconnect is not None:
            self._reconnect.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnect
            self._reconnect = None
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._state = "stopped"


class _Quiet(logging.LoggerAdapter[logging.Logger]):
    """A logger whose warnings and errors become one-line debug records (remembering the
    last exception they carried)."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__(logger)
        self.last_error: Exception | None = None

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        """Log at debug level, without the traceback, when `level` is a warning or worse."""
        if level >= logging.WARNING:
            level = logging.DEBUG
            if kwargs.pop("exc_info", None):
                error = sys.exc_info()[1]
                if isinstance(error, Exception):
                    self.last_error = error
        super().log(level, msg, *args, **kwargs)


_URL_QUERY = re.compile(r"(\w+://[^\s'\"?]*)\?[^\s'\"]*")


def _reason(exc: Exception) -> str:
    """What Slack (or the network) said in one line, whatever the body was; a URL's query
    string (the Socket Mode ticket) left out."""
    return _URL_QUERY.sub(r"\1?…", error_code(exc))
