"""The optional engine (`pip install 'paperboy-bot[semantic]'`): WordLlama embeddings.

WordLlama's 256-dimension "l2_supercat" model ships inside its wheel (weights and tokenizer,
19 MB; numpy, safetensors and tokenizers, no torch), so nothing is downloaded at run time.
The wheel puts the tokenizer under `tokenizers/` where `WordLlama.load` looks for
`tokenizer/` first, so the package folder itself is given as the cache folder, with downloads
disabled: a missing file is an error at start-up, never a download.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.domain import Paper
from bot.ports import Repository

NAME = "wordllama-l2s256-1"
# Calibrated on the real Daily Papers days (bench/similarity.py), as TF-IDF's threshold is:
# about 1 paper in 200 passes it for a seed.
THRESHOLD = 0.65
MODEL = "l2_supercat"
DIM = 256


class SemanticUnavailable(RuntimeError):
    """The semantic engine cannot load; the message says what to install."""


def load_model() -> Any:
    """WordLlama's shipped model, loaded strictly from the installed package."""
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError as exc:
        raise SemanticUnavailable(
            "PAPERBOY_SIMILARITY=semantic needs the semantic extra: "
            "pip install 'paperboy-bot[semantic]'"
        ) from exc
    try:
        return WordLlama.load(
            config=MODEL, dim=DIM, cache_dir=Path(wordllama.__file__).parent, disable_download=True
        )
    except (FileNotFoundError, ValueError) as exc:
        raise SemanticUnavailable(f"the semantic model did not load from wordllama: {exc}") from exc


class SemanticSeeds:
    """Seed embeddings as one matrix: a paper is scored against all seeds in one product."""

    def __init__(self, seeds: Mapping[str, Any]) -> None:
        import numpy as np

        self.ids = list(seeds)
        self.matrix = np.stack(list(seeds.values())) if seeds else np.zeros((0, DIM))

    def scores(self, vector: Any, floor: float) -> dict[str, float]:
        """Cosine of the vector with each seed scoring at least `floor`."""
        if not self.ids:
            return {}
        sims = self.matrix @ vector
        return {self.ids[i]: float(sims[i]) for i in (sims >= floor).nonzero()[0]}


class SemanticEngine:
    """WordLlama embeddings of title, abstract and AI keywords."""

    name = NAME
    threshold = THRESHOLD

    def __init__(self, model: Any | None = None) -> None:
        self.model = model if model is not None else load_model()

    def encode(self, papers: Sequence[Paper]) -> list[bytes]:
        """Each paper's unit embedding, as float32 bytes."""
        import numpy as np

        texts = [f"{p.title}. {p.summary} {'; '.join(p.ai_keywords)}" for p in papers]
        embedded = self.model.embed(texts, norm=True)
        return [np.asarray(row, dtype=np.float32).tobytes() for row in embedded]

    def vectors(self, repo: Repository, features: Sequence[bytes]) -> list[Any]:
        """The stored embeddings (they need no weighing by the archive)."""
        import numpy as np

        return [np.frombuffer(f, dtype=np.float32) for f in features]

    def index(self, seeds: Mapping[str, Any]) -> SemanticSeeds:
        """The seeds' matrix."""
        return SemanticSeeds(seeds)
