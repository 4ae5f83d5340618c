"""The query language's one-line help names every filter and fits a Discord description."""

from __future__ import annotations

from adapters.discord.commands import DESCRIPTION_MAX
from bot.commands.table import QUERY_HELP
from bot.query.parse import ALLOWED_FIELDS


def test_query_help_names_every_field_and_fits_a_discord_option_description():
    assert len(QUERY_HELP) <= DESCRIPTION_MAX
    for field in ALLOWED_FIELDS:
        assert f"{field}:" in QUERY_HELP, field
