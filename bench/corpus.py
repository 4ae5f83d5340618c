"""A Zipf-vocabulary paper generator for search at archive scale (100,000 to 1,000,000 papers).

Words follow Zipf's law over a vocabulary of `VOCABULARY` words: the head is real ML
vocabulary ("model" is in nearly every abstract, as on Daily Papers), the tail pronounceable
made-up words. Titles draw from the same law but keep only a quarter of its commonest
words (so "model" is in about a quarter of titles), abstracts are
150-250 words, upvotes are heavy-tailed (most papers a handful, a few hundreds), authors are
real-looking names. Paper `i` of a seed is always the same paper.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from datetime import date, timedelta

from _common import FIRST_NAMES, LAST_NAMES

from bot.domain import Paper

VOCABULARY = 30_000
HEAD = [
    "model",
    "models",
    "learning",
    "language",
    "large",
    "data",
    "training",
    "method",
    "performance",
    "tasks",
    "results",
    "approach",
    "based",
    "show",
    "propose",
    "using",
    "generation",
    "image",
    "video",
    "diffusion",
    "reasoning",
    "agents",
    "benchmark",
    "evaluation",
    "multimodal",
    "vision",
    "text",
    "visual",
    "efficient",
    "framework",
    "network",
    "neural",
    "transformer",
    "attention",
    "inference",
    "scaling",
    "reinforcement",
    "policy",
    "reward",
    "alignment",
    "human",
    "preference",
    "instruction",
    "tuning",
    "fine-tuning",
    "pretraining",
    "dataset",
    "quality",
    "robust",
    "state-of-the-art",
    "outperforms",
    "existing",
    "novel",
    "significantly",
    "improve",
    "achieves",
    "demonstrate",
    "code",
    "retrieval",
    "knowledge",
    "memory",
    "long",
    "context",
    "tokens",
    "token",
    "sparse",
    "dense",
    "mixture",
    "experts",
    "latent",
    "space",
    "sampling",
    "denoising",
    "flow",
    "matching",
    "speech",
    "audio",
    "3d",
    "scene",
    "reconstruction",
    "rendering",
    "robot",
    "manipulation",
    "planning",
    "world",
    "simulation",
    "safety",
    "jailbreak",
    "privacy",
    "graph",
    "representation",
    "embedding",
    "contrastive",
    "self-supervised",
    "semi-supervised",
    "zero-shot",
    "few-shot",
    "prompting",
    "chain-of-thought",
    "verification",
    "math",
    "theorem",
    "proof",
    "search",
    "tree",
    "optimization",
    "gradient",
    "loss",
    "objective",
    "regularization",
    "quantization",
    "pruning",
    "distillation",
    "compression",
    "hardware",
    "gpu",
    "memory-efficient",
    "parallel",
    "distributed",
    "federated",
    "continual",
    "editing",
    "segmentation",
    "detection",
    "tracking",
    "depth",
    "pose",
    "motion",
    "animation",
    "avatar",
    "face",
    "medical",
    "clinical",
    "biology",
    "protein",
    "molecule",
    "chemistry",
    "materials",
    "weather",
    "climate",
]
TITLE_HEAD, TITLE_HEAD_KEEP = 12, 0.25  # titles use the commonest words less than abstracts
_SYLLABLES = (
    "ka",
    "ro",
    "mi",
    "ten",
    "lu",
    "sa",
    "vor",
    "ne",
    "qui",
    "dal",
    "fe",
    "tor",
    "xi",
    "ban",
    "mo",
    "ze",
    "ri",
    "pol",
    "gan",
    "se",
    "tu",
    "lex",
    "da",
    "wen",
)
FIRST_DAY = date(2020, 1, 1)
PER_DAY = 60


def _vocabulary(rng: random.Random) -> list[str]:
    words = list(dict.fromkeys(HEAD))
    seen = set(words)
    while len(words) < VOCABULARY:
        word = "".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class ZipfCorpus:
    """Deterministic synthetic papers whose words follow Zipf's law."""

    def __init__(self, seed: int = 20261201) -> None:
        self.seed = seed
        self.words = _vocabulary(random.Random(seed))
        self._cum = list(itertools.accumulate(1 / (r + 1) for r in range(VOCABULARY)))

    def _rank(self, rng: random.Random) -> int:
        return bisect.bisect(self._cum, rng.random() * self._cum[-1])

    def _draw(self, rng: random.Random, k: int) -> list[str]:
        return [self.words[self._rank(rng)] for _ in range(k)]

    def _title(self, rng: random.Random, k: int) -> str:
        words: list[str] = []
        while len(words) < k:
            rank = self._rank(rng)
            if rank >= TITLE_HEAD or rng.random() < TITLE_HEAD_KEEP:
                words.append(self.words[rank])
        return " ".join(words)

    def paper(self, index: int) -> Paper:
        """Paper number `index`."""
        rng = random.Random(self.seed * 1_000_003 + index)
        title = self._title(rng, rng.randint(5, 14))
        summary = " ".join(self._draw(rng, rng.randint(150, 250)))
        names = {
            f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(rng.randint(2, 12))
        }
        upvotes = min(2_000, int(math.exp(rng.gauss(1.2, 1.4))))
        return Paper(
            id=f"{2000 + index // 100_000}.{index % 100_000:05d}",
            title=title[:1].upper() + title[1:],
            summary=summary.capitalize() + ".",
            authors=tuple(sorted(names)),
            upvotes=upvotes,
            comments=rng.randint(0, 5),
            day=FIRST_DAY + timedelta(days=index // PER_DAY),
            ai_keywords=tuple(self._draw(rng, rng.randint(3, 6))),
            github_repo=f"https://github.com/x/{index}" if rng.random() < 0.3 else None,
        )

    def make(self, n: int, start: int = 0) -> list[Paper]:
        """Papers start..start+n-1."""
        return [self.paper(i) for i in range(start, start + n)]
