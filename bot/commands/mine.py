"""A person's own alerts: `mine`, `mine subscribe`, `mine follow` (Notify me too), `mine
mute|unmute|remove`, `mine retry`. Private to the person: every answer is theirs alone, and
an interest is only ever listed, muted or removed by the one who made it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.commands.likes import seed_papers
from bot.commands.table import CommandError, echo
from bot.delivery.interests import MAX_INTERESTS_PER_PERSON
from bot.domain import Interest, Invocation, Reply
from bot.query.parse import describe
from bot.query.parse import parse as parse_query
from bot.similarity.seeds import asks_like, like_text

if TYPE_CHECKING:
    from bot.commands.handlers import Handlers

Q = 300
CLOSED = (
    "Direct messages from paperboy don't reach you (the platform refused them), so your "
    "matches come as mentions in the channel where you made the alert. Allow direct messages "
    "from the app, then `/papers mine retry`."
)


def _workspace(inv: Invocation) -> tuple[str, str]:
    return inv.channel.platform, inv.channel.workspace


def _own(handlers: Handlers, inv: Invocation) -> list[Interest]:
    return handlers.repo.interests(inv.user, _workspace(inv))


def _find(handlers: Handlers, inv: Invocation, number: int) -> Interest:
    found = next((i for i in _own(handlers, inv) if i.id == number), None)
    if found is None:
        raise CommandError(f"You have no alert #{number}. `/papers mine` lists yours.")
    return found


def _line(interest: Interest) -> str:
    state = " (muted)" if interest.muted else ""
    follows = f", following alert #{interest.subscription}" if interest.subscription else ""
    return (
        f"#{interest.id} `{echo(interest.query, Q)}`{state}: made in "
        f"{interest.channel.channel}{follows}, {interest.created_at:%Y-%m-%d}"
    )


def listing(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """The caller's own alerts in this workspace."""
    own = _own(handlers, inv)
    closed = inv.user in handlers.repo.dms_closed(*_workspace(inv))
    if not own:
        return Reply(
            text="You have no alerts of your own. `/papers mine subscribe <query>`, or Notify "
            "me too on a channel's alert, sends you its matches by direct message."
        )
    return Reply(
        text="\n".join(_line(i) for i in own) + (f"\n{CLOSED}" if closed else ""),
        title=f"Your alerts ({len(own)})",
    )


def _add(
    handlers: Handlers, inv: Invocation, query: str, subscription: int | None = None
) -> tuple[Interest, bool]:
    added = handlers.repo.add_interest(
        inv.channel,
        inv.user,
        query,
        handlers.core.clock(),
        subscription=subscription,
        most=MAX_INTERESTS_PER_PERSON,
    )
    if added is None:
        raise CommandError(
            f"You have {MAX_INTERESTS_PER_PERSON} alerts of your own, the most you can have. "
            "Remove one with `/papers mine remove <number>` first."
        )
    return added


def subscribe(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Add a personal alert on a query (or on papers like some)."""
    text = " ".join(str(args["query"]).split())
    if asks_like(text):
        text = like_text(tuple(p.id for p in seed_papers(handlers, text)))
        what = "papers like " + text.removeprefix("like ")
    else:
        what = "papers that " + "; ".join(describe(parse_query(text)))
    interest, new = _add(handlers, inv, text)
    if not new:
        return Reply(text=f"You have that alert already (#{interest.id}); it is on.")
    return Reply(
        text=f"Your alert #{interest.id} added: `{echo(text, Q)}`. You get a direct message "
        f"when a new paper matches ({what}). `/papers mine` lists yours."
    )


def follow(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Get this channel's alerts (by number) as direct messages too."""
    raw = str(args["subscriptions"]).replace(",", " ").replace("#", " ").split()
    if not raw or not all(n.isdigit() for n in raw):
        raise CommandError(
            "`mine follow` takes this channel's alert numbers, e.g. `mine follow 3`; "
            "`/papers subscriptions` lists them."
        )
    subs = {s.id: s for s in handlers.repo.subscriptions(inv.channel)}
    wanted = list(dict.fromkeys(int(n) for n in raw))
    missing = [n for n in wanted if n not in subs]
    if len(missing) == len(wanted):
        raise CommandError(
            f"This channel has no alert #{missing[0]} any more. `/papers subscriptions` lists "
            "its alerts."
        )
    lines = []
    for number in wanted:
        if number in subs:
            interest, new = _add(handlers, inv, subs[number].query, subscription=number)
            said = "added" if new else "on already"
            lines.append(f"#{interest.id} `{echo(interest.query, Q)}`: {said}")
    return Reply(
        text="You get these alerts by direct message too:\n"
        + "\n".join(lines)
        + "\n`/papers mine` lists, mutes and removes them."
    )


def _mute(handlers: Handlers, args: dict[str, Any], inv: Invocation, muted: bool) -> Reply:
    interest = _find(handlers, inv, int(args["number"]))
    changed = handlers.repo.mute_interest(interest.id, muted)
    state = "muted" if muted else "on"
    return Reply(
        text=f"Your alert #{interest.id} `{echo(interest.query, Q)}` is {state}"
        + ("." if changed else " already.")
    )


def mute(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Pause one of the caller's alerts."""
    return _mute(handlers, args, inv, True)


def unmute(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Resume one of the caller's alerts."""
    return _mute(handlers, args, inv, False)


def remove(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Remove one of the caller's alerts."""
    interest = _find(handlers, inv, int(args["number"]))
    handlers.repo.remove_interest(interest.id)
    return Reply(text=f"Your alert #{interest.id} `{echo(interest.query, Q)}` is removed.")


def retry(handlers: Handlers, args: dict[str, Any], inv: Invocation) -> Reply:
    """Try direct messages again for the caller."""
    if handlers.repo.reopen_dms(*_workspace(inv), inv.user):
        return Reply(text="paperboy will try direct messages again with your next match.")
    return Reply(text="paperboy reaches you by direct message already.")
