"""The query parser, FTS5 compiler and in-process matcher."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import Paper
from bot.domain.query import (
    And,
    HasCode,
    Not,
    Or,
    Phrase,
    Query,
    Term,
    Upvotes,
    is_text_only,
    positive_leaves,
    render,
)
from bot.query.match import PaperText, matches
from bot.query.parse import MAX_QUERY_LENGTH, QueryError, describe, parse


def root(text: str):
    return parse(text).root


def term(text: str, *tokens: str, field: str | None = None) -> Term:
    return Term(text=text, tokens=tokens or (text,), field=field)


def phrase(text: str, *tokens: str, field: str | None = None) -> Phrase:
    return Phrase(text=text, tokens=tokens, field=field)


def error(text: str) -> str:
    with pytest.raises(QueryError) as info:
        parse(text)
    message = str(info.value)
    assert "\n" not in message
    return message


# --- parsing: syntax elements -------------------------------------------------------------


def test_parse_keeps_the_original_text():
    assert parse("  Diffusion  ").text == "  Diffusion  "


def test_single_word_is_a_stemmed_term():
    assert root("Running") == term("Running", "run")


def test_words_are_anded_by_default():
    assert root("video diffusion") == And((term("video"), term("diffusion", "diffus")))


def test_explicit_and_is_the_same_as_juxtaposition():
    assert root("video AND diffusion") == root("video diffusion")


def test_quoted_phrase_keeps_token_order():
    assert root('"video generation"') == phrase("video generation", "video", "gener")


def test_hyphenated_word_becomes_a_multi_token_term():
    assert root("gpt-4") == term("gpt-4", "gpt", "4")


def test_uppercase_or_is_disjunction():
    assert root("rl OR agents") == Or((term("rl"), term("agents", "agent")))


def test_lowercase_or_is_an_ordinary_word():
    assert root("rl or agents") == And((term("rl"), term("or"), term("agents", "agent")))


def test_and_binds_tighter_than_or():
    assert root("a b OR c") == Or((And((term("a"), term("b"))), term("c")))


def test_parentheses_group():
    assert root("a (b OR c)") == And((term("a"), Or((term("b"), term("c")))))


def test_nested_ands_and_ors_are_flattened():
    assert root("a OR (b OR c)") == Or((term("a"), term("b"), term("c")))


def test_redundant_parentheses_disappear():
    assert root("((a))") == term("a")


def test_minus_negates_a_word():
    assert root("-survey") == Not(term("survey", "survei"))


def test_minus_negates_a_phrase():
    assert root('-"video generation"') == Not(phrase("video generation", "video", "gener"))


def test_minus_negates_a_group():
    assert root("-(a OR b)") == Not(Or((term("a"), term("b"))))


def test_not_keyword_negates():
    assert root("a NOT b") == And((term("a"), Not(term("b"))))


def test_double_negation_is_kept():
    assert root("NOT -a") == Not(Not(term("a")))


def test_minus_makes_keywords_plain_words():
    assert root("-OR") == Not(term("OR", "or"))


def test_hyphen_inside_a_word_is_not_negation():
    assert root("state-of-the-art") == term("state-of-the-art", "state", "of", "the", "art")


def test_title_field_with_word():
    assert root("title:Agents") == term("Agents", "agent", field="title")


def test_abstract_field_with_phrase():
    assert root('abstract:"video generation"') == phrase(
        "video generation", "video", "gener", field="abstract"
    )


def test_author_field_with_phrase():
    assert root('author:"Kaiming He"') == phrase("Kaiming He", "kaim", "he", field="author")


def test_field_names_are_case_insensitive():
    assert root("Title:agent") == term("agent", field="title")


def test_field_applies_to_every_word_of_a_group():
    assert root("title:(agent OR -survey)") == Or(
        (term("agent", field="title"), Not(term("survey", "survei", field="title")))
    )


def test_negated_field():
    assert root("-author:smith") == Not(term("smith", field="author"))


def test_upvotes_with_every_operator():
    for op in (">=", ">", "<=", "<", "="):
        assert root(f"upvotes:{op}20") == Upvotes(op, 20)


def test_bare_upvotes_number_means_at_least():
    assert root("upvotes:20") == Upvotes(">=", 20)


def test_has_code():
    assert root("has:code") == HasCode()


def test_has_code_is_case_insensitive():
    assert root("HAS:Code") == HasCode()


def test_colon_words_inside_quotes_are_text():
    assert root('"foo:bar"') == phrase("foo:bar", "foo", "bar")


def test_colon_after_a_non_name_is_text():
    assert root("12:30") == term("12:30", "12", "30")


def test_field_value_may_contain_colons():
    assert root("title:a:b") == term("a:b", "a", "b", field="title")


def test_words_touching_quotes_are_separate_terms():
    assert root('a"b c"d') == And((term("a"), phrase("b c", "b", "c"), term("d")))


def test_nul_characters_are_treated_as_spaces():
    assert root("a\x00b") == And((term("a"), term("b")))


def test_full_example_from_the_design():
    q = parse(
        'diffusion "video generation" -survey author:"Kaiming He" title:agent '
        'upvotes:>=20 (rl OR "reinforcement learning") has:code'
    )
    assert isinstance(q.root, And)
    assert len(q.root.children) == 8
    assert Upvotes(">=", 20) in q.root.children
    assert HasCode() in q.root.children


def test_query_of_exactly_the_length_limit_is_allowed():
    assert parse("a" * MAX_QUERY_LENGTH).root == term("a" * MAX_QUERY_LENGTH)


# --- parsing: errors ----------------------------------------------------------------------


def test_unbalanced_quote_is_an_error():
    assert "quote" in error('"video generation')


def test_missing_closing_parenthesis_is_an_error():
    assert "parenthesis" in error("(a OR b")


def test_unexpected_closing_parenthesis_is_an_error():
    assert "parenthesis" in error("a OR b)")


def test_empty_parentheses_are_an_error():
    assert "empty" in error("a ()")


def test_leading_or_is_an_error():
    assert "OR" in error("OR a")


def test_trailing_or_is_an_error():
    assert "OR" in error("a OR")


def test_double_or_is_an_error():
    assert "OR" in error("a OR OR b")


def test_or_before_closing_parenthesis_is_an_error():
    assert "OR" in error("(a OR) b")


def test_dangling_and_is_an_error():
    assert "AND" in error("a AND")


def test_not_with_nothing_after_it_is_an_error():
    assert "NOT" in error("a NOT")


def test_not_followed_by_or_is_an_error():
    assert "NOT" in error("a NOT OR b")


def test_lone_minus_is_an_error():
    assert "'-'" in error("a - b")


def test_empty_query_is_an_error():
    assert "empty" in error("")


def test_whitespace_only_query_is_an_error():
    assert "empty" in error("  \t\n ")


def test_too_long_query_is_an_error_naming_both_lengths():
    assert error("a" * 5000) == "query is 5000 characters; the limit is 300"


def test_word_without_letters_or_digits_is_an_error():
    assert "no searchable words" in error("a *")


def test_phrase_without_letters_or_digits_is_an_error():
    assert "no searchable words" in error('a "!!!"')


def test_unknown_field_is_an_error_naming_the_allowed_fields():
    message = error("foo:bar")
    assert "foo:" in message
    for name in ("title:", "abstract:", "author:", "upvotes:", "has:"):
        assert name in message


def test_field_without_value_is_an_error():
    assert "title:" in error("title: agent")


def test_non_numeric_upvotes_is_an_error():
    assert "upvotes" in error("upvotes:many")


def test_negative_upvotes_is_an_error():
    assert "upvotes" in error("upvotes:>=-1")


def test_unicode_digit_upvotes_is_an_error():
    assert "upvotes" in error("upvotes:²")


def test_huge_upvotes_is_an_error():
    assert "too large" in error("upvotes:99999999999999999999999")


def test_has_other_than_code_is_an_error():
    assert "has:code" in error("has:data")


def test_minus_inside_a_field_value_is_an_error_suggesting_the_fix():
    assert "-title:survey" in error("title:-survey")


def test_filter_inside_a_field_group_is_an_error():
    assert "inside" in error("title:(a upvotes:5)")


def test_deep_nesting_is_an_error():
    assert "nested" in error("(" * 100 + "a" + ")" * 100)


def test_long_negation_chain_is_an_error():
    assert "nested" in error("NOT " * 70 + "a")


def test_lone_surrogate_is_an_error():
    assert "valid text" in error("a \ud800")


def test_query_error_is_a_value_error():
    assert issubclass(QueryError, ValueError)


# --- parsing: fuzz ------------------------------------------------------------------------

SYNTAX_PIECES = [*'ab "()-:5é\x00', "OR", "AND", "NOT", "title:", "upvotes:", "has:code", ">=",
                 "org:", "stars:", "."]  # fmt: skip
SYNTAX = st.lists(st.sampled_from(SYNTAX_PIECES), max_size=40).map("".join)


# A QueryError is shown to the user as is: one line, and short.
MAX_MESSAGE = 200


def _parse_or_query_error(text: str) -> Query | None:
    try:
        return parse(text)
    except QueryError:
        return None


def _check_parse(text: str) -> None:
    """parse raises nothing but a short one-line QueryError; a query it returns renders and
    parses back to itself, and describes itself in one line per condition."""
    try:
        query = parse(text)
    except QueryError as exc:
        message = str(exc)
        assert message and "\n" not in message and len(message) <= MAX_MESSAGE, message
        return
    assert parse(render(query.root)).root == query.root
    lines = describe(query)
    assert lines and all(line and "\n" not in line for line in lines), lines


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_parse_of_arbitrary_text_gives_a_query_or_one_short_line_of_error(text):
    _check_parse(text)


@settings(max_examples=300, deadline=None)
@given(SYNTAX)
def test_parse_of_syntax_heavy_text_gives_a_query_or_one_short_line_of_error(text):
    _check_parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "f" * 250 + ":x",
        '"' + "!" * 250 + '"',
        "title:-" + "x" * 250,
        '"\n\n!"',
        '"a\nb" OR c',
    ],
)
def test_errors_and_descriptions_quote_the_query_in_one_short_line(text):
    _check_parse(text)


@settings(max_examples=300, deadline=None)
@given(SYNTAX)
def test_render_round_trips_through_parse(text):
    query = _parse_or_query_error(text)
    if query is not None:
        assert parse(render(query.root)).root == query.root


# --- walking and describing ---------------------------------------------------------------


def test_is_text_only_is_false_under_negation():
    assert not is_text_only(root("a -b"))


def test_is_text_only_is_true_for_words_and_phrases_with_and_or():
    assert is_text_only(root('a ("b c" OR title:d)'))


def test_positive_leaves_skip_negated_words():
    assert positive_leaves(root("a -b (c OR NOT d) NOT -e")) == [
        term("a"),
        term("c"),
        term("e"),
    ]


def test_describe_gives_one_line_per_top_level_condition():
    assert describe(parse("title:agent -survey upvotes:>=20 has:code")) == [
        "mention “agent” in the title",
        "do not mention “survey”",
        "have ≥ 20 upvotes",
        "have a GitHub repository",
    ]


@pytest.mark.parametrize(
    ("query", "lines"),
    [
        ("diffusion OR mamba", ["mention “diffusion” or “mamba”"]),
        ("-(survey OR review)", ["mention none of “survey” and “review”"]),
        (
            "author:Hinton -has:code",
            ["mention “Hinton” among the authors", "have no GitHub repository"],
        ),
        (
            "(agent OR upvotes:>=50) -(a b)",
            [
                "either mention “agent” or have ≥ 50 upvotes",
                "do not at once mention “a” and mention “b”",
            ],
        ),
        ("NOT -x", ["mention “x”"]),
    ],
)
def test_descriptions_read_on_from_papers_that(query, lines):
    assert describe(parse(query)) == lines
    assert not any(line.startswith(("any of", "all of", "not:")) for line in lines)


def test_query_str_is_the_canonical_rendering():
    assert str(parse('a  OR  (b  -"c d")')) == 'a OR (b -"c d")'


# --- matcher ------------------------------------------------------------------------------


def make_paper(**overrides) -> Paper:
    fields = {
        "id": "2401.00001",
        "title": "Running Diffusion Models for Video Generation",
        "summary": "We study agents. This is not a survey of GPT-4.",
        "authors": ("Kaiming He", "Ana Café"),
        "upvotes": 20,
        "comments": 0,
        "day": date(2024, 1, 2),
        "ai_keywords": ("reinforcement learning", "text-to-video"),
        "github_repo": "https://github.com/x/y",
    }
    fields.update(overrides)
    return Paper(**fields)  # type: ignore[arg-type]


def match(text: str, paper: Paper | None = None) -> bool:
    paper = paper or make_paper()
    return matches(parse(text), PaperText.from_paper(paper), paper)


def test_matcher_matches_stemmed_words_case_insensitively():
    assert match("RUNS model")


def test_matcher_matches_without_diacritics():
    assert match("author:cafe")


def test_matcher_requires_phrase_tokens_to_be_contiguous():
    assert match('"video generation"')
    assert not match('"diffusion generation"')


def test_matcher_does_not_match_a_phrase_across_columns():
    # title ends "... Generation", summary starts "We study"
    assert not match('"generation we"')


def test_matcher_matches_hyphenated_word_as_phrase():
    assert match("gpt-4")
    assert not match("gpt-5")


def test_matcher_title_field_only_looks_at_title():
    assert match("title:diffusion")
    assert not match("title:agents")


def test_matcher_abstract_field_only_looks_at_summary():
    assert match("abstract:agents")
    assert not match("abstract:diffusion")


def test_matcher_author_field_only_looks_at_authors():
    assert match('author:"kaiming he"')
    assert not match("author:video")


def test_matcher_unfielded_word_matches_keywords():
    assert match("reinforcement")


def test_matcher_author_phrase_can_span_two_authors():
    # authors_text is "Kaiming He, Ana Café": the comma is not a token boundary marker.
    assert match('author:"he ana"')


def test_matcher_negation():
    assert match("-survival")
    assert not match("-survey")


def test_matcher_or():
    assert match("nothing OR diffusion")
    assert not match("nothing OR nowhere")


def test_matcher_upvote_operators():
    assert match("upvotes:>=20") and match("upvotes:=20") and match("upvotes:<=20")
    assert not match("upvotes:>20") and not match("upvotes:<20")


def test_matcher_has_code_needs_a_repo():
    assert match("has:code")
    assert not match("has:code", make_paper(github_repo=None))
    assert not match("has:code", make_paper(github_repo=""))


def test_matcher_accepts_a_node_as_well_as_a_query():
    paper = make_paper()
    assert matches(root("diffusion"), PaperText.from_paper(paper), paper)


def test_paper_text_many_tokenizes_each_paper_separately():
    a, b = make_paper(title="alpha"), make_paper(title="beta")
    text_a, text_b = PaperText.many([a, b])
    assert text_a.contains(("alpha",), "title") and not text_a.contains(("beta",), "title")
    assert text_b.contains(("beta",), "title")


def test_paper_texts_are_title_abstract_authors_and_keywords():
    assert make_paper().texts() == (
        "Running Diffusion Models for Video Generation",
        "We study agents. This is not a survey of GPT-4.",
        "Kaiming He, Ana Café",
        "reinforcement learning, text-to-video",
    )
