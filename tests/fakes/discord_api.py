"""A strict local fake of Discord for the real discord.py client (127.0.0.1 only).

Serves REST under `/api/v10` (point `discord.http.Route.BASE` at `api_base`) and the gateway
at `/gateway` (point `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY` at `gateway_url`;
`AutoShardedClient` takes it from `GET /gateway/bot`). Behaves like Discord where it matters
(docs/reference/discord.md): bot-token auth (401 on REST, close 4004 on IDENTIFY), READY +
GUILD_CREATE per shard, slash-command and autocomplete interactions built from the synced
schema, the 3-second callback deadline (10062) and single acknowledgement (40060), 15-minute
follow-up tokens, message/embed limits (50035/50006), 404 10003 / 403 50001, rate-limit headers
on every answer and real or scripted 429s.

Exactly once and the limits: a message is stored as soon as its request is validated, before
the answer (`hold_answers` holds or drops answers, so a test can kill a client mid-request);
Create Message validates `nonce` (≤ 25 characters) and, with `enforce_nonce`, returns the bot's
earlier message with that nonce in that channel within `nonce_window` instead of creating one.
The global limit is 50 requests per second across routes (interaction endpoints excepted),
answered with a global 429; `request_counts()`, `busiest_second()`, `rate_limited` and
`invalid_requests` (401/403/429 of the last ten minutes) tell what a client cost. Give the fake
an injected `clock` (e.g. discord_clock.LockstepClock) to run its limits on virtual time;
`advance(seconds)` moves the rest of its time on (threads archive after their duration, an
interaction's 3 s run out) without waiting. `delete_channel` and `delete_message` play a
moderator deleting a channel, thread or forum post, or a message.

Layout: discord_records.py (records, errors), discord_state.py (guilds and payloads),
discord_validate.py (`validate_message`), discord_commands.py (command sync),
discord_options.py + discord_interactions.py (interactions), discord_ratelimit.py,
discord_rest.py + discord_routes.py (REST), discord_edits.py (Edit Message: 50005, 10008,
30046 on old messages), discord_components.py (clicks on buttons and selects, also on an
ephemeral answer: type 3, callbacks 4-7, `click`, `click_ephemeral`), discord_replies.py
(message_reference), discord_form.py + discord_component_checks.py (400 50035 checks),
discord_holds.py (held answers), discord_dms.py (Create DM, 10013, 50007 when a user's DMs
are closed: `add_user`, `close_dms`, `dms`),
discord_gateway.py (WebSocket), this module.
"""

from __future__ import annotations

import secrets
import socket
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.fakes.discord_commands import CommandStore
from tests.fakes.discord_components import ComponentHub
from tests.fakes.discord_gateway import Gateway
from tests.fakes.discord_holds import AnswerHold
from tests.fakes.discord_interactions import APPLICATION_COMMAND, AUTOCOMPLETE
from tests.fakes.discord_ratelimit import RateLimiter, Scope, ScriptedRateLimit
from tests.fakes.discord_records import (
    API_PREFIX,
    Callback,
    DiscordFakeError,
    Followup,
    Guild,
    Identify,
    IncomingWebhook,
    InteractionRecord,
    Message,
    MessageEdit,
    RequestRecord,
    SyncedCommand,
    snowflake,
)
from tests.fakes.discord_rest import Reply, RestApi
from tests.fakes.discord_state import World
from tests.fakes.discord_validate import validate_message

# Discord's invalid request limit counts over ten minutes (developers/topics/rate-limits).
INVALID_REQUEST_WINDOW = 600.0

__all__ = [
    "AnswerHold",
    "Callback",
    "DiscordFake",
    "DiscordFakeError",
    "Followup",
    "InteractionRecord",
    "Message",
    "MessageEdit",
    "RequestRecord",
    "SyncedCommand",
    "validate_message",
]


