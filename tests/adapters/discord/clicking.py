"""What the click tests share: a digest of the two stored papers posted through the adapter,
the private answer to a click (after its private deferral), and its text and Undo button."""

from __future__ import annotations

from datetime import date

from adapters.discord.adapter import DiscordAdapter
from bot.domain import ChannelRef, Digest, Layout
from storage.store import Store
from tests.fakes.discord_api import Followup, InteractionRecord
from tests.helpers import tracker_for

DAY = date(2026, 11, 25)
SEEDED = ("2411.00001", "2411.00002")  # tests.helpers.seed_two_papers


async def post_seeded(
    adapter: DiscordAdapter, store: Store, ref: ChannelRef, layout: Layout = Layout.COMPACT
) -> int:
    """Post a digest of the two stored papers to `ref`; its first message's id."""
    papers = tuple(p for p in map(store.get_paper, SEEDED) if p is not None)
    digest = Digest(ref, (DAY,), papers, layout=layout)
    return int(await adapter.publisher.publish(digest, tracker_for(ref, "digest", layout.value)))


async def private_answer(record: InteractionRecord) -> Followup:
    """The private reply to a click or command, after its private deferral."""
    callback = await record.callback()
    assert (callback.type, callback.ephemeral) == (5, True)  # deferred at once, privately
    [reply] = await record.wait_followups(1)
    assert reply.ephemeral and reply.fills_deferred
    return reply


def text_of(reply: Followup) -> str:
    """A reply's content and embeds, as one string to look in."""
    return str(reply.content) + str(reply.embeds)


def undo_of(reply: Followup) -> str:
    """The custom_id of a confirmation's Undo button."""
    return button_of(reply, "↩ Undo")


def button_of(reply: Followup, label: str) -> str:
    """The custom_id of a reply's one button with this label."""
    [row] = reply.payload["components"]
    [button] = [b for b in row["components"] if b["label"] == label]
    return str(button["custom_id"])
