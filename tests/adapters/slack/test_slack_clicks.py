"""Clicks on paperboy's controls: the real bolt app (Socket Mode and HTTP) and the real core on
a real database, against the strict fake. A click runs the command of its button and answers
only the clicker, with an Undo button; the clicks are stored once, where the message is."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.actions import LABELS, undo_id
from adapters.slack.adapter import SlackAdapter, SlackConfig
from adapters.slack.interactions import UNKNOWN, clicked_value, where
from adapters.slack.pacing import SlackPacer
from bot.commands.handlers import Handlers
from bot.delivery.deliverer import Outcome
from bot.domain import Action, Alert, ChannelRef, Digest, Layout, Reply, Schedule
from bot.service import Paperboy
from storage.store import Store
from tests.adapters.slack.conftest import SIGNING_SECRET, MakeAdapter, VirtualTime
from tests.fakes.slack_api import ResponsePost, SlackFake, post_slash_command, signed_headers
from tests.fakes.slack_fixture import APP_TOKEN, BOT_TOKEN
from tests.fakes.slack_interactive import Delivery
from tests.fakes.slack_records import Click
from tests.helpers import StaticFeed, eventually, make_paper, tracker_for

C1 = ChannelRef("slack", "T1", "C1")
PAPER = "2411.00001"


def unpaced() -> SlackPacer:
    """No wall-clock pacing: the fake's own limits (raised by the tests) push back instead."""
    vt = VirtualTime(0.0)
    return SlackPacer(channel_rate=1000, channel_burst=1000, workspace_rate=1000,
                      workspace_burst=1000, monotonic=vt, sleep=vt.sleep)  # fmt: skip


@dataclass
class Started:
    """An adapter started in `mode` (Socket Mode or HTTP) and the fake that reaches it so."""

    slack: SlackFake
    adapter: SlackAdapter
    mode: str

    @property
    def url(self) -> str:
        """The adapter's HTTP-mode events URL."""
        return f"http://127.0.0.1:{self.adapter.port}/slack/events"

    @property
    def how(self) -> Delivery:
        """How the fake delivers a click to the adapter: Socket Mode, or a signed POST."""
        if self.mode == "socket":
            return {}
        return {"via": "http", "url": self.url, "signing_secret": SIGNING_SECRET}

    async def click(
        self, team: str, user: str, ts: str, action_id: str, value: str | None = None
    ) -> Click:
        """A click by `user` of `team` on a control of message `ts` in C1."""
        return await self.slack.click(team, user, "C1", ts, action_id, value, **self.how)

    async def typed(self, user: str, text: str) -> None:
        """`/papers <text>` typed by `user` in C1."""
        if self.mode == "socket":
            await self.slack.send_slash_command("T1", "C1", user, text)
            return
        fields = self.slack.slash_payload("T1", "C1", user, text)
        assert (await post_slash_command(self.url, SIGNING_SECRET, fields)).status == 200

    async def post(self, post: Digest | Alert) -> str:
        """Publish `post` to C1; its ts."""
        kind = "digest" if isinstance(post, Digest) else "alert"
        return await self.adapter.publisher.publish(post, tracker_for(C1, kind, f"ref-{id(post)}"))


async def start(make_adapter: MakeAdapter, slack: SlackFake, mode: str) -> Started:
    """The adapter started in `mode` ("socket" or "http"), its posts unpaced."""
    slack.post_rate = 50
    if mode == "socket":
        adapter = await make_adapter(bot_token=BOT_TOKEN, app_token=APP_TOKEN)
        await slack.wait_for_socket_client()
    else:
        adapter = await make_adapter(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET)
    adapter.publisher.pacer = unpaced()
    return Started(slack, adapter, mode)


@pytest.fixture(params=["socket", "http"])
async def app(
    request: pytest.FixtureRequest, make_adapter: MakeAdapter, slack_fake: SlackFake
) -> Started:
    """The adapter started in each mode in turn."""
    return await start(make_adapter, slack_fake, request.param)


async def answers(slack: SlackFake, n: int) -> list[ResponsePost]:
    """The first `n` response_url answers, once they are in."""
    return list(await eventually(lambda: len(slack.responses) >= n and slack.responses))[:n]


