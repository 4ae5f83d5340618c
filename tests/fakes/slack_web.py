"""The Web API and response_url endpoints of the Slack fake (aiohttp handlers).

Auth like Slack: `Authorization: Bearer` or a `token` field in a form body (a JSON body's
`token` is ignored, query-string tokens are not accepted from new apps); missing →
`not_authed`, unknown → `invalid_auth`, both HTTP 200. Rate limits answer HTTP 429 with
`Retry-After` and `{"ok": false, "error": "ratelimited"}`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.fakes.slack_blocks import check_message
from tests.fakes.slack_dms import DirectMessageApi
from tests.fakes.slack_edits import EditApi, details, parse_metadata
from tests.fakes.slack_faults import FaultScript
from tests.fakes.slack_interactive import Interactivity
from tests.fakes.slack_records import (
    ApiFailure,
    Bucket,
    Call,
    ResponsePost,
    ResponseUrl,
    ScriptedFault,
    Token,
    TokenKind,
)
from tests.fakes.slack_state import str_or_none

RESPONSE_URL_USES = 5
RESPONSE_URL_TTL = 30 * 60  # seconds
OAUTH_CODE_TTL = 10 * 60  # seconds
EXPIRED_URL_ERROR = "Expired url"  # Slack's own string for a used-up response_url (space and all)
_METHOD_SCOPES = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "users.info": "users:read",
    "conversations.info": "channels:read",
    "conversations.open": "im:write",  # features.md §2e (slack_dms.py)
}


_Fail = ApiFailure


class WebApi(EditApi, Interactivity, DirectMessageApi, FaultScript):
    """Handlers for `/api/{method}` and `/response/{id}` on top of the workspace state."""

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args: dict[str, Any] = {}
        token: Token | None = None
        fault: ScriptedFault | None = None
        try:
            args, body_token = await _read_args(request)
            handler = _METHODS.get(method)
            if method == "oauth.v2.access":
                result = self._oauth_v2_access(request, args)
            elif handler is None:
                raise _Fail("unknown_method", req_method=method)
            else:
                token = self._token(request, body_token)
                self._authorize(token, method)
                fault = self._take_fault(method, args.get("channel"), "before")
                if fault is not None:
                    failed = await self._fault_answer(request, method, token, args, fault)
                    if failed is not None:
                        return failed
                self._check_rate_limit(method, token, args)
                result = handler(self, token, args)
                fault = self._take_fault(method, args.get("channel"), "after")
        except _Fail as fail:
            self.calls.append(_call(request, method, token, fail.error, fail.status, args))
            headers = {}
            if fail.status == 429:
                self.rate_limited_count += 1
                served = fail.extra.pop("retry_after")
                if self.retry_after_override is not None:
                    served = self.retry_after_override
                headers["Retry-After"] = str(served)
            body = {"ok": False, "error": fail.error, **fail.extra}
            return web.json_response(body, status=fail.status, headers=headers)
        if fault is not None:
            # The method ran (a post is recorded): only its answer goes wrong.
            failed = await self._fault_answer(request, method, token, args, fault)
            if failed is not None:
                return failed
        self.calls.append(_call(request, method, token, None, 200, args))
        # Like Slack, a call made with a token says which scopes it has (slack_bolt reads it
        # from auth.test: slack_bolt/middleware/authorization/internals.py).
        scopes = {"x-oauth-scopes": ",".join(sorted(token.scopes))} if token is not None else {}
        return web.json_response({"ok": True, **result}, headers=scopes)

    async def _fault_answer(
        self,
        request: web.Request,
        method: str,
        token: Token | None,
        args: dict[str, Any],
        fault: ScriptedFault,
    ) -> web.StreamResponse | None:
        answer = await self._serve_fault(request, fault)
        if answer is not None:
            self.calls.append(
                _call(request, method, token, f"fault:{fault.answer}", answer.status, args)
            )
        return answer

    def _token(self, request: web.Request, body_token: str | None) -> Token:
        auth = request.headers.get("Authorization", "")
        value = auth[len("Bearer ") :].strip() if auth.startswith("Bearer ") else body_token
        if not value:
            raise _Fail("not_authed")
        token = self.tokens.get(value)
        if token is None:
            raise _Fail("invalid_auth")
        return token

    def _authorize(self, token: Token, method: str) -> None:
        if token.state == "revoked":
            raise _Fail("token_revoked")
        if token.state == "inactive":
            raise _Fail("account_inactive")
        wants_app = method == "apps.connections.open"
        if (token.kind == "app") != wants_app:
            raise _Fail("not_allowed_token_type")
        needed = _METHOD_SCOPES.get(method)
        if needed is not None and token.kind == "bot" and needed not in token.scopes:
            raise _Fail("missing_scope", needed=needed, provided=",".join(sorted(token.scopes)))

    def _check_rate_limit(self, method: str, token: Token, args: dict[str, Any]) -> None:
        channel = args.get("channel")
        for limit in self._scripted:
            if limit.method == method and limit.channel in (None, channel) and limit.times > 0:
                limit.times -= 1
                raise _Fail("ratelimited", status=429, retry_after=limit.retry_after)
        if method == "chat.update":
            self._update_limit(token)
            return
        if method != "chat.postMessage" or not isinstance(channel, str):
            return
        now, team = self.clock(), token.team_id or ""
        per_channel = self._buckets.get((team, channel))
        if per_channel is None:
            per_channel = Bucket(self.post_rate, self.post_burst, self.post_burst, now)
            self._buckets[(team, channel)] = per_channel
        per_team = self._team_buckets.get(team)
        if per_team is None:
            per_team = Bucket(self.workspace_rate, self.workspace_burst, self.workspace_burst, now)
            self._team_buckets[team] = per_team
        per_channel.rate, per_channel.burst = self.post_rate, self.post_burst
        per_team.rate, per_team.burst = self.workspace_rate, self.workspace_burst
        wait = max(per_channel.wait(now), per_team.wait(now))
        if wait:  # refused by either: neither is used up
            raise _Fail("ratelimited", status=429, retry_after=wait)
        per_channel.take(now)
        per_team.take(now)

    def _auth_test(self, token: Token, args: dict[str, Any]) -> dict[str, Any]:
        team = self._team(token)
        result: dict[str, Any] = {
            "url": f"https://{team.domain}.slack.com/",
            "team": team.name,
            "user": (token.bot_user_id or "").lower(),
            "team_id": team.id,
            "user_id": token.bot_user_id,
            "is_enterprise_install": False,
        }
        if token.kind == "bot":
            result["bot_id"] = token.bot_id
        return result

    def _post_message(self, token: Token, args: dict[str, Any]) -> dict[str, Any]:
        team = self._team(token)
        channel = self._channel(team, args.get("channel"))
        if channel.state == "archived":
            raise _Fail("is_archived")
        if channel.state == "not_in_channel":
            raise _Fail("not_in_channel")
        thread_ts = str_or_none(args.get("thread_ts"))
        if thread_ts is not None:
            parent = next(
                (m for m in self.messages_in(channel.id, team.id) if m.ts == thread_ts), None
            )
            if parent is not None:
                thread_ts = parent.thread_ts or parent.ts
                closed = self.closed_threads.get((team.id, channel.id, thread_ts))
                if closed is not None:
                    raise _Fail(closed)
            elif (
                self.reply_to_deleted == "top_level"
                and (team.id, channel.id, thread_ts) in self.deleted
            ):
                thread_ts = None  # posted in the channel, answered ok
            else:
                raise _Fail("thread_not_found")
        problem = check_message(args, strict_text=self.strict_text)
        if problem is not None:
            raise _Fail(problem.error, **details(problem.messages))
        metadata = parse_metadata(args.get("metadata"))
        message = self._record(
            team.id,
            channel.id,
            args,
            thread_ts,
            token.bot_user_id,
            metadata=metadata,
            bot_id=token.bot_id,
        )
        body = self._bot_message(token, team.id, message, thread_ts, metadata, {"ts": message.ts})
        return {"channel": channel.id, "ts": message.ts, "message": body}

    def _users_info(self, token: Token, args: dict[str, Any]) -> dict[str, Any]:
        user = self._team(token).users.get(args.get("user", ""))
        if user is None:
            raise _Fail("user_not_found")
        return {"user": user.to_api()}

    def _conversations_info(self, token: Token, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(self._team(token), args.get("channel"))
        return {
            "channel": {
                "id": channel.id,
                "name": channel.name,
                "is_channel": not channel.is_private,
                "is_group": channel.is_private,
                "is_private": channel.is_private,
                "is_archived": channel.state == "archived",
                "is_member": channel.state == "ok",
                "is_general": False,
                "created": 1_700_000_000,
            }
        }

    def _connections_open(self, token: Token, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.socket.issue_url(f"ws://127.0.0.1:{self._port}")}

    def _oauth_v2_access(self, request: web.Request, args: dict[str, Any]) -> dict[str, Any]:
        client_id, client_secret = _basic_auth(request.headers.get("Authorization", ""))
        client_id = client_id or str_or_none(args.get("client_id"))
        client_secret = client_secret or str_or_none(args.get("client_secret"))
        if client_id != self.client_id:
            raise _Fail("invalid_client_id")
        if client_secret != self.client_secret:
            raise _Fail("bad_client_secret")
        code = self._codes.get(str(args.get("code", "")))
        if code is None or code.used or self.clock() - code.issued_at > OAUTH_CODE_TTL:
            raise _Fail("invalid_code")
        if code.redirect_uri is not None and args.get("redirect_uri") != code.redirect_uri:
            raise _Fail("bad_redirect_uri")
        code.used = True
        team = self.add_team(
            code.team_id,
            bot_token=code.bot_token,
            name=code.team_name,
            bot_user_id=code.bot_user_id,
            scopes=code.scopes,
        )
        team.name = code.team_name
        if code.installer not in team.users:
            self.add_user(code.team_id, code.installer)
        return {
            "app_id": self.app_id,
            "authed_user": {"id": code.installer},
            "scope": ",".join(code.scopes),
            "token_type": "bot",
            "access_token": code.bot_token,
            "bot_user_id": code.bot_user_id,
            "team": {"id": code.team_id, "name": code.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    # ------------------------------------------------------------------ response_url

    async def _response(self, request: web.Request) -> web.StreamResponse:
        entry = self._response_urls.get(request.match_info["id"])
        if entry is None:
            return web.json_response({"ok": False, "error": "no_service"}, status=404)
        try:
            payload = await request.json()
        except ValueError:
            payload = None
        payload = payload if isinstance(payload, dict) else {}
        expired = self.clock() - entry.issued_at >= RESPONSE_URL_TTL
        entry.uses += 1  # every POST uses up the budget, accepted or not
        status, error, extra = 200, None, {}
        response_type = payload.get("response_type") or "ephemeral"
        if expired or entry.uses > RESPONSE_URL_USES:
            status, error = 404, EXPIRED_URL_ERROR
        elif response_type not in ("ephemeral", "in_channel"):
            status, error = 400, "invalid_response_type"
        elif not payload.get("delete_original"):
            problem = check_message(payload, strict_text=self.strict_text)
            if problem is not None:
                status, error = 400, problem.error
                extra = details(problem.messages)
        original = self._original(entry, payload)
        if error is None and original is not None and original < 0:
            status, error = 404, "message_not_found"  # [inf] the clicked message is gone
        # An accepted ephemeral answer (not acting on the clicked message) is a message of its own.
        shown = error is None and original is None and response_type == "ephemeral"
        shown = shown and not payload.get("delete_original")
        ts = self._next_ts() if shown else None
        self.responses.append(_response_post(entry, payload, response_type, status, error, ts))
        if error is not None:
            return web.json_response({"ok": False, "error": error, **extra}, status=status)
        if original is not None:  # replace_original / delete_original of a clicked message
            if payload.get("delete_original"):
                del self.messages[original]
            else:
                self._replace_from_response(original, payload)
            return web.json_response({"ok": True})
        if response_type == "in_channel" and not payload.get("delete_original"):
            thread_ts = str_or_none(payload.get("thread_ts"))
            self._record(entry.team, entry.channel, payload, thread_ts, None, "response_url")
        return web.json_response({"ok": True})


_METHODS: dict[str, Callable[[WebApi, Token, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": WebApi._auth_test,
    "chat.postMessage": WebApi._post_message,
    "chat.update": WebApi._chat_update,
    "users.info": WebApi._users_info,
    "conversations.info": WebApi._conversations_info,
    "conversations.history": WebApi._conversations_history,
    "conversations.replies": WebApi._conversations_replies,
    "conversations.open": WebApi._conversations_open,
    "apps.connections.open": WebApi._connections_open,
}  # oauth.v2.access authenticates the client instead of a token (`_oauth_v2_access`)


# ---------------------------------------------------------------------- internals


async def _read_args(request: web.Request) -> tuple[dict[str, Any], str | None]:
    """Query params plus the body (form or JSON); the token only counts from a form body.

    Like Slack: JSON bodies must carry the token in `Authorization` (a `token` field in JSON
    is ignored), and tokens in query strings are not accepted from new apps.
    """
    args: dict[str, Any] = {k: v for k, v in request.query.items() if k != "token"}
    body_token: str | None = None
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            try:
                data = json.loads(await request.text() or "{}")
            except ValueError:
                raise _Fail("invalid_json") from None
            if not isinstance(data, dict):
                raise _Fail("json_not_object")
            data.pop("token", None)
            args.update(data)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    args[key] = value
            body_token = args.pop("token", None)
    return args, body_token


def _basic_auth(header: str) -> tuple[str | None, str | None]:
    if not header.startswith("Basic "):
        return None, None
    try:
        decoded = base64.b64decode(header[len("Basic ") :]).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def _call(
    request: web.Request,
    method: str,
    token: Token | None,
    error: str | None,
    status: int,
    args: dict[str, Any],
) -> Call:
    kind: TokenKind | None = token.kind if token is not None else None
    return Call(
        method=method,
        team=token.team_id if token is not None else None,
        token_kind=kind,
        ok=error is None,
        error=error,
        status=status,
        args=dict(args),
        http_method=request.method,
        content_type=request.content_type if request.body_exists else None,
    )


def _response_post(
    entry: ResponseUrl,
    payload: dict[str, Any],
    response_type: str,
    status: int,
    error: str | None,
    message_ts: str | None,
) -> ResponsePost:
    blocks = payload.get("blocks")
    return ResponsePost(
        url_id=entry.id,
        team=entry.team,
        channel=entry.channel,
        user=entry.user,
        response_type=response_type,
        text=str_or_none(payload.get("text")),
        blocks=blocks if isinstance(blocks, list) else None,
        ok=error is None,
        status=status,
        error=error,
        replace_original=bool(payload.get("replace_original")),
        delete_original=bool(payload.get("delete_original")),
        thread_ts=str_or_none(payload.get("thread_ts")),
        payload=dict(payload),
        message_ts=message_ts,
        user_team=entry.user_team,
    )
