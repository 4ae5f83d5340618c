"""The percolator: what a query requires, its compiled form, and the index of many queries."""

from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.domain import Paper
from bot.domain.query import Phrase, Term, TextLeaf
from bot.query.match import PaperText, matches
from bot.query.parse import parse
from bot.query.percolate import (
    Cost,
    Percolator,
    frequency_cost,
    length_cost,
    rarest,
    requirement,
    tokens_of,
)
from tests.test_query_agreement import SETTINGS, paper_lists, query_strings


def _paper(
    title: str,
    summary: str = "",
    authors: tuple[str, ...] = (),
    upvotes: int = 0,
    keywords: tuple[str, ...] = (),
    code: str | None = None,
) -> Paper:
    return Paper(
        id="p1",
        title=title,
        summary=summary,
        authors=authors,
        upvotes=upvotes,
        comments=0,
        day=date(2024, 1, 1),
        ai_keywords=keywords,
        github_repo=code,
    )


def _req(text: str, cost: Cost = length_cost) -> set[str] | None:
    """The requirement as the leaves' texts (with their fields)."""
    found = requirement(parse(text).root, cost)
    return None if found is None else {f"{f.field}:{f.text}" if f.field else f.text for f in found}


def _crc_cost(token: str) -> float:
    """An arbitrary but fixed rarity: the index must be exact whatever word it picks."""
    return zlib.crc32(token.encode())


COSTS: list[Cost] = [length_cost, _crc_cost, lambda token: -len(token)]


# --- requirements -------------------------------------------------------------------------


def test_a_word_or_phrase_requires_itself():
    assert _req("diffusion") == {"diffusion"}
    assert _req('"video generation"') == {"video generation"}
    assert _req("title:agent") == {"title:agent"}


def _leaf(text: str) -> TextLeaf:
    leaf = parse(text).root
    assert isinstance(leaf, Term | Phrase)
    return leaf


def test_a_leaf_is_found_by_its_rarest_token():
    leaf = _leaf('"large language models"')
    assert rarest(leaf) == "languag"  # the longest stem, without frequencies
    counts = {"larg": 1, "languag": 9, "model": 50}
    assert rarest(leaf, lambda t: counts[t]) == "larg"
    assert rarest(_leaf('"state space models"')) == "model"  # a tie: the first in order


def test_and_takes_the_most_selective_child():
    counts = {"model": 50, "mamba": 2}
    assert _req("models mamba", lambda t: counts[t]) == {"mamba"}
    assert _req("(a OR b OR c) models") == {"models"}  # one leaf beats three
    assert _req("models quantization") == {"quantization"}  # by length, without counts
    assert _req("agent robot") == {"agent"}  # a tie: the first


def test_or_needs_any_of_its_children():
    assert _req("diffusion OR (mamba title:ssm)") in (
        {"diffusion", "mamba"},
        {"diffusion", "title:ssm"},
    )


def test_queries_without_a_positive_word_require_nothing():
    for text in (
        "-survey",
        "upvotes:>=20",
        "has:code",
        "diffusion OR has:code",
        "-(diffusion mamba)",
        "NOT diffusion OR upvotes:>5",
    ):
        assert requirement(parse(text).root) is None, text


def test_a_negation_inside_and_is_skipped():
    assert _req("diffusion -survey upvotes:>=20") == {"diffusion"}


def test_double_negation_and_de_morgan_keep_the_requirement():
    assert _req("NOT -diffusion") == {"diffusion"}
    assert _req("-(-diffusion OR -mamba)") in ({"diffusion"}, {"mamba"})  # diffusion AND mamba
    assert _req("-(-diffusion -mamba)") == {"diffusion", "mamba"}  # diffusion OR mamba


def test_frequency_cost_counts_papers_having_the_token():
    texts = PaperText.many([_paper("Diffusion models"), _paper("Language models")])
    cost = frequency_cost(texts)
    assert cost("model") > cost("diffus") > cost("mamba")


# --- properties: exactly what `matches` says ----------------------------------------------


@SETTINGS
@given(paper_lists(), st.lists(query_strings, min_size=1, max_size=6), st.sampled_from(COSTS))
def test_every_matching_paper_has_a_required_leaf_and_its_token(papers, queries, cost):
    for paper, text in zip(papers, PaperText.many(papers), strict=True):
        tokens = tokens_of(text)
        for q in queries:
            query = parse(q)
            if not matches(query, text, paper):
                continue
            required = requirement(query.root, cost)
            if required is not None:
                present = [leaf for leaf in required if matches(leaf, text, paper)]
                assert present, q
                assert all(rarest(leaf, cost) in tokens for leaf in present), q