def digest(layout: Layout) -> Digest:
    papers = (make_paper(PAPER, "2026-11-25", 40, title="Video diffusion at scale"),
              make_paper("2411.00002", "2026-11-25", 25, title="Agents that plan"))  # fmt: skip
    return Digest(C1, (papers[0].day,), papers, layout=layout)


def clicks(store: Store) -> list[tuple[str, str, str, Action]]:
    return [(c.channel.key, c.user, c.paper_id, c.action) for c in store.clicks(C1)]


# ---------------------------------------------------------------------- each control


async def test_each_menu_option_of_a_compact_digest_runs_its_command(
    app: Started, slack_fake: SlackFake, slack_store: Store
) -> None:
    ts = await app.post(digest(Layout.COMPACT))
    for n, action in enumerate(Action, 1):
        done = await app.click("T1", "UMEMBER", ts, f"pb:menu:{PAPER}", f"pb:{action}:{PAPER}")
        assert done.acked and not done.user_saw_error
        await answers(slack_fake, n)
    assert [c[3] for c in clicks(slack_store)] == [Action.SAVE, Action.MORE_LIKE]  # NR → ML
    save, not_relevant, more_like = slack_fake.responses
    for answer in (save, not_relevant, more_like):
        assert answer.ok and answer.response_type == "ephemeral"
        assert answer.payload["replace_original"] is False and answer.user == "UMEMBER"
        assert answer.blocks is not None and answer.blocks[-1]["type"] == "actions"
        assert answer.blocks[-1]["elements"][0]["text"]["text"] == LABELS["undo"]
    assert "Saved “Video diffusion at scale”" in str(save.text)
    assert slack_fake.edits == [] and len(slack_fake.messages_in("C1")) == 2  # list + details


async def test_each_button_of_a_full_digest_and_of_an_alert_runs_its_command(
    app: Started, slack_fake: SlackFake, slack_store: Store
) -> None:
    full = await app.post(digest(Layout.FULL))
    await app.click("T1", "UADMIN", full, f"pb:save:{PAPER}")
    await app.click("T1", "UADMIN", full, "pb:more-like:2411.00002")
    alert = make_paper(PAPER, "2026-11-25", 40, title="Video diffusion at scale")
    for layout in Layout:
        ts = await app.post(Alert(C1, alert, ("diffusion",), layout=layout))
        await app.click("T1", "UMEMBER", ts, f"pb:not-relevant:{PAPER}")
    await answers(slack_fake, 4)
    assert sorted(clicks(slack_store)) == [
        (C1.key, "UADMIN", PAPER, Action.SAVE),
        (C1.key, "UADMIN", "2411.00002", Action.MORE_LIKE),
        (C1.key, "UMEMBER", PAPER, Action.NOT_RELEVANT),  # the second alert's: the same click
    ]
    assert all(r.ok and r.response_type == "ephemeral" for r in slack_fake.responses)


async def test_a_scheduled_compact_digest_is_clickable_end_to_end(
    make_adapter: MakeAdapter, slack_fake: SlackFake, slack_store: Store, slack_core: Paperboy
) -> None:
    app = await start(make_adapter, slack_fake, "socket")
    slack_core.save_schedule(Schedule(C1, "digest", enabled=True, layout=Layout.COMPACT))
    assert await slack_core.send_scheduled(C1, day=date(2026, 11, 25)) is Outcome.SENT
    part1, *thread = slack_fake.messages_in("C1")
    assert thread and all(m.thread_ts == part1.ts for m in thread)
    assert part1.blocks is not None and part1.blocks[1]["accessory"]["type"] == "overflow"
    await app.click("T1", "UADMIN", part1.ts, f"pb:menu:{PAPER}", f"pb:more-like:{PAPER}")
    [answer] = await answers(slack_fake, 1)
    assert answer.ok and clicks(slack_store) == [(C1.key, "UADMIN", PAPER, Action.MORE_LIKE)]


# ---------------------------------------------------------------------- once, later, elsewhere


