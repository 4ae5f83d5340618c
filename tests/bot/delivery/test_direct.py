"""People's own alerts through the core: a match reaches its person once by direct message,
a muted alert sends nothing, and a refused DM falls back once to a mention in the channel's
alert thread (also when a crash came between the refusal and the mention)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest

from bot.commands.handlers import Handlers
from bot.delivery.deliverer import RECIPIENT_CLOSED
from bot.delivery.direct import DM_KIND
from bot.domain import (
    ChannelRef,
    ChannelSettings,
    DirectMessage,
    Invocation,
    Mention,
    PostKey,
    direct_channel,
)
from bot.ports import DeliveryError
from bot.service import Paperboy
from storage.store import Store
from tests.helpers import Clock, ScriptedPublisher, StaticFeed, make_paper

CH = ChannelRef("test", "W1", "C1")
ME = Invocation(CH, "U9", can_manage=False)
DM = direct_channel("test", "W1", "U9")
DAY = date(2026, 11, 25)
MAMBA = make_paper("2611.00001", DAY, 10, title="Mamba for long video")
OTHER = make_paper("2611.00002", DAY, 10, title="Crop yields from space")
LATER = make_paper("2611.00003", DAY, 10, title="Mamba for speech")


@pytest.fixture
def world(store: Store, feed: StaticFeed, clock: Clock) -> tuple[Paperboy, ClosedDMs]:
    publisher = ClosedDMs()
    core = Paperboy(store, feed, {publisher.platform: publisher}, clock=clock)
    store.save_channel(ChannelSettings(CH))
    return core, publisher


@dataclass
class ClosedDMs(ScriptedPublisher):
    """A platform where some people take no direct messages (Discord's 50007)."""

    closed: set[str] = field(default_factory=set)

    async def publish(self, post: object, tracker: object) -> str:
        if isinstance(post, DirectMessage) and post.user in self.closed:
            await tracker.claim(1)  # type: ignore[attr-defined]
            raise DeliveryError("Cannot send messages to this user", recipient_closed=True)
        return await super().publish(post, tracker)  # type: ignore[arg-type]


async def poll(core: Paperboy, feed: StaticFeed, *papers: object) -> None:
    feed.days[DAY] = [*feed.days.get(DAY, []), *papers]  # type: ignore[list-item]
    await core.poll([DAY])


def sent(publisher: ScriptedPublisher, kind: str) -> list[object]:
    return [p.item for p in publisher.posts if p.kind == kind]


async def test_a_personal_alert_reaches_its_person_once_by_direct_message(
    world: tuple[Paperboy, ClosedDMs], feed: StaticFeed
) -> None:
    core, publisher = world
    assert (await Handlers(core).handle("mine subscribe mamba", ME)).ok
    await poll(core, feed, MAMBA, OTHER)
    await poll(core, feed)  # again: nothing new
    [dm] = sent(publisher, DM_KIND)
    assert isinstance(dm, DirectMessage)
    assert (dm.channel, dm.user, dm.paper.id, dm.matched, dm.origin) == (
        DM, "U9", MAMBA.id, ("mamba",), CH
    )  # fmt: skip
    assert sent(publisher, "alert") == []  # the channel has no alert of its own


async def test_notify_me_too_follows_the_channel_alert_and_both_are_sent(
    world: tuple[Paperboy, ClosedDMs], feed: StaticFeed
) -> None:
    core, publisher = world
    handlers = Handlers(core)
    assert (await handlers.handle("subscribe mamba", Invocation(CH, "U1"))).ok
    followed = await handlers.handle("mine follow 1", ME)
    assert followed.ok and "#1 `mamba`: added" in followed.text
    await poll(core, feed, MAMBA)
    assert [type(p.item).__name__ for p in publisher.posts] == ["Alert", "DirectMessage"]
    [interest] = core.repo.interests("U9")
    assert interest.subscription == 1


async def test_a_muted_alert_sends_nothing_until_unmuted(
    world: tuple[Paperboy, ClosedDMs], feed: StaticFeed
) -> None:
    core, publisher = world
    handlers = Handlers(core)
    await handlers.handle("mine subscribe mamba", ME)
    assert "is muted." in (await handlers.handle("mine mute 1", ME)).text
    await poll(core, feed, MAMBA)
    assert sent(publisher, DM_KIND) == []
    assert "is on." in (await handlers.handle("mine unmute 1", ME)).text
    await poll(core, feed, LATER)
    assert [d.paper.id for d in sent(publisher, DM_KIND)] == [LATER.id]  # type: ignore[attr-defined]


async def test_someone_else_cannot_see_or_touch_your_alerts(
    world: tuple[Paperboy, ClosedDMs],
) -> None:
    core, _ = world
    handlers = Handlers(core)
    await handlers.handle("mine subscribe mamba", ME)
    other = Invocation(CH, "U2")
    assert "no alerts of your own" in (await handlers.handle("mine", other)).text
    for command in ("mine mute 1", "mine remove 1"):
        reply = await handlers.handle(command, other)
        assert not reply.ok and "You have no alert #1" in reply.text
    assert [i.muted for i in core.repo.interests("U9")] == [False]


async def test_a_refused_dm_falls_back_once_to_a_mention_in_the_alert_thread(
    world: tuple[Paperboy, ClosedDMs], feed: StaticFeed
) -> None:
    core, publisher = world
    publisher.closed = {"U9"}
    handlers = Handlers(core)
    await handlers.handle("subscribe mamba", Invocation(CH, "U1"))
    await handlers.handle("mine follow 1", ME)
    await poll(core, feed, MAMBA)
    _, mention = (p.item for p in publisher.posts)
    assert isinstance(mention, Mention)
    assert (mention.channel, mention.user, mention.paper.id, mention.thread) == (
        CH, "U9", MAMBA.id, "m1"
    )  # fmt: skip
    assert core.repo.dms_closed("test", "W1") == {"U9"}
    assert core.repo.channels(paused=True) == []  # nothing paused for it
    await poll(core, feed, LATER)  # the next match: a mention at once, no DM tried
    assert [type(p.item).__name__ for p in publisher.posts] == [
        "Alert", "Mention", "Alert", "Mention"
    ]  # fmt: skip
    told = await handlers.handle("mine", ME)
    assert "don't reach you" in told.text
    assert "don't reach you" not in (await handlers.handle("help", ME)).text  # told once
    assert "try direct messages again" in (await handlers.handle("mine retry", ME)).text
    publisher.closed = set()  # they allowed DMs meanwhile
    await poll(core, feed, make_paper("2611.00004", DAY, 10, title="Mamba again"))
    assert type(publisher.posts[-1].item).__name__ == "DirectMessage"


async def test_a_crash_between_the_refusal_and_the_mention_still_mentions_once(
    world: tuple[Paperboy, ClosedDMs], feed: StaticFeed, store: Store, clock: Clock
) -> None:
    core, publisher = world
    await Handlers(core).handle("mine subscribe mamba", ME)
    key = PostKey(DM, DM_KIND, MAMBA.id)
    # The last process had the DM refused, and died before it recorded anything else.
    store.upsert_papers([MAMBA], clock(), alert_from=DAY)
    assert store.take_delivery(key, "dead", clock(), timedelta(seconds=30)) is not None
    store.fail_delivery(key, "dead", f"{RECIPIENT_CLOSED}: 50007", give_up=True)
    await core.send_pending_alerts()
    await core.send_pending_alerts()
    assert [type(p.item).__name__ for p in publisher.posts] == ["Mention"]
    assert sent(publisher, DM_KIND) == []


async def test_a_removed_alert_sends_nothing_more(
    world: tuple[Paperboy, ClosedDMs], feed: StaticFeed
) -> None:
    core, publisher = world
    handlers = Handlers(core)
    await handlers.handle("mine subscribe mamba", ME)
    await poll(core, feed, MAMBA)
    assert "is removed" in (await handlers.handle("mine remove 1", ME)).text
    await poll(core, feed, LATER)
    assert [d.paper.id for d in sent(publisher, DM_KIND)] == [MAMBA.id]  # type: ignore[attr-defined]


async def test_a_dm_refused_on_its_retry_still_falls_back_to_a_mention(
    world: tuple[Paperboy, ClosedDMs], feed: StaticFeed, clock: Clock
) -> None:
    core, publisher = world
    await Handlers(core).handle("mine subscribe mamba", ME)
    publisher.failures = [DeliveryError("server error")]  # the first try fails, for later
    await poll(core, feed, MAMBA)
    assert publisher.posts == []
    publisher.closed = {"U9"}  # by the retry, they have closed their DMs
    clock.advance(minutes=2)
    await core.recover()
    [mention] = [p.item for p in publisher.posts]
    assert isinstance(mention, Mention) and (mention.channel, mention.thread) == (CH, None)
    await core.recover()
    assert len(publisher.posts) == 1


async def test_a_mention_does_not_show_a_persons_own_query_in_public(
    world: tuple[Paperboy, ClosedDMs], feed: StaticFeed
) -> None:
    core, publisher = world
    publisher.closed = {"U9"}
    await Handlers(core).handle("mine subscribe mamba", ME)
    await poll(core, feed, MAMBA)
    [mention] = [p.item for p in publisher.posts]
    assert isinstance(mention, Mention) and mention.matched == ("one of your own alerts",)


async def test_a_removed_alert_is_not_sent_on_a_retry(
    world: tuple[Paperboy, ClosedDMs], feed: StaticFeed, clock: Clock
) -> None:
    core, publisher = world
    handlers = Handlers(core)
    await handlers.handle("mine subscribe mamba", ME)
    publisher.failures = [DeliveryError("server error")]
    await poll(core, feed, MAMBA)
    await handlers.handle("mine remove 1", ME)
    clock.advance(minutes=2)
    await core.recover()
    assert publisher.posts == []


async def test_a_paper_already_sent_by_dm_is_not_mentioned_after_the_dms_close(
    world: tuple[Paperboy, ClosedDMs], feed: StaticFeed, store: Store
) -> None:
    core, publisher = world
    handlers = Handlers(core)
    await handlers.handle("mine subscribe mamba", ME)
    await poll(core, feed, MAMBA)
    assert len(sent(publisher, DM_KIND)) == 1
    store.close_dms("test", "W1", "U9", core.clock())
    await handlers.handle("mine subscribe mamba upvotes:>=50", ME)
    await poll(core, feed, make_paper(MAMBA.id, DAY, 60, title=MAMBA.title))  # it crosses 50
    assert [type(p.item).__name__ for p in publisher.posts] == ["DirectMessage"]
    feed.days[DAY] = []
    await poll(core, feed, make_paper(LATER.id, DAY, 60, title=LATER.title))
    assert [type(p.item).__name__ for p in publisher.posts] == ["DirectMessage", "Mention"]
