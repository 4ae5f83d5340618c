"""The chat platforms paperboy can run on, as a list: each says whether it is configured (and
why not), owns its publisher, and starts and stops. Adding a platform is its adapter package
plus one factory in PLATFORMS."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TextIO, TypeAlias

# Each platform's adapter (and its library) is imported by its factory, only when its
# credentials are set: a command that runs no platform never pays for one.
if TYPE_CHECKING:
    from aiohttp import web
    from rich.console import Console

    from adapters.slack.adapter import SlackConfig
    from bot.app.config import Settings
    from bot.commands.handlers import Handlers
    from bot.commands.table import CommandSpec, ParsedCommand
    from bot.domain import ChannelRef, Invocation, Reply
    from bot.ports import Health, Publisher
    from storage.store import Store

# Adds paperboy's own routes (/healthz, /metrics) to a platform's web app (Slack HTTP mode),
# so that one server serves everything.
WebRoutes: TypeAlias = "Callable[[web.Application], None]"
# Told each command's name and how long it ran, in seconds.
CommandObserver: TypeAlias = Callable[[str, float], None]
# The port Slack HTTP mode listens on when PAPERBOY_HTTP_PORT is not set.
SLACK_HTTP_PORT = 3000


class ConfigError(ValueError):
    """Settings that cannot work together."""


class Platform(Protocol):
    """One chat platform paperboy runs on."""

    name: str

    @property
    def publisher(self) -> Publisher:
        """Posts to this platform."""
        ...

    async def start(self) -> None:
        """Connect in the background; never block paperboy on the platform."""
        ...

    async def stop(self) -> None:
        """Disconnect and release the platform's clients."""
        ...

    async def health(self) -> Health:
        """Whether it is connected (and can answer commands), and if not, why."""
        ...


def command_name(text: str) -> str:
    """The table's name of the command in `text` (`digest on`), or `unknown`."""
    from bot.commands.table import parse

    try:
        return parse(text).spec.name
    except Exception:  # bad input: the handlers answer it; only its name is unknown
        return "unknown"


