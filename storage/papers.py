"""Row <-> Paper conversion for the `papers` table."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from bot.domain import Paper


def paper_to_row(paper: Paper) -> dict[str, Any]:
    """The `papers` columns for a Paper (without first_seen/updated_at)."""
    _, _, authors_text, keywords_text = paper.texts()
    return {
        "id": paper.id,
        "title": paper.title,
        "summary": paper.summary,
        "authors": json.dumps(list(paper.authors)),
        "authors_text": authors_text,
        "keywords": json.dumps(list(paper.ai_keywords)),
        "keywords_text": keywords_text,
        "upvotes": paper.upvotes,
        "comments": paper.comments,
        "day": paper.day.isoformat(),
        "published_at": paper.published_at.isoformat() if paper.published_at else None,
        "ai_summary": paper.ai_summary,
        "github_repo": paper.github_repo,
        "github_stars": paper.github_stars,
        "project_page": paper.project_page,
        "organization": paper.organization,
        "thumbnail": paper.thumbnail,
    }


def row_to_paper(row: dict[str, Any]) -> Paper:
    """A Paper from a `papers` row (as a dict)."""
    published = row.get("published_at")
    return Paper(
        id=row["id"],
        title=row["title"],
        summary=row["summary"],
        authors=tuple(json.loads(row["authors"])),
        upvotes=row["upvotes"],
        comments=row["comments"],
        day=date.fromisoformat(row["day"]),
        published_at=datetime.fromisoformat(published) if published else None,
        ai_summary=row.get("ai_summary"),
        ai_keywords=tuple(json.loads(row["keywords"])),
        github_repo=row.get("github_repo"),
        github_stars=row.get("github_stars"),
        project_page=row.get("project_page"),
        organization=row.get("organization"),
        thumbnail=row.get("thumbnail"),
    )
