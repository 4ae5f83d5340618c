"""`paperboy doctor`: checks the settings, the database, the feed and each chat platform, and
says what to fix. One request per check with a short timeout; never prints a token."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.app import logs
from bot.app.platforms import PLATFORMS, CommandDesk, ConfigError, secret
from bot.similarity.semantic import SemanticEngine, SemanticUnavailable

if TYPE_CHECKING:
    from rich.console import Console

    from adapters.discord.adapter import DiscordAdapter
    from adapters.slack.adapter import SlackAdapter
    from bot.app.config import Settings
    from bot.app.platforms import Platform
    from bot.domain import ChannelRef
    from storage.store import Store

TIMEOUT = 10.0  # seconds for each request a check makes
MEMORY_DB = ":memory:"


class Status(StrEnum):
    """A check's verdict."""

    OK = "ok"
    OFF = "off"  # not configured, or not needed yet: fine
    WARN = "warn"  # works, with something less than it could be: fine (exit 0)
    FAIL = "FAIL"


STYLES = {
    Status.OK: "green",
    Status.OFF: "yellow",
    Status.WARN: "yellow",
    Status.FAIL: "bold red",
}


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, the verdict, what was found, how to fix it."""

    name: str
    status: Status
    detail: str
    fix: str = ""


def ok(name: str, detail: str) -> Check:
    """A passed check."""
    return Check(name, Status.OK, detail)


def off(name: str, detail: str, fix: str = "") -> Check:
    """Not configured (or not yet needed): fine."""
    return Check(name, Status.OFF, detail, fix)


def warn(name: str, detail: str, fix: str) -> Check:
    """Works, but not as well as it could: what it costs, and what to do about it."""
    return Check(name, Status.WARN, detail, fix)


def fail(name: str, detail: str, fix: str) -> Check:
    """A problem, with what to do about it."""
    return Check(name, Status.FAIL, detail, fix)


# --------------------------------------------------------------------------- configuration


def load_settings() -> tuple[Settings, list[Check]]:
    """The settings, and a red line for each bad one: a bad setting is replaced by its
    default so that every other check still runs."""
    from pydantic import ValidationError

    from bot.app.config import Settings, env_vars

    defaults = {name: default for name, default, _help in env_vars()}
    fields = {_alias(field): field for field in Settings.model_fields.values()}
    overrides: dict[str, Any] = {}
    checks: list[Check] = []
    for _attempt in range(len(fields) + 1):
        try:
            settings = Settings(**overrides)
            break
        except ValidationError as exc:
            for error in exc.errors():
                name = ".".join(str(part) for part in error.get("loc", ())) or "settings"
                message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
                default = defaults.get(name, "")
                unset = f"unset it (default {default})" if default else "unset it"
                checks.append(fail("settings", f"{name}: {message}", f"fix {name}, or {unset}"))
                if name not in fields:
                    raise  # not one setting's fault: nothing to put back
                overrides[name] = fields[name].default
    else:  # pragma: no cover - each round puts back at least one setting
        raise RuntimeError("the settings did not validate with their defaults")
    if not checks:
        where = "the environment and ./.env" if Path(".env").exists() else "the environment"
        checks.append(ok("settings", f"valid (read from {where})"))
    return settings, checks


def _alias(field: Any) -> str:
    return str(field.validation_alias.choices[0])


# --------------------------------------------------------------------------- platforms


def build_platforms(settings: Settings) -> tuple[list[Platform], list[Check]]:
    """The chat platforms `paperboy run` would start, built by the same factories, and a line
    for each saying whether it starts and why (or why not)."""
    from storage.store import Store

    # The factories want a store for Discord's channel-kind cache only: doctor posts nothing.
    scratch = Store(MEMORY_DB)
    platforms: list[Platform] = []
    checks: list[Check] = []
    for factory in PLATFORMS:
        name = factory.__name__
        try:
            made = factory(settings, CommandDesk(), scratch, lambda: datetime.now(UTC), None)
        except ConfigError as exc:
            checks.append(fail(name, f"does not start: {exc}", f"fix the {name} settings"))
            continue
        if isinstance(made, str):
            checks.append(off(name, f"not configured: {made}"))
        else:
            platforms.append(made)
            checks.append(_starts(made))
    scratch.close()
    if platforms or any(c.status is Status.FAIL for c in checks):
        checks.append(off("console", "not started: a chat platform is configured"))
    else:
        checks.append(ok("console", "starts: no chat platform is configured (stdin commands)"))
    return platforms, checks


def _starts(platform: Platform) -> Check:
    if platform.name != "slack":
        return ok(platform.name, "starts")
    from adapters.slack.adapter import SlackAdapter, SlackMode

    assert isinstance(platform, SlackAdapter)
    config = platform.config
    where = f"{config.http_host}:{config.http_port}/slack/events"
    modes = {
        SlackMode.SOCKET: ok("slack", "starts in Socket Mode (SLACK_BOT_TOKEN, SLACK_APP_TOKEN)"),
        SlackMode.HTTP: ok("slack", f"starts in HTTP mode: Slack posts commands to {where}"),
        SlackMode.HTTP_OAUTH: ok(
            "slack", f"starts in HTTP mode for many workspaces: install at /slack/install, {where}"
        ),
        SlackMode.POST_ONLY: off(
            "slack",
            "starts posting only: /papers commands are not received",
            "set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode) for commands",
        ),
    }
    assert config.mode is not None  # the factory built it: Slack is configured
    return modes[config.mode]


# --------------------------------------------------------------------------- database


@dataclass
class Archive:
    """What the database check learned: the open store, when it is healthy and current."""

    store: Store | None = None


def check_database(path: str) -> tuple[list[Check], Archive]:
    """The database file: writable, intact (`PRAGMA quick_check`), migrated, with its papers."""
    if path == MEMORY_DB:
        return [
            off(
                "database",
                "in memory: nothing is kept between runs",
                "set PAPERBOY_DB to a file path to keep papers, digests and alerts",
            )
        ], Archive()
    from storage.inspection import inspect_database

    # Looked at, not opened with the Store (which migrates): doctor changes no file.
    report = inspect_database(path)
    if not report.folder_exists:
        folder = Path(path).parent
        return [
            fail(
                "database",
                f"{path}: the folder {folder} does not exist",
                f"create {folder}, or point PAPERBOY_DB at a folder that exists",
            )
        ], Archive()
    if report.unwritable is not None:
        return [_not_writable(path, report.unwritable)], Archive()
    if not report.exists:
        return [
            off("database", f"{path} does not exist yet: paperboy creates it when it first runs")
        ], Archive()
    if report.error is not None:
        return [
            fail(
                "database",
                f"{path}: {report.error}",
                "check the disk, and that no process hangs on it",
            )
        ], Archive()
    if report.damaged:
        return [_damaged(path, "; ".join(report.problems[:3]))], Archive()
    if report.foreign:
        return [
            fail(
                "database",
                f"{path} is a SQLite file but not paperboy's",
                "point PAPERBOY_DB at paperboy's database, or at a new file",
            )
        ], Archive()
    if report.newer:
        return [
            fail(
                "database",
                f"{path} was written by a newer paperboy (schema {report.newer[-1]})",
                "run that paperboy version (or a newer one) on this database",
            )
        ], Archive()
    writable = "writable (another process is writing now)" if report.busy else "writable"
    checks = [ok("database", f"{path}: {writable}, intact (quick_check ok)")]
    known, pending = report.known, report.pending
    if pending:
        checks.append(
            off(
                "schema",
                f"{len(known) - len(pending)} of {len(known)} migrations applied: paperboy "
                f"applies {', '.join(pending)} when it next starts",
            )
        )
        return checks, Archive()
    checks.append(ok("schema", f"up to date ({report.latest})"))
    newest = f", newest day {report.newest_day}" if report.newest_day else ""
    checks.append(
        ok("papers", f"{report.papers} stored{newest}")
        if report.papers
        else off("papers", "none stored yet", "run `paperboy fetch` (or `paperboy run`)")
    )
    return _with_store(path, checks)


def _with_store(path: str, checks: list[Check]) -> tuple[list[Check], Archive]:
    """The checks that read through the Store, which opening a current file changes nothing
    in; the store stays open for the platforms' checks."""
    from bot.domain import DatabaseDamaged
    from storage.store import Store

    store: Store | None = None
    try:
        store = Store(path)
        checks.extend(check_schedules(store))
    except DatabaseDamaged as exc:  # damaged since it was inspected
        if store is not None:
            store.close()
        return [_damaged(path, str(exc.__cause__ or exc))], Archive()
    return checks, Archive(store)


