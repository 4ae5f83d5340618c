"""What Slack's answers mean for a post: refused (nothing posted), uncertain, or whose fault.

Error codes are from the method references, e.g. https://docs.slack.dev/reference/methods/chat.postMessage
and https://docs.slack.dev/reference/methods/conversations.history. Also the Web API client
every Slack part uses, which reads any answer (a proxy's text page too), and the logger handed
to slack_bolt and slack_sdk, which never lets their debug output through
(docs/reference/slack.md §11).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

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
        "is_inactive",  # chat.update: a frozen, archived or deleted channel
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
# chat.update: the message can no longer be edited (deleted, not ours, the team's edit window):
# the channel is fine, but this digest stays as it is (https://docs.slack.dev/reference/methods/chat.update).
EDIT_ERRORS = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
# chat.postMessage with the thread_ts of a message that is gone (someone deleted the digest):
# the channel is fine, but no reply can join that thread (docs/reference/slack.md §5). Also the
# error paperboy gives a reply that Slack posted in the channel instead (publisher.py).
THREAD_GONE = "thread_not_found"
# A reply the thread refuses: an admin locked it, its parent cannot have replies, or the
# channel takes no thread replies at all (slack.md §5). The channel still takes posts.
THREAD_CLOSED = frozenset(
    {
        "restricted_action_thread_locked",
        "cannot_reply_to_message",
        "restricted_action_non_threadable_channel",
    }
)
THREAD_ERRORS = frozenset({THREAD_GONE}) | THREAD_CLOSED
# This one message can never go through; the channel is fine.
MESSAGE_FAULTS = MESSAGE_ERRORS | EDIT_ERRORS | THREAD_ERRORS
# A direct message the person cannot get from paperboy: conversations.open refused them (a bot,
# no such member, a deactivated one), the install lacks im:write (`missing_scope`), or the DM
# refuses the post (the app's Messages tab is off, the channel is gone or restricted)
# (https://docs.slack.dev/reference/methods/conversations.open, chat.postMessage). The person's
# fault, never the workspace's or a channel's: the core mentions them in the channel instead.
DM_CLOSED = (
    frozenset(
        {
            "cannot_dm_bot",
            "user_not_found",
            "user_disabled",
            "missing_scope",
            "messages_tab_disabled",
        }
    )
    | CHANNEL_ERRORS
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


class _NoDebug(logging.Filter):
    """Drops debug records: slack_bolt and slack_sdk log whole Socket Mode envelopes (the
    verification token, response_url), request and response bodies and stored installations
    (bot tokens) at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep INFO and above."""
        return record.levelno > logging.DEBUG


# The logger bolt, the Socket Mode client, the Web API and webhook clients and the OAuth stores
# get. bolt copies its filters to the loggers it makes from it (slack_bolt/logger/__init__.py).
LIBRARY_LOG = logging.getLogger("adapters.slack.library")
if not any(isinstance(f, _NoDebug) for f in LIBRARY_LOG.filters):
    LIBRARY_LOG.addFilter(_NoDebug())


class SlackClient(AsyncWebClient):
    """An AsyncWebClient that never hands slack_sdk a text body to read as JSON.

    slack_sdk keeps a text/plain answer (a proxy's or load balancer's error page) as a string
    and then calls `.get` on it: an AttributeError instead of a SlackApiError. Read as `{}`,
    such an answer fails as `HTTP <status>` like any other unexplained one.
    """

    async def _request(self, *, http_verb: str, api_url: str, req_args: dict[str, Any]) -> Any:
        res = await super()._request(http_verb=http_verb, api_url=api_url, req_args=req_args)
        if isinstance(res, dict) and isinstance(res.get("data"), str):
            res["data"] = {}
        return res


def readable(client: AsyncWebClient) -> SlackClient:
    """`client` as a SlackClient (bolt hands listeners a plain AsyncWebClient per request)."""
    if isinstance(client, SlackClient):
        return client
    return SlackClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        headers=client.headers,
        logger=client.logger,
        retry_handlers=client.retry_handlers,
    )


def error_code(exc: Exception) -> str:
    """Slack's error code (`invalid_auth`), `HTTP 502` for an answer without one, else the
    exception in one line; whatever the body was."""
    if isinstance(exc, SlackApiError):
        answer = answer_of(exc)
        if answer.error:
            return answer.error
        return f"HTTP {answer.status}" if answer.status else "unknown_error"
    return f"{type(exc).__name__}: {exc}"


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
        message_fault=error in MESSAGE_FAULTS,
        workspace_fault=error in WORKSPACE_ERRORS,
    )


def dm_refused_error(answer: Answer, method: str = "chat.postMessage") -> DeliveryError:
    """The DeliveryError for a direct message Slack refused: the recipient's DMs are closed
    (DM_CLOSED), or this message itself is wrong; never a channel or workspace fault (a person's
    DMs pause nothing: a revoked token pauses the workspace through its channels' posts)."""
    error = answer.error or f"HTTP {answer.status}"
    if error in DM_CLOSED:
        return DeliveryError(f"{method}: {error}", recipient_closed=True)
    return DeliveryError(error, message_fault=error in MESSAGE_FAULTS)


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


def retry_after(value: Any) -> float:
    """Seconds from a Retry-After header value (a list of them, too)."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return _seconds(value)


def _seconds(value: Any) -> float:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return 1.0  # Slack always sends Retry-After on a 429; a missing one means "soon"
