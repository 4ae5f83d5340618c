"""The retries of the Slack clients that answer people (the bolt app's client, response_url
answers), waiting with an injected sleep: a test's virtual clock, never the wall clock. Posts
use none of these (adapters/slack/publisher.py retries a post itself, claim by claim)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from adapters.slack.errors import retry_after

Sleep = Callable[[float], Awaitable[None]]


class _SleepsWith(AsyncRetryHandler):
    """Waits with an injected sleep, not asyncio.sleep as the SDK's handlers do: Retry-After
    after a 429, the SDK's backoff otherwise."""

    def __init__(self, retries: int, sleep: Sleep) -> None:
        super().__init__(max_retry_count=retries)
        self.sleep = sleep

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        """Wait, then ask for the next attempt."""
        state.next_attempt_requested = True
        if response is not None and response.status_code == 429:
            headers = {k.lower(): v for k, v in response.headers.items()}
            seconds = retry_after(headers.get("retry-after"))
        else:
            seconds = self.interval_calculator.calculate_sleep_duration(state.current_attempt)
        await self.sleep(seconds)
        state.increment_current_attempt()


class _ConnectionRetry(_SleepsWith, AsyncConnectionErrorRetryHandler):
    """A dropped connection, retried."""


class _ServerErrorRetry(_SleepsWith, AsyncServerErrorRetryHandler):
    """A 500 or 503, retried."""


class _RateLimitRetry(_SleepsWith, AsyncRateLimitErrorRetryHandler):
    """A 429, retried after its Retry-After."""


def connection_retry(sleep: Sleep = asyncio.sleep) -> list[AsyncRetryHandler]:
    """For response_url answers: one retry of a connection that failed (bolt's `respond` does
    the same), waiting with `sleep`."""
    return [_ConnectionRetry(1, sleep)]


def retry_handlers(sleep: Sleep = asyncio.sleep) -> list[AsyncRetryHandler]:
    """For the bolt app's client (command answers, not posts): retry what the SDK suggests,
    waiting with `sleep` (a test's virtual clock)."""
    return [
        _ConnectionRetry(3, sleep),
        _ServerErrorRetry(3, sleep),
        _RateLimitRetry(10, sleep),
    ]