def _not_writable(path: str, what: Path) -> Check:
    return fail(
        "database",
        f"{path}: {what} is not writable by this user (uid {os.getuid()})",
        f"give this user write access to {what} (in Docker: chown 10001:10001 on a bind mount)",
    )


def _damaged(path: str, problem: str) -> Check:
    """The red line for a damaged file, with the repair the Store's DatabaseDamaged names
    (storage.store.damaged: one wording wherever paperboy meets the damage)."""
    import sqlite3

    from storage.store import damaged

    message = str(damaged(path, sqlite3.DatabaseError(problem)))
    head = f"the database {path} is damaged (SQLite: {problem}); "
    return fail("database", f"{path} is damaged: {problem}", message.removeprefix(head))


def check_schedules(store: Store) -> list[Check]:
    """Every stored digest's time zone is a real one (a name saved before it was refused)."""
    from bot.delivery.calendar import parse_timezone

    schedules = store.schedules(enabled=True)
    bad = []
    for schedule in schedules:
        try:
            parse_timezone(schedule.timezone)
        except ValueError:
            bad.append(schedule)
    if not bad:
        zones = sorted({s.timezone for s in schedules})
        detail = f"{len(schedules)} on" + (f" ({', '.join(zones[:5])})" if zones else "")
        return [ok("schedules", detail)]
    return [
        fail(
            "schedules",
            f"{s.channel.key} {s.kind} at {s.time} {s.timezone}: not an IANA time zone",
            f"in that channel: /papers {s.kind} on {s.time} Europe/Paris (your zone)",
        )
        for s in bad
    ]


