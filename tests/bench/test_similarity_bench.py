"""`bench/similarity.py --small` runs on the real Daily Papers days and TF-IDF beats random."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REAL_DIR = ROOT.parent / "shared" / "hf_real"  # as bench/_real.py finds it
NUMBER = re.compile(r"\d+\.\d+")

pytestmark = pytest.mark.skipif(
    not any(REAL_DIR.glob("daily_papers_*.json")), reason=f"no real payloads in {REAL_DIR}"
)


def precision_at_10(output: str, ranker: str) -> float:
    """The first number on the quality table's row of this ranker."""
    for line in output.splitlines():
        cells = [c.strip() for c in re.split(r"[│|┃]", line)]
        if ranker in cells:
            numbers = NUMBER.findall(line)
            assert numbers, f"no precision on the {ranker} row: {line!r}"
            return float(numbers[0])
    raise AssertionError(f"no {ranker} row in:\n{output}")


def test_small_run_prints_the_tables() -> None:
    """The three tables print, and TF-IDF's precision@10 is above random's."""
    env = {**os.environ, "COLUMNS": "240"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "similarity.py"), "--small"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for header in (
        "Papers like a seed",
        "precision@10 (keyword or author)",
        "precision@10 (author only",
        "Thresholds",
        "pairs passing",
        "Speed",
        "LikeIndex.match (ms)",
        "all pairs (ms)",
    ):
        assert header in out, f"{header!r} missing from:\n{out}"
    assert precision_at_10(out, "tfidf") > precision_at_10(out, "random")