class DiscordFake:
    """The fake Discord on 127.0.0.1 at a free port; use `async with DiscordFake() as discord:`."""

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        application_id: int = 4000,
        bot_user_id: int | None = None,
        shard_count: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._skipped = 0.0  # how far `advance` moved the fake's clock on
        self.world = World(
            token=token,
            application_id=application_id,
            bot_user_id=bot_user_id or application_id,
            clock=lambda: clock() + self._skipped,
        )
        self.command_store = CommandStore(application_id)
        self.hub = ComponentHub(self.world, self.command_store)
        self.limiter = RateLimiter(clock=clock)
        self.rest = RestApi(self.world, self.command_store, self.hub, self.limiter)
        self.rest.shard_count = shard_count
        self.gateway = Gateway(self.world)
        self._runner: web.AppRunner | None = None
        self._port = 0

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        if self._runner is None:
            raise RuntimeError("DiscordFake is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_base(self) -> str:
        """What `discord.http.Route.BASE` must be: `http://127.0.0.1:PORT/api/v10`."""
        return self.url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """The gateway: `ws://127.0.0.1:PORT/gateway` (also READY's resume_gateway_url)."""
        return f"ws://127.0.0.1:{self._port}/gateway"

    async def start(self) -> str:
        """Listen on 127.0.0.1 at a free port; return the base URL."""
        app = web.Application()
        app.router.add_get("/gateway", self.gateway.handle)
        # Create DM, registered ahead of the route table's catch-all (the middleware still
        # authenticates, rate-limits and logs it like every REST route).
        app.router.add_post(f"{API_PREFIX}/users/@me/channels", self._create_dm)
        self.rest.routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self.gateway.url = self.rest.gateway_url = self.gateway_url
        return self.url

    async def stop(self) -> None:
        """Release held answers, close gateway connections and stop listening."""
        for hold in self.rest.holds:
            hold.release()
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _create_dm(self, request: web.Request) -> web.StreamResponse:
        status, answer = await self.rest._open_dm(request)
        return Reply(status, answer)

    async def __aenter__(self) -> DiscordFake:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ configuration

    @property
    def token(self) -> str:
        """The bot token REST and IDENTIFY accept (assignable, e.g. to model a reset token)."""
        return self.world.token

    @token.setter
    def token(self, value: str) -> None:
        self.world.token = value

    @property
    def application_id(self) -> int:
        """The application id (also the interaction webhook id)."""
        return self.world.application_id

    @property
    def bot_user_id(self) -> int:
        """The bot user's id."""
        return self.world.bot_user_id

    @property
    def shard_count(self) -> int:
        """What `GET /gateway/bot` recommends (`shards`)."""
        return self.rest.shard_count

    @shard_count.setter
    def shard_count(self, value: int) -> None:
        self.rest.shard_count = value

    @property
    def interaction_deadline(self) -> float:
        """Seconds between dispatch and the latest accepted callback (Discord: 3)."""
        return self.hub.deadline

    @interaction_deadline.setter
    def interaction_deadline(self, value: float) -> None:
        self.hub.deadline = value

    @property
    def followup_ttl(self) -> float:
        """Seconds an interaction token serves follow-ups (Discord: 900)."""
        return self.hub.token_ttl

    @followup_ttl.setter
    def followup_ttl(self, value: float) -> None:
        self.hub.token_ttl = value

    def add_guild(
        self,
        guild_id: int,
        name: str,
        channels: Mapping[int, Mapping[str, Any]] | None = None,
        members: Mapping[int, int] | None = None,
    ) -> Guild:
        """Add a guild: `channels={id: {"name", "type": 0|5|15}}`, `members={user: perms}`."""
        return self.world.add_guild(guild_id, name, channels, members)

    def forbid(self, channel_id: int, code: int = 50001) -> None:
        """Make a channel answer 403 (50001 Missing Access, or 50013 Missing Permissions)."""
        if code not in (50001, 50013):
            raise ValueError("code must be 50001 or 50013")
        self.world.forbidden[channel_id] = code

    def allow(self, channel_id: int) -> None:
        """Undo `forbid` and `deny`."""
        self.world.forbidden.pop(channel_id, None)
        self.world.denied.pop(channel_id, None)

    def deny(self, channel_id: int, permissions: int) -> None:
        """Deny the bot's role `permissions` in a channel (and its threads), as an overwrite:
        what needs them answers 403 50013 there (Create Public Threads, Send Messages in
        Threads)."""
        if channel_id not in self.world.channels:
            raise DiscordFakeError(f"unknown channel {channel_id}")
        self.world.denied[channel_id] = self.world.denied.get(channel_id, 0) | permissions

    def advance(self, seconds: float) -> None:
        """Move the fake's clock on by `seconds` without waiting: threads archive, messages
        age, an interaction's 3 s run out (rate-limit windows keep their own time)."""
        self._skipped += seconds

    def delete_channel(self, channel_id: int) -> None:
        """Delete a channel or a thread (a forum post), as a moderator would: its threads and
        messages go with it, and requests to it answer 404 10003."""
        if channel_id not in self.world.channels:
            raise DiscordFakeError(f"unknown channel {channel_id}")
        self.world.remove_channel(channel_id)

    def delete_message(self, message_id: int) -> None:
        """Delete a message, as its channel's moderator would (a thread started from it stays,
        as on Discord)."""
        self.world.messages[:] = [m for m in self.world.messages if m.id != message_id]

    def add_user(self, user_id: int, username: str | None = None) -> None:
        """Make a user known without a guild in common (members of the fake's guilds already
        are), so Create DM with them works; `username` defaults to `user<id>`."""
        self.world.add_user(user_id, username)

    def close_dms(self, user_id: int) -> None:
        """The user takes no DMs from the bot: posts to their DM channel answer 403 50007."""
        self.world.dms.closed.add(user_id)

    def open_dms(self, user_id: int) -> None:
        """Undo `close_dms`."""
        self.world.dms.closed.discard(user_id)

    def add_webhook(self, channel_id: int, name: str = "paperboy") -> IncomingWebhook:
        """Create a channel webhook (for `discord.Webhook.partial(id, token, session=…)`)."""
        if channel_id not in self.world.channels:
            raise DiscordFakeError(f"unknown channel {channel_id}")
        hook = IncomingWebhook(snowflake(), secrets.token_urlsafe(48), channel_id, name)
        self.rest.webhooks[hook.id] = hook
        return hook

    def set_rate_limit(self, limit: int, per: float, *, route: str | None = None) -> None:
        """Bucket size: `limit` requests per `per` s, for all routes or one route template
        (e.g. `"/api/v10/channels/{channel_id}/messages"`)."""
        if route is None:
            self.limiter.limit, self.limiter.per = limit, per
        else:
            self.limiter.overrides[route] = (limit, per)

    @property
    def nonce_window(self) -> float:
        """Seconds within which `enforce_nonce` returns the earlier message (Discord: "a few
        minutes"), by the fake's clock."""
        return self.rest.nonce_window

    @nonce_window.setter
    def nonce_window(self, value: float) -> None:
        self.rest.nonce_window = value

    def hold_answers(
        self,
        route_contains: str,
        *,
        method: str | None = "POST",
        times: int = 1,
        delay: float | None = None,
        drop: bool = False,
    ) -> AnswerHold:
        """Handle the next `times` matching requests (messages are stored) but hold their
        answers: until `release()` (or `delay` seconds), or forever with the connection
        closed (`drop`). `await hold.wait_arrived()` tells when one is held."""
        hold = AnswerHold(route_contains, method, times, delay, drop)
        self.rest.holds.append(hold)
        return hold

    def script_rate_limit(
        self,
        route_contains: str,
        *,
        times: int = 1,
        retry_after: float = 0.001,
        scope: Scope = "user",
        global_: bool = False,
        method: str | None = None,
        cloudflare: bool = False,
    ) -> ScriptedRateLimit:
        """Answer the next `times` matching requests with 429 (all real headers + Via)."""
        script = ScriptedRateLimit(
            route_contains, times, retry_after, scope, global_, method, cloudflare
        )
        self.limiter.scripts.append(script)
        return script

    # ------------------------------------------------------------------ interactions

    async def send_interaction(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        command: str = "papers",
        subcommand_path: Sequence[str] = (),
        options: Mapping[str, Any] | None = None,
        *,
        permissions: int | None = None,
        locale: str = "en-US",
        admin_override: bool = False,
    ) -> InteractionRecord:
        """Dispatch a slash command (INTERACTION_CREATE type 2) on the guild's shard."""
        record = self.hub.build(
            APPLICATION_COMMAND,
            guild_id,
            channel_id,
            user_id,
            command,
            subcommand_path,
            options or {},
            permissions=permissions,
            focused=None,
            locale=locale,
            admin_override=admin_override,
        )
        return await self._dispatch(record)

    async def send_autocomplete(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        command: str = "papers",
        subcommand_path: Sequence[str] = (),
        options: Mapping[str, Any] | None = None,
        *,
        focused: str,
        permissions: int | None = None,
        locale: str = "en-US",
        admin_override: bool = False,
    ) -> InteractionRecord:
        """Dispatch an autocomplete (type 4) with `focused` as the option being typed;
        `await record.choices()` gives what the bot answered."""
        record = self.hub.build(
            AUTOCOMPLETE,
            guild_id,
            channel_id,
            user_id,
            command,
            subcommand_path,
            options or {},
            permissions=permissions,
            focused=focused,
            locale=locale,
            admin_override=admin_override,
        )
        return await self._dispatch(record)

    async def click(
        self,
        guild_id: int,
        user_id: int,
        message_id: int,
        custom_id: str,
        values: Sequence[str] | None = None,
    ) -> InteractionRecord:
        """Click the button `custom_id` of the recorded message `message_id` as `user_id` of
        `guild_id`, or choose `values` in its select `custom_id` (INTERACTION_CREATE type 3);
        await `record.callback()` for the answer."""
        try:
            message = self.message(message_id)
        except KeyError:
            raise DiscordFakeError(f"no message {message_id} to click") from None
        record = self.hub.build_click(guild_id, user_id, message, custom_id, values)
        return await self._dispatch(record)

    async def click_ephemeral(
        self,
        origin: InteractionRecord,
        message_id: int,
        custom_id: str,
        values: Sequence[str] | None = None,
        *,
        user_id: int | None = None,
    ) -> InteractionRecord:
        """Click `custom_id` on the ephemeral message `message_id` that answered `origin` (as
        its user, who alone sees it; another `user_id` is a test error)."""
        user = origin.user_id if user_id is None else user_id
        record = self.hub.build_ephemeral_click(origin, user, message_id, custom_id, values)
        return await self._dispatch(record)

    async def _dispatch(self, record: InteractionRecord) -> InteractionRecord:
        session = self.gateway.session_for_guild(record.guild_id)
        record.dispatched_at = self.world.clock()
        await session.send(0, record.payload, "INTERACTION_CREATE")
        return record

    async def wait_ready(self, sessions: int = 1, timeout: float = 5.0) -> None:
        """Wait until `sessions` gateway connections are identified (READY sent)."""
        await self.gateway.wait_ready(sessions, timeout)

    # ------------------------------------------------------------------ inspection

    @property
    def messages(self) -> list[Message]:
        """Messages that exist in channels/threads (ephemeral ones are not here)."""
        return list(self.world.messages)

    def message(self, message_id: int) -> Message:
        """The current version of one message (KeyError when there is none)."""
        for msg in self.world.messages:
            if msg.id == message_id:
                return msg
        raise KeyError(message_id)

    @property
    def edits(self) -> list[MessageEdit]:
        """Accepted edits of channel messages (PATCH), oldest first."""
        return list(self.world.edits)

    def edits_of(self, message_id: int) -> list[MessageEdit]:
        """The accepted edits of one message, oldest first."""
        return [e for e in self.world.edits if e.message_id == message_id]

    def post_as_user(self, channel_id: int, user_id: int, content: str) -> Message:
        """A message a member wrote in a channel (the bot cannot edit it: 50005)."""
        return self.rest.post_as_user(channel_id, user_id, content)

    def messages_in(self, channel_id: int) -> list[Message]:
        """Messages posted in a channel or thread (by id, not including its threads)."""
        return [m for m in self.world.messages if m.channel_id == channel_id]

    def dm_channel(self, user_id: int) -> int | None:
        """The id of the DM channel opened with `user_id` (Create DM), or None."""
        return self.world.dms.by_user.get(user_id)

    def dms(self, user_id: int) -> list[Message]:
        """Messages posted in the DM channel with `user_id`, oldest first."""
        cid = self.world.dms.by_user.get(user_id)
        return [] if cid is None else self.messages_in(cid)

    @property
    def callbacks(self) -> list[Callback]:
        """Accepted interaction callbacks."""
        return self.hub.callbacks

    @property
    def followups(self) -> list[Followup]:
        """Accepted follow-ups and @original edits."""
        return self.hub.followups

    @property
    def commands(self) -> list[SyncedCommand]:
        """Synced application commands (global first, then per guild)."""
        return self.command_store.all()

    @property
    def requests(self) -> list[RequestRecord]:
        """Every REST request with its status (and Discord error code)."""
        return list(self.rest.requests)

    @property
    def identifies(self) -> list[Identify]:
        """Every IDENTIFY the gateway received."""
        return list(self.gateway.identifies)

    @property
    def rate_limited(self) -> int:
        """How many 429s were served (real and scripted)."""
        return self.limiter.served_429

    @property
    def arrived(self) -> int:
        """How many REST requests reached the fake (counted on arrival, before any answer)."""
        return self.rest.arrived

    def request_counts(self) -> Counter[str]:
        """REST requests per route, as `"POST /channels/{channel_id}/messages"`."""
        return Counter(f"{r.method} {r.route}" for r in self.rest.requests)

    @property
    def invalid_requests(self) -> int:
        """401, 403 and 429 (not `shared`) answers of the last ten minutes by the fake's clock:
        what Discord bans an IP for at 10,000."""
        since = self.world.clock() - INVALID_REQUEST_WINDOW
        return sum(1 for r in self.rest.requests if r.invalid and r.at > since)

    def busiest_second(self) -> int:
        """The most requests counted against the global limit in any one second."""
        times = sorted(r.at for r in self.rest.requests if not r.exempt)
        most = start = 0
        for end, at in enumerate(times):
            while at - times[start] >= 1.0:
                start += 1
            most = max(most, end - start + 1)
        return most

    @property
    def unimplemented(self) -> list[str]:
        """REST routes the client called that the fake does not serve (answered 404)."""
        return list(self.rest.unimplemented)