def delivery_channels(store: Store | None, platform: str) -> list[ChannelRef]:
    """The platform's channels with a digest, roll-up or alert on, in key order."""
    if store is None:
        return []
    found = {s.channel for s in store.schedules(enabled=True) if s.channel.platform == platform}
    found |= {s.channel for s in store.subscriptions() if s.channel.platform == platform}
    return sorted(found, key=lambda ref: ref.key)


# --------------------------------------------------------------------------- the feed


async def check_feed(settings: Settings) -> Check:
    """One request to the Daily Papers API, as a poll makes it."""
    import httpx

    from bot.feed.client import DAILY_PAPERS_PATH, user_agent

    url = settings.hf_url.rstrip("/") + DAILY_PAPERS_PATH
    headers = {"User-Agent": user_agent(), "Accept": "application/json"}
    token = secret(settings.hf_token)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=True) as client:
            response = await client.get(url, params={"limit": 1}, headers=headers)
    except httpx.HTTPError as exc:
        return fail(
            "feed",
            f"{url} cannot be reached: {type(exc).__name__}",
            "check the network (a proxy?) and PAPERBOY_HF_URL",
        )
    took = time.monotonic() - started
    if response.status_code in (401, 403) and token:
        return fail(
            "feed",
            f"{url} refused HF_TOKEN (HTTP {response.status_code})",
            "create a read token at https://huggingface.co/settings/tokens, or unset HF_TOKEN",
        )
    if response.status_code == 429:
        return off("feed", f"{url} is rate limiting (HTTP 429): polls wait and retry")
    if response.status_code != 200:
        return fail(
            "feed",
            f"{url} answered HTTP {response.status_code}",
            "Hugging Face may be down (polls retry by themselves); if it lasts, check "
            "PAPERBOY_HF_URL",
        )
    try:
        entries = response.json()
    except ValueError:
        entries = None
    if not isinstance(entries, list):
        return fail(
            "feed",
            f"{url} did not answer with Daily Papers (JSON list)",
            "PAPERBOY_HF_URL should be https://huggingface.co or a proxy of it",
        )
    return ok("feed", f"{url} answered in {took:.1f} s")