class CommandDesk:
    """Where adapters hand the commands they receive. The handlers need the core, the core
    needs the publishers and the adapters own the publishers: the desk is built first and
    given the handlers once they exist. Every command that runs is timed for `observe`."""

    def __init__(
        self,
        observe: CommandObserver | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.handlers: Handlers | None = None
        self.observe = observe
        self.monotonic = monotonic

    def _ready(self) -> Handlers:
        if self.handlers is None:
            raise RuntimeError("a command arrived before paperboy was wired")
        return self.handlers

    def _observed(self, name: Callable[[], str], start: float) -> None:
        if self.observe is not None:
            self.observe(name(), self.monotonic() - start)

    async def run(self, parsed: ParsedCommand, inv: Invocation) -> Reply:
        """Run an already parsed command."""
        handlers, start = self._ready(), self.monotonic()
        try:
            return await handlers.run(parsed, inv)
        finally:
            self._observed(lambda: parsed.spec.name, start)

    async def handle(self, text: str, inv: Invocation) -> Reply:
        """Parse and run command text."""
        handlers, start = self._ready(), self.monotonic()
        try:
            return await handlers.handle(text, inv)
        finally:
            self._observed(lambda: command_name(text), start)

    async def handle_untimed(self, text: str, inv: Invocation) -> Reply:
        """Parse and run command text paperboy asks itself (the console's greeting): no one
        typed it, so it is not a command to time."""
        return await self._ready().handle(text, inv)

    def suggest(
        self, spec: CommandSpec, arg: str, inv: Invocation, typed: str
    ) -> list[tuple[str, str]]:
        """Completions for an argument as it is typed."""
        return self._ready().suggest(spec, arg, inv, typed)


def secret(value: object) -> str | None:
    """The text of a pydantic secret, or None."""
    getter = getattr(value, "get_secret_value", None)
    return getter() if getter else None


def slack_config(settings: Settings) -> SlackConfig:
    """The Slack adapter's view of the settings."""
    from adapters.slack.adapter import SlackConfig

    return SlackConfig(
        api_url=settings.slack_api_url,
        db_path=settings.db,
        bot_token=secret(settings.slack_bot_token),
        app_token=secret(settings.slack_app_token),
        signing_secret=secret(settings.slack_signing_secret),
        client_id=settings.slack_client_id,
        client_secret=secret(settings.slack_client_secret),
        admins_only=settings.slack_admins_only,
        http_host=settings.http_host,
        http_port=SLACK_HTTP_PORT if settings.http_port is None else settings.http_port,
    )


NO_SLACK = "no SLACK_BOT_TOKEN (with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET) set"


def checked_slack_config(settings: Settings) -> SlackConfig | None:
    """The Slack adapter's view of the settings when any Slack credential is set, else None
    (nothing of Slack is imported then); ConfigError for credentials that cannot work together."""
    credentials = (
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_signing_secret,
        settings.slack_client_secret,
    )
    # With none set there is neither a mode nor a mistake (SlackConfig.problem) to report.
    if not settings.slack_client_id and not any(secret(c) for c in credentials):
        return None
    config = slack_config(settings)
    problem = config.problem()
    if problem:
        raise ConfigError(problem)
    return config


def check_platforms(settings: Settings) -> None:
    """Refuse what building the platforms would refuse, without building one (Discord needs
    nothing but its token, so only Slack has settings to check)."""
    checked_slack_config(settings)


def platform_serves_http(settings: Settings) -> bool:
    """Whether a platform runs the HTTP server (Slack HTTP mode), /healthz and /metrics
    included; else paperboy serves those itself when PAPERBOY_HTTP_PORT is set."""
    config = checked_slack_config(settings)
    if config is None:
        return False
    from adapters.slack.adapter import HTTP_MODES

    return config.mode in HTTP_MODES


def slack(
    settings: Settings,
    desk: CommandDesk,
    store: Store,
    clock: Callable[[], datetime],
    web_routes: WebRoutes | None = None,
) -> Platform | str:
    """Slack, when its credentials are set; else why not."""
    config = checked_slack_config(settings)
    if config is None or config.mode is None:
        return NO_SLACK
    from adapters.slack.adapter import SlackAdapter

    return SlackAdapter(config, desk.run, web_routes=web_routes)


class StoredChannelKinds:
    """Discord channel kinds kept in paperboy's database, so a restart does not ask Discord
    again for every channel (a post is then one request)."""

    PREFIX = "discord:channel-kind:"

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        self._known = {
            key.removeprefix(self.PREFIX): kind for key, kind in store.facts(self.PREFIX).items()
        }

    def get(self, channel: ChannelRef) -> str | None:
        """The kind learned for `channel`, or None."""
        return self._known.get(channel.key)

    def set(self, channel: ChannelRef, kind: str) -> None:
        """Remember the kind of `channel`."""
        if self._known.get(channel.key) != kind:
            self._known[channel.key] = kind
            self.store.set_fact(self.PREFIX + channel.key, kind, self.clock())


def discord(
    settings: Settings,
    desk: CommandDesk,
    store: Store,
    clock: Callable[[], datetime],
    web_routes: WebRoutes | None = None,
) -> Platform | str:
    """Discord, when its token is set; else why not."""
    token = secret(settings.discord_token)
    if not token:
        return "no DISCORD_TOKEN set"
    from adapters.discord.adapter import DiscordAdapter, DiscordConfig

    config = DiscordConfig(
        token=token, api_url=settings.discord_api_url, gateway_url=settings.discord_gateway_url
    )
    return DiscordAdapter(config, desk.run, desk.suggest, kinds=StoredChannelKinds(store, clock))


Factory: TypeAlias = (
    "Callable[[Settings, CommandDesk, Store, Callable[[], datetime], WebRoutes | None], "
    "Platform | str]"
)
# Every chat platform, in start order; the console runs when none of them is configured.
PLATFORMS: tuple[Factory, ...] = (slack, discord)


def build_platforms(
    settings: Settings,
    desk: CommandDesk,
    store: Store,
    clock: Callable[[], datetime],
    console: Console | None = None,
    stdin: TextIO | None = None,
    web_routes: WebRoutes | None = None,
) -> tuple[list[Platform], dict[str, str]]:
    """The configured platforms (the console when there is none), and why the others are
    not configured, by name. A platform that runs a web server adds `web_routes` to it."""
    platforms: list[Platform] = []
    missing: dict[str, str] = {}
    for factory in PLATFORMS:
        made = factory(settings, desk, store, clock, web_routes)
        if isinstance(made, str):
            missing[factory.__name__] = made
        else:
            platforms.append(made)
    if not platforms:
        from adapters.console.adapter import ConsolePlatform

        platforms.append(ConsolePlatform(desk.handle, console, stdin, greet=desk.handle_untimed))
    return platforms, missing
