"""The fake's REST API under /api/v10: auth, rate limits, exact JSON answers, the routes.

Every answer is `Content-Type: application/json` exactly (discord.py parses nothing else) or
204 without a body, and carries `Via: 1.1 google` plus the X-RateLimit-* headers. Routes other
than `GET /gateway`, the interaction callback and webhooks need `Authorization: Bot <token>`
(401 `{"message": "401: Unauthorized", "code": 0}` otherwise). Unknown routes answer 404 and
are listed in `unimplemented`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.discord_edits import EditRoutes
from tests.fakes.discord_holds import AnswerHold
from tests.fakes.discord_records import (
    API_PREFIX,
    ApiError,
    RequestRecord,
    unauthorized,
)
from tests.fakes.discord_routes import BODY, FILES

if TYPE_CHECKING:
    from tests.fakes.discord_commands import CommandStore
    from tests.fakes.discord_interactions import InteractionHub
    from tests.fakes.discord_ratelimit import RateLimiter
    from tests.fakes.discord_state import World

Route = Callable[[web.Request], Awaitable[tuple[int, Any]]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Reply(web.Response):
    """A route's (status, JSON answer), finished into the real response by the middleware."""

    def __init__(self, status: int, answer: Any) -> None:
        super().__init__(status=status)
        self.answer = answer


def _wrap(route: Route) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        status, answer = await route(request)
        return Reply(status, answer)

    return handler


def json_answer(status: int, body: Any, headers: dict[str, str]) -> web.Response:
    """A response with `Content-Type: application/json` exactly (no charset), or a 204."""
    if status == 204 or body is None:
        return web.Response(status=204, headers=headers)
    if isinstance(body, str):  # a Cloudflare-style HTML page
        return web.Response(
            status=status, body=body.encode(), headers={**headers, "Content-Type": "text/html"}
        )
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        headers={**headers, "Content-Type": "application/json"},
    )


