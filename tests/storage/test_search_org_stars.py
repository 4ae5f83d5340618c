"""Search's `org:` and `stars:` filters, and migration 010 that gives paper_rank their columns."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from bot.domain import Paper
from bot.query.parse import parse
from storage import schema
from storage.search import count, search
from storage.store import Store

REPO = "https://github.com/x/y"


def paper(pid: str, **overrides) -> Paper:
    fields = {
        "id": pid,
        "title": f"Paper {pid}",
        "summary": "",
        "authors": (),
        "upvotes": 0,
        "comments": 0,
        "day": date(2024, 1, 1),
    }
    fields.update(overrides)
    return Paper(**fields)  # type: ignore[arg-type]


def ids(store: Store, text: str) -> list[str]:
    return sorted(h.paper.id for h in search(store.db, parse(text), limit=100))


@pytest.fixture
def store() -> Store:
    s = Store()
    s.upsert_papers(
        [
            paper("hf", organization="Hugging Face", github_repo=REPO, github_stars=120),
            paper("hf2", organization="HUGGING FACE", github_repo=REPO, github_stars=99),
            paper("meta", organization="meta-llama", title="Llama agents"),
            paper("ecole", organization="École", github_repo="", github_stars=500),
            paper("none", github_repo=REPO),
            paper("starless", github_repo=REPO, github_stars=0),
        ]
    )
    return s


def test_org_matches_the_name_case_insensitively(store: Store) -> None:
    assert ids(store, 'org:"hugging face"') == ["hf", "hf2"]
    assert ids(store, 'org:"Hugging   Face"') == ["hf", "hf2"]
    assert ids(store, "org:Meta-Llama") == ["meta"]
    assert ids(store, "org:hugging") == []  # the whole name, not a word of it


def test_org_folds_only_ascii_letters_as_the_matcher_does(store: Store) -> None:
    assert ids(store, "org:École") == ["ecole"]
    assert ids(store, "org:école") == []


def test_negated_org_includes_papers_without_an_organization(store: Store) -> None:
    assert ids(store, '-org:"hugging face"') == ["ecole", "meta", "none", "starless"]
    assert count(store.db, parse("-org:meta-llama")) == 5


def test_org_combines_with_words_and_ranks_by_them(store: Store) -> None:
    assert ids(store, "agents org:meta-llama") == ["meta"]
    assert ids(store, "agents OR org:École") == ["ecole", "meta"]


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        (">=", ["hf"]),
        (">", ["hf"]),
        ("<=", ["hf2", "starless"]),
        ("<", ["hf2", "starless"]),
        ("=", []),
    ],
)
def test_stars_operators(store: Store, op: str, expected: list[str]) -> None:
    assert ids(store, f"stars:{op}100") == expected


def test_a_paper_without_a_repository_has_no_stars(store: Store) -> None:
    # "ecole" records 500 stars but no repository; "none" has a repository without a count
    assert ids(store, "stars:>=0") == ["hf", "hf2", "starless"]
    assert ids(store, "-stars:>=0") == ["ecole", "meta", "none"]


def test_refreshed_stars_and_organization_reach_search(store: Store) -> None:
    store.upsert_papers([paper("none", github_repo=REPO, github_stars=300, organization="Meta")])
    assert ids(store, "stars:>=200") == ["none"]
    assert ids(store, "org:meta") == ["none"]
    store.upsert_papers([paper("none", github_repo=None, github_stars=300)])
    assert ids(store, "stars:>=200") == []
    assert ids(store, "org:meta") == []


def test_migration_010_backfills_org_and_stars_from_papers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v9.db"
    old = paper("old", organization="Google", github_repo=REPO, github_stars=42)
    with monkeypatch.context() as patch:
        patch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:9])
        s = Store(path)
        s.upsert_papers([old, replace(old, id="bare", organization=None, github_repo=None)])
        columns = {r[1] for r in s.db.execute("PRAGMA table_info(paper_rank)")}
        assert "org" not in columns and "stars" not in columns
        s.close()
    s = Store(path)
    rows = s.db.execute("SELECT id, org, stars FROM paper_rank ORDER BY id").fetchall()
    assert rows == [("bare", None, None), ("old", "Google", 42)]
    assert ids(s, "org:google stars:>40") == ["old"]
    s.upsert_papers([replace(old, id="new", github_stars=7)])
    assert ids(s, "org:GOOGLE stars:<10") == ["new"]
    s.close()
