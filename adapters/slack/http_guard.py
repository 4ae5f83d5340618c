"""The checks in front of bolt's HTTP endpoint: malformed, forged and replayed requests stop here.

bolt answers 500 with a traceback when `X-Slack-Request-Timestamp` is not a number (slack_sdk's
SignatureVerifier calls `int()` on it), when a signed body is not UTF-8 or does not parse, and
it runs a correctly signed request again when it is replayed within Slack's 5-minute window.
This aiohttp middleware verifies the signature over the raw bytes first, answers 401 / 400 with
one log line, and acknowledges a replay (or Slack's own retry of an event already received)
with a 200 without running it: Slack retries whatever does not get a 2xx
(docs/reference/slack.md §3, §11).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.request.async_request import AsyncBoltRequest

log = logging.getLogger(__name__)

# SignatureVerifier accepts a timestamp this many seconds either side of now.
REPLAY_WINDOW = 5 * 60
# Slack retries an event three times, the last about 5 minutes after the first: remember its
# event_id for an hour.
EVENT_MEMORY = 60 * 60
# A bound on what is remembered. Only requests with a valid signature are remembered, so only
# Slack's own traffic fills it; past the bound the oldest is forgotten.
MAX_REMEMBERED = 10_000
REFUSED = {"error": "invalid request"}  # bolt's own 401 body
MAX_DIGITS = 12  # a Unix time in seconds; int() refuses strings of over 4,300 digits

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _Memory:
    """Keys seen, each until its expiry; at most `size` of them (the oldest go first)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._expiry: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._expiry)

    def seen(self, key: str, now: float) -> bool:
        """True when `key` is remembered and not expired."""
        expiry = self._expiry.get(key)
        return expiry is not None and expiry > now

    def add(self, key: str, until: float, now: float) -> None:
        """Remember `key` until `until`, dropping what expired and what overflows."""
        self._expiry[key] = until
        self._expiry.move_to_end(key)
        while self._expiry:
            oldest, expiry = next(iter(self._expiry.items()))
            if len(self._expiry) <= self.size and expiry > now:
                break  # keys come roughly in expiry order: the rest is still fresh
            del self._expiry[oldest]

    def forget(self, key: str) -> None:
        """Drop `key` (its request failed: Slack's retry should run)."""
        self._expiry.pop(key, None)


class RequestGuard:
    """The aiohttp middleware for `path`; other routes (OAuth pages, health) pass through."""

    __middleware_version__ = 1  # a new-style aiohttp middleware

    def __init__(
        self,
        signing_secret: str,
        path: str,
        *,
        clock: Callable[[], float] = time.time,
        size: int = MAX_REMEMBERED,
    ) -> None:
        self.path = path
        self.clock = clock
        self._secret = signing_secret.encode()
        self.signatures = _Memory(size)
        self.events = _Memory(size)

    async def __call__(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Check a POST to `path`, then hand it to bolt (or answer it here)."""
        if request.method != "POST" or request.path != self.path:
            return await handler(request)
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        body = await request.read()
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_DIGITS):
            return _refuse(request, 401, "X-Slack-Request-Timestamp is not a number")
        now = self.clock()
        if abs(now - int(timestamp)) > REPLAY_WINDOW:
            return _refuse(request, 401, "X-Slack-Request-Timestamp is more than 5 minutes off")
        if not self.signed(timestamp, body, signature):
            return _refuse(request, 401, "no valid Slack signature")
        payload = await _payload(request)
        if payload is None:
            return _refuse(request, 400, "a signed body that is not UTF-8 form data or JSON")
        if self.signatures.seen(signature, now):
            log.warning(
                "Slack: dropped a replayed request to %s (its signature was used)", self.path
            )
            return web.Response(status=200)
        self.signatures.add(signature, int(timestamp) + REPLAY_WINDOW, now)
        event_id = payload.get("event_id")
        if not isinstance(event_id, str) or not event_id:
            return await handler(request)
        if self.events.seen(event_id, now):
            log.info(
                "Slack: event %s delivered again (retry %s, %s); acknowledged, not run again",
                event_id,
                request.headers.get("X-Slack-Retry-Num", "-"),
                request.headers.get("X-Slack-Retry-Reason", "-"),
            )
            return web.Response(status=200)
        self.events.add(event_id, now + EVENT_MEMORY, now)
        try:
            response = await handler(request)
        except BaseException:
            self.events.forget(event_id)
            raise
        if not 200 <= response.status < 300:
            self.events.forget(event_id)  # Slack retries it, and the retry should run
        return response

    def signed(self, timestamp: str, body: bytes, signature: str) -> bool:
        """Slack's v0 signature: HMAC-SHA256 of `v0:{timestamp}:{raw body}`, compared in
        constant time. Over the bytes: slack_sdk's SignatureVerifier decodes the body as UTF-8
        first, and raises on a body that is not."""
        base = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        # aiohttp keeps undecodable header bytes as surrogates: give them back as bytes.
        return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "surrogateescape"))


async def _payload(request: web.Request) -> dict[str, Any] | None:
    """The body as bolt will read it, or None when bolt could not (bolt would answer 500)."""
    try:
        text = await request.text()
        body = AsyncBoltRequest(
            body=text,
            query=request.query_string,
            headers=dict(request.headers),
        ).body
    # UnicodeDecodeError and bad JSON are ValueErrors, an unknown charset a LookupError; a JSON
    # array or string is an AttributeError (bolt calls .get on the body).
    except (ValueError, LookupError, AttributeError, TypeError):
        return None
    return body if isinstance(body, dict) else None


def _refuse(request: web.Request, status: int, why: str) -> web.Response:
    log.warning("Slack: refused a request to %s from %s: %s", request.path, request.remote, why)
    return web.json_response(REFUSED, status=status)
