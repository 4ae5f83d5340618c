"""Request bodies of paperboy's posts, built the way discord.py's `Messageable.send`,
`ForumChannel.create_thread` and `Message.edit` build theirs (`handle_message_parameters`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import discord
from discord.http import MultipartParameters, handle_message_parameters

from adapters.discord.limits import ARCHIVE_MINUTES, THREAD_NAME_MAX
from adapters.discord.markdown import plain
from adapters.discord.render import (
    DiscordMessage,
    render_alert,
    render_climber,
    render_digest,
    render_direct,
    render_edit,
    render_mention,
    render_reply,
    thread_name,
)
from bot.domain import Alert, Climber, Digest, DigestEdit, DirectMessage, Mention, Notice, Post

# Paper titles and queries are user text: never let them ping anyone (nor the replied-to).
NO_MENTIONS = discord.AllowedMentions.none()


def allowed_mentions(message: DiscordMessage) -> discord.AllowedMentions:
    """Nobody, or only the one user a message mentions on purpose (a refused DM's mention):
    never @everyone, a role, or the author of the replied-to message."""
    if message.mention is None:
        return NO_MENTIONS
    return discord.AllowedMentions(
        everyone=False,
        users=[discord.Object(int(message.mention))],
        roles=False,
        replied_user=False,
    )


class _Rows:
    """Components already as JSON, where discord.py expects a view (`to_components`)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def to_components(self) -> list[dict[str, Any]]:
        """The action rows, as sent."""
        return self.rows

    def has_components_v2(self) -> bool:
        """paperboy's messages are classic ones: content, embeds and action rows."""
        return False


def _view(message: DiscordMessage, always: bool = False) -> Any:
    """The message's components for `handle_message_parameters`: left out when it has none,
    unless `always` (an edit replaces the old ones, also with none)."""
    if not message.components and not always:
        return discord.utils.MISSING
    return cast(Any, _Rows(message.components))


@dataclass(frozen=True)
class Part:
    """One message's request body, for a channel (with its nonce) or as a new forum post."""

    message: MultipartParameters
    forum: MultipartParameters


def render_post(post: Post) -> tuple[list[DiscordMessage], str]:
    """The post's messages and its forum post title."""
    if isinstance(post, Digest):
        return render_digest(post), thread_name(post)
    if isinstance(post, DigestEdit):
        return [render_edit(post)], thread_name(post.digest)
    if isinstance(post, Notice):
        return render_reply(post.as_reply()), post.title[:THREAD_NAME_MAX]
    if isinstance(post, Climber):
        return [render_climber(post)], _paper_name(post.paper.title, post.paper.id)
    if isinstance(post, DirectMessage):
        return render_direct(post), _paper_name(post.paper.title, post.paper.id)
    if isinstance(post, Mention):
        return render_mention(post), _paper_name(post.paper.title, post.paper.id)
    alert: Alert = post
    return render_alert(alert), _paper_name(alert.paper.title, alert.paper.id)


def _paper_name(title: str, paper_id: str) -> str:
    return " ".join(plain(title).split())[:THREAD_NAME_MAX] or paper_id


def params(
    message: DiscordMessage,
    nonce: str,
    first: bool,
    title: str,
    reply_to: str | None = None,
    *,
    orphan: bool = False,
) -> Part:
    """The bodies of one message: in a channel with `nonce` (a reply to `reply_to` when
    given), and for part 1 also as a new forum post named `title`. A reply whose message is
    gone is refused (400 50035) unless `orphan`: then it is posted on its own."""
    extra: dict[str, Any] = {}
    if reply_to is not None:
        # Refused, not posted on its own in the channel as an orphan: a late climber of a
        # deleted digest is dropped. A mention (`orphan`) still reaches its person.
        extra["message_reference"] = {"message_id": reply_to, "fail_if_not_exists": not orphan}
    mentions = allowed_mentions(message)
    body = handle_message_parameters(
        content=message.content or None,
        embeds=message.embeds,
        view=_view(message),
        allowed_mentions=mentions,
        nonce=nonce,
        **extra,
    )
    assert body.payload is not None  # no files: a JSON body
    body.payload["enforce_nonce"] = True  # discord.py 2.7 sets it too; older ones did not
    forum = body
    if first:
        # "Start Thread in Forum or Media Channel" documents no nonce for the message.
        forum = handle_message_parameters(
            content=message.content or None,
            embeds=message.embeds,
            view=_view(message),
            allowed_mentions=mentions,
            channel_payload={"name": title, "auto_archive_duration": ARCHIVE_MINUTES},
        )
    return Part(body, forum)


def edit_params(message: DiscordMessage) -> MultipartParameters:
    """An Edit Message body that replaces the content, embeds and components."""
    return handle_message_parameters(
        content=message.content or None,
        embeds=message.embeds,
        view=_view(message, always=True),
        allowed_mentions=NO_MENTIONS,
    )
