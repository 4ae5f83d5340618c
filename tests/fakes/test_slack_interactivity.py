"""Button clicks on the Slack fake, answered by a real slack_bolt app (Socket Mode and HTTP)."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakes import slack_fixture
from tests.fakes.slack_api import SlackFake, SlackFakeError

slack_fake = slack_fixture.slack_fake
BOT = slack_fixture.BOT_TOKEN
APP = slack_fixture.APP_TOKEN
SECRET = "test-signing-secret"
PAPER = "2411.00001"


def web(slack: SlackFake) -> AsyncWebClient:
    return AsyncWebClient(token=BOT, base_url=slack.api_url)


def digest_blocks() -> list[dict[str, Any]]:
    def btn(label: str, action: str) -> dict[str, Any]:
        return {
            "type": "button",
            "text": {"type": "plain_text", "text": label},
            "action_id": f"pb:{action}",
            "value": PAPER,
        }

    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*A paper* · ▲ 42"}},
        {"type": "actions", "block_id": f"paper:{PAPER}",
         "elements": [btn("Save", "save"), btn("Not relevant", "nr"), btn("More", "more")]},
    ]  # fmt: skip


async def eventually(check: Callable[[], bool], timeout: float = 3.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


def bolt_app(slack: SlackFake, seen: list[dict[str, Any]], **kwargs: Any) -> AsyncApp:
    """A bolt app with one regex action listener, as paperboy will register it."""
    app = AsyncApp(client=web(slack), **kwargs)
    app.state = {"delay": 0.0, "reply": "ephemeral"}  # type: ignore[attr-defined]

    @app.action(re.compile(r"^pb:(save|nr|more)$"))
    async def on_click(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await asyncio.sleep(app.state["delay"])  # type: ignore[attr-defined]
        await ack()
        seen.append(body)
        reply = app.state["reply"]  # type: ignore[attr-defined]
        if reply == "ephemeral":
            await respond(text=f"Saved {body['actions'][0]['value']}. Undo?")
        elif reply == "replace":
            await respond(text="Saved", blocks=digest_blocks()[:1], replace_original=True)
        elif reply == "delete":
            await respond(delete_original=True)

    return app


async def post_digest(slack: SlackFake) -> str:
    posted = await web(slack).chat_postMessage(channel="C1", text="digest", blocks=digest_blocks())
    return str(posted["ts"])


@pytest.fixture
async def socket_app(slack_fake: SlackFake) -> AsyncIterator[tuple[AsyncApp, list[Any]]]:
    seen: list[dict[str, Any]] = []
    app = bolt_app(slack_fake, seen)
    handler = AsyncSocketModeHandler(app, APP)
    await handler.connect_async()
    await slack_fake.wait_for_socket_client()
    yield app, seen
    await handler.close_async()


@pytest.fixture
async def http_app(slack_fake: SlackFake) -> AsyncIterator[tuple[AsyncApp, list[Any], str]]:
    seen: list[dict[str, Any]] = []
    app = bolt_app(slack_fake, seen, signing_secret=SECRET)

    async with slack_fixture.serve_bolt(app) as url:
        yield app, seen, url


async def test_socket_mode_click_reaches_the_action_listener(
    slack_fake: SlackFake, socket_app: tuple[AsyncApp, list[Any]]
) -> None:
    _, seen = socket_app
    ts = await post_digest(slack_fake)
    click = await slack_fake.click("T1", "UMEMBER", "C1", ts, "pb:save")
    await eventually(lambda: len(slack_fake.responses) == 1)
    assert click.acked and not click.late and not click.user_saw_error
    assert click.ack is not None and click.ack.type == "interactive"
    (body,) = seen
    assert body["type"] == "block_actions" and body["user"]["id"] == "UMEMBER"
    assert body["container"] == {
        "type": "message", "message_ts": ts, "channel_id": "C1", "is_ephemeral": False,
    }  # fmt: skip
    (action,) = body["actions"]
    assert (action["action_id"], action["value"], action["block_id"]) == (
        "pb:save", PAPER, f"paper:{PAPER}",
    )  # fmt: skip
    assert body["message"]["ts"] == ts and body["team"]["id"] == "T1"
    (reply,) = slack_fake.responses
    assert (reply.response_type, reply.user, reply.ok) == ("ephemeral", "UMEMBER", True)
    assert reply.text == f"Saved {PAPER}. Undo?"
    assert len(slack_fake.messages_in("C1")) == 1 and slack_fake.edits == []
    assert slack_fake.clicks == [click]


async def test_http_mode_click_is_a_signed_form_post(
    slack_fake: SlackFake, http_app: tuple[AsyncApp, list[Any], str]
) -> None:
    _, seen, url = http_app
    ts = await post_digest(slack_fake)
    click = await slack_fake.click(
        "T1", "UADMIN", "C1", ts, "pb:nr", PAPER, via="http", url=url, signing_secret=SECRET
    )
    assert (click.status, click.acked, click.user_saw_error) == (200, True, False)
    await eventually(lambda: len(slack_fake.responses) == 1)
    assert seen[0]["actions"][0]["action_id"] == "pb:nr"
    forged = await slack_fake.click(
        "T1", "UADMIN", "C1", ts, "pb:nr", via="http", url=url, signing_secret="wrong"
    )
    assert forged.status == 401 and forged.user_saw_error and len(seen) == 1


async def test_a_late_ack_is_recorded_and_the_user_saw_an_error(
    slack_fake: SlackFake, socket_app: tuple[AsyncApp, list[Any]]
) -> None:
    app, _ = socket_app
    app.state["delay"] = 0.3  # type: ignore[attr-defined]
    ts = await post_digest(slack_fake)
    click = await slack_fake.click("T1", "UMEMBER", "C1", ts, "pb:more", timeout=0.1)
    assert click.late and not click.acked and click.user_saw_error and click.ack is None
    await eventually(lambda: len(slack_fake.socket.late_acks) == 1)
    (late,) = slack_fake.socket.late_acks
    assert late.late and late.type == "interactive" and late in slack_fake.acks


async def test_a_late_http_answer_is_an_error_for_the_user(
    slack_fake: SlackFake, http_app: tuple[AsyncApp, list[Any], str]
) -> None:
    app, _, url = http_app
    app.state["delay"] = 0.3  # type: ignore[attr-defined]
    ts = await post_digest(slack_fake)
    click = await slack_fake.click(
        "T1", "UMEMBER", "C1", ts, "pb:save", via="http", url=url, signing_secret=SECRET,
        timeout=0.1,
    )  # fmt: skip
    assert click.late and click.status is None and click.user_saw_error


async def test_replace_original_edits_the_message_and_delete_original_removes_it(
    slack_fake: SlackFake, socket_app: tuple[AsyncApp, list[Any]]
) -> None:
    app, _ = socket_app
    app.state["reply"] = "replace"  # type: ignore[attr-defined]
    ts = await post_digest(slack_fake)
    await slack_fake.click("T1", "UMEMBER", "C1", ts, "pb:save")
    await eventually(lambda: len(slack_fake.edits) == 1)
    replaced = slack_fake.message("C1", ts)
    assert replaced.text == "Saved" and replaced.blocks == digest_blocks()[:1]
    assert replaced.version == 1 and slack_fake.edits[0].source == "response_url"
    with pytest.raises(SlackFakeError):  # the buttons are gone with the old blocks
        await slack_fake.click("T1", "UMEMBER", "C1", ts, "pb:save")
    ts2 = await post_digest(slack_fake)
    app.state["reply"] = "delete"  # type: ignore[attr-defined]
    await slack_fake.click("T1", "UMEMBER", "C1", ts2, "pb:nr")
    await eventually(lambda: len(slack_fake.messages_in("C1")) == 1)
    assert [m.ts for m in slack_fake.messages_in("C1")] == [ts]


async def test_a_click_on_a_missing_button_or_message_is_a_test_error(
    slack_fake: SlackFake,
) -> None:
    ts = await post_digest(slack_fake)
    with pytest.raises(SlackFakeError, match="no button"):
        await slack_fake.click("T1", "UMEMBER", "C1", ts, "pb:save", "2411.99999")
    with pytest.raises(SlackFakeError, match="no message"):
        await slack_fake.click("T1", "UMEMBER", "C1", "1.000001", "pb:save")
    with pytest.raises(SlackFakeError, match="Socket Mode"):
        await slack_fake.click("T1", "UMEMBER", "C1", ts, "pb:save")


async def test_a_user_of_another_workspace_clicks(
    slack_fake: SlackFake, socket_app: tuple[AsyncApp, list[Any]]
) -> None:
    _, seen = socket_app
    slack_fake.add_team("T2", bot_token="xoxb-t2", users={"UOTHER": {}})
    ts = await post_digest(slack_fake)
    await slack_fake.click("T2", "UOTHER", "C1", ts, "pb:save")
    await eventually(lambda: len(seen) == 1)
    assert seen[0]["user"] == {
        "id": "UOTHER", "username": "uother", "name": "uother", "team_id": "T2",
    }  # fmt: skip
    # `team` is where the message is (the app's workspace, which bolt authorizes with)
    assert seen[0]["team"]["id"] == "T1" and seen[0]["channel"]["id"] == "C1"
    [reply] = await eventually_value(lambda: slack_fake.responses)
    assert (reply.team, reply.user, reply.user_team) == ("T1", "UOTHER", "T2")


async def eventually_value(get: Callable[[], Any], timeout: float = 3.0) -> Any:
    async with asyncio.timeout(timeout):
        while not (value := get()):
            await asyncio.sleep(0.01)
    return value


def menu_blocks() -> list[dict[str, Any]]:
    """A compact list entry: the paper's three controls as one overflow menu."""

    def option(label: str, value: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": label}, "value": value}

    return [{
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*1. A paper*  ▲ 42"},
        "accessory": {"type": "overflow", "action_id": f"pb:menu:{PAPER}", "options": [
            option("Save", f"pb:save:{PAPER}"), option("Not relevant", f"pb:nr:{PAPER}"),
        ]},
    }]  # fmt: skip


async def test_an_overflow_menu_option_is_chosen_by_its_value(
    slack_fake: SlackFake, socket_app: tuple[AsyncApp, list[Any]]
) -> None:
    app, seen = socket_app

    @app.action(re.compile(r"^pb:menu:"))
    async def on_menu(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        seen.append(body)

    posted = await web(slack_fake).chat_postMessage(channel="C1", text="d", blocks=menu_blocks())
    click = await slack_fake.click("T1", "UMEMBER", "C1", posted["ts"], f"pb:menu:{PAPER}",
                                   f"pb:nr:{PAPER}")  # fmt: skip
    await eventually(lambda: len(seen) == 1)
    (action,) = seen[0]["actions"]
    assert action["type"] == "overflow" and action["action_id"] == f"pb:menu:{PAPER}"
    assert action["selected_option"] == {
        "text": {"type": "plain_text", "text": "Not relevant"}, "value": f"pb:nr:{PAPER}",
    }  # fmt: skip
    assert "value" not in action and click.value == f"pb:nr:{PAPER}"
    with pytest.raises(SlackFakeError, match="no button or menu option"):
        await slack_fake.click("T1", "UMEMBER", "C1", posted["ts"], f"pb:menu:{PAPER}", "pb:x")


async def test_a_button_of_an_ephemeral_answer_can_be_clicked(
    slack_fake: SlackFake, socket_app: tuple[AsyncApp, list[Any]]
) -> None:
    app, seen = socket_app
    undo = {"type": "actions", "elements": [{
        "type": "button", "text": {"type": "plain_text", "text": "Undo"},
        "action_id": "pb:undo:7", "value": "pb:undo:7"}]}  # fmt: skip

    @app.action("pb:undo:7")
    async def on_undo(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        seen.append(body)
        await respond(text="Undone.")

    app.state["reply"] = "none"  # type: ignore[attr-defined]
    ts = await post_digest(slack_fake)
    await slack_fake.click("T1", "UMEMBER", "C1", ts, "pb:save")
    hook = AsyncWebhookClient(slack_fake.clicks[0].response_url)
    await hook.send(text="Saved.", blocks=[undo], response_type="ephemeral")
    [answer] = slack_fake.responses
    assert answer.message_ts is not None and answer.blocks == [undo]
    click = await slack_fake.click_response(answer, "pb:undo:7")
    await eventually(lambda: len(seen) == 2)
    assert click.ephemeral and click.user == "UMEMBER" and slack_fake.clicks[-1] == click
    assert seen[1]["container"] == {
        "type": "message", "message_ts": answer.message_ts, "channel_id": "C1",
        "is_ephemeral": True,
    }  # fmt: skip
    assert "message" not in seen[1] and seen[1]["actions"][0]["value"] == "pb:undo:7"
    [_, undone] = await eventually_value(lambda: len(slack_fake.responses) == 2
                                         and slack_fake.responses)  # fmt: skip
    assert undone.text == "Undone." and len(slack_fake.messages_in("C1")) == 1
    refused = dataclasses.replace(answer, message_ts=None)
    with pytest.raises(SlackFakeError, match="ephemeral"):
        await slack_fake.click_response(refused, "pb:undo:7")