# --------------------------------------------------------------------------- Slack

# Scope → what paperboy loses without it (adapters/slack/adapter.py BOT_SCOPES, the manifest).
SCOPE_USES = {
    "commands": "/papers",
    "chat:write": "posting",
    "chat:write.public": "posting to channels it was not invited to",
    "users:read": "the admins-only check",
    "channels:history": "finding its posts after a crash, so none is sent twice (public)",
    "groups:history": "the same in private channels",
    "im:write": "people's own alerts by direct message (they are mentioned in the channel instead)",
    "im:history": "finding its direct messages after a crash, so none is sent twice",
}
TOKEN_ERRORS = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}


async def check_slack(adapter: SlackAdapter, store: Store | None) -> list[Check]:
    """auth.test for each workspace's bot token, its granted scopes, and the app token."""
    from adapters.slack.adapter import SlackMode

    config = adapter.config
    if adapter.mode is SlackMode.HTTP_OAUTH:
        workspaces = sorted(
            {ref.workspace for ref in delivery_channels(store, "slack")}
            | {
                c.channel.workspace
                for c in (store.channels() if store else [])
                if c.channel.platform == "slack"
            }
        )
        if not workspaces:
            return [
                off(
                    "slack",
                    "no workspace has installed paperboy yet",
                    "open https://<your host>/slack/install and add paperboy to a workspace",
                )
            ]
        checks = []
        for workspace in workspaces:
            token = await adapter.token_for(workspace)
            if token is None:
                checks.append(
                    fail(
                        "slack",
                        f"workspace {workspace}: paperboy is not installed there (any more)",
                        "a workspace admin installs it again from /slack/install",
                    )
                )
            else:
                checks.extend(await _check_bot_token(config.api_url, token, workspace))
        return checks
    assert config.bot_token is not None
    checks = await _check_bot_token(config.api_url, config.bot_token, None)
    if adapter.mode is SlackMode.SOCKET and config.app_token:
        checks.append(await _check_app_token(config.api_url, config.app_token))
    return checks


def _slack_client(api_url: str) -> Any:
    from adapters.slack.errors import LIBRARY_LOG, SlackClient

    return SlackClient(base_url=api_url, timeout=int(TIMEOUT), logger=LIBRARY_LOG)


async def _slack_call(call: Callable[[], Awaitable[Any]], api_url: str) -> tuple[Any, str | None]:
    """A Web API call's response, or None and what went wrong in a few words."""
    import aiohttp
    from slack_sdk.errors import SlackApiError

    from adapters.slack.errors import error_code

    try:
        return await asyncio.wait_for(call(), TIMEOUT), None
    except SlackApiError as exc:
        return None, error_code(exc)
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        return None, f"cannot reach {api_url} ({type(exc).__name__})"


async def _check_bot_token(api_url: str, token: str, workspace: str | None) -> list[Check]:
    from adapters.slack.adapter import BOT_SCOPES

    client = _slack_client(api_url)
    name = "slack" if workspace is None else f"slack {workspace}"
    response, problem = await _slack_call(lambda: client.auth_test(token=token), api_url)
    if response is None:
        assert problem is not None
        if problem in TOKEN_ERRORS:
            fix = "copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page"
            return [fail(name, f"Slack refused the bot token: {problem}", fix)]
        if problem == "not_allowed_token_type":
            return [
                fail(
                    name,
                    "SLACK_BOT_TOKEN is not a bot token",
                    "use the Bot User OAuth Token (xoxb-…), not a user or app-level token",
                )
            ]
        return [fail(name, f"auth.test failed: {problem}", "check SLACK_API_URL and the network")]
    team, user = response.get("team"), response.get("user")
    checks = [ok(name, f"auth.test: bot @{user} in workspace {team} ({response.get('team_id')})")]
    headers = {key.lower(): value for key, value in (response.headers or {}).items()}
    raw = headers.get("x-oauth-scopes")
    if isinstance(raw, list):
        raw = ",".join(raw)
    if raw is None:
        checks.append(off(f"{name} scopes", "Slack did not say which scopes the token has"))
        return checks
    granted = {scope.strip() for scope in str(raw).split(",") if scope.strip()}
    missing = [scope for scope in BOT_SCOPES if scope not in granted]
    if missing:
        lost = "; ".join(f"{scope}: {SCOPE_USES.get(scope, 'needed')}" for scope in missing)
        checks.append(
            fail(
                f"{name} scopes",
                f"missing {', '.join(missing)} ({lost})",
                "add them under OAuth & Permissions → Bot Token Scopes (slack-manifest.yml "
                "lists them all), then reinstall the app to the workspace",
            )
        )
    else:
        checks.append(
            ok(f"{name} scopes", f"all {len(BOT_SCOPES)} granted: {', '.join(BOT_SCOPES)}")
        )
    return checks


