"""Discord-style rate limits for the fake: per-bucket windows, a global limit, scripted 429s.

Buckets are keyed by route template + top-level resource (channel, guild, webhook id+token),
like developers/topics/rate-limits.mdx (docs/reference/discord.md §3-§4). Every answer carries
`X-RateLimit-Limit/-Remaining/-Reset/-Reset-After/-Bucket`; a 429 also carries `Retry-After`,
`X-RateLimit-Scope` (and `X-RateLimit-Global` when global) and `Via: 1.1 google`, with the body
`{"message": "You are being rate limited.", "retry_after": <float>, "global": <bool>}`.
discord.py retries a 429 only when `Via` is present and the body is JSON.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Scope = Literal["user", "shared", "global"]
RATE_LIMITED = "You are being rate limited."


@dataclass
class ScriptedRateLimit:
    """Forced 429s for requests whose path contains `route_contains` (and `method`, if set)."""

    route_contains: str
    times: int
    retry_after: float
    scope: Scope = "user"
    global_: bool = False
    method: str | None = None
    cloudflare: bool = False  # no Via header, HTML body: discord.py raises instead of retrying
    served: int = 0

    def matches(self, method: str, path: str) -> bool:
        """True while this script still has 429s left for this request."""
        return (
            self.served < self.times
            and self.route_contains in path
            and (self.method is None or self.method == method)
        )


@dataclass
class Window:
    """A fixed window: `limit` requests until `reset_at` (fake clock), then it starts over."""

    limit: int
    per: float
    used: int = 0
    reset_at: float = 0.0


@dataclass
class Verdict:
    """What the limiter decided: headers to add, and a 429 body/status when limited."""

    headers: dict[str, str]
    status: int | None = None
    body: Any = None
    scope: Scope | None = None
    via: bool = True  # False for a Cloudflare-style 429 (no `Via` header)


@dataclass
class RateLimiter:
    """Bucket windows (default `limit` per `per` seconds), a global limit and scripted 429s."""

    clock: Callable[[], float] = time.monotonic
    limit: int = 5
    per: float = 1.0
    global_limit: int = 50  # requests per second across non-interaction routes
    overrides: dict[str, tuple[int, float]] = field(default_factory=dict)  # template → (n, s)
    scripts: list[ScriptedRateLimit] = field(default_factory=list)
    windows: dict[str, Window] = field(default_factory=dict)
    served_429: int = 0
    # Caps the `retry_after` of real (not scripted) 429s, so tests that provoke them do not
    # wait out real seconds; None: what Discord would say.
    retry_after_cap: float | None = None
    _recent: deque[float] = field(default_factory=deque)

    def bucket_hash(self, method: str, template: str) -> str:
        """A stable opaque bucket id per route (what `X-RateLimit-Bucket` carries)."""
        return hashlib.sha1(f"{method} {template}".encode()).hexdigest()[:16]

    def check(
        self, method: str, template: str, major: str, path: str, *, exempt_global: bool = False
    ) -> Verdict:
        """Count a request; return headers and, when it must be refused, a 429."""
        now = self.clock()
        bucket = self.bucket_hash(method, template)
        limit, per = self.overrides.get(template, (self.limit, self.per))
        key = f"{bucket}:{major}"
        window = self.windows.get(key)
        if window is None or now >= window.reset_at:
            window = self.windows[key] = Window(limit, per, 0, now + per)
        for script in self.scripts:
            if script.matches(method, path):
                script.served += 1
                return self._scripted(script, window, bucket, now)
        if not exempt_global and self.global_limit > 0:
            while self._recent and now - self._recent[0] >= 1.0:
                self._recent.popleft()
            if len(self._recent) >= self.global_limit:
                retry = max(0.001, 1.0 - (now - self._recent[0]))
                return self._limited(retry, "global", True, {}, cloudflare=False)
            self._recent.append(now)
        if window.used >= window.limit:
            retry = max(0.001, window.reset_at - now)
            return self._limited(
                retry, "user", False, self._headers(window, bucket, now), cloudflare=False
            )
        window.used += 1
        return Verdict(self._headers(window, bucket, now))

    def _headers(self, window: Window, bucket: str, now: float) -> dict[str, str]:
        reset_after = max(0.0, window.reset_at - now)
        return {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(max(0, window.limit - window.used)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }

    def _scripted(
        self, script: ScriptedRateLimit, window: Window, bucket: str, now: float
    ) -> Verdict:
        is_global = script.global_ or script.scope == "global"
        headers = {} if is_global else self._headers(window, bucket, now)
        if not is_global and script.scope == "user":
            headers["X-RateLimit-Remaining"] = "0"
            headers["X-RateLimit-Reset-After"] = f"{script.retry_after:.3f}"
            headers["X-RateLimit-Reset"] = f"{time.time() + script.retry_after:.3f}"
        scope: Scope = "global" if is_global else script.scope
        return self._limited(
            script.retry_after,
            scope,
            is_global,
            headers,
            cloudflare=script.cloudflare,
            scripted=True,
        )

    def _limited(
        self,
        retry_after: float,
        scope: Scope,
        is_global: bool,
        headers: dict[str, str],
        *,
        cloudflare: bool,
        scripted: bool = False,
    ) -> Verdict:
        self.served_429 += 1
        if not scripted and self.retry_after_cap is not None:
            retry_after = min(retry_after, self.retry_after_cap)
        headers = dict(headers)
        headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
        if cloudflare:
            return Verdict(
                headers, 429, "<html><body>error code: 1015</body></html>", scope, via=False
            )
        headers["X-RateLimit-Scope"] = scope
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        headers["Via"] = "1.1 google"
        body = {"message": RATE_LIMITED, "retry_after": round(retry_after, 3), "global": is_global}
        if scope == "shared":
            body["code"] = 0
        return Verdict(headers, 429, body, scope)
