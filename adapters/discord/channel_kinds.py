"""What kind of Discord channel a post goes to, learned once so posting never asks again."""

from __future__ import annotations

from typing import Protocol

from bot.domain import ChannelRef

TEXT = "text"  # a message is POST /channels/{id}/messages (text, announcement, voice)
FORUM = "forum"  # a post is a new thread: POST /channels/{id}/threads with its first message
# Takes messages as TEXT does, but no thread can be started from one (400 50024): a thread
# itself, or a channel that answered 50024 (a voice channel's chat). Stored before this kind
# existed as TEXT, it is learned on the first 50024.
THREAD = "thread"
# Channel types whose posts are threads (developers/resources/channel "Channel Types":
# GUILD_FORUM 15, GUILD_MEDIA 16); everything else takes messages or refuses them with 50008.
THREAD_ONLY_TYPES = frozenset({15, 16})
# ANNOUNCEMENT_THREAD 10, PUBLIC_THREAD 11, PRIVATE_THREAD 12 ("Channel Types").
THREAD_TYPES = frozenset({10, 11, 12})


def kind_of(channel_type: int) -> str:
    """The kind of a channel from its Discord `type`."""
    if channel_type in THREAD_ONLY_TYPES:
        return FORUM
    return THREAD if channel_type in THREAD_TYPES else TEXT


class ChannelKinds(Protocol):
    """Where the publisher keeps channel kinds (`TEXT`, `FORUM` or `THREAD`) between posts."""

    def get(self, channel: ChannelRef) -> str | None:
        """The kind learned for `channel`, or None when it is not known yet."""
        ...

    def set(self, channel: ChannelRef, kind: str) -> None:
        """Remember the kind of `channel`."""
        ...


class MemoryChannelKinds:
    """Channel kinds kept for the life of the process."""

    def __init__(self) -> None:
        self._kinds: dict[ChannelRef, str] = {}

    def get(self, channel: ChannelRef) -> str | None:
        """The kind learned for `channel`, or None."""
        return self._kinds.get(channel)

    def set(self, channel: ChannelRef, kind: str) -> None:
        """Remember the kind of `channel`."""
        self._kinds[channel] = kind
