"""The Slack fake is strict and realistic, shown with the real slack_sdk and slack_bolt clients."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import aiohttp.web
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import FileInstallationStore
from slack_sdk.oauth.state_store import FileOAuthStateStore
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.retries import retry_handlers
from tests.fakes import slack_fixture
from tests.fakes.slack_api import (
    EXPIRED_URL_ERROR,
    SlackFake,
    SlackFakeError,
    post_slash_command,
    signed_headers,
    validate_message,
)
from tests.fakes.slack_blocks import check_message
from tests.fakes.slack_fixture import FakeClock
from tests.fakes.slack_records import DEFAULT_BOT_SCOPES

slack_fake = slack_fixture.slack_fake
BOT = slack_fixture.BOT_TOKEN
APP = slack_fixture.APP_TOKEN
SECRET = "test-signing-secret"
SLASH_FIELDS = {  # docs/reference/slack.md §2
    "token", "team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name",
    "command", "text", "api_app_id", "is_enterprise_install", "response_url", "trigger_id",
}  # fmt: skip
# slack_sdk 3.48 builds aiohttp.BasicAuth for oauth.v2.access; aiohttp 3.14 deprecates it.
BASIC_AUTH_DEPRECATION = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated")


clock = slack_fixture.clock
clocked = slack_fixture.clocked


def web(slack: SlackFake, token: str | None = BOT, **kwargs: Any) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=slack.api_url, **kwargs)


async def api_error(call: Awaitable[Any]) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        await call
    return info.value


async def eventually(check: Callable[[], bool], timeout: float = 3.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(text: str = "Open", url: str = "https://arxiv.org/abs/2411.00001") -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "url": url}


DIGEST_BLOCKS: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "Daily Papers · 2026-11-25"}},
    section("*<https://huggingface.co/papers/2411.00001|A paper>* · 42 upvotes",
            accessory=button()),
    {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*f{i}*"} for i in range(10)]},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "arXiv 2411.00001"}]},
    {"type": "divider"},
    {"type": "actions", "elements": [button("More")], "block_id": "more"},
]  # fmt: skip


# ---------------------------------------------------------------------- auth


async def test_missing_and_unknown_tokens_fail_with_http_200(slack_fake: SlackFake) -> None:
    missing = await api_error(web(slack_fake, token=None).auth_test())
    unknown = await api_error(web(slack_fake, token="xoxb-nope").auth_test())
    assert (missing.response["error"], missing.response.status_code) == ("not_authed", 200)
    assert (unknown.response["error"], unknown.response.status_code) == ("invalid_auth", 200)


async def test_revoked_and_inactive_tokens(slack_fake: SlackFake) -> None:
    slack_fake.add_team("T2", bot_token="xoxb-t2", channels=["C9"])
    slack_fake.revoke(BOT)
    slack_fake.deactivate("xoxb-t2")
    assert (await api_error(web(slack_fake).auth_test())).response["error"] == "token_revoked"
    inactive = await api_error(web(slack_fake, "xoxb-t2").chat_postMessage(channel="C9", text="x"))
    assert inactive.response["error"] == "account_inactive"


async def test_token_kinds_are_enforced(slack_fake: SlackFake) -> None:
    app_post = await api_error(web(slack_fake, APP).chat_postMessage(channel="C1", text="x"))
    bot_open = await api_error(web(slack_fake).apps_connections_open(app_token=BOT))
    assert app_post.response["error"] == "not_allowed_token_type"
    assert bot_open.response["error"] == "not_allowed_token_type"
    assert [c.token_kind for c in slack_fake.calls] == ["app", "bot"]


async def test_auth_test_describes_the_bot(slack_fake: SlackFake) -> None:
    resp = await web(slack_fake).auth_test()
    assert resp["team_id"] == "T1" and resp["user_id"] == "UBOTT1" and resp["bot_id"] == "BT1"
    assert resp["team"] == "Paper Readers" and resp["url"] == "https://paper-readers.slack.com/"


async def test_form_token_is_accepted_but_a_json_token_is_ignored(slack_fake: SlackFake) -> None:
    url = slack_fake.api_url + "chat.postMessage"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data={"token": BOT, "channel": "C1", "text": "hi"}) as r:
            form = await r.json()
        async with http.post(url, json={"token": BOT, "channel": "C1", "text": "hi"}) as r:
            as_json = await r.json()
        async with http.post(slack_fake.api_url + "nope.nope", data={"token": BOT}) as r:
            unknown = await r.json()
    assert form["ok"] is True
    assert as_json == {"ok": False, "error": "not_authed"}
    assert unknown["error"] == "unknown_method"


async def test_missing_scope_names_the_needed_one(slack_fake: SlackFake) -> None:
    slack_fake.add_team("T2", bot_token="xoxb-narrow", scopes=["chat:write"])
    err = await api_error(web(slack_fake, "xoxb-narrow").users_info(user="UADMIN"))
    assert err.response["error"] == "missing_scope"
    assert err.response["needed"] == "users:read"


# ---------------------------------------------------------------------- reads


async def test_users_info_reports_admin_flags(slack_fake: SlackFake) -> None:
    client = web(slack_fake)
    admin = (await client.users_info(user="UADMIN"))["user"]
    member = (await client.users_info(user="UMEMBER"))["user"]
    assert (admin["is_admin"], admin["is_owner"], admin["team_id"]) == (True, False, "T1")
    assert (member["is_admin"], member["is_owner"], member["is_primary_owner"]) == (
        False, False, False,
    )  # fmt: skip
    assert (await api_error(client.users_info(user="UGHOST"))).response["error"] == "user_not_found"
    assert slack_fake.calls[0].http_method == "GET"  # slack_sdk sends users.info as a GET


async def test_conversations_info_follows_channel_state(slack_fake: SlackFake) -> None:
    slack_fake.set_channel("T1", "C2", "archived")
    client = web(slack_fake)
    assert (await client.conversations_info(channel="C1"))["channel"]["name"] == "papers"
    assert (await client.conversations_info(channel="C2"))["channel"]["is_archived"] is True
    gone = await api_error(client.conversations_info(channel="C404"))
    assert gone.response["error"] == "channel_not_found"


# ---------------------------------------------------------------------- chat.postMessage


async def test_a_valid_block_kit_message_is_accepted_and_recorded(slack_fake: SlackFake) -> None:
    client = web(slack_fake)
    first = await client.chat_postMessage(
        channel="C1", text="Daily Papers", blocks=DIGEST_BLOCKS, unfurl_links=False
    )
    second = await client.chat_postMessage(channel="C1", text="again")
    assert first["channel"] == "C1" and first["message"]["blocks"] == DIGEST_BLOCKS
    assert float(second["ts"]) > float(first["ts"])
    [message, _] = slack_fake.messages_in("C1")
    assert (message.team, message.ts, message.text) == ("T1", first["ts"], "Daily Papers")
    assert message.blocks == DIGEST_BLOCKS and message.payload["unfurl_links"] is False
    # slack_sdk posts chat.postMessage as JSON, with or without blocks
    assert {c.content_type for c in slack_fake.calls} == {"application/json"}
    assert slack_fake.missing_fallback == []


async def test_blocks_without_fallback_text_are_flagged(slack_fake: SlackFake) -> None:
    with pytest.warns(UserWarning, match="top-level `text` argument is missing"):  # slack_sdk's
        await web(slack_fake).chat_postMessage(channel="C1", blocks=[section("hi")])
    assert [m.channel for m in slack_fake.missing_fallback] == ["C1"]


async def test_form_encoded_blocks_are_validated_too(slack_fake: SlackFake) -> None:
    url = slack_fake.api_url + "chat.postMessage"
    blocks = json.dumps([section("x" * 3001)])
    async with aiohttp.ClientSession() as http:
        fields = {"token": BOT, "channel": "C1", "text": "t", "blocks": blocks}
        async with http.post(url, data=fields) as r:
            body = await r.json()
    assert body["error"] == "invalid_blocks"


async def test_section_text_over_3000_reads_like_slack(slack_fake: SlackFake) -> None:
    err = await api_error(
        web(slack_fake).chat_postMessage(channel="C1", text="t", blocks=[section("x" * 3001)])
    )
    assert err.response["error"] == "invalid_blocks"
    assert err.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
    ]
    assert slack_fake.messages == []


def _field(n: int, length: int = 5) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": "f" * length + str(n)}


INVALID: dict[str, tuple[dict[str, Any], str]] = {
    "51 blocks": ({"text": "t", "blocks": [{"type": "divider"}] * 51}, "invalid_blocks"),
    "empty section text": ({"text": "t", "blocks": [section("")]}, "invalid_blocks"),
    "section without text or fields": (
        {"text": "t", "blocks": [{"type": "section"}]}, "invalid_blocks"),
    "11 fields": (
        {"text": "t", "blocks": [{"type": "section", "fields": [_field(i) for i in range(11)]}]},
        "invalid_blocks"),
    "field over 2000": (
        {"text": "t", "blocks": [{"type": "section", "fields": [_field(0, 2000)]}]},
        "invalid_blocks"),
    "mrkdwn header": (
        {"text": "t", "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}]},
        "invalid_blocks"),
    "header over 150": (
        {"text": "t",
         "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]},
        "invalid_blocks"),
    "11 context elements": (
        {"text": "t", "blocks": [{"type": "context", "elements": [_field(i) for i in range(11)]}]},
        "invalid_blocks"),
    "duplicate block_id": (
        {"text": "t", "blocks": [section("a", block_id="x"), section("b", block_id="x")]},
        "invalid_blocks"),
    "unknown block type": ({"text": "t", "blocks": [{"type": "paper_card"}]}, "invalid_blocks"),
    "button text over 75": (
        {"text": "t", "blocks": [section("a", accessory=button("b" * 76))]}, "invalid_blocks"),
    "button url over 3000": (
        {"text": "t", "blocks": [section("a", accessory=button(url="https://x/" + "u" * 2991))]},
        "invalid_blocks"),
    "cumulative text over 13200": (
        {"text": "t", "blocks": [section("x" * 3000) for _ in range(5)]}, "msg_blocks_too_long"),
    "text over 40000": ({"text": "x" * 40_001}, "msg_too_long"),
    "nothing to show": ({"text": ""}, "no_text"),
}  # fmt: skip


@pytest.mark.parametrize(("payload", "error"), INVALID.values(), ids=INVALID.keys())
@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_invalid_messages_are_rejected(
    slack_fake: SlackFake, payload: dict[str, Any], error: str
) -> None:
    assert validate_message(payload) == error
    err = await api_error(web(slack_fake).chat_postMessage(channel="C1", **payload))
    assert err.response["error"] == error
    assert slack_fake.messages == []


def test_validator_contract() -> None:
    assert validate_message({"text": "t", "blocks": DIGEST_BLOCKS}) is None
    assert validate_message({"text": "x" * 40_001}, strict_text=False) is None
    assert validate_message({"blocks": "not json"}) == "invalid_blocks_format"
    problem = check_message({"text": "t", "blocks": [section("a"), {"type": "header"}]})
    assert problem is not None and problem.error == "invalid_blocks"
    assert problem.messages == [
        "[ERROR] missing required field: text [json-pointer:/blocks/1/text]"
    ]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
BLOCKISH = st.fixed_dictionaries(
    {"type": st.sampled_from(["section", "header", "context", "actions", "image", "divider", "x"])},
    optional={"text": JSON, "fields": JSON, "elements": JSON, "accessory": JSON, "block_id": JSON},
)


@settings(max_examples=150, deadline=None)
@given(text=JSON, blocks=JSON | st.lists(BLOCKISH, max_size=4))
def test_validator_never_raises(text: Any, blocks: Any) -> None:
    assert validate_message({"text": text, "blocks": blocks}) in VALIDATOR_CODES


VALIDATOR_CODES = {
    None, "invalid_blocks", "invalid_blocks_format", "invalid_attachments", "no_text",
    "msg_too_long", "msg_blocks_too_long", "too_many_attachments",
}  # fmt: skip


@pytest.mark.parametrize(
    ("state", "error"),
    [("not_found", "channel_not_found"), ("archived", "is_archived"),
     ("not_in_channel", "not_in_channel")],
)  # fmt: skip
async def test_channel_states(slack_fake: SlackFake, state: Any, error: str) -> None:
    slack_fake.set_channel("T1", "C2", state)
    err = await api_error(web(slack_fake).chat_postMessage(channel="C2", text="x"))
    assert err.response["error"] == error
    unknown = await api_error(web(slack_fake).chat_postMessage(channel="C404", text="x"))
    assert unknown.response["error"] == "channel_not_found"


async def test_thread_replies_need_an_existing_parent(slack_fake: SlackFake) -> None:
    client = web(slack_fake)
    parent = await client.chat_postMessage(channel="C1", text="digest")
    reply = await client.chat_postMessage(channel="C1", text="more", thread_ts=parent["ts"])
    assert reply["message"]["thread_ts"] == parent["ts"]
    assert slack_fake.messages[-1].thread_ts == parent["ts"]
    for channel, ts in (("C1", "1.000001"), ("C2", parent["ts"])):
        err = await api_error(client.chat_postMessage(channel=channel, text="x", thread_ts=ts))
        assert err.response["error"] == "thread_not_found"


# ---------------------------------------------------------------------- rate limits


async def test_per_channel_bucket_answers_429_with_retry_after(
    clocked: SlackFake, clock: FakeClock
) -> None:
    client = web(clocked)
    for _ in range(3):  # the burst
        await client.chat_postMessage(channel="C1", text="x")
    err = await api_error(client.chat_postMessage(channel="C1", text="x"))
    assert (err.response.status_code, err.response["error"]) == (429, "ratelimited")
    assert err.response.headers["Retry-After"] == "1"
    await client.chat_postMessage(channel="C2", text="other channel, other bucket")
    clock.advance(1.0)
    await client.chat_postMessage(channel="C1", text="refilled")
    assert clocked.rate_limited_count == 1 and len(clocked.messages_in("C1")) == 4


async def test_retry_handler_recovers_from_scripted_429s(slack_fake: SlackFake) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # the handler's wait, recorded instead of slept
        waits.append(seconds)

    slack_fake.script_rate_limit("C1", times=2, retry_after=4)
    client = web(slack_fake, retry_handlers=retry_handlers(sleep))
    resp = await client.chat_postMessage(channel="C1", text="digest")
    assert waits == [4.0, 4.0]  # the fake's Retry-After, once per 429
    assert resp["ok"] and slack_fake.rate_limited_count == 2
    assert [m.text for m in slack_fake.messages] == ["digest"]  # delivered exactly once
    assert [c.error for c in slack_fake.calls] == ["ratelimited", "ratelimited", None]


async def test_without_a_retry_handler_429_surfaces(slack_fake: SlackFake) -> None:
    slack_fake.script_rate_limit(times=1, retry_after=7)
    err = await api_error(web(slack_fake).chat_postMessage(channel="C2", text="x"))
    assert err.response.status_code == 429 and err.response.headers["Retry-After"] == "7"
    assert slack_fake.messages == []


# ---------------------------------------------------------------------- response_url


async def test_response_url_allows_five_uses_then_expires(slack_fake: SlackFake) -> None:
    hook = AsyncWebhookClient(slack_fake.new_response_url("T1", "C1", "UMEMBER"))
    statuses = []
    for i in range(5):
        kind = "in_channel" if i == 0 else "ephemeral"
        statuses.append((await hook.send(text=f"r{i}", response_type=kind)).status_code)
    sixth = await hook.send(text="one too many")
    assert statuses == [200] * 5
    assert sixth.status_code == 404 and json.loads(sixth.body)["error"] == EXPIRED_URL_ERROR
    assert [r.response_type for r in slack_fake.responses[:2]] == ["in_channel", "ephemeral"]
    assert [m.text for m in slack_fake.messages] == ["r0"]  # in_channel shows in the channel
    assert slack_fake.messages[0].source == "response_url"


async def test_response_url_expires_after_30_minutes(clocked: SlackFake, clock: FakeClock) -> None:
    hook = AsyncWebhookClient(clocked.new_response_url("T1", "C1", "UADMIN"))
    clock.advance(29 * 60)
    assert (await hook.send(text="in time")).status_code == 200
    clock.advance(60)
    assert (await hook.send(text="too late")).status_code == 404


async def test_response_url_validates_blocks(slack_fake: SlackFake) -> None:
    hook = AsyncWebhookClient(slack_fake.new_response_url("T1", "C1", "UADMIN"))
    bad = await hook.send(text="t", blocks=[section("x" * 3001)])
    assert bad.status_code == 400 and json.loads(bad.body)["error"] == "invalid_blocks"
    assert not slack_fake.responses[0].ok


# ---------------------------------------------------------------------- Socket Mode


async def test_socket_mode_hello_envelope_and_ack(slack_fake: SlackFake) -> None:
    received: list[dict[str, Any]] = []

    async def on_message(client: AsyncBaseSocketModeClient, msg: dict[str, Any], raw: Any) -> None:
        received.append(msg)

    async def on_request(client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        await client.send_socket_mode_response(
            SocketModeResponse(envelope_id=req.envelope_id, payload={"text": "on it"})
        )

    client = SocketModeClient(app_token=APP, web_client=web(slack_fake, token=None))
    client.message_listeners.append(on_message)
    client.socket_mode_request_listeners.append(on_request)
    try:
        await client.connect()
        await slack_fake.wait_for_socket_client()
        ack = await slack_fake.send_slash_command("T1", "C1", "UMEMBER", "search diffusion")
    finally:
        await client.close()
    hello, envelope = received
    assert hello["type"] == "hello" and hello["connection_info"] == {"app_id": "A1"}
    assert envelope["type"] == "slash_commands" and envelope["accepts_response_payload"] is True
    payload = envelope["payload"]
    assert set(payload) == SLASH_FIELDS
    assert (payload["command"], payload["text"], payload["user_id"]) == (
        "/papers", "search diffusion", "UMEMBER",
    )  # fmt: skip
    assert ack.envelope_id == envelope["envelope_id"] and ack.payload == {"text": "on it"}
    assert ack.error is None and slack_fake.acks == [ack]


async def test_no_client_or_no_ack_fails_loudly(slack_fake: SlackFake) -> None:
    with pytest.raises(SlackFakeError):
        await slack_fake.send_slash_command("T1", "C1", "UMEMBER", "x")
    with pytest.raises(SlackFakeError):
        await slack_fake.wait_for_socket_client(timeout=0.05)


async def test_bolt_socket_mode_app_end_to_end_with_reconnect(slack_fake: SlackFake) -> None:
    app = AsyncApp(client=web(slack_fake))  # socket mode: no signing secret needed

    @app.command("/papers")
    async def papers(ack: Any, respond: Any, command: dict[str, Any], client: Any) -> None:
        await ack(f"Looking up {command['text']}…")
        await respond(text="Your results", response_type="ephemeral")
        await client.chat_postMessage(channel=command["channel_id"], text="digest")

    handler = AsyncSocketModeHandler(app, APP)
    try:
        await handler.connect_async()
        await slack_fake.wait_for_socket_client()
        ack = await slack_fake.send_slash_command("T1", "C1", "UADMIN", "today")
        await eventually(lambda: len(slack_fake.messages) == 1 and len(slack_fake.responses) == 1)
        assert await slack_fake.disconnect_socket() == 1
        await slack_fake.wait_for_socket_client(connects=2)
        again = await slack_fake.send_slash_command("T1", "C1", "UADMIN", "tomorrow")
    finally:
        await handler.close_async()
    assert ack.payload == {"text": "Looking up today…"} and again.payload is not None
    assert slack_fake.responses[0].text == "Your results" and slack_fake.responses[0].ok
    assert [c.method for c in slack_fake.calls[:3]] == [
        "apps.connections.open", "auth.test", "chat.postMessage",
    ]  # fmt: skip
    assert slack_fake.calls_to("apps.connections.open")[-1].token_kind == "app"


# ---------------------------------------------------------------------- HTTP mode and OAuth


@pytest.fixture
async def http_app(slack_fake: SlackFake) -> AsyncIterator[str]:
    """A bolt AsyncApp in HTTP mode behind aiohttp on 127.0.0.1; yields its events URL."""
    app = AsyncApp(signing_secret=SECRET, client=web(slack_fake))

    @app.command("/papers")
    async def papers(ack: Any, command: dict[str, Any]) -> None:
        await ack(text=f"Searching {command['text']}", response_type="ephemeral")

    async with slack_fixture.serve_bolt(app) as url:
        yield url


def test_signed_headers_are_slacks_v0_scheme() -> None:
    body = b"token=x&team_id=T1&text=hello+world"
    headers = signed_headers(SECRET, body, 1_700_000_000)
    digest = hmac.new(SECRET.encode(), b"v0:1700000000:" + body, hashlib.sha256).hexdigest()
    assert headers["X-Slack-Signature"] == f"v0={digest}"
    assert headers["X-Slack-Request-Timestamp"] == "1700000000"


async def test_signed_http_slash_command_passes_bolt_verification(
    slack_fake: SlackFake, http_app: str
) -> None:
    fields = slack_fake.slash_payload("T1", "C1", "UMEMBER", "diffusion")
    ack = await post_slash_command(http_app, SECRET, fields)
    assert (ack.status, ack.content_type) == (200, "application/json")
    assert ack.json() == {"text": "Searching diffusion", "response_type": "ephemeral"}
    forged = await post_slash_command(http_app, "wrong-secret", fields)
    stale = await post_slash_command(http_app, SECRET, fields, timestamp=int(time.time()) - 360)
    assert (forged.status, stale.status) == (401, 401)


@BASIC_AUTH_DEPRECATION
async def test_oauth_code_is_one_shot(slack_fake: SlackFake) -> None:
    code = slack_fake.issue_oauth_code(
        "T2", team_name="Second", bot_token="xoxb-t2", bot_user_id="UBOT2", scopes=["chat:write"]
    )
    client = web(slack_fake, token=None)
    creds = {"client_id": slack_fake.client_id, "client_secret": slack_fake.client_secret}
    resp = await client.oauth_v2_access(code=code, **creds)
    assert resp.data == {
        "ok": True, "app_id": "A1", "authed_user": {"id": "UINSTALLER"}, "scope": "chat:write",
        "token_type": "bot", "access_token": "xoxb-t2", "bot_user_id": "UBOT2",
        "team": {"id": "T2", "name": "Second"}, "enterprise": None,
        "is_enterprise_install": False,
    }  # fmt: skip
    reused = await api_error(client.oauth_v2_access(code=code, **creds))
    assert reused.response["error"] == "invalid_code"
    other = slack_fake.issue_oauth_code("T3", bot_token="xoxb-t3")
    bad_id = await api_error(client.oauth_v2_access(code=other, client_id="x", client_secret="y"))
    bad_secret = await api_error(
        client.oauth_v2_access(code=other, client_id=slack_fake.client_id, client_secret="y")
    )
    assert (bad_id.response["error"], bad_secret.response["error"]) == (
        "invalid_client_id", "bad_client_secret",
    )  # fmt: skip
    assert (await web(slack_fake, "xoxb-t2").auth_test())["team_id"] == "T2"


@BASIC_AUTH_DEPRECATION
async def test_bolt_oauth_flow_builds_an_installation(
    slack_fake: SlackFake, tmp_path: Path
) -> None:
    flow = AsyncOAuthFlow(
        client=web(slack_fake, token=None),
        settings=AsyncOAuthSettings(
            client_id=slack_fake.client_id,
            client_secret=slack_fake.client_secret,
            scopes=["chat:write", "commands", "users:read"],
            installation_store=FileInstallationStore(base_dir=str(tmp_path / "inst")),
            state_store=FileOAuthStateStore(expiration_seconds=600, base_dir=str(tmp_path / "st")),
        ),
    )
    code = slack_fake.issue_oauth_code("T2", team_name="Second", bot_token="xoxb-t2")
    installation = await flow.run_installation(code)
    assert installation is not None
    assert (installation.team_id, installation.bot_token, installation.bot_id) == (
        "T2", "xoxb-t2", "BT2",
    )  # fmt: skip
    assert installation.bot_scopes == list(DEFAULT_BOT_SCOPES)
    assert await flow.run_installation(code) is None  # one-shot


# ---------------------------------------------------------------------- metadata and history

META = {"event_type": "paperboy_post", "event_payload": {"token": "pb1", "part": 1}}


async def _post(client: AsyncWebClient, text: str, **extra: Any) -> str:
    return str((await client.chat_postMessage(channel="C1", text=text, **extra))["ts"])


async def test_metadata_is_stored_and_returned_only_when_asked(slack_fake: SlackFake) -> None:
    client = web(slack_fake)
    resp = await client.chat_postMessage(channel="C1", text="digest", metadata=META)
    plain = await client.conversations_history(channel="C1")
    full = await client.conversations_history(channel="C1", include_all_metadata=True)
    assert resp["message"]["metadata"] == META and slack_fake.messages[0].metadata == META
    assert "metadata" not in plain["messages"][0]
    [message] = full["messages"]
    assert message["metadata"] == META and message["ts"] == resp["ts"]
    assert (message["bot_id"], message["user"], message["app_id"]) == ("BT1", "UBOTT1", "A1")


BAD_METADATA: dict[str, tuple[Any, str]] = {
    "not an object": (["paperboy_post"], "invalid_metadata_format"),
    "not json": ("{nope", "invalid_metadata_format"),
    "no event_type": ({"event_payload": {}}, "invalid_metadata_schema"),
    "payload not an object": ({"event_type": "x", "event_payload": "y"}, "invalid_metadata_schema"),
}  # fmt: skip


@pytest.mark.parametrize(("metadata", "error"), BAD_METADATA.values(), ids=BAD_METADATA.keys())
async def test_malformed_metadata_is_refused_like_slack(
    slack_fake: SlackFake, metadata: Any, error: str
) -> None:
    url = slack_fake.api_url + "chat.postMessage"
    form = metadata if isinstance(metadata, str) else json.dumps(metadata)
    fields = {"token": BOT, "channel": "C1", "text": "t", "metadata": form}
    async with aiohttp.ClientSession() as http, http.post(url, data=fields) as r:
        body = await r.json()
    assert body == {"ok": False, "error": error}
    assert slack_fake.messages == []


async def test_history_is_newest_first_without_thread_replies(
    clocked: SlackFake, clock: FakeClock
) -> None:
    client = web(clocked)
    first = await _post(client, "one")
    clock.advance(10)
    reply = await _post(client, "reply", thread_ts=first)
    second = await _post(client, "two")
    history = await client.conversations_history(channel="C1")
    assert [m["ts"] for m in history["messages"]] == [second, first]
    parent = history["messages"][1]
    assert (parent["thread_ts"], parent["reply_count"], parent["latest_reply"]) == (
        first, 1, reply,
    )  # fmt: skip
    assert history["has_more"] is False and "response_metadata" not in history
    newer = await client.conversations_history(channel="C1", oldest=first)
    older = await client.conversations_history(channel="C1", latest=second)
    both = await client.conversations_history(channel="C1", oldest=first, inclusive=True)
    assert [m["ts"] for m in newer["messages"]] == [second]
    assert [m["ts"] for m in older["messages"]] == [first]
    assert [m["ts"] for m in both["messages"]] == [second, first]


async def test_history_pages_with_a_cursor(slack_fake: SlackFake) -> None:
    slack_fake.post_rate = slack_fake.post_burst = 100
    client = web(slack_fake)
    posted = [await _post(client, f"m{i}") for i in range(5)]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = await client.conversations_history(channel="C1", limit=2, cursor=cursor)
        seen += [m["ts"] for m in page["messages"]]
        pages += 1
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
        assert page["has_more"] is True
    assert seen == posted[::-1] and pages == 3
    bad = await api_error(client.conversations_history(channel="C1", cursor="bm9wZQ=="))
    assert bad.response["error"] == "invalid_cursor"


async def test_history_page_cap_plays_the_non_marketplace_limit(slack_fake: SlackFake) -> None:
    slack_fake.post_rate = slack_fake.post_burst = 100
    slack_fake.history_page_cap = 2
    client = web(slack_fake)
    for i in range(3):
        await _post(client, f"m{i}")
    page = await client.conversations_history(channel="C1", limit=100)
    assert len(page["messages"]) == 2 and page["has_more"] is True


async def test_replies_are_the_parent_then_its_thread_oldest_first(slack_fake: SlackFake) -> None:
    slack_fake.post_rate = slack_fake.post_burst = 100
    client = web(slack_fake)
    parent = await _post(client, "digest")
    replies = [await _post(client, f"part {i}", thread_ts=parent, metadata=META)
               for i in (2, 3, 4)]  # fmt: skip
    thread = await client.conversations_replies(channel="C1", ts=parent, include_all_metadata=True)
    assert [m["ts"] for m in thread["messages"]] == [parent, *replies]
    assert all(m["thread_ts"] == parent for m in thread["messages"][1:])
    assert thread["messages"][1]["metadata"] == META
    later = await client.conversations_replies(channel="C1", ts=parent, oldest=replies[0])
    assert [m["ts"] for m in later["messages"]] == [parent, *replies[1:]]
    paged = await client.conversations_replies(channel="C1", ts=parent, limit=2)
    rest = await client.conversations_replies(
        channel="C1", ts=parent, limit=2, cursor=paged["response_metadata"]["next_cursor"]
    )
    assert [m["ts"] for m in paged["messages"] + rest["messages"]] == [parent, *replies]
    gone = await api_error(client.conversations_replies(channel="C1", ts="1.000001"))
    assert gone.response["error"] == "thread_not_found"


async def test_history_needs_the_scope_of_the_channel_type(slack_fake: SlackFake) -> None:
    client = web(slack_fake)
    slack_fake.set_channel("T1", "C2", private=True)
    slack_fake.withhold(BOT, "groups:history")
    assert (await client.conversations_history(channel="C1"))["ok"]
    private = await api_error(client.conversations_history(channel="C2"))
    assert (private.response["error"], private.response["needed"]) == (
        "missing_scope", "groups:history",
    )  # fmt: skip
    slack_fake.withhold(BOT, "channels:history")
    none = await api_error(client.conversations_replies(channel="C1", ts="1.000001"))
    assert none.response["needed"] == "channels:history,groups:history,mpim:history,im:history"
    assert "chat:write" in none.response["provided"].split(",")
    slack_fake.grant(BOT, "channels:history")
    assert (await client.conversations_history(channel="C1"))["ok"]


async def test_history_of_a_channel_we_left_is_not_in_channel(slack_fake: SlackFake) -> None:
    slack_fake.set_channel("T1", "C2", "not_in_channel")
    err = await api_error(web(slack_fake).conversations_history(channel="C2"))
    assert err.response["error"] == "not_in_channel"


# ---------------------------------------------------------------------- workspace ceiling


async def test_workspace_ceiling_spans_channels(clocked: SlackFake, clock: FakeClock) -> None:
    clocked.workspace_rate, clocked.workspace_burst = 2.0, 2
    clocked.set_channel("T1", "C3")
    client = web(clocked)
    for channel in ("C1", "C2"):
        await client.chat_postMessage(channel=channel, text="x")
    err = await api_error(client.chat_postMessage(channel="C3", text="x"))
    assert (err.response.status_code, err.response.headers["Retry-After"]) == (429, "1")
    clock.advance(0.5)
    await client.chat_postMessage(channel="C3", text="refilled")
    assert clocked.rate_limited_count == 1 and len(clocked.messages) == 3


async def test_a_refused_post_uses_up_neither_bucket(clocked: SlackFake, clock: FakeClock) -> None:
    clocked.workspace_rate, clocked.workspace_burst = 1.0, 1
    client = web(clocked)
    await client.chat_postMessage(channel="C1", text="x")
    await api_error(client.chat_postMessage(channel="C2", text="x"))  # the workspace is full
    clock.advance(1.0)
    await client.chat_postMessage(channel="C2", text="C2's own bucket is still full")
    assert [m.channel for m in clocked.messages] == ["C1", "C2"]


async def test_retry_after_can_be_served_as_zero(clocked: SlackFake) -> None:
    clocked.retry_after_override = 0
    client = web(clocked)
    for _ in range(3):
        await client.chat_postMessage(channel="C1", text="x")
    err = await api_error(client.chat_postMessage(channel="C1", text="x"))
    assert (err.response.status_code, err.response.headers["Retry-After"]) == (429, "0")


# ---------------------------------------------------------------------- scripted faults


async def test_500_with_a_text_body_before_posting(slack_fake: SlackFake) -> None:
    slack_fake.script_fault("non_json", when="before")
    err = await api_error(web(slack_fake).chat_postMessage(channel="C1", text="x"))
    assert err.response.status_code == 500 and err.response.data == "upstream connect error"
    assert slack_fake.messages == [] and slack_fake.faults_served == 1
    assert [c.error for c in slack_fake.calls] == ["fault:non_json"]


@pytest.mark.parametrize("answer", ["error", "html", "non_json", "bad_json"])
async def test_posted_but_answered_500(slack_fake: SlackFake, answer: Any) -> None:
    slack_fake.script_fault(answer)
    err = await api_error(web(slack_fake).chat_postMessage(channel="C1", text="x"))
    # slack_sdk hands over the raw aiohttp response when JSON does not parse
    status = getattr(err.response, "status_code", None) or getattr(err.response, "status", None)
    assert status == 500
    assert [m.text for m in slack_fake.messages] == ["x"]
    history = await web(slack_fake).conversations_history(channel="C1")
    assert [m["text"] for m in history["messages"]] == ["x"]


async def test_posted_then_the_connection_dropped(slack_fake: SlackFake) -> None:
    slack_fake.script_fault("drop")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await web(slack_fake, retry_handlers=[]).chat_postMessage(channel="C1", text="x")
    assert [m.text for m in slack_fake.messages] == ["x"]


async def test_a_post_is_recorded_before_its_answer(slack_fake: SlackFake) -> None:
    slack_fake.script_fault("hang")
    posting = asyncio.create_task(web(slack_fake).chat_postMessage(channel="C1", text="x"))
    await slack_fake.wait_for_hang()
    assert [m.text for m in slack_fake.messages] == ["x"] and not posting.done()
    slack_fake.release_hung()
    assert (await posting)["ts"] == slack_fake.messages[0].ts


async def test_a_client_cancelled_mid_request_has_still_posted(slack_fake: SlackFake) -> None:
    slack_fake.script_fault("hang")
    posting = asyncio.create_task(web(slack_fake).chat_postMessage(channel="C1", text="x"))
    await slack_fake.wait_for_hang()
    posting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await posting
    assert [m.text for m in slack_fake.messages] == ["x"]


async def test_a_hang_before_posting_posts_nothing_until_released(slack_fake: SlackFake) -> None:
    slack_fake.script_fault("hang", when="before")
    posting = asyncio.create_task(web(slack_fake).chat_postMessage(channel="C1", text="x"))
    await slack_fake.wait_for_hang()
    assert slack_fake.messages == []
    slack_fake.release_hung()
    await posting
    assert [m.text for m in slack_fake.messages] == ["x"]


async def test_a_client_timeout_ends_a_hang(slack_fake: SlackFake) -> None:
    slack_fake.script_fault("hang")
    client = web(slack_fake, timeout=0.2, retry_handlers=[])
    with pytest.raises(TimeoutError):
        await client.chat_postMessage(channel="C1", text="x")
    assert [m.text for m in slack_fake.messages] == ["x"]


async def test_faults_target_a_method_and_channel(slack_fake: SlackFake) -> None:
    slack_fake.script_fault("error", channel="C2", status=200, error="fatal_error", times=2)
    client = web(slack_fake)
    assert (await client.chat_postMessage(channel="C1", text="x"))["ok"]
    for _ in range(2):
        err = await api_error(client.chat_postMessage(channel="C2", text="y"))
        assert (err.response.status_code, err.response["error"]) == (200, "fatal_error")
    assert (await client.chat_postMessage(channel="C2", text="z"))["ok"]
    assert [m.text for m in slack_fake.messages] == ["x", "y", "y", "z"]


# ---------------------------------------------------------------------- direct messages


async def test_conversations_open_gives_one_d_channel_per_user_to_post_and_read(
    slack_fake: SlackFake,
) -> None:
    slack_fake.grant(BOT, "im:write", "im:history")
    client = web(slack_fake)
    opened = await client.conversations_open(users="UMEMBER")
    again = await client.conversations_open(users=["UMEMBER"])
    other = await client.conversations_open(users="UADMIN")
    dm = opened["channel"]["id"]
    assert dm.startswith("D") and again["channel"]["id"] == dm != other["channel"]["id"]
    metadata = {"event_type": "paperboy_alert", "event_payload": {"paper": "2411.00001"}}
    post = await client.chat_postMessage(
        channel=dm, text="A paper for you", blocks=[section("A paper")], metadata=metadata
    )
    reply = await client.chat_postMessage(channel=dm, text="More", thread_ts=post["ts"])
    history = await client.conversations_history(channel=dm, include_all_metadata=True)
    thread = await client.conversations_replies(channel=dm, ts=post["ts"])
    assert post["channel"] == dm and reply["message"]["thread_ts"] == post["ts"]
    [top] = history["messages"]
    assert top["text"] == "A paper for you" and top["metadata"] == metadata
    assert top["reply_count"] == 1
    assert [m["text"] for m in thread["messages"]] == ["A paper for you", "More"]
    assert [(m.text, m.thread_ts) for m in slack_fake.dms("UMEMBER")] == [
        ("A paper for you", None), ("More", post["ts"]),
    ]  # fmt: skip
    assert slack_fake.dms("UADMIN") == [] and slack_fake.dm_channel("UMEMBER", "T1") == dm
    assert slack_fake.messages_in("C1") == []


async def test_a_dm_post_is_recorded_before_its_answer(slack_fake: SlackFake) -> None:
    slack_fake.grant(BOT, "im:write")
    client = web(slack_fake)
    dm = (await client.conversations_open(users="UMEMBER"))["channel"]["id"]
    slack_fake.script_fault("hang", channel=dm)
    posting = asyncio.create_task(client.chat_postMessage(channel=dm, text="for you"))
    await slack_fake.wait_for_hang()
    assert [m.text for m in slack_fake.dms("UMEMBER")] == ["for you"] and not posting.done()
    slack_fake.release_hung()
    assert (await posting)["channel"] == dm


async def test_conversations_open_needs_im_write_and_dm_history_im_history(
    slack_fake: SlackFake,
) -> None:
    client = web(slack_fake)
    err = await api_error(client.conversations_open(users="UMEMBER"))
    assert err.response["error"] == "missing_scope" and err.response["needed"] == "im:write"
    assert err.response["provided"] == ",".join(sorted(DEFAULT_BOT_SCOPES))
    slack_fake.grant(BOT, "im:write")
    dm = (await client.conversations_open(users="UMEMBER"))["channel"]["id"]
    await client.chat_postMessage(channel=dm, text="hi")
    # channels:history (in the default scopes) does not read a DM
    history = await api_error(client.conversations_history(channel=dm))
    assert (history.response["error"], history.response["needed"]) == (
        "missing_scope",
        "im:history",
    )
    assert [c.error for c in slack_fake.calls_to("conversations.open")] == ["missing_scope", None]


async def test_conversations_open_refuses_unknown_deactivated_and_bot_users(
    slack_fake: SlackFake,
) -> None:
    slack_fake.grant(BOT, "im:write")
    slack_fake.add_user("T1", "UGONE")
    slack_fake.add_user("T1", "UOTHERBOT", is_bot=True)
    slack_fake.deactivate_user("T1", "UGONE")
    slack_fake.add_team("T2", bot_token="xoxb-t2", users={"UELSEWHERE": {}})
    client = web(slack_fake)
    errors = [
        (await api_error(client.conversations_open(users=user))).response["error"]
        for user in ("UGHOST", "UELSEWHERE", "UGONE", "UOTHERBOT", "UBOTT1")
    ]
    assert errors == [
        "user_not_found", "user_not_found", "user_disabled", "cannot_dm_bot", "cannot_dm_bot",
    ]  # fmt: skip
    assert slack_fake.dm_channels == {}
