"""The button vocabulary: every id paperboy makes is read back as the command it stands for."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from adapters.actions import NOTIFY, PREFIX, command_text, notify_id


def test_notify_me_too_follows_the_alert_s_subscriptions() -> None:
    assert notify_id((12, 13)) == "pb:notify:12-13"
    assert command_text("pb:notify:12-13") == "mine follow 12 13"


@given(st.lists(st.integers(min_value=1, max_value=10**12), min_size=1, max_size=40))
def test_a_notify_id_fits_100_characters_and_reads_back(subscriptions: list[int]) -> None:
    button = notify_id(tuple(subscriptions))
    assert len(button) <= 100
    text = command_text(button)
    assert text is not None and text.startswith("mine follow ")
    followed = [int(i) for i in text.split()[2:]]
    assert followed == subscriptions[: len(followed)] and followed


def test_a_forged_notify_id_is_not_a_command() -> None:
    for forged in (f"{PREFIX}:{NOTIFY}:12-x", f"{PREFIX}:{NOTIFY}:-", f"{PREFIX}:{NOTIFY}:"):
        assert command_text(forged) is None
