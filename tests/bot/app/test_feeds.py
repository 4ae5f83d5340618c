"""Channels' feeds: the `feed` commands, and /feeds/<token>.<ext> served by a real aiohttp
server on 127.0.0.1 over a real store whose ledger the real deliverer wrote, fetched with
httpx and parsed back with feedparser, json and bibtexparser."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import bibtexparser
import feedparser
import httpx
import pytest

from bot.app.feeds import FeedRoutes
from bot.app.http import Ops, OpsServer
from bot.app.metrics import Metrics
from bot.commands.handlers import Handlers
from bot.delivery.kinds import EDIT_KIND
from bot.domain import Alert, ChannelRef, Digest, DigestEdit, Invocation, Layout, PostKey
from bot.service import Paperboy
from storage.store import Store
from tests.helpers import Clock, ScriptedPublisher, StaticFeed, at, make_paper

CHANNEL = ChannelRef("test", "W1", "C1")
OTHER = ChannelRef("test", "W1", "C2")
DAY = "2026-05-13"
PAPERS = [
    make_paper("2605.00001", DAY, 90, title="Diffusion <at> scale & more", ai_summary="Fast."),
    make_paper("2605.00002", DAY, 70, title="Mamba for \x07 video"),
    make_paper("2605.00003", DAY, 40, title="Agents that click"),
]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "paperboy.db")
    store.upsert_papers(PAPERS, at("2026-05-13 08:00"))
    return store


@pytest.fixture
def clock() -> Clock:
    return Clock(at("2026-05-13 09:00"))


@pytest.fixture
def core(store: Store, clock: Clock) -> Paperboy:
    return Paperboy(store, StaticFeed(), {"test": ScriptedPublisher()}, clock=clock)


@pytest.fixture
async def base(store: Store) -> AsyncIterator[str]:
    ops = Ops(Metrics())
    ops.feeds = FeedRoutes(store)
    server = OpsServer(ops, "127.0.0.1", 0)
    assert await server.start()
    yield f"http://127.0.0.1:{server.port}"
    await server.stop()


def handlers_for(core: Paperboy, base: str | None) -> Handlers:
    handlers = Handlers(core)
    handlers.feed_base = base
    return handlers


def who(ref: ChannelRef = CHANNEL, can_manage: bool = True) -> Invocation:
    return Invocation(channel=ref, user="U1", can_manage=can_manage)


async def post_digest(core: Paperboy, papers: list[int]) -> Digest:
    """Deliver the day's digest of these papers through the real deliverer."""
    digest = Digest(CHANNEL, (PAPERS[0].day,), tuple(PAPERS[i] for i in papers))
    kind = core.kinds["digest"]
    await core.deliverer.deliver(PostKey(CHANNEL, "digest", DAY), digest, kind.payload(digest))
    return digest


async def post_edit(core: Paperboy, digest: Digest, papers: list[int]) -> None:
    """Deliver an edit of the posted digest, now listing these papers."""
    edit = DigestEdit(
        CHANNEL,
        replace(digest, papers=tuple(PAPERS[i] for i in papers)),
        PostKey(CHANNEL, "digest", DAY),
        "m1",
        1,
    )
    key = PostKey(CHANNEL, EDIT_KIND, f"digest:{DAY}#001")
    await core.deliverer.deliver(key, edit, core.kinds[EDIT_KIND].payload(edit))


async def urls(core: Paperboy, base: str) -> dict[str, str]:
    reply = await handlers_for(core, base).handle("feed", who())
    found = {}
    for line in reply.text.splitlines():
        _, _, url = line.partition(": ")
        if url.startswith("http"):
            found[url.rsplit(".", 1)[1]] = url
    return found


async def test_feed_shows_four_private_urls_and_keeps_them(core: Paperboy, base: str) -> None:
    handlers = handlers_for(core, base)
    first = await handlers.handle("feed", who())
    assert first.ok and first.ephemeral
    assert first.text.count(f"{base}/feeds/") == 4
    again = await handlers.handle("feed show", who())
    assert [ln for ln in again.text.splitlines() if "/feeds/" in ln] == [
        ln for ln in first.text.splitlines() if "/feeds/" in ln
    ]


async def test_feed_without_an_http_server_says_what_the_operator_must_set(
    core: Paperboy,
) -> None:
    reply = await handlers_for(core, None).handle("feed", who())
    assert reply.ok and "PAPERBOY_HTTP_PORT" in reply.text


async def test_each_format_parses_back_with_the_papers_the_channel_received(
    core: Paperboy, base: str, clock: Clock
) -> None:
    await post_digest(core, [0, 1])
    found = await urls(core, base)
    async with httpx.AsyncClient() as http:
        rss, atom, js, bib = [await http.get(found[e]) for e in ("rss", "atom", "json", "bib")]
    assert rss.headers["content-type"].startswith("application/rss+xml")
    assert atom.headers["content-type"].startswith("application/atom+xml")
    assert js.headers["content-type"].startswith("application/feed+json")
    for response, version in ((rss, "rss20"), (atom, "atom10")):
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.version == version
        assert [e.id for e in parsed.entries] == [
            "https://arxiv.org/abs/2605.00001",
            "https://arxiv.org/abs/2605.00002",
        ]
        assert parsed.entries[0].title == "Diffusion <at> scale & more"
        assert parsed.entries[1].title == "Mamba for  video"  # the control character dropped
        assert parsed.entries[0].link == "https://huggingface.co/papers/2605.00001"
    body = js.json()
    assert body["version"] == "https://jsonfeed.org/version/1.1"
    assert [i["id"] for i in body["items"]] == [
        "https://arxiv.org/abs/2605.00001",
        "https://arxiv.org/abs/2605.00002",
    ]
    assert body["items"][0]["date_published"] == "2026-05-13T09:00:00+00:00"
    assert body["items"][0]["content_text"] == "Fast."
    library = bibtexparser.parse_string(bib.text)
    assert not library.failed_blocks
    assert {e.fields_dict["eprint"].value for e in library.entries} == {
        "2605.00001",
        "2605.00002",
    }


