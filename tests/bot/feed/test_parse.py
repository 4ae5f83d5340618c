"""Titles with LaTeX: the paper's own title wins over an entry title that kept LaTeX, and
simple LaTeX reads as text."""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.feed.parse import _KNOWN, has_latex, latex_to_text, parse_entries
from tests.data.make_days import recorded_days

DAY_2026 = date(2026, 3, 6)
# Real payloads live beside the repository (`../shared/hf_real`), not in it; absent on a
# contributor's clone, where the test that reads them is skipped.
REAL_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "hf_real"


def _entry(title: str | None, paper_title: str) -> dict[str, Any]:
    entry = copy.deepcopy(recorded_days()[DAY_2026][0])
    if title is None:
        del entry["title"]
    else:
        entry["title"] = title
    entry["paper"]["title"] = paper_title
    return entry


def _title(entry: dict[str, Any]) -> str:
    (paper,) = parse_entries([entry], DAY_2026)
    return paper.title


def test_the_paper_s_clean_title_wins_over_an_entry_title_with_latex() -> None:
    entry = _entry(
        r"$\textit{Trans-LoRA}$: towards data-free Transferable Parameter Efficient Finetuning",
        "Trans-LoRA: towards data-free Transferable Parameter Efficient Finetuning",
    )
    assert _title(entry) == (
        "Trans-LoRA: towards data-free Transferable Parameter Efficient Finetuning"
    )


def test_the_entry_title_wins_when_it_has_no_latex() -> None:
    entry = _entry("Large Multimodal Models", r"Large \textbf{Multimodal}\\ Models")
    assert _title(entry) == "Large Multimodal Models"


def test_latex_left_in_both_titles_reads_as_text() -> None:
    raw = r"$\textit{Trans-LoRA}$: \eg data-free \& \emph{fast}~finetuning"
    assert _title(_entry(raw, raw)) == "Trans-LoRA: e.g. data-free & fast finetuning"


def test_a_title_of_nothing_but_latex_spacing_is_kept_rather_than_emptied() -> None:
    assert _title(_entry(None, "\\\\")) == "\\\\"


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (r"\textbf{Bold} and \emph{emphasis}", "Bold and emphasis"),
        (r"\emph{\textbf{Nested}} styles", "Nested styles"),
        (r"Models, \ie, \textit{agents}", "Models, i.e., agents"),
        (r"$\mathcal{O}(n \log n)$ attention", "O(n log n) attention"),
        (r"Top-$k$ \& top-$p$ sampling", "Top-k & top-p sampling"),
        (r"$\alpha$-entmax at $10^{6}$ tokens", "α-entmax at 10^6 tokens"),
        (
            r"A Minimal Denoising Network\\ for Time Series",
            "A Minimal Denoising Network for Time Series",
        ),
        (r"Fig.~3 costs \$5", "Fig. 3 costs $5"),
        (r"$O(n\log n)$ sorting", "O(n log n) sorting"),
        (r"$\log{}n$ and $n\frac$ steps", "log n and n frac steps"),
        (r"\textbf{Fast} loading from C:\Users\me", "Fast loading from C:\\Users\\me"),
        (r"\textbf{Nested {braces}} stay text", "Nested braces stay text"),
    ],
)
def test_simple_latex_reads_as_text(raw: str, text: str) -> None:
    assert has_latex(raw)
    assert latex_to_text(raw) == text


@pytest.mark.parametrize(
    "title",
    [
        "Costs $5 vs $10 per run",
        "~1B parameters are enough",
        "Plain {braces} title",
        r"C:\Users path",
        r"Reading \Device\HarddiskVolume1 \texture maps",
    ],
)
def test_dollars_tildes_and_braces_alone_are_not_latex(title: str) -> None:
    assert not has_latex(title)
    assert _title(_entry(title, title)) == title


LATEXISH = st.lists(
    st.sampled_from(
        [*"ab $~{}\\&%^_1\n", "\\textit{", "\\emph{", "\\eg", "\\alpha", "\\\\", "$x$"]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(LATEXISH)
def test_cleaned_latex_is_one_line_without_commands_or_grouping(text: str) -> None:
    cleaned = latex_to_text(text)
    # A backslash is left only before a word that is no command (`\ab`, as in `C:\Users`).
    assert all(name not in _KNOWN for name in re.findall(r"\\([A-Za-z]+)", cleaned))
    assert "\\" not in re.sub(r"\\[A-Za-z]+", "", cleaned) and "\n" not in cleaned
    # Braces group; only escaped ones (`\{`) are text.
    assert cleaned.count("{") <= text.count("\\{") and cleaned.count("}") <= text.count("\\}")
    assert cleaned == " ".join(cleaned.split())


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_characters="\\$"), min_size=1, max_size=80))
def test_a_title_without_backslashes_or_dollars_is_only_folded(title: str) -> None:
    folded = " ".join(title.split())
    if not folded:
        return
    assert _title(_entry(title, "unused")) == folded


def _real_bodies() -> list[tuple[date, list[Any]]]:
    bodies = []
    for path in sorted(REAL_DIR.glob("daily_papers_*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, list):
            bodies.append((date.fromisoformat(path.name[13:23]), data))
    return bodies


@pytest.mark.skipif(
    not REAL_DIR.is_dir(), reason="the real payloads (../shared/hf_real) are absent"
)
def test_real_titles_with_latex_read_as_text() -> None:
    with_latex = 0
    for day, body in _real_bodies():
        papers = {p.id: p for p in parse_entries(body, day)}
        for entry in body:
            raw = entry.get("title") or entry["paper"].get("title") or ""
            if not has_latex(raw) or entry["paper"]["id"] not in papers:
                continue
            with_latex += 1
            title = papers[entry["paper"]["id"]].title
            assert not has_latex(title) and "$" not in title and "\\" not in title, title
    assert with_latex >= 2  # Top-$nσ$ (2024-11-19) and Network\\ for (2026-04-21)


@pytest.mark.skipif(
    not REAL_DIR.is_dir(), reason="the real payloads (../shared/hf_real) are absent"
)
def test_a_real_math_title_takes_the_paper_s_own_title() -> None:
    titles = {p.title for day, body in _real_bodies() for p in parse_entries(body, day)}
    assert "Top-nσ: Not All Logits Are You Need" in titles
    assert "Back to Repair: A Minimal Denoising Network for Time Series Anomaly Detection" in titles
