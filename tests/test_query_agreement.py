"""Search (SQLite FTS5) and alert matching (bot.query.matches) agree on every query and paper."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import Paper
from bot.query.match import PaperText, matches
from bot.query.parse import QueryError, parse
from bot.query.text import tokenize
from storage.search import count, search
from storage.store import Store

WORDS = [
    "run", "running", "Runs", "RUNNER", "ran",
    "model", "models", "Modeling", "modelling",
    "café", "Cafe", "CAFÉ", "naïve", "naive", "état", "etat",
    "agreed", "agree", "agre", "generalization", "general",
    "diffusion", "Diffusions", "video", "generation", "generate",
    "survey", "surveys", "learning", "learned", "rl", "RL",
    "gpt-4", "GPT", "4", "he", "Kaiming", "vision-language",
    "or", "and", "not",
]  # fmt: skip
SEPARATORS = [" ", " ", " ", ", ", ". ", " - ", ": ", "! ", "-", "'", " (", ") ", "/", "  "]
FIELDS = ["title", "abstract", "author", "Title"]
# Organization names as stored (None: none), and as a query names them: ASCII case folds,
# other letters do not, on both sides.
ORGS = [None, "Meta", "meta", "Hugging Face", "HUGGING  FACE", "meta-llama", "École", "école"]
ORG_QUERIES = [
    "org:meta", "org:META", 'org:"Hugging Face"', 'org:"hugging  face"', "org:Meta-Llama",
    "org:École", "org:ÉCOLE", 'org:"école"', "Org:hugging",
]  # fmt: skip
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

words = st.sampled_from(WORDS)
separators = st.sampled_from(SEPARATORS)


def _join(pairs: list[tuple[str, str]]) -> str:
    return "".join(word + sep for word, sep in pairs).strip()


texts = st.lists(st.tuples(words, separators), max_size=8).map(_join)
short_texts = st.lists(st.tuples(words, separators), min_size=1, max_size=2).map(_join)


@st.composite
def paper_lists(draw: st.DrawFn, most: int = 8, days: int = 3) -> list[Paper]:
    """1 to `most` papers with generated texts, first listed on one of `days` days."""
    count_ = draw(st.integers(min_value=1, max_value=most))
    return [
        Paper(
            id=f"p{i}",
            title=draw(texts),
            summary=draw(texts),
            authors=tuple(draw(st.lists(short_texts, max_size=3))),
            upvotes=draw(st.integers(min_value=0, max_value=50)),
            comments=0,
            day=date(2024, 1, draw(st.integers(min_value=1, max_value=days))),
            ai_keywords=tuple(draw(st.lists(short_texts, max_size=3))),
            github_repo=draw(st.sampled_from([None, "", "https://github.com/a/b"])),
            github_stars=draw(st.one_of(st.none(), st.integers(min_value=0, max_value=50))),
            organization=draw(st.sampled_from(ORGS)),
        )
        for i in range(count_)
    ]


phrases = st.lists(st.tuples(words, separators), min_size=1, max_size=3).map(
    lambda pairs: '"' + _join(pairs) + '"'
)
text_values = st.one_of(words, phrases)
fielded = st.builds(lambda f, v: f"{f}:{v}", st.sampled_from(FIELDS), text_values)
field_groups = st.builds(
    lambda f, a, b, op: f"{f}:({a}{op}{b})",
    st.sampled_from(FIELDS),
    text_values,
    text_values,
    st.sampled_from([" OR ", " ", " AND ", " -", " NOT "]),
)
upvote_filters = st.builds(
    lambda op, n: f"upvotes:{op}{n}",
    st.sampled_from(["", ">=", ">", "<=", "<", "="]),
    st.integers(min_value=0, max_value=50),
)
star_filters = st.builds(
    lambda op, n: f"stars:{op}{n}",
    st.sampled_from(["", ">=", ">", "<=", "<", "="]),
    st.integers(min_value=0, max_value=50),
)
leaves = st.one_of(
    words,
    words,
    phrases,
    fielded,
    field_groups,
    upvote_filters,
    st.just("has:code"),
    star_filters,
    st.sampled_from(ORG_QUERIES),
)


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(children, children)
    return st.one_of(
        pair.map(lambda ab: f"{ab[0]} {ab[1]}"),
        pair.map(lambda ab: f"{ab[0]} AND {ab[1]}"),
        pair.map(lambda ab: f"({ab[0]} OR {ab[1]})"),
        pair.map(lambda ab: f"{ab[0]} OR {ab[1]}"),
        children.map(lambda a: f"-{a}"),
        children.map(lambda a: f"-({a})"),
        children.map(lambda a: f"NOT {a}"),
        children.map(lambda a: f"({a})"),
    )


query_strings = st.recursive(leaves, _extend, max_leaves=8)


def _assert_agreement(papers: list[Paper], queries: list[str]) -> None:
    store = Store()
    store.upsert_papers(papers)
    texts_ = PaperText.many(papers)
    for text in queries:
        query = parse(text)
        expected = {p.id for p, t in zip(papers, texts_, strict=True) if matches(query, t, p)}
        found = [h.paper.id for h in search(store.db, query, limit=1000)]
        assert len(found) == len(set(found)), f"duplicate hits for {text!r}"
        assert set(found) == expected, f"search and matcher disagree on {text!r}"
        assert count(store.db, query) == len(expected)


@SETTINGS
@given(paper_lists(), st.lists(query_strings, min_size=1, max_size=4))
def test_search_and_matcher_agree_on_generated_queries(papers, queries):
    _assert_agreement(papers, queries)


@st.composite
def unicode_cases(draw: st.DrawFn) -> tuple[list[Paper], list[str]]:
    """Arbitrary Unicode titles, queried with quoted slices of themselves."""
    titles = draw(st.lists(st.text(max_size=40), min_size=1, max_size=4))
    papers = [
        Paper(id=f"u{i}", title=t, summary="", authors=(), upvotes=0, comments=0,
              day=date(2024, 1, 1))
        for i, t in enumerate(titles)
    ]  # fmt: skip
    source = draw(st.sampled_from(titles))
    start = draw(st.integers(min_value=0, max_value=len(source)))
    end = draw(st.integers(min_value=start, max_value=len(source)))
    fragment = source[start:end].replace('"', " ")
    queries = [f'"{fragment}"', f'title:"{fragment}"', f'-"{fragment}"']
    valid = []
    for q in queries:
        try:
            parse(q)
        except QueryError:
            continue
        valid.append(q)
    return papers, valid


@SETTINGS
@given(unicode_cases())
def test_search_and_matcher_agree_on_arbitrary_unicode(case):
    papers, queries = case
    _assert_agreement(papers, queries)


@SETTINGS
@given(st.text(max_size=200))
def test_tokenize_agrees_with_the_papers_fts_index(text):
    store = Store()
    store.upsert_papers(
        [Paper(id="x", title=text, summary="", authors=(), upvotes=0, comments=0,
               day=date(2024, 1, 1))]
    )  # fmt: skip
    store.db.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, papers_fts, instance)")
    rows = store.db.execute("SELECT term, offset FROM temp.v WHERE col = 'title'").fetchall()
    indexed = [term for term, _ in sorted(rows, key=lambda r: r[1])]
    assert tokenize(text) == indexed


def test_known_tricky_cases_agree():
    papers = [
        Paper(id="a", title="Agreed: naïve CAFÉ-models", summary="running GPT-4 (RL)",
              authors=("Kaiming He", "Ana Etat"), upvotes=5, comments=0, day=date(2024, 1, 1),
              ai_keywords=("vision-language", "generalization"), github_repo="",
              github_stars=40, organization="Meta"),
        Paper(id="b", title="agre general", summary="", authors=("He",), upvotes=20,
              comments=0, day=date(2024, 1, 2), github_repo="https://github.com/a/b",
              github_stars=40, organization="HUGGING FACE"),
    ]  # fmt: skip
    queries = [
        "agreed", "agre", '"naive cafe"', "cafe-models", "gpt-4", "title:generalization",
        'author:"he ana"', "-author:he", "NOT (rl OR upvotes:>10)", "has:code OR -has:code",
        "title:(agre OR naïve) -abstract:running", "-OR", "general", "état",
        "stars:>=40", "-stars:40", "org:meta OR org:\"hugging face\"", "-org:META stars:<50",
        "agreed -(org:meta has:code)",
    ]  # fmt: skip
    _assert_agreement(papers, queries)