async def test_an_edit_adds_only_its_new_paper_and_never_redates_an_item(
    core: Paperboy, base: str, clock: Clock
) -> None:
    digest = await post_digest(core, [0, 1])
    found = await urls(core, base)
    async with httpx.AsyncClient() as http:
        before = feedparser.parse((await http.get(found["atom"])).content)
        clock.advance(hours=5)
        await post_edit(core, digest, [2, 0, 1])
        after = feedparser.parse((await http.get(found["atom"])).content)
        js = (await http.get(found["json"])).json()
    old = {e.id: e.published for e in before.entries}
    new = {e.id: e.published for e in after.entries}
    assert len(after.entries) == 3
    assert {k: new[k] for k in old} == old  # same ids, same dates
    assert after.entries[0].id == "https://arxiv.org/abs/2605.00003"  # dated by the edit
    assert js["items"][0]["date_published"] == "2026-05-13T14:00:00+00:00"


async def test_an_alert_on_a_paper_already_received_keeps_its_first_date(
    core: Paperboy, base: str, clock: Clock
) -> None:
    await post_digest(core, [0])
    clock.advance(days=1)
    alert = Alert(CHANNEL, PAPERS[0], ("diffusion",), Layout.COMPACT)
    await core.deliverer.deliver(
        PostKey(CHANNEL, "alert", PAPERS[0].id), alert, core.kinds["alert"].payload(alert)
    )
    found = await urls(core, base)
    async with httpx.AsyncClient() as http:
        js = (await http.get(found["json"])).json()
    assert [i["date_published"] for i in js["items"]] == ["2026-05-13T09:00:00+00:00"]


async def test_if_none_match_gets_a_304_until_the_feed_changes(core: Paperboy, base: str) -> None:
    digest = await post_digest(core, [0])
    found = await urls(core, base)
    async with httpx.AsyncClient() as http:
        first = await http.get(found["rss"])
        etag = first.headers["etag"]
        assert first.headers["cache-control"] == "private, max-age=300"
        assert "last-modified" in first.headers
        same = await http.get(found["rss"], headers={"If-None-Match": etag})
        assert same.status_code == 304 and same.content == b""
        await post_edit(core, digest, [1, 0])
        changed = await http.get(found["rss"], headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag


async def test_rotation_ends_the_old_urls_and_off_ends_them_all(core: Paperboy, base: str) -> None:
    await post_digest(core, [0])
    handlers = handlers_for(core, base)
    old = await urls(core, base)
    rotated = await handlers.handle("feed rotate", who())
    assert rotated.ok and "old URLs no longer work" in rotated.text
    new = await urls(core, base)
    assert new != old
    async with httpx.AsyncClient() as http:
        gone = await http.get(old["rss"])
        assert gone.status_code == 404 and gone.text == "not found\n"
        assert (await http.get(new["rss"])).status_code == 200
        off = await handlers.handle("feed off", who())
        assert off.ok and "off" in off.text
        for url in new.values():
            assert (await http.get(url)).status_code == 404
        assert (await http.head(new["json"])).status_code == 404


async def test_unknown_tokens_and_bad_paths_are_the_same_bare_404(
    core: Paperboy, base: str
) -> None:
    found = await urls(core, base)
    token = found["rss"].rsplit("/", 1)[1].split(".")[0]
    async with httpx.AsyncClient() as http:
        answers = [
            await http.get(f"{base}/feeds/{path}")
            for path in ("nope.rss", f"{token}.xml", token, f"{token[:-1]}x.rss", ".rss")
        ]
    assert {(a.status_code, a.text) for a in answers} == {(404, "not found\n")}


async def test_head_answers_like_get_without_a_body(core: Paperboy, base: str) -> None:
    await post_digest(core, [0])
    found = await urls(core, base)
    async with httpx.AsyncClient() as http:
        head = await http.head(found["atom"])
        get = await http.get(found["atom"])
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == get.headers["etag"]


async def test_a_channel_s_feed_holds_only_what_it_received(
    core: Paperboy, base: str, store: Store
) -> None:
    await post_digest(core, [0])
    other = await handlers_for(core, base).handle("feed", who(OTHER))
    url = next(ln.split(": ", 1)[1] for ln in other.text.splitlines() if ln.startswith("JSON"))
    async with httpx.AsyncClient() as http:
        assert (await http.get(url)).json()["items"] == []


async def test_rotate_and_off_are_for_channel_managers(core: Paperboy, base: str) -> None:
    handlers = handlers_for(core, base)
    for command in ("feed rotate", "feed off"):
        reply = await handlers.handle(command, who(can_manage=False))
        assert not reply.ok and "channel managers" in reply.text
    assert (await handlers.handle("feed off", who())).text.endswith("already off.")


async def test_feed_urls_are_valid_json_of_the_channel(core: Paperboy, base: str) -> None:
    await post_digest(core, [0, 1, 2])
    found = await urls(core, base)
    async with httpx.AsyncClient() as http:
        body = json.loads((await http.get(found["json"])).content)
    assert body["feed_url"] == found["json"]
    assert [len(i["authors"]) for i in body["items"]] == [2, 2, 2]