class RestApi(EditRoutes):
    """Route table and middleware; channel/thread/webhook routes live in ChannelRoutes."""

    def __init__(
        self, world: World, commands: CommandStore, hub: InteractionHub, limiter: RateLimiter
    ) -> None:
        super().__init__(world, hub)
        self.commands = commands
        self.limiter = limiter
        self.shard_count = 1
        self.gateway_url = ""
        self.requests: list[RequestRecord] = []
        self.unimplemented: list[str] = []
        self.arrived = 0  # REST requests received, counted before anything else happens
        self.holds: list[AnswerHold] = []

    def routes(self, app: web.Application) -> None:
        """Register every route and the middleware on `app`."""
        app.middlewares.append(self.middleware)

        def add(method: str, path: str, route: Route) -> None:
            app.router.add_route(method, path, _wrap(route))

        p = API_PREFIX
        add("GET", f"{p}/users/@me", self._me)
        add("GET", f"{p}/oauth2/applications/@me", self._application)
        add("GET", f"{p}/gateway", self._gateway)
        add("GET", f"{p}/gateway/bot", self._gateway_bot)
        for path in (
            "/applications/{application_id}/commands",
            "/applications/{application_id}/guilds/{guild_id}/commands",
        ):
            add("PUT", p + path, self._put_commands)
            add("GET", p + path, self._get_commands)
        add("POST", f"{p}/interactions/{{interaction_id}}/{{token}}/callback", self._callback)
        add("POST", f"{p}/webhooks/{{webhook_id}}/{{token}}", self._execute_webhook)
        for method in ("GET", "PATCH", "DELETE"):
            add(
                method,
                f"{p}/webhooks/{{webhook_id}}/{{token}}/messages/{{message_id}}",
                self._webhook_message,
            )
        add("GET", f"{p}/guilds/{{guild_id}}", self._get_guild)
        add("GET", f"{p}/guilds/{{guild_id}}/members/{{user_id}}", self._get_member)
        add("GET", f"{p}/channels/{{channel_id}}", self._get_channel)
        add("POST", f"{p}/channels/{{channel_id}}/messages", self._post_message)
        add("GET", f"{p}/channels/{{channel_id}}/messages/{{message_id}}", self._get_message)
        add("PATCH", f"{p}/channels/{{channel_id}}/messages/{{message_id}}", self._patch_message)
        add("POST", f"{p}/channels/{{channel_id}}/threads", self._post_thread)
        add(
            "POST",
            f"{p}/channels/{{channel_id}}/messages/{{message_id}}/threads",
            self._thread_from_message,
        )
        add("*", p + "/{tail:.*}", self._unknown)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Auth, rate limits, body parsing, exact JSON answers and the request log."""
        if not request.path.startswith(API_PREFIX + "/"):
            return await handler(request)  # the gateway WebSocket
        path = request.path.removeprefix(API_PREFIX)
        route = request.match_info.route.resource
        template = route.canonical if route is not None else request.path
        info = request.match_info
        major = "+".join(
            str(info[k])
            for k in ("channel_id", "guild_id", "webhook_id", "interaction_id", "token")
            if k in info
        )
        self.arrived += 1
        at = self.world.clock()
        # Interaction endpoints are not bound by the global limit: callbacks and follow-ups.
        exempt = "/interactions/" in path or path.startswith(
            f"/webhooks/{self.world.application_id}/"
        )
        headers = {"Via": "1.1 google"}
        body: Any = None
        status: int
        answer: Any
        scope: str | None = None
        try:
            body = await self._read_body(request)
            request[BODY] = body
            needs_auth = not (
                path == "/gateway" or path.startswith(("/interactions/", "/webhooks/"))
            )
            if needs_auth and request.headers.get("Authorization") != f"Bot {self.world.token}":
                raise unauthorized()
            verdict = self.limiter.check(
                request.method, template, major, path, exempt_global=exempt
            )
            headers.update(verdict.headers)
            if not verdict.via:
                headers.pop("Via", None)
            if verdict.status is not None:
                status, answer, scope = verdict.status, verdict.body, verdict.scope
            else:
                reply = await handler(request)
                if not isinstance(reply, Reply):
                    return reply
                status, answer = reply.status, reply.answer
        except ApiError as exc:
            status, answer = exc.status, exc.body
        code = answer.get("code") if isinstance(answer, dict) and status >= 400 else None
        self.requests.append(
            RequestRecord(
                request.method,
                path,
                status,
                dict(request.query),
                body,
                code,
                at,
                template.removeprefix(API_PREFIX),
                exempt,
                scope,
            )
        )
        # Everything is recorded (a message is stored) before the answer is held back.
        hold = next((h for h in self.holds if h.matches(request.method, path)), None)
        if hold is not None:
            await hold.hold()
            if hold.drop and request.transport is not None:
                request.transport.abort()
        return json_answer(status, answer, headers)

    async def _read_body(self, request: web.Request) -> Any:
        if not request.body_exists:
            return None
        ctype = request.content_type
        if ctype == "multipart/form-data":
            form = await request.post()
            files = [
                v.filename
                for k, v in form.items()
                if k.startswith("files[") and hasattr(v, "filename")
            ]
            payload = json.loads(str(form.get("payload_json", "{}")))
            request[FILES] = files
            return payload
        if ctype != "application/json":
            raise ApiError(400, "400: Bad Request", 0)
        try:
            return json.loads(await request.text())
        except ValueError:
            raise ApiError(400, "The request body contains invalid JSON.", 50109) from None

    # ------------------------------------------------------------------ identity, gateway

    async def _me(self, request: web.Request) -> tuple[int, Any]:
        return 200, self.world.bot_user

    async def _application(self, request: web.Request) -> tuple[int, Any]:
        return 200, self.world.application()

    async def _gateway(self, request: web.Request) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url}

    async def _gateway_bot(self, request: web.Request) -> tuple[int, Any]:
        return 200, {
            "url": self.gateway_url,
            "shards": self.shard_count,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 14_400_000,
                "max_concurrency": 1,
            },
        }

    async def _unknown(self, request: web.Request) -> tuple[int, Any]:
        self.unimplemented.append(f"{request.method} {request.path.removeprefix(API_PREFIX)}")
        return 404, {"message": "404: Not Found", "code": 0}

    # ------------------------------------------------------------------ commands

    def _command_scope(self, request: web.Request) -> int | None:
        if request.match_info["application_id"] != str(self.world.application_id):
            raise ApiError(403, "Missing Access", 50001)  # another app's commands
        gid = request.match_info.get("guild_id")
        if gid is None:
            return None
        if int(gid) not in self.world.guilds:
            raise ApiError(403, "Missing Access", 50001)  # bot not in that guild
        return int(gid)

    async def _put_commands(self, request: web.Request) -> tuple[int, Any]:
        from tests.fakes.discord_commands import command_errors
        from tests.fakes.discord_validate import invalid_form_body

        scope = self._command_scope(request)
        errors = command_errors(request[BODY])
        if errors:
            raise ApiError.of(400, invalid_form_body(errors))
        return 200, self.commands.overwrite(scope, request[BODY])

    async def _get_commands(self, request: web.Request) -> tuple[int, Any]:
        scope = self._command_scope(request)
        return 200, [c.data for c in self.commands.scopes.get(scope, [])]

    # ------------------------------------------------------------------ interactions

    async def _callback(self, request: web.Request) -> tuple[int, Any]:
        with_response = request.query.get("with_response", "").lower() in ("1", "true")
        try:
            iid = int(request.match_info["interaction_id"])
        except ValueError:
            raise ApiError(404, "Unknown interaction", 10062) from None
        answer = self.hub.callback(iid, request.match_info["token"], request[BODY], with_response)
        return (204, None) if answer is None else (200, answer)
