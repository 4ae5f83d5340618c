"""Slack message and Block Kit limits, as named constants with where each comes from.

Facts are from docs/reference/slack.md §5-§6, which cites the Slack docs named
below. Lengths are counted in UTF-16 code units by the renderer (see `render.slack_len`): Slack
does not document its counting unit, and UTF-16 units are never fewer than code points, so
counting them errs on the safe side.
"""

from __future__ import annotations

# Blocks per message: 50 (100 only in modals and Home tabs).
# https://docs.slack.dev/reference/block-kit/blocks (docs/reference/slack.md §6)
MAX_BLOCKS = 50

# Section block `text`: 1-3000 characters; longer is `invalid_blocks`.
# https://docs.slack.dev/reference/block-kit/blocks/section-block (docs/reference/slack.md §6)
SECTION_TEXT_MAX = 3000

# Header block: `plain_text` only, at most 150 characters.
# https://docs.slack.dev/reference/block-kit/blocks/header-block (docs/reference/slack.md §6)
HEADER_TEXT_MAX = 150

# Section `fields`: at most 10 items, each at most 2000 characters.
# https://docs.slack.dev/reference/block-kit/blocks/section-block (docs/reference/slack.md §6)
FIELDS_MAX = 10
FIELD_TEXT_MAX = 2000

# Context block `elements`: at most 10.
# https://api.slack.com/reference/block-kit/blocks ; slack_sdk ContextBlock (slack.md §6)
CONTEXT_ELEMENTS_MAX = 10

# Button text: at most 75 characters; button url at most 3000.
# slack_sdk/models/blocks/block_elements.py ButtonElement (docs/reference/slack.md §6)
BUTTON_TEXT_MAX = 75

# Interactive elements: `action_id` at most 255 characters, unique within a message [inf: the
# docs say "among all other action_ids in the containing block"; Slack has been seen refusing
# duplicates across a message, so paperboy never repeats one]. An overflow menu holds 2-5
# options (slack_sdk accepts 1, older Slack docs say a minimum of 2), each option's text at most
# 75 characters and its value at most 150.
# https://docs.slack.dev/reference/block-kit/block-elements/overflow-menu-element,
# slack_sdk/models/blocks/basic_components.py Option (docs/reference/slack.md §6, §13)
ACTION_ID_MAX = 255
OVERFLOW_OPTIONS_MIN = 2
OVERFLOW_OPTIONS_MAX = 5
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150

# URLs (button url, image_url): at most 3000 characters.
# slack_sdk/models/blocks/block_elements.py, ImageElement/ImageBlock (docs/reference/slack.md §6)
URL_MAX = 3000

# Image `alt_text`: at most 2000 characters.
# slack_sdk models ImageElement (docs/reference/slack.md §6)
ALT_TEXT_MAX = 2000

# Cumulative text across all blocks of one message. Slack answers `msg_blocks_too_long` at about
# 13.2k characters. This is undocumented (slackapi/bolt-js#2509, #2867, slack.md §6); Slack
# staff spoke of "12,000 text characters with a buffer". We count every string in the blocks
# (text, alt text, URLs) against this safety budget.
BLOCKS_TEXT_BUDGET = 12_000

# Top-level `text` (the notification fallback): chat.postMessage truncates beyond 40,000
# (slack-ruby/slack-api-ref chat.postMessage.json, slack.md §5). It is what phones show in a
# notification, so we keep it far shorter.
CHAT_TEXT_MAX = 40_000
FALLBACK_TEXT_MAX = 3000
