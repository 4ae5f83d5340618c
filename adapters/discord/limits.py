"""Discord message and embed limits, as named constants with where each comes from.

Facts are from docs/reference/discord.md §2, which cites the Discord docs
(`developers/resources/message.mdx`, "Embed Limits" and "Create Message"). Lengths are counted
in UTF-16 code units by the renderer (see `render.discord_len`): Discord does not document its
counting unit (docs/reference/discord.md §2), and UTF-16 units are never fewer than code points,
which is what `len(embed)` in discord.py counts, so counting them errs on the safe side.
"""

from __future__ import annotations

from typing import Final, Literal

# Message `content`: at most 2000 characters. A message with neither content nor embeds is
# 400 `50006` "Cannot send an empty message".
# developers/resources/message.mdx "Create Message" (docs/reference/discord.md §2)
CONTENT_MAX = 2000

# Embeds per message: at most 10 (discord.py raises ValueError beyond this before sending).
# developers/resources/message.mdx "Create Message" (docs/reference/discord.md §2)
EMBEDS_PER_MESSAGE = 10

# Per-embed limits; everything longer is 400 `50035` "Invalid Form Body".
# developers/resources/message.mdx "Embed Limits" (docs/reference/discord.md §2)
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_NAME_MAX = 256

# Sum across all embeds of one message of title + description + field names and values + footer
# text + author name: at most 6000 (whitespace trimmed, limit inclusive). discord.py's
# `len(embed)` counts the same six fields (discord/embeds.py `Embed.__len__`).
# developers/resources/message.mdx "Embed Limits" (docs/reference/discord.md §2)
EMBEDS_TOTAL_MAX = 6000

# Thread and forum post `name`: 1-100 characters.
# developers/resources/channel.mdx "Start Thread from Message", "Start Thread in Forum or Media
# Channel" (docs/reference/discord.md §6)
THREAD_NAME_MAX = 100

# How long a forum post or a digest's details thread stays open without a message, in minutes
# (one of 60, 1440, 4320, 10080; none is boost-locked since 2022): 3 days, the living digest's
# 72 h, so its edits are never refused as archived (400 50083) while it lives. A forum left to
# its own default archives a post after often a day.
# developers/resources/channel.mdx "Start Thread from Message", "Start Thread in Forum or Media
# Channel" (docs/reference/discord.md §6, §14)
ARCHIVE_MINUTES: Final[Literal[4320]] = 4320

# Message components outside Components V2 (what paperboy sends): at most 5 action rows; a row
# holds up to 5 buttons or exactly one select; every `custom_id` 1-100 characters and unique in
# its message; a button's label at most 80 characters; a string select 1-25 options, each
# label and value at most 100 characters, a placeholder at most 150.
# developers/components/reference.mdx "Action Row", "Button", "String Select", "Legacy Message
# Component Behavior" (docs/reference/discord.md §11)
ACTION_ROWS_MAX = 5
BUTTONS_PER_ROW = 5
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
SELECT_OPTIONS_MAX = 25
OPTION_LABEL_MAX = 100
OPTION_VALUE_MAX = 100
PLACEHOLDER_MAX = 150
