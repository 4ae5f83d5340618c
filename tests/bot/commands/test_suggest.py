"""Platform-neutral autocomplete: subscriptions for unsubscribe, zone names for time zones."""

from __future__ import annotations

from bot.commands.handlers import MAX_SUGGESTIONS, Handlers
from bot.commands.table import find
from bot.domain import ChannelRef, Invocation

CH = ChannelRef("discord", "1000", "2000")


async def test_unsubscribe_suggests_this_channels_alerts(handlers: Handlers) -> None:
    inv = Invocation(CH, "U1")
    await handlers.handle("subscribe mamba", inv)
    await handlers.handle("subscribe diffusion video", inv)
    await handlers.handle("subscribe elsewhere", Invocation(ChannelRef("discord", "1", "9"), "U"))
    spec = find(("unsubscribe",))
    assert spec is not None
    assert handlers.suggest(spec, "subscription", inv, "") == [
        ("1: mamba", "1"),
        ("2: diffusion video", "2"),
    ]
    assert handlers.suggest(spec, "subscription", inv, "DIFF") == [("2: diffusion video", "2")]


async def test_a_suggestion_can_be_used_as_typed(handlers: Handlers) -> None:
    inv = Invocation(CH, "U1")
    await handlers.handle("subscribe mamba", inv)
    await handlers.handle("subscribe " + "long query " * 27, inv)
    spec = find(("unsubscribe",))
    assert spec is not None
    values = [value for _label, value in handlers.suggest(spec, "subscription", inv, "")]
    assert all(len(v) <= 100 for v in values)
    for value in values:
        assert (await handlers.handle(f"unsubscribe {value}", inv)).ok
    assert "no alerts" in (await handlers.handle("subscriptions", inv)).text


def test_time_zones_are_suggested_by_substring(handlers: Handlers) -> None:
    spec = find(("digest", "on"))
    assert spec is not None
    found = handlers.suggest(spec, "timezone", Invocation(CH, "U1"), "paris")
    assert found == [("Europe/Paris", "Europe/Paris")]
    assert len(handlers.suggest(spec, "timezone", Invocation(CH, "U1"), "")) == MAX_SUGGESTIONS


def test_other_arguments_have_no_suggestions(handlers: Handlers) -> None:
    spec = find(("search",))
    assert spec is not None
    assert handlers.suggest(spec, "query", Invocation(CH, "U1"), "x") == []
