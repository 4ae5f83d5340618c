"""paperboy's own HTTP routes: /healthz (ready or not, and which part is not) and /metrics
(Prometheus). Served by Slack HTTP mode's web app when it runs, else by a server of their own
on PAPERBOY_HTTP_HOST:PAPERBOY_HTTP_PORT: there is only ever one listening socket."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.app.logs import redact

# aiohttp is imported where a server is built or answers: commands that only build the app
# (fetch, digest) never pay for it.
if TYPE_CHECKING:
    from aiohttp import web

    from bot.app.feeds import FeedRoutes
    from bot.app.metrics import Metrics
    from bot.app.platforms import Platform

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"


class Ops:
    """What /healthz and /metrics report on: the scheduler, the platforms, the metrics."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.platforms: Sequence[Platform] = ()
        self.scheduler_running: Callable[[], bool] = lambda: False
        self.address: tuple[str, int] | None = None  # where its own server listens, if it does
        self.feeds: FeedRoutes | None = None  # the channels' feeds, served beside them

    async def problems(self) -> list[str]:
        """`part: what is wrong` for every part that is not up (none: ready)."""
        found = [] if self.scheduler_running() else ["scheduler: not running"]
        for platform in self.platforms:
            try:
                health = await platform.health()
            except Exception as exc:  # a health check must answer, whatever the adapter does
                found.append(f"{platform.name}: cannot tell ({type(exc).__name__}: {exc})")
                continue
            if not health.ok:
                found.append(f"{platform.name}: {health.detail}")
        return found

    async def healthz(self, request: web.Request) -> web.Response:
        """200 `ok` when the scheduler runs and every platform is connected, else 503 and
        which part is not, redacted as log lines are: an adapter's error may quote a token,
        and in Slack HTTP mode anyone who reaches /slack/events reaches this too."""
        from aiohttp import web

        problems = await self.problems()
        if problems:
            return web.Response(status=503, text=redact("; ".join(problems)) + "\n")
        return web.Response(text="ok\n")

    async def scrape(self, request: web.Request) -> web.Response:
        """The metrics, read in a thread (the store's gauges query the database)."""
        from aiohttp import web

        body, content_type = await asyncio.to_thread(
            self.metrics.exposition, request.headers.get("Accept")
        )
        return web.Response(body=body, headers={"Content-Type": content_type})

    def add_routes(self, app: web.Application) -> None:
        """Serve /healthz and /metrics (and the channels' feeds) from `app`."""
        app.router.add_get(HEALTH_PATH, self.healthz)
        app.router.add_get(METRICS_PATH, self.scrape)
        if self.feeds is not None:
            self.feeds.add_routes(app)


class OpsServer:
    """The web server of the ops routes, when no platform runs one."""

    def __init__(self, ops: Ops, host: str, port: int) -> None:
        self.ops = ops
        self.host = host
        self.requested_port = port
        self.port: int | None = None  # the port it listens on, once it does
        self._runner: web.AppRunner | None = None

    async def start(self) -> bool:
        """Listen; a port that cannot be had is one error line, and paperboy runs on."""
        from aiohttp import web

        app = web.Application()
        self.ops.add_routes(app)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.requested_port).start()
        except OSError as exc:
            await runner.cleanup()
            log.error(
                "cannot listen on %s:%s for /healthz and /metrics (%s; set "
                "PAPERBOY_HTTP_PORT); paperboy runs without them",
                self.host,
                self.requested_port,
                exc.strerror or exc,
            )
            return False
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        self.ops.address = (self.host, self.port)
        log.info("serving %s and %s on %s:%s", HEALTH_PATH, METRICS_PATH, self.host, self.port)
        return True

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self.ops.address = None
