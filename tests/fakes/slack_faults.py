"""Scripted failures of the Slack fake: 5xx with odd bodies, dropped connections, hung answers.

Slack records a message as soon as the request has arrived and validated; the answer can still
be lost. `script_fault(when="after", ...)` plays exactly that: the method runs (a post is in
`messages` and in history), then the answer fails, hangs or never comes.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from tests.fakes.slack_records import (
    FaultAnswer,
    FaultWhen,
    ScriptedFault,
    SlackFakeError,
)
from tests.fakes.slack_state import SlackState


class FaultScript(SlackState):
    """`script_fault`, `release_hung`, `wait_for_hang`; the Web API consults `_take_fault`.

    The state (`faults_served`, `hanging` and the scripted list) lives in SlackState.
    """

    def script_fault(
        self,
        answer: FaultAnswer,
        *,
        method: str = "chat.postMessage",
        channel: str | None = None,
        times: int = 1,
        when: FaultWhen = "after",
        status: int = 500,
        error: str = "internal_error",
        hang: float | None = None,
    ) -> None:
        """Make the next `times` calls of `method` (to `channel`, if given) fail.

        `when="after"`: the method runs first (a post is recorded), then the answer fails;
        `"before"`: nothing is done. `answer`: "hang" (answer normally once `release_hung()`
        is called, `hang` seconds pass or the fake stops; a client timeout ends it first),
        "non_json" (HTTP `status`, a text/plain body), "html" (HTTP `status`, an HTML page),
        "bad_json" (HTTP `status`, application/json that does not parse),
        "error" (HTTP `status` with `{"ok": false, "error": error}`; status 200 is Slack's own
        internal_error) or "drop" (the connection is closed without an answer).
        """
        self._faults.append(
            ScriptedFault(method, channel, times, when, answer, status, error, hang)
        )

    def release_hung(self) -> None:
        """Let every hung request answer now."""
        self._release.set()
        self._release = asyncio.Event()

    async def wait_for_hang(self, timeout: float = 3.0) -> None:
        """Return once a request is hanging (its post, if `when="after"`, is recorded)."""
        try:
            async with asyncio.timeout(timeout):
                while self.hanging == 0:
                    self._hang_started.clear()
                    await self._hang_started.wait()
        except TimeoutError:
            raise SlackFakeError(f"no request hung within {timeout} s") from None

    def _take_fault(self, method: str, channel: object, when: FaultWhen) -> ScriptedFault | None:
        for fault in self._faults:
            matches = (fault.method, fault.when) == (method, when)
            if matches and fault.channel in (None, channel) and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    async def _hang(self, fault: ScriptedFault) -> None:
        self.hanging += 1
        self._hang_started.set()
        release = self._release
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(fault.hang):
                    await release.wait()
        finally:
            self.hanging -= 1

    async def _serve_fault(
        self, request: web.Request, fault: ScriptedFault
    ) -> web.StreamResponse | None:
        """The failed answer for `fault`, or None after a hang (answer normally)."""
        self.faults_served += 1
        if fault.answer == "hang":
            await self._hang(fault)
            return None
        if fault.answer == "drop":
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=fault.status)  # never reaches the client
        if fault.answer == "non_json":
            return web.Response(
                status=fault.status, text="upstream connect error", content_type="text/plain"
            )
        if fault.answer == "bad_json":
            return web.Response(
                status=fault.status, text='{"ok": fal', content_type="application/json"
            )
        if fault.answer == "html":
            return web.Response(
                status=fault.status,
                content_type="text/html",
                text="<html><body><h1>500 Internal Server Error</h1></body></html>",
            )
        return web.json_response({"ok": False, "error": fault.error}, status=fault.status)

    def _stop_faults(self) -> None:
        """Release hung requests so the server can shut down."""
        self._faults.clear()
        self.release_hung()