@SETTINGS
@given(
    paper_lists(),
    st.lists(query_strings, min_size=1, max_size=12),
    st.sampled_from(COSTS),
    st.data(),
)
def test_the_percolator_finds_exactly_the_queries_that_match(papers, queries, cost, data):
    perc: Percolator[int] = Percolator(cost)
    for key, q in enumerate(queries):
        perc.add(key, parse(q))
    gone = data.draw(st.sets(st.sampled_from(range(len(queries)))), label="removed")
    for key in gone:
        perc.remove(key)
    kept = [k for k in range(len(queries)) if k not in gone]
    for paper, text in zip(papers, PaperText.many(papers), strict=True):
        earlier_upvotes = data.draw(st.none() | st.integers(0, 50), label="upvotes before")
        earlier = None if earlier_upvotes is None else replace(paper, upvotes=earlier_upvotes)
        found = [k for keys in perc.match(text, paper, earlier) for k in keys]
        expected = [
            k
            for k in kept
            if matches(parse(queries[k]), text, paper)
            and (earlier is None or not matches(parse(queries[k]), text, earlier))
        ]
        assert sorted(found) == expected
        exact, evaluated = perc.candidates(text)
        assert exact + evaluated <= perc.distinct


# --- the index ------------------------------------------------------------------------------


def _match(perc: Percolator[str] | Percolator[int], paper: Paper) -> list[Any]:
    return sorted(k for keys in perc.match(PaperText.from_paper(paper), paper) for k in keys)


def test_a_paper_is_checked_only_against_queries_that_can_match_it():
    perc: Percolator[str] = Percolator()
    for key in (
        "diffusion",
        "mamba",
        "robots OR speech",
        "-survey",
        "mamba -survey",
        "robots upvotes:>=5",
    ):
        perc.add(key, parse(key))
    paper = _paper("Diffusion for robots", upvotes=7)
    # found by a word alone: diffusion, robots OR speech; evaluated: -survey (always) and
    # `robots upvotes:>=5` (robots is there); `mamba -survey` is not looked at
    assert perc.candidates(PaperText.from_paper(paper)) == (2, 2)
    assert _match(perc, paper) == ["-survey", "diffusion", "robots OR speech", "robots upvotes:>=5"]
    assert (perc.unindexed, perc.leaves) == (1, 5)


def test_keys_with_the_same_query_share_one_entry():
    perc: Percolator[int] = Percolator()
    perc.add(1, parse("diffusion models"))
    perc.add(2, parse("diffusion AND models"))
    perc.add(3, parse("mamba"))
    assert (len(perc), perc.distinct) == (3, 2)
    assert _match(perc, _paper("Diffusion models")) == [1, 2]
    perc.remove(1)
    assert perc.distinct == 2
    perc.remove(2)
    assert (len(perc), perc.distinct, perc.leaves) == (1, 1, 1)
    assert perc.query(3) == parse("mamba") and perc.query(2) is None


def test_adding_a_key_again_replaces_its_query():
    perc: Percolator[int] = Percolator()
    perc.add(1, parse("diffusion"))
    perc.add(1, parse("mamba"))
    assert (len(perc), perc.distinct, perc.leaves) == (1, 1, 1)
    assert _match(perc, _paper("Mamba")) == [1]


def test_removing_an_unknown_key_does_nothing():
    perc: Percolator[int] = Percolator()
    perc.remove(7)
    assert len(perc) == 0 and 7 not in perc


def test_an_emptied_index_forgets_its_words():
    perc: Percolator[int] = Percolator()
    for key, text in enumerate(("diffusion OR mamba", "-survey", '"video models" mamba', "mamba")):
        perc.add(key, parse(text))
    assert perc.leaves == 4
    for key in range(4):
        perc.remove(key)
    assert (perc.distinct, perc.unindexed, perc.leaves) == (0, 0, 0)
    assert perc._by_token == {}


def test_a_word_and_a_phrase_of_the_same_tokens_are_one_leaf():
    perc: Percolator[int] = Percolator()
    perc.add(1, parse("gpt-4"))
    perc.add(2, parse('"GPT 4" -survey'))
    assert perc.leaves == 2  # gpt 4, survey
    assert _match(perc, _paper("What GPT-4 can do")) == [1, 2]


def test_fields_and_phrase_order_are_respected():
    perc: Percolator[str] = Percolator()
    for text in (
        '"video generation"',
        '"generation video"',
        'abstract:"generation of video"',
        "title:kaiming",
        'author:"kaiming he"',
        'title:"video generation"',
        'abstract:"video generation"',
        "title:kaiming OR abstract:video",
    ):
        perc.add(text, parse(text))
    paper = _paper("Video generation", summary="generation of video", authors=("Kaiming He",))
    assert _match(perc, paper) == sorted(
        [
            '"video generation"',
            'abstract:"generation of video"',
            'author:"kaiming he"',
            'title:"video generation"',
            "title:kaiming OR abstract:video",
        ]
    )


def test_with_the_paper_as_it_was_only_newly_matching_queries_count():
    perc: Percolator[str] = Percolator()
    for query in ("diffusion", "diffusion upvotes:>=20", "upvotes:>=20 has:code", "-survey"):
        perc.add(query, parse(query))
    paper = _paper("Diffusion", upvotes=30, code="https://github.com/a/b")
    then = replace(paper, upvotes=3)
    found = sorted(k for keys in perc.match(PaperText.from_paper(paper), paper, then) for k in keys)
    assert found == ["diffusion upvotes:>=20", "upvotes:>=20 has:code"]
