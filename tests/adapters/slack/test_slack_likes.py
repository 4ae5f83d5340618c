""" "Papers like these" on Slack end to end: the real bolt app and core on a real database,
against the strict fake. `/papers subscribe like` makes the alert, a poll posts the paper like
its seed (saying why), and More like this on it offers a new alert seeded by that paper."""

from __future__ import annotations

import json
import re

from adapters.actions import like_id
from bot.service import Paperboy
from storage.store import Store
from tests.adapters.slack.conftest import MakeAdapter
from tests.adapters.slack.test_slack_clicks import C1, answers, start
from tests.data import similar_papers as sp
from tests.fakes.slack_api import SlackFake
from tests.helpers import StaticFeed, at


async def test_a_similarity_alert_is_made_posted_with_why_and_seeds_another_by_button(
    make_adapter: MakeAdapter, slack_fake: SlackFake, slack_store: Store, slack_core: Paperboy
) -> None:
    slack_store.upsert_papers(sp.archive(), at("2026-11-23 10:00"))
    slack_core.feed = StaticFeed({sp.NEW_DAY: sp.new_day()})
    app = await start(make_adapter, slack_fake, "socket")
    await app.typed("UMEMBER", f"subscribe like {sp.SEED}")
    [made] = await answers(slack_fake, 1)
    assert "Alert #1 added: papers like" in str(made.blocks)

    await slack_core.poll([sp.NEW_DAY])
    [alert] = slack_fake.messages_in("C1")
    shown = json.dumps(alert.blocks) + str(alert.text)
    assert sp.LIKE in shown and sp.UNLIKE not in shown
    assert re.search(rf"similar to {sp.SEED}, score 0\.\d\d", shown)

    more = f"pb:more-like:{sp.LIKE}"
    if more in shown and f'"action_id": "{more}"' in shown:
        await app.click("T1", "UMEMBER", alert.ts, more)
    else:  # the compact layout's overflow menu
        await app.click("T1", "UMEMBER", alert.ts, f"pb:menu:{sp.LIKE}", more)
    confirmation = (await answers(slack_fake, 2))[1]
    assert like_id(sp.LIKE) in json.dumps(confirmation.blocks)
    await slack_fake.click_response(confirmation, like_id(sp.LIKE), **app.how)
    await answers(slack_fake, 3)
    assert [s.query for s in slack_store.subscriptions(C1)] == [
        f"like {sp.SEED}",
        f"like {sp.LIKE}",
    ]
