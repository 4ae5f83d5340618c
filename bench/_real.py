"""The real Daily Papers bodies beside the repository (`../shared/hf_real`), when present."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from bot.domain import Paper
from bot.feed.parse import parse_entries

REAL_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "hf_real"


def real_papers(folder: Path = REAL_DIR) -> list[Paper]:
    """Every distinct paper of the real bodies (first body wins), on its file's day."""
    papers: dict[str, Paper] = {}
    for path in sorted(folder.glob("daily_papers_*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        day = date.fromisoformat(path.name.removeprefix("daily_papers_")[:10])
        for paper in parse_entries(data, day):
            papers.setdefault(paper.id, paper)
    return list(papers.values())
