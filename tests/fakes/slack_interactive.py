"""Interactivity of the Slack fake: a person clicks a button of a recorded message.

`click(...)` finds the control (by `action_id`, and `value` when given) in the message's
`actions` blocks or section accessories: a button, or an overflow menu whose option `value`
names the choice (a click on a control the message does not have is a test error). It builds
the `block_actions` payload Slack sends (docs/reference/slack.md §13) with a fresh
`response_url` tied to that message, and delivers it:

- over Socket Mode: an envelope of type `"interactive"` (`accepts_response_payload: false`),
  acked with `{"envelope_id": …}`;
- over HTTP mode: a signed form POST whose only field is `payload` (the JSON text).

The payload's `team` is the workspace of the clicked message's channel (where the app is
installed; bolt authorizes with it), `user.team_id` the clicker's own (another one in a shared
channel). `click_response(...)` clicks a control of an accepted ephemeral answer instead
(`container.is_ephemeral: true`, and no `message`: Slack keeps no copy of it [inf]).

Either way the app has 3 seconds. A later ack is recorded as Slack has it: the click is
`late` and the user saw an error (`Click.user_saw_error`); a Socket Mode ack that arrives later
still is kept in `acks` with `late=True`. The response_url then answers `replace_original`
(the message is replaced for everyone, recorded as an edit), `delete_original` (the message is
gone) or, by default, an ephemeral reply only the clicker sees (`responses`, with its blocks).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import secrets
import time
from typing import Any, Literal, TypedDict, Unpack
from urllib.parse import urlencode

import aiohttp

from tests.fakes.slack_blocks import interactive_elements
from tests.fakes.slack_history import _to_api
from tests.fakes.slack_records import (
    Click,
    Edit,
    Message,
    ResponsePost,
    ResponseUrl,
    SlackFakeError,
)
from tests.fakes.slack_state import SlackState, str_or_none


class Delivery(TypedDict, total=False):
    """How a click reaches the app: `via` Socket Mode (the default) or a POST to `url` signed
    with `signing_secret`; `timeout`, how long the app has to ack (Slack's 3 s)."""

    via: Literal["socket", "http"]
    url: str | None
    signing_secret: str | None
    timeout: float


class Interactivity(SlackState):
    """`click`, `block_actions_payload` and the record of clicks (`clicks`)."""

    def block_actions_payload(
        self,
        team_id: str,
        user_id: str,
        message: Message,
        action_id: str,
        value: str | None = None,
        *,
        response_url: str,
    ) -> dict[str, Any]:
        """The `block_actions` payload for a click by `user_id` of `team_id` on `message`."""
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": message.channel,
            "is_ephemeral": False,
        }
        if message.thread_ts is not None:
            container["thread_ts"] = message.thread_ts
        return self._payload(
            team_id,
            user_id,
            message.team,
            container,
            _find_control(message.blocks, message.ts, action_id, value),
            response_url,
            _to_api(message, self.app_id, False, []),
        )

    def _payload(
        self,
        team_id: str,
        user_id: str,
        channel_team: str,
        container: dict[str, Any],
        control: tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None],
        response_url: str,
        message: dict[str, Any] | None,
    ) -> dict[str, Any]:
        block, element, option = control
        team = self.teams.get(channel_team)
        clicker_team = self.teams.get(team_id)
        user = clicker_team.users.get(user_id) if clicker_team is not None else None
        channel_id = container["channel_id"]
        channel = team.channels.get(channel_id) if team is not None else None
        name = user.name if user is not None else user_id.lower()
        action: dict[str, Any] = {
            "type": element["type"],
            "action_id": element["action_id"],
            "block_id": block.get("block_id") or secrets.token_hex(3),
            "action_ts": f"{self.clock():.6f}",
        }
        if option is not None:
            action["selected_option"] = {"text": option.get("text"), "value": option["value"]}
        else:
            action["text"] = element.get("text")
            if "value" in element:
                action["value"] = element["value"]
            if "style" in element:
                action["style"] = element["style"]
        trigger = f"{secrets.randbelow(10**11)}.{secrets.randbelow(10**11)}.{secrets.token_hex(16)}"
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user_id, "username": name, "name": name, "team_id": team_id},
            "api_app_id": self.app_id,
            "token": self.verification_token,
            "container": container,
            "trigger_id": trigger,
            "team": {"id": channel_team, "domain": team.domain if team else channel_team.lower()},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {
                "id": channel_id,
                "name": channel.name if channel else channel_id.lower(),
            },
            "state": {"values": {}},
            "response_url": response_url,
            "actions": [action],
        }
        if message is not None:
            payload["message"] = message
        return payload

    async def click(
        self,
        team_id: str,
        user_id: str,
        channel: str,
        ts: str,
        action_id: str,
        value: str | None = None,
        **how: Unpack[Delivery],
    ) -> Click:
        """Click a control of the recorded message `ts` in `channel` as `user_id` of `team_id`:
        a button (`value` optional), or the option `value` of an overflow menu.

        `via="socket"` needs a connected Socket Mode client; `via="http"` POSTs to `url`,
        signed with `signing_secret`. Returns the `Click` (also appended to `clicks`).
        """
        message = next((m for m in self.messages if m.channel == channel and m.ts == ts), None)
        if message is None:
            raise SlackFakeError(f"no message {ts} in {channel} to click")
        response_url = self.new_response_url(
            message.team, channel, user_id, message_ts=ts, user_team=team_id
        )
        payload = self.block_actions_payload(
            team_id, user_id, message, action_id, value, response_url=response_url
        )
        return await self._deliver(team_id, user_id, payload, **how)

    async def click_response(
        self,
        response: ResponsePost,
        action_id: str,
        value: str | None = None,
        **how: Unpack[Delivery],
    ) -> Click:
        """Click a control of an ephemeral answer (as the one user who sees it)."""
        if response.message_ts is None:
            raise SlackFakeError("only an accepted ephemeral answer can be clicked")
        team_id = response.user_team or response.team
        response_url = self.new_response_url(
            response.team, response.channel, response.user, user_team=team_id
        )
        container = {
            "type": "message",
            "message_ts": response.message_ts,
            "channel_id": response.channel,
            "is_ephemeral": True,
        }
        control = _find_control(response.blocks, response.message_ts, action_id, value)
        payload = self._payload(
            team_id, response.user, response.team, container, control, response_url, None
        )
        click = await self._deliver(team_id, response.user, payload, **how)
        self.clicks[-1] = click = dataclasses.replace(click, ephemeral=True)
        return click

    async def _deliver(
        self,
        team_id: str,
        user_id: str,
        payload: dict[str, Any],
        *,
        via: Literal["socket", "http"] = "socket",
        url: str | None = None,
        signing_secret: str | None = None,
        timeout: float = 3.0,
    ) -> Click:
        action = payload["actions"][0]
        chosen = action.get("selected_option") or {}
        common: dict[str, Any] = {
            "team": team_id,
            "user": user_id,
            "channel": payload["container"]["channel_id"],
            "message_ts": payload["container"]["message_ts"],
            "action_id": action["action_id"],
            "value": action.get("value", chosen.get("value")),
            "payload": payload,
            "response_url": payload["response_url"],
        }
        if via == "socket":
            ack = await self.socket.deliver(
                "interactive", payload, timeout=timeout, accepts_response_payload=False
            )
            click = Click(via="socket", acked=ack is not None, late=ack is None, ack=ack, **common)
        else:
            if url is None or signing_secret is None:
                raise SlackFakeError("an HTTP-mode click needs the app's url and signing_secret")
            status = await _post_signed(url, signing_secret, payload, timeout)
            click = Click(
                via="http",
                acked=status is not None,
                late=status is None,
                status=status,
                **common,
            )
        self.clicks.append(click)
        return click

    def new_response_url(
        self,
        team: str,
        channel: str,
        user: str,
        *,
        message_ts: str | None = None,
        user_team: str | None = None,
    ) -> str:
        """Issue a response_url (5 uses within 30 minutes, by the injected clock) for `user`
        (of `user_team` when not the channel's `team`); with `message_ts` (a click),
        `replace_original` / `delete_original` act on that message."""
        url_id = secrets.token_urlsafe(12)
        self._response_urls[url_id] = ResponseUrl(
            url_id, team, channel, user, self.clock(), message_ts=message_ts, user_team=user_team
        )
        return f"{self.url}/response/{url_id}"

    def _original(self, entry: ResponseUrl, payload: dict[str, Any]) -> int | None:
        """For a click's response_url asked to replace or delete the clicked message: its index
        in `messages` (-1 when it is gone); None otherwise."""
        acts = payload.get("replace_original") or payload.get("delete_original")
        if entry.message_ts is None or not acts:
            return None
        return next(
            (
                i
                for i, m in enumerate(self.messages)
                if (m.team, m.channel, m.ts) == (entry.team, entry.channel, entry.message_ts)
            ),
            -1,
        )

    def _replace_from_response(self, index: int, payload: dict[str, Any]) -> None:
        """`replace_original`: the clicked message now shows the new text and blocks."""
        old = self.messages[index]
        blocks = payload.get("blocks")
        new = dataclasses.replace(
            old,
            text=str_or_none(payload.get("text")),
            blocks=blocks if isinstance(blocks, list) and blocks else None,
            version=old.version + 1,
        )
        self.messages[index] = new
        self.edits.append(
            Edit(
                new.team,
                new.channel,
                new.ts,
                self._next_ts(),
                new.version,
                new.text,
                new.blocks,
                new.metadata,
                None,
                "response_url",
                dict(payload),
            )
        )


def _find_control(
    blocks: list[Any] | None, ts: str, action_id: str, value: str | None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """The block, the element and (for an overflow menu) the option a click chooses."""
    for block in blocks or []:
        for element in interactive_elements(block):
            if element.get("action_id") != action_id:
                continue
            if element.get("type") == "button" and value in (None, element.get("value")):
                return block, element, None
            if element.get("type") == "overflow":
                for option in element.get("options") or []:
                    if isinstance(option, dict) and option.get("value") == value:
                        return block, element, option
    raise SlackFakeError(
        f"message {ts} has no button or menu option action_id={action_id!r}"
        + (f" value={value!r}" if value is not None else "")
    )


async def _post_signed(
    url: str, signing_secret: str, payload: dict[str, Any], timeout: float
) -> int | None:
    """POST `payload=<json>` signed like Slack; the status, or None after `timeout`."""
    body = urlencode({"payload": json.dumps(payload)}).encode()
    stamp = str(int(time.time()))
    base = b"v0:" + stamp.encode() + b":" + body
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": "v0="
        + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest(),
    }
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http,
            http.post(url, data=body, headers=headers) as resp,
        ):
            await resp.read()
            return resp.status
    except TimeoutError:
        return None
