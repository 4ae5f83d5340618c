"""Shared by the adapter tests: the sample paper their renderers and cards are shown."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.domain import Paper

FRIDAY = date(2026, 11, 27)
AUTHORS = ("Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra")


def paper(pid: str = "2411.00001", **extra: Any) -> Paper:
    """A well-upvoted paper of FRIDAY by four AUTHORS; `extra` sets or overrides any field."""
    fields: dict[str, Any] = {
        "title": "Video diffusion at scale",
        "summary": "We scale video generation.",
        "authors": AUTHORS,
        "upvotes": 1234,
        "comments": 5,
        "day": FRIDAY,
        **extra,
    }
    return Paper(id=pid, **fields)
