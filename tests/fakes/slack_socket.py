"""The Socket Mode side of the Slack fake: `/link/` WebSocket, hello, envelopes and acks.

Flow like Slack's (docs/reference/slack.md §1): the client calls `apps.connections.open` with
an `xapp-` token and gets `ws://127.0.0.1:PORT/link/?ticket=…` (one-shot tickets); on connect
the server sends `hello`; envelopes go to the newest open connection; the client answers
`{"envelope_id": …, "payload"?: …}`. `disconnect()` sends `{"type": "disconnect", …}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import uuid
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.slack_blocks import validate_message
from tests.fakes.slack_records import Ack, SlackFakeError

HOST = "applink-fake-1"


class SocketModeHub:
    """Tickets, open connections, outstanding envelopes and recorded acks."""

    def __init__(self, app_id: str) -> None:
        self.app_id = app_id
        self.acks: list[Ack] = []
        self.unmatched: list[dict[str, Any]] = []  # client messages that were not acks we expect
        self.connects = 0  # connections accepted so far (reconnects count)
        self._tickets: set[str] = set()
        self._open: list[web.WebSocketResponse] = []
        self._pending: dict[str, tuple[asyncio.Future[Ack], str]] = {}
        self._late: dict[str, str] = {}  # envelope id → kind, for acks after the 3 seconds
        self.late_acks: list[Ack] = []  # acks that came after Slack's 3 seconds (`deliver`)
        self._changed = asyncio.Condition()

    @property
    def open_connections(self) -> int:
        """How many WebSocket connections are open now."""
        return sum(1 for ws in self._open if not ws.closed)

    def issue_url(self, base_ws: str) -> str:
        """A fresh one-shot `ws://…/link/?ticket=…` URL (what apps.connections.open returns)."""
        ticket = secrets.token_hex(16)
        self._tickets.add(ticket)
        return f"{base_ws}/link/?ticket={ticket}&app_id={self.app_id}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The `/link/` endpoint: check the ticket, say hello, then read acks until closed."""
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.json_response({"ok": False, "error": "invalid_ticket"}, status=401)
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._open.append(ws)
        self.connects += 1
        await ws.send_str(json.dumps(self._hello()))
        async with self._changed:
            self._changed.notify_all()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_text(msg.data)
        finally:
            self._open.remove(ws)
            async with self._changed:
                self._changed.notify_all()
        return ws

    def _hello(self) -> dict[str, Any]:
        return {
            "type": "hello",
            "num_connections": self.open_connections,
            "debug_info": {"host": HOST, "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }

    def _on_text(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            self.unmatched.append({"raw": data})
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        pending = self._pending.pop(envelope_id, None) if isinstance(envelope_id, str) else None
        late_kind = self._late.pop(envelope_id, None) if isinstance(envelope_id, str) else None
        if late_kind is not None:
            late = Ack(envelope_id or "", late_kind, None, message, None, late=True)
            self.acks.append(late)
            self.late_acks.append(late)
            return
        if pending is None:
            self.unmatched.append(message if isinstance(message, dict) else {"raw": data})
            return
        future, kind = pending
        payload = message.get("payload")
        error = None
        if isinstance(payload, dict) and payload:
            error = validate_message(payload)
        ack = Ack(
            envelope_id=envelope_id or "",
            type=kind,
            payload=payload if isinstance(payload, dict) else None,
            raw=message,
            error=error,
        )
        self.acks.append(ack)
        if not future.done():
            future.set_result(ack)

    async def wait_for_client(self, timeout: float = 3.0, connects: int = 1) -> None:
        """Wait until at least `connects` connections were accepted and one is open."""

        def ready() -> bool:
            return self.connects >= connects and self.open_connections > 0

        try:
            async with asyncio.timeout(timeout):
                async with self._changed:
                    await self._changed.wait_for(ready)
        except TimeoutError:
            raise SlackFakeError(
                f"no Socket Mode client connected within {timeout}s "
                f"(connects={self.connects}, open={self.open_connections})"
            ) from None

    async def send_envelope(
        self, kind: str, payload: dict[str, Any], *, timeout: float = 3.0, **extra: Any
    ) -> Ack:
        """Send one envelope to the newest open connection and wait for its ack."""
        envelope_id, ack = await self._send(kind, payload, timeout, extra)
        if ack is None:
            raise SlackFakeError(
                f"no ack for {kind} envelope {envelope_id} within {timeout}s "
                "(Slack would show the user a timeout error)"
            )
        return ack

    async def deliver(
        self, kind: str, payload: dict[str, Any], *, timeout: float = 3.0, **extra: Any
    ) -> Ack | None:
        """Like `send_envelope`, but an ack later than `timeout` is no failure of the fake: it
        answers None (Slack has shown the user an error) and records the ack as `late` if it
        comes at all."""
        envelope_id, ack = await self._send(kind, payload, timeout, extra)
        if ack is None:
            self._late[envelope_id] = kind
        return ack

    async def _send(
        self, kind: str, payload: dict[str, Any], timeout: float, extra: dict[str, Any]
    ) -> tuple[str, Ack | None]:
        ws = next((w for w in reversed(self._open) if not w.closed), None)
        if ws is None:
            raise SlackFakeError("no Socket Mode client is connected")
        envelope_id = str(uuid.uuid4())
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload, **extra}
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Ack] = loop.create_future()
        self._pending[envelope_id] = (future, kind)
        await ws.send_str(json.dumps(envelope))
        try:
            return envelope_id, await asyncio.wait_for(future, timeout)
        except TimeoutError:
            self._pending.pop(envelope_id, None)
            return envelope_id, None

    async def disconnect(self, reason: str = "refresh_requested") -> int:
        """Send `{"type": "disconnect", "reason": …}` to every open connection; return how many."""
        message = json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": HOST}})
        sent = 0
        for ws in list(self._open):
            if not ws.closed:
                with contextlib.suppress(ConnectionError):
                    await ws.send_str(message)
                    sent += 1
        return sent

    async def close_all(self) -> None:
        """Close every connection (server going away) and fail outstanding envelopes."""
        for ws in list(self._open):
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"server shutdown")
        for future, _kind in self._pending.values():
            if not future.done():
                future.set_exception(SlackFakeError("the fake stopped before the ack arrived"))
        self._pending.clear()
