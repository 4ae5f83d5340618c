"""A small archive for "papers like these": a seed, a paper like it, and papers unlike it."""

from __future__ import annotations

from datetime import date

from bot.domain import Paper
from tests.helpers import make_paper

OLD_DAY = date(2026, 11, 23)
NEW_DAY = date(2026, 11, 25)
SEED = "2611.00001"
LIKE = "2611.00101"  # on NEW_DAY: the seed's topic
UNLIKE = "2611.00102"  # on NEW_DAY: nothing in common with it

_BACKGROUND = [
    ("Scaling laws for code language models", "We study how code models scale.", ("code",)),
    ("Protein folding with graph networks", "Graph networks predict protein structure.", ()),
    ("A benchmark for table question answering", "Tables and questions for evaluation.", ()),
    ("Speech recognition in noisy rooms", "Robust speech recognition with augmentation.", ()),
    ("Reward models for dialogue agents", "Reward modelling for dialogue with preferences.", ()),
    ("Image segmentation with prompts", "Promptable segmentation of any image region.", ()),
    ("Weather forecasting with transformers", "Global weather forecasts from reanalysis.", ()),
    ("Robot grasping from demonstrations", "Imitation learning for grasping objects.", ()),
    ("Sparse attention for documents", "Sparse attention patterns for text.", ()),
    ("Quantization of large language models", "Low-bit weights for fast inference.", ()),
]


def seed_paper() -> Paper:
    """The seed: selective state space models for long video understanding."""
    return make_paper(
        SEED,
        OLD_DAY,
        upvotes=40,
        title="Selective state space models for long video understanding",
        summary="A Mamba-style selective state space model reads hour-long videos in linear "
        "time, beating attention on long video benchmarks.",
        ai_keywords=("state space models", "Mamba", "long video understanding"),
    )


def background() -> list[Paper]:
    """Papers on other topics, on OLD_DAY (they give the words their document counts)."""
    return [
        make_paper(f"2611.{i + 10:05d}", OLD_DAY, upvotes=i, title=t, summary=s, ai_keywords=k)
        for i, (t, s, k) in enumerate(_BACKGROUND)
    ]


def new_day() -> list[Paper]:
    """NEW_DAY: one paper like the seed, one unlike it."""
    return [
        make_paper(
            LIKE,
            NEW_DAY,
            upvotes=12,
            title="Bidirectional state space models for long video generation",
            summary="We extend selective state space models (Mamba) to generate long videos "
            "in linear time.",
            ai_keywords=("state space models", "Mamba", "video generation"),
        ),
        make_paper(
            UNLIKE,
            NEW_DAY,
            upvotes=30,
            title="Crop yield prediction from satellite imagery",
            summary="Satellite images and soil data predict harvests for farmers.",
            ai_keywords=("remote sensing", "agriculture"),
        ),
    ]


def archive() -> list[Paper]:
    """Everything stored before NEW_DAY is polled: the seed and the background."""
    return [seed_paper(), *background()]