async def _check_app_token(api_url: str, token: str) -> Check:
    client = _slack_client(api_url)
    response, problem = await _slack_call(
        lambda: client.apps_connections_open(app_token=token), api_url
    )
    if response is not None:
        return ok("slack app token", "accepted: Socket Mode can connect")
    assert problem is not None
    if problem in TOKEN_ERRORS or problem == "not_allowed_token_type":
        return fail(
            "slack app token",
            f"Slack refused SLACK_APP_TOKEN: {problem}",
            "create an app-level token (xapp-…) with connections:write (Basic Information → "
            "App-Level Tokens) and turn Socket Mode on",
        )
    return fail(
        "slack app token",
        f"apps.connections.open failed: {problem}",
        "Slack may be down, or check the network and SLACK_API_URL",
    )


# --------------------------------------------------------------------------- Discord

# What paperboy needs in a channel it posts to (docs/reference/discord.md §8), by discord.py's
# Permissions flag and the name Discord's settings show: exactly what the invite link asks for
# (adapters/discord/adapter.py PERMISSIONS; a test keeps the two equal).
DISCORD_NEEDS = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
    ("create_public_threads", "Create Public Threads"),
    ("send_messages_in_threads", "Send Messages in Threads"),
)
THREAD_TYPES = frozenset({10, 11, 12})  # announcement, public and private threads
FORUM_TYPES = frozenset({15, 16})  # forum and media channels: every post is a thread
# Needed only to start a compact digest's details thread from its list (§14): a forum post or
# a thread never starts one, and without it the details follow in the channel.
THREADS_FLAG = "create_public_threads"
THREADS_COST = "a compact digest's details go in the channel instead of a thread"


def channel_permissions(
    *,
    guild_id: int,
    owner_id: int,
    roles: dict[int, int],
    user_id: int,
    member_roles: Iterable[int],
    overwrites: Sequence[dict[str, Any]],
) -> Any:
    """A member's permissions in a channel, computed as Discord does: @everyone and the
    member's roles, then the @everyone overwrite, the roles' overwrites together, the member's
    own overwrite (developers/topics/permissions.mdx, "Permission Overwrites")."""
    import discord

    if user_id == owner_id:
        return discord.Permissions.all()
    held = [r for r in member_roles if r != guild_id]
    base = roles.get(guild_id, 0)
    for role in held:
        base |= roles.get(role, 0)
    permissions = discord.Permissions(base)
    if permissions.administrator:
        return discord.Permissions.all()
    by_id = {(int(o["type"]), int(o["id"])): o for o in overwrites}
    everyone = by_id.get((0, guild_id))
    if everyone:
        permissions.handle_overwrite(allow=int(everyone["allow"]), deny=int(everyone["deny"]))
    allow = deny = 0
    for role in held:
        overwrite = by_id.get((0, role))
        if overwrite:
            allow |= int(overwrite["allow"])
            deny |= int(overwrite["deny"])
    permissions.handle_overwrite(allow=allow, deny=deny)
    member = by_id.get((1, user_id))
    if member:
        permissions.handle_overwrite(allow=int(member["allow"]), deny=int(member["deny"]))
    return permissions


