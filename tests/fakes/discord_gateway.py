"""The fake's gateway WebSocket: HELLO, IDENTIFY/RESUME, READY + GUILD_CREATE, heartbeats.

Frames are plain-text JSON (discord.py asks for `compress=zlib-stream` but only decompresses
binary frames). Close codes follow developers/topics/opcodes-and-status-codes.mdx: 4001 unknown
opcode, 4003 not authenticated, 4004 authentication failed, 4005 already authenticated,
4010 invalid shard, 4014 disallowed (privileged) intents.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from tests.fakes.discord_records import DiscordFakeError, Identify

if TYPE_CHECKING:
    from tests.fakes.discord_state import World

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, RESUME, RECONNECT = 0, 1, 2, 3, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content


@dataclass
class Session:
    """One gateway connection (and, once identified, its session)."""

    ws: web.WebSocketResponse
    session_id: str = ""
    shard: tuple[int, int] | None = None
    intents: int | None = None
    seq: int = 0
    identified: bool = False
    resumed: bool = False
    received: list[dict[str, Any]] = field(default_factory=list)

    @property
    def shard_id(self) -> int:
        """The shard number (0 for an unsharded connection)."""
        return 0 if self.shard is None else self.shard[0]

    @property
    def shard_count(self) -> int:
        """How many shards the client said it runs (1 for an unsharded connection)."""
        return 1 if self.shard is None else self.shard[1]

    @property
    def open(self) -> bool:
        """True while the socket is connected."""
        return not self.ws.closed

    async def send(self, op: int, d: Any = None, t: str | None = None) -> None:
        """Send one frame; dispatches (op 0) get the next sequence number."""
        frame: dict[str, Any] = {"op": op, "d": d, "s": None, "t": t}
        if op == DISPATCH:
            self.seq += 1
            frame["s"] = self.seq
        await self.ws.send_str(json.dumps(frame))


class Gateway:
    """Serves `/gateway`; `dispatch_to_guild` injects events on the right shard's socket."""

    def __init__(self, world: World, url: str = "") -> None:
        self.world = world
        self.url = url  # ws://127.0.0.1:PORT/gateway, set when the server starts
        self.heartbeat_interval_ms = 41_250
        self.privileged_intents = 0  # which privileged intents the "portal" has enabled
        self.sessions: list[Session] = []
        self.identifies: list[Identify] = []
        self.resumes: list[dict[str, Any]] = []
        self.heartbeats = 0

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """The WebSocket endpoint."""
        ws = web.WebSocketResponse(autoping=True, timeout=2.0)
        await ws.prepare(request)
        session = Session(ws)
        self.sessions.append(session)
        await session.send(
            HELLO, {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["fake-gateway"]}
        )
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            session.received.append(frame)
            await self._on_frame(session, frame)
            if ws.closed:
                break
        return ws

    async def _on_frame(self, session: Session, frame: dict[str, Any]) -> None:
        op, d = frame.get("op"), frame.get("d")
        if op == HEARTBEAT:
            self.heartbeats += 1
            await session.send(HEARTBEAT_ACK)
        elif op == IDENTIFY:
            await self._identify(session, d or {})
        elif op == RESUME:
            await self._resume(session, d or {})
        elif not session.identified:
            await session.ws.close(code=4003, message=b"Not authenticated.")
        elif op == REQUEST_MEMBERS:
            await self._members_chunk(session, d or {})
        elif op in (PRESENCE, 4):  # presence update, voice state update
            return
        else:
            await session.ws.close(code=4001, message=b"Unknown opcode.")

    async def _identify(self, session: Session, d: dict[str, Any]) -> None:
        shard = d.get("shard")
        shard_t = (int(shard[0]), int(shard[1])) if shard else None
        intents = d.get("intents")
        ok = d.get("token") == self.world.token
        self.identifies.append(Identify(str(d.get("token")), shard_t, intents, ok, d))
        if session.identified:
            await session.ws.close(code=4005, message=b"Already authenticated.")
        elif not ok:
            await session.ws.close(code=4004, message=b"Authentication failed.")
        elif shard_t is not None and not 0 <= shard_t[0] < shard_t[1]:
            await session.ws.close(code=4010, message=b"Invalid shard.")
        elif intents is not None and intents & PRIVILEGED_INTENTS & ~self.privileged_intents:
            await session.ws.close(code=4014, message=b"Disallowed intent(s).")
        else:
            session.shard, session.intents = shard_t, intents
            session.session_id = secrets.token_hex(16)
            session.identified = True
            await self._ready(session)

    def guilds_on(self, session: Session) -> list[int]:
        """The guild ids whose events go to this session's shard."""
        return [
            g
            for g in self.world.guilds
            if self.world.shard_of(g, session.shard_count) == session.shard_id
        ]

    async def _ready(self, session: Session) -> None:
        world = self.world
        ready: dict[str, Any] = {
            "v": 10,
            "user": world.bot_user,
            "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds_on(session)],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.url,
            "application": {"id": str(world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "_trace": ["fake-gateway"],
        }
        if session.shard is not None:
            ready["shard"] = list(session.shard)
        await session.send(DISPATCH, ready, "READY")
        for gid in self.guilds_on(session):
            await session.send(
                DISPATCH, world.guild_create(world.guilds[gid], session.intents), "GUILD_CREATE"
            )

    async def _resume(self, session: Session, d: dict[str, Any]) -> None:
        self.resumes.append(d)
        old = next(
            (
                s
                for s in self.sessions
                if s.session_id and s.session_id == d.get("session_id") and s is not session
            ),
            None,
        )
        if d.get("token") != self.world.token:
            await session.ws.close(code=4004, message=b"Authentication failed.")
            return
        if old is None:
            await session.send(INVALID_SESSION, False)
            return
        session.session_id, session.shard, session.intents = old.session_id, old.shard, old.intents
        session.seq, session.identified, session.resumed = old.seq, True, True
        old.session_id = ""
        if old.open:
            await old.ws.close(code=4000)
        await session.send(DISPATCH, {"_trace": ["fake-gateway"]}, "RESUMED")

    async def _members_chunk(self, session: Session, d: dict[str, Any]) -> None:
        gid = int(d.get("guild_id", 0))
        guild = self.world.guilds.get(gid)
        members = (
            []
            if guild is None
            else [
                self.world.member_object(gid, uid)
                for uid in [self.world.bot_user_id, *guild.members]
            ]
        )
        chunk = {
            "guild_id": str(gid),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
            "presences": [],
        }
        if d.get("nonce") is not None:
            chunk["nonce"] = d["nonce"]
        await session.send(DISPATCH, chunk, "GUILD_MEMBERS_CHUNK")

    # ------------------------------------------------------------------ test controls

    def session_for_guild(self, guild_id: int) -> Session:
        """The open, identified session whose shard receives `guild_id`'s events."""
        for session in reversed(self.sessions):
            if (
                session.open
                and session.identified
                and self.world.shard_of(guild_id, session.shard_count) == session.shard_id
            ):
                return session
        raise DiscordFakeError(f"no identified gateway connection serves guild {guild_id}")

    async def dispatch_to_guild(self, guild_id: int, event: str, data: dict[str, Any]) -> None:
        """Send a dispatch event on the shard that owns `guild_id`."""
        await self.session_for_guild(guild_id).send(DISPATCH, data, event)

    async def send_op(self, op: int, d: Any = None, *, shard_id: int = 0) -> None:
        """Send a raw opcode (e.g. 7 RECONNECT, 9 INVALID_SESSION) to a shard's connection."""
        for session in reversed(self.sessions):
            if session.open and session.identified and session.shard_id == shard_id:
                await session.send(op, d)
                return
        raise DiscordFakeError(f"no identified gateway connection for shard {shard_id}")

    async def wait_ready(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until `count` sessions are identified and open."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while sum(1 for s in self.sessions if s.identified and s.open) < count:
            if loop.time() > deadline:
                raise DiscordFakeError(f"fewer than {count} gateway sessions after {timeout}s")
            await asyncio.sleep(0.01)

    async def close_all(self) -> None:
        """Close every open connection (1001 going away)."""
        for session in self.sessions:
            if session.open:
                await session.ws.close(code=1001, message=b"Server shutting down.")