async def test_a_double_click_counts_once(
    make_adapter: MakeAdapter, slack_fake: SlackFake, slack_store: Store
) -> None:
    app = await start(make_adapter, slack_fake, "socket")
    ts = await app.post(digest(Layout.FULL))
    await app.click("T1", "UMEMBER", ts, f"pb:save:{PAPER}")
    await app.click("T1", "UMEMBER", ts, f"pb:save:{PAPER}")
    first, second = await answers(slack_fake, 2)
    assert clicks(slack_store) == [(C1.key, "UMEMBER", PAPER, Action.SAVE)]
    assert "Already saved" in str(second.text)
    assert first.blocks is not None and second.blocks is not None
    assert first.blocks[-1] == second.blocks[-1]  # the same click's Undo


async def test_a_click_after_a_restart_is_answered_by_the_new_process(
    make_adapter: MakeAdapter, slack_fake: SlackFake, db_path: Any
) -> None:
    app = await start(make_adapter, slack_fake, "socket")
    ts = await app.post(digest(Layout.COMPACT))
    await app.adapter.stop()
    store = Store(db_path)  # a new process: its own store, core and bolt app on the same file
    core = Paperboy(store, StaticFeed(), {})
    config = SlackConfig(api_url=slack_fake.api_url, db_path=str(db_path),
                         bot_token=BOT_TOKEN, app_token=APP_TOKEN)  # fmt: skip
    again = SlackAdapter(config, Handlers(core).run)
    await again.start()
    try:
        await slack_fake.wait_for_socket_client(connects=2)
        await slack_fake.click("T1", "UMEMBER", "C1", ts, f"pb:menu:{PAPER}", f"pb:save:{PAPER}")
        [answer] = await answers(slack_fake, 1)
    finally:
        await again.stop()
    assert "Saved" in str(answer.text)
    assert clicks(store) == [(C1.key, "UMEMBER", PAPER, Action.SAVE)]
    store.close()


async def test_a_click_by_a_user_of_another_workspace_is_theirs_as_a_typed_command_is(
    app: Started, slack_fake: SlackFake, slack_store: Store
) -> None:
    slack_fake.add_team("T2", bot_token="xoxb-t2", users={"UOTHER": {}})
    ts = await app.post(digest(Layout.FULL))
    await app.click("T2", "UOTHER", ts, f"pb:save:{PAPER}")
    [answer] = await answers(slack_fake, 1)
    assert answer.ok and answer.user == "UOTHER"
    # Their plain user id (as a typed /papers names them), counted in the message's channel.
    assert clicks(slack_store) == [(C1.key, "UOTHER", PAPER, Action.SAVE)]
    assert [p.id for p, _ in slack_store.reading_list(C1)] == [PAPER]
    [stored] = slack_store.clicks(C1)
    await app.typed("UOTHER", f"save {PAPER}")
    typed_save = (await answers(slack_fake, 2))[1]
    assert "Already saved" in str(typed_save.text) and len(slack_store.clicks(C1)) == 1
    await app.typed("UOTHER", f"undo {stored.id}")
    typed_undo = (await answers(slack_fake, 3))[2]
    assert "Took back" in str(typed_undo.text) and slack_store.clicks(C1) == []


# ---------------------------------------------------------------------- Undo


async def test_the_undo_button_of_the_confirmation_takes_the_click_back(
    app: Started, slack_fake: SlackFake, slack_store: Store
) -> None:
    ts = await app.post(digest(Layout.COMPACT))
    await app.click("T1", "UMEMBER", ts, f"pb:menu:{PAPER}", f"pb:save:{PAPER}")
    [confirmation] = await answers(slack_fake, 1)
    [stored] = slack_store.clicks(C1)
    undo = await slack_fake.click_response(confirmation, undo_id(stored.id), **app.how)
    assert undo.ephemeral and undo.acked
    [_, undone] = await answers(slack_fake, 2)
    assert undone.ok and undone.response_type == "ephemeral" and "Took back" in str(undone.text)
    assert undone.blocks is not None and all(b["type"] != "actions" for b in undone.blocks)
    assert slack_store.clicks(C1) == [] and slack_store.reading_list(C1) == []


# ---------------------------------------------------------------------- what is not a click