async def check_discord(adapter: DiscordAdapter, store: Store | None) -> list[Check]:
    """The bot token (GET /users/@me), then the bot's permissions in every channel with
    deliveries on."""
    import aiohttp
    import discord

    publisher = adapter.publisher
    api = adapter.config.api_url
    try:
        try:
            await asyncio.wait_for(publisher.login(), TIMEOUT)
        except discord.LoginFailure:
            return [
                fail(
                    "discord",
                    "Discord refused DISCORD_TOKEN (GET /users/@me: 401)",
                    "Developer Portal → your app → Bot → Reset Token, and set DISCORD_TOKEN to it",
                )
            ]
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            return [
                fail(
                    "discord",
                    f"cannot log in at {api}: {_discord_problem(exc)}",
                    "check the network and DISCORD_API_URL; Discord may be down",
                )
            ]
        me = publisher.client.user
        assert me is not None
        checks = [ok("discord", f"GET /users/@me: logged in as {me.name} ({me.id})")]
        channels = delivery_channels(store, "discord")
        if not channels:
            checks.append(off("discord channels", "no channel has a digest or an alert on yet"))
        guilds: dict[str, tuple[int, dict[int, int], list[int]]] = {}
        for ref in channels:
            checks.append(await _channel_check(publisher.client.http, ref, me.id, guilds))
        return checks
    finally:
        await publisher.close()


def _discord_problem(exc: BaseException) -> str:
    import discord

    if isinstance(exc, discord.HTTPException):
        return f"HTTP {exc.status}" + (f" ({exc.text})" if exc.text else "")
    return type(exc).__name__


async def _channel_check(
    http: Any,
    ref: ChannelRef,
    user_id: int,
    guilds: dict[str, tuple[int, dict[int, int], list[int]]],
) -> Check:
    import aiohttp
    import discord

    name = ref.key
    invite = "re-add the bot with the link `paperboy discord-invite` prints, or "
    try:
        channel = await asyncio.wait_for(http.get_channel(int(ref.channel)), TIMEOUT)
        label = f"#{channel.get('name', ref.channel)}"
        # Where no thread is started from a message, Create Public Threads is not needed.
        starts_threads = int(channel.get("type", 0)) not in THREAD_TYPES | FORUM_TYPES
        if int(channel.get("type", 0)) in THREAD_TYPES and channel.get("parent_id"):
            channel = await asyncio.wait_for(http.get_channel(int(channel["parent_id"])), TIMEOUT)
        if ref.workspace not in guilds:
            guild = await asyncio.wait_for(http.get_guild(int(ref.workspace)), TIMEOUT)
            member = await asyncio.wait_for(http.get_member(int(ref.workspace), user_id), TIMEOUT)
            guilds[ref.workspace] = (
                int(guild["owner_id"]),
                {int(r["id"]): int(r["permissions"]) for r in guild.get("roles", [])},
                [int(r) for r in member.get("roles", [])],
            )
    except discord.Forbidden:
        return fail(
            name,
            "paperboy cannot see this channel (403 Missing Access)",
            f"{invite}allow its role View Channel in the channel's Permissions",
        )
    except discord.NotFound:
        return fail(
            name,
            "Discord knows no such channel (deleted?), or paperboy left the server",
            "turn its digest and alerts off, or invite paperboy back",
        )
    except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
        return fail(name, f"cannot ask Discord: {_discord_problem(exc)}", "run doctor again")
    owner_id, roles, member_roles = guilds[ref.workspace]
    permissions = channel_permissions(
        guild_id=int(ref.workspace),
        owner_id=owner_id,
        roles=roles,
        user_id=user_id,
        member_roles=member_roles,
        overwrites=channel.get("permission_overwrites") or [],
    )
    needs = [(f, label_) for f, label_ in DISCORD_NEEDS if starts_threads or f != THREADS_FLAG]
    missing = [label_ for flag, label_ in needs if not getattr(permissions, flag)]
    lacks = [label_ for flag, label_ in needs if flag != THREADS_FLAG and label_ in missing]
    if lacks:
        return fail(
            f"{name}",
            f"{label}: paperboy lacks {', '.join(missing)}",
            f"{invite}allow paperboy's role {', '.join(missing)} in {label}'s Permissions",
        )
    if missing:  # only Create Public Threads: posting works
        return warn(
            name,
            f"{label}: paperboy lacks {', '.join(missing)}: {THREADS_COST}",
            f"allow paperboy's role {', '.join(missing)} in {label}'s Permissions",
        )
    return ok(name, f"{label}: can post ({', '.join(label_ for _f, label_ in needs)})")


