"""Daily Papers test days: the recorded HF payloads, and large days generated from their shape.

Recorded (verbatim, docs/reference/hugging-face.md §4; the 2026 item wrapped in a list):
- `daily_papers_2024-10-25.json`: two real 2024-shape entries (deep-diver/paper-reviewer).
- `daily_papers_2026-03-06.json`: one real 2026-shape entry.

Generated: `make_day(day, count)` clones the real 2026 entry `count` times, deterministically,
with distinct ids (also across days), upvotes, comments and hard-wrapped titles, and some
optional fields dropped, so paging (100 a page) and parsing run on a realistic busy day.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent
RECORDED_PREFIX = "daily_papers_"
GENERATED_DAY = date(2026, 3, 9)  # a Monday
GENERATED_COUNT = 230  # two full pages of 100 and a short page of 30
MAX_GENERATED = 1000  # ids are YYMM.DDNNN

Entry = dict[str, Any]


def recorded_days() -> dict[date, list[Entry]]:
    """The recorded HF payloads in this directory, by Daily Papers day (fresh copies)."""
    days: dict[date, list[Entry]] = {}
    for path in sorted(DATA_DIR.glob(f"{RECORDED_PREFIX}*.json")):
        day = date.fromisoformat(path.stem.removeprefix(RECORDED_PREFIX))
        days[day] = json.loads(path.read_text(encoding="utf-8"))
    return days


@cache
def _template() -> str:
    return (DATA_DIR / f"{RECORDED_PREFIX}2026-03-06.json").read_text(encoding="utf-8")


def make_day(day: date = GENERATED_DAY, count: int = GENERATED_COUNT) -> list[Entry]:
    """`count` (≤ 1000) 2026-shape entries for `day`, with ids unique across days and entries."""
    if not 0 <= count <= MAX_GENERATED:
        raise ValueError(f"make_day makes at most {MAX_GENERATED} entries a day, not {count}")
    (base,) = json.loads(_template())
    return [_variant(base, day, i) for i in range(count)]


def _variant(base: Entry, day: date, i: int) -> Entry:
    entry = copy.deepcopy(base)
    paper = entry["paper"]
    paper_id = f"{day:%y%m}.{day.day:02d}{i:03d}"  # YYMM.DDNNN: distinct across days too
    words = base["title"].split()
    title = f"{' '.join(words[: 2 + i % 5])} variant {i}"
    paper["id"] = paper_id
    paper["title"] = title.replace(" variant", "\n  variant", 1)  # arXiv-style hard wrap
    paper["upvotes"] = (i * 37) % 151
    paper["submittedOnDailyAt"] = f"{day.isoformat()}T{i % 10:02d}:{i % 60:02d}:00.000Z"
    paper["discussionId"] = f"{i:024x}"
    entry["title"] = title
    entry["numComments"] = i % 5
    entry["thumbnail"] = (
        f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{paper_id}.png"
    )
    if i % 3 == 1:
        for key in ("ai_summary", "ai_keywords"):
            paper.pop(key, None)
    if i % 5 == 2:
        for key in ("githubRepo", "githubRepoAddedBy", "githubStars", "projectPage"):
            paper.pop(key, None)
    else:
        paper["githubStars"] = i
    if i % 7 == 3:
        entry.pop("organization", None)
        paper.pop("organization", None)
    if i % 11 == 4:
        paper["authors"].append({"_id": f"{i:024x}", "name": "Hidden Author", "hidden": True})
    return entry


def default_days() -> dict[date, list[Entry]]:
    """The recorded days plus one generated busy day (GENERATED_DAY, GENERATED_COUNT entries)."""
    return {**recorded_days(), GENERATED_DAY: make_day()}
