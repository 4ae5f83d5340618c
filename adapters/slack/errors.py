"""What Slack's answers mean for a post: refused (nothing posted), uncertain, or whose fault.

Error codes are from the method references, e.g. https://docs.slack.dev/reference/methods/chat.postMessage
and https://docs.slack.dev/reference/methods/conversations.history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.ports import DeliveryError

# The token or the whole install is refused: every channel of the workspace fails alike.
WORKSPACE_ERRORS = frozenset(
    {
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_authed",
        "team_access_not_granted",
        "org_login_required",
        "ekm_access_denied",
        "missing_scope",
        "not_allowed_token_type",
        "team_not_found",
    }
)
# The channel cannot receive posts from us (deleted, archived, we were removed, restricted).
CHANNEL_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "restricted_action",
        "no_permission",
    }
)
# Both pause deliveries (the channel, or the workspace as a whole).
PERMANENT_ERRORS = WORKSPACE_ERRORS | CHANNEL_ERRORS
# Slack refused this message itself: the channel is fine, posting it again cannot work.
MESSAGE_ERRORS = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "msg_blocks_too_long",
        "no_text",
        "invalid_arguments",
        "too_many_attachments",
        "invalid_attachments",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
    }
)
# "It's possible some aspect of the operation succeeded before the error was raised."
UNCERTAIN_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable"})


@dataclass(frozen=True)
class Answer:
    """What came back for a failed call: the HTTP status, Slack's error code, Retry-After."""

    status: int | None
    error: str | None
    retry_after: float = 0.0

    @property
    def rate_limited(self) -> bool:
        """A 429: nothing was done; try again after `retry_after` seconds."""
        return self.status == 429 or self.error in ("ratelimited", "rate_limited")

    @property
    def refused(self) -> bool:
        """Slack answered and proves nothing was posted (ok:false, or a 4xx)."""
        if self.error is not None:
            return self.error not in UNCERTAIN_ERRORS and not self.server_fault
        return self.status is not None and 400 <= self.status < 500

    @property
    def server_fault(self) -> bool:
        """A 5xx: the request may have been carried out before it failed."""
        return self.status is not None and self.status >= 500


def answer_of(exc: SlackApiError) -> Answer:
    """Read a SlackApiError whatever its body was (a JSON object, text, bytes or nothing)."""
    response: Any = exc.response
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    data = getattr(response, "data", None)
    error = data.get("error") if isinstance(data, dict) else None
    headers = getattr(response, "headers", None) or {}
    return Answer(
        status if isinstance(status, int) else None,
        str(error) if error else None,
        _seconds(headers.get("Retry-After") or headers.get("retry-after")),
    )


def refused_error(answer: Answer) -> DeliveryError:
    """The DeliveryError for an answer that proves nothing was posted."""
    error = answer.error or f"HTTP {answer.status}"
    return DeliveryError(
        error,
        permanent=error in PERMANENT_ERRORS,
        message_fault=error in MESSAGE_ERRORS,
        workspace_fault=error in WORKSPACE_ERRORS,
    )


def uncertain_error(what: str) -> DeliveryError:
    """The DeliveryError for a request that may have reached Slack: look before resending."""
    return DeliveryError(f"{what} (the post may be out)", uncertain=True)


def describe(answer: Answer) -> str:
    """`internal_error (HTTP 500)`, `HTTP 502`: for logs and DeliveryError messages."""
    if answer.error and answer.status not in (None, 200):
        return f"{answer.error} (HTTP {answer.status})"
    return answer.error or f"HTTP {answer.status}"


def not_sent(exc: BaseException) -> bool:
    """True when the connection failed before the request went out (refused, DNS, TLS)."""
    return isinstance(exc, aiohttp.ClientConnectorError)


def _seconds(value: Any) -> float:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return 1.0  # Slack always sends Retry-After on a 429; a missing one means "soon"