# --------------------------------------------------------------------------- the report


def check_semantic() -> Check:
    """Whether the semantic engine PAPERBOY_SIMILARITY chose loads (offline, from its wheel)."""
    try:
        SemanticEngine()
    except SemanticUnavailable as exc:
        return fail(
            "similarity", str(exc), "pip install 'paperboy-bot[semantic]', or unset it (tfidf)"
        )
    return ok("similarity", "semantic: WordLlama's model loaded from its package")


async def diagnose() -> list[Check]:
    """Every check, in the order the report shows them."""
    settings, checks = load_settings()
    platforms, platform_checks = build_platforms(settings)
    checks += platform_checks
    if settings.similarity == "semantic":  # the built-in engine needs no check
        checks.append(await asyncio.to_thread(check_semantic))
    database, archive = await asyncio.to_thread(check_database, settings.db)
    checks += database
    try:
        remote: list[Awaitable[Check | list[Check]]] = [check_feed(settings)]
        for platform in platforms:
            if platform.name == "slack":
                remote.append(check_slack(platform, archive.store))  # type: ignore[arg-type]
            elif platform.name == "discord":
                remote.append(check_discord(platform, archive.store))  # type: ignore[arg-type]
        for found in await asyncio.gather(*remote):
            checks += found if isinstance(found, list) else [found]
    finally:
        if archive.store is not None:
            archive.store.close()
    return redact(checks, _secrets(settings))


def _secrets(settings: Settings) -> list[str]:
    values = [
        secret(getattr(settings, field))
        for field in type(settings).model_fields
        if secret(getattr(settings, field))
    ]
    return [v for v in values if v]


def redact(checks: Iterable[Check], secrets: Iterable[str]) -> list[Check]:
    """The checks with every secret and anything shaped like a token taken out."""
    known = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def clean(text: str) -> str:
        for value in known:
            text = text.replace(value, logs.REDACTED)
        return logs.redact(text)

    return [replace(c, detail=clean(c.detail), fix=clean(c.fix)) for c in checks]


def render(checks: Sequence[Check], console: Console) -> None:
    """The report, then one line that sums it up. On a terminal a table (a long value folds
    onto more lines, never cut); elsewhere (a pipe, a file) one whole line a check, its
    fields tab-separated: check, status, result, fix."""
    from rich.text import Text

    failed = sum(c.status is Status.FAIL for c in checks)
    summary = (
        f"{failed} problem{'s' if failed > 1 else ''}: fix the FAIL lines, then run "
        "`paperboy doctor` again."
        if failed
        else "All checks passed; the warn lines say what works less well than it could."
        if any(c.status is Status.WARN for c in checks)
        else "All checks passed."
    )
    if not console.is_terminal:
        from bot.app.cli import write_out

        rows = (
            "\t".join(_one_line(f) for f in (c.name, c.status, c.detail, c.fix)) for c in checks
        )
        write_out("".join(f"{row}\n" for row in rows) + summary + "\n", console)
        return
    from rich.table import Table

    table = Table("check", "", "result", "fix", title="paperboy doctor", title_justify="left")
    for check in checks:
        style = STYLES[check.status]
        table.add_row(
            Text(check.name),
            Text(check.status.value, style=style),
            Text(check.detail, style=style if check.status is Status.FAIL else ""),
            Text(check.fix),
        )
    for column in table.columns:
        column.overflow = "fold"  # a URL or a variable's name longer than its column folds
    console.print(table)
    console.print(Text(summary, style="bold red" if failed else "green"))


def _one_line(text: str) -> str:
    """A field of a plain row: its tabs and line breaks as spaces (one row, four fields)."""
    return " ".join(text.replace("\t", " ").splitlines())


def run(console: Console) -> int:
    """Run every check, print the report; 1 when something failed, else 0."""
    checks = asyncio.run(diagnose())
    render(checks, console)
    return 1 if any(c.status is Status.FAIL for c in checks) else 0
