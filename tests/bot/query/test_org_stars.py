"""`org:` and `stars:` in the query language: parsing, errors, rendering, describing, matching."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain import Paper
from bot.domain.query import And, Not, Org, Stars, render
from bot.query.match import PaperText, matches
from bot.query.parse import QueryError, describe, parse
from bot.query.percolate import Percolator

REPO = "https://github.com/a/b"


def error(text: str) -> str:
    with pytest.raises(QueryError) as info:
        parse(text)
    message = str(info.value)
    assert "\n" not in message
    return message


def paper(**overrides) -> Paper:
    fields = {"id": "p", "title": "t", "summary": "", "authors": (), "upvotes": 0,
              "comments": 0, "day": date(2024, 1, 1)}  # fmt: skip
    fields.update(overrides)
    return Paper(**fields)  # type: ignore[arg-type]


def hit(text: str, p: Paper) -> bool:
    return matches(parse(text), PaperText.from_paper(p), p)


def test_org_takes_a_word_or_a_quoted_name_with_its_spaces_collapsed():
    assert parse("org:meta-llama").root == Org("meta-llama")
    assert parse('ORG:"  Hugging   Face "').root == Org("Hugging Face")


def test_stars_takes_every_operator_and_a_bare_number_means_at_least():
    for op in (">=", ">", "<=", "<", "="):
        assert parse(f"stars:{op}100").root == Stars(op, 100)
    assert parse("stars:5").root == Stars(">=", 5)


def test_filters_combine_with_words_and_negation():
    query = parse('agents -org:"Hugging Face" stars:>=10')
    assert isinstance(query.root, And)
    assert query.root.children[1:] == (Not(Org("Hugging Face")), Stars(">=", 10))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stars:lots", "stars: needs a number, e.g. stars:>=100 (also >, <=, <, =)"),
        ("stars:>=", "stars: needs a number, e.g. stars:>=100 (also >, <=, <, =)"),
        ("stars:99999999999", "stars: number is too large (at most 1000000000)"),
        ("org:", "'org:' needs a value right after the colon"),
        ('org:""', 'org: needs an organization\'s name, e.g. org:google or org:"Hugging Face"'),
        (
            "org:(a OR b)",
            'org: needs an organization\'s name, e.g. org:google or org:"Hugging Face"',
        ),
        ("org:-meta", "to exclude, put '-' before the field: -org:meta"),
        ("title:(a org:b)", "'org:' cannot be used inside 'title:( )'"),
    ],
)
def test_bad_filters_get_one_clear_line(text, expected):
    assert error(text) == expected


@pytest.mark.parametrize(
    "text", ["org:meta", 'org:"Hugging Face"', 'org:"x:y"', 'org:"-x"', "stars:<3", "-stars:=0"]
)
def test_render_parses_back_to_the_same_filter(text):
    node = parse(text).root
    assert parse(render(node)).root == node


def test_describe_names_the_organization_and_the_stars():
    assert describe(parse('org:"Hugging Face" -stars:>=100 stars:<5')) == [
        "were submitted by the Hugging Face organization “Hugging Face”",
        "do not have ≥ 100 GitHub stars",
        "have < 5 GitHub stars",
    ]
    assert describe(parse("-org:meta")) == [
        "were not submitted by the Hugging Face organization “meta”"
    ]


def test_org_matches_the_whole_name_folding_ascii_case_only():
    p = paper(organization="Hugging Face")
    assert hit('org:"hugging face"', p) and hit('org:"HUGGING  FACE"', p)
    assert not hit("org:hugging", p) and not hit("org:hugging", paper())
    assert hit("org:École", paper(organization="École"))
    assert not hit("org:École", paper(organization="école"))
    assert hit("-org:meta", paper()) and hit("-org:meta", p)


def test_stars_need_a_repository_and_a_count():
    assert hit("stars:>=10", paper(github_repo=REPO, github_stars=10))
    assert not hit("stars:>=10", paper(github_repo=REPO, github_stars=9))
    assert not hit("stars:>=0", paper(github_repo=REPO))
    assert not hit("stars:>=0", paper(github_repo="", github_stars=50))
    assert hit("-stars:>=0", paper(github_stars=50))


def test_the_percolator_evaluates_filter_only_queries_for_every_paper():
    perc: Percolator[str] = Percolator()
    perc.add("org", parse("org:meta"))
    perc.add("stars", parse("stars:>=100 agents"))
    p = paper(title="agents", organization="Meta", github_repo=REPO, github_stars=150)
    found = {k for keys in perc.match(PaperText.from_paper(p), p) for k in keys}
    assert found == {"org", "stars"}
    earlier = paper(title="agents", organization="Meta", github_repo=REPO, github_stars=50)
    newly = {k for keys in perc.match(PaperText.from_paper(p), p, earlier) for k in keys}
    assert newly == {"stars"}
