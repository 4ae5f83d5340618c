"""The Discord fake driven by the real discord.py 2.7 client (and raw HTTP where needed)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest
from discord import app_commands

from tests.fakes import discord_fixture
from tests.fakes.discord_api import DiscordFake, DiscordFakeError, validate_message
from tests.fakes.discord_fixture import (
    APP_ID,
    FORUM_CHANNEL,
    GUILD,
    MANAGER,
    MEMBER,
    PAPERS,
    RANDOM,
    TOKEN,
    configure,
    patch_discord,
    raw,
    started,
)
from tests.fakes.discord_records import FORUM, TEXT
from tests.fakes.discord_routes import NONCE_WINDOW_SECONDS

discord_fake = discord_fixture.discord_fake
SHARD1_GUILD = (1 << 22) + 1000  # (id >> 22) % 2 == 1


class Bot(discord.AutoShardedClient):
    """The shape of the product's client: AutoShardedClient + CommandTree, papers commands."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.1)
        self.tree = app_commands.CommandTree(self)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.hold: list[discord.Interaction] = []
        self.late = 0.0
        self.errors: list[Exception] = []
        self._add_commands()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before every non-first IDENTIFY; not against the fake."""

    def _add_commands(self) -> None:
        papers = app_commands.Group(name="papers", description="Hugging Face Daily Papers")
        digest = app_commands.Group(name="digest", description="Daily digest", parent=papers)
        bot = self

        @digest.command(name="on", description="Turn the digest on")
        @app_commands.describe(time="HH:MM", tz="Time zone")
        async def digest_on(interaction: discord.Interaction, time: str, tz: str = "UTC") -> None:
            bot.calls.append(
                (
                    "digest on",
                    {
                        "time": time,
                        "tz": tz,
                        "user": interaction.user.id,
                        "perms": interaction.permissions.value,
                    },
                )
            )
            await interaction.response.defer(ephemeral=True)
            await interaction.followup.send(f"Digest on at {time} {tz}")
            await interaction.followup.send("A public note", ephemeral=False)

        @digest_on.autocomplete("tz")
        async def tz_complete(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            zones = ["Europe/Paris", "Europe/London", "Asia/Tokyo"]
            return [app_commands.Choice(name=z, value=z) for z in zones if current in z]

        @papers.command(name="search", description="Search papers")
        async def search(
            interaction: discord.Interaction,
            query: str,
            limit: app_commands.Range[int, 1, 25] = 5,
            channel: discord.TextChannel | None = None,
        ) -> None:
            bot.calls.append(("search", {"query": query, "limit": limit, "channel": channel}))
            if bot.late:
                await asyncio.sleep(bot.late)
            try:
                await interaction.response.send_message(f"{limit} results for {query}")
            except discord.HTTPException as exc:
                bot.errors.append(exc)

        @papers.command(name="hold", description="Keep the interaction unanswered")
        async def hold(interaction: discord.Interaction) -> None:
            bot.hold.append(interaction)

        @app_commands.command(name="papersadmin", description="Channel settings")
        @app_commands.default_permissions(manage_channels=True)
        @app_commands.checks.has_permissions(manage_channels=True)
        async def papersadmin(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("ok", ephemeral=True)

        @papersadmin.error
        async def denied(interaction: discord.Interaction, error: Exception) -> None:
            await interaction.response.send_message("You need Manage Channels", ephemeral=True)

        self.tree.add_command(papers)
        self.tree.add_command(papersadmin)


@asynccontextmanager
async def running(fake: DiscordFake, *, sync: bool = True, shards: int = 1) -> AsyncIterator[Bot]:
    """A logged-in, READY Bot against `fake`, commands synced to the guild; closed after."""
    async with started(fake, Bot()) as bot:
        if sync:
            bot.tree.copy_global_to(guild=discord.Object(GUILD))
            await bot.tree.sync(guild=discord.Object(GUILD))
        yield bot


# ---------------------------------------------------------------------- connect and sync


async def test_login_ready_guild_create_and_sync(discord_fake: DiscordFake) -> None:
    async with running(discord_fake) as bot:
        guild = bot.get_guild(GUILD)
        assert guild is not None and guild.name == "Paper Readers"
        assert {c.id: c.type for c in guild.channels} == {
            PAPERS: discord.ChannelType.text,
            RANDOM: discord.ChannelType.text,
            FORUM_CHANNEL: discord.ChannelType.forum,
        }
        assert bot.user is not None and bot.user.id == APP_ID and bot.application_id == APP_ID
        assert guild.me.guild_permissions.send_messages
    (identify,) = discord_fake.identifies
    assert identify.accepted and identify.shard == (0, 1) and identify.token == TOKEN
    calls = [(r.method, r.path, r.status) for r in discord_fake.requests]
    assert calls[:4] == [
        ("GET", "/users/@me", 200),
        ("GET", "/oauth2/applications/@me", 200),
        ("GET", "/gateway/bot", 200),
        ("PUT", f"/applications/{APP_ID}/guilds/{GUILD}/commands", 200),
    ]
    synced = {c.name: c for c in discord_fake.commands}
    assert set(synced) == {"papers", "papersadmin"} and synced["papers"].guild_id == GUILD
    digest = synced["papers"].data["options"][0]
    assert (digest["name"], digest["type"], digest["options"][0]["type"]) == ("digest", 2, 1)
    # discord.py sends default_member_permissions as an int; Discord stores a string
    assert synced["papersadmin"].sent["default_member_permissions"] == 16
    assert synced["papersadmin"].data["default_member_permissions"] == "16"
    assert discord_fake.unimplemented == []


async def test_invalid_commands_are_rejected_with_50035(discord_fake: DiscordFake) -> None:
    bad = [
        {
            "name": "Papers",
            "description": "x" * 101,
            "type": 1,
            "options": [
                {"name": "a", "description": "a", "type": 3},
                {"name": "b", "description": "b", "type": 3, "required": True},
            ],
        }
    ]
    status, body, _ = await raw(discord_fake, "PUT", f"/applications/{APP_ID}/commands", bad)
    assert status == 400 and body["code"] == 50035
    errors = body["errors"]["0"]
    assert errors["name"]["_errors"][0]["code"] == "APPLICATION_COMMAND_INVALID_NAME"
    assert "description" in errors and "required" in errors["options"]["1"]
    assert discord_fake.commands == []


# ---------------------------------------------------------------------- interactions


async def test_subcommand_group_defer_then_followups(discord_fake: DiscordFake) -> None:
    async with running(discord_fake) as bot:
        record = await discord_fake.send_interaction(
            GUILD, PAPERS, MANAGER, "papers", ["digest", "on"], {"time": "09:00"}
        )
        callback = await record.callback()
        followups = await record.wait_followups(2)
    assert bot.calls == [
        (
            "digest on",
            {
                "time": "09:00",
                "tz": "UTC",
                "user": MANAGER,
                "perms": discord_fixture.MANAGER_PERMISSIONS,
            },
        )
    ]
    assert callback.type == 5 and callback.ephemeral and callback.with_response
    first, second = followups
    assert first.fills_deferred and first.ephemeral and first.content == "Digest on at 09:00 UTC"
    assert first.message_id == record.original_message_id
    assert not second.fills_deferred and not second.ephemeral
    assert [m.content for m in discord_fake.messages_in(PAPERS)] == ["A public note"]


async def test_options_are_typed_and_channels_resolved(discord_fake: DiscordFake) -> None:
    async with running(discord_fake) as bot:
        record = await discord_fake.send_interaction(
            GUILD,
            PAPERS,
            MEMBER,
            "papers",
            ["search"],
            {"query": "diffusion", "limit": 3, "channel": RANDOM},
        )
        callback = await record.callback()
        with pytest.raises(DiscordFakeError, match="outside"):
            await discord_fake.send_interaction(
                GUILD, PAPERS, MEMBER, "papers", ["search"], {"query": "x", "limit": 26}
            )
        with pytest.raises(DiscordFakeError, match="no option"):
            await discord_fake.send_interaction(
                GUILD, PAPERS, MEMBER, "papers", ["search"], {"q": "x"}
            )
    options = record.payload["data"]["options"][0]["options"]
    assert {o["name"]: o["value"] for o in options} == {
        "query": "diffusion",
        "limit": 3,
        "channel": str(RANDOM),
    }
    ((_, args),) = bot.calls
    assert args["limit"] == 3 and args["channel"].id == RANDOM
    assert callback.type == 4 and callback.data is not None
    assert callback.data["content"] == "3 results for diffusion"
    assert discord_fake.messages_in(PAPERS)[0].source == "interaction"


async def test_autocomplete_returns_choices(discord_fake: DiscordFake) -> None:
    async with running(discord_fake):
        record = await discord_fake.send_autocomplete(
            GUILD,
            PAPERS,
            MEMBER,
            "papers",
            ["digest", "on"],
            {"time": "09:00", "tz": "Europe"},
            focused="tz",
        )
        choices = await record.choices()
    assert [c["value"] for c in choices] == ["Europe/Paris", "Europe/London"]
    focused = record.payload["data"]["options"][0]["options"][0]["options"][1]
    assert focused == {"name": "tz", "type": 3, "value": "Europe", "focused": True}


async def test_late_callback_gets_10062(discord_fake: DiscordFake) -> None:
    discord_fake.interaction_deadline = 0.2
    async with running(discord_fake) as bot:
        bot.late = 0.3
        record = await discord_fake.send_interaction(
            GUILD, PAPERS, MEMBER, "papers", ["search"], {"query": "x"}
        )
        for _ in range(100):
            if bot.errors:
                break
            await asyncio.sleep(0.02)
    (error,) = bot.errors
    assert isinstance(error, discord.NotFound) and error.code == 10062
    assert record.callback_record is None and discord_fake.callbacks == []


async def test_second_callback_40060_and_followup_rules(discord_fake: DiscordFake) -> None:
    async with running(discord_fake) as bot:
        record = await discord_fake.send_interaction(GUILD, PAPERS, MEMBER, "papers", ["hold"])
        for _ in range(100):
            if bot.hold:
                break
            await asyncio.sleep(0.01)
        cb_path = f"/interactions/{record.id}/{record.token}/callback"
        hook = f"/webhooks/{APP_ID}/{record.token}"
        early = await raw(discord_fake, "POST", hook, {"content": "too early"}, token=None)
        first = await raw(
            discord_fake, "POST", cb_path, {"type": 4, "data": {"content": "hi"}}, token=None
        )
        second = await raw(discord_fake, "POST", cb_path, {"type": 5}, token=None)
        discord_fake.followup_ttl = 0.0
        expired = await raw(discord_fake, "POST", hook, {"content": "late"}, token=None)
    assert early[0] == 404 and early[1]["code"] == 10015
    assert first[0] == 204  # no ?with_response=1: no body
    assert second[0] == 400 and second[1]["code"] == 40060
    assert expired[0] == 401 and expired[1]["code"] == 50027


async def test_edit_original_fills_the_deferred_message(discord_fake: DiscordFake) -> None:
    async with running(discord_fake) as bot:
        record = await discord_fake.send_interaction(GUILD, PAPERS, MEMBER, "papers", ["hold"])
        for _ in range(100):
            if bot.hold:
                break
            await asyncio.sleep(0.01)
        interaction = bot.hold[0]  # the test answers with the bot's own Interaction object
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.edit_original_response(content="Done")
        original = await interaction.original_response()
        public = await interaction.followup.send("Also public", wait=True)
        await public.edit(embed=discord.Embed(title="Edited"))
        await interaction.delete_original_response()
        gone = await raw(
            discord_fake, "GET", f"/webhooks/{APP_ID}/{record.token}/messages/@original", token=None
        )  # original_response() caches: ask directly
    assert gone[0] == 404 and gone[1]["code"] == 10008
    assert original.content == "Done" and original.id == record.original_message_id
    edit, extra, extra_edit = record.followups
    assert extra_edit.method == "PATCH" and extra_edit.content == "Also public"
    assert extra_edit.embeds[0]["title"] == "Edited"
    assert (edit.method, edit.fills_deferred, edit.ephemeral) == ("PATCH", True, True)
    assert (extra.method, extra.fills_deferred, extra.ephemeral) == ("POST", False, False)
    assert [m.content for m in discord_fake.messages_in(PAPERS)] == ["Also public"]


async def test_default_member_permissions_and_in_code_check(discord_fake: DiscordFake) -> None:
    async with running(discord_fake):
        with pytest.raises(DiscordFakeError, match="hides /papersadmin"):
            await discord_fake.send_interaction(GUILD, PAPERS, MEMBER, "papersadmin")
        allowed = await discord_fake.send_interaction(GUILD, PAPERS, MANAGER, "papersadmin")
        overridden = await discord_fake.send_interaction(
            GUILD, PAPERS, MEMBER, "papersadmin", admin_override=True
        )
        ok, denied = await allowed.callback(), await overridden.callback()
    assert ok.data is not None and ok.data["content"] == "ok" and ok.ephemeral
    assert denied.data is not None and "Manage Channels" in denied.data["content"]


# ---------------------------------------------------------------------- messages


async def test_embed_limits_and_valid_message(discord_fake: DiscordFake) -> None:
    async with running(discord_fake, sync=False) as bot:
        channel = bot.get_channel(PAPERS)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as info:
            await channel.send(embed=discord.Embed(title="t", description="x" * 4097))
        sent = await channel.send("Today", embed=discord.Embed(title="Paper", description="ok"))
        with pytest.raises(discord.HTTPException) as empty:
            await channel.send("   ")
    assert info.value.status == 400 and info.value.code == 50035
    assert "embeds.0.description" in info.value.text
    assert empty.value.code == 50006
    (stored,) = discord_fake.messages_in(PAPERS)
    assert stored.id == sent.id and stored.embeds[0]["title"] == "Paper"


async def test_multipart_payload_json(discord_fake: DiscordFake) -> None:
    async with running(discord_fake, sync=False) as bot:
        channel = bot.get_channel(PAPERS)
        assert isinstance(channel, discord.TextChannel)
        await channel.send("with file", file=discord.File(io.BytesIO(b"data"), "papers.txt"))
    (stored,) = discord_fake.messages_in(PAPERS)
    assert stored.content == "with file" and stored.payload["files"] == ["papers.txt"]


async def test_forum_post_and_thread_from_message(discord_fake: DiscordFake) -> None:
    async with running(discord_fake, sync=False) as bot:
        forum = bot.get_channel(FORUM_CHANNEL)
        papers = bot.get_channel(PAPERS)
        assert isinstance(forum, discord.ForumChannel)
        assert isinstance(papers, discord.TextChannel)
        post = await forum.create_thread(
            name="Papers of 2026-11-29", embed=discord.Embed(title="Top paper")
        )
        with pytest.raises(discord.HTTPException) as nameless:
            await forum.create_thread(name="x" * 101, content="too long a name")
        msg = await papers.send("Digest")
        thread = await msg.create_thread(name="Discussion")
        await thread.send("More papers")
    assert post.thread.id == post.message.id and post.thread.parent_id == FORUM_CHANNEL
    assert nameless.value.code == 50035
    starter = discord_fake.messages_in(post.thread.id)[0]
    assert starter.source == "forum_post" and starter.parent_id == FORUM_CHANNEL
    assert thread.id == msg.id
    assert discord_fake.messages_in(thread.id)[0].thread_name == "Discussion"


async def test_channel_webhook_partial(discord_fake: DiscordFake) -> None:
    hook = discord_fake.add_webhook(PAPERS)
    with patch_discord(discord_fake):
        async with aiohttp.ClientSession() as session:
            webhook = discord.Webhook.partial(hook.id, hook.token, session=session)
            sent = await webhook.send(
                embeds=[discord.Embed(title="Paper")], username="papers", wait=True
            )
    (stored,) = discord_fake.messages_in(PAPERS)
    assert stored.id == sent.id and stored.source == "webhook"


# ---------------------------------------------------------------------- errors and limits


async def test_forbidden_not_found_and_bad_token(discord_fake: DiscordFake) -> None:
    discord_fake.forbid(RANDOM)
    async with running(discord_fake, sync=False) as bot:
        random = bot.get_channel(RANDOM)
        assert isinstance(random, discord.TextChannel)
        with pytest.raises(discord.Forbidden) as forbidden:
            await random.send("hi")
        with pytest.raises(discord.NotFound) as missing:
            await bot.get_partial_messageable(9999).send("hi")
    assert forbidden.value.code == 50001 and missing.value.code == 10003
    with patch_discord(discord_fake):
        client = discord.Client(intents=discord.Intents.default())
        with pytest.raises(discord.LoginFailure):
            await client.login("wrong-token")
        await client.close()
    assert discord_fake.requests[-1].status == 401 and discord_fake.requests[-1].code == 0


async def test_identify_with_reset_token_closes_4004(discord_fake: DiscordFake) -> None:
    with patch_discord(discord_fake):
        client = discord.Client(intents=discord.Intents.default())
        await client.login(TOKEN)
        discord_fake.token = "rotated"  # the token was reset after login
        with pytest.raises(discord.ConnectionClosed) as closed:
            await asyncio.wait_for(client.connect(reconnect=False), 5)
        await client.close()
    assert closed.value.code == 4004 and not discord_fake.identifies[-1].accepted


async def test_scripted_429_is_waited_out_once(discord_fake: DiscordFake) -> None:
    script = discord_fake.script_rate_limit(f"/channels/{PAPERS}/messages", times=1)
    async with running(discord_fake, sync=False) as bot:
        channel = bot.get_channel(PAPERS)
        assert isinstance(channel, discord.TextChannel)
        await channel.send("once")
    assert script.retry_after < 0.01 and discord_fake.rate_limited == 1
    assert [m.content for m in discord_fake.messages_in(PAPERS)] == ["once"]
    statuses = [r.status for r in discord_fake.requests if r.path.endswith("/messages")]
    assert statuses == [429, 200]


async def test_cloudflare_429_without_via_is_not_retried(discord_fake: DiscordFake) -> None:
    discord_fake.script_rate_limit("/messages", times=1, cloudflare=True)
    async with running(discord_fake, sync=False) as bot:
        channel = bot.get_channel(PAPERS)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as info:
            await channel.send("blocked")
    assert info.value.status == 429 and discord_fake.messages == []


async def test_bucket_headers_and_real_429(discord_fake: DiscordFake) -> None:
    discord_fake.set_rate_limit(2, 0.5)
    path = f"/channels/{PAPERS}/messages"
    answers = [await raw(discord_fake, "POST", path, {"content": str(i)}) for i in range(3)]
    (s1, _, h1), (_, _, h2), (s3, body3, h3) = answers
    assert s1 == 200 and h1["Content-Type"] == "application/json" and h1["Via"] == "1.1 google"
    assert (h1["X-RateLimit-Limit"], h1["X-RateLimit-Remaining"], h2["X-RateLimit-Remaining"]) == (
        "2",
        "1",
        "0",
    )
    assert h1["X-RateLimit-Bucket"] == h2["X-RateLimit-Bucket"]
    assert s3 == 429 and body3["message"] == "You are being rate limited."
    assert 0 < body3["retry_after"] <= 0.5 and body3["global"] is False
    assert h3["X-RateLimit-Scope"] == "user" and "Retry-After" in h3 and h3["Via"]
    discord_fake.script_rate_limit(f"/channels/{RANDOM}", scope="shared", retry_after=0.05)
    shared = await raw(discord_fake, "GET", f"/channels/{RANDOM}")
    assert shared[0] == 429 and shared[2]["X-RateLimit-Scope"] == "shared"
    discord_fake.limiter.global_limit = 1
    await raw(discord_fake, "GET", "/users/@me")
    status, body, headers = await raw(discord_fake, "GET", "/users/@me")
    assert status == 429 and body["global"] is True and headers["X-RateLimit-Global"] == "true"
    discord_fake.limiter.global_limit = 50
    discord_fake.set_rate_limit(2, 0.01)  # what discord.py waits out below is 10 ms
    async with running(discord_fake, sync=False) as bot:  # discord.py waits pre-emptively
        channel = bot.get_channel(RANDOM)
        assert isinstance(channel, discord.TextChannel)
        for i in range(3):
            await channel.send(f"paced {i}")
    assert discord_fake.rate_limited == sum(r.status == 429 for r in discord_fake.requests)
    paced = [r.status for r in discord_fake.requests if r.path == f"/channels/{RANDOM}/messages"]
    assert paced == [200, 200, 200] and len(discord_fake.messages_in(RANDOM)) == 3


# ---------------------------------------------------------------------- exactly once, global limit


class ManualClock:
    """A clock the test moves by hand (the fake's rate limits and nonce window)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _nonced(content: str, nonce: Any, enforce: bool = True) -> dict[str, Any]:
    return {"content": content, "nonce": nonce, "enforce_nonce": enforce}


async def test_message_is_stored_before_its_answer_so_a_killed_client_has_posted(
    discord_fake: DiscordFake,
) -> None:
    hold = discord_fake.hold_answers(f"/channels/{PAPERS}/messages")
    async with running(discord_fake, sync=False) as bot:
        channel = bot.get_channel(PAPERS)
        assert isinstance(channel, discord.TextChannel)
        sending = asyncio.create_task(channel.send("in flight"))
        await hold.wait_arrived()
        stored = [m.content for m in discord_fake.messages_in(PAPERS)]
        sending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sending
    assert stored == ["in flight"] and hold.held == 1
    assert [r.status for r in discord_fake.requests if r.path.endswith("/messages")] == [200]


async def test_dropped_connection_after_the_message_was_stored(discord_fake: DiscordFake) -> None:
    discord_fake.hold_answers(f"/channels/{PAPERS}/messages", drop=True)
    async with running(discord_fake, sync=False) as bot:
        channel = bot.get_channel(PAPERS)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises((aiohttp.ClientError, OSError)):
            await channel.send("lost answer")
    assert [m.content for m in discord_fake.messages_in(PAPERS)] == ["lost answer"]


async def test_enforced_nonce_returns_the_first_message_and_creates_nothing(
    discord_fake: DiscordFake,
) -> None:
    path = f"/channels/{PAPERS}/messages"
    s1, first, _ = await raw(discord_fake, "POST", path, _nonced("once", "pb-token-1"))
    s2, again, _ = await raw(discord_fake, "POST", path, _nonced("once more", "pb-token-1"))
    _, other_channel, _ = await raw(
        discord_fake, "POST", f"/channels/{RANDOM}/messages", _nonced("elsewhere", "pb-token-1")
    )
    _, unenforced, _ = await raw(discord_fake, "POST", path, _nonced("free", "pb-token-1", False))
    assert (s1, s2) == (200, 200) and again["id"] == first["id"]
    assert first["nonce"] == again["nonce"] == "pb-token-1"
    assert [m.content for m in discord_fake.messages_in(PAPERS)] == ["once", "free"]
    assert other_channel["id"] != first["id"] and unenforced["id"] != first["id"]


async def test_nonce_is_deduplicated_only_within_the_window() -> None:
    clock = ManualClock()
    async with DiscordFake(token=TOKEN, application_id=APP_ID, clock=clock) as fake:
        configure(fake)
        path = f"/channels/{PAPERS}/messages"
        _, first, _ = await raw(fake, "POST", path, _nonced("a", 7))
        clock.now += NONCE_WINDOW_SECONDS - 1
        _, inside, _ = await raw(fake, "POST", path, _nonced("b", 7))
        clock.now += 1
        _, outside, _ = await raw(fake, "POST", path, _nonced("c", 7))
    assert inside["id"] == first["id"] and outside["id"] != first["id"]
    assert [m.content for m in fake.messages_in(PAPERS)] == ["a", "c"]


async def test_nonce_longer_than_25_characters_is_invalid_form_body(
    discord_fake: DiscordFake,
) -> None:
    status, body, _ = await raw(
        discord_fake, "POST", f"/channels/{PAPERS}/messages", _nonced("x", "n" * 26)
    )
    ok, _, _ = await raw(
        discord_fake, "POST", f"/channels/{PAPERS}/messages", _nonced("x", "n" * 25)
    )
    assert status == 400 and body["code"] == 50035 and "nonce" in body["errors"]
    assert ok == 200 and len(discord_fake.messages_in(PAPERS)) == 1


async def test_discord_py_nonce_is_sent_enforced_and_echoed(discord_fake: DiscordFake) -> None:
    async with running(discord_fake, sync=False) as bot:
        channel = bot.get_channel(PAPERS)
        assert isinstance(channel, discord.TextChannel)
        first = await channel.send("digest", nonce="pbtoken")
        again = await channel.send("digest", nonce="pbtoken")
    [sent, _] = [r.body for r in discord_fake.requests if r.path.endswith("/messages")]
    assert sent["nonce"] == "pbtoken" and sent["enforce_nonce"] is True
    assert first.id == again.id and first.nonce == "pbtoken"
    assert len(discord_fake.messages_in(PAPERS)) == 1


async def test_global_limit_is_50_per_second_across_routes_with_global_headers() -> None:
    clock = ManualClock()
    async with DiscordFake(token=TOKEN, application_id=APP_ID, clock=clock) as fake:
        configure(fake)
        fake.set_rate_limit(100, 1.0)  # only the global limit applies
        for i in range(50):
            await raw(fake, "GET", f"/channels/{(PAPERS, RANDOM)[i % 2]}")
        status, body, headers = await raw(fake, "GET", "/users/@me")
        clock.now += 1.0
        after, _, _ = await raw(fake, "GET", "/users/@me")
    assert status == 429 and body["global"] is True and body["retry_after"] > 0
    assert body["message"] == "You are being rate limited."
    assert headers["X-RateLimit-Global"] == "true" and headers["X-RateLimit-Scope"] == "global"
    assert headers["Via"] and int(headers["Retry-After"]) >= 1
    assert after == 200 and fake.busiest_second() == 51 and fake.rate_limited == 1


async def test_interaction_endpoints_are_not_bound_by_the_global_limit() -> None:
    clock = ManualClock()
    async with DiscordFake(token=TOKEN, application_id=APP_ID, clock=clock) as fake:
        configure(fake)
        fake.limiter.global_limit = 1
        await raw(fake, "GET", "/users/@me")
        webhook, _, _ = await raw(
            fake, "POST", f"/webhooks/{APP_ID}/unknown-token", {"content": "follow-up"}, token=None
        )
        limited, _, _ = await raw(fake, "GET", "/users/@me")
    assert limited == 429 and webhook != 429
    assert [r.exempt for r in fake.requests] == [False, True, False]


async def test_requests_are_counted_per_route_and_invalid_ones_over_ten_minutes() -> None:
    clock = ManualClock()
    async with DiscordFake(token=TOKEN, application_id=APP_ID, clock=clock) as fake:
        configure(fake)
        fake.forbid(RANDOM)
        await raw(fake, "POST", f"/channels/{PAPERS}/messages", {"content": "a"})
        await raw(fake, "POST", f"/channels/{PAPERS}/messages", {"content": "b"})
        await raw(fake, "POST", f"/channels/{RANDOM}/messages", {"content": "c"})  # 403
        await raw(fake, "GET", "/users/@me", token="wrong")  # 401
        fake.script_rate_limit("/users/@me", scope="shared")
        await raw(fake, "GET", "/users/@me")  # a shared 429 is not invalid
        fake.script_rate_limit("/users/@me")
        await raw(fake, "GET", "/users/@me")  # 429
        invalid_now = fake.invalid_requests
        clock.now += 601
        invalid_later = fake.invalid_requests
    counts = fake.request_counts()
    assert counts["POST /channels/{channel_id}/messages"] == 3
    assert counts["GET /users/@me"] == 3
    assert (invalid_now, invalid_later) == (3, 0) and fake.arrived == 6


async def test_real_429s_can_be_served_with_a_tiny_retry_after() -> None:
    clock = ManualClock()
    async with DiscordFake(token=TOKEN, application_id=APP_ID, clock=clock) as fake:
        configure(fake)
        fake.limiter.global_limit = 1
        fake.limiter.retry_after_cap = 0.001
        await raw(fake, "GET", "/users/@me")
        _, body, _ = await raw(fake, "GET", "/users/@me")
    assert body["retry_after"] == 0.001


# ---------------------------------------------------------------------- gateway


async def test_two_shards_each_get_their_guilds() -> None:
    async with DiscordFake(token=TOKEN, application_id=APP_ID, shard_count=2) as fake:
        configure(fake)
        fake.add_guild(
            SHARD1_GUILD,
            "Shard One",
            channels={5000: {"name": "p", "type": TEXT}},
            members={MEMBER: discord_fixture.BASIC_MEMBER},
        )
        async with running(fake, sync=False) as bot:
            bot.tree.copy_global_to(guild=discord.Object(SHARD1_GUILD))
            await bot.tree.sync(guild=discord.Object(SHARD1_GUILD))
            record = await fake.send_interaction(
                SHARD1_GUILD, 5000, MEMBER, "papers", ["search"], {"query": "llm"}
            )
            await record.callback()
            shard_of = {g.id: g.shard_id for g in bot.guilds}
            assert bot.shard_count == 2
            assert fake.gateway.session_for_guild(SHARD1_GUILD).shard_id == 1
    assert sorted(i.shard for i in fake.identifies if i.shard) == [(0, 2), (1, 2)]
    assert shard_of == {GUILD: 0, SHARD1_GUILD: 1}


async def test_reconnect_op7_resumes(discord_fake: DiscordFake) -> None:
    async with running(discord_fake) as bot:
        await discord_fake.gateway.send_op(7)
        for _ in range(200):
            if discord_fake.gateway.resumes and discord_fake.gateway.session_for_guild(GUILD):
                break
            await asyncio.sleep(0.01)
        await discord_fake.wait_ready(1)
        record = await discord_fake.send_interaction(
            GUILD, PAPERS, MEMBER, "papers", ["search"], {"query": "after resume"}
        )
        await record.callback()
    assert len(discord_fake.identifies) == 1 and len(discord_fake.gateway.resumes) == 1
    assert bot.calls[-1][1]["query"] == "after resume"


async def test_privileged_intent_not_enabled_closes_4014(discord_fake: DiscordFake) -> None:
    with patch_discord(discord_fake):
        client = discord.Client(intents=discord.Intents.all())
        await client.login(TOKEN)
        with pytest.raises(discord.PrivilegedIntentsRequired):  # ConnectionClosed 4014 when
            await asyncio.wait_for(client.connect(), 5)  # connect(reconnect=False)
        await client.close()


# ---------------------------------------------------------------------- validator, canaries


def test_validate_message_contract() -> None:
    assert validate_message({"content": "hello"}) is None
    assert validate_message({"content": " "}) == {
        "message": "Cannot send an empty message",
        "code": 50006,
    }
    body = validate_message({"embeds": [{"title": "t" * 257, "fields": [{"name": "n"}]}]})
    assert body is not None and body["code"] == 50035 and body["message"] == "Invalid Form Body"
    embed0 = body["errors"]["embeds"]["0"]
    assert embed0["title"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    assert embed0["fields"]["0"]["value"]["_errors"][0]["code"] == "BASE_TYPE_REQUIRED"
    big = [{"description": "d" * 4000}, {"description": "d" * 2001}]
    total = validate_message({"embeds": big})
    assert (
        total is not None
        and total["errors"]["embeds"]["_errors"][0]["code"] == "MAX_EMBED_SIZE_EXCEEDED"
    )
    assert validate_message({"embeds": [{"description": "d"}] * 11}) is not None
    emoji = "\U0001f4c4" * 1001  # 1001 code points, 2002 UTF-16 units
    assert validate_message({"content": emoji}) is not None
    assert validate_message({"content": emoji}, unit="codepoints") is None
    assert validate_message({"embeds": [{"url": "ftp://x"}]}) is not None
    nested = validate_message({"content": "x" * 2001}, prefix=("data",))
    assert nested is not None and "content" in nested["errors"]["data"]


def test_canaries_for_discord_py_internals() -> None:
    assert discord.__version__.startswith("2.7")
    assert discord.http.Route.BASE.startswith("https://discord.com/api/v10")
    assert discord.http.Route("GET", "/x").url == discord.http.Route.BASE + "/x"
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY).startswith("wss://")
    assert discord.ChannelType.forum.value == FORUM


# ---------------------------------------------------------------------- direct messages


async def test_create_dm_then_send_through_discord_py(discord_fake: DiscordFake) -> None:
    async with running(discord_fake, sync=False) as bot:
        dm = await bot.create_dm(discord.Object(MEMBER))
        sent = await dm.send("A paper for you", embed=discord.Embed(title="Paper"))
        again = await bot.http.start_private_message(MEMBER)  # create_dm would use its cache
        reply = await dm.send("More", reference=sent)
    assert isinstance(dm, discord.DMChannel) and dm.recipient is not None
    assert dm.recipient.id == MEMBER and dm.recipient.name == f"user{MEMBER}"
    assert int(again["id"]) == dm.id == discord_fake.dm_channel(MEMBER)
    assert sent.channel.id == dm.id and sent.guild is None
    [first, second] = discord_fake.dms(MEMBER)
    assert (first.id, first.guild_id, first.embeds[0]["title"]) == (sent.id, None, "Paper")
    reference = second.payload["message_reference"]
    assert second.id == reply.id and "guild_id" not in reference  # a DM is in no guild
    assert (reference["message_id"], reference["channel_id"]) == (str(sent.id), str(dm.id))
    opened = [r for r in discord_fake.requests if r.path == "/users/@me/channels"]
    assert [(r.status, r.body) for r in opened] == [(200, {"recipient_id": MEMBER})] * 2
    assert discord_fake.messages_in(PAPERS) == []


async def test_dm_channel_object_and_posts_like_a_channel(discord_fake: DiscordFake) -> None:
    discord_fake.add_user(5000, "reader")
    status, dm, _ = await raw(discord_fake, "POST", "/users/@me/channels", {"recipient_id": "5000"})
    _, same, _ = await raw(discord_fake, "POST", "/users/@me/channels", {"recipient_id": 5000})
    assert status == 200 and same == dm
    assert (dm["type"], dm["recipients"][0]["id"], dm["recipients"][0]["username"]) == (
        1, "5000", "reader",
    )  # fmt: skip
    path = f"/channels/{dm['id']}/messages"
    s1, first, _ = await raw(discord_fake, "POST", path, _nonced("once", "pb-dm-1"))
    s2, again, _ = await raw(discord_fake, "POST", path, _nonced("twice", "pb-dm-1"))
    bad, body, _ = await raw(discord_fake, "POST", path, {"embeds": [{"title": "t" * 257}]})
    empty, nothing, _ = await raw(discord_fake, "POST", path, {"content": " "})
    _, got, _ = await raw(discord_fake, "GET", f"/channels/{dm['id']}")
    assert (s1, s2) == (200, 200) and again["id"] == first["id"] and "guild_id" not in first
    assert (bad, body["code"], empty, nothing["code"]) == (400, 50035, 400, 50006)
    assert got == dm
    assert [m.content for m in discord_fake.dms(5000)] == ["once"]


async def test_create_dm_with_an_unknown_user_is_404_10013(discord_fake: DiscordFake) -> None:
    status, body, _ = await raw(discord_fake, "POST", "/users/@me/channels", {"recipient_id": 9})
    missing, form, _ = await raw(discord_fake, "POST", "/users/@me/channels", {})
    assert (status, body) == (404, {"code": 10013, "message": "Unknown User"})
    assert missing == 400 and "recipient_id" in form["errors"]
    async with running(discord_fake, sync=False) as bot:
        with pytest.raises(discord.NotFound) as info:
            await bot.create_dm(discord.Object(9))
    assert info.value.code == 10013 and discord_fake.dm_channel(9) is None


async def test_closed_dms_answer_403_50007_and_are_logged(discord_fake: DiscordFake) -> None:
    async with running(discord_fake, sync=False) as bot:
        dm = await bot.create_dm(discord.Object(MANAGER))
        discord_fake.close_dms(MANAGER)
        arrived = discord_fake.arrived
        with pytest.raises(discord.Forbidden) as info:
            await dm.send("You will not see this")
        refused_arrived = discord_fake.arrived - arrived
        discord_fake.open_dms(MANAGER)
        await dm.send("Now you do")
    assert info.value.status == 403 and info.value.code == 50007
    assert info.value.text == "Cannot send messages to this user"
    assert refused_arrived == 1
    [refused, accepted] = [r for r in discord_fake.requests if r.path.endswith("/messages")]
    assert (refused.status, refused.code, refused.invalid) == (403, 50007, True)
    assert refused.body["content"] == "You will not see this"
    assert accepted.status == 200
    assert [m.content for m in discord_fake.dms(MANAGER)] == ["Now you do"]


async def test_dm_routes_are_rate_limited_like_the_others(discord_fake: DiscordFake) -> None:
    discord_fake.set_rate_limit(1, 60.0, route="/api/v10/users/@me/channels")
    first, _, headers = await raw(
        discord_fake, "POST", "/users/@me/channels", {"recipient_id": MEMBER}
    )
    second, body, _ = await raw(
        discord_fake, "POST", "/users/@me/channels", {"recipient_id": MEMBER}
    )
    assert first == 200 and headers["X-RateLimit-Limit"] == "1"
    assert second == 429 and body["global"] is False
    dm = discord_fake.dm_channel(MEMBER)
    discord_fake.script_rate_limit(f"/channels/{dm}/messages")
    async with running(discord_fake, sync=False) as bot:
        channel = bot.get_partial_messageable(dm or 0, type=discord.ChannelType.private)
        await channel.send("after a 429")
    statuses = [r.status for r in discord_fake.requests if r.path.endswith("/messages")]
    assert statuses == [429, 200] and [m.content for m in discord_fake.dms(MEMBER)] == [
        "after a 429"
    ]
