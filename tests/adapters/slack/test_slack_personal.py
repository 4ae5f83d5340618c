"""A person's own alerts on Slack end to end: the real bolt app and core on a real database,
against the strict fake. Notify me too on a posted alert, then each poll: the match arrives
once in the clicker's DM, not at all while muted, and once Slack refuses the DM, once as a
mention in the alert's thread."""

from __future__ import annotations

import json
from datetime import date

from adapters.actions import notify_id
from bot.service import Paperboy
from storage.store import Store
from tests.adapters.slack.conftest import MakeAdapter
from tests.adapters.slack.test_slack_clicks import answers, start
from tests.fakes.slack_api import SlackFake
from tests.fakes.slack_fixture import BOT_TOKEN
from tests.helpers import StaticFeed, make_paper

DAY = date(2026, 11, 25)


async def test_notify_me_too_then_a_dm_once_none_while_muted_and_a_mention_once_refused(
    make_adapter: MakeAdapter, slack_fake: SlackFake, slack_store: Store, slack_core: Paperboy
) -> None:
    slack_fake.grant(BOT_TOKEN, "im:write", "im:history")
    feed = StaticFeed({DAY: []})
    slack_core.feed = feed
    app = await start(make_adapter, slack_fake, "socket")

    async def poll(paper_id: str) -> None:
        feed.days[DAY].append(make_paper(paper_id, DAY, 5, title=f"Mamba {paper_id}"))
        await slack_core.poll([DAY])

    async def typed(text: str, n: int) -> str:
        await app.typed("UMEMBER", text)
        return json.dumps((await answers(slack_fake, n))[-1].blocks)

    assert "Alert #1 added" in await typed("subscribe mamba", 1)
    await poll("2611.00001")
    [first] = [m for m in slack_fake.messages_in("C1") if m.thread_ts is None]
    await app.click("T1", "UMEMBER", first.ts, notify_id((1,)))
    assert "by direct message too" in json.dumps((await answers(slack_fake, 2))[-1].blocks)
    await app.click("T1", "UADMIN", first.ts, notify_id((1,)))
    await answers(slack_fake, 3)
    slack_fake.deactivate_user("T1", "UADMIN")  # conversations.open: user_disabled

    await poll("2611.00002")
    await slack_core.poll([DAY])  # again: nothing new
    [dm] = slack_fake.dms("UMEMBER")
    assert "2611.00002" in json.dumps(dm.blocks) and "For you" in json.dumps(dm.blocks)
    [alert] = [m for m in slack_fake.messages_in("C1") if "2611.00002" in json.dumps(m.blocks)
               and m.thread_ts is None]  # fmt: skip
    [mention] = [m for m in slack_fake.messages_in("C1") if m.thread_ts == alert.ts]
    assert str(mention.text).startswith("<@UADMIN>")
    assert slack_fake.dms("UADMIN") == []
    assert slack_store.dms_closed("slack", "T1") == {"UADMIN"}

    [interest] = slack_store.interests("UMEMBER")
    assert "is muted" in await typed(f"mine mute {interest.id}", 4)
    await poll("2611.00003")
    assert len(slack_fake.dms("UMEMBER")) == 1
    assert "is on" in await typed(f"mine unmute {interest.id}", 5)
    await poll("2611.00004")
    assert len(slack_fake.dms("UMEMBER")) == 2
    mentions = [m for m in slack_fake.messages_in("C1") if str(m.text).startswith("<@UADMIN>")]
    papers = [m.text for m in mentions]
    assert len(papers) >= 2 and len(set(papers)) == len(papers)  # never twice