async def test_a_control_paperboy_does_not_know_gets_one_polite_line(
    make_adapter: MakeAdapter, slack_fake: SlackFake, slack_store: Store
) -> None:
    await start(make_adapter, slack_fake, "socket")
    old = {"type": "actions", "elements": [{
        "type": "button", "text": {"type": "plain_text", "text": "Archive"},
        "action_id": "pb:archive:2411.00001", "value": "pb:archive:2411.00001"}]}  # fmt: skip
    web = AsyncWebClient(token=BOT_TOKEN, base_url=slack_fake.api_url)
    sent = await web.chat_postMessage(channel="C1", text="old", blocks=[old])
    done = await slack_fake.click("T1", "UMEMBER", "C1", sent["ts"], "pb:archive:2411.00001")
    [answer] = await answers(slack_fake, 1)
    assert done.acked and answer.ok and answer.text == UNKNOWN
    assert slack_store.clicks(C1) == []


async def test_http_mode_refuses_a_forged_click_and_runs_a_replayed_one_once(
    make_adapter: MakeAdapter, slack_fake: SlackFake, slack_store: Store
) -> None:
    app = await start(make_adapter, slack_fake, "http")
    url = app.url
    ts = await app.post(digest(Layout.FULL))
    forged = await slack_fake.click("T1", "UMEMBER", "C1", ts, f"pb:save:{PAPER}", via="http",
                                    url=url, signing_secret="not-the-secret")  # fmt: skip
    assert forged.status == 401 and forged.user_saw_error
    message = slack_fake.message("C1", ts)
    response_url = slack_fake.new_response_url("T1", "C1", "UMEMBER", message_ts=ts)
    payload = slack_fake.block_actions_payload(
        "T1", "UMEMBER", message, f"pb:save:{PAPER}", response_url=response_url
    )
    body = urlencode({"payload": json.dumps(payload)}).encode()
    headers = signed_headers(SIGNING_SECRET, body, int(time.time()))
    runs: list[str | None] = []  # every block_actions the listener ran, by the control clicked
    reply_to = app.adapter.clicks.reply_to

    async def counted(body: dict[str, Any], action: dict[str, Any], client: Any) -> Reply:
        runs.append(clicked_value(action))
        return await reply_to(body, action, client)

    app.adapter.clicks.reply_to = counted  # type: ignore[method-assign]
    statuses = []
    async with aiohttp.ClientSession() as http:
        for _ in range(2):  # the same signed request twice: a replay
            async with http.post(url, data=body, headers=headers) as answer:
                statuses.append(answer.status)
    assert statuses == [200, 200]  # both acknowledged
    # A later click, answered: a run of the replay, started before it, would be in by now.
    await slack_fake.click("T1", "UMEMBER", "C1", ts, "pb:more-like:2411.00002", via="http",
                           url=url, signing_secret=SIGNING_SECRET)  # fmt: skip
    first, later = await answers(slack_fake, 2)
    assert later.ok
    assert runs == [f"pb:save:{PAPER}", "pb:more-like:2411.00002"]  # the replay was not run
    assert "Saved" in str(first.text) and len(slack_fake.responses) == 2
    assert clicks(slack_store) == [
        (C1.key, "UMEMBER", PAPER, Action.SAVE),
        (C1.key, "UMEMBER", "2411.00002", Action.MORE_LIKE),
    ]


def test_where_a_click_happened_and_who_clicked() -> None:
    body: dict[str, Any] = {
        "team": {"id": "T1"},
        "container": {"channel_id": "C1", "is_ephemeral": True},
        "channel": {"id": "CIGNORED"},
        "user": {"id": "U1", "team_id": "T1"},
    }
    assert where(body) == (C1, "U1")
    assert where({**body, "user": {"id": "U2", "team_id": "T2"}}) == (C1, "U2")  # Slack Connect
    assert where({**body, "container": {}}) == (ChannelRef("slack", "T1", "CIGNORED"), "U1")
    org_wide = {**body, "team": None, "user": {"id": "U3", "team_id": "T3"}}
    assert where(org_wide) == (ChannelRef("slack", "T3", "C1"), "U3")
    assert clicked_value({"value": "pb:save:1"}) == "pb:save:1"
    assert clicked_value({"selected_option": {"value": "pb:undo:2"}}) == "pb:undo:2"
    assert clicked_value({"selected_option": None}) is None
